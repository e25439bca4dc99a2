//! The safety check's hostile corpus (`tests/hostile/check/`): places, points files, routes and
//! hazards files a user or an attacker could give `demine check`, each run through the built
//! binary against a fresh database, with the exit code and message it must give.
//!
//! `MANIFEST.csv` has one case a line: `file,args,expect,message`. `args` are demine's arguments;
//! `{file}` stands for the case file, and `{db}`, `{empty-db}`, `{tha-db}`, `{released-db}`,
//! `{unfiled-db}` for a fresh copy of a database (below), `{no-db}` for a path where there is
//! none. Without a database token, `--db {db}` is given. `expect` is `refused` (exit 1 or 2, the
//! message on standard error), `accepted` (exit 0: safe), `hazard` (exit 3) or `no-data` (exit 4),
//! the message on standard output (or on standard error when it starts with `stderr:`).
//!
//! The databases: `db` holds Cambodia's areas of `fixtures/khm.geojson` filed under KHM (open
//! area 1, cleared area 2, a reported point 3 with a 200 m radius); `empty-db` no area;
//! `tha-db` one area filed under THA; `released-db` Cambodian areas all released; `unfiled-db`
//! the areas of `khm.geojson` filed under no State.
//!
//! After every case the database must be exactly as it was (the check never writes) and
//! `demine audit verify` must pass.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/hostile/check")
}

