//! Runs the built `demine` binary for every `demine treaty` command, good input and bad.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

fn example(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

fn demine(args: &[&str]) -> Output {
    Command::cargo_bin("demine")
        .unwrap()
        .env("RUST_BACKTRACE", "0")
        .args(args)
        .output()
        .unwrap()
}

fn demine_stdin(args: &[&str], input: &str) -> Output {
    Command::cargo_bin("demine")
        .unwrap()
        .env("RUST_BACKTRACE", "0")
        .args(args)
        .write_stdin(input)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs a command expected to succeed with `--json` and returns the parsed output.
fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let o = demine(&all);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Asserts a failure with the given exit code, no panic, and a message containing each needle.
fn fails(o: &Output, code: i32, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "stderr: {err}\nstdout: {}",
        stdout(o)
    );
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "`{n}` not in: {err}");
    }
}

fn articles(basis: &Value) -> Vec<String> {
    basis
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["article"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn obligations_json_contract() {
    let v = json(&["treaty", "obligations", "--deposited", "2025-03-12"]);
    assert_eq!(v["entry_into_force"], "2025-09-01");
    assert_eq!(v["stockpile_destruction_deadline"], "2029-09-01");
    assert_eq!(v["clearance_deadline"], "2035-09-01");
    assert_eq!(v["initial_report_due"], "2026-02-28");
    assert_eq!(v["instrument"], "ratification");
    assert_eq!(articles(&v["basis"]), ["17(2)", "4", "5(1)", "7(1)"]);
    assert!(v["basis"][0]["reason"].as_str().unwrap().len() > 10);
}

#[test]
fn obligations_around_the_fortieth_deposit() {
    for (dep, article) in [
        ("1998-09-15", "17(1)"),
        ("1998-09-16", "17(1)"),
        ("1998-09-17", "17(2)"),
    ] {
        let v = json(&["treaty", "obligations", "--deposited", dep]);
        assert_eq!(v["entry_into_force"], "1999-03-01", "{dep}");
        assert_eq!(v["basis"][0]["article"], article, "{dep}");
    }
    let v = json(&["treaty", "obligations", "--deposited", "1998-10-01"]);
    assert_eq!(v["entry_into_force"], "1999-04-01");
}

#[test]
fn obligations_succession_and_text() {
    let v = json(&[
        "treaty",
        "obligations",
        "--deposited",
        "2011-11-11",
        "--instrument",
        "succession",
        "--succession-date",
        "2011-07-09",
    ]);
    assert_eq!(v["entry_into_force"], "2011-07-09");
    assert_eq!(v["clearance_deadline"], "2021-07-09");
    let o = demine(&["treaty", "obligations", "--deposited", "2000-02-29"]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("2000-08-01"), "{text}");
    assert!(text.contains("[Art. 17(2)]"), "{text}");
    assert!(text.contains("[Art. 4]"), "{text}");
}

#[test]
fn obligations_bad_input() {
    let o = demine(&["treaty", "obligations", "--deposited", "2023-02-30"]);
    fails(&o, 2, &["--deposited", "2023-02-30", "YYYY-MM-DD"]);
    let o = demine(&[
        "treaty",
        "obligations",
        "--deposited",
        "2023-13-01",
        "--json",
    ]);
    fails(&o, 2, &["--deposited"]);
    let o = demine(&[
        "treaty",
        "obligations",
        "--deposited",
        "2023-02-03",
        "--instrument",
        "signature",
    ]);
    fails(&o, 2, &["--instrument", "signature", "accession"]);
    let o = demine(&["treaty", "obligations", "--deposited", "1997-01-01"]);
    fails(&o, 1, &["deposited", "1997-01-01", "3 December 1997"]);
    let o = demine(&[
        "treaty",
        "obligations",
        "--deposited",
        "2011-11-11",
        "--succession-date",
        "2011-07-09",
    ]);
    fails(&o, 1, &["succession_date", "ratification"]);
    let o = demine(&["treaty", "obligations"]);
    fails(&o, 2, &["--deposited"]);
}

#[test]
fn annual_report_due() {
    let v = json(&["treaty", "annual-report-due", "--year", "2026"]);
    assert_eq!(v["due"], "2026-04-30");
    assert_eq!(v["covers"]["from"], "2025-01-01");
    assert_eq!(v["covers"]["to"], "2025-12-31");
    assert_eq!(articles(&v["basis"]), ["7(2)"]);
    let o = demine(&["treaty", "annual-report-due", "--year", "2024"]);
    assert!(stdout(&o).contains("due 2024-04-30, covering 2023-01-01 to 2023-12-31"));
    fails(
        &demine(&["treaty", "annual-report-due", "--year", "1998"]),
        1,
        &["1998", "2000"],
    );
    fails(
        &demine(&["treaty", "annual-report-due", "--year", "twenty"]),
        2,
        &["--year"],
    );
}

#[test]
fn withdrawal_plain_pending_and_ended() {
    let v = json(&["treaty", "withdrawal", "--deposited", "2025-06-27"]);
    assert_eq!(v["effective"], "2025-12-27");
    assert_eq!(v["earliest_effective"], "2025-12-27");
    assert!(v["pending_reason"].is_null());
    assert!(articles(&v["basis"]).contains(&"20(3)".to_string()));

    let v = json(&[
        "treaty",
        "withdrawal",
        "--deposited",
        "2025-06-29",
        "--armed-conflict",
    ]);
    assert!(v["effective"].is_null());
    assert_eq!(v["earliest_effective"], "2025-12-29");
    assert!(
        v["pending_reason"]
            .as_str()
            .unwrap()
            .contains("armed conflict")
    );

    let v = json(&[
        "treaty",
        "withdrawal",
        "--deposited",
        "2025-06-29",
        "--armed-conflict",
        "--conflict-ended",
        "2027-05-09",
    ]);
    assert_eq!(v["effective"], "2027-05-09");

    let o = demine(&[
        "treaty",
        "withdrawal",
        "--deposited",
        "2025-06-29",
        "--armed-conflict",
    ]);
    assert!(stdout(&o).contains("PENDING"), "{}", stdout(&o));
}

#[test]
fn withdrawal_bad_input() {
    let o = demine(&[
        "treaty",
        "withdrawal",
        "--deposited",
        "2025-06-29",
        "--armed-conflict",
        "--conflict-began",
        "2025-01-01",
        "--conflict-ended",
        "2024-01-01",
    ]);
    fails(&o, 1, &["--conflict-ended", "before"]);
    let o = demine(&[
        "treaty",
        "withdrawal",
        "--deposited",
        "2025-06-29",
        "--conflict-ended",
        "2026-01-01",
    ]);
    fails(&o, 2, &["--armed-conflict"]);
    fails(
        &demine(&["treaty", "withdrawal", "--deposited", "1998-06-01"]),
        1,
        &["deposited", "1998-06-01", "Art. 20(2)"],
    );
    fails(
        &demine(&["treaty", "withdrawal", "--deposited", "2025-02-29"]),
        2,
        &["--deposited", "2025-02-29"],
    );
}

#[test]
fn classify_every_example_through_the_binary() {
    let dir = PathBuf::from(example("devices"));
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let input: Value = serde_json::from_str(&text).unwrap();
        let v = json(&["treaty", "classify", path.to_str().unwrap()]);
        assert_eq!(
            v["verdict"],
            input["expected_verdict"],
            "{}",
            path.display()
        );
        for r in v["reasons"].as_array().unwrap() {
            assert!(r["article"].is_string());
        }
        if input.get("components").is_some() {
            assert_eq!(
                v["components"].as_array().unwrap().len(),
                input["components"].as_array().unwrap().len()
            );
        }
        n += 1;
    }
    assert!(n >= 10);
}

#[test]
fn classify_text_and_stdin() {
    let o = demine(&["treaty", "classify", &example("devices/tm-46-mvn-72.json")]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("CONTESTED"), "{text}");
    assert!(text.contains("Reading held by"), "{text}");
    let input = r#"{"name":"PMN","triggers":[{"kind":"pressure","threshold_kg":8}],
                    "designed_to_harm":["persons"],"self_destruct":true}"#;
    let o = demine_stdin(&["treaty", "classify", "-", "--json"], input);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "prohibited");
    assert_eq!(v["category"], "anti-personnel-mine");
}

