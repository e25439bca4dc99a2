//! Exports opened by the real client (GDAL's `ogrinfo`, as QGIS reads them) and round trips
//! demine -> GDAL (`ogr2ogr`) -> demine compared attribute by attribute and area by area. GDAL
//! must be installed (`scripts/test` installs `gdal-bin`): a missing `ogrinfo` fails the tests,
//! it never skips them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command as Proc;

use assert_cmd::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn demine(db: &Path) -> Command {
    let mut c = Command::cargo_bin("demine").unwrap();
    c.args(["--db", db.to_str().unwrap(), "--actor", "tester"]);
    c
}

fn gdal(tool: &str, args: &[&str]) -> (String, String) {
    let out = Proc::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} could not be run ({e}): install gdal-bin (scripts/test does)")
    });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{tool} {args:?} failed:\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

/// A database with the fixture's three areas (a holed polygon, a point with a radius, a
/// multipolygon) and a clearance on part of area 5, so that its remaining geometry differs.
fn loaded() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    demine(&db)
        .args(["hazards", "import"])
        .arg(fixture("areas_khm.geojson"))
        .assert()
        .success();
    demine(&db)
        .args([
            "release",
            "add",
            "--area",
            "5",
            "--kind",
            "clearance",
            "--start",
            "2024-01-10",
            "--depth-cm",
            "30",
            "--perimeter",
            "POLYGON((102.8 12.84,102.805 12.84,102.805 12.85,102.8 12.85,102.8 12.84))",
        ])
        .assert()
        .success();
    (dir, db)
}

/// The areas of a database as JSON features (recorded geometry), by name.
fn areas_by_name(db: &Path) -> Vec<(String, serde_json::Value)> {
    let out = demine(db)
        .args([
            "hazards",
            "export",
            "--geometry",
            "recorded",
            "--format",
            "geojson",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut fs: Vec<(String, serde_json::Value)> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["properties"]["name"].as_str().unwrap_or("").to_string(),
                f.clone(),
            )
        })
        .collect();
    fs.sort_by(|a, b| a.0.cmp(&b.0));
    fs
}

fn recorded_m2(db: &Path) -> Vec<(String, f64)> {
    let out = demine(db)
        .args(["hazards", "list", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut r: Vec<(String, f64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or("").to_string(),
                a["recorded_m2"].as_f64().unwrap(),
            )
        })
        .collect();
    r.sort_by(|a, b| a.0.cmp(&b.0));
    r
}

const CARRIED: &[&str] = &[
    "status",
    "type",
    "iso3",
    "admin_area",
    "organisation",
    "devices",
    "reported",
    "surveyed",
    "benchmark",
    "notes",
    "radius_m",
];

fn assert_same_areas(a: &Path, b: &Path, how: &str) {
    let (x, y) = (areas_by_name(a), areas_by_name(b));
    assert_eq!(x.len(), y.len(), "{how}");
    for ((n1, f1), (n2, f2)) in x.iter().zip(&y) {
        assert_eq!(n1, n2, "{how}");
        for k in CARRIED {
            assert_eq!(
                f1["properties"][k], f2["properties"][k],
                "{how}: area {n1:?}, attribute {k}"
            );
        }
    }
    for ((n1, m1), (_, m2)) in recorded_m2(a).iter().zip(&recorded_m2(b)) {
        assert!(
            (m1 - m2).abs() / m1 < 1e-9,
            "{how}: area {n1:?}: {m1} m2 vs {m2} m2"
        );
    }
}

