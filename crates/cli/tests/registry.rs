//! The registry commands, run as the built binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

fn demine(db: &Path) -> Command {
    let mut c = Command::cargo_bin("demine").unwrap();
    c.arg("--db")
        .arg(db)
        .env_remove("DEMINE_DATABASE_URL")
        .env("USER", "cli-test");
    c
}

fn json(db: &Path, args: &[&str]) -> Value {
    let out = demine(db).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stdout(db: &Path, args: &[&str]) -> String {
    let out = demine(db).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn init_twice_is_harmless_and_first_use_fills_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    demine(&db).arg("init").assert().success();
    let log1 = json(&db, &["audit", "log", "--json"])
        .as_array()
        .unwrap()
        .len();
    demine(&db).arg("init").assert().success();
    let log2 = json(&db, &["audit", "log", "--json"])
        .as_array()
        .unwrap()
        .len();
    assert_eq!(log1, log2);
    // Any command on a missing database creates and fills it.
    let other = dir.path().join("fresh.db");
    let states = json(&other, &["states", "--json"]);
    assert_eq!(states.as_array().unwrap().len(), 197);
}

#[test]
fn states_contract_and_as_of() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let rows = json(&db, &["states", "--as-of", "2026-11-21", "--json"]);
    let rows = rows.as_array().unwrap();
    for key in [
        "iso3",
        "name",
        "status",
        "entry_into_force",
        "stockpile_destruction_deadline",
        "clearance_deadline",
    ] {
        assert!(rows.iter().all(|r| r.get(key).is_some()), "missing {key}");
    }
    let parties = rows.iter().filter(|r| r["status"] == "party").count();
    assert_eq!(parties, 161);
    let usa = rows.iter().find(|r| r["iso3"] == "USA").unwrap();
    assert_eq!(usa["status"], "not-signatory");
    assert!(usa["entry_into_force"].is_null());
    let ottawa = json(
        &db,
        &[
            "states",
            "--as-of",
            "1997-12-03",
            "--status",
            "party",
            "--json",
        ],
    );
    assert_eq!(ottawa.as_array().unwrap().len(), 0);
    let withdrawn = json(
        &db,
        &[
            "states",
            "--as-of",
            "2026-11-21",
            "--status",
            "withdrawn",
            "--json",
        ],
    );
    assert_eq!(withdrawn.as_array().unwrap().len(), 5);
    let non = json(
        &db,
        &[
            "states",
            "--as-of",
            "2026-11-21",
            "--status",
            "non-party",
            "--json",
        ],
    );
    assert_eq!(non.as_array().unwrap().len(), 31);
    let text = stdout(&db, &["states", "--as-of", "2026-11-21"]);
    assert!(
        text.contains("197 States listed, 161 of them States Parties"),
        "{text}"
    );
    let mut c = demine(&db);
    c.args(["states", "--status", "friendly"]);
    fails_with(c, 2, "unknown status \"friendly\"");
    let mut c = demine(&db);
    c.args(["states", "--as-of", "1999-02-29"]);
    fails_with(c, 2, "--as-of");
}

/// Runs and checks the exit code and that standard error says `needle`.
fn fails_with(mut cmd: Command, code: i32, needle: &str) {
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in {err:?}");
}

