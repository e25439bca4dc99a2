//! Operations and privacy (issue 7, "Fail closed"): read-only databases, the setup lock, a busy
//! writer, backup leftovers, the WAL checkpoint on exit, errors without backtraces, and access
//! levels on the command line. Run as the built binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn demine(db: &Path) -> Command {
    let mut c = Command::cargo_bin("demine").unwrap();
    c.arg("--db")
        .arg(db)
        .env_remove("DEMINE_DATABASE_URL")
        .env_remove("RUST_BACKTRACE")
        .env("USER", "ops-test");
    c
}

fn run(db: &Path, args: &[&str]) -> Output {
    demine(db).args(args).output().unwrap()
}

fn ok(db: &Path, args: &[&str]) -> String {
    let out = run(db, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_demine"))
}

const FUNDING: &str = "donor,recipient,recipient_iso3,year,amount,currency,purpose,source\n\
                       Norway,Angola,AGO,1998,2500000,USD,clearance,ops test\n";

const CASUALTIES: &str = "id,date,iso3,device_category,killed,injured,group,age_group,sex\n\
                          C0000001,2020-01-01,AFG,ap-mine,1,0,civilian,adult,male\n\
                          C1,2020-01-02,AFG,ap-mine,0,1,civilian,adult,female\n";

/// Imports the casualties the victims refer to, then the victims.
fn with_victims(db: &Path, dir: &Path) {
    let c = dir.join("c.csv");
    std::fs::write(&c, CASUALTIES).unwrap();
    ok(db, &["import", "casualties", c.to_str().unwrap()]);
    let v = dir.join("victims.csv");
    std::fs::write(&v, VICTIMS).unwrap();
    ok(db, &["import", "victims", v.to_str().unwrap()]);
}

const VICTIMS: &str = "casualty_id,person_name,birth_date,contact,source\n\
                       C0000001,Jane Q. Testperson,1980-02-29,+1 555 0100,test\n";

// ---- Reads on a database that cannot be written ----

/// Runs demine as an unprivileged user, so that file modes really stop writes (root ignores
/// them). None when that is impossible here.
fn as_other_user(args: &[&str]) -> Option<Output> {
    let root = std::env::var("USER").as_deref() == Ok("root")
        || StdCommand::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
    let mut c = if root {
        let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
            .into_iter()
            .find(|p| Path::new(p).exists())?;
        let mut c = StdCommand::new(setpriv);
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin());
        c
    } else {
        StdCommand::new(bin())
    };
    c.args(args)
        .env_remove("DEMINE_DATABASE_URL")
        .env_remove("RUST_BACKTRACE")
        .env("USER", "reader");
    Some(c.output().unwrap())
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn file_bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

#[test]
fn reads_work_on_a_read_only_database_and_writes_say_why_not() {
    let tmp = tempfile::tempdir().unwrap();
    set_mode(tmp.path(), 0o755);
    let dir = tmp.path().join("ro");
    std::fs::create_dir(&dir).unwrap();
    let db = dir.join("r.db");
    let funding = tmp.path().join("f.csv");
    std::fs::write(&funding, FUNDING).unwrap();
    set_mode(&funding, 0o644);
    ok(&db, &["import", "funding", funding.to_str().unwrap()]);
    let before = file_bytes(&db);
    set_mode(&db, 0o444);
    set_mode(&dir, 0o555);
    let d = db.to_str().unwrap();
    let reads: [&[&str]; 9] = [
        &["states"],
        &["summary"],
        &["states", "show", "AGO", "--json"],
        &["estimates"],
        &["export", "funding"],
        &["audit", "verify"],
        &["audit", "log", "--last", "3"],
        &["hazards", "list"],
        &["check", "--lon", "13.2", "--lat", "-8.8", "--json"],
    ];
    for args in reads {
        let mut full = vec!["--db", d];
        full.extend_from_slice(args);
        let Some(out) = as_other_user(&full) else {
            set_mode(&dir, 0o755);
            panic!("cannot run as another user here (no setpriv): the read-only test cannot run");
        };
        let err = stderr(&out);
        assert!(!err.contains("readonly"), "{args:?}: {err}");
        if args[0] != "check" {
            assert!(out.status.success(), "{args:?}: {err}");
        }
        if args == ["export", "funding"] {
            assert!(String::from_utf8_lossy(&out.stdout).contains("Norway"));
        }
    }
    // A write says it cannot write, and changes nothing.
    let out = as_other_user(&["--db", d, "import", "funding", funding.to_str().unwrap()]).unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot be written"),
        "{}",
        stderr(&out)
    );
    assert_eq!(file_bytes(&db), before);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        3,
        "the database, its lock file and its audit head only"
    );
    set_mode(&dir, 0o755);
}

