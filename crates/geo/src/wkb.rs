//! Well-known binary: the storage encoding of geometries (SQLite blobs, PostGIS `ST_GeomFromWKB`).
//!
//! [`encode_wkb`] writes ISO WKB, little-endian, 2D. [`decode_wkb`] reads either byte order, ISO
//! and EWKB (PostGIS) type codes, with an optional SRID (dropped) and Z/M values (dropped).

use crate::error::GeoError;
use crate::geom::{Coord, Geometry, Polygon};

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_coords(out: &mut Vec<u8>, cs: &[Coord]) {
    put_u32(out, cs.len() as u32);
    for c in cs {
        out.extend_from_slice(&c.lon.to_le_bytes());
        out.extend_from_slice(&c.lat.to_le_bytes());
    }
}

fn put_polygon(out: &mut Vec<u8>, p: &Polygon) {
    out.push(1);
    put_u32(out, 3);
    put_u32(out, 1 + p.holes.len() as u32);
    for r in p.rings() {
        put_coords(out, r);
    }
}

/// Encodes a geometry as ISO WKB (little-endian, 2D).
pub fn encode_wkb(g: &Geometry) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    match g {
        Geometry::Point(c) => {
            out.push(1);
            put_u32(&mut out, 1);
            out.extend_from_slice(&c.lon.to_le_bytes());
            out.extend_from_slice(&c.lat.to_le_bytes());
        }
        Geometry::LineString(cs) => {
            out.push(1);
            put_u32(&mut out, 2);
            put_coords(&mut out, cs);
        }
        Geometry::Polygon(p) => put_polygon(&mut out, p),
        Geometry::MultiPoint(cs) => {
            out.push(1);
            put_u32(&mut out, 4);
            put_u32(&mut out, cs.len() as u32);
            for c in cs {
                out.push(1);
                put_u32(&mut out, 1);
                out.extend_from_slice(&c.lon.to_le_bytes());
                out.extend_from_slice(&c.lat.to_le_bytes());
            }
        }
        Geometry::MultiLineString(ls) => {
            out.push(1);
            put_u32(&mut out, 5);
            put_u32(&mut out, ls.len() as u32);
            for l in ls {
                out.push(1);
                put_u32(&mut out, 2);
                put_coords(&mut out, l);
            }
        }
        Geometry::MultiPolygon(ps) => {
            out.push(1);
            put_u32(&mut out, 6);
            put_u32(&mut out, ps.len() as u32);
            for p in ps {
                put_polygon(&mut out, p);
            }
        }
    }
    out
}

struct R<'a> {
    b: &'a [u8],
    i: usize,
}

impl R<'_> {
    fn err<T>(&self, m: impl Into<String>) -> Result<T, GeoError> {
        Err(GeoError::Wkb {
            offset: self.i,
            message: m.into(),
        })
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], GeoError> {
        match self.b.get(self.i..self.i + N) {
            Some(s) => {
                let mut a = [0u8; N];
                a.copy_from_slice(s);
                self.i += N;
                Ok(a)
            }
            None => self.err("unexpected end of data"),
        }
    }

    fn u32(&mut self, le: bool) -> Result<u32, GeoError> {
        let a = self.bytes::<4>()?;
        Ok(if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    fn f64(&mut self, le: bool) -> Result<f64, GeoError> {
        let a = self.bytes::<8>()?;
        Ok(if le {
            f64::from_le_bytes(a)
        } else {
            f64::from_be_bytes(a)
        })
    }

    fn count(&mut self, le: bool, min_bytes_each: usize) -> Result<usize, GeoError> {
        let n = self.u32(le)? as usize;
        if n.saturating_mul(min_bytes_each) > self.b.len().saturating_sub(self.i) {
            self.i -= 4;
            return self.err(format!("count {n} is larger than the data"));
        }
        Ok(n)
    }

    fn coord(&mut self, le: bool, dims: usize) -> Result<Coord, GeoError> {
        let x = self.f64(le)?;
        let y = self.f64(le)?;
        for _ in 2..dims {
            self.f64(le)?;
        }
        Ok(Coord::new(x, y))
    }

    fn coords(&mut self, le: bool, dims: usize) -> Result<Vec<Coord>, GeoError> {
        let n = self.count(le, 8 * dims)?;
        (0..n).map(|_| self.coord(le, dims)).collect()
    }

    /// Reads one geometry header: (little-endian, base type 1..7, dims).
    fn header(&mut self) -> Result<(bool, u32, usize), GeoError> {
        let le = match self.bytes::<1>()?[0] {
            0 => false,
            1 => true,
            o => {
                self.i -= 1;
                return self.err(format!("byte order {o} is neither 0 nor 1"));
            }
        };
        let t = self.u32(le)?;
        let mut dims = 2;
        if t & 0x8000_0000 != 0 {
            dims += 1;
        }
        if t & 0x4000_0000 != 0 {
            dims += 1;
        }
        if t & 0x2000_0000 != 0 {
            self.u32(le)?; // SRID
        }
        let t = t & 0x0FFF_FFFF;
        let (base, iso_dims) = (t % 1000, t / 1000);
        dims += match iso_dims {
            0 => 0,
            1 | 2 => 1,
            3 => 2,
            _ => {
                self.i -= 4;
                return self.err(format!("unknown geometry type code {t}"));
            }
        };
        Ok((le, base, dims))
    }

    fn polygon_body(&mut self, le: bool, dims: usize) -> Result<Polygon, GeoError> {
        let n = self.count(le, 4)?;
        let mut rings = Vec::with_capacity(n);
        for _ in 0..n {
            rings.push(self.coords(le, dims)?);
        }
        if rings.is_empty() {
            return Ok(Polygon::default());
        }
        let exterior = rings.remove(0);
        Ok(Polygon {
            exterior,
            holes: rings,
        })
    }

    fn geometry(&mut self) -> Result<Geometry, GeoError> {
        let at = self.i;
        let (le, t, dims) = self.header()?;
        let expect_part = |r: &mut Self, want: u32| -> Result<(bool, usize), GeoError> {
            let at = r.i;
            let (le, t, dims) = r.header()?;
            if t != want {
                r.i = at;
                return r.err(format!("expected part of type {want}, found {t}"));
            }
            Ok((le, dims))
        };
        Ok(match t {
            1 => Geometry::Point(self.coord(le, dims)?),
            2 => Geometry::LineString(self.coords(le, dims)?),
            3 => Geometry::Polygon(self.polygon_body(le, dims)?),
            4 => {
                let n = self.count(le, 21)?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    let (le, dims) = expect_part(self, 1)?;
                    v.push(self.coord(le, dims)?);
                }
                Geometry::MultiPoint(v)
            }
            5 => {
                let n = self.count(le, 9)?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    let (le, dims) = expect_part(self, 2)?;
                    v.push(self.coords(le, dims)?);
                }
                Geometry::MultiLineString(v)
            }
            6 => {
                let n = self.count(le, 9)?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    let (le, dims) = expect_part(self, 3)?;
                    v.push(self.polygon_body(le, dims)?);
                }
                Geometry::MultiPolygon(v)
            }
            _ => {
                self.i = at;
                return self.err(format!("geometry type {t} is not supported"));
            }
        })
    }
}

