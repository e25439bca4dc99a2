//! The pieces of GeoPackage that are not SQL (the store reads and writes the SQLite file): the
//! geometry blob (the `GP` header, an envelope, then WKB), and the coordinate systems a file may
//! declare, with the inverse of UTM (transverse Mercator on WGS 84, Krüger's series to the third
//! order of the flattening, well under a millimetre inside a zone) for projected files.

use crate::error::GeoError;
use crate::geom::{Coord, Geometry, Polygon};

fn bad(message: String) -> GeoError {
    GeoError::Wkb { offset: 0, message }
}

/// A geometry as a GeoPackage blob: header `GP`, version 0, little-endian with an xy envelope,
/// the SRS id, the envelope (min x, max x, min y, max y), then ISO WKB.
pub fn encode_blob(g: &Geometry, srs_id: i32) -> Vec<u8> {
    let wkb = crate::wkb::encode_wkb(g);
    let mut out = Vec::with_capacity(wkb.len() + 40);
    out.extend_from_slice(b"GP");
    out.push(0);
    match g.bbox() {
        Some(b) => {
            out.push(0b0000_0011); // little-endian, envelope [minx, maxx, miny, maxy]
            out.extend_from_slice(&srs_id.to_le_bytes());
            for v in [b.min_lon, b.max_lon, b.min_lat, b.max_lat] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        None => {
            out.push(0b0001_0001); // little-endian, no envelope, empty geometry
            out.extend_from_slice(&srs_id.to_le_bytes());
        }
    }
    out.extend_from_slice(&wkb);
    out
}

/// A GeoPackage blob back: its SRS id and geometry. The header is checked (magic, version, the
/// envelope's size) and the WKB decoded.
pub fn decode_blob(b: &[u8]) -> Result<(i32, Geometry), GeoError> {
    if b.len() < 8 || &b[..2] != b"GP" {
        return Err(bad(
            "not a GeoPackage geometry (no GP header); a file written by another tool than \
             GeoPackage?"
                .into(),
        ));
    }
    if b[2] != 0 {
        return Err(bad(format!(
            "GeoPackage geometry version {} (0 expected)",
            b[2]
        )));
    }
    let flags = b[3];
    if flags & 0b0010_0000 != 0 {
        return Err(bad(
            "extended GeoPackage geometry types are not supported".into()
        ));
    }
    let little = flags & 1 == 1;
    let raw = [b[4], b[5], b[6], b[7]];
    let srs = if little {
        i32::from_le_bytes(raw)
    } else {
        i32::from_be_bytes(raw)
    };
    let env = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => return Err(bad(format!("GeoPackage envelope code {e} is not defined"))),
    };
    let start = 8 + env;
    let wkb = b
        .get(start..)
        .filter(|w| !w.is_empty())
        .ok_or_else(|| bad("GeoPackage geometry ends inside its header".into()))?;
    Ok((srs, crate::wkb::decode_wkb(wkb)?))
}

/// A coordinate system a GeoPackage may declare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crs {
    /// Longitude/latitude on WGS 84 (EPSG:4326, or OGC CRS84).
    Wgs84,
    /// UTM on WGS 84: zone 1..=60, north or south (EPSG 326zz / 327zz).
    Utm {
        /// The zone.
        zone: u8,
        /// Northern hemisphere.
        north: bool,
    },
}

impl Crs {
    /// The system an (organisation, code) pair names, if demine can read it.
    pub fn from_epsg(organisation: &str, code: i64) -> Option<Crs> {
        let org = organisation.trim();
        if org.eq_ignore_ascii_case("OGC") && code == 84 {
            return Some(Crs::Wgs84);
        }
        if !org.eq_ignore_ascii_case("EPSG") {
            return None;
        }
        match code {
            4326 => Some(Crs::Wgs84),
            32601..=32660 => Some(Crs::Utm {
                zone: (code - 32600) as u8,
                north: true,
            }),
            32701..=32760 => Some(Crs::Utm {
                zone: (code - 32700) as u8,
                north: false,
            }),
            _ => None,
        }
    }

    /// A position in this system as longitude/latitude.
    pub fn to_lon_lat(self, c: Coord) -> Coord {
        match self {
            Crs::Wgs84 => c,
            Crs::Utm { zone, north } => utm_inverse(zone, north, c.lon, c.lat),
        }
    }