#[test]
fn state_show_has_every_section() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let usa = json(
        &db,
        &["states", "show", "USA", "--as-of", "1997-12-03", "--json"],
    );
    for key in [
        "iso3",
        "status",
        "entry_into_force",
        "events",
        "extensions",
        "reports",
        "estimates",
        "positions",
        "commitments",
        "compliance",
    ] {
        assert!(usa.get(key).is_some(), "missing {key}");
    }
    assert_eq!(usa["positions"].as_array().unwrap().len(), 1);
    let afg = json(
        &db,
        &["states", "show", "afg", "--as-of", "2026-11-21", "--json"],
    );
    assert_eq!(afg["events"][0]["source"], "zmjones-untreaties");
    // Every cited source is described: title, publisher, address, and its year, which is null
    // for an undated web page (the ISU's country page: cited n.d. in text).
    let sources = afg["sources"].as_array().unwrap();
    assert!(sources.iter().any(|s| s["id"] == "zmjones-untreaties"));
    for s in sources {
        for k in ["title", "publisher", "url"] {
            assert!(s.get(k).is_some_and(|v| !v.is_null()), "{s}");
        }
        assert!(s.get("year").is_some(), "{s}");
    }
    let isu = sources.iter().find(|s| s["id"] == "isu-afg").unwrap();
    assert!(isu["year"].is_null());
    let text = String::from_utf8(
        demine(&db)
            .args(["states", "show", "AFG"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(text.contains("[isu-afg]") && text.contains("Implementation Support Unit, n.d. https"));
    for key in [
        "original_clearance_deadline",
        "clearance_flags",
        "completion_declarations",
        "stockpile_completion",
        "retention",
        "report_record",
        "use_findings",
        "contamination",
        "withdrawal_notice",
    ] {
        assert!(afg.get(key).is_some(), "missing {key}");
    }
    let allowed = [
        "met",
        "met-late",
        "pending",
        "overdue",
        "unknown",
        "not-applicable",
    ];
    for o in afg["compliance"].as_array().unwrap() {
        assert!(allowed.contains(&o["status"].as_str().unwrap()), "{o}");
        assert!(!o["basis"].as_array().unwrap().is_empty());
        assert!(o.get("deadline").is_some());
    }
    demine(&db).args(["states", "show", "XYZ"]).assert().code(4);
    let text = stdout(&db, &["states", "show", "POL", "--as-of", "2025-10-01"]);
    assert!(text.contains("withdrawal-pending"), "{text}");
}

#[test]
fn estimates_list_every_source() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let world = json(
        &db,
        &[
            "estimates",
            "--subject",
            "World",
            "--measure",
            "mines_emplaced",
            "--json",
        ],
    );
    let world = world.as_array().unwrap();
    assert_eq!(world.len(), 2);
    assert_ne!(world[0]["source"], world[1]["source"]);
    let all = json(&db, &["estimates", "--json"]);
    let seeds = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["as_of"].as_str().is_some_and(|d| d.starts_with("1997")))
        .count();
    assert_eq!(seeds, 16, "every 1997 seed figure");
    // The USA's 1997 stockpile figure keeps its qualifier: the mines for Korea only.
    let usa = json(&db, &["estimates", "--subject", "USA", "--json"]);
    let stock = usa
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["measure"]
                .as_str()
                .unwrap()
                .starts_with("mines_stockpiled")
        })
        .unwrap();
    assert_eq!(stock["measure"], "mines_stockpiled_for_korea");
    assert!(
        stock["note"]
            .as_str()
            .unwrap()
            .contains("not the whole US stockpile")
    );
}

#[test]
fn export_import_round_trip_through_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let b = dir.path().join("b.db");
    for kind in ["states", "events", "estimates", "positions", "commitments"] {
        for ext in ["csv", "json"] {
            let file = dir.path().join(format!("{kind}.{ext}"));
            demine(&a)
                .args(["export", kind])
                .arg(&file)
                .assert()
                .success();
            let out = json(&b, &["import", kind, file.to_str().unwrap(), "--json"]);
            // b was filled with the same bundled data on first use: nothing changes.
            assert_eq!(
                (out["inserted"].as_u64(), out["updated"].as_u64()),
                (Some(0), Some(0))
            );
            let again = dir.path().join(format!("{kind}.again.{ext}"));
            demine(&b)
                .args(["export", kind])
                .arg(&again)
                .assert()
                .success();
            assert_eq!(
                std::fs::read(&file).unwrap(),
                std::fs::read(&again).unwrap(),
                "{kind}.{ext}"
            );
        }
    }
    let csv = stdout(&a, &["export", "estimates"]);
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("#loc+name,#country+code")
    );
    let plain = stdout(&a, &["export", "estimates", "--no-hxl"]);
    assert!(!plain.contains("#loc"));
    // A full export: every kind but the restricted one, each readable back.
    let all = dir.path().join("all");
    demine(&a)
        .args(["export", "all"])
        .arg(&all)
        .assert()
        .success();
    let mut names: Vec<String> = std::fs::read_dir(&all)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // Thirteen kinds as CSV, and the hazardous areas as GeoJSON.
    assert_eq!(names.len(), 14);
    assert!(names.contains(&"hazards.geojson".to_string()));
    assert!(!names.contains(&"victims.csv".to_string()));
    let c = dir.path().join("c.db");
    for kind in [
        "states",
        "events",
        "positions",
        "estimates",
        "commitments",
        "casualties",
    ] {
        let f = all.join(format!("{kind}.csv"));
        demine(&c).args(["import", kind]).arg(&f).assert().success();
    }
    // Restricted data stays in unless asked for.
    demine(&a).args(["export", "victims"]).assert().code(3);
    // ... and the store refuses it to a public reader even when asked for.
    demine(&a)
        .args(["export", "victims", "--include-restricted"])
        .assert()
        .code(6);
    demine(&a)
        .args([
            "export",
            "victims",
            "--include-restricted",
            "--access",
            "restricted",
        ])
        .assert()
        .success();
}

