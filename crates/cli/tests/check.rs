//! `demine check` run as a program: point, batch and route checks against hazard files, output
//! formats, exit codes and error messages.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

const HAZARDS: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":10,"status":"confirmed","hazard_type":"CHA"},"geometry":{"type":"Polygon","coordinates":[[[104.0,12.0],[104.01,12.0],[104.01,12.01],[104.0,12.01],[104.0,12.0]]]}},
{"type":"Feature","properties":{"id":11,"status":"suspected"},"geometry":{"type":"Polygon","coordinates":[[[104.005,12.005],[104.02,12.005],[104.02,12.02],[104.005,12.02],[104.005,12.005]]]}},
{"type":"Feature","properties":{"id":12,"status":"cleared"},"geometry":{"type":"Polygon","coordinates":[[[104.1,12.1],[104.11,12.1],[104.11,12.11],[104.1,12.11],[104.1,12.1]]]}}
]}"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn demine() -> Command {
    Command::cargo_bin("demine").unwrap()
}

#[test]
fn point_inside_is_not_safe_json() {
    let d = tempfile::tempdir().unwrap();
    let h = write(d.path(), "h.geojson", HAZARDS);
    let out = demine()
        .args([
            "check",
            "--hazards",
            &h,
            "--lon",
            "104.008",
            "--lat",
            "12.008",
            "--json",
        ])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["safe"], false);
    let hz = v["hazards"].as_array().unwrap();
    assert_eq!(hz.len(), 2);
    // Both contain the point: distance 0, ties by id.
    assert_eq!(hz[0]["id"], 10);
    assert_eq!(hz[0]["distance_m"], 0.0);
    assert_eq!(hz[0]["type"], "CHA");
    assert_eq!(hz[0]["status"], "confirmed");
    assert_eq!(hz[1]["id"], 11);
}

#[test]
fn point_near_and_far() {
    let d = tempfile::tempdir().unwrap();
    let h = write(d.path(), "h.geojson", HAZARDS);
    // About 55 m west of hazard 10's western edge.
    let out = demine()
        .args([
            "check",
            "--hazards",
            &h,
            "--lon",
            "103.9995",
            "--lat",
            "12.002",
            "--within",
            "100",
            "--json",
        ])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let dist = v["hazards"][0]["distance_m"].as_f64().unwrap();
    assert!((dist - 54.4).abs() < 1.0, "{dist}");
    // Inside the cleared area only: safe, exit 0, text output.
    demine()
        .args([
            "check",
            "--hazards",
            &h,
            "--lon",
            "104.105",
            "--lat",
            "12.105",
            "--within",
            "50",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("SAFE: no hazard within 50 m"));
}

#[test]
fn batch_lines_sorted_by_id_and_ids_only() {
    let d = tempfile::tempdir().unwrap();
    let h = write(d.path(), "h.geojson", HAZARDS);
    let p = write(
        d.path(),
        "p.csv",
        "id,lon,lat\n5,104.008,12.008\n2,103.9995,12.002\n9,104.3,12.3\n1,104.015,12.015\n7,104.105,12.105\n",
    );
    let out = demine()
        .args(["check", "--hazards", &h, "--points", &p, "--within", "100"])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Point 9 lies outside the box the file covers: no data, not safe (listed, by id).
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], "1,11,0.000");
    assert!(lines[1].starts_with("2,10,54."), "{text}");
    assert_eq!(lines[2], "5,10,0.000");
    assert_eq!(lines[3], "9,no-data,");
    demine()
        .args([
            "check",
            "--hazards",
            &h,
            "--points",
            &p,
            "--within",
            "100",
            "--ids-only",
        ])
        .assert()
        .code(3)
        .stdout("1\n2\n5\n");
    demine()
        .args([
            "check",
            "--hazards",
            &h,
            "--points",
            &p,
            "--within",
            "10",
            "--ids-only",
            "--threads",
            "1",
        ])
        .assert()
        .code(3)
        .stdout("1\n5\n");
}

