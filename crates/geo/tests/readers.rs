//! Readers end to end: a hazard file in each format gives the same hazards, bad files fail whole
//! with the feature named, and orientation fixing is idempotent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use demine_geo::csvfmt::read_features_csv;
use demine_geo::geojson::read_geojson;
use demine_geo::gpx::read_gpx;
use demine_geo::kml::read_kml;
use demine_geo::validate::validate_feature;
use demine_geo::{
    Coord, FaultKind, Feature, GeoError, Geometry, HazardIndex, Polygon, Severity, hazard_records,
};
use proptest::prelude::*;

const GEOJSON: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":1,"status":"confirmed","hazard_type":"CHA"},"geometry":{"type":"Polygon","coordinates":[[[104.0,12.0],[104.01,12.0],[104.01,12.01],[104.0,12.01],[104.0,12.0]]]}},
{"type":"Feature","properties":{"id":2,"status":"cleared"},"geometry":{"type":"Polygon","coordinates":[[[104.02,12.0],[104.03,12.0],[104.03,12.01],[104.02,12.0]]]}},
{"type":"Feature","properties":{"id":3,"status":"suspected","radius":150},"geometry":{"type":"Point","coordinates":[104.05,12.005]}}
]}"#;

#[test]
fn geojson_to_index_to_answer() {
    let c = read_geojson("h.geojson", GEOJSON.as_bytes(), 2).unwrap();
    assert!(c.warnings.is_empty());
    let recs = hazard_records("h.geojson", c.features).unwrap();
    let index = HazardIndex::build(recs).unwrap();
    assert_eq!(index.len(), 2);
    let inside = index.query_point(Coord::new(104.005, 12.005), 100.0);
    assert_eq!(inside.len(), 1);
    assert_eq!(inside[0].hazard.id, 1);
    assert_eq!(inside[0].distance_m, 0.0);
    assert_eq!(inside[0].hazard.hazard_type.as_deref(), Some("CHA"));
    // Inside the cleared polygon: safe.
    assert!(
        index
            .query_point(Coord::new(104.028, 12.002), 10.0)
            .is_empty()
    );
    // 100 m east of the circle's edge (150 m radius): about 100 m away.
    let p = Coord::new(104.05 + 250.0 / 108_900.0, 12.005);
    let hits = index.query_point(p, 200.0);
    assert_eq!(hits.len(), 1);
    assert!(
        (hits[0].distance_m - 100.0).abs() < 2.0,
        "{}",
        hits[0].distance_m
    );
}

#[test]
fn the_same_hazard_in_every_format() {
    let kml = r#"<kml><Document><Placemark><ExtendedData><Data name="id"><value>1</value></Data><Data name="status"><value>confirmed</value></Data></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>104.0,12.0 104.01,12.0 104.01,12.01 104.0,12.01 104.0,12.0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"#;
    let csv = "id,status,wkt\n1,confirmed,\"POLYGON((104 12,104.01 12,104.01 12.01,104 12.01,104 12))\"\n";
    let gj = r#"{"type":"Feature","id":1,"properties":{"status":"confirmed"},"geometry":{"type":"Polygon","coordinates":[[[104.0,12.0],[104.01,12.0],[104.01,12.01],[104.0,12.01],[104.0,12.0]]]}}"#;
    let a = demine_geo::kml::read_kml_from("a.kml", kml.as_bytes())
        .unwrap()
        .features;
    let b = read_features_csv("a.csv", csv.as_bytes()).unwrap().features;
    let c = read_geojson("a.geojson", gj.as_bytes(), 1)
        .unwrap()
        .features;
    let ra = hazard_records("a", a).unwrap();
    let rb = hazard_records("b", b).unwrap();
    let rc = hazard_records("c", c).unwrap();
    assert_eq!(ra, rb);
    assert_eq!(rb, rc);
    let gpx = r#"<gpx><wpt lat="12.005" lon="104.05"><extensions><id>3</id><status>suspected</status><radius>150</radius></extensions></wpt></gpx>"#;
    let g = hazard_records(
        "g",
        demine_geo::gpx::read_gpx_from("g.gpx", gpx.as_bytes())
            .unwrap()
            .features,
    )
    .unwrap();
    assert_eq!(g[0].id, 3);
    assert!(
        matches!(g[0].shape, demine_geo::HazardShape::Circle { radius_m, .. } if radius_m == 150.0)
    );
}

