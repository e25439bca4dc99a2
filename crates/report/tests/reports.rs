//! Reports end to end on a fresh SQLite store holding the bundled record and a few hazardous
//! areas with their land release: the JSON and HTML of each kind are compared with the
//! committed snapshots (`DEMINE_BLESS=1 cargo test -p demine-report` rewrites them), and each
//! PDF must be one that poppler's `pdftoppm` renders.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use demine_core::hazard::{
    Activity, ActivityKind, AreaStatus, DeviceCategory, DeviceFind, HazardArea, HazardType,
};
use demine_geo::{Coord, Geometry, HazardShape, Polygon};
use demine_report::{Format, ReportKind, build, fetch, render};
use demine_store::{Access, AnyStore, HazardStore, NewArea, ops};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon {
    Polygon::new(vec![
        Coord::new(x0, y0),
        Coord::new(x1, y0),
        Coord::new(x1, y1),
        Coord::new(x0, y1),
        Coord::new(x0, y0),
    ])
}

fn area(
    id: i64,
    x: f64,
    t: HazardType,
    admin: Option<&str>,
    devices: Vec<DeviceCategory>,
) -> NewArea {
    NewArea::with_id(
        HazardArea {
            id,
            reference: None,
            name: Some(format!("area {id}")),
            hazard_type: t,
            status: AreaStatus::Open,
            source_status: None,
            devices,
            benchmark: None,
            iso3: Some("KHM".into()),
            admin_area: admin.map(str::to_string),
            organisation: None,
            reported: None,
            surveyed: None,
            notes: None,
            custom: Default::default(),
        },
        HazardShape::Polygon(rect(x, 13.0, x + 0.02, 13.02)),
    )
}

fn activity(area_id: i64, kind: ActivityKind, year: i32, devices: Vec<DeviceFind>) -> Activity {
    Activity {
        id: 0,
        area_id,
        kind,
        start: d(&format!("{year}-03-01")),
        end: Some(d(&format!("{year}-04-30"))),
        organisation: None,
        method: None,
        depth_cm: if kind == ActivityKind::Clearance {
            Some(20)
        } else {
            None
        },
        devices,
    }
}

/// A store with the bundled record and three areas in Cambodia: one cleared a strip a year
/// from 2019 to 2024, one half cancelled by survey, one untouched without admin area.
async fn store(dir: &Path) -> AnyStore {
    let path = dir.join("r.db");
    let s = ops::open_seeded(&path.display().to_string(), "test")
        .await
        .unwrap();
    let areas = vec![
        area(
            1,
            103.0,
            HazardType::Cha,
            Some("Battambang"),
            vec![DeviceCategory::ApMine],
        ),
        area(
            2,
            103.1,
            HazardType::Sha,
            Some("Pailin"),
            vec![DeviceCategory::ApMine, DeviceCategory::AtMine],
        ),
        area(3, 103.2, HazardType::Cha, None, vec![]),
    ];
    s.import_areas(&areas, "test", &|_, _| {}).await.unwrap();
    let mut list = Vec::new();
    for (i, year) in (2019..=2024).enumerate() {
        let x0 = 103.0 + 0.002 * i as f64;
        let width = if year % 2 == 0 { 0.002 } else { 0.0015 };
        let devices = if year == 2023 {
            vec![DeviceFind {
                category: DeviceCategory::ApMine,
                model: Some("PMN-2".into()),
                location: Some([x0 + 0.001, 13.01]),
                depth_cm: Some(5),
                condition: None,
                destroyed: Some(d("2023-04-02")),
            }]
        } else {
            vec![]
        };
        list.push((
            activity(1, ActivityKind::Clearance, year, devices),
            Geometry::Polygon(rect(x0, 12.99, x0 + width, 13.03)),
        ));
    }
    list.push((
        activity(2, ActivityKind::NonTechnicalSurvey, 2022, vec![]),
        Geometry::Polygon(rect(103.09, 12.99, 103.11, 13.03)),
    ));
    list.push((
        activity(2, ActivityKind::TechnicalSurvey, 2024, vec![]),
        Geometry::Polygon(rect(103.11, 12.99, 103.113, 13.03)),
    ));
    s.record_activities(&list, "test").await.unwrap();
    s
}