#[test]
fn every_export_opens_in_ogrinfo_with_its_layers_fields_and_crs() {
    let (dir, db) = loaded();
    // format, extension, layer, features, geometry type GDAL reports, fields it must list
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "geojson",
            "geojson",
            "Feature Count: 3",
            &["organisation: String", "radius_m: Real"],
        ),
        (
            "kml",
            "kml",
            "Feature Count: 3",
            &["organisation: String", "id: Integer"],
        ),
        (
            "kmz",
            "kmz",
            "Feature Count: 3",
            &["organisation: String", "id: Integer"],
        ),
        (
            "csv",
            "csv",
            "Feature Count: 3",
            &["organisation: String", "id: Integer64", "radius_m: Real"],
        ),
        (
            "gpkg",
            "gpkg",
            "Feature Count: 3",
            &["organisation: String", "id: Integer64", "radius_m: Real"],
        ),
    ];
    for (format, ext, count, fields) in cases {
        let file = dir.path().join(format!("out.{ext}"));
        demine(&db)
            .args([
                "hazards",
                "export",
                "--geometry",
                "recorded",
                "--format",
                format,
            ])
            .arg(&file)
            .assert()
            .success();
        let f = file.to_str().unwrap();
        let (out, err) = gdal("ogrinfo", &["-ro", "-al", "-so", f]);
        assert!(
            !err.contains("Warning") && !err.contains("ERROR"),
            "{format}: {err}"
        );
        assert!(out.contains(count), "{format}: {out}");
        assert!(
            out.contains("4326") || out.contains("WGS 84") || out.contains("WGS_1984"),
            "{format}: {out}"
        );
        for field in *fields {
            assert!(out.contains(field), "{format}: no {field} in\n{out}");
        }
    }
    // GeoPackage: the areas and their activities, two layers.
    let (out, _) = gdal(
        "ogrinfo",
        &["-ro", "-so", dir.path().join("out.gpkg").to_str().unwrap()],
    );
    assert!(
        out.contains("hazardous_areas") && out.contains("activities"),
        "{out}"
    );
    // GPX: the point as a waypoint, the two areas as tracks, every attribute an extension field.
    let gpx = dir.path().join("out.gpx");
    demine(&db)
        .args(["hazards", "export", "--geometry", "recorded"])
        .arg(&gpx)
        .assert()
        .success();
    let (out, err) = gdal(
        "ogrinfo",
        &[
            "-ro",
            "-al",
            "-so",
            "--config",
            "GPX_USE_EXTENSIONS",
            "YES",
            gpx.to_str().unwrap(),
        ],
    );
    assert!(
        !err.contains("Warning") && !err.contains("ERROR"),
        "gpx: {err}"
    );
    assert!(
        out.contains("Layer name: waypoints\nGeometry: Point\nFeature Count: 1"),
        "{out}"
    );
    assert!(
        out.contains("Layer name: tracks\nGeometry: Multi Line String\nFeature Count: 2"),
        "{out}"
    );
    assert!(out.contains("demine_organisation: String"), "{out}");
}

#[test]
fn remaining_geometry_is_the_default_and_points_can_be_circles() {
    let (dir, db) = loaded();
    let csv = dir.path().join("r.csv");
    demine(&db)
        .args(["hazards", "export"])
        .arg(&csv)
        .assert()
        .success();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.contains("remaining"), "{text}");
    // A remaining-geometry file is refused on import, naming why.
    let other = dir.path().join("o.db");
    let out = demine(&other)
        .args(["hazards", "import"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--geometry recorded"));
    let circles = dir.path().join("c.gpkg");
    demine(&db)
        .args([
            "hazards",
            "export",
            "--points-as-circles",
            "--geometry",
            "recorded",
        ])
        .arg(&circles)
        .assert()
        .success();
    let (out, _) = gdal(
        "ogrinfo",
        &[
            "-ro",
            "-al",
            "-where",
            "name = 'Report'",
            circles.to_str().unwrap(),
            "hazardous_areas",
        ],
    );
    assert!(out.contains("POLYGON (("), "{out}");
    // Activities and history export.
    let acts = dir.path().join("acts.geojson");
    demine(&db)
        .args(["hazards", "export", "--activities"])
        .arg(&acts)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&acts).unwrap()).unwrap();
    assert_eq!(v["features"][0]["properties"]["kind"], "clearance");
    let hist = dir.path().join("hist.csv");
    demine(&db)
        .args(["hazards", "export", "--history"])
        .arg(&hist)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&hist).unwrap().lines().count(), 4);
}

