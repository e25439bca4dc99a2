//! The runner the reader corpora share (`tests/hostile/geometry`, `tests/hostile/files`): every case
//! of an area's `MANIFEST.csv` run through the built `demine` binary against a copy of a database
//! that holds a few known areas.
//!
//! A `refused` case must exit with an error code (not a signal, not a panic) and name the fault
//! (`message`) on standard error; the database must then be exactly as it was (same areas, same
//! audit log) and `demine audit verify` must pass. An `accepted` case must exit 0 (or 3, the
//! check's "hazard found", or 4, its "no hazard data here") with `message` on standard output, and
//! the audit log must still verify.
//! In `args`, `{file}` is the case file and `{dir}` the corpus directory.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The known areas every case starts from (in Cambodia, near Phnom Penh).
const KNOWN: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":1,"status":"suspected","name":"rice field"},"geometry":{"type":"Polygon","coordinates":[[[104.90,11.55],[104.91,11.55],[104.91,11.56],[104.90,11.56],[104.90,11.55]]]}},
{"type":"Feature","properties":{"id":2,"status":"confirmed"},"geometry":{"type":"Polygon","coordinates":[[[104.92,11.55],[104.93,11.55],[104.93,11.56],[104.92,11.56],[104.92,11.55]]]}},
{"type":"Feature","properties":{"id":3,"status":"suspected","radius":50},"geometry":{"type":"Point","coordinates":[104.95,11.55]}}
]}"#;

fn demine(db: &Path, args: &[String]) -> Output {
    Command::cargo_bin("demine")
        .unwrap()
        .arg("--db")
        .arg(db)
        .args(["--actor", "hostile"])
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap()
}

fn run(db: &Path, args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    demine(db, &args)
}

/// What must not change when a case is refused: the areas (every attribute and geometry) and the
/// audit log.
fn snapshot(db: &Path) -> (Vec<u8>, Vec<u8>) {
    let areas = run(db, &["hazards", "export"]);
    assert!(areas.status.success(), "export failed");
    let log = run(db, &["audit", "log"]);
    assert!(log.status.success(), "audit log failed");
    (areas.stdout, log.stdout)
}

fn copy_db(template: &Path, to_dir: &Path) -> PathBuf {
    let name = template.file_name().unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let mut from = template.as_os_str().to_owned();
        from.push(suffix);
        let from = PathBuf::from(from);
        if from.exists() {
            let mut to = to_dir.join(name).into_os_string();
            to.push(suffix);
            std::fs::copy(&from, PathBuf::from(to)).unwrap();
        }
    }
    to_dir.join(name)
}

/// Runs every case of `tests/hostile/{area}/MANIFEST.csv`, which must hold at least `min_cases`.
pub fn run_corpus(area: &str, min_cases: usize) {
    let dir = crate::common::corpus(area).canonicalize().unwrap();
    let work = tempfile::tempdir().unwrap();
    let template_dir = work.path().join("template");
    std::fs::create_dir(&template_dir).unwrap();
    let template = template_dir.join("t.db");
    let known = work.path().join("known.geojson");
    std::fs::write(&known, KNOWN).unwrap();
    let out = run(
        &template,
        &[
            "hazards",
            "import",
            known.to_str().unwrap(),
            "--iso3",
            "KHM",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = snapshot(&template);
    let cases = crate::common::manifest(area);
    assert!(cases.len() >= min_cases, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for (k, case) in cases.iter().enumerate() {
        let case_dir = work.path().join(format!("case{k}"));
        std::fs::create_dir(&case_dir).unwrap();
        let db = copy_db(&template, &case_dir);
        let file = dir.join(&case.file);
        let args: Vec<String> = case
            .args
            .split_whitespace()
            .map(|a| {
                a.replace("{file}", file.to_str().unwrap())
                    .replace("{dir}", dir.to_str().unwrap())
            })
            .collect();
        let out = demine(&db, &args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = format!(
            "MANIFEST.csv line {} ({} | {}): exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            case.line,
            case.file,
            case.args,
            out.status.code(),
            stdout.chars().take(2000).collect::<String>(),
            stderr.chars().take(2000).collect::<String>()
        );
        // No input may abort the process: a signal (no exit code) or a panic (101) fails.
        let code = out.status.code();
        if code.is_none() || code == Some(101) || stderr.contains("panicked") {
            failures.push(format!("crashed: {what}"));
            continue;
        }
        match case.expect.as_str() {
            "refused" => {
                // Refused: an error exit with an error message (3 from `check` alone would be
                // "hazard found", so the message must say error).
                if code == Some(0) || !stderr.to_lowercase().contains("error") {
                    failures.push(format!("not refused: {what}"));
                    continue;
                }
                if !stderr.contains(&case.message) {
                    failures.push(format!("message {:?} missing: {what}", case.message));
                    continue;
                }
                if snapshot(&db) != before {
                    failures.push(format!("database changed: {what}"));
                    continue;
                }
            }
            "accepted" => {
                if !matches!(code, Some(0 | 3 | 4)) {
                    failures.push(format!("not accepted: {what}"));
                    continue;
                }
                if !stdout.contains(&case.message) {
                    failures.push(format!("message {:?} missing: {what}", case.message));
                    continue;
                }
            }
            other => panic!(
                "line {}: expect must be refused or accepted, not {other}",
                case.line
            ),
        }
        let verify = run(&db, &["audit", "verify"]);
        if !verify.status.success() {
            failures.push(format!(
                "audit verify failed after: {what}\n{}",
                String::from_utf8_lossy(&verify.stderr)
            ));
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