fn demine(args: &[&str], cwd: &Path) -> Output {
    Command::cargo_bin("demine")
        .unwrap()
        .args(args)
        .current_dir(cwd)
        .env("RUST_BACKTRACE", "0")
        .env_remove("DEMINE_DATABASE_URL")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The database fixtures, built once, copied for each case.
struct Fixtures {
    dir: tempfile::TempDir,
    built: HashMap<String, (PathBuf, String)>,
}

impl Fixtures {
    /// The template database `name` and its snapshot (every area, as exported).
    fn template(&mut self, name: &str) -> (PathBuf, String) {
        if let Some(t) = self.built.get(name) {
            return t.clone();
        }
        let db = self.dir.path().join(format!("{name}.db"));
        let d = db.to_str().unwrap();
        let fixture = |f: &str| corpus().join("fixtures").join(f);
        let run = |args: &[&str]| {
            let out = demine(args, self.dir.path());
            assert!(
                out.status.success(),
                "fixture {name}: {}",
                text(&out.stderr)
            );
        };
        match name {
            "db" => run(&[
                "--db",
                d,
                "hazards",
                "import",
                fixture("khm.geojson").to_str().unwrap(),
                "--iso3",
                "KHM",
            ]),
            "empty-db" => run(&["--db", d, "hazards", "list"]),
            "tha-db" => run(&[
                "--db",
                d,
                "hazards",
                "import",
                fixture("tha.geojson").to_str().unwrap(),
                "--iso3",
                "THA",
            ]),
            "released-db" => run(&[
                "--db",
                d,
                "hazards",
                "import",
                fixture("released.geojson").to_str().unwrap(),
                "--iso3",
                "KHM",
            ]),
            "unfiled-db" => run(&[
                "--db",
                d,
                "hazards",
                "import",
                fixture("khm.geojson").to_str().unwrap(),
            ]),
            other => panic!("unknown database fixture {{{other}}}"),
        }
        let snap = snapshot(&db, self.dir.path());
        self.built
            .insert(name.to_string(), (db.clone(), snap.clone()));
        (db, snap)
    }
}

/// Every area of a database, as exported, and the audit log's verdict.
fn snapshot(db: &Path, cwd: &Path) -> String {
    let d = db.to_str().unwrap();
    let export = demine(&["--db", d, "hazards", "export"], cwd);
    assert!(export.status.success(), "{}", text(&export.stderr));
    let verify = demine(&["--db", d, "audit", "verify"], cwd);
    assert!(
        verify.status.success(),
        "audit verify failed: {}{}",
        text(&verify.stdout),
        text(&verify.stderr)
    );
    // The verdict names the database's head file: compare it without the database's path, so
    // that a copy of a fixture reads the same as the fixture.
    text(&export.stdout) + &text(&verify.stdout).replace(d, "DB")
}

/// Copies a database file with its WAL companions and its audit head.
fn copy_db(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
    for ext in ["-wal", "-shm", ".audit-head"] {
        let f = PathBuf::from(format!("{}{ext}", from.display()));
        if f.exists() {
            std::fs::copy(&f, format!("{}{ext}", to.display())).unwrap();
        }
    }
}

const DB_TOKENS: [&str; 5] = ["db", "empty-db", "tha-db", "released-db", "unfiled-db"];

#[test]
fn hostile_check_corpus() {
    let dir = corpus();
    let mut fixtures = Fixtures {
        dir: tempfile::tempdir().unwrap(),
        built: HashMap::new(),
    };
    let mut rdr = csv::Reader::from_path(dir.join("MANIFEST.csv")).unwrap();
    assert_eq!(
        rdr.headers().unwrap(),
        vec!["file", "args", "expect", "message"]
    );
    let mut failures = Vec::new();
    let mut count = 0;
    for (n, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap();
        let (file, args, expect, message) = (&rec[0], &rec[1], &rec[2], &rec[3]);
        let line = n + 2;
        count += 1;
        let tmp = tempfile::tempdir().unwrap();
        let mut words: Vec<String> = args.split_whitespace().map(String::from).collect();
        if !file.is_empty() {
            assert!(dir.join(file).is_file(), "line {line}: no case file {file}");
        }
        // The database this case runs against (a fresh copy), and its snapshot.
        let mut db: Option<(PathBuf, Option<String>)> = None;
        if !words.iter().any(|w| w == "--db") {
            words.splice(0..0, ["--db".to_string(), "{db}".to_string()]);
        }
        for w in &mut words {
            if w == "{file}" {
                *w = dir.join(file).display().to_string();
            } else if w == "{no-db}" {
                let p = tmp.path().join("none.db");
                *w = p.display().to_string();
                db = Some((p, None));
            } else if let Some(name) = w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                assert!(
                    DB_TOKENS.contains(&name),
                    "line {line}: unknown token {{{name}}}"
                );
                let (template, snap) = fixtures.template(name);
                let p = tmp.path().join(format!("{name}.db"));
                copy_db(&template, &p);
                *w = p.display().to_string();
                db = Some((p, Some(snap)));
            }
        }
        let argv: Vec<&str> = words.iter().map(String::as_str).collect();
        let out = demine(&argv, tmp.path());
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        let code = out.status.code();
        let want: &[i32] = match expect {
            "refused" => &[1, 2],
            "accepted" => &[0],
            "hazard" => &[3],
            "no-data" => &[4],
            other => panic!("line {line}: unknown expectation {other:?}"),
        };
        let mut fail = |why: String| {
            failures.push(format!(
                "line {line} ({file} {args}): {why}\n  exit {code:?}\n  stdout: {stdout}\n  stderr: {stderr}"
            ));
        };
        if !code.is_some_and(|c| want.contains(&c)) {
            fail(format!("expected {expect} (exit {want:?})"));
        } else if expect == "refused" {
            if !stderr.contains(message) {
                fail(format!("stderr lacks {message:?}"));
            } else if !stdout.trim().is_empty() {
                fail("a refused check printed an answer".into());
            }
        } else if let Some(m) = message.strip_prefix("stderr:") {
            if !stderr.contains(m) {
                fail(format!("stderr lacks {m:?}"));
            }
        } else if !stdout.contains(message) {
            fail(format!("stdout lacks {message:?}"));
        }
        if expect != "refused" && expect != "hazard" && stdout.contains("NOT SAFE") {
            fail("NOT SAFE printed without exit 3".into());
        }
        if expect != "accepted" && (stdout.starts_with("SAFE") || stdout.contains("\"safe\":true"))
        {
            fail("\"safe\" said with a non-zero exit".into());
        }
        // The check never writes: the database is exactly as it was, and its audit log verifies.
        match db {
            Some((p, Some(before))) => {
                let after = snapshot(&p, tmp.path());
                if after != before {
                    failures.push(format!("line {line}: the database changed"));
                }
            }
            Some((p, None)) if p.exists() => {
                failures.push(format!("line {line}: a database was created at {{no-db}}"));
            }
            _ => {}
        }
    }
    assert!(count >= 100, "the corpus has only {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} hostile cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
