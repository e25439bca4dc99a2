//! Writers: hazardous areas as GeoJSON, KML, GPX or CSV text, the counterparts of the readers.
//!
//! They take plain data ([`OutFeature`]: an id, the few attributes every format carries, the
//! shape, and for GeoJSON a free map of properties), so that this crate knows nothing of how a
//! store keeps its areas. No I/O: each writer returns the text.

use std::fmt::Write as _;

use crate::error::GeoError;
use crate::feature::HazardShape;
use crate::geom::{Coord, Geometry, Polygon};

/// The file formats of hazardous areas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// GeoJSON (RFC 7946).
    Geojson,
    /// KML.
    Kml,
    /// GPX: circles as waypoints with a radius, polygons as closed tracks.
    Gpx,
    /// CSV with a WKT geometry column.
    Csv,
}

impl FileFormat {
    /// The format a file name's extension says (`.geojson`/`.json`, `.kml`, `.gpx`, `.csv`, in
    /// any case), if any.
    pub fn from_path(p: &std::path::Path) -> Option<FileFormat> {
        let ext = p.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "geojson" | "json" => Some(FileFormat::Geojson),
            "kml" => Some(FileFormat::Kml),
            "gpx" => Some(FileFormat::Gpx),
            "csv" => Some(FileFormat::Csv),
            _ => None,
        }
    }
}

/// Reads features in `format` from a file's bytes (`name` labels faults), validated; the
/// GeoJSON reader parses on `threads` threads.
pub fn read_features(
    format: FileFormat,
    name: &str,
    bytes: &[u8],
    threads: usize,
) -> Result<crate::Collection, crate::GeoError> {
    match format {
        FileFormat::Geojson => crate::geojson::read_geojson(name, bytes, threads),
        FileFormat::Kml => crate::kml::read_kml(name, bytes),
        FileFormat::Gpx => crate::gpx::read_gpx(name, bytes),
        FileFormat::Csv => crate::csvfmt::read_features_csv(name, bytes),
    }
}

/// One feature to write.
#[derive(Clone, Debug, PartialEq)]
pub struct OutFeature<'a> {
    /// The id (GeoJSON feature id and `id` property; KML, GPX and CSV `id`).
    pub id: i64,
    /// A name or label.
    pub name: Option<&'a str>,
    /// The status word.
    pub status: String,
    /// SHA or CHA.
    pub hazard_type: String,
    /// The State, if known (KML and CSV).
    pub iso3: Option<&'a str>,
    /// Where it is.
    pub shape: &'a HazardShape,
    /// GeoJSON only: the feature's whole `properties` object.
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// The radius of a point hazard.
pub fn radius(shape: &HazardShape) -> Option<f64> {
    match shape {
        HazardShape::Circle { radius_m, .. } => Some(*radius_m),
        _ => None,
    }
}

fn ring_json(r: &[Coord]) -> serde_json::Value {
    serde_json::Value::Array(
        r.iter()
            .map(|c| serde_json::json!([c.lon, c.lat]))
            .collect(),
    )
}

fn poly_json(p: &Polygon) -> serde_json::Value {
    serde_json::Value::Array(p.rings().map(|r| ring_json(r)).collect())
}

/// A geometry as a GeoJSON geometry object.
pub fn geometry_json(g: &Geometry) -> serde_json::Value {
    match g {
        Geometry::Point(c) => serde_json::json!({"type": "Point", "coordinates": [c.lon, c.lat]}),
        Geometry::MultiPoint(cs) => {
            serde_json::json!({"type": "MultiPoint", "coordinates": ring_json(cs)})
        }
        Geometry::LineString(cs) => {
            serde_json::json!({"type": "LineString", "coordinates": ring_json(cs)})
        }
        Geometry::MultiLineString(ls) => {
            serde_json::json!({"type": "MultiLineString", "coordinates": ls.iter().map(|l| ring_json(l)).collect::<Vec<_>>()})
        }
        Geometry::Polygon(p) => serde_json::json!({"type": "Polygon", "coordinates": poly_json(p)}),
        Geometry::MultiPolygon(ps) => {
            serde_json::json!({"type": "MultiPolygon", "coordinates": ps.iter().map(poly_json).collect::<Vec<_>>()})
        }
    }
}

