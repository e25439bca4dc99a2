//! A server in-process over a fresh seeded SQLite database, with a user of each role and a
//! hazardous area, and a helper to send requests through the router (tower `oneshot`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::type_complexity,
    dead_code
)]

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use demine_core::hazard::{AreaStatus, DeviceCategory, HazardArea, HazardType};
use demine_geo::{Coord, HazardShape, Polygon};
use demine_server::accounts::{self, NewAccount};
use demine_server::{AppState, app, no_pages};
use demine_store::accounts::Role;
use demine_store::{AnyStore, HazardStore, NewArea, ops};
use tower::ServiceExt;

/// The accounts of the world: (name, role, iso3, organisation, restricted).
pub const USERS: &[(&str, Role, Option<&str>, Option<&str>, bool)] = &[
    ("admin", Role::Administrator, None, None, false),
    ("editor", Role::Editor, Some("KHM"), Some("CMAC"), false),
    (
        "editor-halo",
        Role::Editor,
        Some("KHM"),
        Some("HALO"),
        false,
    ),
    ("editor-afg", Role::Editor, Some("AFG"), None, false),
    ("reviewer", Role::Reviewer, Some("KHM"), None, false),
    ("viewer", Role::Viewer, None, None, false),
    ("researcher", Role::Viewer, None, None, true),
];

pub const PASSWORD: &str = "a long enough password";

pub struct World {
    pub app: Router,
    pub store: AnyStore,
    /// An API token per user name.
    pub tokens: BTreeMap<&'static str, String>,
    /// The area filed under KHM by CMAC.
    pub area_id: i64,
    _dir: tempfile::TempDir,
}

pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon {
    Polygon::new(vec![
        Coord::new(x0, y0),
        Coord::new(x1, y0),
        Coord::new(x1, y1),
        Coord::new(x0, y1),
        Coord::new(x0, y0),
    ])
}

/// An open area in Battambang (Cambodia), filed by CMAC.
pub fn area(id: i64) -> NewArea {
    NewArea::with_id(
        HazardArea {
            id,
            reference: Some(format!("KH-{id}")),
            name: Some(format!("area {id}")),
            hazard_type: HazardType::Cha,
            status: AreaStatus::Open,
            source_status: Some("confirmed".into()),
            devices: vec![DeviceCategory::ApMine],
            benchmark: None,
            iso3: Some("KHM".into()),
            admin_area: Some("Battambang".into()),
            organisation: Some("CMAC".into()),
            reported: None,
            surveyed: None,
            notes: None,
            custom: Default::default(),
        },
        HazardShape::Polygon(rect(103.123456, 13.123456, 103.133456, 13.133456)),
    )
}

pub async fn world() -> World {
    world_with(false).await
}

pub async fn world_with(demo: bool) -> World {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = ops::open_seeded(path.to_str().unwrap(), "test")
        .await
        .unwrap();
    store
        .import_areas(&[area(7)], "test", &|_, _| {})
        .await
        .unwrap();
    let mut tokens = BTreeMap::new();
    for (name, role, iso3, org, restricted) in USERS {
        let new = NewAccount {
            name: (*name).into(),
            role: *role,
            iso3: iso3.map(str::to_string),
            organisation: org.map(str::to_string),
            restricted: *restricted,
        };
        accounts::add(&store, &new, PASSWORD, "test").await.unwrap();
        let (t, _) = accounts::token(&store, name, "tests", "test")
            .await
            .unwrap();
        tokens.insert(*name, t);
    }
    let state = AppState::new(store.clone(), demo, false);
    World {
        app: app(state, no_pages()),
        store,
        tokens,
        area_id: 7,
        _dir: dir,
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends a request; `who` is a user name (its token is sent) or None for an anonymous visitor.
pub async fn call(
    w: &World,
    method: Method,
    uri: &str,
    who: Option<&str>,
    body: Option<serde_json::Value>,
) -> Reply {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(name) = who {
        b = b.header(header::AUTHORIZATION, format!("Bearer {}", w.tokens[name]));
    }
    let req = match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    send(&w.app, req).await
}

pub async fn send(app: &Router, req: Request<Body>) -> Reply {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}
