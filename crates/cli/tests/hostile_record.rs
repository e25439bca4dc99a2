//! The hostile corpus for the treaty's record (`tests/hostile/record/`): registry files with bad
//! rows, as a user or an attacker could write them, each run through the built `demine` binary
//! against a database holding the bundled record (sources, meetings, extensions, ...).
//!
//! `MANIFEST.csv` lists each case: its file, the demine arguments (`{file}` stands for it), whether
//! it is `refused` or `accepted`, and a piece of text the output must contain (stderr for a
//! refusal, stdout otherwise). After every refusal the database must be exactly as it was (the
//! audit log unchanged, and `audit verify`, which compares every stored row with the log, passes).
//! After every acceptance every read (`states`, `summary`, `states show` of the States the file
//! names) must still work: nothing stored may break a read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn corpus() -> PathBuf {
    common::corpus("record")
}

fn demine(db: &Path) -> Command {
    let mut c = Command::cargo_bin("demine").unwrap();
    c.arg("--db")
        .arg(db)
        .env_remove("DEMINE_DATABASE_URL")
        .env("USER", "hostile-test");
    c
}

/// The audit log as text: any change to the database appends to it.
fn audit_log(db: &Path) -> String {
    let out = demine(db)
        .args(["audit", "log", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn verify(db: &Path) {
    let out = demine(db).args(["audit", "verify"]).output().unwrap();
    assert!(
        out.status.success(),
        "audit verify: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Copies a closed SQLite database (with its WAL, if any) to a new path.
fn copy_db(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
    for ext in ["-wal", "-shm"] {
        let src = PathBuf::from(format!("{}{ext}", from.display()));
        if src.exists() {
            std::fs::copy(&src, format!("{}{ext}", to.display())).unwrap();
        }
    }
}

/// The ISO3 codes a case file names in its first column (for the reads after an acceptance).
fn states_named(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out: Vec<String> = text
        .lines()
        .skip(1)
        .flat_map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|c| c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_file_in_the_corpus_is_in_the_manifest() {
    let listed = common::assert_files_match_manifest("record");
    assert!(listed.len() >= 100, "{} cases", listed.len());
}

#[test]
fn hostile_record_files_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.db");
    demine(&base).arg("init").assert().success();
    let work = dir.path().join("work.db");
    copy_db(&base, &work);
    let log = audit_log(&work);
    let mut failures = Vec::new();
    for (n, c) in common::manifest("record").into_iter().enumerate() {
        let path = corpus().join(&c.file);
        assert!(path.exists(), "{}: missing", c.file);
        let args: Vec<String> = c
            .args
            .split_whitespace()
            .map(|a| a.replace("{file}", &path.display().to_string()))
            .collect();
        match c.expect.as_str() {
            "refused" => {
                let out = demine(&work).args(&args).output().unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr);
                if out.status.code() != Some(3) || !stderr.contains(&c.message) {
                    failures.push(format!(
                        "{}: expected refusal (exit 3) with {:?}, got exit {:?}: {stderr}{}",
                        c.file,
                        c.message,
                        out.status.code(),
                        String::from_utf8_lossy(&out.stdout)
                    ));
                    continue;
                }
                // The message names the file and a line.
                if !stderr.contains(&c.file) {
                    failures.push(format!(
                        "{}: the error does not name the file: {stderr}",
                        c.file
                    ));
                }
                assert_eq!(audit_log(&work), log, "{}: the database changed", c.file);
                verify(&work);
            }
            "accepted" => {
                let db = dir.path().join(format!("accepted-{n}.db"));
                copy_db(&base, &db);
                let out = demine(&db).args(&args).output().unwrap();
                let stdout = String::from_utf8_lossy(&out.stdout);
                if !out.status.success() || !stdout.contains(&c.message) {
                    failures.push(format!(
                        "{}: expected acceptance with {:?}, got exit {:?}: {stdout}{}",
                        c.file,
                        c.message,
                        out.status.code(),
                        String::from_utf8_lossy(&out.stderr)
                    ));
                    continue;
                }
                verify(&db);
                // Nothing stored may break a read.
                demine(&db).args(["states", "--json"]).assert().success();
                demine(&db).args(["summary", "--json"]).assert().success();
                demine(&db).arg("summary").assert().success();
                for iso3 in states_named(&path) {
                    demine(&db)
                        .args(["states", "show", &iso3])
                        .assert()
                        .success();
                    demine(&db)
                        .args(["states", "show", &iso3, "--json"])
                        .assert()
                        .success();
                }
            }
            other => panic!(
                "{}: expect must be refused or accepted, not {other}",
                c.file
            ),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
