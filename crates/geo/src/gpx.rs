//! GPX reader: waypoints (points; the radius of a point hazard comes from a `radius` element
//! anywhere inside, e.g. under `extensions`, or from Garmin's proximity alarm distance,
//! `extensions/gpxx:WaypointExtension/gpxx:Proximity` (GpxExtensions v3) or
//! `wptx1:WaypointExtension/wptx1:Proximity` (WaypointExtension v1), in metres), tracks (one line per segment; a multi-segment track is a
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
                    // demine's own element, and Garmin's proximity alarm distance in metres
                    // (gpxx:WaypointExtension of GpxExtensions v3 and wptx1:WaypointExtension
                    // v1; local names, so any prefix or none).
                    "radius" | "radius_m" | "Proximity" | "proximity" => {
                        let r = t
                            .parse::<f64>()
                            .map_err(|_| format!("{name} {t:?} is not a number of metres"))?;
                        match it.props.radius_m {
                            Some(old) if old != r => {
                                return Err(format!(
                                    "the waypoint gives two different radii ({old} and {r} m); \
                                     keep one"
                                ));
                            }
                            _ => it.props.radius_m = Some(r),
                        }
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
    fn garmin_proximity_is_the_radius() {
        let g = r#"<?xml version="1.0"?>
<gpx version="1.1" creator="Garmin" xmlns="http://www.topografix.com/GPX/1/1"
 xmlns:gpxx="http://www.garmin.com/xmlschemas/GpxExtensions/v3"
 xmlns:wptx1="http://www.garmin.com/xmlschemas/WaypointExtension/v1">
 <wpt lat="12.5" lon="104.9"><name>A</name><extensions><gpxx:WaypointExtension>
  <gpxx:Proximity>150</gpxx:Proximity><gpxx:DisplayMode>SymbolAndName</gpxx:DisplayMode>
 </gpxx:WaypointExtension></extensions></wpt>
 <wpt lat="12.6" lon="104.9"><extensions><wptx1:WaypointExtension>
  <wptx1:Proximity>75.5</wptx1:Proximity></wptx1:WaypointExtension></extensions></wpt>
 <wpt lat="12.7" lon="104.9"><name>no radius</name></wpt>
</gpx>"#;
        let c = read_gpx("g.gpx", g.as_bytes()).unwrap();
        let radii: Vec<_> = c.features.iter().map(|f| f.properties.radius_m).collect();
        assert_eq!(radii, vec![Some(150.0), Some(75.5), None]);
        let two = r#"<gpx><wpt lat="1" lon="2"><extensions><radius>20</radius>
 <gpxx:WaypointExtension><gpxx:Proximity>150</gpxx:Proximity></gpxx:WaypointExtension>
 </extensions></wpt></gpx>"#;
        let e = read_gpx("g.gpx", two.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("two different radii"), "{e}");
    }

    #[test]
    fn bad_attribute_is_an_error_with_position() {
        let e = read_gpx("g.gpx", br#"<gpx><wpt lat="x" lon="1"/></gpx>"#).unwrap_err();
        assert!(e.to_string().contains("attribute lat"), "{e}");
        let e = read_gpx("g.gpx", br#"<gpx><wpt lat="95" lon="10"/></gpx>"#).unwrap_err();
        assert!(e.to_string().contains("swapped"), "{e}");
    }
}
