//! The field-report workflow through the API: a draft, its plan, approval by someone else that
//! applies it through the import rules, no edits after approval, scopes, and the check.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{Method, StatusCode};
use common::{call, world};
use demine_store::HazardStore;
use demine_store::accounts::AccountStore as _;
use serde_json::json;

fn square(x: f64, y: f64) -> serde_json::Value {
    json!({"type": "Feature", "properties": {"status": "open", "type": "SHA"},
        "geometry": {"type": "Polygon", "coordinates": [[[x, y], [x + 0.01, y], [x + 0.01, y + 0.01],
        [x, y + 0.01], [x, y]]]}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_is_drafted_planned_approved_by_another_and_then_frozen() {
    let w = world().await;
    let post = |who: &'static str, body: serde_json::Value| {
        let w = &w;
        async move { call(w, Method::POST, "/api/v1/reports", Some(who), Some(body)).await }
    };
    // Outside the editor's State or organisation: refused.
    let r = post(
        "editor-afg",
        json!({"kind": "new-area", "iso3": "KHM", "feature": square(103.2, 13.2)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = post(
        "editor-halo",
        json!({"kind": "area-change", "area_id": 7, "feature": square(103.2, 13.2)}),
    )
    .await;
    // An area outside the editor's organisation reads as absent to them (the store's scope):
    // the draft is refused naming the area, and nothing about it is shown.
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "HALO may not change CMAC's area: {}",
        r.text()
    );
    assert!(r.text().contains("no hazardous area 7"), "{}", r.text());
    let r = post(
        "viewer",
        json!({"kind": "new-area", "iso3": "KHM", "feature": square(103.2, 13.2)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = post(
        "editor",
        json!({"kind": "new-area", "feature": square(103.2, 13.2)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["report"]["id"].as_i64().unwrap();
    assert_eq!(r.json()["report"]["organisation"], "CMAC");

    let plan = call(
        &w,
        Method::GET,
        &format!("/api/v1/reports/{id}/plan"),
        Some("reviewer"),
        None,
    )
    .await;
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.text());
    assert_eq!(plan.json()["plan"]["inserted"], 1);
    assert_eq!(plan.json()["plan"]["dry_run"], true);
    let before = w.store.areas(&Default::default()).await.unwrap().len();
    assert_eq!(before, 1, "a plan writes nothing");

    // Its author cannot approve it; the HALO editor cannot see it.
    let approve = format!("/api/v1/reports/{id}/approve");
    let r = call(&w, Method::POST, &approve, Some("editor"), Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = call(
        &w,
        Method::GET,
        &format!("/api/v1/reports/{id}"),
        Some("editor-halo"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = call(
        &w,
        Method::POST,
        &approve,
        Some("reviewer"),
        Some(json!({"note": "seen"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["report"]["status"], "approved");
    assert_eq!(r.json()["report"]["reviewer"], "reviewer");
    let areas = w.store.areas(&Default::default()).await.unwrap();
    assert_eq!(areas.len(), 2, "approval imported the area");
    let new = areas.iter().find(|a| a.area.id != 7).unwrap();
    assert_eq!(new.area.organisation.as_deref(), Some("CMAC"));
    assert_eq!(new.updated_by, "reviewer");

    // Frozen: no edit, no second decision.
    let r = call(
        &w,
        Method::PUT,
        &format!("/api/v1/reports/{id}"),
        Some("editor"),
        Some(json!({"feature": square(103.3, 13.3)})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let r = call(&w, Method::POST, &approve, Some("admin"), Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Superseded by a later approved change of the same area.
    let r = post(
        "editor",
        json!({"kind": "area-change", "area_id": new.area.id,
        "feature": square(103.2, 13.2).as_object().unwrap().clone().into_iter()
            .map(|(k, v)| if k == "properties" { (k, json!({"status": "closed"})) } else { (k, v) })
            .collect::<serde_json::Map<_, _>>(), "supersedes": id}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id2 = r.json()["report"]["id"].as_i64().unwrap();
    let r = call(
        &w,
        Method::POST,
        &format!("/api/v1/reports/{id2}/approve"),
        Some("admin"),
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = call(
        &w,
        Method::GET,
        &format!("/api/v1/reports/{id}"),
        Some("editor"),
        None,
    )
    .await;
    assert_eq!(r.json()["report"]["status"], "superseded");

    // A report the import rules refuse (outside Cambodia) is refused when entered, with the
    // importer's message (its dry run); no draft and no area is stored.
    let before = w.store.reports(None).await.unwrap().len();
    let r = post(
        "editor",
        json!({"kind": "new-area", "feature": square(2.0, 48.0)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("KHM"), "{}", r.text());
    assert_eq!(w.store.reports(None).await.unwrap().len(), before);
    assert_eq!(w.store.areas(&Default::default()).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_answers_every_tier_but_names_hazards_only_to_accounts() {
    let w = world().await;
    let inside = "/api/v1/check?lon=103.128&lat=13.128&within=10";
    let r = call(&w, Method::GET, inside, None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "hazard");
    assert_eq!(
        r.json()["hazards"].as_array().unwrap().len(),
        0,
        "withheld from anonymous"
    );
    let r = call(&w, Method::GET, inside, Some("viewer"), None).await;
    assert_eq!(r.json()["hazards"][0]["id"], 7);
    // A place the data does not cover is no data, never safe.
    let r = call(
        &w,
        Method::GET,
        "/api/v1/check?lon=2.35&lat=48.85",
        None,
        None,
    )
    .await;
    assert_eq!(r.json()["status"], "no-data");
    assert_eq!(r.json()["safe"], false);
    let r = call(&w, Method::GET, "/api/v1/check?lon=200&lat=0", None, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A batch as JSON and as CSV.
    let body = json!({"within": 10, "points": [{"id": 1, "lon": 103.128, "lat": 13.128},
        {"id": 2, "lon": 103.5, "lat": 13.5}]});
    let r = call(
        &w,
        Method::POST,
        "/api/v1/check/points",
        Some("viewer"),
        Some(body),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["checked"], 2);
    // Ids are text end to end: a JSON number comes back as its digits.
    assert_eq!(r.json()["flagged"][0]["id"], "1");
    // Text ids as GPS units name their points; a duplicate or an empty id is refused.
    let body = json!({"within": 10, "points": [{"id": "WP001", "lon": 103.5, "lat": 13.5},
        {"id": "Mine 12b", "lon": 103.128, "lat": 13.128}]});
    let r = call(
        &w,
        Method::POST,
        "/api/v1/check/points",
        Some("viewer"),
        Some(body),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["flagged"][0]["id"], "Mine 12b");
    assert_eq!(r.json()["flagged"].as_array().unwrap().len(), 1);
    let body = json!({"points": [{"id": "WP1", "lon": 103.5, "lat": 13.5},
        {"id": "WP1", "lon": 103.6, "lat": 13.5}]});
    let r = call(
        &w,
        Method::POST,
        "/api/v1/check/points",
        Some("viewer"),
        Some(body),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("points[1]: id \"WP1\" is already the id of the point on points[0]"),
        "{}",
        r.text()
    );
    let body = json!({"points": [{"id": "", "lon": 103.5, "lat": 13.5}]});
    let r = call(
        &w,
        Method::POST,
        "/api/v1/check/points",
        Some("viewer"),
        Some(body),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        r.text().contains("points[0]: the point has an empty id"),
        "{}",
        r.text()
    );
    let csv = |body: &'static str| {
        let w = &w;
        async move { post_body(w, "/api/v1/check/points?within=10", None, body, "text/csv").await }
    };
    let r = csv("id,lon,lat\nWP7,103.128,13.128\nWP7,103.5,13.5\n").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("line 3: id \"WP7\" is already the id of the point on line 2"),
        "{}",
        r.text()
    );
    let r = csv("id,lon,lat\n1,103.128,13.128\n2,103.5,13.5\n").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["flagged"][0]["id"], "1");
    assert!(
        r.json()["flagged"][0].get("hazard_id").is_none(),
        "withheld from anonymous"
    );
    let route = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
        "geometry": {"type": "LineString", "coordinates": [[103.1, 13.128], [103.2, 13.128]]}}]});
    let r = call(
        &w,
        Method::POST,
        "/api/v1/check/route?within=5",
        Some("viewer"),
        Some(route),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "hazard");
}

#[tokio::test]
async fn the_demo_labels_every_response_synthetic() {
    let w = common::world_with(true).await;
    let r = call(&w, Method::GET, "/api/v1/states", None, None).await;
    assert_eq!(r.headers[demine_server::SYNTHETIC_HEADER], "synthetic");
    assert_eq!(r.json()["synthetic"], true);
    let r = call(&w, Method::GET, "/api/v1/hazards", None, None).await;
    assert_eq!(r.headers[demine_server::SYNTHETIC_HEADER], "synthetic");
    assert_eq!(r.json()["synthetic"], true, "problems too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_a_synthetic_programme_in_a_file_of_its_own() {
    use demine_store::accounts::AccountStore;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    let (store, users) = demine_server::demo::open(&path, 5).await.unwrap();
    let areas = store.areas(&Default::default()).await.unwrap();
    assert_eq!(areas.len(), 60);
    assert!(
        areas.iter().any(|a| a.remaining_m2.is_some()),
        "land release recorded"
    );
    // Synthetic casualties and funding, each citing the demo's synthetic source.
    {
        use demine_core::schema::Kind;
        use demine_store::Store as _;
        let src = demine_server::demo::DEMO_SOURCE;
        for (kind, n) in [(Kind::Casualties, 40), (Kind::Funding, 7)] {
            let t = kind.table();
            let rows: Vec<_> = store
                .records(kind, Some("KHM"))
                .await
                .unwrap()
                .iter()
                .map(|r| t.to_json(r))
                .filter(|r| r.get("source").and_then(|v| v.as_str()) == Some(src))
                .collect();
            assert_eq!(rows.len(), n, "{kind:?}: {rows:?}");
        }
        let sources = store.records(Kind::Sources, None).await.unwrap();
        let t = Kind::Sources.table();
        assert!(
            sources
                .iter()
                .map(|r| t.to_json(r))
                .any(|r| r["id"] == src && r["title"].as_str().unwrap().contains("not real data")),
            "the synthetic source"
        );
    }
    assert_eq!(users.len(), demine_server::demo::DEMO_USERS.len());
    let (u, hash) = store.user_with_hash(&users[0].name).await.unwrap().unwrap();
    assert!(
        demine_server::auth::verify_password(&users[0].password, &hash),
        "{u:?}"
    );
    store.close().await.unwrap();
    // Opened again: the same programme, not a second one.
    let (store, again) = demine_server::demo::open(&path, 5).await.unwrap();
    assert_eq!(store.areas(&Default::default()).await.unwrap().len(), 60);
    assert_eq!(again[0].password, users[0].password);
    store.close().await.unwrap();
    // A real database is never taken for the demo.
    let real = dir.path().join("real.db");
    demine_store::ops::open_seeded(real.to_str().unwrap(), "t")
        .await
        .unwrap()
        .close()
        .await
        .unwrap();
    let e = demine_server::demo::open(&real, 5).await.unwrap_err();
    assert!(e.to_string().contains("not a demo database"), "{e}");
}

/// Posts a body of the media type `ctype` (a CSV of points, a file to import) as `who`, or
/// anonymously.
async fn post_body(
    w: &common::World,
    uri: &str,
    who: Option<&str>,
    body: &str,
    ctype: &str,
) -> common::Reply {
    let mut req = axum::http::Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(axum::http::header::CONTENT_TYPE, ctype);
    if let Some(name) = who {
        req = req.header(
            axum::http::header::AUTHORIZATION,
            format!("Bearer {}", w.tokens[name]),
        );
    }
    let req = req.body(axum::body::Body::from(body.to_string())).unwrap();
    common::send(&w.app, req).await
}

/// Posts a file to an import route as `who`.
async fn upload(w: &common::World, uri: &str, who: &str, body: &str, ctype: &str) -> common::Reply {
    post_body(w, uri, Some(who), body, ctype).await
}

fn collection(features: &[serde_json::Value]) -> String {
    json!({"type": "FeatureCollection", "features": features}).to_string()
}

fn cmac(mut f: serde_json::Value) -> serde_json::Value {
    f["properties"]["iso3"] = json!("KHM");
    f["properties"]["organisation"] = json!("CMAC");
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_run_the_cli_workflow_all_or_nothing_within_scope() {
    let w = world().await;
    let count = || async { w.store.areas(&Default::default()).await.unwrap().len() };
    let head = || async { w.store.audit_head().await.unwrap().entries };
    let file = collection(&[cmac(square(103.2, 13.2)), cmac(square(103.3, 13.3))]);
    let geo = "application/geo+json";

    // A dry run says what it would do and writes nothing.
    let before = head().await;
    let r = upload(
        &w,
        "/api/v1/imports/hazards?dry_run=true&iso3=khm",
        "editor",
        &file,
        geo,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["result"]["dry_run"], true);
    assert_eq!(r.json()["result"]["inserted"], 2);
    assert_eq!(count().await, 1);
    assert_eq!(head().await, before);

    // A feature with a bad field refuses the whole file, naming file, feature and field.
    let mut bad = cmac(square(103.4, 13.4));
    bad["properties"]["reported"] = json!("yesterday");
    let text = collection(&[cmac(square(103.5, 13.5)), bad]);
    let r = upload(
        &w,
        "/api/v1/imports/hazards?name=survey.geojson",
        "editor",
        &text,
        geo,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let detail = r.json()["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("survey.geojson")
            && detail.contains("feature #1")
            && detail.contains("reported \"yesterday\"")
            && detail.contains("nothing imported"),
        "{detail}"
    );
    assert_eq!(count().await, 1);
    assert_eq!(head().await, before);

    // Outside the editor's scope (another State): refused by the store, nothing stored.
    let r = upload(&w, "/api/v1/imports/hazards", "editor-afg", &file, geo).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // Another organisation's editor in the same State: refused too.
    let r = upload(&w, "/api/v1/imports/hazards", "editor-halo", &file, geo).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // A viewer does not import at all.
    let r = upload(&w, "/api/v1/imports/hazards", "viewer", &file, geo).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = upload(
        &w,
        "/api/v1/imports/hazards?format=shp",
        "editor",
        &file,
        geo,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.text().contains("format"), "{}", r.text());
    assert_eq!(count().await, 1);
    assert_eq!(head().await, before);

    // The import itself.
    let r = upload(&w, "/api/v1/imports/hazards?iso3=KHM", "editor", &file, geo).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["result"]["inserted"], 2);
    assert_eq!(r.json()["result"]["dry_run"], false);
    assert_eq!(count().await, 3);

    // Activities: a dry run gives the figures and records nothing; then they are recorded.
    let act = collection(&[json!({"type": "Feature",
        "properties": {"area_id": 7, "kind": "technical-survey", "start": "2024-03-01"},
        "geometry": {"type": "Polygon", "coordinates": [[[103.12, 13.12], [103.13, 13.12],
            [103.13, 13.13], [103.12, 13.13], [103.12, 13.12]]]}})]);
    let uri = "/api/v1/imports/activities?dry_run=true";
    let r = upload(&w, uri, "editor", &act, geo).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["result"]["dry_run"], true);
    assert!(r.json()["result"]["released_m2"].as_f64().unwrap() > 0.0);
    assert!(w.store.activities(7).await.unwrap().is_empty());
    let r = upload(&w, "/api/v1/imports/activities", "editor-afg", &act, geo).await;
    assert!(r.status.is_client_error(), "{}", r.text());
    assert!(w.store.activities(7).await.unwrap().is_empty());
    let r = upload(&w, "/api/v1/imports/activities", "editor", &act, geo).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["result"]["activities"], 1);
    assert_eq!(w.store.activities(7).await.unwrap().len(), 1);
}

/// An accident and its victims: entered as a draft by an editor (checked as its approval would
/// write it), never shown to an anonymous visitor, approved by someone else into one casualty
/// row per victim, which the public casualty figures then carry with their source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accident_report_is_approved_into_casualty_rows_with_their_source() {
    let w = world().await;
    let accident = |victims: serde_json::Value| {
        json!({"kind": "accident", "feature": {"type": "Feature",
            "geometry": {"type": "Point", "coordinates": [103.21, 13.21]},
            "properties": {"date": "2025-05-02", "admin_area": "Battambang",
                "device_category": "ap-mine", "activity": "farming", "accuracy_m": 10,
                "victims": victims}}})
    };
    let casualties = || call(&w, Method::GET, "/api/v1/casualties?iso3=KHM", None, None);
    let before = casualties().await.json()["rows"].as_array().unwrap().len();
    // An outcome outside the vocabulary is refused on entry, naming the field.
    let r = call(
        &w,
        Method::POST,
        "/api/v1/reports",
        Some("editor"),
        Some(accident(
            json!([{"sex": "male", "outcome": "hurt", "deminer": "no"}]),
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("victim 1 outcome"), "{}", r.text());
    let r = call(
        &w,
        Method::POST,
        "/api/v1/reports",
        Some("editor"),
        Some(accident(json!([
            {"sex": "female", "age": 12, "outcome": "killed", "deminer": "no"},
            {"sex": "male", "age": 30, "outcome": "injured", "deminer": "yes"}
        ]))),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["report"]["id"].as_i64().unwrap();
    assert_eq!(r.json()["report"]["kind"], "accident");
    // The accident's position is hazard evidence: no report route answers without an account.
    for uri in [
        format!("/api/v1/reports/{id}"),
        format!("/api/v1/reports/{id}/plan"),
        "/api/v1/reports".to_string(),
    ] {
        let r = call(&w, Method::GET, &uri, None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}: {}", r.text());
    }
    let plan = call(
        &w,
        Method::GET,
        &format!("/api/v1/reports/{id}/plan"),
        Some("reviewer"),
        None,
    )
    .await;
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.text());
    assert_eq!(plan.json()["plan"]["casualties"], 2);
    assert_eq!(
        casualties().await.json()["rows"].as_array().unwrap().len(),
        before,
        "a plan writes nothing"
    );
    let r = call(
        &w,
        Method::POST,
        &format!("/api/v1/reports/{id}/approve"),
        Some("reviewer"),
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["report"]["outcome"]["casualties"], 2);
    let rows = casualties().await.json()["rows"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rows.len(), before + 2);
    let ours: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["source"] == format!("demine field report {id}"))
        .collect();
    assert_eq!(ours.len(), 2, "{rows:?}");
    let child = ours.iter().find(|r| r["killed"] == 1).unwrap();
    assert_eq!(
        (&child["age_group"], &child["group"], &child["sex"]),
        (&json!("child"), &json!("civilian"), &json!("female"))
    );
    assert!(
        ours.iter()
            .all(|r| r.get("lat").is_none() && r.get("geometry").is_none())
    );
    // Decided: approving again is refused and writes nothing.
    let r = call(
        &w,
        Method::POST,
        &format!("/api/v1/reports/{id}/approve"),
        Some("reviewer"),
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(
        casualties().await.json()["rows"].as_array().unwrap().len(),
        before + 2
    );
}
