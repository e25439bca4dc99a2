//! The dashboard in a real browser: headless Chromium driven through WebDriver (Debian's
//! `chromium-driver`), with every host but the server refused and every request the browser
//! made read back from its network log. The journey: the world map, moving the as-of date back
//! to 1997, a State, logging in, the hazard map and an area, a check by clicking the map, a CSV
//! of points, an area submitted and approved by another user, and what an anonymous visitor
//! sees. Screenshots of each main page at desktop and phone widths go to
//! `target/screenshots/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One HTTP/1.1 exchange with the driver (no client library: requests are few and local).
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // The driver keeps the connection open: read the head, then Content-Length bytes.
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let (head_end, len) = loop {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "the driver closed the connection");
        raw.extend_from_slice(&buf[..n]);
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..i]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse::<usize>().unwrap())
                .unwrap_or(0);
            break (i + 4, len);
        }
    };
    while raw.len() < head_end + len {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "the driver closed the connection early");
        raw.extend_from_slice(&buf[..n]);
    }
    let payload = String::from_utf8_lossy(&raw[head_end..head_end + len]).into_owned();
    serde_json::from_str(&payload).unwrap_or(Value::Null)
}

struct Driver {
    port: u16,
    session: String,
    child: Child,
    base: String,
    shots: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = TcpStream::connect(("127.0.0.1", self.port)).map(|_| {
            http(
                self.port,
                "DELETE",
                &format!("/session/{}", self.session),
                None,
            )
        });
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn start(base: &str, server_port: u16, profile: &std::path::Path) -> Driver {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists(),
            "{CHROMEDRIVER} is missing: install Debian's chromium and chromium-driver (scripts/test does)"
        );
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--no-default-browser-check".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-extensions".into(),
            "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication".into(),
            format!("--user-data-dir={}", profile.display()),
            // Offline for real: every name but the server's resolves nowhere, and anything that
            // still tries to leave goes to a dead proxy.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1".into(),
            "--proxy-server=http://127.0.0.1:9".into(),
            format!("--proxy-bypass-list=127.0.0.1:{server_port}"),
            "--window-size=1366,900".into(),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            "goog:loggingPrefs": {"performance": "ALL", "browser": "ALL"}
        }}});
        let r = http(port, "POST", "/session", Some(&caps));
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {r}"))
            .to_string();
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Driver {
            port,
            session,
            child,
            base: base.to_string(),
            shots,
        }
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let r = http(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        );
        if let Some(e) = r["value"].get("error") {
            panic!("{method} {path}: {e}: {}", r["value"]["message"]);
        }
        r["value"].clone()
    }

    fn go(&self, path: &str) {
        self.cmd(
            "POST",
            "/url",
            Some(json!({"url": format!("{}{path}", self.base)})),
        );
    }

    fn url(&self) -> String {
        self.cmd("GET", "/url", None).as_str().unwrap().to_string()
    }

    fn source(&self) -> String {
        self.cmd("GET", "/source", None)
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Waits (up to 10 s) for the page to hold `text` (a form post may still be loading).
    fn wait_for(&self, text: &str, what: &str) -> String {
        let t = Instant::now();
        loop {
            let src = self.source();
            if src.contains(text) {
                return src;
            }
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "{what}: not seen in {}: {src}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn find(&self, css: &str) -> String {
        let v = self.cmd(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("{css}: {v}"))
            .to_string()
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), Some(json!({})));
    }

    fn type_in(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/clear"), Some(json!({})));
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({"text": text})),
        );
    }

    fn js(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    fn size(&self, w: u32, h: u32) {
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": w, "height": h})),
        );
    }

    /// Screenshots of the page at desktop and phone widths.
    fn shoot(&self, name: &str) {
        for (label, w, h) in [("desktop", 1366, 900), ("phone", 390, 844)] {
            self.size(w, h);
            let png = self.cmd("GET", "/screenshot", None);
            let bytes = base64(png.as_str().unwrap());
            std::fs::write(self.shots.join(format!("{name}-{label}.png")), bytes).unwrap();
        }
        self.size(1366, 900);
    }

    /// Every URL the browser requested since the last call.
    fn requests(&self) -> Vec<String> {
        let log = self.cmd("POST", "/se/log", Some(json!({"type": "performance"})));
        let mut urls = Vec::new();
        for entry in log.as_array().unwrap() {
            let msg: Value = serde_json::from_str(entry["message"].as_str().unwrap()).unwrap();
            let m = &msg["message"];
            if m["method"] == "Network.requestWillBeSent" {
                urls.push(
                    m["params"]["request"]["url"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                );
            }
        }
        urls
    }
}