#[test]
fn invalid_file_fails_whole_naming_each_feature() {
    let bad = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":7,"status":"open"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}},
{"type":"Feature","properties":{"id":8,"status":"open"},"geometry":{"type":"Point","coordinates":[12.0,104.9]}},
{"type":"Feature","properties":{"id":7,"status":"open"},"geometry":{"type":"Point","coordinates":[1,1]}},
{"type":"Feature","properties":{"id":9,"status":"open"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}}
]}"#;
    let e = read_geojson("bad.geojson", bad.as_bytes(), 1).unwrap_err();
    let GeoError::Invalid { faults, .. } = &e else {
        panic!("{e}")
    };
    let kinds: Vec<(usize, &FaultKind)> = faults.iter().map(|f| (f.index, &f.kind)).collect();
    assert!(
        matches!(kinds[0], (0, FaultKind::SelfIntersection { .. })),
        "{kinds:?}"
    );
    assert!(
        matches!(kinds[1], (1, FaultKind::SwappedAxes(_))),
        "{kinds:?}"
    );
    assert!(
        matches!(kinds[2], (2, FaultKind::DuplicateId { first_index: 0 })),
        "{kinds:?}"
    );
    assert!(
        matches!(kinds[3], (3, FaultKind::TooShortRing { .. })),
        "{kinds:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("bad.geojson: 4 feature fault(s)"), "{msg}");
    assert!(msg.contains("feature #2 (id 7): duplicate id"), "{msg}");
}

fn ring_strategy(min_n: usize) -> impl Strategy<Value = Vec<Coord>> {
    (
        min_n..12,
        proptest::collection::vec(0.5f64..1.0, 12),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(n, jit, reverse, closed)| {
            let mut r: Vec<Coord> = (0..n)
                .map(|i| {
                    let t = i as f64 / n as f64 * std::f64::consts::TAU;
                    Coord::new(
                        10.0 + 0.01 * jit[i] * t.cos(),
                        20.0 + 0.01 * jit[i] * t.sin(),
                    )
                })
                .collect();
            if reverse {
                r.reverse();
            }
            if closed {
                r.push(r[0]);
            }
            r
        })
}