#[test]
fn a_bad_file_names_line_and_column_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let before = stdout(&db, &["export", "events"]);
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "iso3,event,date\n#country+code,#event+type,#date\nAFG,clearance-completed,2021-01-01\nXXX,signature,1997-12-03\n",
    )
    .unwrap();
    let mut c = demine(&db);
    c.args(["import", "events"]).arg(&bad);
    fails_with(c, 3, "bad.csv:4: column iso3: unknown ISO3 code \"XXX\"");
    assert_eq!(stdout(&db, &["export", "events"]), before);
    std::fs::write(&bad, "iso3,event,date\nAFG,signature,3 December 1997\n").unwrap();
    let mut c = demine(&db);
    c.args(["import", "events"]).arg(&bad);
    fails_with(c, 3, "bad.csv:2: column 3 (date)");
    demine(&db)
        .args(["import", "nonsense"])
        .arg(&bad)
        .assert()
        .code(2);
}

#[test]
fn audit_verify_detects_an_edited_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let ok = json(&db, &["audit", "verify", "--json"]);
    assert_eq!(ok["ok"], true);
    // Someone edits the database file directly.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::raw_sql("UPDATE treaty_events SET date = '2002-09-12' WHERE iso3 = 'AFG'")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    });
    let out = demine(&db).args(["audit", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("does NOT verify") && text.contains("events AFG"),
        "{text}"
    );
}

#[test]
fn backup_and_restore_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let backup = dir.path().join("r.backup");
    demine(&db).arg("backup").arg(&backup).assert().success();
    let before = stdout(&db, &["export", "reports"]);
    let file = dir.path().join("reports.csv");
    std::fs::write(
        &file,
        "iso3,kind,year,received,source\nAFG,initial,2003,2003-09-01,test\n",
    )
    .unwrap();
    demine(&db)
        .args(["import", "reports"])
        .arg(&file)
        .assert()
        .success();
    assert_ne!(stdout(&db, &["export", "reports"]), before);
    // The restore would remove the report imported since: it says so and needs --force.
    let mut c = demine(&db);
    c.arg("restore").arg(&backup);
    fails_with(
        c,
        3,
        "would remove what the database holds now: 1 audit_log, 1 reports",
    );
    assert_ne!(stdout(&db, &["export", "reports"]), before);
    let out = demine(&db)
        .arg("restore")
        .arg(&backup)
        .arg("--force")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("removed or replaced (--force): 1 audit_log, 1 reports"),
        "{text}"
    );
    // The database as it was is kept beside it, and named.
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("r.db.before-restore-")
        })
        .collect();
    assert_eq!(kept.len(), 1);
    assert!(
        text.contains(&kept[0].path().display().to_string()),
        "{text}"
    );
    assert_eq!(stdout(&db, &["export", "reports"]), before);
    let ok = json(&db, &["audit", "verify", "--json"]);
    assert_eq!(ok["ok"], true);
    std::fs::write(&file, "garbage").unwrap();
    demine(&db).arg("restore").arg(&file).assert().code(3);
    // Backing up onto the live database is refused.
    let mut c = demine(&db);
    c.arg("backup").arg(&db);
    fails_with(c, 3, "that is the database itself");
    assert_eq!(stdout(&db, &["export", "reports"]), before);
}

fn casualties(n: usize) -> String {
    let mut s = String::from(
        "id,date,iso3,admin_area,device_category,killed,injured,group,age_group,sex,source\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "K{i:08},2019-{:02}-{:02},AGO,Cuando Cubango,at-mine,{},{},deminer,adult,female,crash-test\n",
            i % 12 + 1,
            i % 28 + 1,
            i % 4,
            i % 3
        ));
    }
    s
}

