//! `demine report` run as a program: formats chosen by flag or file extension, exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use predicates::prelude::*;

fn demine() -> Command {
    Command::cargo_bin("demine").unwrap()
}

#[test]
fn world_json_and_country_html_by_extension() {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("r.db");
    let out = demine()
        .arg("--db")
        .arg(&db)
        .args([
            "report",
            "world",
            "--as-of",
            "2025-06-30",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["kind"], "world");
    assert_eq!(v["as_of"], "2025-06-30");
    let html = d.path().join("afg.html");
    demine()
        .arg("--db")
        .arg(&db)
        .args(["report", "country", "afg", "--as-of", "2025-06-30", "-o"])
        .arg(&html)
        .assert()
        .success();
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.starts_with("<!DOCTYPE html>") && text.contains("Afghanistan"));
}

#[test]
fn an_unknown_state_is_not_found_exit_4() {
    let d = tempfile::tempdir().unwrap();
    demine()
        .arg("--db")
        .arg(d.path().join("r.db"))
        .args(["report", "country", "XXZ", "--as-of", "2025-06-30"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("XXZ"));
    demine()
        .arg("--db")
        .arg(d.path().join("r.db"))
        .args(["report", "world", "--format", "docx"])
        .assert()
        .code(2);
}