#[test]
fn demine_gdal_demine_round_trips_keep_attributes_and_areas() {
    let (dir, db) = loaded();
    let src = dir.path().join("src.geojson");
    demine(&db)
        .args(["hazards", "export", "--geometry", "recorded"])
        .arg(&src)
        .assert()
        .success();
    let s = src.to_str().unwrap();
    // GDAL converts demine's GeoJSON to what QGIS users hand back.
    let conversions: &[(&str, &str, &[&str])] = &[
        ("gdal.gpkg", "GPKG", &[]),
        ("gdal.kml", "LIBKML", &[]),
        ("gdal.csv", "CSV", &["-lco", "GEOMETRY=AS_WKT"]),
        ("gdal.geojson", "GeoJSON", &[]),
    ];
    for (name, driver, extra) in conversions {
        let out = dir.path().join(name);
        let o = out.to_str().unwrap();
        let mut args = vec!["-f", *driver, o, s];
        args.extend_from_slice(extra);
        gdal("ogr2ogr", &args);
        let back = dir.path().join(format!("{name}.db"));
        demine(&back)
            .args(["hazards", "import"])
            .arg(&out)
            .assert()
            .success();
        assert_same_areas(&db, &back, name);
    }
    // GDAL's GPX driver writes points only: the point hazard as a waypoint, its attributes as
    // `ogr:` extensions, read back by demine like any GPX extension.
    let gpx = dir.path().join("gdal.gpx");
    gdal(
        "ogr2ogr",
        &[
            "-f",
            "GPX",
            gpx.to_str().unwrap(),
            s,
            "-dsco",
            "GPX_USE_EXTENSIONS=YES",
            "-where",
            "radius_m IS NOT NULL",
            "-nlt",
            "POINT",
        ],
    );
    let back = dir.path().join("gdal.gpx.db");
    demine(&back)
        .args(["hazards", "import"])
        .arg(&gpx)
        .assert()
        .success();
    let (x, y) = (areas_by_name(&db), areas_by_name(&back));
    assert_eq!(y.len(), 1, "gdal.gpx");
    let report = x.iter().find(|(n, _)| n == "Report").unwrap();
    for k in CARRIED {
        assert_eq!(
            report.1["properties"][k], y[0].1["properties"][k],
            "gdal.gpx: attribute {k}"
        );
    }
    assert_eq!(report.1["geometry"], y[0].1["geometry"], "gdal.gpx");
    // demine's own exports round-trip too, through every format.
    for ext in ["kml", "kmz", "gpx", "csv", "gpkg"] {
        let out = dir.path().join(format!("own.{ext}"));
        demine(&db)
            .args(["hazards", "export", "--geometry", "recorded"])
            .arg(&out)
            .assert()
            .success();
        let back = dir.path().join(format!("own-{ext}.db"));
        demine(&back)
            .args(["hazards", "import"])
            .arg(&out)
            .assert()
            .success();
        assert_same_areas(&db, &back, ext);
    }
}

#[test]
fn a_projected_geopackage_is_reprojected_or_refused_naming_its_crs() {
    let (dir, db) = loaded();
    let src = dir.path().join("src.geojson");
    demine(&db)
        .args(["hazards", "export", "--geometry", "recorded"])
        .arg(&src)
        .assert()
        .success();
    let utm = dir.path().join("utm.gpkg");
    gdal(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            "-t_srs",
            "EPSG:32648",
            utm.to_str().unwrap(),
            src.to_str().unwrap(),
        ],
    );
    let back = dir.path().join("utm.db");
    demine(&back)
        .args(["hazards", "import"])
        .arg(&utm)
        .assert()
        .success();
    for ((n, a), (_, b)) in recorded_m2(&db).iter().zip(&recorded_m2(&back)) {
        // Reprojected vertices, edges straight in lon/lat again: equal to a part in 10^5.
        assert!((a - b).abs() / a < 1e-5, "{n}: {a} vs {b}");
    }
    let merc = dir.path().join("merc.gpkg");
    gdal(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            "-t_srs",
            "EPSG:3857",
            merc.to_str().unwrap(),
            src.to_str().unwrap(),
        ],
    );
    let out = demine(&dir.path().join("m.db"))
        .args(["hazards", "import"])
        .arg(&merc)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("3857") && err.contains("Pseudo-Mercator"),
        "{err}"
    );
}

fn client_fixture(name: &str) -> PathBuf {
    fixture(&format!("clients/{name}"))
}

/// Files written as Google Earth Pro saves them (see tests/fixtures/clients/README.md) hold the
/// same three areas as areas_khm.geojson: imported, they equal it attribute by attribute and area
/// by area (recorded m2 within a relative 1e-9), and demine -> KML/KMZ -> demine keeps them.
#[test]
fn google_earth_pro_kml_and_kmz_import_and_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("ref.db");
    demine(&reference)
        .args(["hazards", "import"])
        .arg(fixture("areas_khm.geojson"))
        .assert()
        .success();
    for name in ["google_earth_pro.kml", "google_earth_pro.kmz"] {
        let db = dir.path().join(format!("{name}.db"));
        demine(&db)
            .args(["hazards", "import"])
            .arg(client_fixture(name))
            .assert()
            .success()
            // Google Earth draws rings clockwise: demine turns them and says so.
            .stderr(predicates::str::contains("ring 0 ran the wrong way"));
        assert_same_areas(&reference, &db, name);
        for ext in ["kml", "kmz"] {
            let out = dir.path().join(format!("{name}.out.{ext}"));
            demine(&db)
                .args(["hazards", "export", "--geometry", "recorded"])
                .arg(&out)
                .assert()
                .success();
            let back = dir.path().join(format!("{name}.back.{ext}.db"));
            demine(&back)
                .args(["hazards", "import"])
                .arg(&out)
                .assert()
                .success();
            assert_same_areas(&db, &back, &format!("{name} -> {ext}"));
        }
    }
}