/// Escapes text for XML content and attribute values.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn kml_coords(r: &[Coord]) -> String {
    r.iter()
        .map(|c| format!("{},{}", c.lon, c.lat))
        .collect::<Vec<_>>()
        .join(" ")
}

fn kml_polygon(p: &Polygon) -> String {
    let mut s = format!(
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></outerBoundaryIs>",
        kml_coords(&p.exterior)
    );
    for h in &p.holes {
        let _ = write!(
            s,
            "<innerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></innerBoundaryIs>",
            kml_coords(h)
        );
    }
    s.push_str("</Polygon>");
    s
}

/// The features in a format.
pub fn write_features(features: &[OutFeature<'_>], format: FileFormat) -> Result<String, GeoError> {
    match format {
        FileFormat::Geojson => Ok(write_geojson(features)),
        FileFormat::Kml => Ok(write_kml(features)),
        FileFormat::Gpx => Ok(write_gpx(features)),
        FileFormat::Csv => write_csv(features),
    }
}

/// A GeoJSON FeatureCollection, one feature per line.
pub fn write_geojson(features: &[OutFeature<'_>]) -> String {
    let mut s = String::new();
    s.push_str("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (i, x) in features.iter().enumerate() {
        let f = serde_json::json!({
            "type": "Feature",
            "id": x.id,
            "properties": x.properties,
            "geometry": geometry_json(&x.shape.to_geometry()),
        });
        if i > 0 {
            s.push_str(",\n");
        }
        s.push_str(&f.to_string());
    }
    s.push_str("\n]}\n");
    s
}

/// A KML document: one Placemark per feature, its attributes as ExtendedData.
pub fn write_kml(features: &[OutFeature<'_>]) -> String {
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document><name>demine hazardous areas</name>\n");
    for x in features {
        let _ = write!(
            s,
            "<Placemark><name>{}</name><ExtendedData>",
            xml_escape(x.name.unwrap_or(""))
        );
        let mut data = vec![
            ("id", x.id.to_string()),
            ("status", x.status.clone()),
            ("hazard_type", x.hazard_type.clone()),
        ];
        if let Some(r) = radius(x.shape) {
            data.push(("radius", r.to_string()));
        }
        if let Some(i) = x.iso3 {
            data.push(("iso3", i.to_string()));
        }
        for (k, v) in data {
            let _ = write!(
                s,
                "<Data name=\"{k}\"><value>{}</value></Data>",
                xml_escape(&v)
            );
        }
        s.push_str("</ExtendedData>");
        match x.shape {
            HazardShape::Polygon(p) => s.push_str(&kml_polygon(p)),
            HazardShape::MultiPolygon(ps) => {
                s.push_str("<MultiGeometry>");
                for p in ps {
                    s.push_str(&kml_polygon(p));
                }
                s.push_str("</MultiGeometry>");
            }
            HazardShape::Circle { center, .. } => {
                let _ = write!(
                    s,
                    "<Point><coordinates>{},{}</coordinates></Point>",
                    center.lon, center.lat
                );
            }
        }
        s.push_str("</Placemark>\n");
    }
    s.push_str("</Document></kml>\n");
    s
}

/// A GPX document: circles as waypoints (first, as GPX orders them), polygons as tracks of their
/// exterior rings.
pub fn write_gpx(features: &[OutFeature<'_>]) -> String {
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"demine\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n");
    let ext = |x: &OutFeature<'_>, r: Option<f64>| {
        format!(
            "<extensions><id>{}</id><status>{}</status><hazard_type>{}</hazard_type>{}</extensions>",
            x.id,
            xml_escape(&x.status),
            x.hazard_type,
            r.map(|r| format!("<radius>{r}</radius>"))
                .unwrap_or_default()
        )
    };
    for x in features {
        if let HazardShape::Circle { center, radius_m } = x.shape {
            let _ = writeln!(
                s,
                "<wpt lat=\"{}\" lon=\"{}\"><name>{}</name>{}</wpt>",
                center.lat,
                center.lon,
                xml_escape(x.name.unwrap_or("")),
                ext(x, Some(*radius_m))
            );
        }
    }
    for x in features {
        let polys: &[Polygon] = match x.shape {
            HazardShape::Polygon(p) => std::slice::from_ref(p),
            HazardShape::MultiPolygon(ps) => ps,
            HazardShape::Circle { .. } => continue,
        };
        let _ = write!(
            s,
            "<trk><name>{}</name>{}",
            xml_escape(x.name.unwrap_or("")),
            ext(x, None)
        );
        for p in polys {
            s.push_str("<trkseg>");
            for c in &p.exterior {
                let _ = write!(s, "<trkpt lat=\"{}\" lon=\"{}\"/>", c.lat, c.lon);
            }
            s.push_str("</trkseg>");
        }
        s.push_str("</trk>\n");
    }
    s.push_str("</gpx>\n");
    s
}

/// CSV with a header: id, status, hazard_type, name, iso3, radius_m, wkt.
pub fn write_csv(features: &[OutFeature<'_>]) -> Result<String, GeoError> {
    let fail = |e: &dyn std::fmt::Display, line: u64| GeoError::Csv {
        source_name: "CSV output".into(),
        line,
        message: e.to_string(),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "status",
        "hazard_type",
        "name",
        "iso3",
        "radius_m",
        "wkt",
    ])
    .map_err(|e| fail(&e, 1))?;
    for (i, x) in features.iter().enumerate() {
        w.write_record([
            x.id.to_string(),
            x.status.clone(),
            x.hazard_type.clone(),
            x.name.unwrap_or_default().to_string(),
            x.iso3.unwrap_or_default().to_string(),
            radius(x.shape).map(|r| r.to_string()).unwrap_or_default(),
            crate::wkt::to_wkt(&x.shape.to_geometry()),
        ])
        .map_err(|e| fail(&e, i as u64 + 2))?;
    }
    let bytes = w.into_inner().map_err(|e| fail(&e, 0))?;
    String::from_utf8(bytes).map_err(|e| fail(&e, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feature::{HazardRecord, hazard_records};

    fn square(x: f64, y: f64, d: f64) -> Polygon {
        Polygon::new(vec![
            Coord::new(x, y),
            Coord::new(x + d, y),
            Coord::new(x + d, y + d),
            Coord::new(x, y + d),
            Coord::new(x, y),
        ])
    }

    fn shapes() -> Vec<HazardShape> {
        let mut holed = square(104.0, 12.0, 0.01);
        // A clockwise hole, as the readers' validation leaves it.
        holed.holes.push(vec![
            Coord::new(104.002, 12.002),
            Coord::new(104.002, 12.004),
            Coord::new(104.004, 12.004),
            Coord::new(104.004, 12.002),
            Coord::new(104.002, 12.002),
        ]);
        vec![
            HazardShape::Polygon(holed),
            HazardShape::MultiPolygon(vec![square(105.0, 13.0, 0.01), square(105.1, 13.1, 0.02)]),
            HazardShape::Circle {
                center: Coord::new(103.5, 11.25),
                radius_m: 25.5,
            },
        ]
    }

    fn features(shapes: &[HazardShape]) -> Vec<OutFeature<'_>> {
        shapes
            .iter()
            .enumerate()
            .map(|(i, shape)| {
                let id = 10 + i as i64;
                let mut properties = serde_json::Map::new();
                properties.insert("id".into(), id.into());
                properties.insert("status".into(), "confirmed".into());
                properties.insert("type".into(), "CHA".into());
                properties.insert("name".into(), "A & <B>".into());
                if let Some(r) = radius(shape) {
                    properties.insert("radius".into(), r.into());
                }
                OutFeature {
                    id,
                    name: Some("A & <B>"),
                    status: "confirmed".into(),
                    hazard_type: "CHA".into(),
                    iso3: Some("KHM"),
                    shape,
                    properties,
                }
            })
            .collect()
    }

    fn read_back(format: FileFormat, text: &str) -> Vec<HazardRecord> {
        let c = read_features(format, "t", text.as_bytes(), 1).unwrap();
        assert!(c.warnings.is_empty(), "{format:?}: {:?}", c.warnings);
        let mut r = hazard_records("t", c.features).unwrap();
        r.sort_by_key(|r| r.id);
        r
    }

    #[test]
    fn every_format_round_trips_ids_and_geometry() {
        let shapes = shapes();
        let fs = features(&shapes);
        for format in [FileFormat::Geojson, FileFormat::Kml, FileFormat::Csv] {
            let text = write_features(&fs, format).unwrap();
            let back = read_back(format, &text);
            assert_eq!(back.len(), 3, "{format:?}");
            for (r, f) in back.iter().zip(&fs) {
                assert_eq!(r.id, f.id, "{format:?}");
                assert_eq!(&r.shape, f.shape, "{format:?}");
                assert_eq!(r.status, "confirmed", "{format:?}");
            }
        }
    }

    #[test]
    fn gpx_round_trips_circles_and_exterior_rings() {
        use crate::feature::FeatureId;
        let shapes = shapes();
        let fs = features(&shapes);
        let text = write_features(&fs, FileFormat::Gpx).unwrap();
        let c = crate::gpx::read_gpx("t", text.as_bytes()).unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let by_id = |id: i64| {
            c.features
                .iter()
                .find(|f| match &f.id {
                    Some(FeatureId::Int(i)) => *i == id,
                    Some(FeatureId::Str(s)) => s == &id.to_string(),
                    None => false,
                })
                .unwrap()
        };
        // The circle comes back as a waypoint with its radius.
        let circle = hazard_records("t", vec![by_id(12).clone()]).unwrap();
        assert_eq!(&circle[0].shape, fs[2].shape);
        assert_eq!(circle[0].status, "confirmed");
        // Polygons travel as closed tracks of their exterior rings (GPX has no areas or holes).
        assert_eq!(
            by_id(10).geometry,
            Some(Geometry::LineString(match fs[0].shape {
                HazardShape::Polygon(p) => p.exterior.clone(),
                _ => unreachable!(),
            }))
        );
        let parts = match fs[1].shape {
            HazardShape::MultiPolygon(ps) => ps.iter().map(|p| p.exterior.clone()).collect(),
            _ => unreachable!(),
        };
        assert_eq!(by_id(11).geometry, Some(Geometry::MultiLineString(parts)));
    }

    #[test]
    fn geojson_text_is_stable() {
        let shape = HazardShape::Circle {
            center: Coord::new(1.5, -2.0),
            radius_m: 10.0,
        };
        let mut properties = serde_json::Map::new();
        properties.insert("id".into(), 7.into());
        let f = OutFeature {
            id: 7,
            name: None,
            status: "open".into(),
            hazard_type: "SHA".into(),
            iso3: None,
            shape: &shape,
            properties,
        };
        assert_eq!(
            write_geojson(&[f]),
            "{\"type\":\"FeatureCollection\",\"features\":[\n\
             {\"geometry\":{\"coordinates\":[1.5,-2.0],\"type\":\"Point\"},\"id\":7,\
             \"properties\":{\"id\":7},\"type\":\"Feature\"}\n]}\n"
        );
    }

    #[test]
    fn xml_is_escaped() {
        assert_eq!(xml_escape("a&b<c>\"d\""), "a&amp;b&lt;c&gt;&quot;d&quot;");
        let shape = HazardShape::Circle {
            center: Coord::new(0.0, 0.0),
            radius_m: 1.0,
        };
        let f = OutFeature {
            id: 1,
            name: Some("<x>"),
            status: "a&b".into(),
            hazard_type: "SHA".into(),
            iso3: None,
            shape: &shape,
            properties: serde_json::Map::new(),
        };
        let kml = write_kml(std::slice::from_ref(&f));
        assert!(kml.contains("<name>&lt;x&gt;</name>"), "{kml}");
        assert!(kml.contains("<value>a&amp;b</value>"), "{kml}");
        let gpx = write_gpx(&[f]);
        assert!(gpx.contains("<status>a&amp;b</status>"), "{gpx}");
    }
}
