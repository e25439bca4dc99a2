//! KML reader: Placemarks with Point, LineString, Polygon (outer and inner boundaries) and
//! MultiGeometry; the id from `ExtendedData` (`Data`/`SimpleData` named id), else the Placemark's
//! `id` attribute; status, type/hazard_type and radius from `ExtendedData` too; name from `name`.

use crate::error::GeoError;
use crate::feature::{Collection, Feature, FeatureId, Properties};
use crate::geom::{Coord, Geometry, Polygon};
use crate::validate::validate;
use crate::xml::{XmlEvent, walk};

/// Parses a KML `coordinates` text: tuples `lon,lat[,alt]` separated by blanks.
pub(crate) fn parse_kml_coords(t: &str) -> Result<Vec<Coord>, String> {
    let mut out = Vec::new();
    for tuple in t.split_whitespace() {
        let mut it = tuple.split(',');
        let lon = it.next().and_then(|v| v.trim().parse::<f64>().ok());
        let lat = it.next().and_then(|v| v.trim().parse::<f64>().ok());
        match (lon, lat) {
            (Some(lon), Some(lat)) => out.push(Coord::new(lon, lat)),
            _ => {
                return Err(format!(
                    "bad coordinate tuple {tuple:?} (expected lon,lat[,alt])"
                ));
            }
        }
    }
    Ok(out)
}

/// The ExtendedData names read into [`Properties`]' own fields (not into its attributes).
const CORE_KEYS: &[&str] = &[
    "id",
    "status",
    "hazard_type",
    "type",
    "radius",
    "radius_m",
    "name",
];

#[derive(Default)]
struct Placemark {
    attr_id: Option<String>,
    data: Vec<(String, String)>,
    name: Option<String>,
    points: Vec<Coord>,
    lines: Vec<Vec<Coord>>,
    polygons: Vec<Polygon>,
    outer: Option<Vec<Coord>>,
    inner: Vec<Vec<Coord>>,
    data_name: Option<String>,
}

fn id_of(s: &str) -> FeatureId {
    match s.trim().parse::<i64>() {
        Ok(i) => FeatureId::Int(i),
        Err(_) => FeatureId::Str(s.trim().to_string()),
    }
}

