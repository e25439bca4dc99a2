//! The pages through the router (no browser): what an anonymous visitor receives, the demo's
//! banner, the as-of date, the refusals.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

async fn get(app: &axum::Router, uri: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let mut b = Request::builder().uri(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    let resp = app
        .clone()
        .oneshot(b.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn login(app: &axum::Router, name: &str) -> String {
    let req = Request::builder()
        .method("POST")
        .uri("/login?next=/")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "name={name}&password=a+long+enough+password"
        )))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let c = resp.headers()[header::SET_COOKIE].to_str().unwrap();
    c.split(';').next().unwrap().to_string()
}

const BOX: &str = "103.1,13.1,103.2,13.2";

fn pages() -> Vec<String> {
    vec![
        "/".into(),
        "/?colour=risk".into(),
        "/?colour=contamination&year=1997".into(),
        "/state/KHM".into(),
        "/check".into(),
        "/check?lon=103.128&lat=13.128&within=100".into(),
        format!("/check/map.svg?bbox={BOX}"),
        "/hazards?iso3=KHM".into(),
        format!("/hazards/view.svg?bbox={BOX}"),
        "/hazards/area/7".into(),
        "/entry".into(),
        "/login".into(),
    ]
}

/// Hazard geometry as the pages draw it: area links and outlines, and the area's coordinates.
fn has_geometry(body: &str) -> bool {
    body.contains("/hazards/area/7")
        || body.contains("class=\"a-open")
        || body.contains("103.123456")
        || body.contains("103.1234")
}

