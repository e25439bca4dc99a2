//! Form submissions as ODK Central and KoboToolbox export them (the committed fixtures in
//! tests/fixtures/odk) become draft field reports: geometry and attributes right, re-imports
//! recognised, edits superseding, hostile files refused with where and what.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use demine_app::hazards::{HazardImport, geojson_properties, read_area_file};
use demine_app::odk::{Mapping, OdkImport, OdkImportOutcome};
use demine_app::{Access, App, AppError, Requester};
use demine_geo::FileFormat;
use demine_geo::odk::ExportFile;
use demine_store::accounts::{AccountStore, ReportKind, ReportStatus};
use demine_store::{AnyStore, HazardStore, ops};

/// Area 1 in Cambodia, the area the activity fixtures work on.
const AREA: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":1,"status":"confirmed","hazard_type":"CHA"},"geometry":{"type":"Polygon","coordinates":[[[104.90,11.55],[104.92,11.55],[104.92,11.57],[104.90,11.57],[104.90,11.55]]]}}
]}"#;

fn fixture(name: &str) -> ExportFile {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/odk")
        .join(name);
    ExportFile {
        name: name.into(),
        bytes: std::fs::read(&p).unwrap(),
    }
}

fn text(name: &str, t: &str) -> ExportFile {
    ExportFile {
        name: name.into(),
        bytes: t.as_bytes().to_vec(),
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// What every test starts from: a runtime and an app on a fresh seeded database (kept in the
/// returned directory) holding area 1 in Cambodia.
fn setup() -> (tempfile::TempDir, tokio::runtime::Runtime, App) {
    let d = tempfile::tempdir().unwrap();
    let rt = rt();
    let app = rt.block_on(app_with_area(&d.path().join("t.db")));
    (d, rt, app)
}

async fn app_with_area(path: &std::path::Path) -> App {
    let store: AnyStore = ops::open_seeded(&path.display().to_string(), "test")
        .await
        .unwrap();
    let app = App::new(store).with_threads(1);
    let c = read_area_file("a.geojson", AREA.as_bytes(), FileFormat::Geojson, None, 1).unwrap();
    app.session(Requester::local("setup", Access::Operational))
        .import_hazards(
            HazardImport {
                name: "a.geojson".into(),
                collection: c,
                properties: geojson_properties(AREA.as_bytes()),
                iso3: Some("KHM".into()),
                tolerance_m: 1000.0,
                dry_run: false,
            },
            &|_, _| {},
        )
        .await
        .unwrap();
    app
}

async fn import(
    app: &App,
    files: Vec<ExportFile>,
    form: Option<&str>,
    dry_run: bool,
) -> Result<OdkImportOutcome, AppError> {
    app.session(Requester::local("importer", Access::Operational))
        .import_odk(OdkImport {
            files,
            mapping: Mapping::default_mapping().unwrap(),
            form: form.map(str::to_string),
            dry_run,
        })
        .await
}

#[test]
fn central_csv_with_a_repeat_table_becomes_new_area_drafts_once() {
    let (_d, rt, app) = setup();
    rt.block_on(async {
        let files = || {
            vec![
                fixture("hazardous_area.csv"),
                fixture("hazardous_area-device.csv"),
            ]
        };
        let dry = import(&app, files(), None, true).await.unwrap();
        assert_eq!((dry.drafts, dry.form.as_str()), (2, "hazardous_area"));
        assert!(app.store().reports(None).await.unwrap().is_empty());
        let out = import(&app, files(), None, false).await.unwrap();
        assert_eq!(out.export, "ODK Central CSV");
        assert_eq!((out.submissions, out.drafts, out.already), (2, 2, 0));
        let reps = app.store().reports(None).await.unwrap();
        assert_eq!(reps.len(), 2);
        let poly = reps
            .iter()
            .find(|r| r.id == out.each[0].report_id.unwrap())
            .unwrap();
        assert_eq!(
            (
                poly.kind,
                poly.status,
                poly.iso3.as_str(),
                poly.author.as_str()
            ),
            (ReportKind::NewArea, ReportStatus::Draft, "KHM", "importer")
        );
        let g = &poly.payload["geometry"];
        assert_eq!(g["type"], "Polygon");
        // Longitude first in GeoJSON, from ODK's latitude-first string.
        assert_eq!(g["coordinates"][0][0], serde_json::json!([104.93, 11.58]));
        let p = &poly.payload["properties"];
        assert_eq!(p["hazard_type"], "cha");
        assert_eq!(p["devices"], serde_json::json!(["ap-mine", "erw-uxo"]));
        assert_eq!(p["benchmark"], serde_json::json!([104.929, 11.579]));
        assert_eq!(p["odk"]["answers"]["access_route"]["type"], "LineString");
        let point = reps
            .iter()
            .find(|r| r.id == out.each[1].report_id.unwrap())
            .unwrap();
        assert_eq!(
            point.payload["geometry"]["coordinates"],
            serde_json::json!([104.97, 11.62])
        );
        assert_eq!(point.payload["properties"]["radius"], 75);
        // Again: recognised by instance id, nothing entered twice.
        let again = import(&app, files(), None, false).await.unwrap();
        assert_eq!((again.drafts, again.already), (0, 2));
        assert_eq!(app.store().reports(None).await.unwrap().len(), 2);
        // An edit in Central keeps KEY and gets a new instance id: it supersedes.
        let main = String::from_utf8(fixture("hazardous_area.csv").bytes)
            .unwrap()
            .replacen(
                "Mine found by a farmer,uuid:4b3c1f0e",
                "Two mines found,uuid:0000edit",
                1,
            );
        let edited = import(
            &app,
            vec![
                text("hazardous_area.csv", &main),
                fixture("hazardous_area-device.csv"),
            ],
            None,
            false,
        )
        .await
        .unwrap();
        assert_eq!((edited.drafts, edited.already), (1, 1));
        assert_eq!(edited.each[0].supersedes, out.each[0].report_id);
    });
}

#[test]
fn central_json_and_kobo_csv_and_json_become_activity_drafts() {
    let (_d, rt, app) = setup();
    rt.block_on(async {
        let nts = import(
            &app,
            vec![fixture("non_technical_survey.json")],
            None,
            false,
        )
        .await
        .unwrap();
        assert_eq!((nts.export.as_str(), nts.drafts), ("ODK Central JSON", 1));
        assert_eq!(nts.form, "non_technical_survey");
        let r = app
            .store()
            .report(nts.each[0].report_id.unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((r.kind, r.area_id), (ReportKind::Activity, Some(1)));
        assert_eq!(r.payload["properties"]["kind"], "non-technical-survey");
        assert_eq!(
            r.payload["geometry"]["coordinates"][0][1],
            serde_json::json!([104.905, 11.55])
        );
        let clear = import(
            &app,
            vec![fixture("technical_survey_clearance.csv")],
            Some("technical_survey_clearance"),
            false,
        )
        .await
        .unwrap();
        assert_eq!(clear.export, "KoboToolbox CSV");
        let r = app
            .store()
            .report(clear.each[0].report_id.unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.payload["properties"]["depth_cm"], 13);
        assert_eq!(r.payload["properties"]["method"], "manual");
        let ts = import(
            &app,
            vec![fixture("technical_survey_clearance.json")],
            None,
            false,
        )
        .await
        .unwrap();
        assert_eq!(ts.export, "KoboToolbox JSON");
        let r = app
            .store()
            .report(ts.each[0].report_id.unwrap())
            .await
            .unwrap()
            .unwrap();
        let devices = &r.payload["properties"]["devices"];
        assert_eq!(devices.as_array().unwrap().len(), 2);
        assert_eq!(devices[0]["model"], "PMN-2");
        assert_eq!(
            devices[0]["location"],
            serde_json::json!([104.912, 11.5675])
        );
        assert_eq!(devices[0]["depth_cm"], 8);
        assert_eq!(app.store().reports(None).await.unwrap().len(), 3);
    });
}

#[test]
fn an_accident_becomes_a_draft_whose_approval_writes_its_casualties() {
    use demine_store::{Kind, Store};
    let (_d, rt, app) = setup();
    rt.block_on(async {
        let before = app
            .store()
            .records(Kind::Casualties, None)
            .await
            .unwrap()
            .len();
        let out = import(&app, vec![fixture("accident_victim.json")], None, false)
            .await
            .unwrap();
        assert_eq!(
            (out.form.as_str(), out.kind.as_str(), out.drafts),
            ("accident_victim", "accident", 1)
        );
        let id = out.each[0].report_id.unwrap();
        let rep = app.store().report(id).await.unwrap().unwrap();
        assert_eq!(
            (rep.kind, rep.status, rep.iso3.as_str()),
            (ReportKind::Accident, ReportStatus::Draft, "KHM")
        );
        // The position, longitude first, stays with the report.
        assert_eq!(
            rep.payload["geometry"]["coordinates"],
            serde_json::json!([102.98, 13.08])
        );
        assert_eq!(
            rep.payload["properties"]["victims"][0]["outcome"],
            "injured"
        );
        // Imported again: recognised, not entered twice.
        let again = import(&app, vec![fixture("accident_victim.json")], None, false)
            .await
            .unwrap();
        assert_eq!((again.drafts, again.already), (0, 1));
        // Nothing is written before the approval; the plan shows the rows.
        assert_eq!(
            app.store()
                .records(Kind::Casualties, None)
                .await
                .unwrap()
                .len(),
            before
        );
        let reviewer = app.session(Requester::local("reviewer", Access::Operational));
        let plan = reviewer.plan_report(id).await.unwrap();
        assert_eq!(plan["casualties"], 1);
        assert_eq!(plan["rows"][0]["injured"], 1);
        assert!(plan["rows"][0].get("lat").is_none());
        let e = app
            .session(Requester::local("importer", Access::Operational))
            .approve_report(id, None)
            .await
            .unwrap_err();
        assert_eq!(e.exit_code(), 6, "the author never decides: {e}");
        let done = reviewer.approve_report(id, None).await.unwrap();
        assert_eq!(done.status, ReportStatus::Approved);
        let outcome = done.outcome.unwrap();
        assert_eq!(outcome["casualties"], 1);
        let rows = app.store().records(Kind::Casualties, None).await.unwrap();
        assert_eq!(rows.len(), before + 1);
        let t = Kind::Casualties.table();
        let row = rows
            .iter()
            .find(|r| r[0].as_str() == Some(&format!("field-report-{id}-1")))
            .expect("the victim's row");
        let col = |n: &str| row[t.index(n).unwrap()].to_text();
        assert_eq!(
            (
                col("date"),
                col("iso3"),
                col("device_category"),
                col("killed"),
                col("injured"),
                col("group"),
                col("age_group"),
                col("sex"),
            ),
            (
                "2026-02-14".into(),
                "KHM".into(),
                "ap-mine".into(),
                "0".into(),
                "1".into(),
                "civilian".into(),
                "adult".into(),
                "male".into()
            )
        );
        assert!(
            col("source").contains(&format!("field report {id}"))
                && col("source").contains("uuid:e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"),
            "{}",
            col("source")
        );
        // Decided: a second approval writes nothing.
        assert!(reviewer.approve_report(id, None).await.is_err());
        assert_eq!(
            app.store()
                .records(Kind::Casualties, None)
                .await
                .unwrap()
                .len(),
            before + 1
        );
    });
}

#[test]
fn a_kobo_excel_export_imports_with_its_repeat_sheet() {
    let d = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let app = app_with_area(&d.path().join("t.db")).await;
        let out = import(
            &app,
            vec![fixture("technical_survey_clearance.xlsx")],
            None,
            false,
        )
        .await
        .unwrap();
        assert_eq!((out.export.as_str(), out.drafts), ("KoboToolbox Excel", 2));
        assert_eq!(out.form, "technical_survey_clearance");
        let mut devices = Vec::new();
        for e in &out.each {
            let r = app
                .store()
                .report(e.report_id.unwrap())
                .await
                .unwrap()
                .unwrap();
            assert_eq!((r.kind, r.area_id), (ReportKind::Activity, Some(1)));
            devices.push(r.payload["properties"]["devices"].clone());
        }
        // The first submission's two devices and the second's one, each with its own answers.
        assert_eq!(devices[0].as_array().unwrap().len(), 2);
        assert_eq!(devices[0][0]["model"], "Type 72");
        assert_eq!(devices[0][0]["depth_cm"], 6);
        assert_eq!(
            devices[0][1]["location"],
            serde_json::json!([104.9042, 11.5531])
        );
        assert_eq!(devices[1].as_array().unwrap().len(), 1);
        assert_eq!(devices[1][0]["model"], "PMN-2");
        // Imported again: the same submissions, nothing new.
        let again = import(
            &app,
            vec![fixture("technical_survey_clearance.xlsx")],
            None,
            false,
        )
        .await
        .unwrap();
        assert_eq!(again.drafts, 0);
        assert_eq!(app.store().reports(None).await.unwrap().len(), 2);
    });
}

#[test]
fn accident_values_outside_the_vocabulary_are_refused_naming_submission_and_field() {
    let (_d, rt, app) = setup();
    rt.block_on(async {
        let main = String::from_utf8(fixture("accident_victim.json").bytes).unwrap();
        let cases = [
            (
                main.replace("\"iso3\": \"KHM\"", "\"iso3\": \"XXZ\""),
                "field iso3",
            ),
            (
                main.replace("\"2026-02-14\"", "\"2999-01-01\""),
                "field date: 2999-01-01 is in the future",
            ),
            (
                main.replace("\"ap-mine\"", "\"landmine\""),
                "field device_category",
            ),
            (
                main.replace("\"injured\"", "\"maimed\""),
                "field victim 1 outcome",
            ),
            (
                main.replace(
                    "\"victim/victim_sex\": \"male\"",
                    "\"victim/victim_sex\": \"m\"",
                ),
                "field victim 1 sex",
            ),
        ];
        for (body, want) in cases {
            assert_ne!(body, main, "{want}: the fixture changed");
            let e = import(&app, vec![text("accident_victim.json", &body)], None, false)
                .await
                .unwrap_err();
            let m = e.to_string();
            assert!(
                m.contains("accident_victim.json")
                    && m.contains("uuid:e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b")
                    && m.contains(want),
                "{want}: {m}"
            );
            assert_eq!(e.exit_code(), 3);
        }
        assert!(app.store().reports(None).await.unwrap().is_empty());
    });
}

#[test]
fn hostile_submissions_are_refused_with_their_place_and_nothing_is_entered() {
    let (_d, rt, app) = setup();
    rt.block_on(async {
        let main = String::from_utf8(fixture("hazardous_area.csv").bytes).unwrap();
        let cases = [
            // Longitude first: latitude 104.93 is out of range.
            (
                main.replacen("11.58 104.93 4.0 5.0;11.58 104.94", "104.93 11.58 4.0 5.0;11.58 104.94", 1),
                vec!["line 2", "boundary", "swapped"],
            ),
            // An open shape: the last vertex is not the first.
            (
                main.replacen(";11.58 104.93 4.0 5.0,", ";11.585 104.93 4.0 5.0,", 1),
                vec!["line 2", "boundary", "open geoshape"],
            ),
            // No instance id (neither meta-instanceID nor KEY).
            (
                main.replace(
                    "uuid:9d2e7c44-2f3b-4a8e-b1d5-7c3e0a9f5b12,uuid:9d2e7c44-2f3b-4a8e-b1d5-7c3e0a9f5b12",
                    ",",
                ),
                vec!["line 3", "instance id"],
            ),
            // A point without its radius: never guessed.
            (main.replacen(",75,", ",,", 1), vec!["line 3", "location", "radius"]),
        ];
        for (t, wants) in cases {
            let e = import(&app, vec![text("hazardous_area.csv", &t)], None, false)
                .await
                .unwrap_err();
            let m = e.to_string();
            assert!(m.contains("hazardous_area.csv"), "{m}");
            for w in wants {
                assert!(m.contains(w), "{w:?} not in {m}");
            }
            assert_eq!(e.exit_code(), 3, "{m}");
        }
        // A question the mapping does not name.
        let odd = main.replacen("notes,meta-instanceID", "mystery,meta-instanceID", 1);
        let m = import(&app, vec![text("hazardous_area.csv", &odd)], Some("hazardous_area"), false)
            .await
            .unwrap_err()
            .to_string();
        assert!(m.contains("field mystery") && m.contains("line 2"), "{m}");
        assert!(app.store().reports(None).await.unwrap().is_empty());
    });
}

#[test]
fn a_mapping_naming_an_unknown_field_is_refused_with_its_line() {
    let bad = "form,question,type,target\nf,,report,new-area\nf,q,text,area.colour\n";
    let m = Mapping::parse("m.csv", bad).unwrap_err().to_string();
    assert!(
        m.contains("m.csv: line 3") && m.contains("area.colour"),
        "{m}"
    );
    let no_kind = "form,question,type,target\nf,q,text,keep\n";
    assert!(Mapping::parse("m.csv", no_kind).is_err());
    let bad_type = "form,question,type,target\nf,,report,activity\nf,q,geopolygon,keep\n";
    assert!(
        Mapping::parse("m.csv", bad_type)
            .unwrap_err()
            .to_string()
            .contains("geopolygon")
    );
    let m = Mapping::default_mapping().unwrap();
    assert_eq!(m.forms.len(), 4);
}

#[test]
fn someone_other_than_the_importer_approves_the_drafts_into_areas_and_activities() {
    let (_d, rt, app) = setup();
    rt.block_on(async {
        let areas = import(
            &app,
            vec![
                fixture("hazardous_area.csv"),
                fixture("hazardous_area-device.csv"),
            ],
            None,
            false,
        )
        .await
        .unwrap();
        let first = areas.each[0].report_id.unwrap();
        let importer = app.session(Requester::local("importer", Access::Operational));
        let e = importer.approve_report(first, None).await.unwrap_err();
        assert_eq!(e.exit_code(), 6, "{e}");
        let reviewer = app.session(Requester::local("reviewer", Access::Operational));
        // The edit of a draft waits for that draft's decision.
        let main = String::from_utf8(fixture("hazardous_area.csv").bytes)
            .unwrap()
            .replacen(
                "uuid:9d2e7c44-2f3b-4a8e-b1d5-7c3e0a9f5b12,uuid:9d",
                "uuid:1111,uuid:9d",
                1,
            );
        let early = import(&app, vec![text("hazardous_area.csv", &main)], None, false)
            .await
            .unwrap();
        let early_edit = early.each[1].report_id.unwrap();
        let e = reviewer.approve_report(early_edit, None).await.unwrap_err();
        assert!(e.to_string().contains("still a draft"), "{e}");
        reviewer.reject_report(early_edit, None).await.unwrap();
        let plan = reviewer.plan_report(first).await.unwrap();
        assert_eq!(plan["inserted"], 1);
        let done = reviewer
            .approve_report(first, Some("seen".into()))
            .await
            .unwrap();
        assert_eq!(done.status, ReportStatus::Approved);
        let new_id = done.outcome.unwrap()["inserted_ids"][0].as_i64().unwrap();
        let area = app.store().area(new_id).await.unwrap().unwrap();
        assert_eq!(area.area.iso3.as_deref(), Some("KHM"));
        assert_eq!(area.area.devices.len(), 2);
        // An edit of the approved submission changes the area it made, not a second area.
        let main = String::from_utf8(fixture("hazardous_area.csv").bytes)
            .unwrap()
            .replacen(
                "Mine found by a farmer,uuid:4b3c1f0e",
                "Two mines found,uuid:0000edit",
                1,
            );
        let edit = import(
            &app,
            vec![
                text("hazardous_area.csv", &main),
                fixture("hazardous_area-device.csv"),
            ],
            None,
            false,
        )
        .await
        .unwrap();
        let edit_id = edit.each[0].report_id.unwrap();
        assert_eq!(edit.each[0].supersedes, Some(first));
        let before = app
            .store()
            .areas(&demine_store::AreaFilter::default())
            .await
            .unwrap()
            .len();
        reviewer.approve_report(edit_id, None).await.unwrap();
        assert_eq!(
            app.store()
                .areas(&demine_store::AreaFilter::default())
                .await
                .unwrap()
                .len(),
            before
        );
        let area = app.store().area(new_id).await.unwrap().unwrap();
        assert_eq!(area.area.notes.as_deref(), Some("Two mines found"));
        let old = app.store().report(first).await.unwrap().unwrap();
        assert_eq!(old.status, ReportStatus::Superseded);
        let second = areas.each[1].report_id.unwrap();
        reviewer
            .reject_report(second, Some("duplicate".into()))
            .await
            .unwrap();
        let e = reviewer.approve_report(second, None).await.unwrap_err();
        assert!(e.to_string().contains("rejected"), "{e}");
        // An activity draft, approved, is recorded on its area.
        let ts = import(
            &app,
            vec![fixture("technical_survey_clearance.json")],
            None,
            false,
        )
        .await
        .unwrap();
        reviewer
            .approve_report(ts.each[0].report_id.unwrap(), None)
            .await
            .unwrap();
        let acts = app.store().activities(1).await.unwrap();
        assert_eq!(acts.len(), 1);
        assert_eq!(acts[0].activity.devices.len(), 2);
        // An edit of a recorded activity is not recorded a second time.
        let edited = String::from_utf8(fixture("technical_survey_clearance.json").bytes)
            .unwrap()
            .replace(
                "\"meta/instanceID\": \"uuid:c3a8e911",
                "\"meta/deprecatedID\": \"uuid:c3a8e911-0d4f-4b6a-9e27-86f1b2d5a4c0\",\n      \
                 \"meta/instanceID\": \"uuid:d4",
            );
        let again = import(&app, vec![text("ts.json", &edited)], None, false)
            .await
            .unwrap();
        assert_eq!(again.each[0].supersedes, ts.each[0].report_id);
        let e = reviewer
            .approve_report(again.each[0].report_id.unwrap(), None)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("not recorded twice"), "{e}");
        assert_eq!(app.store().activities(1).await.unwrap().len(), 1);
        reviewer
            .reject_report(again.each[0].report_id.unwrap(), None)
            .await
            .unwrap();
        let drafts = reviewer
            .field_reports(Some("khm"), Some(ReportStatus::Draft))
            .await
            .unwrap();
        assert!(drafts.is_empty(), "{drafts:?}");
    });
}