#[test]
fn classify_bad_input() {
    let o = demine_stdin(
        &["treaty", "classify", "-"],
        "{\n  \"name\": \"x\",\n  \"triggers\": [,]\n}",
    );
    fails(&o, 1, &["<stdin>:3:", "malformed JSON"]);
    let o = demine_stdin(&["treaty", "classify", "-"], r#"{"triggers":[]}"#);
    fails(&o, 1, &["missing field `name`"]);
    let o = demine_stdin(&["treaty", "classify", "-"], r#"{"name":"x","trigers":[]}"#);
    fails(&o, 1, &["unknown field `trigers`"]);
    let o = demine_stdin(
        &["treaty", "classify", "-"],
        r#"{"name":"x","triggers":[{"kind":"pressure"}],"designed_to_harm":["persons"]}"#,
    );
    fails(&o, 1, &["triggers[0]", "threshold_kg"]);
    let o = demine_stdin(
        &["treaty", "classify", "-"],
        r#"{"name":"x","triggers":[]}"#,
    );
    fails(&o, 1, &["triggers", "empty"]);
    let o = demine_stdin(
        &["treaty", "classify", "-"],
        r#"{"name":"x","triggers":[{"kind":"pressure","threshold_kg":-3}],"designed_to_harm":["persons"]}"#,
    );
    fails(&o, 1, &["triggers[0].threshold_kg", "positive"]);
    fails(
        &demine(&["treaty", "classify", "/nonexistent/device.json"]),
        1,
        &["/nonexistent/device.json"],
    );
    fails(&demine_stdin(&["treaty", "classify", "-"], ""), 1, &["EOF"]);
}

#[test]
fn evaluate_the_1997_us_proposal() {
    let v = json(&["treaty", "evaluate", &example("proposals/us-1997.json")]);
    assert_eq!(v["compatible"], false);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for item in items {
        assert_eq!(item["verdict"], "incompatible");
        assert_eq!(item["basis"][0]["article"], "19");
    }
    assert!(articles(&items[0]["basis"]).contains(&"1(1)".to_string()));
    assert!(articles(&items[1]["basis"]).contains(&"2(1)".to_string()));
    assert!(articles(&items[2]["basis"]).contains(&"17".to_string()));
    assert_eq!(items[1]["device"]["verdict"], "prohibited");

    let o = demine(&["treaty", "evaluate", &example("proposals/us-1997.json")]);
    let text = stdout(&o);
    assert!(text.contains("INCOMPATIBLE"), "{text}");
    assert!(text.contains("[geographic]"), "{text}");
}

#[test]
fn evaluate_declaration_and_bad_input() {
    let ok = r#"{"title":"d","items":[{"kind":"declaration","text":"our reading of assist"}]}"#;
    let o = demine_stdin(&["treaty", "evaluate", "-", "--json"], ok);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["compatible"], true);
    let o = demine_stdin(
        &["treaty", "evaluate", "-"],
        r#"{"title":"x","items":[{"kind":"geographic"}]}"#,
    );
    fails(&o, 1, &["items[0]", "missing field `region`"]);
    let o = demine_stdin(
        &["treaty", "evaluate", "-"],
        r#"{"title":"x","items":[{"kind":"loophole","text":"x"}]}"#,
    );
    fails(&o, 1, &["unknown variant `loophole`"]);
    let o = demine_stdin(&["treaty", "evaluate", "-"], r#"{"title":"x","items":[]}"#);
    fails(&o, 1, &["items", "empty"]);
}

#[test]
fn extension_validate() {
    let v = json(&[
        "treaty",
        "extension",
        "validate",
        &example("extensions/complete.json"),
    ]);
    assert_eq!(v["complete"], true);
    assert_eq!(v["latest_allowed"], "2019-03-01");
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);

    let o = demine(&[
        "treaty",
        "extension",
        "validate",
        &example("extensions/incomplete-further.json"),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["complete"], false);
    let found: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["article"].as_str().unwrap().to_string())
        .collect();
    for a in [
        "5(3)",
        "5(4)(b)(ii)",
        "5(4)(b)(iii)",
        "5(4)(c)",
        "5(4)(d)",
        "5(6)",
    ] {
        assert!(found.contains(&a.to_string()), "{a} not in {found:?}");
    }
    let o = demine(&[
        "treaty",
        "extension",
        "validate",
        &example("extensions/incomplete-further.json"),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).contains("INCOMPLETE"));

    let o = demine_stdin(
        &["treaty", "extension", "validate", "-"],
        r#"{"current_deadline":"2019-01-01","requested_until":"2020-02-30"}"#,
    );
    fails(&o, 1, &["requested_until", "YYYY-MM-DD"]);
    let o = demine_stdin(
        &["treaty", "extension", "validate", "-"],
        r#"{"requested_until":"2020-02-01"}"#,
    );
    fails(&o, 1, &["missing field `current_deadline`"]);
}

#[test]
fn extension_deadline() {
    let v = json(&[
        "treaty",
        "extension",
        "deadline",
        "--entry-into-force",
        "1999-03-01",
        "--granted",
        "2008-11-28:2019-03-01",
        "--granted",
        "2018-11-30:2025-12-31",
    ]);
    assert_eq!(v["original_deadline"], "2009-03-01");
    assert_eq!(v["clearance_deadline"], "2025-12-31");
    assert_eq!(articles(&v["basis"]), ["5(1)", "5(5)", "5(6)"]);
    let v = json(&[
        "treaty",
        "extension",
        "deadline",
        "--deposited",
        "2002-09-11",
    ]);
    assert_eq!(v["entry_into_force"], "2003-03-01");
    assert_eq!(v["clearance_deadline"], "2013-03-01");
    let o = demine(&[
        "treaty",
        "extension",
        "deadline",
        "--entry-into-force",
        "1999-03-01",
        "--granted",
        "2008-11-28:2030-03-01",
    ]);
    fails(&o, 1, &["--granted", "ten years"]);
    let o = demine(&[
        "treaty",
        "extension",
        "deadline",
        "--granted",
        "2008-11-28:2019-03-01",
    ]);
    fails(&o, 2, &["--entry-into-force"]);
    let o = demine(&[
        "treaty",
        "extension",
        "deadline",
        "--entry-into-force",
        "1999-03-01",
        "--granted",
        "2019-03-01",
    ]);
    fails(&o, 2, &["--granted", "DECIDED_ON:GRANTED_UNTIL"]);
}

#[test]
fn status_command() {
    let args = [
        "treaty",
        "status",
        "--deposited",
        "2004-05-12",
        "--instrument",
        "accession",
        "--withdrawal-deposited",
        "2025-06-27",
        "--as-of",
    ];
    let mut a = args.to_vec();
    a.push("2025-09-01");
    let v = json(&a);
    assert_eq!(v["status"], "withdrawal-pending");
    assert_eq!(v["entry_into_force"], "2004-11-01");
    assert_eq!(v["withdrawal"]["effective"], "2025-12-27");
    let mut a = args.to_vec();
    a.push("2026-01-01");
    assert_eq!(json(&a)["status"], "withdrawn");
    let v = json(&[
        "treaty",
        "status",
        "--signed",
        "1997-12-04",
        "--as-of",
        "1998-01-01",
    ]);
    assert_eq!(v["status"], "signatory");
    let v = json(&["treaty", "status", "--as-of", "2000-01-01"]);
    assert_eq!(v["status"], "not-signatory");
    let o = demine(&["treaty", "status", "--signed", "2005-01-01"]);
    fails(&o, 1, &["signed", "Art. 15"]);
    let o = demine(&["treaty", "status", "--deposited", "2005-01-01"]);
    fails(&o, 2, &["--instrument"]);
}

#[test]
fn discovered_stockpile() {
    let v = json(&[
        "treaty",
        "discovered-stockpile",
        "--deposited",
        "2005-12-27",
        "--discovered",
        "2020-08-31",
    ]);
    assert_eq!(v["article_4_deadline"], "2010-06-01");
    assert_eq!(v["after_deadline"], true);
    assert_eq!(v["destroy_by"], "2021-02-28");
}

#[test]
fn help_documents_the_schemas() {
    let o = demine(&["treaty", "classify", "--help"]);
    let text = stdout(&o);
    for needle in [
        "threshold_kg",
        "designed_to_harm",
        "anti_handling",
        "components",
    ] {
        assert!(text.contains(needle), "classify --help lacks {needle}");
    }
    let text = stdout(&demine(&["treaty", "evaluate", "--help"]));
    assert!(text.contains("geographic") && text.contains("excludes_or_modifies"));
    let text = stdout(&demine(&["treaty", "extension", "validate", "--help"]));
    assert!(text.contains("impeding_circumstances") && text.contains("work_undertaken"));
    let text = stdout(&demine(&["treaty", "--help"]));
    assert!(text.contains("Exit status"));
}
