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
    /// KMZ: KML zipped (Google Earth's default). Written as KML text by [`write_features`];
    /// [`crate::kmz::write_kmz`] zips it.
    Kmz,
}

impl FileFormat {
    /// The format a file name's extension says (`.geojson`/`.json`, `.kml`, `.kmz`, `.gpx`, `.csv`, in
    /// any case), if any.
    pub fn from_path(p: &std::path::Path) -> Option<FileFormat> {
        let ext = p.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "geojson" | "json" => Some(FileFormat::Geojson),
            "kml" => Some(FileFormat::Kml),
            "gpx" => Some(FileFormat::Gpx),
            "csv" => Some(FileFormat::Csv),
            "kmz" => Some(FileFormat::Kmz),
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
        FileFormat::Kmz => crate::kmz::read_kmz(name, bytes),
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
        FileFormat::Kml | FileFormat::Kmz => Ok(write_kml(features)),
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

/// The namespace of demine's GPX extension elements (GPX 1.1 allows extensions only from
/// another namespace than its own).
pub const GPX_NS: &str = "urn:x-demine:gpx:1";

/// Every attribute of a feature as a flat map: its `properties`, plus id, name, status, type,
/// iso3 and (for a circle) radius_m when the properties do not give them.
pub fn feature_fields(x: &OutFeature<'_>) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), x.id.into());
    if let Some(n) = x.name {
        m.insert("name".into(), n.into());
    }
    if !x.status.is_empty() {
        m.insert("status".into(), x.status.clone().into());
    }
    if !x.hazard_type.is_empty() {
        m.insert("type".into(), x.hazard_type.clone().into());
    }
    if let Some(i) = x.iso3 {
        m.insert("iso3".into(), i.into());
    }
    if let Some(r) = radius(x.shape) {
        m.insert("radius_m".into(), r.into());
    }
    for (k, v) in &x.properties {
        m.insert(k.clone(), v.clone());
    }
    m
}

/// The typed fields of a set of features (see [`crate::attrs::schema`]).
pub fn feature_schema(features: &[OutFeature<'_>]) -> Vec<(String, crate::attrs::FieldType)> {
    let maps: Vec<_> = features.iter().map(feature_fields).collect();
    crate::attrs::schema(&maps)
}

/// The KML style of a feature: by whether its status counts as a hazard, and its type.
fn kml_style(x: &OutFeature<'_>) -> &'static str {
    if !crate::status::counts_as_hazard(&x.status) {
        "released"
    } else if x.hazard_type.eq_ignore_ascii_case("CHA") {
        "hazard-CHA"
    } else {
        "hazard-SHA"
    }
}

const KML_STYLES: &str = "<Style id=\"hazard-CHA\"><IconStyle><color>ff0000ff</color></IconStyle>\
<LineStyle><color>ff0000ff</color><width>2</width></LineStyle><PolyStyle><color>660000ff</color></PolyStyle></Style>\n\
<Style id=\"hazard-SHA\"><IconStyle><color>ff0080ff</color></IconStyle>\
<LineStyle><color>ff0080ff</color><width>2</width></LineStyle><PolyStyle><color>660080ff</color></PolyStyle></Style>\n\
<Style id=\"released\"><IconStyle><color>ff00aa00</color></IconStyle>\
<LineStyle><color>ff00aa00</color><width>1</width></LineStyle><PolyStyle><color>3300aa00</color></PolyStyle></Style>\n";

/// A KML document: styles by status (hazard or released) and type (SHA, CHA), one `Document`
/// (a folder, and a layer in GIS) per State with a typed `Schema` of every attribute, and per feature a Placemark with its attributes
/// as `SchemaData` and a plain-text description (for readers that show only name and
/// description).
pub fn write_kml(features: &[OutFeature<'_>]) -> String {
    let schema = feature_schema(features);
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document id=\"demine\"><name>demine hazardous areas</name>\n");
    s.push_str(KML_STYLES);
    // Folders per State, in the order the States first appear.
    let mut states: Vec<Option<&str>> = Vec::new();
    for x in features {
        if !states.contains(&x.iso3) {
            states.push(x.iso3);
        }
    }
    for state in states {
        // One Document per State, each with its own Schema: GDAL's LIBKML driver (QGIS) reads
        // the typed fields of a KMZ only from a Schema in the layer's own Document.
        let label = state.unwrap_or("no State");
        let sid = format!("schema-{}", xml_name(label));
        let _ = write!(
            s,
            "<Document id=\"state-{}\"><name>{}</name><Schema name=\"demine_area\" id=\"{sid}\">",
            xml_name(label),
            xml_escape(label)
        );
        for (k, t) in &schema {
            let _ = write!(
                s,
                "<SimpleField name=\"{}\" type=\"{}\"/>",
                xml_escape(k),
                t.kml()
            );
        }
        s.push_str("</Schema>\n");
        for x in features.iter().filter(|x| x.iso3 == state) {
            let fields = feature_fields(x);
            let _ = write!(
                s,
                "<Placemark id=\"area-{}\"><name>{}</name>",
                x.id,
                xml_escape(x.name.unwrap_or(""))
            );
            let mut desc = String::new();
            for (k, v) in &fields {
                if let Some(t) = crate::attrs::flat_text(v) {
                    let _ = writeln!(desc, "{k}: {t}");
                }
            }
            let _ = write!(
                s,
                "<description>{}</description><styleUrl>#{}</styleUrl><ExtendedData><SchemaData schemaUrl=\"#{sid}\">",
                xml_escape(desc.trim_end()),
                kml_style(x)
            );
            for (k, _) in &schema {
                if let Some(t) = fields.get(k).and_then(crate::attrs::flat_text) {
                    let _ = write!(
                        s,
                        "<SimpleData name=\"{}\">{}</SimpleData>",
                        xml_escape(k),
                        xml_escape(&t)
                    );
                }
            }
            s.push_str("</SchemaData></ExtendedData>");
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
        s.push_str("</Document>\n");
    }
    s.push_str("</Document></kml>\n");
    s
}

/// An XML element name for an attribute key (letters, digits, `_`, `-`, `.`; anything else
/// becomes `_`, and a name must not start with a digit).
fn xml_name(k: &str) -> String {
    let mut n: String = k
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !n.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        n.insert(0, '_');
    }
    n
}

/// The GPX `extensions` of a feature: every attribute (but name and type, which GPX has
/// elements for) as an element in demine's namespace, and for an area the marker
/// `demine:geometry` = `polygon`.
fn gpx_extensions(x: &OutFeature<'_>, area: bool) -> String {
    let mut s = String::from("<extensions>");
    for (k, v) in feature_fields(x) {
        if k == "name" || k == "type" {
            continue;
        }
        if let Some(t) = crate::attrs::flat_text(&v) {
            let n = xml_name(&k);
            let _ = write!(s, "<demine:{n}>{}</demine:{n}>", xml_escape(&t));
        }
    }
    if area {
        s.push_str("<demine:geometry>polygon</demine:geometry>");
    }
    s.push_str("</extensions>");
    s
}

/// A GPX 1.1 document, valid against its schema: circles as waypoints (first, as GPX orders
/// them) with the radius in `demine:radius_m`; polygons as tracks marked as areas (`<type>` is the
/// hazard type, `demine:geometry` says polygon), one segment per ring, holes marked
/// `demine:ring` = `hole` in the segment's extensions. Every attribute is an extension element
/// in demine's namespace ([`GPX_NS`]).
pub fn write_gpx(features: &[OutFeature<'_>]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"demine\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\" xmlns:demine=\"{GPX_NS}\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd\">"
    );
    let head = |x: &OutFeature<'_>| {
        let mut h = String::new();
        if let Some(n) = x.name {
            let _ = write!(h, "<name>{}</name>", xml_escape(n));
        }
        if !x.hazard_type.is_empty() {
            let _ = write!(h, "<type>{}</type>", xml_escape(&x.hazard_type));
        }
        h
    };
    for x in features {
        if let HazardShape::Circle { center, .. } = x.shape {
            let _ = writeln!(
                s,
                "<wpt lat=\"{}\" lon=\"{}\">{}{}</wpt>",
                center.lat,
                center.lon,
                head(x),
                gpx_extensions(x, false)
            );
        }
    }
    for x in features {
        let polys: &[Polygon] = match x.shape {
            HazardShape::Polygon(p) => std::slice::from_ref(p),
            HazardShape::MultiPolygon(ps) => ps,
            HazardShape::Circle { .. } => continue,
        };
        let _ = write!(s, "<trk>{}{}", head(x), gpx_extensions(x, true));
        for p in polys {
            for (i, ring) in p.rings().enumerate() {
                s.push_str("<trkseg>");
                for c in ring {
                    let _ = write!(s, "<trkpt lat=\"{}\" lon=\"{}\"/>", c.lat, c.lon);
                }
                if i > 0 {
                    s.push_str("<extensions><demine:ring>hole</demine:ring></extensions>");
                }
                s.push_str("</trkseg>");
            }
        }
        s.push_str("</trk>\n");
    }
    s.push_str("</gpx>\n");
    s
}

/// CSV with a header of every attribute (see [`feature_fields`]) and a `wkt` geometry column
/// last. [`write_csvt`] gives GDAL the column types and [`WGS84_PRJ`] the CRS.
pub fn write_csv(features: &[OutFeature<'_>]) -> Result<String, GeoError> {
    let fail = |e: &dyn std::fmt::Display, line: u64| GeoError::Csv {
        source_name: "CSV output".into(),
        line,
        message: e.to_string(),
    };
    let schema = csv_schema(features);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = schema.iter().map(|(k, _)| k.as_str()).collect();
    header.push("wkt");
    w.write_record(&header).map_err(|e| fail(&e, 1))?;
    for (i, x) in features.iter().enumerate() {
        let fields = feature_fields(x);
        let mut row: Vec<String> = schema
            .iter()
            .map(|(k, _)| {
                fields
                    .get(k)
                    .and_then(crate::attrs::flat_text)
                    .unwrap_or_default()
            })
            .collect();
        row.push(crate::wkt::to_wkt(&x.shape.to_geometry()));
        w.write_record(&row).map_err(|e| fail(&e, i as u64 + 2))?;
    }
    let bytes = w.into_inner().map_err(|e| fail(&e, 0))?;
    String::from_utf8(bytes).map_err(|e| fail(&e, 0))
}

fn csv_schema(features: &[OutFeature<'_>]) -> Vec<(String, crate::attrs::FieldType)> {
    let mut schema = feature_schema(features);
    // The geometry column is written last, under its own name.
    schema.retain(|(k, _)| !k.eq_ignore_ascii_case("wkt"));
    schema
}

/// The `.csvt` GDAL reads beside a CSV from [`write_csv`]: one type per column, from the values
/// written (Integer64 where every value is a whole number, Real where every value is a number,
/// String otherwise; WKT for the `wkt` column).
pub fn csvt_for(csv_text: &str) -> String {
    use crate::attrs::FieldType;
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let header: Vec<String> = match r.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(_) => return String::new(),
    };
    let mut types: Vec<Option<FieldType>> = vec![None; header.len()];
    for rec in r.records().flatten() {
        for (i, v) in rec.iter().enumerate() {
            let v = v.trim();
            if v.is_empty() || i >= types.len() {
                continue;
            }
            let t = if v.parse::<i64>().is_ok() {
                FieldType::Integer
            } else if v.parse::<f64>().is_ok() {
                FieldType::Real
            } else {
                FieldType::Text
            };
            types[i] = Some(match (types[i], t) {
                (None, t) => t,
                (Some(a), b) if a == b => a,
                (Some(FieldType::Integer), FieldType::Real)
                | (Some(FieldType::Real), FieldType::Integer) => FieldType::Real,
                _ => FieldType::Text,
            });
        }
    }
    let names: Vec<&str> = header
        .iter()
        .zip(&types)
        .map(|(h, t)| {
            if h.eq_ignore_ascii_case("wkt") {
                "WKT"
            } else {
                t.unwrap_or(FieldType::Text).csvt()
            }
        })
        .collect();
    format!("{}\n", names.join(","))
}

/// The CRS of every file demine writes (WGS 84 longitude/latitude), as the ESRI-style WKT of a
/// `.prj` file.
pub const WGS84_PRJ: &str = "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]";

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
        for format in [
            FileFormat::Geojson,
            FileFormat::Kml,
            FileFormat::Csv,
            FileFormat::Gpx,
        ] {
            let text = write_features(&fs, format).unwrap();
            let back = read_back(format, &text);
            assert_eq!(back.len(), 3, "{format:?}");
            for (r, f) in back.iter().zip(&fs) {
                assert_eq!(r.id, f.id, "{format:?}");
                assert_eq!(&r.shape, f.shape, "{format:?}");
                assert_eq!(r.status, "confirmed", "{format:?}");
                assert_eq!(r.hazard_type.as_deref(), Some("CHA"), "{format:?}");
            }
        }
    }

    #[test]
    fn every_attribute_travels_in_kml_gpx_and_csv() {
        let shapes = shapes();
        let mut fs = features(&shapes);
        for f in &mut fs {
            f.properties
                .insert("organisation".into(), "HALO Trust & co".into());
            f.properties
                .insert("devices".into(), serde_json::json!(["ap-mine", "uxo"]));
            f.properties
                .insert("benchmark".into(), serde_json::json!([104.5, 12.25]));
            f.properties.insert("reported".into(), "2023-02-11".into());
            f.properties
                .insert("admin_area".into(), "Battambang".into());
        }
        for format in [FileFormat::Kml, FileFormat::Csv, FileFormat::Gpx] {
            let text = write_features(&fs, format).unwrap();
            let c = read_features(format, "t", text.as_bytes(), 1).unwrap();
            assert_eq!(c.features.len(), 3, "{format:?}");
            for f in &c.features {
                let a = &f.properties.attributes;
                assert_eq!(a["organisation"], "HALO Trust & co", "{format:?}");
                assert_eq!(a["admin_area"], "Battambang", "{format:?}");
                assert_eq!(a["reported"], "2023-02-11", "{format:?}");
                assert_eq!(
                    crate::attrs::list_items(&a["devices"]).unwrap(),
                    ["ap-mine", "uxo"],
                    "{format:?}"
                );
                assert_eq!(
                    crate::attrs::number_pair(&a["benchmark"]).unwrap(),
                    [104.5, 12.25],
                    "{format:?}"
                );
                assert_eq!(a["iso3"], "KHM", "{format:?}");
                assert_eq!(f.properties.name.as_deref(), Some("A & <B>"), "{format:?}");
            }
        }
    }

    #[test]
    fn gpx_is_namespaced_and_marks_areas_and_holes() {
        let shapes = shapes();
        let fs = features(&shapes);
        let text = write_features(&fs, FileFormat::Gpx).unwrap();
        assert!(
            text.contains(&format!("xmlns:demine=\"{GPX_NS}\"")),
            "{text}"
        );
        assert!(text.contains("<demine:geometry>polygon</demine:geometry>"));
        assert!(text.contains("<demine:ring>hole</demine:ring>"));
        assert!(text.contains("<type>CHA</type>"));
        // No extension element outside demine's namespace.
        let ext = text.split("<extensions>").skip(1);
        for e in ext {
            let body = e.split("</extensions>").next().unwrap_or("");
            for tag in body.split('<').skip(1) {
                assert!(
                    tag.starts_with("demine:") || tag.starts_with("/demine:"),
                    "{tag}"
                );
            }
        }
    }

    #[test]
    fn gpx_tracks_not_marked_as_areas_are_lines_and_skippable() {
        let g = r#"<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">
 <wpt lat="12.5" lon="104.9"><name>A</name><extensions><radius>25</radius></extensions></wpt>
 <trk><name>walk</name><trkseg><trkpt lat="12.0" lon="104.0"/><trkpt lat="12.1" lon="104.1"/></trkseg></trk>
 <rte><type>area</type><rtept lat="12" lon="104"/><rtept lat="12" lon="104.01"/><rtept lat="12.01" lon="104.01"/><rtept lat="12" lon="104"/></rte>
</gpx>"#;
        let c = read_features(FileFormat::Gpx, "g.gpx", g.as_bytes(), 1).unwrap();
        assert!(matches!(c.features[2].geometry, Some(Geometry::Polygon(_))));
        let e = hazard_records("g.gpx", c.features.clone())
            .unwrap_err()
            .to_string();
        assert!(e.contains("#1") || e.contains("feature 1"), "{e}");
        assert!(
            e.contains("--skip-lines") && e.contains("LineString"),
            "{e}"
        );
        let mut c = c;
        assert_eq!(crate::feature::skip_lines(&mut c), 1);
        assert!(
            c.warnings
                .iter()
                .any(|w| w.to_string().contains("\"walk\""))
        );
        assert_eq!(hazard_records("g.gpx", c.features).unwrap().len(), 2);
    }

    #[test]
    fn csvt_and_prj_describe_the_csv() {
        let shapes = shapes();
        let fs = features(&shapes);
        let csv = write_csv(&fs).unwrap();
        let header = csv.lines().next().unwrap();
        let csvt = csvt_for(&csv);
        assert_eq!(
            header.split(',').count(),
            csvt.trim().split(',').count(),
            "{header} / {csvt}"
        );
        assert!(csvt.starts_with("Integer64,"), "{csvt}");
        assert!(csvt.trim().ends_with(",WKT"), "{csvt}");
        assert!(WGS84_PRJ.starts_with("GEOGCS["));
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
        assert!(
            kml.contains("<SimpleData name=\"status\">a&amp;b</SimpleData>"),
            "{kml}"
        );
        let gpx = write_gpx(&[f]);
        assert!(
            gpx.contains("<demine:status>a&amp;b</demine:status>"),
            "{gpx}"
        );
    }
}