#[test]
fn text_point_ids_from_csv_and_gpx_names() {
    let d = tempfile::tempdir().unwrap();
    let h = write(d.path(), "h.geojson", HAZARDS);
    // Ids as GPS exports name their points; one with a comma comes back quoted.
    let p = write(
        d.path(),
        "p.csv",
        "id,lon,lat\nWP001,104.008,12.008\n\"Mine 12b, east\",104.015,12.015\nWP003,104.3,12.3\n\
         10,104.008,12.008\n9,104.008,12.008\n",
    );
    let out = demine()
        .args(["check", "--hazards", &h, "--points", &p, "--within", "100"])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "9,10,0.000\n10,10,0.000\n\"Mine 12b, east\",11,0.000\nWP001,10,0.000\nWP003,no-data,\n"
    );
    let out = demine()
        .args(["check", "--hazards", &h, "--points", &p, "--json"])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["flagged"][0]["id"], "9");
    assert_eq!(v["flagged"][2]["id"], "Mine 12b, east");
    assert_eq!(v["no_data"][0]["id"], "WP003");
    // A Garmin GPX: waypoints named by <name>.
    let g = write(
        d.path(),
        "w.gpx",
        r#"<?xml version="1.0"?><gpx version="1.1" creator="GPSMAP 66i" xmlns="http://www.topografix.com/GPX/1/1">
<wpt lat="12.008" lon="104.008"><name>WP001</name><sym>Flag, Blue</sym></wpt>
<wpt lat="12.3" lon="104.3"><name>Mine 12b</name></wpt></gpx>"#,
    );
    demine()
        .args(["check", "--hazards", &h, "--points", &g])
        .assert()
        .code(3)
        .stdout("Mine 12b,no-data,\nWP001,10,0.000\n");
    // A duplicate id names both lines; an empty id its line; a nameless waypoint its number.
    let dup = write(
        d.path(),
        "dup.csv",
        "id,lon,lat\nWP1,104,12\nWP2,104,12\nWP1,104,12\n",
    );
    demine()
        .args(["check", "--hazards", &h, "--points", &dup])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "dup.csv: line 4: id \"WP1\" is already the id of the point on line 2",
        ));
    let empty = write(d.path(), "empty.csv", "id,lon,lat\nWP1,104,12\n ,104,12\n");
    demine()
        .args(["check", "--hazards", &h, "--points", &empty])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "empty.csv: line 3: the point has an empty id",
        ));
    let nameless = write(
        d.path(),
        "n.gpx",
        r#"<gpx version="1.1"><wpt lat="12" lon="104"><name>A</name></wpt><wpt lat="12" lon="104"/></gpx>"#,
    );
    demine()
        .args(["check", "--hazards", &h, "--points", &nameless])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "waypoint 2 (GPX item 2): the point has an empty id",
        ));
}

#[test]
fn route_with_buffer() {
    let d = tempfile::tempdir().unwrap();
    let h = write(d.path(), "h.geojson", HAZARDS);
    // A road running north 200 m east of hazard 11's eastern edge (104.02).
    let r = write(
        d.path(),
        "road.geojson",
        r#"{"type":"LineString","coordinates":[[104.02184,12.0],[104.02184,12.1]]}"#,
    );
    demine()
        .args(["check", "--hazards", &h, "--route", &r, "--within", "150"])
        .assert()
        .success();
    let out = demine()
        .args([
            "check",
            "--hazards",
            &h,
            "--route",
            &r,
            "--within",
            "250",
            "--json",
        ])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["hazards"].as_array().unwrap().len(), 1);
    assert_eq!(v["hazards"][0]["id"], 11);
    let dist = v["hazards"][0]["distance_m"].as_f64().unwrap();
    assert!((dist - 199.0).abs() < 3.0, "{dist}");
}

#[test]
fn bad_inputs_fail_with_a_clear_message() {
    let d = tempfile::tempdir().unwrap();
    let bad = write(
        d.path(),
        "bad.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":3},"geometry":{"type":"Point","coordinates":[12.0,104.9]}}]}"#,
    );
    demine()
        .args(["check", "--hazards", &bad, "--lon", "1", "--lat", "1"])
        .assert()
        .code(1)
        .stderr(
            predicates::str::contains("feature #0 (id 3)")
                .and(predicates::str::contains("swapped")),
        );
    let h = write(d.path(), "h.geojson", HAZARDS);
    let p = write(d.path(), "p.csv", "id,lon,lat\n1,104,12\n2,104,north\n");
    demine()
        .args(["check", "--hazards", &h, "--points", &p])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("p.csv: line 3: field lat"));
    demine()
        .args(["check", "--hazards", &h, "--lon", "12", "--lat", "104"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("swapped"));
    demine()
        .args(["check", "--hazards", &h])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("exactly one of"));
    demine()
        .args([
            "check",
            "--hazards",
            "missing.geojson",
            "--lon",
            "1",
            "--lat",
            "1",
        ])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("cannot read missing.geojson"));
}

#[test]
fn help_describes_outputs_and_exit_codes() {
    let out = demine()
        .args(["check", "--help"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8(out).unwrap();
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in [
        "Exit status: 0 safe",
        "3 a hazard is within the distance",
        "4 no hazard data for at least one place",
        "--ids-only",
        "NO DATA: no hazard data for <State> here",
        "`id,no-data,`",
        "on or near a border",
    ] {
        assert!(help.contains(want), "--help lacks {want:?}");
    }
}

/// The issue's example: on a new database holding no hazardous area, a place is not "safe".
#[test]
fn empty_database_says_no_data_not_safe() {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("new.db");
    let db = db.to_str().unwrap();
    demine()
        .args(["--db", db, "hazards", "list"])
        .assert()
        .success();
    let out = demine()
        .args(["--db", db, "check", "--lon", "104.91", "--lat", "11.56"])
        .assert()
        .code(4)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("NO DATA: no hazard data for KHM here"),
        "{text}"
    );
    assert!(!text.contains("SAFE:"), "{text}");
    let out = demine()
        .args([
            "--db", db, "check", "--lon", "104.91", "--lat", "11.56", "--json",
        ])
        .assert()
        .code(4)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["safe"], false);
    assert_eq!(v["status"], "no-data");
    assert_eq!(v["state"], "KHM");
}