/// A GPX file as a Garmin GPSMAP 66i writes it: two waypoints whose proximity alarms are their
/// radii (one in WaypointExtension v1, one in GpxExtensions v3), creation-time extensions, symbols,
/// and the walked track (a line: skipped with --skip-lines, refused without). The waypoints'
/// names are the areas' names and the point ids of a batch check.
#[test]
fn garmin_gpx_imports_checks_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let gpx = client_fixture("garmin_gpsmap66i.gpx");
    demine(&db)
        .args(["hazards", "import"])
        .arg(&gpx)
        .assert()
        .failure();
    demine(&db)
        .args(["hazards", "import", "--skip-lines", "--iso3", "KHM"])
        .arg(&gpx)
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "LineString \"2024-03-01 08:02:15\" skipped",
        ));
    let areas = areas_by_name(&db);
    let got: Vec<(&str, f64, f64, f64)> = areas
        .iter()
        .map(|(n, f)| {
            (
                n.as_str(),
                f["properties"]["radius_m"].as_f64().unwrap(),
                f["geometry"]["coordinates"][0].as_f64().unwrap(),
                f["geometry"]["coordinates"][1].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Mine 12b", 25.0, 102.887654, 12.912345),
            ("WP001", 50.0, 102.9, 12.9)
        ]
    );
    for (_, f) in &areas {
        // No status in a Garmin file: an area of unknown status is open, a hazard.
        assert_eq!(f["properties"]["area_status"], "open");
        assert_eq!(f["properties"]["iso3"], "KHM");
    }
    // The same file as the points of a batch check: ids are the waypoint names.
    demine(&db)
        .args(["check", "--points"])
        .arg(&gpx)
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "is a track or route, not a waypoint",
        ));
    for ext in ["gpx", "kml", "geojson"] {
        let out = dir.path().join(format!("out.{ext}"));
        demine(&db)
            .args(["hazards", "export", "--geometry", "recorded"])
            .arg(&out)
            .assert()
            .success();
        let back = dir.path().join(format!("back-{ext}.db"));
        demine(&back)
            .args(["hazards", "import"])
            .arg(&out)
            .assert()
            .success();
        assert_same_areas(&db, &back, &format!("garmin -> {ext}"));
    }
}

/// Files GDAL 3.6 wrote from demine's export of `areas_khm.geojson`, committed (see
/// tests/fixtures/gdal/README.md for the commands): each imports with the source's attributes and
/// areas, GDAL's forms read back (`(2:ap-mine,erw-uxo)` lists, `2023-02-11T00:00:00.000`
/// date-times, JSON lists in a CSV with its `.csvt`, `SimpleArrayField`s in plain KML, `ogr:`
/// extensions in GPX, a UTM GeoPackage reprojected). No GDAL is run here.
#[test]
fn files_gdal_wrote_import_with_the_sources_attributes_and_areas() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.db");
    demine(&src)
        .args(["hazards", "import"])
        .arg(fixture("areas_khm.geojson"))
        .assert()
        .success();
    for name in ["gdal_qgis.gpkg", "gdal.kml", "gdal.csv"] {
        let back = dir.path().join(format!("{name}.db"));
        demine(&back)
            .args(["hazards", "import"])
            .arg(fixture(&format!("gdal/{name}")))
            .assert()
            .success();
        assert_same_areas(&src, &back, name);
    }
    // The UTM GeoPackage: vertices reprojected back to lon/lat, areas equal to a part in 10^5,
    // attributes as they were.
    let utm = dir.path().join("utm.db");
    demine(&utm)
        .args(["hazards", "import"])
        .arg(fixture("gdal/gdal_utm.gpkg"))
        .assert()
        .success();
    let (x, y) = (areas_by_name(&src), areas_by_name(&utm));
    assert_eq!(x.len(), y.len());
    for ((n, a), (_, b)) in x.iter().zip(&y) {
        for k in CARRIED {
            assert_eq!(
                a["properties"][k], b["properties"][k],
                "gdal_utm.gpkg: {n}: {k}"
            );
        }
    }
    for ((n, a), (_, b)) in recorded_m2(&src).iter().zip(&recorded_m2(&utm)) {
        assert!((a - b).abs() / a < 1e-5, "gdal_utm.gpkg: {n}: {a} vs {b}");
    }
    // GDAL's GPX: the point hazard only, as a waypoint with `ogr:` extensions.
    let gpx = dir.path().join("gpx.db");
    demine(&gpx)
        .args(["hazards", "import"])
        .arg(fixture("gdal/gdal.gpx"))
        .assert()
        .success();
    let y = areas_by_name(&gpx);
    assert_eq!(y.len(), 1);
    let report = x.iter().find(|(n, _)| n == "Report").unwrap();
    for k in CARRIED {
        assert_eq!(
            report.1["properties"][k], y[0].1["properties"][k],
            "gdal.gpx: {k}"
        );
    }
    assert_eq!(report.1["geometry"], y[0].1["geometry"]);
}