/// Starts an import of a large file, waits until `writing` says the transaction has begun
/// writing, checks that readers still get answers meanwhile, kills the process, and checks that
/// the database is as it was.
fn crash_mid_import(args: &[String], writing: &dyn Fn() -> bool, dir: &Path) {
    let run = |extra: &[&str]| {
        let out = Command::cargo_bin("demine")
            .unwrap()
            .args(args)
            .args(extra)
            .env_remove("DEMINE_DATABASE_URL")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["init"]);
    let before_data = run(&["export", "casualties"]);
    let before_log = run(&["audit", "log", "--json"]);
    let big = dir.join("big.csv");
    std::fs::write(&big, casualties(300_000)).unwrap();
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("demine"))
        .args(args)
        .args(["import", "casualties"])
        .arg(&big)
        .env_remove("DEMINE_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !writing() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it was killed"
        );
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the import never started writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Readers are served while the import's transaction is open.
    let states: Value = serde_json::from_str(&run(&["states", "--json"])).unwrap();
    assert_eq!(states.as_array().unwrap().len(), 197);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import ended before it was killed"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(run(&["export", "casualties"]), before_data);
    assert_eq!(run(&["audit", "log", "--json"]), before_log);
    let verify: Value = serde_json::from_str(&run(&["audit", "verify", "--json"])).unwrap();
    assert_eq!(verify["ok"], true);
}

#[test]
fn a_killed_import_leaves_sqlite_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let args = vec!["--db".to_string(), db.display().to_string()];
    let wal = dir.path().join("r.db-wal");
    let baseline = std::cell::Cell::new(None::<u64>);
    let writing = || {
        let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        match baseline.get() {
            None => {
                baseline.set(Some(size));
                false
            }
            // The WAL grows by more than a few pages: the import's rows are being written.
            Some(b) => size > b + 256 * 1024,
        }
    };
    crash_mid_import(&args, &writing, dir.path());
}

#[test]
fn a_killed_import_leaves_postgres_as_it_was() {
    let Some(admin) = std::env::var("DEMINE_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        if std::env::var("DEMINE_SKIP_PG").as_deref() == Ok("1") {
            return;
        }
        panic!("DEMINE_TEST_PG_URL is not set: run scripts/test, or set DEMINE_SKIP_PG=1");
    };
    let dir = tempfile::tempdir().unwrap();
    let name = format!("demine_cli_crash_{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let exec = |url: String, sql: String| {
        rt.block_on(async move {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut c)
                .await
                .unwrap_or(0);
            c.close().await.unwrap();
            n
        })
    };
    let slash = admin.rfind('/').unwrap();
    let url = format!("{}/{name}", &admin[..slash]);
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await
        .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    });
    let args = vec!["--database-url".to_string(), url.clone()];
    // The import's transaction holds its lock on the audit log while it writes.
    let writing = || {
        exec(
            url.clone(),
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON l.relation = c.oid \
             WHERE c.relname = 'audit_log' AND l.mode = 'ExclusiveLock' AND l.granted"
                .to_string(),
        ) > 0
    };
    crash_mid_import(&args, &writing, dir.path());
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
    });
}

#[test]
fn summary_counts_statuses_lists_withdrawals_and_keeps_every_world_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let s = json(&db, &["summary", "--as-of", "2026-11-21", "--json"]);
    assert_eq!(s["states"], 197);
    assert_eq!(s["status_counts"]["party"], 161);
    assert_eq!(s["status_counts"]["withdrawn"], 5);
    let withdrawn: Vec<&str> = s["withdrawals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["iso3"].as_str().unwrap())
        .collect();
    assert_eq!(withdrawn, ["EST", "FIN", "LTU", "LVA", "POL"]);
    // Both 1997 figures for the world's mines stay: 80-110 million and 10 million.
    let mines: Vec<(f64, f64)> = s["world_estimates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["measure"] == "mines_emplaced")
        .map(|e| (e["low"].as_f64().unwrap(), e["high"].as_f64().unwrap()))
        .collect();
    assert_eq!(mines, [(80e6, 110e6), (10e6, 10e6)]);

    // On the day the Convention opened for signature nobody was bound yet.
    let s = json(&db, &["summary", "--as-of", "1997-12-03", "--json"]);
    assert!(s["status_counts"].get("party").is_none());

    // Deadlines within the horizon: the Marshall Islands (in force 2025-09-01) must destroy
    // stockpiles by 2029-09-01 under Art. 4.
    let s = json(
        &db,
        &[
            "summary",
            "--as-of",
            "2029-01-01",
            "--horizon",
            "365",
            "--json",
        ],
    );
    let due = s["upcoming_deadlines"].as_array().unwrap();
    assert!(due.iter().any(|d| d["iso3"] == "MHL"
        && d["obligation"] == "stockpile-destruction"
        && d["deadline"] == "2029-09-01"));
    assert!(
        due.iter()
            .all(|d| d["deadline"].as_str().unwrap() >= "2029-01-01"
                && d["deadline"].as_str().unwrap() <= "2030-01-01")
    );
}

#[test]
fn demine_without_a_command_prints_the_summary_on_the_embedded_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("default.db");
    let out = stdout(&db, &[]);
    assert!(out.contains("197 States:"), "{out}");
    assert!(out.contains("party"), "{out}");
    assert!(db.exists());
}

