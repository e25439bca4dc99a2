//! The hostile corpus of the store's integrity (issue 7): files a user or an attacker could hand
//! to `demine hazards import`, `demine release import`, `demine restore` and `demine audit verify`,
//! listed in `tests/hostile/integrity/MANIFEST.csv` (file, args, expect, message). Each case runs
//! the built `demine` against a fresh copy of one database holding known areas, an activity and a
//! custom field; a refused case must exit non-zero with its message on standard error and leave
//! the database exactly as it was (same audit head, same areas, `audit verify` passes); an
//! accepted case must succeed with its message on standard output. A dry run must also leave the
//! database as it was.
//!
//! The JSON dumps of the corpus are made by `regenerate_dumps` (ignored; run it with
//! `cargo test -p demine-cli --test hostile_integrity -- --ignored` after a change to the dump or
//! audit formats).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn corpus() -> PathBuf {
    common::corpus("integrity")
}

/// Three Cambodian areas (1 and 2 polygons, 3 a circle), as the fixture database holds them.
const BASE_AREAS: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","id":1,"properties":{"status":"suspected","name":"rice field"},"geometry":{"type":"Polygon","coordinates":[[[104.90,11.55],[104.91,11.55],[104.91,11.56],[104.90,11.56],[104.90,11.55]]]}},
{"type":"Feature","id":2,"properties":{"status":"confirmed","name":"school path"},"geometry":{"type":"Polygon","coordinates":[[[104.92,11.55],[104.93,11.55],[104.93,11.56],[104.92,11.56],[104.92,11.55]]]}},
{"type":"Feature","id":3,"properties":{"status":"suspected","radius":50},"geometry":{"type":"Point","coordinates":[104.95,11.55]}}
]}"#;

const ACTIVITY: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
"properties":{"area_id":1,"kind":"technical-survey","start":"2024-01-02","devices":[{"category":"ap-mine","model":"PMN-2"}]},
"geometry":{"type":"Polygon","coordinates":[[[104.90,11.55],[104.905,11.55],[104.905,11.56],[104.90,11.56],[104.90,11.55]]]}}]}"#;

fn demine(db: &Path) -> Command {
    let mut c = Command::cargo_bin("demine").unwrap();
    c.arg("--db")
        .arg(db)
        .args(["--actor", "tester"])
        .env_remove("DEMINE_DATABASE_URL")
        .env_remove("DEMINE_AUDIT_HEAD");
    c
}

fn run_ok(db: &Path, args: &[&str]) -> String {
    let out = demine(db).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What must not change under a refused case.
fn state(db: &Path) -> (String, String) {
    (
        run_ok(db, &["audit", "head"]),
        run_ok(db, &["hazards", "list", "--json"]),
    )
}

/// Builds the fixture database once: the bundled registry, areas 1..3 in KHM, a custom field, a
/// technical survey with a device find on area 1. Returns its directory and path.
fn fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("base.db");
    let areas = dir.path().join("areas.geojson");
    std::fs::write(&areas, BASE_AREAS).unwrap();
    let act = dir.path().join("act.geojson");
    std::fs::write(&act, ACTIVITY).unwrap();
    run_ok(
        &db,
        &[
            "hazards",
            "import",
            areas.to_str().unwrap(),
            "--iso3",
            "KHM",
        ],
    );
    run_ok(
        &db,
        &[
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
        ],
    );
    run_ok(&db, &["release", "import", act.to_str().unwrap()]);
    (dir, db)
}

#[test]
fn every_file_is_listed_and_every_listed_file_exists() {
    let cases = common::assert_files_match_manifest("integrity");
    let listed: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.file.as_str()).collect();
    assert!(listed.len() >= 60, "{} cases", listed.len());
}