impl Placemark {
    fn datum(&self, names: &[&str]) -> Option<String> {
        self.data
            .iter()
            .find(|(k, _)| names.contains(&k.to_ascii_lowercase().as_str()))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn into_feature(self, index: usize) -> Result<Feature, String> {
        let radius_m = match self.datum(&["radius", "radius_m"]) {
            Some(r) => Some(
                r.parse::<f64>()
                    .map_err(|_| format!("radius {r:?} is not a number"))?,
            ),
            None => None,
        };
        let id = self
            .datum(&["id"])
            .map(|s| id_of(&s))
            .or_else(|| self.attr_id.as_deref().map(id_of));
        let status = self.datum(&["status"]);
        let hazard_type = self.datum(&["hazard_type", "type"]);
        let parts = usize::from(!self.points.is_empty())
            + usize::from(!self.lines.is_empty())
            + usize::from(!self.polygons.is_empty());
        if parts > 1 {
            return Err(format!(
                "Placemark #{index} mixes points, lines and polygons; split it"
            ));
        }
        let geometry = if !self.polygons.is_empty() {
            let mut ps = self.polygons;
            Some(if ps.len() == 1 {
                Geometry::Polygon(ps.remove(0))
            } else {
                Geometry::MultiPolygon(ps)
            })
        } else if !self.lines.is_empty() {
            let mut ls = self.lines;
            Some(if ls.len() == 1 {
                Geometry::LineString(ls.remove(0))
            } else {
                Geometry::MultiLineString(ls)
            })
        } else if !self.points.is_empty() {
            let mut ps = self.points;
            Some(if ps.len() == 1 {
                Geometry::Point(ps.remove(0))
            } else {
                Geometry::MultiPoint(ps)
            })
        } else {
            None
        };
        let mut attributes = serde_json::Map::new();
        for (k, v) in self.data {
            let key = k.trim();
            let lower = key.to_ascii_lowercase();
            if CORE_KEYS.contains(&lower.as_str()) || key.is_empty() {
                continue;
            }
            // The first value of a name wins (a file that repeats one keeps the first).
            attributes
                .entry(key.to_string())
                .or_insert(serde_json::Value::String(v.trim().to_string()));
        }
        Ok(Feature {
            index,
            properties: Properties {
                status,
                hazard_type,
                name: self.name,
                radius_m,
                attributes,
            },
            id,
            geometry,
        })
    }
}

/// Reads and validates KML from a reader.
pub fn read_kml_from(source_name: &str, input: impl std::io::Read) -> Result<Collection, GeoError> {
    read_kml(source_name, &crate::error::read_source(source_name, input)?)
}

/// Reads and validates KML text.
pub fn read_kml(source_name: &str, text: &[u8]) -> Result<Collection, GeoError> {
    let mut features = Vec::new();
    let mut cur: Option<Placemark> = None;
    walk(source_name, text, |path, ev| {
        match ev {
            XmlEvent::Start(name, attrs) => {
                if name == "Placemark" {
                    cur = Some(Placemark {
                        attr_id: attrs
                            .iter()
                            .find(|(k, _)| k == "id")
                            .map(|(_, v)| v.clone()),
                        ..Placemark::default()
                    });
                } else if let Some(pm) = cur.as_mut()
                    && (name == "Data" || name == "SimpleData")
                {
                    pm.data_name = attrs
                        .iter()
                        .find(|(k, _)| k == "name")
                        .map(|(_, v)| v.clone());
                }
            }
            XmlEvent::End(name, t) => {
                let Some(pm) = cur.as_mut() else {
                    return Ok(());
                };
                let parent = path.len().checked_sub(2).map(|i| path[i].as_str());
                match name {
                    "name" if parent == Some("Placemark") => pm.name = Some(t.trim().to_string()),
                    "value" if parent == Some("Data") => {
                        if let Some(k) = pm.data_name.clone() {
                            pm.data.push((k, t.to_string()));
                        }
                    }
                    "SimpleData" => {
                        if let Some(k) = pm.data_name.take() {
                            pm.data.push((k, t.to_string()));
                        }
                    }
                    "coordinates" => {
                        let cs = parse_kml_coords(t)?;
                        match parent {
                            Some("Point") => pm.points.extend(cs),
                            Some("LineString") => pm.lines.push(cs),
                            Some("LinearRing") => {
                                let grand = path.len().checked_sub(3).map(|i| path[i].as_str());
                                match grand {
                                    Some("outerBoundaryIs") => pm.outer = Some(cs),
                                    Some("innerBoundaryIs") => pm.inner.push(cs),
                                    _ => return Err("LinearRing outside a Polygon boundary".into()),
                                }
                            }
                            _ => {}
                        }
                    }
                    "Polygon" => {
                        let Some(outer) = pm.outer.take() else {
                            return Err("Polygon without outerBoundaryIs".into());
                        };
                        pm.polygons.push(Polygon {
                            exterior: outer,
                            holes: std::mem::take(&mut pm.inner),
                        });
                    }
                    "Placemark" => {
                        if let Some(pm) = cur.take() {
                            let index = features.len();
                            features.push(pm.into_feature(index)?);
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    })?;
    validate(source_name, features, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark id="pm1"><name>Field A &amp; B</name>
 <ExtendedData><Data name="id"><value>17</value></Data><Data name="status"><value>confirmed</value></Data></ExtendedData>
 <Polygon><outerBoundaryIs><LinearRing><coordinates>
   102.0,10.0,0 102.0,10.01,0 102.01,10.01,0 102.01,10.0,0 102.0,10.0,0
 </coordinates></LinearRing></outerBoundaryIs></Polygon>
</Placemark>
<Placemark><name>report</name><ExtendedData><SchemaData><SimpleData name="radius">50</SimpleData></SchemaData></ExtendedData>
 <Point><coordinates>102.5,11.5</coordinates></Point></Placemark>
</Document></kml>"#;

    #[test]
    fn reads_placemarks() {
        let c = read_kml("a.kml", KML.as_bytes()).unwrap();
        assert_eq!(c.features.len(), 2);
        let f = &c.features[0];
        assert_eq!(f.id, Some(FeatureId::Int(17)));
        assert_eq!(f.properties.status.as_deref(), Some("confirmed"));
        assert_eq!(f.properties.name.as_deref(), Some("Field A & B"));
        // The ring was clockwise: fixed and reported.
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.features[1].properties.radius_m, Some(50.0));
        assert_eq!(
            c.features[1].geometry,
            Some(Geometry::Point(Coord::new(102.5, 11.5)))
        );
    }

    #[test]
    fn errors_name_the_place() {
        let e = read_kml(
            "b.kml",
            b"<kml><Placemark><Point><coordinates>1;2</coordinates></Point></Placemark></kml>",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("b.kml: line 1"), "{e}");
        assert!(e.to_string().contains("bad coordinate tuple"), "{e}");
        let e = read_kml("b.kml", b"<kml><Placemark>").unwrap_err();
        assert!(
            e.to_string().contains("never closed") || e.to_string().contains("XML"),
            "{e}"
        );
    }
}
