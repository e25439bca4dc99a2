//! The API in-process: sessions with CSRF, tokens, rate limiting, problem details, tiers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{PASSWORD, call, send, world};

fn login_req(name: &str, password: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::json!({"name": name, "password": password}).to_string(),
        ))
        .unwrap()
}

#[tokio::test]
async fn sessions_need_the_csrf_token_for_every_write() {
    let w = world().await;
    let r = send(&w.app, login_req("admin", PASSWORD)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let cookie = r.headers[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let csrf = r.json()["csrf"].as_str().unwrap().to_string();

    let post = |csrf: Option<&str>, form: bool| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/users/admin/tokens")
            .header(header::COOKIE, session.clone());
        if let Some(c) = csrf
            && !form
        {
            b = b.header("x-csrf-token", c);
        }
        if form {
            // A form post carries the token as a field; the JSON handler then refuses the body,
            // but only after the CSRF check let it through.
            b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("label=x&csrf={}", csrf.unwrap_or(""))))
                .unwrap()
        } else {
            b.header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"label":"browser"}"#))
                .unwrap()
        }
    };
    let r = send(&w.app, post(None, false)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    let r = send(&w.app, post(Some("c_wrong"), false)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(&w.app, post(Some(&csrf), false)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = send(&w.app, post(Some("c_wrong"), true)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(&w.app, post(Some(&csrf), true)).await;
    assert_ne!(r.status, StatusCode::FORBIDDEN, "{}", r.text());

    // Reads need no token; the session says who is logged in.
    let who = send(
        &w.app,
        Request::builder()
            .uri("/api/v1/session")
            .header(header::COOKIE, session.clone())
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(who.json()["user"]["name"], "admin");
    assert_eq!(who.json()["csrf"], csrf.as_str());

    // Logging out ends the session: the cookie no longer works.
    let out = send(
        &w.app,
        Request::builder()
            .method(Method::DELETE)
            .uri("/api/v1/session")
            .header(header::COOKIE, session.clone())
            .header("x-csrf-token", csrf.clone())
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = send(
        &w.app,
        Request::builder()
            .uri("/api/v1/hazards")
            .header(header::COOKIE, session)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logins_are_rate_limited_and_do_not_tell_names_apart() {
    let w = world().await;
    let wrong = send(&w.app, login_req("viewer", "wrong password!")).await;
    let nobody = send(&w.app, login_req("nobody", "wrong password!")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json()["detail"], nobody.json()["detail"]);
    for _ in 0..4 {
        send(&w.app, login_req("viewer", "wrong password!")).await;
    }
    // The right password is refused too while the name is locked out.
    let r = send(&w.app, login_req("viewer", PASSWORD)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    // Another name is not locked out.
    let r = send(&w.app, login_req("admin", PASSWORD)).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_credentials_and_bad_input_are_problems() {
    let w = world().await;
    let r = send(
        &w.app,
        Request::builder()
            .uri("/api/v1/states")
            .header(header::AUTHORIZATION, "Bearer dmn_nope")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a bad token is not anonymous"
    );
    let r = call(
        &w,
        Method::GET,
        "/api/v1/states?as_of=yesterday",
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    assert!(r.json()["detail"].as_str().unwrap().contains("yesterday"));
    let r = call(&w, Method::GET, "/api/v1/hazards/abc", Some("admin"), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    let r = call(&w, Method::GET, "/api/v1/nothing", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    let r = call(
        &w,
        Method::GET,
        "/api/v1/hazards?bbox=1,2,3",
        Some("admin"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = call(&w, Method::GET, "/api/v1/health", None, None).await;
    assert_eq!(r.json()["status"], "ok");
}

#[tokio::test]
async fn tiers_hold_for_hazards_and_victims() {
    let w = world().await;
    // Anonymous visitors read the record and aggregates, never hazard coordinates.
    let r = call(&w, Method::GET, "/api/v1/states/KHM", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = call(&w, Method::GET, "/api/v1/casualties", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    for uri in [
        "/api/v1/hazards",
        "/api/v1/hazards/7",
        "/api/v1/hazards/7/history",
    ] {
        let r = call(&w, Method::GET, uri, None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(!r.text().contains("103.12"), "{uri}");
    }
    let r = call(&w, Method::GET, "/api/v1/hazards/7", Some("viewer"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("103.12"), "{}", r.text());
    let r = call(
        &w,
        Method::GET,
        "/api/v1/hazards?bbox=103,13,104,14",
        Some("viewer"),
        None,
    )
    .await;
    assert_eq!(r.json()["features"].as_array().unwrap().len(), 1);
    let r = call(
        &w,
        Method::GET,
        "/api/v1/hazards?bbox=0,0,1,1",
        Some("viewer"),
        None,
    )
    .await;
    assert_eq!(r.json()["features"].as_array().unwrap().len(), 0);
    // Field teams see only their own organisation's areas; other States' editors none of KHM's.
    let r = call(&w, Method::GET, "/api/v1/hazards/7", Some("editor"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    for who in ["editor-halo", "editor-afg"] {
        let r = call(&w, Method::GET, "/api/v1/hazards/7", Some(who), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
        let r = call(
            &w,
            Method::GET,
            "/api/v1/hazards/7/history",
            Some(who),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
        let r = call(&w, Method::GET, "/api/v1/hazards", Some(who), None).await;
        assert_eq!(r.json()["features"].as_array().unwrap().len(), 0, "{who}");
    }
    // Victims' identities: the restricted permission only.
    let r = call(&w, Method::GET, "/api/v1/records/victims", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = call(
        &w,
        Method::GET,
        "/api/v1/records/victims",
        Some("viewer"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = call(
        &w,
        Method::GET,
        "/api/v1/records/victims",
        Some("researcher"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["tier"], "restricted");
}

/// Every document in every format, with its media type and file name; bad parameters are
/// problems naming the parameter; an unknown State is a 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_in_every_format_and_bad_parameters_named() {
    let w = world().await;
    let formats = [
        ("html", "text/html; charset=utf-8", "<!DOCTYPE"),
        ("md", "text/markdown; charset=utf-8", "#"),
        ("json", "application/json", "{"),
        ("pdf", "application/pdf", "%PDF-"),
    ];
    for (fmt, mime, start) in formats {
        let uri = format!("/api/v1/documents/country/khm?format={fmt}&as_of=2024-06-01");
        let r = call(&w, Method::GET, &uri, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
        assert_eq!(r.headers[header::CONTENT_TYPE], mime, "{uri}");
        let disp = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert_eq!(
            disp,
            format!("attachment; filename=\"country-khm-2024-06-01.{fmt}\""),
            "{uri}"
        );
        assert!(
            r.body.starts_with(start.as_bytes())
                || String::from_utf8_lossy(&r.body)
                    .to_ascii_uppercase()
                    .starts_with(&start.to_ascii_uppercase()),
            "{uri}: {:?}",
            String::from_utf8_lossy(&r.body[..r.body.len().min(40)])
        );
    }
    // The JSON form is the report itself: it names the State.
    let r = call(&w, Method::GET, "/api/v1/documents/world", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.json().is_object());
    for uri in [
        "/api/v1/documents/article7/KHM?year=2020&format=md",
        "/api/v1/documents/extension/KHM?format=html",
    ] {
        let r = call(&w, Method::GET, uri, Some("viewer"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    }
    for (uri, status, names) in [
        ("/api/v1/documents/world?format=docx", 400, "format"),
        ("/api/v1/documents/world?as_of=2024-13-01", 400, "as_of"),
        ("/api/v1/documents/country/KH1", 400, "iso3"),
        ("/api/v1/documents/article7/KHM", 400, "year"),
        ("/api/v1/documents/article7/KHM?year=1800", 400, "year"),
        ("/api/v1/documents/extension/XXX", 404, "XXX"),
    ] {
        let r = call(&w, Method::GET, uri, None, None).await;
        assert_eq!(r.status.as_u16(), status, "{uri}: {}", r.text());
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
        assert!(
            r.json()["detail"].as_str().unwrap().contains(names),
            "{uri}: {}",
            r.text()
        );
    }
}

/// Hazards drawn at a zoom level come simplified (fewer vertices far out, all of them close
/// up); activities are listed by State or box for accounts; device categories are counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zoomed_outlines_activity_lists_and_device_counts() {
    use demine_store::HazardStore as _;
    let w = world().await;
    // A round area of 400 vertices, about 1 km across.
    let mut ring: Vec<demine_geo::Coord> = (0..400)
        .map(|i| {
            let a = std::f64::consts::TAU * f64::from(i) / 400.0;
            demine_geo::Coord::new(103.3 + 0.005 * a.cos(), 13.3 + 0.005 * a.sin())
        })
        .collect();
    ring.push(ring[0]);
    let mut round = common::area(8);
    round.shape = demine_geo::HazardShape::Polygon(demine_geo::Polygon::new(ring));
    w.store
        .import_areas(&[round], "test", &|_, _| {})
        .await
        .unwrap();
    let vertices = |zoom: &str| {
        let w = &w;
        let uri = format!("/api/v1/hazards?iso3=KHM{zoom}");
        async move {
            let r = call(w, Method::GET, &uri, Some("admin"), None).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
            let v = r.json();
            let f = v["features"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["properties"]["id"] == 8 || f["id"] == 8)
                .cloned()
                .unwrap_or_else(|| panic!("{uri}: no area 8 in {v}"));
            f["geometry"]["coordinates"][0].as_array().unwrap().len()
        }
    };
    assert_eq!(vertices("").await, 401);
    assert_eq!(vertices("&zoom=22").await, 401);
    let far = vertices("&zoom=10").await;
    assert!((4..60).contains(&far), "{far} vertices at zoom 10");
    let r = call(
        &w,
        Method::GET,
        "/api/v1/hazards?zoom=23",
        Some("admin"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.text().contains("zoom"), "{}", r.text());

    // Activities by State or box: accounts only, one of the two needed.
    let act = demine_core::hazard::Activity {
        id: 0,
        area_id: 7,
        kind: demine_core::hazard::ActivityKind::Clearance,
        start: chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
        end: Some(chrono::NaiveDate::from_ymd_opt(2024, 3, 9).unwrap()),
        organisation: Some("CMAC".into()),
        method: Some("manual".into()),
        depth_cm: Some(20),
        devices: vec![demine_core::hazard::DeviceFind {
            category: demine_core::hazard::DeviceCategory::ApMine,
            model: Some("PMN-2".into()),
            location: None,
            depth_cm: None,
            condition: None,
            destroyed: Some(chrono::NaiveDate::from_ymd_opt(2024, 3, 9).unwrap()),
        }],
    };
    let perimeter = demine_geo::Geometry::Polygon(common::rect(103.12, 13.12, 103.13, 13.13));
    w.store
        .record_activity(&act, &perimeter, "test")
        .await
        .unwrap();
    for (uri, n) in [
        ("/api/v1/activities?iso3=khm", 1),
        ("/api/v1/activities?bbox=103.0,13.0,103.2,13.2", 1),
        ("/api/v1/activities?bbox=100.0,10.0,100.1,10.1", 0),
    ] {
        let r = call(&w, Method::GET, uri, Some("viewer"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
        assert_eq!(r.json()["activities"], n, "{uri}: {}", r.text());
    }
    let r = call(&w, Method::GET, "/api/v1/activities?iso3=KHM", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    let r = call(&w, Method::GET, "/api/v1/activities", Some("viewer"), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    // Out of the AFG editor's scope: nothing.
    let r = call(
        &w,
        Method::GET,
        "/api/v1/activities?iso3=KHM",
        Some("editor-afg"),
        None,
    )
    .await;
    assert_eq!(r.json()["activities"], 0, "{}", r.text());

    // Device categories: aggregates, for anyone.
    let r = call(&w, Method::GET, "/api/v1/devices?iso3=KHM", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    let ap = v["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "ap-mine")
        .cloned()
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(ap["areas"], 2, "{v}");
    assert_eq!(ap["found"], 1, "{v}");
    assert_eq!(ap["destroyed"], 1, "{v}");
    assert!(!r.text().contains("103.1"), "no coordinates: {v}");
    let r = call(&w, Method::GET, "/api/v1/devices?iso3=K1", None, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
}

/// A State's compliance and events, and funding, are reachable by anyone: compliance and events
/// in the State's detail and as the record's tables.
#[tokio::test]
async fn compliance_events_and_funding_are_reachable() {
    let w = world().await;
    let r = call(
        &w,
        Method::GET,
        "/api/v1/states/khm?as_of=2024-01-01",
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert!(
        !v["state"]["compliance"].as_array().unwrap().is_empty(),
        "{v}"
    );
    assert!(v["state"]["events"].is_array(), "{v}");
    let r = call(
        &w,
        Method::GET,
        "/api/v1/records/events?iso3=KHM",
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["kind"], "events");
    let r = call(
        &w,
        Method::GET,
        "/api/v1/records/funding?iso3=khm",
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["tier"], "public");
}
