//! GPX reader: waypoints (points; a `radius` element anywhere inside, e.g. under `extensions`,
//! makes a point hazard with that radius), tracks (one line per segment; a multi-segment track is a
//! MultiLineString) and routes (lines). Ids, status and hazard type are read from elements named
//! `id`, `status`, `hazard_type` inside the waypoint or track; the name from `name`.

use crate::error::GeoError;
use crate::feature::{Collection, Feature, FeatureId, Properties};
use crate::geom::{Coord, Geometry};
use crate::validate::validate;
use crate::xml::{XmlEvent, walk};

#[derive(Default)]
struct Item {
    point: Option<Coord>,
    segments: Vec<Vec<Coord>>,
    props: Properties,
    id: Option<FeatureId>,
}

fn lat_lon(attrs: &[(String, String)]) -> Result<Coord, String> {
    let get = |k: &str| {
        let v = attrs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| format!("missing attribute {k}"))?;
        v.trim()
            .parse::<f64>()
            .map_err(|_| format!("attribute {k}={v:?} is not a number"))
    };
    Ok(Coord::new(get("lon")?, get("lat")?))
}

/// Reads and validates GPX from a reader.
pub fn read_gpx_from(source_name: &str, input: impl std::io::Read) -> Result<Collection, GeoError> {
    read_gpx(source_name, &crate::error::read_source(source_name, input)?)
}

/// Reads and validates GPX text.
pub fn read_gpx(source_name: &str, text: &[u8]) -> Result<Collection, GeoError> {
    let mut features = Vec::new();
    let mut cur: Option<Item> = None;
    walk(source_name, text, |_path, ev| {
        match ev {
            XmlEvent::Start(name, attrs) => match name {
                "wpt" => {
                    cur = Some(Item {
                        point: Some(lat_lon(attrs)?),
                        ..Item::default()
                    })
                }
                "trk" | "rte" => cur = Some(Item::default()),
                "trkseg" => {
                    if let Some(it) = cur.as_mut() {
                        it.segments.push(Vec::new());
                    }
                }
                "trkpt" | "rtept" => {
                    let c = lat_lon(attrs)?;
                    if let Some(it) = cur.as_mut() {
                        if name == "rtept" && it.segments.is_empty() {
                            it.segments.push(Vec::new());
                        }
                        if let Some(seg) = it.segments.last_mut() {
                            seg.push(c);
                        }
                    }
                }
                _ => {}
            },
            XmlEvent::End(name, t) => {
                let Some(it) = cur.as_mut() else {
                    return Ok(());
                };
                let t = t.trim();
                match name {
                    "name" if it.props.name.is_none() => it.props.name = Some(t.to_string()),
                    "status" => it.props.status = Some(t.to_string()),
                    "hazard_type" => it.props.hazard_type = Some(t.to_string()),
                    "radius" | "radius_m" => {
                        it.props.radius_m = Some(
                            t.parse::<f64>()
                                .map_err(|_| format!("radius {t:?} is not a number"))?,
                        )
                    }
                    "id" => {
                        it.id = Some(match t.parse::<i64>() {
                            Ok(i) => FeatureId::Int(i),
                            Err(_) => FeatureId::Str(t.to_string()),
                        })
                    }
                    "wpt" | "trk" | "rte" => {
                        if let Some(mut it) = cur.take() {
                            let geometry = if let Some(p) = it.point {
                                Geometry::Point(p)
                            } else if it.segments.len() == 1 {
                                Geometry::LineString(it.segments.remove(0))
                            } else {
                                Geometry::MultiLineString(it.segments)
                            };
                            features.push(Feature {
                                index: features.len(),
                                id: it.id,
                                properties: it.props,
                                geometry: Some(geometry),
                            });
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

    const GPX: &str = r#"<?xml version="1.0"?>
<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">
 <wpt lat="12.5" lon="104.9"><name>UXO report</name><extensions><id>9</id><radius>25</radius><status>suspected</status></extensions></wpt>
 <trk><name>road</name><trkseg><trkpt lat="12.0" lon="104.0"/><trkpt lat="12.1" lon="104.1"/></trkseg></trk>
 <rte><rtept lat="1" lon="2"/><rtept lat="1.5" lon="2.5"/></rte>
</gpx>"#;

    #[test]
    fn reads_waypoints_tracks_routes() {
        let c = read_gpx("g.gpx", GPX.as_bytes()).unwrap();
        assert_eq!(c.features.len(), 3);
        assert_eq!(c.features[0].id, Some(FeatureId::Int(9)));
        assert_eq!(c.features[0].properties.radius_m, Some(25.0));
        assert_eq!(
            c.features[0].geometry,
            Some(Geometry::Point(Coord::new(104.9, 12.5)))
        );
        assert_eq!(
            c.features[1].geometry,
            Some(Geometry::LineString(vec![
                Coord::new(104.0, 12.0),
                Coord::new(104.1, 12.1)
            ]))
        );
        assert!(matches!(
            c.features[2].geometry,
            Some(Geometry::LineString(_))
        ));
    }

    #[test]
    fn bad_attribute_is_an_error_with_position() {
        let e = read_gpx("g.gpx", br#"<gpx><wpt lat="x" lon="1"/></gpx>"#).unwrap_err();
        assert!(e.to_string().contains("attribute lat"), "{e}");
        let e = read_gpx("g.gpx", br#"<gpx><wpt lat="95" lon="10"/></gpx>"#).unwrap_err();
        assert!(e.to_string().contains("swapped"), "{e}");
    }
}