    /// A geometry in this system as longitude/latitude.
    pub fn geometry_to_lon_lat(self, g: Geometry) -> Geometry {
        if self == Crs::Wgs84 {
            return g;
        }
        let line = |l: Vec<Coord>| l.into_iter().map(|c| self.to_lon_lat(c)).collect();
        let poly = |p: Polygon| Polygon {
            exterior: line(p.exterior),
            holes: p.holes.into_iter().map(line).collect(),
        };
        match g {
            Geometry::Point(c) => Geometry::Point(self.to_lon_lat(c)),
            Geometry::MultiPoint(cs) => Geometry::MultiPoint(line(cs)),
            Geometry::LineString(cs) => Geometry::LineString(line(cs)),
            Geometry::MultiLineString(ls) => {
                Geometry::MultiLineString(ls.into_iter().map(line).collect())
            }
            Geometry::Polygon(p) => Geometry::Polygon(poly(p)),
            Geometry::MultiPolygon(ps) => {
                Geometry::MultiPolygon(ps.into_iter().map(poly).collect())
            }
        }
    }
}

/// UTM easting/northing (metres) in `zone` to longitude/latitude on WGS 84: the inverse
/// transverse Mercator by Krüger's series (as in Karney 2011, "Transverse Mercator with an
/// accuracy of a few nanometers", truncated at n³).
pub fn utm_inverse(zone: u8, north: bool, easting: f64, northing: f64) -> Coord {
    let a = 6_378_137.0_f64;
    let f = 1.0 / 298.257_223_563;
    let n = f / (2.0 - f);
    let (n2, n3) = (n * n, n * n * n);
    let big_a = a / (1.0 + n) * (1.0 + n2 / 4.0 + n2 * n2 / 64.0);
    let beta = [
        n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0,
        n2 / 48.0 + n3 / 15.0,
        17.0 * n3 / 480.0,
    ];
    let delta = [
        2.0 * n - 2.0 * n2 / 3.0 - 2.0 * n3,
        7.0 * n2 / 3.0 - 8.0 * n3 / 5.0,
        56.0 * n3 / 15.0,
    ];
    let k0 = 0.9996;
    let n0 = if north { 0.0 } else { 10_000_000.0 };
    let xi = (northing - n0) / (k0 * big_a);
    let eta = (easting - 500_000.0) / (k0 * big_a);
    let mut xi_p = xi;
    let mut eta_p = eta;
    for (j, b) in beta.iter().enumerate() {
        let k = 2.0 * (j as f64 + 1.0);
        xi_p -= b * (k * xi).sin() * (k * eta).cosh();
        eta_p -= b * (k * xi).cos() * (k * eta).sinh();
    }
    let chi = (xi_p.sin() / eta_p.cosh()).asin();
    let mut phi = chi;
    for (j, d) in delta.iter().enumerate() {
        phi += d * (2.0 * (j as f64 + 1.0) * chi).sin();
    }
    let lambda0 = (f64::from(zone) * 6.0 - 183.0).to_radians();
    let lambda = lambda0 + eta_p.sinh().atan2(xi_p.cos());
    Coord::new(lambda.to_degrees(), phi.to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_round_trip_and_header_checks() {
        let g = Geometry::Polygon(Polygon::new(vec![
            Coord::new(104.0, 12.0),
            Coord::new(104.01, 12.0),
            Coord::new(104.01, 12.01),
            Coord::new(104.0, 12.0),
        ]));
        let b = encode_blob(&g, 4326);
        assert_eq!(&b[..4], b"GP\x00\x03");
        assert_eq!(decode_blob(&b).unwrap(), (4326, g));
        assert!(decode_blob(b"XX\x00\x01\x00\x00\x00\x00").is_err());
        assert!(decode_blob(b"GP\x01\x01\x00\x00\x00\x00\x01").is_err());
        let mut cut = b.clone();
        cut.truncate(20);
        assert!(decode_blob(&cut).is_err());
        let mut bad_env = b;
        bad_env[3] = 0b0000_1111; // envelope code 7
        assert!(decode_blob(&bad_env).is_err());
    }

    #[test]
    fn utm_inverse_matches_proj() {
        // Reference values from PROJ (gdaltransform EPSG:4326 -> EPSG:32648 and 32721).
        let c = utm_inverse(48, true, 492_171.368_215_737, 1_277_502.966_157_26);
        assert!(
            (c.lon - 104.9282).abs() < 1e-8 && (c.lat - 11.5564).abs() < 1e-8,
            "{c:?}"
        );
        let c = utm_inverse(21, false, 373_458.607_185_218, 6_170_448.511_331_82);
        assert!(
            (c.lon + 58.38).abs() < 1e-8 && (c.lat + 34.60).abs() < 1e-8,
            "{c:?}"
        );
        assert_eq!(
            Crs::from_epsg("EPSG", 32648),
            Some(Crs::Utm {
                zone: 48,
                north: true
            })
        );
        assert_eq!(
            Crs::from_epsg("epsg", 32721),
            Some(Crs::Utm {
                zone: 21,
                north: false
            })
        );
        assert_eq!(Crs::from_epsg("EPSG", 3857), None);
        assert_eq!(Crs::from_epsg("OGC", 84), Some(Crs::Wgs84));
    }
}