fn base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = s.bytes().filter(|c| !b"=\r\n".contains(c)).collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= u32::from(val(c)) << (18 - 6 * i);
        }
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    out
}

/// Starts the real server on 127.0.0.1:0 over a fresh database, on its own runtime thread.
fn serve(demo: bool) -> (SocketAddr, tempfile::TempDir) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let w = common::world(demo).await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let common::World { app, dir, .. } = w;
            tx.send((addr, dir)).unwrap();
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
    });
    rx.recv_timeout(Duration::from_secs(60)).unwrap()
}

fn log_in(d: &Driver, name: &str) {
    d.go("/login");
    d.type_in("#name", name);
    d.type_in("#password", common::PASSWORD);
    d.click("#login-submit");
    d.wait_for(&format!("{name} ("), &format!("{name} logged in"));
}

fn log_out(d: &Driver) {
    d.click("#logout");
    d.wait_for("id=\"login-link\"", "logged out");
}

#[test]
fn the_dashboard_journey_in_a_real_browser_offline() {
    let t0 = Instant::now();
    let (addr, _db) = serve(true);
    let base = format!("http://{addr}");
    let profile = tempfile::tempdir().unwrap();
    let d = Driver::start(&base, addr.port(), profile.path());

    // The world map, then the as-of date moved back to 1997 with the slider.
    d.go("/");
    let now = d.source();
    assert!(now.contains("id=\"worldmap\"") && now.contains(demine_web::html::SYNTHETIC_BANNER));
    d.shoot("world");
    d.js("var y=document.getElementById('year'); y.value='1997'; y.dispatchEvent(new Event('input'));");
    let t = Instant::now();
    while !d.source().contains("as of 1997-12-31") {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the slider did not move the map"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(d.source().contains("id=\"party-count\">0 States Parties"));
    d.shoot("world-1997");
    d.go("/?colour=contamination");
    d.shoot("world-contamination");

    // A State, opened from the map.
    d.go("/");
    d.click("a[data-iso3='KHM']");
    d.wait_for("id=\"compliance\"", "the State page");
    assert!(d.url().contains("/state/KHM"));
    assert!(d.source().contains("Cambodia"));
    d.shoot("state");
    // Its completion forecast, and a report downloaded from its page (the PDF of the profile).
    assert!(d.source().contains("id=\"report-forecast\""));
    let got = d.js("var a=document.querySelector('#state-reports a');\
         var x=new XMLHttpRequest(); x.open('GET', a.getAttribute('href'), false);\
         x.overrideMimeType('text/plain; charset=x-user-defined'); x.send();\
         return [x.status, x.getResponseHeader('content-type'),\
         x.getResponseHeader('content-disposition'), x.responseText.slice(0, 5)];");
    assert_eq!(got[0], json!(200), "{got}");
    assert_eq!(got[1], json!("application/pdf"), "{got}");
    assert!(
        got[2].as_str().unwrap_or("").contains("country-khm-"),
        "{got}"
    );
    assert_eq!(got[3], json!("%PDF-"), "{got}");

    // An anonymous visitor: no hazard geometry on the map pages or the check's map.
    d.go("/hazards?iso3=KHM");
    assert!(
        d.url().contains("/login"),
        "an anonymous visitor reached the hazard map"
    );
    d.go("/check/map.svg?bbox=103.1,13.1,103.2,13.2");
    let src = d.source();
    assert!(
        !src.contains("class=\"a-open") && !src.contains("/hazards/area/"),
        "the check's map drew hazards for an anonymous visitor"
    );

    // Log in, browse the hazard map, open an area.
    log_in(&d, "editor");
    d.go("/hazards?iso3=KHM");
    assert!(d.source().contains("data-id=\"7\""));
    d.shoot("hazards");
    d.click("a[data-id='7']");
    d.wait_for("id=\"history\"", "the area page");
    assert!(d.url().ends_with("/hazards/area/7"));
    assert!(d.source().contains("id=\"history\""));
    d.shoot("area");

    // A check by clicking the map (the middle of the view is inside area 7).
    d.go("/check?bbox=103.12,13.12,103.137,13.137");
    d.click("#checkmap");
    let src = d.wait_for("id=\"verdict\"", "the clicked place's answer");
    assert!(
        src.contains("data-status=\"hazard\""),
        "the click was not checked as a hazard"
    );
    assert!(src.contains("/hazards/area/7"));
    d.shoot("check");

    // A CSV of points: one in the area, one elsewhere in Cambodia, one in the open sea.
    let csv = profile.path().join("points.csv");
    std::fs::write(
        &csv,
        "id,lon,lat\n1,103.128,13.128\n2,104.9,11.55\n3,-30,10\n",
    )
    .unwrap();
    d.go("/check");
    d.type_in("#points", csv.to_str().unwrap());
    d.click("#upload-submit");
    let src = d.wait_for("Safety check of a file", "the upload's answer");
    assert!(src.contains("3 points from points.csv"), "{src}");
    assert!(src.contains("1 flagged, 1 without data"), "{src}");
    d.shoot("check-upload");

    // Submit an area as the editor; a bad one first, refused with the importer's message.
    d.go("/entry");
    d.type_in("#entry-iso3", "KHM");
    d.type_in("#entry-geojson", "{\"type\": \"Feature\"");
    d.click("#entry-submit");
    let src = d.wait_for("id=\"entry-message\"", "the refusal");
    assert!(src.contains("class=\"error\""));
    let feature = r#"{"type":"Feature","properties":{"name":"new field","type":"SHA","status":"suspected"},"geometry":{"type":"Polygon","coordinates":[[[103.2,13.2],[103.21,13.2],[103.21,13.21],[103.2,13.21],[103.2,13.2]]]}}"#;
    d.type_in("#entry-geojson", feature);
    d.click("#entry-submit");
    let src = d.wait_for("awaiting review", "the submission");
    let id: String = src
        .split("submitted: field report ")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    // Its author is not offered the approval.
    assert!(!src.contains(&format!("id=\"approve-{id}\"")));
    d.shoot("entry");
    // Approved by another user, a reviewer.
    log_out(&d);
    log_in(&d, "reviewer");
    d.go("/entry");
    d.click(&format!("#approve-{id}"));
    let src = d.wait_for(&format!("field report {id} approved"), "the approval");
    // Applied through the import: the new area is named.
    assert!(
        src.contains(&format!("field report {id} approved: area ")),
        "{src}"
    );
    log_out(&d);

    d.go("/login");
    d.shoot("login");

    // Nothing left for another host (the log held the requests: the check can fail).
    let seen = d.requests();
    assert!(
        seen.iter()
            .any(|u| u.starts_with(&format!("{base}/static/app.js"))),
        "no network log"
    );
    let leaks: Vec<String> = seen
        .into_iter()
        // The browser's own pages (chrome://, its new tab) and inline data never leave it.
        .filter(|u| {
            !(u.starts_with(&format!("{base}/"))
                || ["data:", "about:", "blob:", "chrome:", "chrome-untrusted:"]
                    .iter()
                    .any(|s| u.starts_with(s)))
        })
        .collect();
    assert!(leaks.is_empty(), "requests left the server: {leaks:?}");
    assert!(
        t0.elapsed() < Duration::from_secs(60),
        "the browser journey took {:?}",
        t0.elapsed()
    );
}
