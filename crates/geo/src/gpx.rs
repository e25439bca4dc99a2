//! GPX reader: waypoints (points; the radius of a point hazard comes from a `radius`/`radius_m`
//! element anywhere inside, e.g. under `extensions`, or from Garmin's proximity alarm distance,
//! `extensions/gpxx:WaypointExtension/gpxx:Proximity` (GpxExtensions v3) or
//! `wptx1:WaypointExtension/wptx1:Proximity` (WaypointExtension v1), in metres), tracks and
//! routes.
//!
//! A track or route marked as an area (an `extensions` element `geometry` = `polygon`, as demine
//! writes it, or `<type>` = `area`/`polygon`) is a polygon: one ring per segment, a segment marked
//! `ring` = `hole` in its extensions a hole of the ring before it. Any other track or route is a
//! line, which an import refuses (or skips with `--skip-lines`). `<type>` SHA or CHA is the hazard
//! type; any other `<type>` is kept as the attribute `gpx_type`. Ids, status and hazard type are
//! read from the extension elements `id`, `status`, `hazard_type`; every other element directly
//! under a waypoint's, track's or route's `extensions` is an attribute (local names: any prefix).

use crate::error::GeoError;
use crate::feature::{Collection, Feature, FeatureId, Properties};
use crate::geom::{Coord, Geometry, Polygon};
use crate::validate::validate;
use crate::xml::{XmlEvent, walk};

#[derive(Default)]
struct Item {
    point: Option<Coord>,
    /// Segments with whether each is marked a hole.
    segments: Vec<(Vec<Coord>, bool)>,
    props: Properties,
    id: Option<FeatureId>,
    area: bool,
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

/// The words of `<type>` (or `demine:geometry`) that mark a track or route as an area.
fn is_area_word(t: &str) -> bool {
    ["area", "polygon", "perimeter", "boundary"]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
}

/// Extension elements read into [`Properties`]' own fields, or that shape the geometry.
const CORE: &[&str] = &[
    "id",
    "status",
    "hazard_type",
    "radius",
    "radius_m",
    "Proximity",
    "proximity",
    "geometry",
    "ring",
    "name",
    "type",
];

impl Item {
    fn into_feature(self, index: usize) -> Result<Feature, String> {
        let geometry = if let Some(p) = self.point {
            Geometry::Point(p)
        } else if self.area {
            let mut polys: Vec<Polygon> = Vec::new();
            for (ring, hole) in self.segments {
                if hole {
                    let Some(last) = polys.last_mut() else {
                        return Err("a segment marked as a hole comes before any outer ring".into());
                    };
                    last.holes.push(ring);
                } else {
                    polys.push(Polygon {
                        exterior: ring,
                        holes: Vec::new(),
                    });
                }
            }
            if polys.len() == 1 {
                Geometry::Polygon(polys.remove(0))
            } else {
                Geometry::MultiPolygon(polys)
            }
        } else {
            let mut lines: Vec<Vec<Coord>> = self.segments.into_iter().map(|(l, _)| l).collect();
            if lines.len() == 1 {
                Geometry::LineString(lines.remove(0))
            } else {
                Geometry::MultiLineString(lines)
            }
        };
        Ok(Feature {
            index,
            id: self.id,
            properties: self.props,
            geometry: Some(geometry),
        })
    }
}

/// Reads and validates GPX from a reader.
pub fn read_gpx_from(source_name: &str, input: impl std::io::Read) -> Result<Collection, GeoError> {
    read_gpx(source_name, &crate::error::read_source(source_name, input)?)
}

/// Reads and validates GPX text.
pub fn read_gpx(source_name: &str, text: &[u8]) -> Result<Collection, GeoError> {
    let mut features = Vec::new();
    let mut cur: Option<Item> = None;
    walk(source_name, text, |path, ev| {
        let at = |back: usize| path.len().checked_sub(back + 1).map(|i| path[i].as_str());
        match ev {
            XmlEvent::Start(name, attrs) => match name {
                "wpt" if at(1) == Some("gpx") => {
                    cur = Some(Item {
                        point: Some(lat_lon(attrs)?),
                        ..Item::default()
                    })
                }
                "trk" | "rte" if at(1) == Some("gpx") => cur = Some(Item::default()),
                "trkseg" => {
                    if let Some(it) = cur.as_mut() {
                        it.segments.push((Vec::new(), false));
                    }
                }
                "trkpt" | "rtept" => {
                    let c = lat_lon(attrs)?;
                    if let Some(it) = cur.as_mut() {
                        if name == "rtept" && it.segments.is_empty() {
                            it.segments.push((Vec::new(), false));
                        }
                        if let Some(seg) = it.segments.last_mut() {
                            seg.0.push(c);
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
                let parent = at(1);
                let own = matches!(parent, Some("wpt" | "trk" | "rte"));
                let in_ext =
                    parent == Some("extensions") && matches!(at(2), Some("wpt" | "trk" | "rte"));
                match name {
                    "name" if (own || in_ext) && it.props.name.is_none() && !t.is_empty() => {
                        it.props.name = Some(t.to_string())
                    }
                    "name" => {}
                    "type" if own => {
                        if is_area_word(t) {
                            it.area = true;
                        } else if t.eq_ignore_ascii_case("SHA") || t.eq_ignore_ascii_case("CHA") {
                            it.props.hazard_type = Some(t.to_ascii_uppercase());
                        } else if !t.is_empty() {
                            it.props
                                .attributes
                                .insert("gpx_type".into(), serde_json::Value::String(t.into()));
                        }
                    }
                    "geometry" if in_ext => {
                        if is_area_word(t) {
                            it.area = true;
                        } else {
                            return Err(format!(
                                "extension geometry {t:?}: only polygon (an area) is known"
                            ));
                        }
                    }
                    "ring" if parent == Some("extensions") && at(2) == Some("trkseg") => {
                        let hole = match t {
                            "hole" | "inner" => true,
                            "outer" | "exterior" => false,
                            _ => return Err(format!("segment ring {t:?}: expected outer or hole")),
                        };
                        if let Some(seg) = it.segments.last_mut() {
                            seg.1 = hole;
                        }
                    }
                    "status" if in_ext => it.props.status = Some(t.to_string()),
                    "hazard_type" if in_ext => it.props.hazard_type = Some(t.to_string()),
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
                    "id" if in_ext => {
                        it.id = Some(match t.parse::<i64>() {
                            Ok(i) => FeatureId::Int(i),
                            Err(_) => FeatureId::Str(t.to_string()),
                        })
                    }
                    "wpt" | "trk" | "rte" if parent == Some("gpx") => {
                        if let Some(it) = cur.take() {
                            let index = features.len();
                            features.push(it.into_feature(index)?);
                        }
                    }
                    other if in_ext && !CORE.contains(&other) && !t.is_empty() => {
                        it.props
                            .attributes
                            .entry(other.to_string())
                            .or_insert(serde_json::Value::String(t.to_string()));
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
