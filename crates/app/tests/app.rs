//! The application layer over a real (SQLite) store: imports, status changes, the shared index
//! and its data version, and what a requester's level shows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use demine_app::hazards::{HazardImport, geojson_properties, read_area_file};
use demine_app::{Access, App, AppError, Requester, Verdict};
use demine_core::hazard::AreaStatus;
use demine_geo::FileFormat;
use demine_store::{AnyStore, ops};

/// Two areas in Cambodia (KHM), near Phnom Penh.
const AREAS: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":1,"status":"confirmed","hazard_type":"CHA"},"geometry":{"type":"Polygon","coordinates":[[[104.90,11.55],[104.92,11.55],[104.92,11.57],[104.90,11.57],[104.90,11.55]]]}},
{"type":"Feature","properties":{"id":2,"status":"suspected"},"geometry":{"type":"Polygon","coordinates":[[[104.95,11.60],[104.96,11.60],[104.96,11.61],[104.95,11.61],[104.95,11.60]]]}}
]}"#;

/// A third area, where the first two leave the land safe.
const MORE: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":3,"status":"confirmed"},"geometry":{"type":"Polygon","coordinates":[[[104.80,11.40],[104.81,11.40],[104.81,11.41],[104.80,11.41],[104.80,11.40]]]}}
]}"#;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn open(path: &std::path::Path) -> AnyStore {
    ops::open_seeded(&path.display().to_string(), "test")
        .await
        .unwrap()
}

fn local() -> Requester {
    Requester::local("tester", Access::Operational)
}

fn import(name: &str, text: &str, dry_run: bool) -> HazardImport {
    let c = read_area_file(name, text.as_bytes(), FileFormat::Geojson, None, 1).unwrap();
    HazardImport {
        name: name.into(),
        collection: c,
        properties: geojson_properties(text.as_bytes()),
        iso3: Some("KHM".into()),
        tolerance_m: 1000.0,
        dry_run,
    }
}

#[test]
fn import_then_check_point_safe_and_no_data() {
    let d = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let app = App::new(open(&d.path().join("t.db")).await).with_threads(1);
        let s = app.session(local());
        let r = s
            .import_hazards(import("a.geojson", AREAS, false), &|_, _| {})
            .await
            .unwrap();
        assert_eq!((r.inserted, r.updated), (2, 0));
        assert_eq!(r.inserted_ids, vec![1, 2]);
        let inside = s.check_point(104.91, 11.56, 100.0).await.unwrap();
        assert_eq!(inside.status, Verdict::Hazard);
        assert_eq!(inside.hazards[0].id, 1);
        assert_eq!(inside.hazards[0].distance_m, 0.0);
        let away = s.check_point(104.7, 11.3, 100.0).await.unwrap();
        assert_eq!(away.status, Verdict::Safe, "{away:?}");
        // Thailand has no area filed: no data, never safe.
        let th = s.check_point(100.5, 13.75, 100.0).await.unwrap();
        assert_eq!(th.status, Verdict::NoData);
        assert_eq!(th.no_data.unwrap().state.as_deref(), Some("THA"));
        // The nearby path reads only the areas near the place, and agrees.
        let near = s.check_point_nearby(104.91, 11.56, 100.0).await.unwrap();
        assert_eq!(near.hazards, inside.hazards);
        let near_th = s.check_point_nearby(100.5, 13.75, 100.0).await.unwrap();
        assert_eq!(near_th.status, Verdict::NoData);
    });
}

#[test]
fn a_write_through_one_app_is_seen_by_the_other_apps_next_check() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("t.db");
    rt().block_on(async {
        let a = App::new(open(&path).await).with_threads(1);
        let b = App::new(open(&path).await).with_threads(1);
        a.session(local())
            .import_hazards(import("a.geojson", AREAS, false), &|_, _| {})
            .await
            .unwrap();
        let sb = b.session(local());
        let before = sb.check_point(104.805, 11.405, 10.0).await.unwrap();
        assert_eq!(before.status, Verdict::Safe);
        let v0 = b.data_version().await.unwrap();
        a.session(local())
            .import_hazards(import("more.geojson", MORE, false), &|_, _| {})
            .await
            .unwrap();
        assert_ne!(b.data_version().await.unwrap(), v0);
        let after = sb.check_point(104.805, 11.405, 10.0).await.unwrap();
        assert_eq!(after.status, Verdict::Hazard, "{after:?}");
        // A status change (closed: left out of the check) is seen the same way.
        a.session(local())
            .set_status(3, AreaStatus::Closed)
            .await
            .unwrap();
        let closed = sb.check_point(104.805, 11.405, 10.0).await.unwrap();
        assert_eq!(closed.status, Verdict::Safe);
    });
}

#[test]
fn a_dry_run_writes_nothing_and_moves_no_version() {
    let d = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let app = App::new(open(&d.path().join("t.db")).await).with_threads(1);
        let v0 = app.data_version().await.unwrap();
        let r = app
            .session(local())
            .import_hazards(import("a.geojson", AREAS, true), &|_, _| {})
            .await
            .unwrap();
        assert!(r.dry_run);
        assert_eq!(r.inserted_ids, vec![1, 2]);
        assert_eq!(app.data_version().await.unwrap(), v0);
    });
}