fn snapshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

fn check_snapshot(name: &str, got: &[u8]) {
    let path = snapshots().join(name);
    if std::env::var_os("DEMINE_BLESS").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run with DEMINE_BLESS=1 to write it",
            path.display()
        )
    });
    if want != got {
        let got_path = std::env::temp_dir().join(format!("demine-report-{name}"));
        std::fs::write(&got_path, got).unwrap();
        panic!(
            "{name} differs from its snapshot; the new output is in {} (DEMINE_BLESS=1 to accept)",
            got_path.display()
        );
    }
}

fn pdf_renders(pdf: &[u8], dir: &Path, name: &str) {
    assert!(pdf.starts_with(b"%PDF-"), "{name}: not a PDF");
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftoppm")
        .args(["-r", "20", "-png"])
        .arg(&file)
        .arg(dir.join(name))
        .output()
        .expect("pdftoppm (Debian's poppler-utils; scripts/test installs it)");
    assert!(
        out.status.success(),
        "{name}: pdftoppm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pages = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let n = e.file_name().to_string_lossy().to_string();
            n.starts_with(name) && n.ends_with(".png")
        })
        .count();
    assert!(pages >= 1, "{name}: no page rendered");
    // To look at them: DEMINE_REPORT_PDF_DIR=/some/dir keeps a copy of each PDF there.
    if let Some(keep) = std::env::var_os("DEMINE_REPORT_PDF_DIR") {
        std::fs::write(Path::new(&keep).join(format!("{name}.pdf")), pdf).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_matches_its_snapshot_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path()).await;
    let as_of = d("2025-06-30");
    let kinds = [
        ("world", ReportKind::World),
        ("country-khm", ReportKind::Country { iso3: "KHM".into() }),
        ("country-afg", ReportKind::Country { iso3: "AFG".into() }),
        (
            "article7-khm-2024",
            ReportKind::Article7 {
                iso3: "KHM".into(),
                year: 2024,
            },
        ),
        (
            "extension-khm",
            ReportKind::Extension { iso3: "KHM".into() },
        ),
    ];
    for (name, kind) in kinds {
        let inputs = fetch(&s, Access::Operational, &kind, as_of).await.unwrap();
        let report = build(&inputs, &kind).unwrap();
        // No section is empty: each says something, if only why it has nothing.
        for sec in &report.sections {
            assert!(
                !sec.blocks.is_empty(),
                "{name}: section {} is empty",
                sec.id
            );
        }
        check_snapshot(
            &format!("{name}.json"),
            &render(&report, Format::Json).unwrap(),
        );
        check_snapshot(
            &format!("{name}.html"),
            &render(&report, Format::Html).unwrap(),
        );
        let md = render(&report, Format::Markdown).unwrap();
        assert!(String::from_utf8(md).unwrap().starts_with("# "));
        let pdf = render(&report, Format::Pdf).unwrap();
        // The same report gives the same bytes.
        assert_eq!(
            pdf,
            render(&report, Format::Pdf).unwrap(),
            "{name}: PDF not deterministic"
        );
        pdf_renders(&pdf, dir.path(), name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hazard_data_comes_first_and_public_readers_get_no_admin_areas() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path()).await;
    let kind = ReportKind::Country { iso3: "KHM".into() };
    let inputs = fetch(&s, Access::Operational, &kind, d("2025-06-30"))
        .await
        .unwrap();
    let r = build(&inputs, &kind).unwrap();
    let c = &r.figures["contamination"];
    assert_eq!(c["basis"], "hazard-data");
    assert!(c["by_admin_area"].get("Battambang").is_some());
    assert_eq!(r.figures["progress"]["years"].as_array().unwrap().len(), 6);
    let public = fetch(&s, Access::Public, &kind, d("2025-06-30"))
        .await
        .unwrap();
    assert!(public.hazards.areas.iter().all(|a| a.admin_area.is_none()));
    let e = fetch(
        &s,
        Access::Operational,
        &ReportKind::Country { iso3: "XXZ".into() },
        d("2025-06-30"),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("XXZ"), "{e}");
}