#[test]
fn hostile_corpus() {
    let (fixture_dir, base) = fixture();
    let base_head = base.with_file_name("base.db.audit-head");
    assert!(base_head.is_file(), "the fixture has no audit head file");
    let copy = fixture_dir.path().join("copy.db");
    run_ok(&base, &["backup", copy.to_str().unwrap()]);
    let base_state = state(&base);
    let mut failures = Vec::new();
    let cases = common::manifest("integrity");
    for c in &cases {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        std::fs::copy(&copy, &db).unwrap();
        std::fs::copy(&base_head, dir.path().join("t.db.audit-head")).unwrap();
        let file = dir.path().join(&c.file);
        std::fs::copy(corpus().join(&c.file), &file).unwrap();
        let args: Vec<String> = c
            .args
            .split_whitespace()
            .map(|a| a.replace("{file}", file.to_str().unwrap()))
            .collect();
        let out = demine(&db)
            .current_dir(dir.path())
            .args(&args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = format!(
            "MANIFEST.csv line {} ({} {}): exit {:?}\nstdout: {stdout}\nstderr: {stderr}",
            c.line,
            c.file,
            c.args,
            out.status.code()
        );
        let fail = |why: &str| format!("{why}: {what}");
        match c.expect.as_str() {
            "refused" => {
                if out.status.success() {
                    failures.push(fail("expected a refusal"));
                    continue;
                }
                if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
                    failures.push(fail("a panic is not a refusal"));
                    continue;
                }
                if !stderr.contains(&c.message) {
                    failures.push(fail(&format!("stderr lacks {:?}", c.message)));
                    continue;
                }
                if state(&db) != base_state {
                    failures.push(fail("the database changed"));
                    continue;
                }
                let v = demine(&db).args(["audit", "verify"]).output().unwrap();
                if !v.status.success() {
                    failures.push(fail(&format!(
                        "audit verify fails afterwards: {}",
                        String::from_utf8_lossy(&v.stdout)
                    )));
                }
            }
            "accepted" => {
                if !out.status.success() {
                    failures.push(fail("expected success"));
                    continue;
                }
                if !stdout.contains(&c.message) {
                    failures.push(fail(&format!("stdout lacks {:?}", c.message)));
                    continue;
                }
                if args.iter().any(|a| a == "--dry-run") && state(&db) != base_state {
                    failures.push(fail("a dry run changed the database"));
                    continue;
                }
                let v = demine(&db).args(["audit", "verify"]).output().unwrap();
                if !v.status.success() {
                    failures.push(fail(&format!(
                        "audit verify fails afterwards: {}",
                        String::from_utf8_lossy(&v.stdout)
                    )));
                }
            }
            other => failures.push(fail(&format!("unknown expectation {other:?}"))),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// Writes the corpus's JSON dumps: one small valid database (areas without a State, a superseded
/// version, an approval, an activity with a device find, a custom field, a meta fact) and copies
/// of it tampered with in one way each.
#[test]
#[ignore]
fn regenerate_dumps() {
    use demine_core::hazard::{
        Activity, ActivityKind, CustomField, DeviceCategory, DeviceFind, FieldKind, HazardArea,
        HazardType, VersionStatus,
    };
    use demine_geo::{Coord, Geometry, HazardShape, Polygon};
    use demine_store::{HazardStore, NewArea, SqliteStore, Store};
    use serde_json::json;

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rect = |x: f64, y: f64, w: f64| {
        Polygon::new(vec![
            Coord::new(x, y),
            Coord::new(x + w, y),
            Coord::new(x + w, y + w),
            Coord::new(x, y + w),
            Coord::new(x, y),
        ])
    };
    let dump = rt.block_on(async {
        let s = SqliteStore::open(&dir.path().join("gen.db")).await.unwrap();
        let area = |id: i64, x: f64| {
            NewArea::with_id(
                HazardArea {
                    id,
                    reference: Some(id.to_string()),
                    name: Some(format!("area {id}")),
                    hazard_type: HazardType::Sha,
                    status: demine_core::hazard::AreaStatus::Open,
                    source_status: Some("suspected".into()),
                    devices: vec![],
                    benchmark: None,
                    iso3: None,
                    admin_area: None,
                    organisation: None,
                    reported: None,
                    surveyed: None,
                    notes: None,
                    custom: Default::default(),
                },
                HazardShape::Polygon(rect(x, 11.55, 0.01)),
            )
        };
        let areas: Vec<NewArea> = (1..=3).map(|i| area(i, 104.0 + i as f64 * 0.1)).collect();
        s.import_areas(&areas, "generator", &|_, _| {})
            .await
            .unwrap();
        let mut two = areas[1].clone();
        two.area.name = Some("area 2, resurveyed".into());
        s.update_area(&two, VersionStatus::Draft, "generator")
            .await
            .unwrap();
        s.approve_area(3, "generator").await.unwrap();
        s.define_field(
            &CustomField {
                iso3: "KHM".into(),
                name: "village".into(),
                kind: FieldKind::Text,
                choices: vec![],
            },
            "generator",
        )
        .await
        .unwrap();
        let act = Activity {
            id: 0,
            area_id: 1,
            kind: ActivityKind::Clearance,
            start: chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
            end: None,
            organisation: Some("CMAC".into()),
            method: Some("manual".into()),
            depth_cm: Some(20),
            devices: vec![DeviceFind {
                category: DeviceCategory::ApMine,
                model: Some("PMN-2".into()),
                location: Some([104.102, 11.552]),
                depth_cm: Some(5),
                condition: None,
                destroyed: None,
            }],
        };
        s.record_activity(
            &act,
            &Geometry::Polygon(rect(104.1, 11.55, 0.005)),
            "generator",
        )
        .await
        .unwrap();
        s.set_meta("note", "generated for the hostile corpus")
            .await
            .unwrap();
        let d = s.dump().await.unwrap();
        // A SQLite backup, and one whose remaining hazard was zeroed behind demine's back.
        let valid = corpus().join("backup-valid.sqlite");
        let _ = std::fs::remove_file(&valid);
        s.backup(&valid).await.unwrap();
        let bad = corpus().join("backup-remaining-zeroed.sqlite");
        std::fs::copy(&valid, &bad).unwrap();
        let t = SqliteStore::open(&bad).await.unwrap();
        sqlx::query("UPDATE hazard_areas SET remaining_m2 = 0 WHERE id = 1")
            .execute(t.pool())
            .await
            .unwrap();
        t.close().await.unwrap();
        for f in [&valid, &bad] {
            let _ = std::fs::remove_file(demine_store::head_file_for(f));
        }
        s.close().await.unwrap();
        d
    });
    let mut base = serde_json::to_value(&dump).unwrap();
    // Only what the corpus needs: the registry's tables are empty here.
    if let Some(t) = base["tables"].as_object_mut() {
        t.retain(|_, v| v.as_array().is_some_and(|a| !a.is_empty()));
    }
    let out = corpus();
    let write = |name: &str, v: &serde_json::Value| {
        std::fs::write(
            out.join(name),
            serde_json::to_string_pretty(v).unwrap() + "\n",
        )
        .unwrap();
    };
    write("dump-valid.json", &base);
    let edit = |name: &str, f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = base.clone();
        f(&mut v);
        write(name, &v);
    };
    let n = base["audit"].as_array().unwrap().len();
    edit("dump-area-closed.json", &|v| {
        v["tables"]["hazard_areas"][0]["status"] = json!("closed")
    });
    edit("dump-area-renamed.json", &|v| {
        v["tables"]["hazard_areas"][1]["name"] = json!("forged")
    });
    edit("dump-area-geometry-swapped.json", &|v| {
        let g = v["tables"]["hazard_areas"][1]["geom"].clone();
        v["tables"]["hazard_areas"][0]["geom"] = g;
    });
    edit("dump-area-removed.json", &|v| {
        v["tables"]["hazard_areas"]
            .as_array_mut()
            .unwrap()
            .remove(2);
        v["tables"]["hazard_area_bbox"]
            .as_array_mut()
            .unwrap()
            .remove(2);
    });
    edit("dump-area-added.json", &|v| {
        let mut a = v["tables"]["hazard_areas"][2].clone();
        a["id"] = json!(44);
        v["tables"]["hazard_areas"].as_array_mut().unwrap().push(a);
    });
    edit("dump-area-duplicated.json", &|v| {
        let a = v["tables"]["hazard_areas"][2].clone();
        v["tables"]["hazard_areas"].as_array_mut().unwrap().push(a);
    });
    edit("dump-radius-zero.json", &|v| {
        v["tables"]["hazard_areas"][2]["radius_m"] = json!(0.0)
    });
    edit("dump-remaining-zeroed.json", &|v| {
        v["tables"]["hazard_areas"][0]["remaining_m2"] = json!(0.0)
    });
    edit("dump-remaining-dropped.json", &|v| {
        v["tables"]["hazard_areas"][0]["remaining"] = json!(null);
        v["tables"]["hazard_areas"][0]["remaining_m2"] = json!(null);
    });
    edit("dump-approval-forged.json", &|v| {
        v["tables"]["hazard_areas"][0]["version_status"] = json!("approved")
    });
    edit("dump-approval-dropped.json", &|v| {
        v["tables"]["hazard_areas"][2]["version_status"] = json!("draft")
    });
    edit("dump-version-removed.json", &|v| {
        v["tables"]["hazard_area_versions"]
            .as_array_mut()
            .unwrap()
            .clear()
    });
    edit("dump-version-edited.json", &|v| {
        v["tables"]["hazard_area_versions"][0]["made_by"] = json!("mallory")
    });
    edit("dump-activity-removed.json", &|v| {
        v["tables"]["release_activities"]
            .as_array_mut()
            .unwrap()
            .clear();
        v["tables"]["device_finds"].as_array_mut().unwrap().clear();
    });
    edit("dump-activity-doubled.json", &|v| {
        let x = v["tables"]["release_activities"][0]["released_m2"]
            .as_f64()
            .unwrap();
        v["tables"]["release_activities"][0]["released_m2"] = json!(x * 2.0);
    });
    edit("dump-device-edited.json", &|v| {
        v["tables"]["device_finds"][0]["model"] = json!("forged")
    });
    edit("dump-device-removed.json", &|v| {
        v["tables"]["device_finds"].as_array_mut().unwrap().clear()
    });
    edit("dump-field-edited.json", &|v| {
        v["tables"]["custom_fields"][0]["kind"] = json!("number")
    });
    edit("dump-field-added.json", &|v| {
        let mut f = v["tables"]["custom_fields"][0].clone();
        f["name"] = json!("forged");
        v["tables"]["custom_fields"].as_array_mut().unwrap().push(f);
    });
    edit("dump-box-moved.json", &|v| {
        v["tables"]["hazard_area_bbox"][0]["min_lon"] = json!(0.0);
        v["tables"]["hazard_area_bbox"][0]["max_lon"] = json!(1.0);
    });
    edit("dump-meta-forged.json", &|v| {
        v["meta"]["seeded"] = json!("2020-01-01T00:00:00Z")
    });
    edit("dump-entry-edited.json", &|v| {
        v["audit"][1]["actor"] = json!("mallory")
    });
    edit("dump-entry-rehashed.json", &|v| {
        // Editing an entry and fixing its own hash still breaks the next entry's link.
        v["audit"][1]["after"] = json!("{}");
        v["audit"][1]["hash"] = json!("0".repeat(64));
    });
    edit("dump-entry-removed.json", &|v| {
        v["audit"].as_array_mut().unwrap().remove(1);
    });
    edit("dump-entries-reordered.json", &|v| {
        v["audit"].as_array_mut().unwrap().swap(1, 2);
    });
    edit("dump-chain-cleared.json", &|v| {
        v["audit"].as_array_mut().unwrap().clear();
    });
    edit("dump-tail-truncated.json", &|v| {
        // The last entry (the meta fact) removed with what it recorded: it verifies by itself.
        v["audit"].as_array_mut().unwrap().truncate(n - 1);
        v["meta"].as_object_mut().unwrap().remove("note");
    });
    edit("dump-wrong-format.json", &|v| {
        v["format"] = json!("other-dump")
    });
    edit("dump-version-2.json", &|v| v["version"] = json!(2));
    edit("dump-bad-geometry.json", &|v| {
        v["tables"]["hazard_areas"][0]["geom"] = json!("zz")
    });
    edit("dump-tables-not-object.json", &|v| v["tables"] = json!([]));
}