#[test]
fn the_audit_head_is_kept_beside_the_database_and_catches_a_truncated_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let head = stdout(&db, &["audit", "head"]);
    let file = dir.path().join("h.db.audit-head");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), head);
    let (n, hash) = head.trim().split_once(' ').unwrap();
    assert!(
        n.parse::<u64>().unwrap() > 400 && hash.len() == 64,
        "{head}"
    );
    // A report imported: the head moves on; the old head is still held by the longer chain.
    let reports = dir.path().join("r.csv");
    std::fs::write(
        &reports,
        "iso3,kind,year,received,source\nAFG,initial,2003,2003-09-01,test\n",
    )
    .unwrap();
    demine(&db)
        .args(["import", "reports"])
        .arg(&reports)
        .assert()
        .success();
    let now = stdout(&db, &["audit", "head"]);
    assert_ne!(now, head);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), now);
    demine(&db)
        .args(["audit", "verify", "--head", head.trim()])
        .assert()
        .success();
    // Someone removes the report and its entry: the chain and the rows agree, the head does not.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::raw_sql(
            "INSERT INTO meta (key, value) VALUES ('restoring', '1'); \
             DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log); \
             DELETE FROM transparency_reports WHERE source = 'test'; \
             DELETE FROM meta WHERE key = 'restoring';",
        )
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
    });
    let out = demine(&db).args(["audit", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("audit_log head: the chain was truncated"),
        "{err}"
    );
    // Against the older head it still verifies: that is what a kept head is for.
    demine(&db)
        .args(["audit", "verify", "--head", head.trim()])
        .assert()
        .success();
    // --audit-head puts the head elsewhere.
    let elsewhere = dir.path().join("kept-head.txt");
    demine(&db)
        .arg("--audit-head")
        .arg(&elsewhere)
        .args([
            "hazards",
            "define-field",
            "--iso3",
            "AFG",
            "--name",
            "x",
            "--type",
            "text",
        ])
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(&elsewhere).unwrap(),
        stdout(&db, &["audit", "head"])
    );
}

#[test]
fn postgres_keeps_its_head_where_told_and_restores_keep_a_dump_beside_the_backup() {
    let Some(admin) = std::env::var("DEMINE_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        if std::env::var("DEMINE_SKIP_PG").as_deref() == Ok("1") {
            return;
        }
        panic!("DEMINE_TEST_PG_URL is not set: run scripts/test, or set DEMINE_SKIP_PG=1");
    };
    let dir = tempfile::tempdir().unwrap();
    let name = format!("demine_cli_head_{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let admin_sql = |sql: String| {
        rt.block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
        })
    };
    admin_sql(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    admin_sql(format!("CREATE DATABASE {name}"));
    let slash = admin.rfind('/').unwrap();
    let url = format!("{}/{name}", &admin[..slash]);
    let head = dir.path().join("pg.audit-head");
    let pg = |args: &[&str]| {
        let mut c = Command::cargo_bin("demine").unwrap();
        c.args(["--database-url", &url, "--actor", "tester", "--audit-head"])
            .arg(&head)
            .args(args);
        c
    };
    pg(&["init"]).assert().success();
    let line = String::from_utf8(pg(&["audit", "head"]).output().unwrap().stdout).unwrap();
    assert_eq!(std::fs::read_to_string(&head).unwrap(), line);
    let backup = dir.path().join("b.json");
    pg(&["backup", backup.to_str().unwrap()]).assert().success();
    let reports = dir.path().join("r.csv");
    std::fs::write(
        &reports,
        "iso3,kind,year,received,source\nAFG,initial,2003,2003-09-01,test\n",
    )
    .unwrap();
    pg(&["import", "reports", reports.to_str().unwrap()])
        .assert()
        .success();
    let out = pg(&["restore", backup.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 audit_log, 1 reports"), "{err}");
    let out = pg(&["restore", backup.to_str().unwrap(), "--force"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("b.json.before-restore-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "{text}");
    assert!(
        text.contains(&kept[0].path().display().to_string()),
        "{text}"
    );
    pg(&["audit", "verify"]).assert().success();
    assert_eq!(
        std::fs::read_to_string(&head).unwrap(),
        String::from_utf8(pg(&["audit", "head"]).output().unwrap().stdout).unwrap()
    );
    admin_sql(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