#[tokio::test]
async fn an_anonymous_visitor_receives_no_hazard_geometry_on_any_page_or_view() {
    let w = common::world(false).await;
    for p in pages() {
        let (status, body) = get(&w.app, &p, None).await;
        assert!(
            !has_geometry(&body),
            "{p} ({status}) shows hazard geometry to an anonymous visitor"
        );
    }
    // The same pages show it to an account: the check above can fail.
    let cookie = login(&w.app, "editor").await;
    let (_, map) = get(
        &w.app,
        &format!("/hazards/view.svg?bbox={BOX}"),
        Some(&cookie),
    )
    .await;
    assert!(has_geometry(&map), "{map}");
    let (_, page) = get(&w.app, "/hazards?iso3=KHM", Some(&cookie)).await;
    assert!(page.contains("/hazards/area/7"));
    let (status, area) = get(&w.app, "/hazards/area/7", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(area.contains("Battambang field 7") && area.contains("id=\"history\""));
}

#[tokio::test]
async fn hazard_pages_send_an_anonymous_visitor_to_log_in() {
    let w = common::world(false).await;
    let (status, _) = get(&w.app, "/hazards?iso3=KHM", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = get(&w.app, &format!("/hazards/view.svg?bbox={BOX}"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_page_of_the_demo_says_its_data_is_synthetic() {
    let w = common::world(true).await;
    let cookie = login(&w.app, "editor").await;
    for p in pages().into_iter().filter(|p| !p.contains(".svg")) {
        for c in [None, Some(cookie.as_str())] {
            let (status, body) = get(&w.app, &p, c).await;
            if status == StatusCode::SEE_OTHER {
                continue;
            }
            assert!(
                body.contains(demine_web::html::SYNTHETIC_BANNER),
                "{p} ({status}) has no banner"
            );
        }
    }
    let plain = common::world(false).await;
    let (_, body) = get(&plain.app, "/", None).await;
    assert!(!body.contains(demine_web::html::SYNTHETIC_BANNER));
}

#[tokio::test]
async fn the_world_map_moves_with_the_as_of_date() {
    let w = common::world(false).await;
    let (_, now) = get(&w.app, "/", None).await;
    let (_, then) = get(&w.app, "/?year=1997", None).await;
    let count = |b: &str| {
        let i = b.find("id=\"party-count\">").unwrap() + "id=\"party-count\">".len();
        b[i..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse::<u32>()
            .unwrap()
    };
    assert!(count(&now) > 150, "{}", count(&now));
    // No State was bound by the Convention in 1997 (it entered into force on 1 March 1999).
    assert_eq!(count(&then), 0);
    assert!(then.contains("as of 1997-12-31"));
    let (status, body) = get(&w.app, "/?as_of=someday", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("is not a date"));
}

#[tokio::test]
async fn a_state_page_cites_a_source_for_its_figures() {
    let w = common::world(false).await;
    let (status, body) = get(&w.app, "/state/khm", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Cambodia") && body.contains("id=\"compliance\""));
    assert!(body.contains("id=\"src-1\""), "no footnote");
    let (status, _) = get(&w.app, "/state/XXX", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_check_page_says_no_data_where_no_data_covers_the_place() {
    let w = common::world(false).await;
    // The middle of the Atlantic: no State, no area.
    let (_, body) = get(&w.app, "/check?lon=-30&lat=10", None).await;
    assert!(body.contains("data-status=\"no-data\""), "{body}");
    let (_, body) = get(&w.app, "/check?lon=103.128&lat=13.128", None).await;
    assert!(body.contains("data-status=\"hazard\""));
    let (status, body) = get(&w.app, "/check?lon=200&lat=10", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("out of range"));
}

async fn upload(app: &axum::Router, cookie: &str, query: &str) -> (StatusCode, String) {
    let body = "--XYZ\r\nContent-Disposition: form-data; name=\"points\"; filename=\"p.csv\"\r\nContent-Type: text/csv\r\n\r\nid,lon,lat\n1,103.128,13.128\n\r\n--XYZ--\r\n";
    let req = Request::builder()
        .method("POST")
        .uri(format!("/check{query}"))
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XYZ")
        .body(Body::from(body))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn a_session_uploads_points_only_with_its_csrf_token() {
    let w = common::world(false).await;
    let cookie = login(&w.app, "editor").await;
    let (_, page) = get(&w.app, "/check", Some(&cookie)).await;
    let csrf: String = page
        .split("action=\"/check?csrf=")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert!(csrf.starts_with("c_"), "{csrf}");
    let (status, _) = upload(&w.app, &cookie, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = upload(&w.app, &cookie, "?csrf=c_wrong").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = upload(&w.app, &cookie, &format!("?csrf={csrf}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("1 points from p.csv checked") && body.contains("1 flagged"),
        "{body}"
    );
}

async fn get_bytes(app: &axum::Router, uri: &str) -> (StatusCode, String, Vec<u8>) {
    let resp = app
        .clone()
        .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, ct, body.to_vec())
}

#[tokio::test]
async fn reports_download_in_every_format_from_the_state_and_world_pages() {
    let w = common::world(false).await;
    let (_, state) = get(&w.app, "/state/KHM?as_of=2025-06-30", None).await;
    assert!(
        state.contains("/reports/country/khm?format=pdf&amp;as_of=2025-06-30"),
        "{state}"
    );
    assert!(state.contains("/reports/article7/khm?year=2024"));
    let (_, world) = get(&w.app, "/?as_of=2025-06-30", None).await;
    assert!(world.contains("/reports/world?format=pdf&amp;as_of=2025-06-30"));
    for (fmt, ct, head) in [
        ("pdf", "application/pdf", &b"%PDF"[..]),
        ("html", "text/html; charset=utf-8", &b"<!"[..]),
        ("json", "application/json", &b"{"[..]),
        ("md", "text/markdown; charset=utf-8", &b"#"[..]),
    ] {
        for uri in [
            format!("/reports/country/khm?format={fmt}&as_of=2025-06-30"),
            format!("/reports/world?format={fmt}&as_of=2025-06-30"),
            format!("/reports/extension/KHM?format={fmt}&as_of=2025-06-30"),
            format!("/reports/article7/KHM?year=2024&format={fmt}&as_of=2025-06-30"),
        ] {
            let (status, got, body) = get_bytes(&w.app, &uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert_eq!(got, ct, "{uri}");
            assert!(
                body.starts_with(head),
                "{uri}: {:?}",
                &body[..body.len().min(40)]
            );
        }
    }
    // An anonymous visitor's report names no hazardous area's place.
    let (_, _, html) = get_bytes(&w.app, "/reports/country/KHM?format=html").await;
    assert!(!has_geometry(&String::from_utf8_lossy(&html)));
    // What cannot be made is refused by name.
    for (uri, status) in [
        ("/reports/country/XXX?format=pdf", StatusCode::NOT_FOUND),
        ("/reports/country/KHM?format=docx", StatusCode::BAD_REQUEST),
        ("/reports/article7/KHM?format=pdf", StatusCode::BAD_REQUEST),
        ("/reports/article7/KHM?year=19x", StatusCode::BAD_REQUEST),
        (
            "/reports/country/KHM?as_of=30/06/2025",
            StatusCode::BAD_REQUEST,
        ),
        ("/reports/memo/KHM", StatusCode::NOT_FOUND),
    ] {
        let (got, body) = get(&w.app, uri, None).await;
        assert_eq!(got, status, "{uri}: {body}");
    }
}

#[tokio::test]
async fn the_state_page_shows_release_by_method_and_the_completion_forecast() {
    let w = common::world(false).await;
    let (status, page) = get(&w.app, "/state/KHM?as_of=2025-06-30", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<section id=\"report-forecast\">"), "{page}");
    assert!(page.contains("<section id=\"report-release\">"), "{page}");
    assert!(page.contains("Completion forecast"));
}