#[test]
fn an_anonymous_visitor_gets_the_verdict_without_the_hazards() {
    let d = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let app = App::new(open(&d.path().join("t.db")).await).with_threads(1);
        app.session(local())
            .import_hazards(import("a.geojson", AREAS, false), &|_, _| {})
            .await
            .unwrap();
        let r = app
            .session(Requester::anonymous())
            .check_point(104.91, 11.56, 100.0)
            .await
            .unwrap();
        assert_eq!(r.status, Verdict::Hazard);
        assert!(!r.safe);
        assert!(r.hazards.is_empty());
    });
}

#[test]
fn errors_carry_their_exit_codes() {
    let d = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let app = App::new(open(&d.path().join("t.db")).await).with_threads(1);
        let s = app.session(local());
        let e = s.set_status(99, AreaStatus::Closed).await.unwrap_err();
        assert!(matches!(e, AppError::NotFound { .. }));
        assert_eq!(e.exit_code(), 4);
        assert_eq!(e.to_string(), "not found: hazardous area 99");
        let e = s.check_point(0.0, 95.0, 100.0).await.unwrap_err();
        assert_eq!(e.exit_code(), 1);
        let mut bad = import("a.geojson", AREAS, false);
        bad.iso3 = Some("ZZZ".into());
        let e = s.import_hazards(bad, &|_, _| {}).await.unwrap_err();
        assert_eq!(e.exit_code(), 3, "{e}");
    });
}

#[test]
fn a_scoped_editor_is_refused_outside_their_state_with_exit_code_6() {
    let d = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let app = App::new(open(&d.path().join("t.db")).await).with_threads(1);
        let tha = Requester::local("ed", Access::Operational).scoped("THA", None);
        let v0 = app.data_version().await.unwrap();
        let e = app
            .session(tha)
            .import_hazards(import("a.geojson", AREAS, false), &|_, _| {})
            .await
            .unwrap_err();
        assert_eq!(e.exit_code(), 6, "{e}");
        assert!(
            e.to_string().contains("outside what ed may write (THA)"),
            "{e}"
        );
        assert_eq!(app.data_version().await.unwrap(), v0);
        // A viewer writes nothing either, even in their State.
        let viewer = Requester::local("vi", Access::Operational)
            .scoped("KHM", None)
            .read_only();
        let e = app
            .session(viewer)
            .import_hazards(import("a.geojson", AREAS, false), &|_, _| {})
            .await
            .unwrap_err();
        assert_eq!(e.exit_code(), 6, "{e}");
        // The KHM editor's import goes through; the safety check still sees every hazard.
        let khm = Requester::local("ed", Access::Operational).scoped("KHM", None);
        app.session(khm)
            .import_hazards(import("a.geojson", AREAS, false), &|_, _| {})
            .await
            .unwrap();
        let r = app
            .session(Requester::local("x", Access::Operational).scoped("THA", None))
            .check_point(104.91, 11.56, 100.0)
            .await
            .unwrap();
        assert_eq!(r.status, Verdict::Hazard);
    });
}

#[test]
fn a_batch_and_a_route_agree_with_single_points() {
    let d = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let app = App::new(open(&d.path().join("t.db")).await).with_threads(2);
        let s = app.session(local());
        s.import_hazards(import("a.geojson", AREAS, false), &|_, _| {})
            .await
            .unwrap();
        let pts = [
            (1, 104.91, 11.56),
            (2, 104.7, 11.3),
            (3, 100.5, 13.75),
            (4, 104.955, 11.605),
        ];
        let batch = demine_geo::csvfmt::PointBatch::new(
            "p.csv",
            pts.iter().map(|(id, lon, lat)| {
                (
                    id.to_string(),
                    demine_geo::Coord::new(*lon, *lat),
                    String::new(),
                )
            }),
        )
        .unwrap();
        let b = s
            .check_points("p.csv", &batch, 100.0, demine_app::BatchDetail::Nearest)
            .await
            .unwrap();
        assert_eq!(b.status, Verdict::Hazard);
        let flagged: Vec<i64> = b.flagged.iter().map(|f| f.id.parse().unwrap()).collect();
        assert_eq!(flagged, vec![1, 4]);
        let no_data: Vec<i64> = b.no_data.iter().map(|p| p.id.parse().unwrap()).collect();
        assert_eq!(no_data, vec![3]);
        for (id, lon, lat) in pts {
            let one = s.check_point(lon, lat, 100.0).await.unwrap();
            let want = if flagged.contains(&id) {
                Verdict::Hazard
            } else if no_data.contains(&id) {
                Verdict::NoData
            } else {
                Verdict::Safe
            };
            assert_eq!(one.status, want, "point {id}");
        }
        let line = demine_geo::Geometry::LineString(vec![
            demine_geo::Coord::new(104.7, 11.3),
            demine_geo::Coord::new(104.905, 11.555),
        ]);
        let shared = s
            .check_route("r.geojson", &[(0, line.clone())], 50.0)
            .await
            .unwrap();
        let near = s
            .check_route_nearby("r.geojson", &[(0, line)], 50.0)
            .await
            .unwrap();
        assert_eq!(shared.status, Verdict::Hazard);
        assert_eq!(shared, near);
    });
}

