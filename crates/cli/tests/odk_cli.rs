//! `demine import odk` and `demine reports`: the committed ODK Central and KoboToolbox exports
//! (tests/fixtures/odk) imported as drafts, decided by someone other than the importer, re-imports
//! recognised, an accident approved into casualty rows, hostile files refused with exit code 3.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::str::contains;

const AREA: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":1,"status":"confirmed"},"geometry":{"type":"Polygon","coordinates":[[[104.90,11.55],[104.92,11.55],[104.92,11.57],[104.90,11.57],[104.90,11.55]]]}}
]}"#;

fn odk(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/odk")
        .join(name)
        .display()
        .to_string()
}

fn demine(db: &Path, actor: &str) -> Command {
    let mut c = Command::cargo_bin("demine").unwrap();
    c.args(["--db", db.to_str().unwrap(), "--actor", actor]);
    c
}

fn db_with_area() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("t.db");
    let f = d.path().join("a.geojson");
    std::fs::write(&f, AREA).unwrap();
    demine(&db, "setup")
        .args(["hazards", "import", f.to_str().unwrap(), "--iso3", "KHM"])
        .assert()
        .success();
    (d, db)
}

#[test]
fn import_odk_enters_drafts_that_someone_else_approves() {
    let (_d, db) = db_with_area();
    // The repeat table beside the main table is found by its name.
    demine(&db, "collector")
        .args(["import", "odk", &odk("hazardous_area.csv"), "--dry-run"])
        .assert()
        .success()
        .stdout(contains("would enter 2 new-area draft(s)"));
    demine(&db, "collector")
        .args(["import", "odk", &odk("hazardous_area.csv")])
        .assert()
        .success()
        .stdout(contains(
            "ODK Central CSV (hazardous_area), 2 submission(s): entered 2",
        ));
    demine(&db, "collector")
        .args(["import", "odk", &odk("hazardous_area.csv")])
        .assert()
        .success()
        .stdout(contains("entered 0 new-area draft(s), 2 already imported"));
    demine(&db, "collector")
        .args(["import", "odk", &odk("technical_survey_clearance.csv")])
        .args(["--form", "technical_survey_clearance", "--json"])
        .assert()
        .success()
        .stdout(contains("\"export\": \"KoboToolbox CSV\""));
    demine(&db, "reviewer")
        .args(["reports", "list", "--status", "draft"])
        .assert()
        .success()
        .stdout(contains("#3 draft activity KHM area 1 by collector"))
        .stdout(contains(
            "#1 draft new-area KHM by collector from uuid:4b3c1f0e",
        ));
    demine(&db, "collector")
        .args(["reports", "approve", "1"])
        .assert()
        .code(6)
        .stderr(contains("someone else decides it"));
    demine(&db, "reviewer")
        .args(["reports", "approve", "1", "--note", "checked"])
        .assert()
        .success()
        .stdout(contains("field report 1 approved by reviewer"));
    demine(&db, "reviewer")
        .args(["reports", "approve", "3"])
        .assert()
        .success();
    demine(&db, "reviewer")
        .args(["release", "list", "1"])
        .assert()
        .success()
        .stdout(contains("clearance 2026-02-10"));
    demine(&db, "reviewer")
        .args(["reports", "approve", "99"])
        .assert()
        .code(4);
}

#[test]
fn an_accident_is_a_draft_whose_approval_writes_casualty_rows() {
    let (d, db) = db_with_area();
    demine(&db, "collector")
        .args(["import", "odk", &odk("accident_victim.json")])
        .assert()
        .success()
        .stdout(contains("entered 1 accident draft(s), 0 already imported"));
    demine(&db, "collector")
        .args(["import", "odk", &odk("accident_victim.json")])
        .assert()
        .success()
        .stdout(contains("entered 0 accident draft(s), 1 already imported"));
    demine(&db, "reviewer")
        .args(["reports", "list", "--status", "draft"])
        .assert()
        .success()
        .stdout(contains(
            "#1 draft accident KHM by collector from uuid:e1f2a3b4",
        ));
    demine(&db, "reviewer")
        .args(["reports", "plan", "1"])
        .assert()
        .success()
        .stdout(contains("\"casualties\": 1"))
        .stdout(contains("\"id\": \"field-report-1-1\""));
    demine(&db, "reviewer")
        .args(["reports", "approve", "1"])
        .assert()
        .success()
        .stdout(contains("field report 1 approved by reviewer"))
        .stdout(contains("\"casualties\":1"));
    let out = d.path().join("c.csv");
    demine(&db, "reviewer")
        .args(["export", "casualties", out.to_str().unwrap()])
        .assert()
        .success();
    let csv = std::fs::read_to_string(&out).unwrap();
    let row = csv
        .lines()
        .find(|l| l.starts_with("field-report-1-1,"))
        .unwrap_or_else(|| panic!("the victim's row: {csv}"));
    assert!(
        row.contains("2026-02-14,KHM,Battambang,ap-mine,0,1,civilian,adult,male")
            && row.contains("demine field report 1, form submission uuid:e1f2a3b4"),
        "{row}"
    );
}

#[test]
fn hostile_exports_are_refused_with_exit_code_3() {
    let (d, db) = db_with_area();
    let bad = d.path().join("bad.json");
    std::fs::write(&bad, r#"{"results":[{"meta/instanceID":"uuid:x","area_id":"1","work/released_boundary":"104.91 11.56 0 0;104.915 11.56 0 0;104.915 11.565 0 0;104.91 11.56 0 0"}]}"#).unwrap();
    demine(&db, "collector")
        .args([
            "import",
            "odk",
            bad.to_str().unwrap(),
            "--form",
            "technical_survey_clearance",
        ])
        .assert()
        .code(3)
        .stderr(contains("bad.json: submission #0"))
        .stderr(contains("field released_boundary"));
    let mapping = d.path().join("m.csv");
    std::fs::write(
        &mapping,
        "form,question,type,target\nf,,report,activity\nf,q,text,activity.colour\n",
    )
    .unwrap();
    demine(&db, "collector")
        .args([
            "import",
            "odk",
            &odk("non_technical_survey.json"),
            "--mapping",
            mapping.to_str().unwrap(),
        ])
        .assert()
        .code(3)
        .stderr(contains("line 3"))
        .stderr(contains("activity.colour"));
    demine(&db, "reviewer")
        .args(["reports", "list"])
        .assert()
        .success()
        .stdout(contains("no field reports"));
}
