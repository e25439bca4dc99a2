//! Well-known text: reading (2D; Z and M values are accepted and dropped; an EWKT `SRID=n;`
//! prefix is accepted) and writing.

use std::fmt::Write;

use crate::error::GeoError;
use crate::geom::{Coord, Geometry, Polygon};

struct P<'a> {
    s: &'a [u8],
    i: usize,
    dims: usize,
}

impl P<'_> {
    fn err<T>(&self, m: impl Into<String>) -> Result<T, GeoError> {
        Err(GeoError::Wkt {
            offset: self.i,
            message: m.into(),
        })
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn word(&mut self) -> String {
        self.ws();
        let st = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_alphabetic() {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[st..self.i]).to_ascii_uppercase()
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), GeoError> {
        if self.eat(c) {
            Ok(())
        } else {
            self.err(format!("expected '{}'", c as char))
        }
    }

    fn number(&mut self) -> Result<f64, GeoError> {
        self.ws();
        let st = self.i;
        while self.i < self.s.len()
            && matches!(
                self.s[self.i],
                b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'
            )
        {
            self.i += 1;
        }
        let t = std::str::from_utf8(&self.s[st..self.i]).unwrap_or("");
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => {
                self.i = st;
                self.err(format!("number {t} is too large (not finite)"))
            }
            Err(_) => {
                self.i = st;
                self.err("expected a number")
            }
        }
    }

    fn coord(&mut self) -> Result<Coord, GeoError> {
        let x = self.number()?;
        let y = self.number()?;
        for _ in 2..self.dims {
            self.number()?;
        }
        Ok(Coord::new(x, y))
    }

    /// Whether the next token is EMPTY (consumed).
    fn empty(&mut self) -> bool {
        let save = self.i;
        if self.word() == "EMPTY" {
            true
        } else {
            self.i = save;
            false
        }
    }

    fn coords(&mut self) -> Result<Vec<Coord>, GeoError> {
        if self.empty() {
            return Ok(Vec::new());
        }
        self.expect(b'(')?;
        let mut v = vec![self.coord()?];
        while self.eat(b',') {
            v.push(self.coord()?);
        }
        self.expect(b')')?;
        Ok(v)
    }

    fn list<T>(
        &mut self,
        f: impl Fn(&mut Self) -> Result<T, GeoError>,
    ) -> Result<Vec<T>, GeoError> {
        if self.empty() {
            return Ok(Vec::new());
        }
        self.expect(b'(')?;
        let mut v = vec![f(self)?];
        while self.eat(b',') {
            v.push(f(self)?);
        }
        self.expect(b')')?;
        Ok(v)
    }

    fn polygon(&mut self) -> Result<Option<Polygon>, GeoError> {
        let mut rings = self.list(Self::coords)?;
        if rings.is_empty() {
            return Ok(None);
        }
        let exterior = rings.remove(0);
        Ok(Some(Polygon {
            exterior,
            holes: rings,
        }))
    }

    fn multipoint_item(&mut self) -> Result<Coord, GeoError> {
        if self.eat(b'(') {
            let c = self.coord()?;
            self.expect(b')')?;
            Ok(c)
        } else {
            self.coord()
        }
    }
}

/// Parses a WKT (or EWKT) geometry.
pub fn parse_wkt(text: &str) -> Result<Geometry, GeoError> {
    let mut p = P {
        s: text.as_bytes(),
        i: 0,
        dims: 2,
    };
    p.ws();
    if text[p.i..].to_ascii_uppercase().starts_with("SRID=") {
        match text[p.i..].find(';') {
            Some(k) => p.i += k + 1,
            None => return p.err("SRID= prefix without ';'"),
        }
    }
    let kind = p.word();
    let save = p.i;
    match p.word().as_str() {
        "Z" | "M" => p.dims = 3,
        "ZM" => p.dims = 4,
        _ => p.i = save,
    }
    let g = match kind.as_str() {
        "POINT" => {
            if p.empty() {
                return p.err("POINT EMPTY has no position");
            }
            p.expect(b'(')?;
            let c = p.coord()?;
            p.expect(b')')?;
            Geometry::Point(c)
        }
        "LINESTRING" => Geometry::LineString(p.coords()?),
        "POLYGON" => match p.polygon()? {
            Some(poly) => Geometry::Polygon(poly),
            None => return p.err("POLYGON EMPTY has no ring"),
        },
        "MULTIPOINT" => Geometry::MultiPoint(p.list(P::multipoint_item)?),
        "MULTILINESTRING" => Geometry::MultiLineString(p.list(P::coords)?),
        "MULTIPOLYGON" => {
            let ps = p.list(P::polygon)?;
            Geometry::MultiPolygon(ps.into_iter().flatten().collect())
        }
        "" => return p.err("expected a geometry type"),
        other => return p.err(format!("unsupported geometry type {other}")),
    };
    p.ws();
    if p.i != text.len() {
        return p.err("unexpected text after the geometry");
    }
    Ok(g)
}

