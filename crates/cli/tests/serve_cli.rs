//! `demine user` and `demine serve` through the built binary: accounts with the password from
//! standard input (never argv), a token that the server accepts, and a clean stop on SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn demine() -> Command {
    Command::new(env!("CARGO_BIN_EXE_demine"))
}

fn user(db: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut c = demine()
        .arg("--db")
        .arg(db)
        .arg("user")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    c.wait_with_output().unwrap()
}

fn get(addr: &str, path: &str, token: Option<&str>) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn users_are_made_from_stdin_and_the_server_accepts_their_tokens_then_stops_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("s.db");
    let o = user(
        &db,
        &[
            "add",
            "ana",
            "--role",
            "editor",
            "--iso3",
            "khm",
            "--password-stdin",
        ],
        "a long password\n",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = user(
        &db,
        &["add", "bob", "--role", "editor", "--password-stdin"],
        "a long password\n",
    );
    assert!(!o.status.success(), "an editor needs a State");
    let o = user(
        &db,
        &["add", "cy", "--role", "chief", "--password-stdin"],
        "x\n",
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("the roles are"));
    let o = user(&db, &["list", "--json"], "");
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(list[0]["iso3"], "KHM");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("argon2"));
    let o = user(&db, &["token", "ana", "--label", "t"], "");
    let token = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(token.starts_with("dmn_"), "{token}");
    let o = user(&db, &["disable", "nobody"], "");
    assert_eq!(o.status.code(), Some(4), "not found");

    let mut server = demine()
        .arg("--db")
        .arg(&db)
        .args(["serve", "--listen", "127.0.0.1:0", "--log", "warn"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    assert!(get(&addr, "/api/v1/health", None).contains("\"status\":\"ok\""));
    let anon = get(&addr, "/api/v1/hazards", None);
    assert!(anon.starts_with("HTTP/1.1 401"), "{anon}");
    let with = get(&addr, "/api/v1/hazards", Some(&token));
    assert!(with.starts_with("HTTP/1.1 200"), "{with}");
    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = server.wait().unwrap();
    assert!(code.success(), "SIGTERM is a clean stop: {code:?}");
}