#[test]
fn a_read_only_database_that_needs_setting_up_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    set_mode(tmp.path(), 0o755);
    let dir = tmp.path().join("ro");
    std::fs::create_dir(&dir).unwrap();
    // An empty file: a database nothing has been written to yet.
    let db = dir.join("empty.db");
    std::fs::write(&db, b"").unwrap();
    set_mode(&db, 0o444);
    set_mode(&dir, 0o555);
    let out = as_other_user(&["--db", db.to_str().unwrap(), "states"]).unwrap();
    set_mode(&dir, 0o755);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("has not been set up") && err.contains("cannot be written"),
        "{err}"
    );
}

#[test]
fn a_database_in_a_missing_folder_names_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("no-such-folder").join("x.db");
    for args in [&["states"][..], &["import", "funding", "f.csv"]] {
        let out = run(&db, args);
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(
            err.contains("no folder") && err.contains("no-such-folder"),
            "{err}"
        );
    }
    assert!(!tmp.path().join("no-such-folder").exists());
}

// ---- Several processes ----

#[test]
fn ten_processes_on_a_new_database_all_succeed_and_seed_once() {
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one.db");
    ok(&one, &["init"]);
    let single: serde_json::Value =
        serde_json::from_str(&ok(&one, &["audit", "log", "--json"])).unwrap();
    let db = tmp.path().join("race.db");
    let children: Vec<_> = (0..10)
        .map(|i| {
            let cmd = if i % 2 == 0 { "init" } else { "states" };
            StdCommand::new(bin())
                .arg("--db")
                .arg(&db)
                .arg(cmd)
                .env_remove("DEMINE_DATABASE_URL")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let log: serde_json::Value =
        serde_json::from_str(&ok(&db, &["audit", "log", "--json"])).unwrap();
    assert_eq!(
        log.as_array().unwrap().len(),
        single.as_array().unwrap().len(),
        "the bundled data was loaded once"
    );
    assert!(ok(&db, &["audit", "verify"]).contains("verified"));
}

#[test]
fn a_busy_database_names_the_writer_and_fails_within_the_bound() {
    use sqlx::Connection;
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("busy.db");
    ok(&db, &["init"]);
    let funding = tmp.path().join("f.csv");
    std::fs::write(&funding, FUNDING).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut holder = rt.block_on(async {
        let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(&db);
        let mut c = sqlx::sqlite::SqliteConnection::connect_with(&opts)
            .await
            .unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut c)
            .await
            .unwrap();
        c
    });
    let start = Instant::now();
    let out = run(&db, &["import", "funding", funding.to_str().unwrap()]);
    let took = start.elapsed();
    rt.block_on(async {
        sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
        holder.close().await.unwrap();
    });
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("is writing to this database"), "{err}");
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "the holder's pid: {err}"
    );
    assert!(err.contains("run this again"), "{err}");
    assert!(!err.contains("database is locked"), "{err}");
    assert!(took < Duration::from_secs(40), "{took:?}");
    // Once the writer is gone the import goes through.
    ok(&db, &["import", "funding", funding.to_str().unwrap()]);
}

// ---- Backups and copies ----

