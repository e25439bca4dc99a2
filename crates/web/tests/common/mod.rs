//! A seeded SQLite database with a hazardous area in Cambodia and an editor and a reviewer, and
//! the whole application (API and pages) over it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use axum::Router;
use demine_core::hazard::{AreaStatus, DeviceCategory, HazardArea, HazardType};
use demine_geo::{Coord, HazardShape, Polygon};
use demine_server::accounts::{self, NewAccount};
use demine_server::{AppState, app};
use demine_store::accounts::Role;
use demine_store::{AnyStore, HazardStore, NewArea, ops};

pub const PASSWORD: &str = "a long enough password";
/// The area's corners: a distinctive longitude no page may show an anonymous visitor.
pub const AREA: [f64; 4] = [103.123456, 13.123456, 103.133456, 13.133456];

pub struct World {
    pub app: Router,
    pub store: AnyStore,
    pub dir: tempfile::TempDir,
}

pub fn area(id: i64) -> NewArea {
    let [x0, y0, x1, y1] = AREA;
    NewArea::with_id(
        HazardArea {
            id,
            reference: Some(format!("KH-{id}")),
            name: Some(format!("Battambang field {id}")),
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
        HazardShape::Polygon(Polygon {
            exterior: vec![
                Coord::new(x0, y0),
                Coord::new(x1, y0),
                Coord::new(x1, y1),
                Coord::new(x0, y1),
                Coord::new(x0, y0),
            ],
            holes: vec![],
        }),
    )
}

pub async fn world(demo: bool) -> World {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = ops::open_seeded(path.to_str().unwrap(), "test")
        .await
        .unwrap();
    store
        .import_areas(&[area(7)], "test", &|_, _| {})
        .await
        .unwrap();
    store.approve_area(7, "test").await.unwrap();
    for (name, role) in [("editor", Role::Editor), ("reviewer", Role::Reviewer)] {
        let new = NewAccount {
            name: name.into(),
            role,
            iso3: Some("KHM".into()),
            organisation: None,
            restricted: false,
        };
        accounts::add(&store, &new, PASSWORD, "test").await.unwrap();
    }
    let state = AppState::new(store.clone(), demo, false);
    World {
        app: app(state, demine_web::pages()),
        store,
        dir,
    }
}
