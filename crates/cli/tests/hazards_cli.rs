//! `demine hazards ...`, `demine release ...` and `demine check` from the store, run as a program.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

/// Three areas in Cambodia (near Phnom Penh); id 2 is unclosed and clockwise (fixed, warned);
/// id 3 is a cleared point.
const AREAS: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":1,"status":"suspected","name":"rice field"},"geometry":{"type":"Polygon","coordinates":[[[104.90,11.55],[104.91,11.55],[104.91,11.56],[104.90,11.56],[104.90,11.55]]]}},
{"type":"Feature","properties":{"id":2,"status":"confirmed"},"geometry":{"type":"Polygon","coordinates":[[[104.92,11.55],[104.92,11.56],[104.93,11.56],[104.93,11.55]]]}},
{"type":"Feature","properties":{"id":3,"status":"cleared","radius":50},"geometry":{"type":"Point","coordinates":[104.95,11.55]}}
]}"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

struct Db {
    dir: tempfile::TempDir,
    db: String,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db").display().to_string();
        Db { dir, db }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("demine").unwrap();
        c.args(["--db", &self.db, "--actor", "tester"]);
        c
    }

    fn file(&self, name: &str, text: &str) -> String {
        write(self.dir.path(), name, text)
    }

    fn imported() -> Db {
        let d = Db::new();
        let f = d.file("a.geojson", AREAS);
        d.cmd()
            .args(["hazards", "import", &f, "--iso3", "KHM"])
            .assert()
            .success()
            .stdout(predicate::str::contains("3 inserted"))
            .stderr(predicate::str::contains(
                "feature #1 (id 2): ring 0 was not closed",
            ));
        d
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.cmd().args(args).output().unwrap();
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
    }
}

#[test]
fn import_list_show_and_export_round_trip() {
    let d = Db::imported();
    let list = d.json(&["hazards", "list", "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["type"], "SHA");
    assert_eq!(list[1]["type"], "CHA");
    assert_eq!(list[2]["status"], "closed");
    assert_eq!(list[2]["source_status"], "cleared");
    let open = d.json(&["hazards", "list", "--status", "open", "--json"]);
    assert_eq!(open.as_array().unwrap().len(), 2);
    let boxed = d.json(&[
        "hazards",
        "list",
        "--bbox",
        "104.915,11.5,105,11.6",
        "--json",
    ]);
    let ids: Vec<i64> = boxed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![2, 3]);
    let show = d.json(&["hazards", "show", "1", "--json"]);
    assert_eq!(show["area"]["name"], "rice field");
    assert_eq!(show["history"].as_array().unwrap().len(), 1);
    assert_eq!(show["history"][0]["made_by"], "tester");
    // Every format exports, and GeoJSON, KML and CSV import again unchanged.
    for ext in ["geojson", "kml", "csv"] {
        let out = d.dir.path().join(format!("out.{ext}"));
        let out = out.display().to_string();
        d.cmd().args(["hazards", "export", &out]).assert().success();
        d.cmd()
            .args(["hazards", "import", &out])
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "0 inserted, 0 updated (new versions), 3 unchanged",
            ));
    }
    let gpx = d.dir.path().join("out.gpx").display().to_string();
    d.cmd().args(["hazards", "export", &gpx]).assert().success();
    let text = std::fs::read_to_string(&gpx).unwrap();
    assert!(
        text.contains("<wpt lat=\"11.55\" lon=\"104.95\">")
            && text.contains("<demine:radius_m>50.0</demine:radius_m>")
    );
    assert!(text.contains("<trk>"));
    // Export all includes the hazards as GeoJSON.
    let dir = d.dir.path().join("all");
    d.cmd()
        .args(["export", "all", dir.to_str().unwrap()])
        .assert()
        .success();
    let all = std::fs::read_to_string(dir.join("hazards.geojson")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&all).unwrap();
    assert_eq!(v["features"].as_array().unwrap().len(), 3);
}