#[test]
fn a_killed_backups_temporary_file_is_removed_by_the_next_backup() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("b.db");
    ok(&db, &["init"]);
    let target = tmp.path().join("out.db");
    // A pid no process can have, and this test's own (a backup still running).
    let stale = tmp.path().join(".out.db.demine-backup-4194305.tmp");
    let live = tmp
        .path()
        .join(format!(".out.db.demine-backup-{}.tmp", std::process::id()));
    let other = tmp.path().join(".other.db.demine-backup-4194305.tmp");
    for f in [&stale, &live, &other] {
        std::fs::write(f, vec![0u8; 4096]).unwrap();
    }
    ok(&db, &["backup", target.to_str().unwrap()]);
    assert!(target.exists());
    assert!(!stale.exists(), "the killed backup's leftover is removed");
    assert!(live.exists(), "a running backup's file is left alone");
    assert!(other.exists(), "only backups to the same file are touched");
    // A failed backup leaves nothing behind either.
    let bad = tmp.path().join("missing-dir").join("x.db");
    let out = run(&db, &["backup", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".b.db") || n.contains("x.db"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn copying_only_the_db_file_after_a_command_keeps_every_write() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("live.db");
    let funding = tmp.path().join("f.csv");
    std::fs::write(&funding, FUNDING).unwrap();
    ok(&db, &["import", "funding", funding.to_str().unwrap()]);
    let wal = tmp.path().join("live.db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "the WAL is checkpointed on exit"
    );
    // A database created by a reading command is checkpointed too.
    let first = tmp.path().join("first.db");
    ok(&first, &["states"]);
    let first_wal = tmp.path().join("first.db-wal");
    assert!(!first_wal.exists() || std::fs::metadata(&first_wal).unwrap().len() == 0);
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("copy.db");
    std::fs::copy(&db, &copy).unwrap();
    assert!(ok(&copy, &["export", "funding"]).contains("Norway"));
    assert!(ok(&copy, &["audit", "verify"]).contains("verified"));
}

// ---- Errors are messages ----

#[test]
fn user_errors_print_no_backtrace_even_when_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("e.db");
    let bad = tmp.path().join("bad.csv");
    std::fs::write(
        &bad,
        "donor,recipient,year,amount,currency,purpose\nA,B,1999,-5,USD,p\n",
    )
    .unwrap();
    let nowhere = Path::new("/no/such/folder/x.db");
    let cases: [(&Path, &[&str], i32); 4] = [
        (&db, &["import", "funding", "/no/such/file.csv"], 1),
        (&db, &["import", "funding", bad.to_str().unwrap()], 3),
        (&db, &["states", "show", "XYZ"], 4),
        (nowhere, &["states"], 1),
    ];
    for (db, args, code) in cases {
        let out = demine(db)
            .env("RUST_BACKTRACE", "1")
            .env("RUST_LIB_BACKTRACE", "1")
            .args(args)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(!err.to_lowercase().contains("backtrace"), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
    let out = demine(&tmp.path().join("missing.db"))
        .env("RUST_BACKTRACE", "full")
        .args(["check", "--lon", "1", "--lat", "1"])
        .output()
        .unwrap();
    assert!(!stderr(&out).to_lowercase().contains("backtrace"));
}

// ---- Access levels ----

#[test]
fn the_audit_log_withholds_names_from_public_readers() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("a.db");
    with_victims(&db, tmp.path());
    for args in [
        &["audit", "log"][..],
        &["audit", "log", "--json"],
        &[
            "--access", "public", "audit", "log", "--json", "--last", "1",
        ],
    ] {
        let out = ok(&db, args);
        assert!(!out.contains("Testperson"), "{args:?}: {out}");
        assert!(!out.contains("555 0100"), "{args:?}: {out}");
        assert!(out.contains("withheld:"), "{args:?}: {out}");
    }
    let text = ok(&db, &["audit", "log", "--last", "1"]);
    assert!(
        text.contains("insert") && text.contains("victims"),
        "{text}"
    );
    let full = ok(&db, &["--access", "restricted", "audit", "log", "--json"]);
    assert!(full.contains("Jane Q. Testperson"));
    // Export and backup of personal data need the restricted level.
    let out = run(&db, &["export", "victims", "--include-restricted"]);
    assert_eq!(out.status.code(), Some(6));
    assert!(
        stderr(&out).contains("--access restricted"),
        "{}",
        stderr(&out)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Testperson"));
    let b = tmp.path().join("b.db");
    let out = run(&db, &["backup", b.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(!b.exists());
    ok(
        &db,
        &["--access", "restricted", "backup", b.to_str().unwrap()],
    );
    assert!(
        ok(
            &db,
            &[
                "--access",
                "restricted",
                "export",
                "victims",
                "--include-restricted"
            ]
        )
        .contains("Testperson")
    );
    let help = ok(&db, &["--help"]);
    assert!(help.contains("--access"), "{help}");
}

#[test]
fn import_errors_never_echo_a_victims_name() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("v.db");
    with_victims(&db, tmp.path());
    let v = tmp.path().join("v.csv");
    let files = [
        "casualty_id,person_name,birth_date\nC1,Zed Secretname,Secretname\n",
        "casualty_id,person_name\nC1,Zed Secretname\nC1,Zed Secretname\n",
        "casualty_id,person_name,birth_date\nC1,Zed Secretname,0000-01-01\n",
    ];
    for text in files {
        std::fs::write(&v, text).unwrap();
        let out = run(&db, &["import", "victims", v.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(3));
        let err = stderr(&out);
        assert!(!err.contains("Secretname"), "{err}");
        assert!(err.contains("withheld") && err.contains("v.csv:"), "{err}");
    }
}