/// The shared index is keyed on the hazard data alone: built once, kept across account, field
/// report and registry writes (they leave the hazard version), rebuilt after a hazard write
/// through the app, whose next check sees it.
#[test]
fn the_shared_index_is_rebuilt_for_hazard_writes_only() {
    use demine_store::accounts::{AccountStore, NewReport, NewUser, ReportKind, Role};
    let d = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let app = App::new(open(&d.path().join("t.db")).await).with_threads(1);
        let s = app.session(local());
        s.import_hazards(import("a.geojson", AREAS, false), &|_, _| {})
            .await
            .unwrap();
        assert_eq!(app.index_builds(), 0);
        let safe = s.check_point(104.805, 11.405, 10.0).await.unwrap();
        assert_eq!(safe.status, Verdict::Safe);
        s.check_point(104.91, 11.56, 10.0).await.unwrap();
        assert_eq!(app.index_builds(), 1);
        // Writes that are not of areas: an account, a field report, registry rows.
        let store = app.store();
        store
            .add_user(
                &NewUser {
                    name: "ana".into(),
                    role: Role::Editor,
                    iso3: Some("KHM".into()),
                    organisation: None,
                    restricted: false,
                    password_hash: "$argon2id$not-a-real-hash".into(),
                },
                "root",
            )
            .await
            .unwrap();
        store
            .add_report(
                &NewReport {
                    kind: ReportKind::NewArea,
                    iso3: "KHM".into(),
                    organisation: None,
                    area_id: None,
                    payload: serde_json::json!({"type": "Feature"}),
                    supersedes: None,
                },
                "ana",
            )
            .await
            .unwrap();
        ops::import_reader(
            store,
            "estimates".parse().unwrap(),
            "e.csv",
            "subject,iso3,measure,low,high,unit,as_of,source\nCambodia,KHM,ap_contamination_km2,1,2,km2,2023,lm2024\n".as_bytes(),
            "t",
            &|_, _| {},
        )
        .await
        .unwrap();
        let again = s.check_point(104.805, 11.405, 10.0).await.unwrap();
        assert_eq!(again.status, Verdict::Safe);
        assert_eq!(app.index_builds(), 1, "a write of no area rebuilt the index");
        // A hazard write through the app: the next check sees it.
        s.import_hazards(import("more.geojson", MORE, false), &|_, _| {})
            .await
            .unwrap();
        let after = s.check_point(104.805, 11.405, 10.0).await.unwrap();
        assert_eq!(after.status, Verdict::Hazard, "{after:?}");
        assert_eq!(app.index_builds(), 2);
    });
}

/// Checks that start after a hazard write committed by another app (another process, as far as
/// this one knows) all see it, however many run at once and while the index is rebuilt; they
/// share one rebuild.
#[test]
fn concurrent_checks_after_another_apps_write_all_see_it() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("t.db");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let a = std::sync::Arc::new(App::new(open(&path).await).with_threads(1));
        let b = App::new(open(&path).await).with_threads(1);
        a.session(local())
            .import_hazards(import("a.geojson", AREAS, false), &|_, _| {})
            .await
            .unwrap();
        let before = a
            .session(local())
            .check_point(104.805, 11.405, 10.0)
            .await
            .unwrap();
        assert_eq!(before.status, Verdict::Safe);
        assert_eq!(a.index_builds(), 1);
        b.session(local())
            .import_hazards(import("more.geojson", MORE, false), &|_, _| {})
            .await
            .unwrap();
        let checks: Vec<_> = (0..24)
            .map(|_| {
                let a = a.clone();
                tokio::spawn(async move {
                    a.session(local())
                        .check_point(104.805, 11.405, 10.0)
                        .await
                        .map(|r| r.status)
                })
            })
            .collect();
        for c in checks {
            assert_eq!(c.await.unwrap().unwrap(), Verdict::Hazard);
        }
        assert_eq!(a.index_builds(), 2, "one rebuild shared by every check");
        // And a write made while checks run: every check that starts after it sees it.
        let running: Vec<_> = (0..8)
            .map(|_| {
                let a = a.clone();
                tokio::spawn(async move {
                    a.session(local())
                        .check_point(104.805, 11.405, 10.0)
                        .await
                        .map(|r| r.status)
                })
            })
            .collect();
        b.session(local())
            .set_status(3, AreaStatus::Closed)
            .await
            .unwrap();
        for c in running {
            // Started before the write committed: either answer, but an answer.
            c.await.unwrap().unwrap();
        }
        let after = a
            .session(local())
            .check_point(104.805, 11.405, 10.0)
            .await
            .unwrap();
        assert_eq!(after.status, Verdict::Safe);
    });
}
