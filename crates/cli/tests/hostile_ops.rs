//! The hostile corpus of the operations area (`tests/hostile/ops/`): registry files with bad
//! dates, negative money, names in keys, huge fields, byte order marks, wrong delimiters,
//! duplicated keys and columns, unknown ISO3 codes, bad backups, and treaty inputs with wrong
//! types. Each case of `MANIFEST.csv` runs the built `demine` against a fresh database holding a
//! few known rows; a refused case must leave the database exactly as it was with its audit log
//! verifying, and no case may ever print a victim's name.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Marks the names and contacts in the corpus's restricted rows: never in any output.
const SECRETS: [&str; 3] = ["Secretname", "555 0199", "Testperson"];

fn corpus() -> PathBuf {
    common::corpus("ops")
}

fn demine(db: &Path, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_demine"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("DEMINE_DATABASE_URL")
        .env_remove("RUST_BACKTRACE")
        .env("USER", "hostile-test")
        .output()
        .unwrap()
}

fn ok(db: &Path, args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = demine(db, &args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A database with the bundled data, a casualty and its victim, and a funding row.
fn template(dir: &Path) -> PathBuf {
    let db = dir.join("template.db");
    let files = [
        (
            "casualties",
            "c.csv",
            "id,date,iso3,device_category,killed,injured,group,age_group,sex\n\
             C1,2020-01-02,AFG,ap-mine,0,1,civilian,adult,female\n",
        ),
        (
            "victims",
            "v.csv",
            "casualty_id,person_name,birth_date,contact\nC1,Jane Q. Testperson,1980-02-29,+1 555 0199\n",
        ),
        (
            "funding",
            "f.csv",
            "donor,recipient,recipient_iso3,year,amount,currency,purpose\n\
             Japan,Cambodia,KHM,2001,750000,USD,survey\n",
        ),
    ];
    for (kind, name, text) in files {
        let f = dir.join(name);
        std::fs::write(&f, text).unwrap();
        ok(&db, &["import", kind, f.to_str().unwrap()]);
    }
    db
}

/// Everything the database holds, as a reader allowed to see all of it: the audit log records
/// every change, and `audit verify` checks the rows against it.
fn state(db: &Path) -> String {
    ok(db, &["--access", "restricted", "audit", "log", "--json"])
}

#[test]
fn every_file_is_in_the_manifest_and_every_case_has_a_file() {
    let cases = common::assert_files_match_manifest("ops");
    let listed: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.file.as_str()).collect();
    assert_eq!(listed.len(), cases.len(), "a file is listed twice");
    for c in &cases {
        assert!(
            c.expect == "refused" || c.expect == "accepted",
            "{}: expect {}",
            c.file,
            c.expect
        );
        assert!(!c.message.is_empty(), "{}: no message", c.file);
    }
    assert!(cases.len() >= 90, "{} cases", cases.len());
}

#[test]
fn hostile_ops_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let tmpl = template(dir.path());
    let fresh = state(&tmpl);
    let mut failures = Vec::new();
    for (n, c) in common::manifest("ops").iter().enumerate() {
        let db = dir.path().join(format!("case{n}.db"));
        // demine checkpoints on exit, so the .db file alone is the whole database.
        std::fs::copy(&tmpl, &db).unwrap();
        let file = corpus().join(&c.file);
        let args: Vec<String> = c
            .args
            .split_whitespace()
            .map(|a| a.replace("{file}", file.to_str().unwrap()))
            .collect();
        let out = demine(&db, &args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut fail = |why: String| failures.push(format!("{}: {why}", c.file));
        for s in SECRETS {
            if stdout.contains(s) || stderr.contains(s) {
                fail(format!("printed restricted data {s:?}: {stdout}{stderr}"));
            }
        }
        if stderr.to_lowercase().contains("backtrace") || stderr.contains("panicked") {
            fail(format!("crashed: {stderr}"));
        }
        match c.expect.as_str() {
            "refused" => {
                if out.status.success() {
                    fail(format!("was accepted: {stdout}"));
                    continue;
                }
                if !stderr.contains(&c.message) {
                    fail(format!("stderr lacks {:?}: {stderr}", c.message));
                }
                if !stderr.starts_with("error: ") {
                    fail(format!("not a one-line error message: {stderr}"));
                }
                if state(&db) != fresh {
                    fail("the database changed".into());
                }
                let verify = ok(&db, &["audit", "verify"]);
                if !verify.contains("verified") {
                    fail(format!("audit verify: {verify}"));
                }
            }
            _ => {
                if !out.status.success() {
                    fail(format!("was refused: {stderr}"));
                } else if !stdout.contains(&c.message) {
                    fail(format!("stdout lacks {:?}: {stdout}", c.message));
                }
            }
        }
        let _ = std::fs::remove_file(&db);
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