proptest! {
    #[test]
    fn fixing_is_idempotent(ext in ring_strategy(4), hole in ring_strategy(3)) {
        // A small hole in the middle (well inside the exterior's chords), in whatever
        // orientation it came.
        let hole: Vec<Coord> = hole.iter().map(|c| Coord::new(10.0 + (c.lon - 10.0) * 0.1, 20.0 + (c.lat - 20.0) * 0.1)).collect();
        let mut f = Feature::new(0, Geometry::Polygon(Polygon { exterior: ext, holes: vec![hole] }));
        let first = validate_feature(&mut f);
        prop_assert!(first.iter().all(|x| x.severity == Severity::Warning), "{first:?}");
        let once = f.clone();
        let second = validate_feature(&mut f);
        prop_assert!(second.is_empty(), "{second:?}");
        prop_assert_eq!(once, f.clone());
        let Some(Geometry::Polygon(p)) = &f.geometry else { unreachable!() };
        prop_assert!(demine_geo::geom::ring_is_ccw(&p.exterior));
        prop_assert!(!demine_geo::geom::ring_is_ccw(&p.holes[0]));
        prop_assert_eq!(p.exterior.first(), p.exterior.last());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Whatever the bytes, every reader answers with a value or an error, never a panic.
    #[test]
    fn readers_never_panic(
        text in proptest::collection::vec(
            prop_oneof![
                Just("{".to_string()), Just("}".to_string()), Just("[".to_string()), Just("]".to_string()),
                Just(",".to_string()), Just(":".to_string()), Just("\"type\"".to_string()),
                Just("\"Feature\"".to_string()), Just("\"Polygon\"".to_string()),
                Just("\"coordinates\"".to_string()), Just("\"features\"".to_string()),
                Just("\"FeatureCollection\"".to_string()), Just("\"geometry\"".to_string()),
                Just("<Placemark>".to_string()), Just("</Placemark>".to_string()),
                Just("<coordinates>".to_string()), Just("</coordinates>".to_string()),
                Just("<wpt lat=\"1\" lon=\"2\">".to_string()), Just("</wpt>".to_string()),
                Just("POLYGON((".to_string()), Just(")".to_string()), Just("\n".to_string()),
                (-200.0f64..200.0).prop_map(|v| v.to_string()),
                "[a-z0-9 .,\"\\\\-]{0,6}",
            ],
            0..40,
        ).prop_map(|v| v.concat()),
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let _ = demine_geo::geojson::parse_geojson("f", text.as_bytes(), 1);
        let _ = read_geojson("f", text.as_bytes(), 2);
        let _ = read_kml("f", text.as_bytes());
        let _ = read_gpx("f", text.as_bytes());
        let _ = demine_geo::parse_wkt(&text);
        let _ = read_features_csv("f", text.as_bytes());
        let _ = demine_geo::csvfmt::read_points("f", text.as_bytes(), 2);
        let _ = demine_geo::decode_wkb(&bytes);
        let _ = demine_geo::geojson::parse_geojson("f", &bytes, 1);
    }
}

#[test]
fn nesting_100000_deep_is_a_named_error_in_every_reader() {
    use demine_geo::{FileFormat, read_features};
    let n = 100_000;
    let arr = format!("{}{}", "[".repeat(n), "]".repeat(n));
    let objs = format!("{}1{}", "{\"a\":".repeat(n / 4), "}".repeat(n / 4));
    let geoms = format!(
        "{}null{}",
        "{\"geometry\":".repeat(n / 4),
        "}".repeat(n / 4)
    );
    let geojson = [
        format!(
            r#"{{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":{arr}}}}}"#
        ),
        format!(r#"{{"type":"Feature","properties":{{"x":{arr}}},"geometry":null}}"#),
        format!(r#"{{"type":"FeatureCollection","x":{objs},"features":[]}}"#),
        format!(r#"{{"type":"Feature","properties":{{}},"geometry":{geoms}}}"#),
    ];
    for text in &geojson {
        assert!(text.len() >= 200_000 || text.len() >= n, "{}", text.len());
        for threads in [1, 2] {
            let e = read_features(
                FileFormat::Geojson,
                "deep.geojson",
                text.as_bytes(),
                threads,
            )
            .unwrap_err();
            assert!(
                matches!(&e, GeoError::Syntax { message, .. } if message.contains("nested deeper than 128")),
                "{e}"
            );
        }
    }
    let kml = format!(
        "<kml>{}{}</kml>",
        "<Folder>".repeat(n),
        "</Folder>".repeat(n)
    );
    let gpx = format!(
        "<gpx>{}{}</gpx>",
        "<extensions>".repeat(n),
        "</extensions>".repeat(n)
    );
    for (format, text) in [(FileFormat::Kml, kml), (FileFormat::Gpx, gpx)] {
        let e = read_features(format, "deep", text.as_bytes(), 1).unwrap_err();
        assert!(e.to_string().contains("nested deeper than 256"), "{e}");
    }
    // Just under the limits reads (and is refused for what it is, not for its depth).
    let ok = format!(
        r#"{{"type":"Feature","properties":{{"x":{}{}}},"geometry":null}}"#,
        "[".repeat(120),
        "]".repeat(120)
    );
    let e = read_features(FileFormat::Geojson, "ok.geojson", ok.as_bytes(), 1).unwrap_err();
    assert!(e.to_string().contains("no geometry"), "{e}");
}
