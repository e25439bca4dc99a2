//! The treaty's record through the built binary: a new user's first `demine`, and `states show`
//! for every State and entity, text and JSON, on the bundled data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn demine(db: &Path) -> Command {
    let mut c = Command::cargo_bin("demine").unwrap();
    c.arg("--db")
        .arg(db)
        .env_remove("DEMINE_DATABASE_URL")
        .env("USER", "record-test");
    c
}

fn run(db: &Path, args: &[&str]) -> String {
    let out = demine(db).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_read_command_works_for_every_state() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    // The first run, with no command, creates the database and prints the summary.
    let first = run(&db, &[]);
    for part in [
        "Art. 4 and Art. 5 deadlines in the next 365 days",
        "declared clearance of all known mined areas complete",
        "unknown",
        "Latest world figures",
        "Sources:",
    ] {
        assert!(first.contains(part), "missing {part:?}:\n{first}");
    }
    let summary: Value = serde_json::from_str(&run(&db, &["summary", "--json"])).unwrap();
    for key in [
        "upcoming_deadlines",
        "completed_clearance",
        "compliance_counts",
        "world_estimates",
        "new_use",
        "sources",
        "withdrawals_announced",
    ] {
        assert!(summary.get(key).is_some(), "summary lacks {key}");
    }
    run(&db, &["estimates"]);
    let all: Value = serde_json::from_str(&run(&db, &["states", "--all", "--json"])).unwrap();
    let codes: Vec<String> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["iso3"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 197 + 40);
    let allowed = [
        "met",
        "met-late",
        "pending",
        "overdue",
        "unknown",
        "not-applicable",
    ];
    for code in &codes {
        let text = run(&db, &["states", "show", code]);
        assert!(text.contains("compliance:"), "{code}: {text}");
        let detail: Value = serde_json::from_str(&run(&db, &["states", "show", code, "--json"]))
            .unwrap_or_else(|e| panic!("{code}: {e}"));
        for o in detail["compliance"].as_array().unwrap() {
            let status = o["status"].as_str().unwrap();
            assert!(allowed.contains(&status), "{code}: {o}");
            // Overdue only on a record that says so: it always names its source.
            if status == "overdue" {
                assert!(o["source"].is_string(), "{code}: {o}");
            }
        }
        // Every source cited is described.
        for s in detail["sources"].as_array().unwrap() {
            assert!(
                s["url"].as_str().is_some_and(|u| !u.is_empty()),
                "{code}: {s}"
            );
        }
    }
    // Ukraine: announced, engaged in an armed conflict, still bound (Art. 20(3)).
    let ukr = run(&db, &["states", "show", "UKR"]);
    assert!(ukr.contains(": party"), "{ukr}");
    assert!(ukr.contains("stays bound until the conflict ends"), "{ukr}");
    // Cambodia: the original and the current Art. 5 deadline, each extension with its meeting.
    let khm = run(&db, &["states", "show", "KHM"]);
    assert!(
        khm.contains("clearance (5(1)), original: 2010-01-01"),
        "{khm}"
    );
    assert!(khm.contains("by RC4"), "{khm}");
    // A decision the record dates only by its year or month is not shown as a day.
    assert!(
        khm.contains(
            "extension decided in 2009 (counted from 2009-12-31, the end of that period) by RC2"
        ),
        "{khm}"
    );
    assert!(khm.contains("request 3, submitted 2025"), "{khm}");
    // Serbia's third grant: no decision date in the record, placed by its number and flagged.
    let srb = run(&db, &["states", "show", "SRB"]);
    assert!(
        srb.contains("FLAG: decision date not in the record"),
        "{srb}"
    );
    assert!(
        srb.contains("clearance (5), in force:    2024-12-31"),
        "{srb}"
    );
    // Poland's withdrawal cites the sources of its deposit, not of its announcement.
    let pol = run(&db, &["states", "show", "POL"]);
    assert!(
        pol.contains("in effect since 2026-02-20 (Art. 20(3))  [source: icbl-2025-08-27"),
        "{pol}"
    );
    // Mozambique declared completion in 2015 and found mined areas in 2016: listed apart.
    assert!(
        first.contains("later reported mined areas found (Art. 5 applies again)"),
        "{first}"
    );
    let reopened: Vec<&str> = summary["reopened_clearance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["iso3"].as_str().unwrap())
        .collect();
    assert_eq!(reopened, ["GNB", "MOZ", "MRT", "NGA"]);
}