/// Decodes WKB or EWKB into a geometry. The whole input must be one geometry.
pub fn decode_wkb(bytes: &[u8]) -> Result<Geometry, GeoError> {
    let mut r = R { b: bytes, i: 0 };
    let g = r.geometry()?;
    if r.i != bytes.len() {
        return r.err(format!(
            "{} bytes left after the geometry",
            bytes.len() - r.i
        ));
    }
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn point_bytes_are_iso_little_endian() {
        let b = encode_wkb(&Geometry::Point(Coord::new(1.0, 2.0)));
        assert_eq!(b.len(), 21);
        assert_eq!(&b[..5], &[1, 1, 0, 0, 0]);
    }

    #[test]
    fn decodes_big_endian_and_ewkb_with_srid_and_z() {
        // Big-endian EWKB point Z with SRID 4326.
        let mut b = vec![0u8];
        b.extend_from_slice(&(0x8000_0001u32 | 0x2000_0000).to_be_bytes());
        b.extend_from_slice(&4326u32.to_be_bytes());
        for v in [1.5f64, -2.5, 9.0] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(
            decode_wkb(&b).unwrap(),
            Geometry::Point(Coord::new(1.5, -2.5))
        );
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(decode_wkb(&[]).is_err());
        assert!(decode_wkb(&[7]).is_err());
        assert!(decode_wkb(&[1, 3, 0, 0, 0, 255, 255, 255, 255]).is_err());
        assert!(decode_wkb(&[1, 99, 0, 0, 0]).is_err());
        let mut b = encode_wkb(&Geometry::Point(Coord::new(1.0, 2.0)));
        b.push(0);
        assert!(
            decode_wkb(&b)
                .unwrap_err()
                .to_string()
                .contains("left after")
        );
    }

    fn coord() -> impl Strategy<Value = Coord> {
        (-180.0f64..180.0, -90.0f64..90.0).prop_map(|(x, y)| Coord::new(x, y))
    }

    fn polygon() -> impl Strategy<Value = Polygon> {
        (
            proptest::collection::vec(coord(), 4..12),
            proptest::collection::vec(proptest::collection::vec(coord(), 4..6), 0..3),
        )
            .prop_map(|(exterior, holes)| Polygon { exterior, holes })
    }

    fn geometry() -> impl Strategy<Value = Geometry> {
        prop_oneof![
            coord().prop_map(Geometry::Point),
            proptest::collection::vec(coord(), 0..5).prop_map(Geometry::MultiPoint),
            proptest::collection::vec(coord(), 2..10).prop_map(Geometry::LineString),
            proptest::collection::vec(proptest::collection::vec(coord(), 2..5), 0..4)
                .prop_map(Geometry::MultiLineString),
            polygon().prop_map(Geometry::Polygon),
            proptest::collection::vec(polygon(), 0..4).prop_map(Geometry::MultiPolygon),
        ]
    }

    proptest! {
        #[test]
        fn round_trip(g in geometry()) {
            let b = encode_wkb(&g);
            prop_assert_eq!(decode_wkb(&b).unwrap(), g.clone());
            // WKT round trip too (shortest decimal forms are exact).
            prop_assert_eq!(crate::wkt::parse_wkt(&crate::wkt::to_wkt(&g)).unwrap(), g);
        }
    }
}