#[test]
fn a_changed_import_makes_versions() {
    let d = Db::imported();
    let changed = AREAS.replace("rice field", "rice field (resurveyed)");
    let f = d.file("b.geojson", &changed);
    d.cmd()
        .args(["hazards", "import", &f])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 updated"));
    d.cmd().args(["hazards", "approve", "1"]).assert().success();
    let show = d.json(&["hazards", "show", "1", "--json"]);
    let h = show["history"].as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["area"]["name"], "rice field");
    assert_eq!(h[1]["area"]["name"], "rice field (resurveyed)");
    assert_eq!(h[1]["version_status"], "approved");
    d.cmd().args(["hazards", "show", "99"]).assert().code(4);
    d.cmd().args(["hazards", "approve", "99"]).assert().code(4);
}

#[test]
fn bad_files_name_the_feature_and_change_nothing() {
    let d = Db::imported();
    let bad = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":7},"geometry":{"type":"Polygon","coordinates":[[[104.0,12.0],[104.01,12.0],[104.01,12.01],[104.0,12.01],[104.0,12.0]]]}},
{"type":"Feature","properties":{"id":8},"geometry":{"type":"Polygon","coordinates":[[[104.0,12.0],[104.01,12.01],[104.01,12.0],[104.0,12.01],[104.0,12.0]]]}},
{"type":"Feature","properties":{"id":9},"geometry":{"type":"Polygon","coordinates":[[[12.0,104.0],[12.01,104.0],[12.01,104.01],[12.0,104.0]]]}},
{"type":"Feature","properties":{"id":7},"geometry":{"type":"Point","coordinates":[104.0,12.0]}},
{"type":"Feature","properties":{"id":10},"geometry":{"type":"Polygon","coordinates":[[[104.0,12.0],[104.01,12.0],[104.0,12.0]]]}}
]}"#;
    let f = d.file("bad.geojson", bad);
    d.cmd()
        .args(["hazards", "import", &f])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("feature #1 (id 8)")
                .and(predicate::str::contains("intersects itself"))
                .and(predicate::str::contains("feature #2 (id 9)"))
                .and(predicate::str::contains("swapped"))
                .and(predicate::str::contains("feature #3 (id 7)"))
                .and(predicate::str::contains("feature #4 (id 10)")),
        );
    // An area outside its State.
    let f = d.file("tha.geojson", &AREAS.replace("\"id\":1,", "\"id\":21,"));
    d.cmd()
        .args(["hazards", "import", &f, "--iso3", "THA"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "feature #0 (id 21): the area is outside THA",
        ));
    // Nothing of either was stored.
    assert_eq!(
        d.json(&["hazards", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        3
    );
    d.cmd()
        .args(["hazards", "import", "nope.geojson"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("nope.geojson"));
    let f = d.file("x.txt", "hello");
    d.cmd()
        .args(["hazards", "import", &f])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--format"));
}

#[test]
fn release_accounting_and_the_check_from_the_store() {
    let d = Db::imported();
    // Inside area 1, in its western half.
    let p = ["--lon", "104.902", "--lat", "11.555"];
    let v = d.json(&["check", p[0], p[1], p[2], p[3], "--json"]);
    assert_eq!(v["safe"], false);
    let h = &v["hazards"][0];
    assert_eq!(h["id"], 1);
    assert_eq!(h["status"], "suspected");
    assert_eq!(h["type"], "SHA");
    assert_eq!(h["distance_m"], 0.0);
    let keys: Vec<&String> = h.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["distance_m", "id", "status", "type"]);
    d.cmd()
        .args(["check", p[0], p[1], p[2], p[3]])
        .assert()
        .code(3);
    // Clear the western half: the point is now safe, the eastern half is not.
    d.cmd()
        .args([
            "release", "add", "--area", "1", "--kind", "clearance", "--start", "2024-01-01",
            "--end", "2024-01-31", "--depth-cm", "20", "--organisation", "CMAC",
            "--perimeter", "POLYGON((104.89 11.54, 104.905 11.54, 104.905 11.57, 104.89 11.57, 104.89 11.54))",
            "--device", r#"{"category":"ap-mine","model":"PMN-2","location":[104.901,11.551],"depth_cm":5,"destroyed":"2024-01-20"}"#,
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("cleared released"));
    let v = d.json(&["check", p[0], p[1], p[2], p[3], "--within", "0", "--json"]);
    assert_eq!(v["safe"], true, "{v}");
    let v = d.json(&[
        "check", "--lon", "104.908", "--lat", "11.555", "--within", "0", "--json",
    ]);
    assert_eq!(v["safe"], false);
    // A non-technical survey from a GeoJSON file.
    let acts = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
      "properties":{"area_id":1,"kind":"non-technical-survey","start":"2024-03-01","organisation":"MAG"},
      "geometry":{"type":"Polygon","coordinates":[[[104.90,11.555],[104.92,11.555],[104.92,11.57],[104.90,11.57],[104.90,11.555]]]}}]}"#;
    let f = d.file("acts.geojson", acts);
    d.cmd()
        .args(["release", "import", &f])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 activities recorded"));
    let acc = d.json(&["hazards", "accounting", "1", "--json"]);
    let a = &acc["total"];
    let rec = a["recorded_m2"].as_f64().unwrap();
    let sum = a["cancelled_m2"].as_f64().unwrap()
        + a["reduced_m2"].as_f64().unwrap()
        + a["cleared_m2"].as_f64().unwrap()
        + a["remaining_m2"].as_f64().unwrap();
    assert!((rec - sum).abs() < 0.01, "{acc}");
    assert!((a["cleared_m2"].as_f64().unwrap() / rec - 0.5).abs() < 1e-3);
    assert!((a["cancelled_m2"].as_f64().unwrap() / rec - 0.25).abs() < 1e-3);
    assert_eq!(acc["balances"], true);
    let khm = d.json(&["hazards", "accounting", "--iso3", "KHM", "--json"]);
    assert_eq!(khm["areas"].as_array().unwrap().len(), 3);
    // The State's totals by area status and by hazard type each add up to its total.
    let total = khm["total"]["recorded_m2"].as_f64().unwrap();
    for group in ["by_status", "by_type"] {
        let sum: f64 = khm[group]
            .as_object()
            .unwrap()
            .values()
            .map(|a| a["recorded_m2"].as_f64().unwrap())
            .sum();
        assert!(total > 0.0 && (sum - total).abs() < 0.01, "{group}: {khm}");
    }
    assert_eq!(khm["balances"], true);
    d.cmd()
        .args(["hazards", "accounting", "--iso3", "KHM"])
        .assert()
        .success()
        .stdout(predicate::str::contains("total over 3 area(s):"))
        .stdout(predicate::str::contains("  status open: recorded "));
    let list = d.json(&["release", "list", "1", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["activity"]["devices"][0]["model"], "PMN-2");
    // Errors: no depth for a clearance, a perimeter outside the area, no such area, bad WKT.
    let base = ["release", "add", "--area", "2", "--start", "2024-01-01"];
    d.cmd()
        .args(base)
        .args([
            "--kind",
            "clearance",
            "--perimeter",
            "POLYGON((104.92 11.55, 104.93 11.55, 104.93 11.56, 104.92 11.55))",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("depth"));
    d.cmd()
        .args(base)
        .args([
            "--kind",
            "technical-survey",
            "--perimeter",
            "POLYGON((100 10, 100.1 10, 100.1 10.1, 100 10))",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("releases nothing"));
    d.cmd()
        .args([
            "release",
            "add",
            "--area",
            "99",
            "--start",
            "2024-01-01",
            "--kind",
            "technical-survey",
            "--perimeter",
            "POLYGON((100 10, 100.1 10, 100.1 10.1, 100 10))",
        ])
        .assert()
        .code(4);
    d.cmd()
        .args(base)
        .args([
            "--kind",
            "technical-survey",
            "--perimeter",
            "POLYGON((100 10",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("--perimeter"));
    d.cmd().args(["release", "list", "99"]).assert().code(4);
}

#[test]
fn batch_check_from_the_store_leaves_closed_areas_out() {
    let d = Db::imported();
    let pts = d.file(
        "p.csv",
        "id,lon,lat\n1,104.905,11.555\n2,104.95,11.55\n3,104.925,11.555\n4,100.0,10.0\n",
    );
    d.cmd()
        .args(["check", "--points", &pts, "--within", "10", "--ids-only"])
        .assert()
        .code(3)
        .stdout("1\n3\n");
    // The points file is read beside the store's hazards: its faults are still named.
    let bad = d.file("bad.csv", "id,lon,lat\n1,104.905,11.555\n2,east,11.55\n");
    d.cmd()
        .args(["check", "--points", &bad, "--within", "10"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("bad.csv"))
        .stderr(predicate::str::contains("3"));
    d.cmd()
        .args(["check", "--points", "no-such-points.csv", "--within", "10"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no-such-points.csv"));
}

#[test]
fn closing_an_area_and_routes_from_the_store() {
    let d = Db::imported();
    let route = d.file(
        "road.geojson",
        r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[104.905,11.54],[104.905,11.57]]}}"#,
    );
    let v = d.json(&["check", "--route", &route, "--within", "50", "--json"]);
    assert_eq!(v["safe"], false);
    assert_eq!(v["hazards"][0]["id"], 1);
    d.cmd()
        .args(["hazards", "status", "1", "closed"])
        .assert()
        .success()
        .stdout(predicate::str::contains("status closed, version 2"));
    let v = d.json(&["check", "--route", &route, "--within", "50", "--json"]);
    assert_eq!(v["safe"], true, "{v}");
    d.cmd()
        .args(["hazards", "status", "1", "demolished"])
        .assert()
        .code(2);
    d.cmd()
        .args(["hazards", "status", "42", "open"])
        .assert()
        .code(4);
}

#[test]
fn custom_fields_are_checked() {
    let d = Db::imported();
    d.cmd()
        .args([
            "hazards",
            "define-field",
            "--iso3",
            "KHM",
            "--name",
            "land_use",
            "--type",
            "choice",
            "--choices",
            "agriculture,housing",
        ])
        .assert()
        .success();
    d.cmd()
        .args(["hazards", "set", "1", "land_use=housing"])
        .assert()
        .success()
        .stdout(predicate::str::contains("version 2"));
    d.cmd()
        .args(["hazards", "set", "1", "land_use=forest"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("agriculture, housing"));
    d.cmd()
        .args(["hazards", "set", "1", "colour=red"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no custom field"));
    d.cmd()
        .args([
            "hazards",
            "define-field",
            "--iso3",
            "KHM",
            "--name",
            "x",
            "--type",
            "choice",
        ])
        .assert()
        .code(3);
    let show = d.json(&["hazards", "show", "1", "--json"]);
    assert_eq!(show["area"]["custom"]["land_use"], "housing");
}

#[test]
fn check_without_a_database_says_what_to_do() {
    let d = Db::new();
    d.cmd()
        .args(["check", "--lon", "104.9", "--lat", "11.5"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--hazards"));
}

#[test]
fn help_describes_the_commands() {
    let mut c = Command::cargo_bin("demine").unwrap();
    c.args(["hazards", "import", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("self-intersection")
                .and(predicate::str::contains("--tolerance-m")),
        );
    let mut c = Command::cargo_bin("demine").unwrap();
    c.args(["release", "add", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("non-technical-survey"));
}

#[test]
fn release_import_is_all_or_nothing_and_errors_name_the_feature() {
    let d = Db::imported();
    let acts = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"area_id":1,"kind":"technical-survey","start":"2024-03-01"},
 "geometry":{"type":"Polygon","coordinates":[[[104.90,11.55],[104.905,11.55],[104.905,11.56],[104.90,11.56],[104.90,11.55]]]}},
{"type":"Feature","properties":{"area_id":2,"kind":"technical-survey","start":"2024-03-01"},
 "geometry":{"type":"Polygon","coordinates":[[[100.0,10.0],[100.1,10.0],[100.1,10.1],[100.0,10.0]]]}}
]}"#;
    let f = d.file("acts.geojson", acts);
    d.cmd()
        .args(["release", "import", &f])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("activities:2")
                .and(predicate::str::contains("releases nothing")),
        );
    assert_eq!(
        d.json(&["release", "list", "1", "--json"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let bad_kind = acts.replacen("technical-survey", "demolition", 1);
    let f = d.file("bad.geojson", &bad_kind);
    d.cmd()
        .args(["release", "import", &f])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("feature #0"));
    let f = d.file("broken.geojson", "{\"type\": ");
    d.cmd()
        .args(["release", "import", &f])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("line 1"));
    d.cmd()
        .args(["hazards", "accounting", "99"])
        .assert()
        .code(4);
    d.cmd()
        .args(["hazards", "export", "--format", "kml"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "<Placemark id=\"area-1\"><name>rice field</name>",
        ));
    d.cmd()
        .args(["hazards", "list", "--bbox", "1,2,3"])
        .assert()
        .code(2);
}

#[test]
fn geojson_carries_the_whole_area() {
    let d = Db::new();
    d.cmd()
        .args([
            "hazards",
            "define-field",
            "--iso3",
            "KHM",
            "--name",
            "village",
            "--type",
            "text",
        ])
        .assert()
        .success();
    let full = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":5,"status":"confirmed","name":"school path","iso3":"KHM",
 "admin_area":"Kandal","organisation":"CMAC","reported":"2023-05-01","surveyed":"2023-06-02",
 "notes":"near the pagoda","devices":["ap-mine","erw-uxo"],"benchmark":[104.9001,11.5501],
 "custom":{"village":"Phum Thmei"}},
 "geometry":{"type":"Polygon","coordinates":[[[104.90,11.55],[104.91,11.55],[104.91,11.56],[104.90,11.56],[104.90,11.55]]]}}]}"#;
    let f = d.file("full.geojson", full);
    d.cmd().args(["hazards", "import", &f]).assert().success();
    let show = d.json(&["hazards", "show", "5", "--json"]);
    let a = &show["area"];
    assert_eq!(a["iso3"], "KHM");
    assert_eq!(a["admin_area"], "Kandal");
    assert_eq!(a["organisation"], "CMAC");
    assert_eq!(a["reported"], "2023-05-01");
    assert_eq!(a["devices"], serde_json::json!(["ap-mine", "erw-uxo"]));
    assert_eq!(a["benchmark"], serde_json::json!([104.9001, 11.5501]));
    assert_eq!(a["custom"]["village"], "Phum Thmei");
    assert_eq!(a["hazard_type"], "CHA");
    // Exported and imported again: nothing changes.
    let out = d.dir.path().join("out.geojson").display().to_string();
    d.cmd().args(["hazards", "export", &out]).assert().success();
    d.cmd()
        .args(["hazards", "import", &out])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 unchanged"));
    // Each bad attribute names the feature.
    for (from, to, says) in [
        ("\"2023-05-01\"", "\"2023-02-30\"", "reported"),
        ("\"erw-uxo\"", "\"landmine\"", "landmine"),
        ("\"village\"", "\"colour\"", "no custom field"),
        ("[104.9001,11.5501]", "[11.5501]", "benchmark"),
    ] {
        let f = d.file("bad.geojson", &full.replace(from, to));
        d.cmd()
            .args(["hazards", "import", &f])
            .assert()
            .code(3)
            .stderr(
                predicate::str::contains("feature #0 (id 5)").and(predicate::str::contains(says)),
            );
    }
    let tha = full
        .replace("\"iso3\":\"KHM\"", "\"iso3\":\"THA\"")
        .replace("{\"village\":\"Phum Thmei\"}", "{}");
    let f = d.file("bad.geojson", &tha);
    d.cmd()
        .args(["hazards", "import", &f])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "feature #0 (id 5): the area is outside THA",
        ));
    let f = d.file("bad.geojson", full);
    d.cmd()
        .args(["hazards", "import", &f, "--iso3", "VNM"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("is not --iso3 VNM"));
}

/// A property whose value the import cannot read (here a lone UTF-16 surrogate escape) stops the
/// import with its place and name. Before, the properties were read in a second pass whose
/// failure dropped every feature's properties (its State, organisation, custom values) unsaid.
#[test]
fn an_unreadable_property_stops_the_import_instead_of_dropping_the_properties() {
    let d = Db::imported();
    let text = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":11,"status":"suspected","iso3":"KHM","notes":"bad \ud800 here"},"geometry":{"type":"Polygon","coordinates":[[[104.90,11.55],[104.91,11.55],[104.91,11.56],[104.90,11.56],[104.90,11.55]]]}}
]}"#;
    let f = d.file("surrogate.geojson", text);
    d.cmd()
        .args(["hazards", "import", &f])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("surrogate.geojson: line 2")
                .and(predicate::str::contains("property \"notes\"")),
        );
    // Nothing was stored: the three areas imported before are all there is.
    assert_eq!(
        d.json(&["hazards", "list", "--json"])
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}