fn write_coords(s: &mut String, cs: &[Coord]) {
    s.push('(');
    for (i, c) in cs.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{} {}", c.lon, c.lat);
    }
    s.push(')');
}

fn write_polygon(s: &mut String, p: &Polygon) {
    s.push('(');
    for (i, r) in p.rings().enumerate() {
        if i > 0 {
            s.push(',');
        }
        write_coords(s, r);
    }
    s.push(')');
}

/// Writes a geometry as WKT (shortest round-trip decimal forms).
pub fn to_wkt(g: &Geometry) -> String {
    let mut s = String::new();
    let empty = match g {
        Geometry::Point(_) | Geometry::Polygon(_) => false,
        Geometry::MultiPoint(v) | Geometry::LineString(v) => v.is_empty(),
        Geometry::MultiLineString(v) => v.is_empty(),
        Geometry::MultiPolygon(v) => v.is_empty(),
    };
    if empty {
        return format!("{} EMPTY", g.type_name().to_ascii_uppercase());
    }
    match g {
        Geometry::Point(c) => {
            let _ = write!(s, "POINT({} {})", c.lon, c.lat);
        }
        Geometry::MultiPoint(cs) => {
            s.push_str("MULTIPOINT");
            write_coords(&mut s, cs);
        }
        Geometry::LineString(cs) => {
            s.push_str("LINESTRING");
            write_coords(&mut s, cs);
        }
        Geometry::MultiLineString(ls) => {
            s.push_str("MULTILINESTRING(");
            for (i, l) in ls.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                write_coords(&mut s, l);
            }
            s.push(')');
        }
        Geometry::Polygon(p) => {
            s.push_str("POLYGON");
            write_polygon(&mut s, p);
        }
        Geometry::MultiPolygon(ps) => {
            s.push_str("MULTIPOLYGON(");
            for (i, p) in ps.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                write_polygon(&mut s, p);
            }
            s.push(')');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_type() {
        for t in [
            "POINT(1 2)",
            "LINESTRING(0 0,1 1,2 0.5)",
            "POLYGON((0 0,1 0,1 1,0 0),(0.2 0.2,0.3 0.2,0.3 0.3,0.2 0.2))",
            "MULTIPOINT(1 2,3 4)",
            "MULTILINESTRING((0 0,1 1),(2 2,3 3))",
            "MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))",
        ] {
            let g = parse_wkt(t).unwrap();
            assert_eq!(to_wkt(&g), t);
        }
    }

    #[test]
    fn accepts_z_srid_and_nested_multipoint() {
        assert_eq!(
            parse_wkt("SRID=4326;point z (1 2 3)").unwrap(),
            Geometry::Point(Coord::new(1., 2.))
        );
        assert_eq!(
            parse_wkt("MULTIPOINT((1 2),(3 4))").unwrap(),
            Geometry::MultiPoint(vec![Coord::new(1., 2.), Coord::new(3., 4.)])
        );
    }

    #[test]
    fn errors_give_offsets() {
        let e = parse_wkt("POLYGON((0 0,1 0").unwrap_err();
        assert!(matches!(e, GeoError::Wkt { .. }), "{e}");
        assert!(
            parse_wkt("CIRCLE(1 2)")
                .unwrap_err()
                .to_string()
                .contains("CIRCLE")
        );
        assert!(parse_wkt("POINT(1 2) x").is_err());
    }

    #[test]
    fn numbers_beyond_f64_are_refused() {
        // Found by the fuzzer: -1e4001 read as -inf and written back as "-inf".
        let e = parse_wkt("LINESTRING(179.5 0,-179.5 -1e4001)").unwrap_err();
        assert!(e.to_string().contains("-1e4001 is too large"), "{e}");
    }
}
