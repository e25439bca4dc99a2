//! The shared storage suite: every behaviour is one async function over a store, run against
//! SQLite and against PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::NaiveDate;
use common::Fresh;
use demine_analytics::registry::StatusFilter;
use demine_store::{
    Access, AnyStore, BUNDLED, Format, ImportKind, Kind, RECORD, Store, StoreError, bundled, ops,
};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The registry's views as callers make them: the store's query (`view::records`), then the
/// computation in `demine_analytics::registry`.
mod view {
    use chrono::NaiveDate;
    use demine_analytics::registry::{self, StateDetail, StateRow, StatusFilter, WorldSummary};
    use demine_core::records::Estimate;
    use demine_store::view::{Need, records};
    use demine_store::{Store, StoreError};

    pub async fn states<S: Store>(
        s: &S,
        as_of: NaiveDate,
        filter: Option<StatusFilter>,
        all: bool,
    ) -> Result<Vec<StateRow>, StoreError> {
        let r = records(s, Need::Standing).await?;
        Ok(registry::states(&r, as_of, filter, all)?)
    }

    pub async fn state_detail<S: Store>(
        s: &S,
        iso3: &str,
        as_of: NaiveDate,
    ) -> Result<StateDetail, StoreError> {
        let r = records(s, Need::State(iso3)).await?;
        Ok(registry::state_detail(&r, iso3, as_of)?)
    }

    pub async fn world_summary<S: Store>(
        s: &S,
        as_of: NaiveDate,
        horizon: i64,
    ) -> Result<WorldSummary, StoreError> {
        let r = records(s, Need::World).await?;
        Ok(registry::world_summary(&r, as_of, horizon)?)
    }

    pub async fn estimates<S: Store>(
        s: &S,
        subject: Option<&str>,
        measure: Option<&str>,
        as_of: Option<NaiveDate>,
    ) -> Result<Vec<Estimate>, StoreError> {
        let r = records(s, Need::Estimates).await?;
        Ok(registry::estimates(&r.estimates, subject, measure, as_of))
    }
}

/// Runs `$name(&Fresh)` on a fresh SQLite database and on a fresh PostgreSQL database.
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let f = super::Fresh::sqlite().await;
                super::$name(&f).await;
                f.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(f) = super::Fresh::postgres().await else { return };
                super::$name(&f).await;
                f.finish().await;
            }
        }
    )*};
}

both!(
    schema_matches_migrations,
    bundled_files_import,
    seed_is_idempotent,
    as_of_1997_and_today,
    state_detail_and_compliance,
    estimates_keep_every_source,
    export_import_round_trip,
    corrupt_files_change_nothing,
    updates_are_audited,
    audit_detects_edited_rows,
    audit_log_is_append_only,
    withdrawal_held_back_by_armed_conflict,
    backup_and_restore,
    restore_rejects_bad_backups,
    concurrent_readers_during_import,
    every_read_works_on_the_bundled_record,
    record_rules_refuse_at_import,
    older_databases_get_only_new_bundled_files,
    record_shows_in_state_detail,
    backups_from_before_the_record_restore,
    undated_grants_apply_by_number,
    extension_rows_stored_before_numbers_are_numbered,
);

/// Restore options that allow removing data.
fn forced() -> ops::RestoreOptions {
    ops::RestoreOptions {
        force: true,
        keep_before: None,
    }
}

/// A SQLite backup made by a demine from before the record's migration (no sources, meetings or
/// findings tables; no meeting or basis columns) restores into either backend.
async fn backups_from_before_the_record_restore(f: &Fresh) {
    let old = Fresh::sqlite().await;
    for file in BUNDLED {
        import_text(&old.store, &file.kind.to_string(), file.name, file.text)
            .await
            .unwrap();
    }
    old.store
        .set_meta(ops::SEEDED, "2026-01-01T00:00:00Z")
        .await
        .unwrap();
    for sql in [
        "DROP TABLE use_findings",
        "DROP TABLE meetings",
        "DROP TABLE sources",
        "ALTER TABLE treaty_events DROP COLUMN meeting",
        "ALTER TABLE extension_requests DROP COLUMN meeting",
        "ALTER TABLE extension_requests DROP COLUMN basis",
        "DROP INDEX release_activities_totals",
        "ALTER TABLE hazard_areas DROP COLUMN area_m2",
        "DELETE FROM _sqlx_migrations WHERE version >= 10",
    ] {
        old.exec(sql).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.db");
    ops::backup(&old.store, &file).await.unwrap();
    old.finish().await;
    // The backup really is old.
    let raw = demine_store::SqliteStore::open_read_only(&file)
        .await
        .unwrap();
    assert!(raw.schema_version().await < Some(demine_store::SqliteStore::latest_schema_version()));
    raw.close().await.unwrap();
    ops::restore(&f.store, &file, "restorer", &forced())
        .await
        .unwrap();
    assert!(ops::verify_audit(&f.store).await.unwrap().ok);
    let restored = f.store.records(Kind::Events, None).await.unwrap();
    assert!(restored.len() > 166);
    // The restored database then gets the record files it lacks.
    let reports = ops::seed(&f.store, "t").await.unwrap();
    assert_eq!(reports.len(), RECORD.len());
    assert!(ops::verify_audit(&f.store).await.unwrap().ok);
}

/// Every bundled file imported (by the seed), then every read command's query for every State
/// and entity, as of today and as of dates across the record: none may fail.
async fn every_read_works_on_the_bundled_record(f: &Fresh) {
    let s = seeded(f).await;
    let all = view::states(s, d("2026-11-30"), None, true).await.unwrap();
    assert_eq!(all.len(), 197 + 40);
    for as_of in ["1997-12-03", "2009-03-01", "2015-12-31", "2026-11-30"] {
        view::states(s, d(as_of), None, true).await.unwrap();
        let w = view::world_summary(s, d(as_of), 365).await.unwrap();
        serde_json::to_string(&w).unwrap();
    }
    for r in &all {
        for as_of in ["2015-12-31", "2026-11-30"] {
            let detail = view::state_detail(s, &r.iso3, d(as_of))
                .await
                .unwrap_or_else(|e| panic!("states show {} --as-of {as_of}: {e}", r.iso3));
            serde_json::to_string(&detail).unwrap();
        }
    }
    view::estimates(s, None, None, None).await.unwrap();
    // Every source a bundled row cites is described in the registry.
    let ids: std::collections::BTreeSet<String> = s
        .records(Kind::Sources, None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    for kind in Kind::ALL {
        let t = kind.table();
        let Some(i) = t.index("source") else { continue };
        for r in s.records(kind, None).await.unwrap() {
            let cell = r[i].as_str().unwrap();
            for id in demine_core::records::source_ids(cell) {
                assert!(
                    ids.contains(id),
                    "{kind} {}: source {id:?} undescribed",
                    t.key_text(&r)
                );
            }
        }
    }
}

async fn import_text(s: &AnyStore, kind: &str, name: &str, text: &str) -> Result<(), StoreError> {
    ops::import_reader(
        s,
        kind.parse().unwrap(),
        name,
        text.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .map(|_| ())
}

async fn record_rules_refuse_at_import(f: &Fresh) {
    let s = seeded(f).await;
    let (before, n) = snapshot(s).await;
    let head = "iso3,number,submitted,requested_until,decision,decided_on,granted_until,meeting,basis,source\n";
    // Twelve years, no meeting, ordinary basis: the engine would refuse it on every read.
    let e = import_text(
        s,
        "extensions",
        "long.csv",
        &format!("{head}AGO,1,2011-03-01,2015-01-01,granted,2011-11-23,2015-01-01,,art5,x\nAFG,1,2012-03-29,2025-03-02,granted,2012-12-07,2025-03-02,,art5,x\n"),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("long.csv:3: column granted_until")
            && e.contains("ten years")
            && e.contains("AFG"),
        "{e}"
    );
    // An unknown meeting.
    let e = import_text(
        s,
        "extensions",
        "m.csv",
        &format!("{head}AFG,1,2012-03-29,2023-03-01,granted,2012-12-07,2023-03-01,MSP99,art5,x\n"),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("m.csv:2") && e.contains("unknown meeting \"MSP99\""),
        "{e}"
    );
    // A grant for a State with no instrument deposited.
    let e = import_text(
        s,
        "extensions",
        "usa.csv",
        &format!("{head}USA,1,2012-03-29,2023-03-01,granted,2012-12-07,2023-03-01,,art5,x\n"),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("usa.csv:2") && e.contains("no instrument deposited"),
        "{e}"
    );
    // A meeting citing a source the registry does not describe.
    let e = import_text(
        s,
        "meetings",
        "mt.csv",
        "id,kind,number,city,country_iso3,start_date,end_date,source\nMSP30,msp,30,Geneva,CHE,2032-11-01,2032-11-05,nowhere\n",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("mt.csv:2") && e.contains("source \"nowhere\""),
        "{e}"
    );
    // A State actor that is no State.
    let e = import_text(
        s,
        "use-findings",
        "u.csv",
        "year,iso3,actor_kind,actor,finding,source\n2024,UKR,state,XYZ,confirmed,lm2024\n",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(e.contains("u.csv:2") && e.contains("XYZ"), "{e}");
    // A partial date that is no date.
    let e = import_text(
        s,
        "extensions",
        "p.csv",
        &format!("{head}AFG,1,2012-13,2023-03-01,pending,,,,art5,x\n"),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(e.contains("p.csv:2") && e.contains("submitted"), "{e}");
    let (after, m) = snapshot(s).await;
    assert_eq!(before, after, "refused imports change nothing");
    assert_eq!(n, m);
    assert!(ops::verify_audit(s).await.unwrap().ok);
    // Twelve years, decided at a recorded meeting: accepted, cited, flagged (Belgium, whose
    // record holds no extension).
    import_text(
        s,
        "extensions",
        "rec.csv",
        &format!("{head}BEL,1,2008-03,2021-03-02,granted,2008-11-28,2021-03-02,MSP9,art5,apmbc-msp9-final-report\n"),
    )
    .await
    .unwrap();
    let afg = view::state_detail(s, "BEL", d("2015-01-01")).await.unwrap();
    assert_eq!(afg.row.clearance_deadline, Some(d("2021-03-02")));
    assert_eq!(afg.original_clearance_deadline, Some(d("2009-03-01")));
    assert!(
        afg.clearance_flags
            .iter()
            .any(|b| b.reason.contains("MSP9")),
        "{:?}",
        afg.clearance_flags
    );
    let clearance = afg
        .compliance
        .iter()
        .find(|o| o.obligation == "mined-area-clearance")
        .unwrap();
    assert!(!clearance.flags.is_empty());
    // A deadline under the Twelfth Meeting's decision, after completion and new mined areas.
    import_text(
        s,
        "events",
        "ev.csv",
        "iso3,event,date,meeting,source\nDNK,clearance-completed,2012-12-05,MSP12,lm2024\nDNK,contamination-found,2014,,lm2024\n",
    )
    .await
    .unwrap();
    import_text(
        s,
        "extensions",
        "m12.csv",
        &format!("{head}DNK,3,2014,2016-12-31,granted,2014-06-27,2016-12-31,RC3,msp12,apmbc-rc3-final-report\n"),
    )
    .await
    .unwrap();
    let dnk = view::state_detail(s, "DNK", d("2015-06-01")).await.unwrap();
    let c = dnk
        .compliance
        .iter()
        .find(|o| o.obligation == "mined-area-clearance")
        .unwrap();
    assert_eq!(
        c.status,
        demine_core::compliance::ComplianceStatus::Pending,
        "{c:?}"
    );
    assert!(
        dnk.clearance_flags
            .iter()
            .any(|b| b.reason.contains("Twelfth"))
    );
    assert_eq!(dnk.completion_declarations.len(), 2);
    assert!(ops::verify_audit(s).await.unwrap().ok);
    // A grant whose new deadline the source does not give: the deadline in force is unknown,
    // and so is the obligation (never pending on a deadline the record does not hold).
    import_text(
        s,
        "extensions",
        "nodate.csv",
        &format!("{head}AND,1,2008-03,,granted,2008-11-28,,MSP9,art5,lm2024\n"),
    )
    .await
    .unwrap();
    let and = view::state_detail(s, "AND", d("2010-01-01")).await.unwrap();
    assert_eq!(and.row.clearance_deadline, None);
    assert_eq!(and.original_clearance_deadline, Some(d("2009-03-01")));
    let c = and
        .compliance
        .iter()
        .find(|o| o.obligation == "mined-area-clearance")
        .unwrap();
    assert_eq!(c.status, demine_core::compliance::ComplianceStatus::Unknown);
    assert!(view::world_summary(s, d("2010-01-01"), 365).await.is_ok());
}

async fn older_databases_get_only_new_bundled_files(f: &Fresh) {
    let s = &f.store;
    // What an older demine did: the reference files, then the "seeded" mark.
    for file in BUNDLED {
        import_text(s, &file.kind.to_string(), file.name, file.text)
            .await
            .unwrap();
    }
    s.set_meta(ops::SEEDED, "2026-01-01T00:00:00Z")
        .await
        .unwrap();
    // A row the user changed since must not be loaded over.
    import_text(
        s,
        "states",
        "mine.csv",
        "iso3,name,un_member\nAFG,Afghanistan (edited),yes\n",
    )
    .await
    .unwrap();
    let reports = ops::seed(s, "t").await.unwrap();
    assert_eq!(reports.len(), RECORD.len(), "only the record files are new");
    let afg = view::state_detail(s, "AFG", d("2026-01-01")).await.unwrap();
    assert_eq!(afg.row.name, "Afghanistan (edited)");
    assert!(ops::seed(s, "t").await.unwrap().is_empty());
    assert!(!s.records(Kind::Sources, None).await.unwrap().is_empty());
}

async fn record_shows_in_state_detail(f: &Fresh) {
    let s = seeded(f).await;
    import_text(
        s,
        "estimates",
        "e.csv",
        "subject,iso3,measure,low,high,unit,as_of,source\nCambodia,KHM,ap_contamination_km2,15,25,km2,2023,lm2024\n",
    )
    .await
    .unwrap();
    import_text(
        s,
        "stockpiles",
        "st.csv",
        "iso3,date,record,device_type,quantity,source\nKHM,2000,retained,all,3000,lm2024\nKHM,2020,retained,all,2000,lm2024\nKHM,1999-04-01,destruction-completed,all,70000,lm2024\n",
    )
    .await
    .unwrap();
    import_text(
        s,
        "reports",
        "r.csv",
        "iso3,kind,year,received,source\nKHM,initial,2000,2000-06,lm2024\nKHM,annual,2001,2001-04-30,lm2024\n",
    )
    .await
    .unwrap();
    let khm = view::state_detail(s, "KHM", d("2026-11-30")).await.unwrap();
    let c = khm.contamination.as_ref().unwrap();
    assert_eq!(c.band, "medium to large");
    assert_eq!(khm.retention.as_ref().unwrap().quantity, Some(2000));
    // The earliest completion stands: the record's own (February 1999), not the later row.
    assert_eq!(
        khm.stockpile_completion.as_ref().unwrap().quantity,
        Some(71991)
    );
    assert_eq!(
        khm.report_record.initial_received.unwrap().to_string(),
        "2000-06"
    );
    assert_eq!(khm.report_record.latest_annual_year, Some(2017));
    assert_eq!(khm.original_clearance_deadline, Some(d("2010-01-01")));
    assert_eq!(khm.row.clearance_deadline, Some(d("2030-12-31")));
    assert_eq!(khm.extensions.len(), 3);
    assert_eq!(
        khm.extensions.iter().map(|x| x.number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(khm.extensions.iter().all(|x| x.meeting.is_some()));
    assert!(khm.meetings.iter().any(|m| m.id == "RC4"));
    assert!(khm.sources.iter().any(|s| s.id == "lm2024"));
    let ukr = view::state_detail(s, "UKR", d("2026-11-30")).await.unwrap();
    assert_eq!(ukr.row.status, "party");
    let n = ukr.withdrawal_notice.as_ref().unwrap();
    assert!(
        n.status.contains("stays bound until the conflict ends"),
        "{}",
        n.status
    );
    assert!(ukr.use_findings.iter().any(|u| u.actor == "RUS"));
    let rus = view::state_detail(s, "RUS", d("2026-11-30")).await.unwrap();
    assert!(
        rus.use_findings.iter().any(|u| u.iso3.as_str() == "UKR"),
        "by the State, elsewhere"
    );
    let moz = view::world_summary(s, d("2026-11-30"), 365).await.unwrap();
    assert!(moz.completed_clearance.iter().any(|c| c.iso3 == "ALB"));
    // Mozambique declared completion in 2015 and reported a mined area found in 2016: reopened.
    assert!(!moz.completed_clearance.iter().any(|c| c.iso3 == "MOZ"));
    assert!(moz.withdrawals_announced.iter().any(|w| w.iso3 == "UKR"));
    assert!(
        moz.world_estimates
            .iter()
            .any(|e| e.measure == "casualties_total")
    );
    assert!(moz.sources.iter().any(|s| s.id == "lm2025-wtn"));
    let y2024 = moz.new_use.iter().find(|y| y.year == 2024).unwrap();
    assert!(y2024.states_confirmed.contains(&"RUS".to_string()));
    assert!(y2024.where_found.contains(&"UKR".to_string()));
    let counts = &moz.compliance_counts["stockpile-destruction"];
    assert!(
        // Greece and Ukraine: missed, and no completion recorded since (Belarus, Turkey and the
        // others that missed completed late).
        counts.get("overdue").copied().unwrap_or(0) == 2,
        "{counts:?}"
    );
    assert!(counts.get("unknown").copied().unwrap_or(0) > 0);
}

async fn seeded(f: &Fresh) -> &AnyStore {
    ops::seed(&f.store, "tester").await.unwrap();
    &f.store
}

async fn snapshot(s: &AnyStore) -> (demine_store::Dump, usize) {
    let mut d = s.dump().await.unwrap();
    // SQLite's spatial index boxes are derived data only SQLite has.
    d.tables.remove("hazard_area_bbox");
    let n = d.audit.len();
    (demine_store::Dump { audit: vec![], ..d }, n)
}

async fn schema_matches_migrations(f: &Fresh) {
    // Every column of every kind is selected: a migration out of step with the schema fails here.
    for kind in Kind::ALL {
        assert!(
            f.store.records(kind, None).await.unwrap().is_empty(),
            "{kind}"
        );
    }
    assert!(f.store.audit_entries().await.unwrap().is_empty());
}

fn csv_data_rows(text: &str) -> usize {
    csv::Reader::from_reader(text.as_bytes()).records().count()
}

async fn bundled_files_import(f: &Fresh) {
    for file in BUNDLED {
        let r = ops::import_reader(
            &f.store,
            file.kind,
            file.name,
            file.text.as_bytes(),
            "t",
            &|_, _| {},
        )
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", file.name));
        let rows = csv_data_rows(file.text);
        match file.kind {
            ImportKind::Parties => {
                // one deposit per row, plus signatures and withdrawals
                assert!(r.inserted as usize > rows, "{}", file.name);
            }
            ImportKind::Kind(_) => assert_eq!(r.inserted as usize, rows, "{}", file.name),
        }
    }
    let states = f.store.records(Kind::States, None).await.unwrap();
    assert_eq!(states.len(), 197 + 40);
    let events = f.store.records(Kind::Events, None).await.unwrap();
    let deposits = events
        .iter()
        .filter(|e| e[1].as_str() == Some("deposit"))
        .count();
    assert_eq!(deposits, 166);
    let withdrawals = events
        .iter()
        .filter(|e| e[1].as_str() == Some("withdrawal"))
        .count();
    // The 2025 withdrawals are in the record's events file, each with its sources, not here.
    assert_eq!(withdrawals, 0);
    let in_record: usize = RECORD
        .iter()
        .filter(|f| f.name.starts_with("data/record/events"))
        .map(|f| {
            f.text
                .lines()
                .filter(|l| l.contains(",withdrawal,"))
                .count()
        })
        .sum();
    assert_eq!(in_record, 5);
    // Every row keeps its source.
    let t = Kind::Events.table();
    let src = t.index("source").unwrap();
    assert!(
        events
            .iter()
            .all(|e| e[src].as_str().is_some_and(|s| !s.is_empty()))
    );
    assert_eq!(
        f.store.records(Kind::Estimates, None).await.unwrap().len(),
        16
    );
}

async fn seed_is_idempotent(f: &Fresh) {
    let first = ops::seed(&f.store, "t").await.unwrap();
    assert_eq!(first.len(), BUNDLED.len() + RECORD.len());
    let n = f.store.audit_entries().await.unwrap().len();
    assert!(ops::seed(&f.store, "t").await.unwrap().is_empty());
    // Importing the same files again changes nothing and logs nothing.
    for file in bundled::all() {
        let r = ops::import_reader(
            &f.store,
            file.kind,
            file.name,
            file.text.as_bytes(),
            "t",
            &|_, _| {},
        )
        .await
        .unwrap();
        assert_eq!((r.inserted, r.updated), (0, 0), "{}", file.name);
    }
    assert_eq!(f.store.audit_entries().await.unwrap().len(), n);
}

async fn as_of_1997_and_today(f: &Fresh) {
    let s = seeded(f).await;
    let ottawa = view::states(s, d("1997-12-03"), None, false).await.unwrap();
    assert_eq!(ottawa.len(), 197);
    assert!(ottawa.iter().all(|r| r.status != "party"));
    // Those that deposited that day are bound only from 1 March 1999.
    assert!(
        ottawa
            .iter()
            .all(|r| r.entry_into_force.is_none_or(|e| e == d("1999-03-01")))
    );
    let signed = ottawa.iter().filter(|r| r.status == "signatory").count();
    let pending = ottawa
        .iter()
        .filter(|r| r.status == "pending-entry-into-force")
        .count();
    // Signed on the first day in Ottawa, per the data (the second day, 4 December, not yet).
    let signed_that_day = BUNDLED[2]
        .text
        .lines()
        .filter(|l| l.split(',').nth(2) == Some("1997-12-03"))
        .count();
    assert_eq!(signed_that_day, 82);
    assert_eq!(signed + pending, signed_that_day);
    assert_eq!(
        pending, 3,
        "Canada, Ireland and Mauritius deposited as they signed"
    );
    // Canada deposited on the day it signed: pending entry into force, 1 March 1999.
    let can = ottawa.iter().find(|r| r.iso3 == "CAN").unwrap();
    assert_eq!(can.status, "pending-entry-into-force");
    // The world in November 2026: 166 joined, 5 withdrew (all effective by February 2026).
    let now = view::states(s, d("2026-11-21"), None, false).await.unwrap();
    let count = |st: &str| now.iter().filter(|r| r.status == st).count();
    assert_eq!(count("party"), 161);
    assert_eq!(count("withdrawn"), 5);
    assert_eq!(count("withdrawal-pending"), 0);
    assert_eq!(
        count("party") + count("withdrawn") + count("pending-entry-into-force"),
        166
    );
    let parties = view::states(s, d("2026-11-21"), Some(StatusFilter::Party), false)
        .await
        .unwrap();
    assert_eq!(parties.len(), 161);
    let non = view::states(s, d("2026-11-21"), Some(StatusFilter::NonParty), false)
        .await
        .unwrap();
    assert_eq!(non.len(), 197 - 166);
    assert!(non.iter().any(|r| r.iso3 == "USA"));
    // In between: the Baltic withdrawals pending in the autumn of 2025.
    let autumn = view::states(
        s,
        d("2025-10-01"),
        Some(StatusFilter::WithdrawalPending),
        false,
    )
    .await
    .unwrap();
    let codes: Vec<&str> = autumn.iter().map(|r| r.iso3.as_str()).collect();
    assert_eq!(codes, ["EST", "FIN", "LTU", "LVA", "POL"]);
    let afg = now.iter().find(|r| r.iso3 == "AFG").unwrap();
    assert_eq!(afg.entry_into_force, Some(d("2003-03-01")));
    assert_eq!(afg.stockpile_destruction_deadline, Some(d("2007-03-01")));
    // Ten years from entry into force, moved by its three extensions (RC5 to 2030-03-01).
    assert_eq!(afg.clearance_deadline, Some(d("2030-03-01")));
    let all = view::states(s, d("2026-11-21"), None, true).await.unwrap();
    assert_eq!(all.len(), 237);
}

async fn state_detail_and_compliance(f: &Fresh) {
    let s = seeded(f).await;
    let usa = view::state_detail(s, "usa", d("1997-12-03")).await.unwrap();
    assert_eq!(usa.row.status, "not-signatory");
    assert_eq!(usa.positions.len(), 1);
    assert!(usa.positions[0].position.contains("will not sign"));
    assert_eq!(usa.commitments.len(), 5);
    assert!(
        usa.compliance
            .iter()
            .all(|o| o.status == demine_core::compliance::ComplianceStatus::NotApplicable)
    );
    // Afghanistan's reports: add an initial report and an extension, then ask.
    let text = "iso3,kind,year,received,source\nAFG,initial,2003,2003-09-01,test\n";
    ops::import_reader(
        s,
        "reports".parse().unwrap(),
        "r.csv",
        text.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap();
    let ext = "iso3,number,submitted,requested_until,decision,decided_on,granted_until,source\n\
               AFG,1,2012-03-29,2023-03-01,granted,2012-12-07,2023-03-01,test\n";
    ops::import_reader(
        s,
        "extensions".parse().unwrap(),
        "x.csv",
        ext.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap();
    let afg = view::state_detail(s, "AFG", d("2015-01-01")).await.unwrap();
    assert_eq!(afg.row.clearance_deadline, Some(d("2023-03-01")));
    let get = |name: &str| {
        afg.compliance
            .iter()
            .find(|o| o.obligation == name)
            .unwrap()
            .clone()
    };
    use demine_core::compliance::ComplianceStatus::*;
    // Received 2003-09-01, after the 180 days (2003-08-28): met, late.
    assert_eq!(get("initial-transparency-report").status, MetLate);
    // The record says the Art. 4 deadline was missed and destruction completed in October 2007.
    assert_eq!(get("stockpile-destruction").status, MetLate);
    // No record either way is unknown, never overdue: no annual report of Afghanistan is
    // recorded, and the one due on 30 April 2015 has passed by June.
    let june = view::state_detail(s, "AFG", d("2015-06-01")).await.unwrap();
    let annual = june
        .compliance
        .iter()
        .find(|o| o.obligation == "annual-transparency-report")
        .unwrap();
    assert_eq!(annual.status, Unknown, "{annual:?}");
    assert!(
        annual
            .basis
            .iter()
            .any(|b| b.reason.contains("no record either way")),
        "{:?}",
        annual.basis
    );
    assert_eq!(get("mined-area-clearance").status, Pending);
    assert!(!get("mined-area-clearance").basis.is_empty());
    let before = view::state_detail(s, "AFG", d("2012-01-01")).await.unwrap();
    assert_eq!(before.row.clearance_deadline, Some(d("2013-03-01")));
    assert_eq!(before.extensions.len(), 0);
    let missing = view::state_detail(s, "XXX", d("2015-01-01"))
        .await
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound { .. }));
}

async fn estimates_keep_every_source(f: &Fresh) {
    let s = seeded(f).await;
    let world = view::estimates(s, Some("World"), Some("mines_emplaced"), None)
        .await
        .unwrap();
    assert_eq!(world.len(), 2, "both world totals, from both seeds");
    let mut lows: Vec<f64> = world.iter().map(|e| e.low).collect();
    lows.sort_by(f64::total_cmp);
    assert_eq!(lows, [1e7, 8e7]);
    assert!(world.iter().all(|e| !e.source.is_empty()));
    let egy = view::estimates(s, Some("EGY"), None, None).await.unwrap();
    assert_eq!(egy.len(), 1);
    assert!(
        view::estimates(s, None, None, Some(d("1996-12-31")))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn export_all(s: &AnyStore, format: Format) -> Vec<(Kind, Vec<u8>)> {
    let mut out = Vec::new();
    for kind in Kind::ALL {
        let mut buf = Vec::new();
        ops::export(s, kind, format, true, true, &mut buf)
            .await
            .unwrap();
        out.push((kind, buf));
    }
    out
}

async fn export_import_round_trip(f: &Fresh) {
    let s = seeded(f).await;
    let cas = common::casualties_csv(50);
    ops::import_reader(
        s,
        "casualties".parse().unwrap(),
        "c.csv",
        cas.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap();
    let victims = "casualty_id,person_name,birth_date,source\nC0000001,A. Person,1980-02-29,test\n";
    ops::import_reader(
        s,
        "victims".parse().unwrap(),
        "v.csv",
        victims.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap();
    let funding = "donor,recipient,recipient_iso3,year,amount,currency,purpose,source\n\
                   United States of America,Angola,AGO,1997,12000000.5,USD,clearance,test\n";
    ops::import_reader(
        s,
        "funding".parse().unwrap(),
        "f.csv",
        funding.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap();
    for (format, ext) in [(Format::Csv, "csv"), (Format::Json, "json")] {
        let first = export_all(s, format).await;
        let other = f.reopen().await;
        // A second, empty database of the same backend.
        let fresh = match &other {
            AnyStore::Sqlite(_) => Fresh::sqlite().await,
            AnyStore::Postgres(_) => Fresh::postgres().await.unwrap(),
        };
        for (kind, bytes) in &first {
            ops::import_reader(
                &fresh.store,
                ImportKind::Kind(*kind),
                &format!("{kind}.{ext}"),
                bytes.as_slice(),
                "t",
                &|_, _| {},
            )
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        }
        let second = export_all(&fresh.store, format).await;
        for ((k, a), (_, b)) in first.iter().zip(&second) {
            assert_eq!(
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b),
                "{k} {ext}"
            );
        }
        assert!(ops::verify_audit(&fresh.store).await.unwrap().ok);
        fresh.finish().await;
    }
}

async fn corrupt_files_change_nothing(f: &Fresh) {
    let s = seeded(f).await;
    let before = snapshot(s).await;
    let cases: &[(&str, &str, &str)] = &[
        (
            "events",
            "iso3,event,date\nAFG,signature,1997-12-03\nAFG,signature,1997-02-30\n",
            "bad.csv:3: column 3 (date)",
        ),
        (
            "estimates",
            "subject,measure,low,high,unit,as_of,source\nWorld,m,ten,20,mines,1997,s\n",
            "bad.csv:2: column 3 (low)",
        ),
        (
            "events",
            "iso3,event,date\nAFG,signature,1997-12-03\nZZZ,signature,1997-12-03\n",
            "bad.csv:3: column iso3: unknown ISO3 code \"ZZZ\"",
        ),
        (
            "events",
            "iso3,date\nAFG,1997-12-03\n",
            "bad.csv:1: column event: required column event is missing",
        ),
        (
            "states",
            "iso3,name,un_member\nAAA,Atlantis,perhaps\n",
            "bad.csv:2: column 3 (un_member)",
        ),
        (
            "events",
            "iso3,event,date\nAFG,ratified,1997-12-03\n",
            "bad.csv:2: column 2 (event)",
        ),
        (
            "reports",
            "iso3,kind,year,received,source\nAFG,annual,20x4,2004-04-30,s\n",
            "bad.csv:2: column 3 (year)",
        ),
        (
            "casualties",
            "id,date,iso3,device_category,killed,injured,group,age_group,sex\nC1,2020-01-01,AFG,ap-mine,-1,0,civilian,adult,male\n",
            "bad.csv:2: column 5 (killed)",
        ),
        (
            "positions",
            "iso3,position,as_of\nUSA,supports,1997-13\n",
            "bad.csv:2: column 3 (as_of)",
        ),
        (
            "events",
            "iso3,event,date\nAFG,signature,1997-12-03\nAFG,signature,1997-12-03\n",
            "bad.csv:3: column iso3+event+date: duplicate key",
        ),
        (
            "events",
            "iso3,event,date\nAFG,deposit,2002-09-11\n",
            "bad.csv:2: column instrument: a deposit needs its instrument",
        ),
        (
            "states",
            "iso3,name,un_member\nAAA,Atlantis\n",
            "bad.csv:2: column -: the row has 2 fields",
        ),
        (
            "states",
            "iso3,name,un_member\nA1A,Atlantis,no\n",
            "bad.csv:2: column 1 (iso3)",
        ),
        (
            "estimates",
            "[{\"subject\": \"World\", \"measure\": \"m\", \"low\": 5, \"high\": 1, \"unit\": \"u\", \"as_of\": \"1997\"}]",
            "bad.json:1: column high: high 1 is below low 5",
        ),
    ];
    for (kind, text, expected) in cases {
        let name = if text.starts_with('[') {
            "bad.json"
        } else {
            "bad.csv"
        };
        let err = ops::import_reader(
            s,
            kind.parse().unwrap(),
            name,
            text.as_bytes(),
            "t",
            &|_, _| {},
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with(expected),
            "{kind}: got {err:?}, expected {expected:?}"
        );
        assert!(err.contains("nothing was imported"), "{err}");
    }
    // A valid first row followed by a bad one: the first is not kept either.
    let err = ops::import_reader(
        s,
        "states".parse().unwrap(),
        "bad.csv",
        "iso3,name,un_member\nAAA,Atlantis,no\nBBB,Lemuria,no\n,Nowhere,no\n".as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().starts_with("bad.csv:4: column 1 (iso3)"),
        "{err}"
    );
    assert_eq!(snapshot(s).await, before);
}

async fn updates_are_audited(f: &Fresh) {
    let s = seeded(f).await;
    let n = s.audit_entries().await.unwrap().len();
    let text = "iso3,commitment,due,source,outcome,outcome_date\n\
                USA,find alternatives to the anti-personnel mines stockpiled for Korea,2006,002_d49c31f01cd2f01e.txt,not met,2014\n";
    let r = ops::import_reader(
        s,
        "commitments".parse().unwrap(),
        "c.csv",
        text.as_bytes(),
        "alice",
        &|_, _| {},
    )
    .await
    .unwrap();
    assert_eq!((r.inserted, r.updated), (0, 1));
    let log = s.audit_entries().await.unwrap();
    assert_eq!(log.len(), n + 1);
    let last = log.last().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.entity.as_str()),
        ("alice", "commitments")
    );
    assert!(last.before.as_deref().unwrap().contains("\"outcome\":null"));
    assert!(
        last.after
            .as_deref()
            .unwrap()
            .contains("\"outcome\":\"not met\"")
    );
    assert!(ops::verify_audit(s).await.unwrap().ok);
    let past = view::state_detail(s, "USA", d("2010-01-01")).await.unwrap();
    assert!(past.commitments.iter().all(|c| c.outcome.is_none()));
    let now = view::state_detail(s, "USA", d("2020-01-01")).await.unwrap();
    assert!(
        now.commitments
            .iter()
            .any(|c| c.outcome.as_deref() == Some("not met"))
    );
}

async fn audit_detects_edited_rows(f: &Fresh) {
    let s = seeded(f).await;
    let report = ops::verify_audit(s).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert!(report.entries > 400);
    // A data row changed behind demine's back.
    f.exec("UPDATE states SET name = 'Freedonia' WHERE iso3 = 'AFG'")
        .await
        .unwrap();
    let report = ops::verify_audit(s).await.unwrap();
    let b = report.first_broken.unwrap();
    assert_eq!((b.entity.as_str(), b.key.as_str()), ("states", "AFG"));
    f.exec("UPDATE states SET name = 'Afghanistan' WHERE iso3 = 'AFG'")
        .await
        .unwrap();
    assert!(ops::verify_audit(s).await.unwrap().ok);
    // An audit entry edited by someone who got past the append-only trigger.
    let bypass: &'static str = match s {
        AnyStore::Sqlite(_) => {
            "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'mallory' WHERE seq = 7"
        }
        AnyStore::Postgres(_) => {
            "ALTER TABLE audit_log DISABLE TRIGGER USER; UPDATE audit_log SET actor = 'mallory' WHERE seq = 7"
        }
    };
    f.exec(bypass).await.unwrap();
    let report = ops::verify_audit(s).await.unwrap();
    assert!(!report.ok);
    let b = report.first_broken.unwrap();
    assert_eq!(b.seq, Some(7));
    assert!(b.reason.contains("hash"), "{}", b.reason);
}

async fn audit_log_is_append_only(f: &Fresh) {
    let s = seeded(f).await;
    assert!(
        f.exec("UPDATE audit_log SET actor = 'x' WHERE seq = 1")
            .await
            .is_err()
    );
    assert!(f.exec("DELETE FROM audit_log WHERE seq = 1").await.is_err());
    assert!(ops::verify_audit(s).await.unwrap().ok);
}

async fn backup_and_restore(f: &Fresh) {
    let s = seeded(f).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.demine");
    ops::backup(s, &file).await.unwrap();
    let at_backup = snapshot(s).await;
    let cas = common::casualties_csv(10);
    ops::import_reader(
        s,
        "casualties".parse().unwrap(),
        "c.csv",
        cas.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap();
    assert_ne!(snapshot(s).await.0, at_backup.0);
    ops::restore(s, &file, "restorer", &forced()).await.unwrap();
    let after = snapshot(s).await;
    assert_eq!(after.0, at_backup.0);
    assert_eq!(after.1, at_backup.1 + 1, "the restore itself is logged");
    let log = s.audit_entries().await.unwrap();
    assert_eq!(log.last().unwrap().actor, "restorer");
    assert!(ops::verify_audit(s).await.unwrap().ok);
    // The other backend's backups restore here too (a SQLite file into PostgreSQL, a dump into
    // SQLite): the portable path is the same.
    let other = match s {
        AnyStore::Sqlite(_) => Fresh::postgres().await,
        AnyStore::Postgres(_) => Some(Fresh::sqlite().await),
    };
    if let Some(other) = other {
        ops::restore(&other.store, &file, "t", &Default::default())
            .await
            .unwrap();
        assert_eq!(snapshot(&other.store).await.0, at_backup.0);
        let rep = ops::verify_audit(&other.store).await.unwrap();
        assert!(rep.ok, "{rep:?}");
        other.finish().await;
    }
}

async fn restore_rejects_bad_backups(f: &Fresh) {
    let s = seeded(f).await;
    let before = snapshot(s).await;
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk");
    std::fs::write(&junk, "this is not a backup").unwrap();
    let e = ops::restore(s, &junk, "t", &forced())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a demine backup"), "{e}");
    // A dump whose audit log was tampered with.
    let mut dump = s.dump().await.unwrap();
    dump.audit[3].actor = "mallory".into();
    let bad = dir.path().join("tampered.json");
    std::fs::write(&bad, serde_json::to_string(&dump).unwrap()).unwrap();
    let e = ops::restore(s, &bad, "t", &forced())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not verify"), "{e}");
    // A dump with a row that breaks a constraint deep inside: the restore rolls back.
    let mut dump = s.dump().await.unwrap();
    let mut orphan = dump.tables["events"][0].clone();
    orphan.insert("iso3".into(), "QQQ".into());
    dump.tables.get_mut("events").unwrap().push(orphan);
    dump.audit.clear();
    let bad = dir.path().join("orphan.json");
    std::fs::write(&bad, serde_json::to_string(&dump).unwrap()).unwrap();
    assert!(ops::restore(s, &bad, "t", &forced()).await.is_err());
    assert_eq!(snapshot(s).await, before);
}

async fn concurrent_readers_during_import(f: &Fresh) {
    let s = seeded(f).await;
    let text = common::casualties_csv(20_000);
    let writer_store = f.reopen().await;
    let writer = tokio::spawn(async move {
        let r = ops::import_reader(
            &writer_store,
            "casualties".parse().unwrap(),
            "big.csv",
            text.as_bytes(),
            "writer",
            &|_, _| {},
        )
        .await;
        r.map(|r| r.inserted)
    });
    let mut reads = 0;
    let mut saw_partial = false;
    let dir = tempfile::tempdir().unwrap();
    let mut backups = Vec::new();
    loop {
        let n = s.records(Kind::Casualties, None).await.unwrap().len();
        if n != 0 && n != 20_000 {
            saw_partial = true;
        }
        let states = view::states(s, d("2026-11-21"), None, false).await.unwrap();
        assert_eq!(states.len(), 197);
        reads += 1;
        if backups.len() < 2 {
            // A backup taken while the import runs is consistent: all of it or none of it.
            let file = dir.path().join(format!("during-{}.backup", backups.len()));
            ops::backup(s, &file).await.unwrap();
            backups.push(file);
        }
        if writer.is_finished() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(writer.await.unwrap().unwrap(), 20_000);
    assert!(!saw_partial, "a reader saw part of an uncommitted import");
    assert!(reads > 1, "readers were blocked for the whole import");
    assert_eq!(
        s.records(Kind::Casualties, None).await.unwrap().len(),
        20_000
    );
}

async fn withdrawal_held_back_by_armed_conflict(f: &Fresh) {
    let s = seeded(f).await;
    // Ukraine announced its withdrawal in 2025 while engaged in an armed conflict (Art. 20(3)).
    let text = "iso3,event,date,end_date,source\n\
                #country+code,#event+type,#date,#date+end,#meta+source\n\
                UKR,armed-conflict,2022-02-24,,test\n\
                UKR,withdrawal,2025-06-29,,test\n";
    ops::import_reader(
        s,
        "events".parse().unwrap(),
        "ukr.csv",
        text.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap();
    let ukr = view::state_detail(s, "UKR", d("2026-11-21")).await.unwrap();
    assert_eq!(ukr.row.status, "withdrawal-pending");
    assert_eq!(ukr.row.withdrawal_effective, None);
    let w = ukr.withdrawal.as_ref().unwrap();
    assert!(w.pending_reason.is_some());
    assert!(
        ukr.compliance
            .iter()
            .all(|o| o.status != demine_core::compliance::ComplianceStatus::NotApplicable)
    );
    // Had the conflict ended in 2025, the withdrawal would have taken effect.
    let ended = "iso3,event,date,end_date,source\nUKR,armed-conflict,2022-02-24,2025-09-01,test\n";
    ops::import_reader(
        s,
        "events".parse().unwrap(),
        "ukr2.csv",
        ended.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap();
    let after = view::state_detail(s, "UKR", d("2026-11-21")).await.unwrap();
    assert_eq!(after.row.status, "withdrawn");
    assert!(after.row.withdrawal_effective.is_some());
    assert!(after.row.entry_into_force.is_none(), "no longer bound");
    let during = view::states(
        s,
        d("2025-08-01"),
        Some(StatusFilter::WithdrawalPending),
        false,
    )
    .await
    .unwrap();
    assert!(during.iter().any(|r| r.iso3 == "UKR"));
}

// ---- Hazardous areas and land release (issue 4) ----

mod hazards {
    use demine_core::hazard::{
        Activity, ActivityKind, AreaStatus, CustomField, DeviceCategory, DeviceFind, FieldKind,
        HazardArea, HazardType, VersionStatus,
    };
    use demine_geo::{Bbox, Coord, Geometry, HazardIndex, HazardShape, Polygon};
    use demine_store::{AreaFilter, HazardStore, NewArea, Store, hazards};

    use super::{Fresh, d};

    both!(
        import_list_and_bbox,
        import_is_all_or_nothing,
        versions_keep_history,
        activities_account_and_shrink_the_hazard,
        custom_fields_are_defined_and_audited,
        backup_and_restore_keep_hazards,
        idless_areas_get_new_ids,
        dry_run_writes_nothing,
        unknown_states_are_refused,
        tampering_is_caught,
        truncated_chain_is_caught_by_the_head,
        restore_refuses_destructive_backups,
        restore_refuses_backups_that_do_not_verify,
    );

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon {
        Polygon::new(vec![
            Coord::new(x0, y0),
            Coord::new(x1, y0),
            Coord::new(x1, y1),
            Coord::new(x0, y1),
            Coord::new(x0, y0),
        ])
    }

    pub fn area(id: i64, x: f64, y: f64) -> NewArea {
        NewArea::with_id(
            HazardArea {
                id,
                reference: Some(format!("KH-{id}")),
                name: Some(format!("area {id}")),
                hazard_type: HazardType::Cha,
                status: AreaStatus::Open,
                source_status: Some("confirmed".into()),
                devices: vec![DeviceCategory::ApMine],
                benchmark: Some([x, y]),
                iso3: Some("KHM".into()),
                admin_area: Some("Battambang".into()),
                organisation: Some("CMAC".into()),
                reported: Some(d("2020-01-02")),
                surveyed: None,
                notes: None,
                custom: Default::default(),
            },
            HazardShape::Polygon(rect(x, y, x + 0.01, y + 0.01)),
        )
    }

    async fn import_list_and_bbox(f: &Fresh) {
        // The areas are filed under KHM and THA: the registry must know them.
        super::seeded(f).await;
        let s = &f.store;
        let mut areas: Vec<NewArea> = (1..=50)
            .map(|i| area(i, 100.0 + i as f64 * 0.1, 12.0))
            .collect();
        areas[3].shape = HazardShape::Circle {
            center: Coord::new(100.4, 12.0),
            radius_m: 250.0,
        };
        areas[4].area.iso3 = Some("THA".into());
        areas[5].area.status = AreaStatus::Closed;
        let r = s.import_areas(&areas, "t", &|_, _| {}).await.unwrap();
        assert_eq!((r.inserted, r.updated, r.unchanged), (50, 0, 0));
        let all = s.areas(&AreaFilter::default()).await.unwrap();
        assert_eq!(all.len(), 50);
        assert_eq!(all[0].area, areas[0].area);
        assert_eq!(all[0].shape, areas[0].shape);
        assert_eq!(all[3].shape, areas[3].shape);
        // Box queries use the R*Tree / GiST index: areas 10..=12 start at 101.0..101.2.
        let bbox = Bbox {
            min_lon: 101.005,
            min_lat: 11.9,
            max_lon: 101.2,
            max_lat: 12.1,
        };
        let hit = s
            .areas(&AreaFilter {
                bbox: Some(bbox),
                ..Default::default()
            })
            .await
            .unwrap();
        let ids: Vec<i64> = hit.iter().map(|a| a.area.id).collect();
        assert_eq!(ids, vec![10, 11, 12]);
        let tha = s
            .areas(&AreaFilter {
                iso3: Some("THA".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(tha.len(), 1);
        let closed = s
            .areas(&AreaFilter {
                status: Some(AreaStatus::Closed),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(closed.len(), 1);
        // The index loader leaves the closed area out.
        let recs = s.index_records(2).await.unwrap();
        assert_eq!(recs.len(), 49);
        assert!(recs.iter().all(|r| r.id != 6));
        // Every area is in the audit chain, and the chain verifies.
        let audit = s.audit_entries().await.unwrap();
        assert_eq!(
            audit.iter().filter(|e| e.entity == "hazard_area").count(),
            50
        );
        let rep = demine_store::ops::verify_audit(s).await.unwrap();
        assert!(rep.ok, "{rep:?}");
        // Importing the same again changes nothing.
        let r = s.import_areas(&areas, "t", &|_, _| {}).await.unwrap();
        assert_eq!((r.inserted, r.updated, r.unchanged), (0, 0, 50));
    }

    async fn import_is_all_or_nothing(f: &Fresh) {
        // The areas are filed under KHM and THA: the registry must know them.
        super::seeded(f).await;
        let s = &f.store;
        let mut areas: Vec<NewArea> = (1..=600).map(|i| area(i, 100.0, 12.0)).collect();
        // A bad row in the middle (in the third batch of 200): a duplicate id.
        areas[450].area.id = 3;
        let e = s.import_areas(&areas, "t", &|_, _| {}).await.unwrap_err();
        assert!(e.to_string().contains("duplicate id 3"), "{e}");
        assert!(s.areas(&AreaFilter::default()).await.unwrap().is_empty());
        areas[450].area.id = 451;
        // Fill the table partly, then a failing second import must leave it as it was.
        s.import_areas(&areas[..10], "t", &|_, _| {}).await.unwrap();
        let before = s.audit_entries().await.unwrap().len();
        let mut more: Vec<NewArea> = (11..=600).map(|i| area(i, 100.0, 12.0)).collect();
        more[300].area.id = 20;
        assert!(s.import_areas(&more, "t", &|_, _| {}).await.is_err());
        assert_eq!(s.areas(&AreaFilter::default()).await.unwrap().len(), 10);
        assert_eq!(s.audit_entries().await.unwrap().len(), before);
    }

    async fn versions_keep_history(f: &Fresh) {
        // The areas are filed under KHM and THA: the registry must know them.
        super::seeded(f).await;
        let s = &f.store;
        let a = area(7, 104.0, 12.0);
        s.import_areas(std::slice::from_ref(&a), "surveyor", &|_, _| {})
            .await
            .unwrap();
        let mut b = a.clone();
        b.area.hazard_type = HazardType::Sha;
        b.shape = HazardShape::Polygon(rect(104.0, 12.0, 104.02, 12.01));
        let v = s.update_area(&b, VersionStatus::Draft, "qa").await.unwrap();
        assert_eq!(v, 2);
        s.approve_area(7, "authority").await.unwrap();
        let h = s.history(7).await.unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].version, 1);
        assert_eq!(h[0].made_by, "surveyor");
        assert_eq!(h[0].superseded_by.as_deref(), Some("qa"));
        assert_eq!(h[0].area.hazard_type, HazardType::Cha);
        assert_eq!(h[1].version_status, VersionStatus::Approved);
        assert!(h[1].geometry_wkt.contains("104.02"));
        // The bbox index follows the new geometry.
        let hit = s
            .areas(&AreaFilter {
                bbox: Some(Bbox {
                    min_lon: 104.015,
                    min_lat: 12.0,
                    max_lon: 104.03,
                    max_lat: 12.01,
                }),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(hit.len(), 1);
        let rep = demine_store::ops::verify_audit(s).await.unwrap();
        assert!(rep.ok, "{rep:?}");
        assert!(s.history(99).await.is_err());
        // An area changed behind demine's back breaks the audit.
        f.exec("UPDATE hazard_areas SET name = 'forged' WHERE id = 7")
            .await
            .unwrap();
        let rep = demine_store::ops::verify_audit(s).await.unwrap();
        assert!(!rep.ok);
        let b = rep.first_broken.unwrap();
        assert_eq!((b.entity.as_str(), b.key.as_str()), ("hazard_areas", "7"));
        assert!(b.reason.contains("name is \"forged\""), "{}", b.reason);
    }

    async fn activities_account_and_shrink_the_hazard(f: &Fresh) {
        // The areas are filed under KHM and THA: the registry must know them.
        super::seeded(f).await;
        let s = &f.store;
        let a = area(1, 104.0, 12.0);
        s.import_areas(std::slice::from_ref(&a), "t", &|_, _| {})
            .await
            .unwrap();
        let idx = HazardIndex::build(s.index_records(1).await.unwrap()).unwrap();
        // A point in the western half is inside the hazard.
        let west = Coord::new(104.002, 12.005);
        assert!(!idx.query_point(west, 0.0).is_empty());
        let nts = Activity {
            id: 0,
            area_id: 1,
            kind: ActivityKind::NonTechnicalSurvey,
            start: d("2024-01-01"),
            end: Some(d("2024-01-05")),
            organisation: Some("CMAC".into()),
            method: Some("interviews".into()),
            depth_cm: None,
            devices: vec![],
        };
        let west_half = Geometry::Polygon(rect(103.99, 11.99, 104.005, 12.02));
        let st = s.record_activity(&nts, &west_half, "t").await.unwrap();
        assert!(st.activity.id > 0);
        let clearance = Activity {
            kind: ActivityKind::Clearance,
            depth_cm: Some(20),
            devices: vec![DeviceFind {
                category: DeviceCategory::ApMine,
                model: Some("PMN-2".into()),
                location: Some([104.006, 12.001]),
                depth_cm: Some(8),
                condition: Some("intact".into()),
                destroyed: Some(d("2024-02-03")),
            }],
            start: d("2024-02-01"),
            end: Some(d("2024-02-10")),
            ..nts.clone()
        };
        let south = Geometry::Polygon(rect(104.0, 12.0, 104.01, 12.0025));
        s.record_activity(&clearance, &south, "t").await.unwrap();
        let acts = s.activities(1).await.unwrap();
        assert_eq!(acts.len(), 2);
        assert_eq!(acts[1].activity.devices, clearance.devices);
        assert_eq!(acts[1].activity.depth_cm, Some(20));
        let acc = hazards::accounting(s, 1).await.unwrap();
        assert!(acc.balances(1e-9), "{acc:?}");
        assert!(
            (acc.cancelled_m2 / acc.recorded_m2 - 0.5).abs() < 1e-3,
            "{acc:?}"
        );
        // The clearance overlaps the cancelled half: only the eastern quarter of it counts.
        assert!(
            (acc.cleared_m2 / acc.recorded_m2 - 0.125).abs() < 1e-3,
            "{acc:?}"
        );
        assert!(
            (acc.remaining_m2 / acc.recorded_m2 - 0.375).abs() < 1e-3,
            "{acc:?}"
        );
        let stored = s.area(1).await.unwrap().unwrap();
        assert!((stored.remaining_m2.unwrap() - acc.remaining_m2).abs() < 1e-6);
        // The index built from the store now sees the released land as safe.
        let idx = HazardIndex::build(s.index_records(1).await.unwrap()).unwrap();
        assert!(idx.query_point(west, 0.0).is_empty());
        assert!(!idx.query_point(Coord::new(104.008, 12.008), 0.0).is_empty());
        // Bad activities change nothing.
        let outside = Geometry::Polygon(rect(105.0, 12.0, 105.01, 12.01));
        let e = s.record_activity(&nts, &outside, "t").await.unwrap_err();
        assert!(e.to_string().contains("releases nothing"), "{e}");
        let mut no_depth = clearance.clone();
        no_depth.depth_cm = None;
        assert!(s.record_activity(&no_depth, &south, "t").await.is_err());
        let mut missing = nts.clone();
        missing.area_id = 99;
        assert!(s.record_activity(&missing, &south, "t").await.is_err());
        assert_eq!(s.activities(1).await.unwrap().len(), 2);
        // A batch with a bad activity second stores none of them.
        let east = Geometry::Polygon(rect(104.008, 12.0, 104.01, 12.01));
        let e = s
            .record_activities(
                &[(nts.clone(), east.clone()), (nts.clone(), outside.clone())],
                "t",
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains(":2:"), "{e}");
        assert_eq!(s.activities(1).await.unwrap().len(), 2);
        // A dry run gives the same figures as recording and writes nothing (nor an audit entry).
        let head = s.audit_head().await.unwrap();
        let planned = s
            .plan_activities(&[(nts.clone(), east.clone())], "t")
            .await
            .unwrap();
        assert_eq!(planned.len(), 1);
        assert!(planned[0].released_m2 > 0.0, "{:?}", planned[0].released_m2);
        assert_eq!(s.activities(1).await.unwrap().len(), 2);
        assert_eq!(s.audit_head().await.unwrap().entries, head.entries);
        let before = s.area(1).await.unwrap().unwrap().remaining_m2;
        assert!(
            s.plan_activities(
                &[(nts.clone(), east.clone()), (nts.clone(), outside.clone())],
                "t"
            )
            .await
            .is_err()
        );
        assert_eq!(s.area(1).await.unwrap().unwrap().remaining_m2, before);
        let audit = s.audit_entries().await.unwrap();
        assert_eq!(
            audit
                .iter()
                .filter(|e| e.entity == "release_activity")
                .count(),
            2
        );
        // Clearing what remains leaves nothing for the safety check, though the area stays open
        // until the authority closes it.
        let all = Geometry::Polygon(rect(103.9, 11.9, 104.1, 12.1));
        s.record_activity(&clearance, &all, "t").await.unwrap();
        let acc = hazards::accounting(s, 1).await.unwrap();
        assert!(acc.remaining_m2 < 1e-3 && acc.balances(1e-9), "{acc:?}");
        assert!(s.index_records(1).await.unwrap().is_empty());
        assert_eq!(
            s.area(1).await.unwrap().unwrap().area.status,
            AreaStatus::Open
        );
        // The empty remainder is what the recorded geometry and the activities leave.
        let rep = demine_store::ops::verify_audit(s).await.unwrap();
        assert!(rep.ok, "{rep:?}");
    }

    async fn custom_fields_are_defined_and_audited(f: &Fresh) {
        // The areas are filed under KHM and THA: the registry must know them.
        super::seeded(f).await;
        let s = &f.store;
        let field = CustomField {
            iso3: "KHM".into(),
            name: "land_use".into(),
            kind: FieldKind::Choice,
            choices: vec!["agriculture".into(), "housing".into()],
        };
        s.define_field(&field, "authority").await.unwrap();
        let bad = CustomField {
            choices: vec![],
            ..field.clone()
        };
        assert!(s.define_field(&bad, "authority").await.is_err());
        assert_eq!(s.fields("KHM").await.unwrap(), vec![field]);
        assert!(s.fields("THA").await.unwrap().is_empty());
        assert!(
            s.audit_entries()
                .await
                .unwrap()
                .iter()
                .any(|e| e.entity == "custom_field")
        );
    }

    async fn backup_and_restore_keep_hazards(f: &Fresh) {
        // The areas are filed under KHM and THA: the registry must know them.
        super::seeded(f).await;
        let s = &f.store;
        let areas: Vec<NewArea> = (1..=5)
            .map(|i| area(i, 104.0 + i as f64 * 0.1, 12.0))
            .collect();
        s.import_areas(&areas, "t", &|_, _| {}).await.unwrap();
        let mut b = areas[0].clone();
        b.area.name = Some("renamed".into());
        s.update_area(&b, VersionStatus::Draft, "qa").await.unwrap();
        let act = Activity {
            id: 0,
            area_id: 2,
            kind: ActivityKind::Clearance,
            start: d("2024-01-01"),
            end: None,
            organisation: None,
            method: None,
            depth_cm: Some(10),
            devices: vec![DeviceFind {
                category: DeviceCategory::Ied,
                model: None,
                location: None,
                depth_cm: None,
                condition: None,
                destroyed: None,
            }],
        };
        let half = Geometry::Polygon(rect(104.2, 12.0, 104.205, 12.01));
        s.record_activity(&act, &half, "t").await.unwrap();
        let field = CustomField {
            iso3: "KHM".into(),
            name: "village".into(),
            kind: FieldKind::Text,
            choices: vec![],
        };
        s.define_field(&field, "t").await.unwrap();
        let before_areas = s.areas(&AreaFilter::default()).await.unwrap();
        let before_index = s.index_records(1).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup");
        demine_store::ops::backup(s, &path).await.unwrap();
        // Change everything after the backup, then restore.
        let more: Vec<NewArea> = (6..=8).map(|i| area(i, 105.0, 12.0)).collect();
        s.import_areas(&more, "t", &|_, _| {}).await.unwrap();
        s.record_activity(&act, &half, "t").await.unwrap_err();
        demine_store::ops::restore(s, &path, "admin", &super::forced())
            .await
            .unwrap();
        assert_eq!(s.areas(&AreaFilter::default()).await.unwrap(), before_areas);
        assert_eq!(s.index_records(1).await.unwrap(), before_index);
        assert_eq!(s.history(1).await.unwrap().len(), 2);
        let acts = s.activities(2).await.unwrap();
        assert_eq!(acts.len(), 1);
        assert_eq!(acts[0].activity.devices.len(), 1);
        assert_eq!(s.fields("KHM").await.unwrap(), vec![field]);
        // Box queries still work after a restore (SQLite rebuilds its R*Tree), and new
        // activities get fresh ids (PostgreSQL's sequences follow the restored rows).
        let hit = s
            .areas(&AreaFilter {
                bbox: Some(Bbox {
                    min_lon: 104.405,
                    min_lat: 11.9,
                    max_lon: 104.55,
                    max_lat: 12.1,
                }),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            hit.iter().map(|a| a.area.id).collect::<Vec<_>>(),
            vec![4, 5]
        );
        let other = Geometry::Polygon(rect(104.3, 12.0, 104.305, 12.01));
        let st = s
            .record_activity(
                &Activity {
                    area_id: 3,
                    ..act.clone()
                },
                &other,
                "t",
            )
            .await
            .unwrap();
        assert!(st.activity.id > acts[0].activity.id);
        let rep = demine_store::ops::verify_audit(s).await.unwrap();
        assert!(rep.ok, "{rep:?}");
    }

    fn new_area(x: f64, y: f64) -> NewArea {
        let mut a = area(0, x, y);
        a.id_given = false;
        a.area.reference = None;
        a
    }

    async fn idless_areas_get_new_ids(f: &Fresh) {
        super::seeded(f).await;
        let s = &f.store;
        let areas: Vec<NewArea> = (1..=3)
            .map(|i| area(i, 104.0 + i as f64 * 0.1, 12.0))
            .collect();
        s.import_areas(&areas, "t", &|_, _| {}).await.unwrap();
        // A file without ids (Google Earth, QGIS): its features are new areas, not areas 1 and 2.
        let file: Vec<NewArea> = (0..2)
            .map(|i| new_area(105.0 + i as f64 * 0.1, 12.0))
            .collect();
        let r = s.import_areas(&file, "t", &|_, _| {}).await.unwrap();
        assert_eq!((r.inserted, r.updated, r.unchanged), (2, 0, 0), "{r:?}");
        assert_eq!(r.inserted_ids, vec![4, 5]);
        let all = s.areas(&AreaFilter::default()).await.unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(all[0].area, areas[0].area, "area 1 is untouched");
        assert_eq!(all[0].version, 1);
        // Importing the same id-less file again adds two more: nothing says they are the same.
        let r = s.import_areas(&file, "t", &|_, _| {}).await.unwrap();
        assert_eq!(r.inserted_ids, vec![6, 7]);
        // A mixed file: an update names its id, an id not stored is inserted with it, and new ids
        // come after every id stored or in the file.
        let mut one = areas[0].clone();
        one.area.name = Some("renamed".into());
        let mixed = vec![
            one,
            new_area(106.0, 12.0),
            area(40, 106.1, 12.0),
            areas[1].clone(),
        ];
        let r = s.import_areas(&mixed, "t", &|_, _| {}).await.unwrap();
        assert_eq!(r.updated_ids, vec![1]);
        assert_eq!(r.unchanged_ids, vec![2]);
        assert_eq!(r.inserted_ids, vec![41, 40]);
        // Ids out of range and duplicates are refused, naming the feature.
        for bad in [0, -3, hazards_max() + 1] {
            let mut a = area(bad, 104.0, 12.0);
            a.feature = Some(5);
            let e = s
                .import_areas(&[a], "t", &|_, _| {})
                .await
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("feature #5") && e.contains("whole number from 1"),
                "{e}"
            );
        }
        let rep = demine_store::ops::verify_audit(s).await.unwrap();
        assert!(rep.ok, "{rep:?}");
    }

    fn hazards_max() -> i64 {
        demine_store::MAX_AREA_ID
    }

    async fn dry_run_writes_nothing(f: &Fresh) {
        super::seeded(f).await;
        let s = &f.store;
        let areas: Vec<NewArea> = (1..=3)
            .map(|i| area(i, 104.0 + i as f64 * 0.1, 12.0))
            .collect();
        s.import_areas(&areas, "t", &|_, _| {}).await.unwrap();
        let before = s.dump().await.unwrap();
        let head = s.audit_head().await.unwrap();
        let mut changed = areas[2].clone();
        changed.area.name = Some("renamed".into());
        let plan = vec![
            areas[0].clone(),
            changed,
            new_area(105.0, 12.0),
            area(9, 105.1, 12.0),
        ];
        let r = s.plan_import(&plan, "t").await.unwrap();
        assert!(r.dry_run);
        assert_eq!((r.inserted, r.updated, r.unchanged), (2, 1, 1));
        assert_eq!(r.inserted_ids, vec![10, 9]);
        assert_eq!(r.updated_ids, vec![3]);
        assert_eq!(r.unchanged_ids, vec![1]);
        assert_eq!(s.dump().await.unwrap(), before, "a dry run writes nothing");
        assert_eq!(s.audit_head().await.unwrap(), head);
        // The same checks as the import: a dry run of a bad import fails the same way.
        let mut bad = area(2, 104.0, 12.0);
        bad.area.iso3 = Some("XYZ".into());
        assert!(s.plan_import(&[bad], "t").await.is_err());
        // And the import then does what the dry run said.
        let done = s.import_areas(&plan, "t", &|_, _| {}).await.unwrap();
        assert_eq!(
            (done.inserted_ids, done.updated_ids, done.unchanged_ids),
            (r.inserted_ids, r.updated_ids, r.unchanged_ids)
        );
    }

    async fn unknown_states_are_refused(f: &Fresh) {
        super::seeded(f).await;
        let s = &f.store;
        let areas: Vec<NewArea> = (1..=3)
            .map(|i| area(i, 104.0 + i as f64 * 0.1, 12.0))
            .collect();
        s.import_areas(&areas, "t", &|_, _| {}).await.unwrap();
        let before = s.dump().await.unwrap();
        // A typo in the State would move areas 1..3 into a State that does not exist.
        let mut typo = areas.clone();
        for (i, a) in typo.iter_mut().enumerate() {
            a.area.iso3 = Some("XYZ".into());
            a.feature = Some(i);
        }
        let e = s.import_areas(&typo, "t", &|_, _| {}).await.unwrap_err();
        let text = e.to_string();
        assert!(text.contains("unknown ISO3 code \"XYZ\""), "{text}");
        assert!(text.contains("feature #2 (id 3)"), "{text}");
        assert_eq!(s.dump().await.unwrap(), before);
        let khm = s
            .areas(&AreaFilter {
                iso3: Some("KHM".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(khm.len(), 3);
        // A new area with an unknown State too.
        let mut a = new_area(104.0, 12.0);
        a.area.iso3 = Some("QQQ".into());
        assert!(s.import_areas(&[a], "t", &|_, _| {}).await.is_err());
        assert_eq!(s.dump().await.unwrap(), before);
    }

    /// A database with something in every hazard table: areas 1..4 (1 has a superseded version
    /// and two activities, the second with a device find; 2 is approved; 3 has a custom value; 4 is
    /// a circle), a custom field, and areas 8 and 9 imported last.
    async fn rich(f: &Fresh) -> demine_store::Dump {
        super::seeded(f).await;
        let s = &f.store;
        let mut areas: Vec<NewArea> = (1..=4)
            .map(|i| area(i, 104.0 + i as f64 * 0.1, 12.0))
            .collect();
        areas[3].shape = HazardShape::Circle {
            center: Coord::new(104.45, 12.0),
            radius_m: 300.0,
        };
        s.import_areas(&areas, "surveyor", &|_, _| {})
            .await
            .unwrap();
        let mut one = areas[0].clone();
        one.area.name = Some("area 1, resurveyed".into());
        s.update_area(&one, VersionStatus::Draft, "qa")
            .await
            .unwrap();
        s.approve_area(2, "authority").await.unwrap();
        let field = CustomField {
            iso3: "KHM".into(),
            name: "land_use".into(),
            kind: FieldKind::Choice,
            choices: vec!["agriculture".into(), "housing".into()],
        };
        s.define_field(&field, "authority").await.unwrap();
        let mut three = areas[2].clone();
        three
            .area
            .custom
            .insert("land_use".into(), "housing".into());
        s.update_area(&three, VersionStatus::Draft, "qa")
            .await
            .unwrap();
        let nts = Activity {
            id: 0,
            area_id: 1,
            kind: ActivityKind::NonTechnicalSurvey,
            start: d("2024-01-01"),
            end: Some(d("2024-01-05")),
            organisation: Some("CMAC".into()),
            method: None,
            depth_cm: None,
            devices: vec![],
        };
        s.record_activity(
            &nts,
            &Geometry::Polygon(rect(104.09, 11.99, 104.105, 12.02)),
            "t",
        )
        .await
        .unwrap();
        let clearance = Activity {
            kind: ActivityKind::Clearance,
            depth_cm: Some(20),
            devices: vec![DeviceFind {
                category: DeviceCategory::ApMine,
                model: Some("PMN-2".into()),
                location: Some([104.106, 12.001]),
                depth_cm: Some(8),
                condition: Some("intact".into()),
                destroyed: None,
            }],
            start: d("2024-02-01"),
            end: None,
            ..nts.clone()
        };
        s.record_activity(
            &clearance,
            &Geometry::Polygon(rect(104.1, 12.0, 104.11, 12.0025)),
            "t",
        )
        .await
        .unwrap();
        let last: Vec<NewArea> = [8, 9]
            .iter()
            .map(|&i| area(i, 105.0 + i as f64 * 0.1, 12.0))
            .collect();
        s.import_areas(&last, "t", &|_, _| {}).await.unwrap();
        let rep = demine_store::ops::verify_audit(s).await.unwrap();
        assert!(rep.ok, "{rep:?}");
        s.dump().await.unwrap()
    }

    /// Lets raw SQL remove audit entries, as someone with write access to the database can.
    const UNLOCK: &str = "INSERT INTO meta (key, value) VALUES ('restoring', '1');";
    const RELOCK: &str = "DELETE FROM meta WHERE key = 'restoring';";

    async fn tampering_is_caught(f: &Fresh) {
        let clean = rich(f).await;
        let s = &f.store;
        let sqlite = matches!(s, demine_store::AnyStore::Sqlite(_));
        let unreferenced_state = "(SELECT iso3 FROM states WHERE iso3 NOT IN (SELECT iso3 FROM \
            treaty_events) AND iso3 NOT IN (SELECT iso3 FROM positions) AND iso3 NOT IN (SELECT \
            iso3 FROM commitments) AND iso3 NOT IN (SELECT COALESCE(iso3, '') FROM estimates) \
            ORDER BY iso3 LIMIT 1)";
        // (what, the table a difference must name, SQL; None: not on this backend)
        let mut cases: Vec<(&str, &str, Option<String>)> = vec![
            ("a State renamed", "states", Some("UPDATE states SET name = 'Freedonia' WHERE iso3 = 'AFG'".into())),
            ("a State added", "states", Some("INSERT INTO states (iso3, name, un_member, treaty_universe, source) VALUES ('QQQ', 'Q', TRUE, TRUE, 'x')".into())),
            ("a State deleted", "states", Some(format!("DELETE FROM states WHERE iso3 = {unreferenced_state}"))),
            ("a treaty event redated", "events", Some("UPDATE treaty_events SET date = '1999-01-01' WHERE row_id = (SELECT MIN(row_id) FROM treaty_events)".into())),
            ("a treaty event deleted", "events", Some("DELETE FROM treaty_events WHERE row_id = (SELECT MAX(row_id) FROM treaty_events)".into())),
            ("a commitment deleted", "commitments", Some("DELETE FROM commitments WHERE row_id = (SELECT MIN(row_id) FROM commitments)".into())),
            ("an estimate edited", "estimates", Some("UPDATE estimates SET low = 1 WHERE row_id = (SELECT MIN(row_id) FROM estimates)".into())),
            ("a meta fact edited", "meta", Some("UPDATE meta SET value = 'x' WHERE key = 'seeded'".into())),
            ("a meta fact deleted", "meta", Some("DELETE FROM meta WHERE key = 'seeded'".into())),
            ("a meta fact added", "meta", Some("INSERT INTO meta (key, value) VALUES ('access', 'open')".into())),
            ("an area renamed", "hazard_areas", Some("UPDATE hazard_areas SET name = 'forged' WHERE id = 3".into())),
            ("an area closed (no longer a hazard)", "hazard_areas", Some("UPDATE hazard_areas SET status = 'closed' WHERE id = 4".into())),
            ("an area's geometry replaced", "hazard_areas", Some("UPDATE hazard_areas SET geom = (SELECT geom FROM hazard_areas WHERE id = 2) WHERE id = 3".into())),
            ("an area deleted", "hazard_areas", Some("DELETE FROM hazard_areas WHERE id = 4".into())),
            ("an area deleted with its versions", "hazard_areas", Some("DELETE FROM hazard_area_versions WHERE area_id = 3; DELETE FROM hazard_areas WHERE id = 3".into())),
            ("an area added", "hazard_areas", Some("INSERT INTO hazard_areas (id, hazard_type, status, geom, devices, custom, version, version_status, updated_at, updated_by) SELECT 77, hazard_type, status, geom, devices, custom, 1, 'draft', updated_at, updated_by FROM hazard_areas WHERE id = 3".into())),
            ("a circle's radius shrunk", "hazard_areas", Some("UPDATE hazard_areas SET radius_m = 1 WHERE id = 4".into())),
            ("a custom value changed", "hazard_areas", Some("UPDATE hazard_areas SET custom = '{\"land_use\":\"agriculture\"}' WHERE id = 3".into())),
            ("an area moved to another State", "hazard_areas", Some("UPDATE hazard_areas SET iso3 = 'THA' WHERE id = 2".into())),
            ("a version number rewound", "hazard_areas", Some("UPDATE hazard_areas SET version = 1 WHERE id = 1".into())),
            ("a draft marked approved", "hazard_areas", Some("UPDATE hazard_areas SET version_status = 'approved' WHERE id = 3".into())),
            ("an approval withdrawn", "hazard_areas", Some("UPDATE hazard_areas SET version_status = 'draft' WHERE id = 2".into())),
            ("an area's author changed", "hazard_areas", Some("UPDATE hazard_areas SET updated_by = 'mallory' WHERE id = 2".into())),
            ("the remaining hazard zeroed (safe)", "hazard_areas", Some("UPDATE hazard_areas SET remaining_m2 = 0 WHERE id = 1".into())),
            ("the remaining geometry replaced", "hazard_areas", Some("UPDATE hazard_areas SET remaining = (SELECT perimeter FROM release_activities WHERE id = (SELECT MIN(id) FROM release_activities)) WHERE id = 1".into())),
            ("an area's measured area shrunk", "hazard_areas", Some("UPDATE hazard_areas SET area_m2 = 1 WHERE id = 2".into())),
            ("an unreleased area given an empty remainder (safe)", "hazard_areas", Some("UPDATE hazard_areas SET remaining = geom, remaining_m2 = 0 WHERE id = 2".into())),
            ("a version's attributes edited", "hazard_area_versions", Some("UPDATE hazard_area_versions SET data = REPLACE(data, 'KH-1', 'KH-X') WHERE area_id = 1".into())),
            ("a version's geometry replaced", "hazard_area_versions", Some("UPDATE hazard_area_versions SET geom = (SELECT geom FROM hazard_areas WHERE id = 2) WHERE area_id = 1".into())),
            ("a version deleted", "hazard_area_versions", Some("DELETE FROM hazard_area_versions WHERE area_id = 1".into())),
            ("a version added", "hazard_area_versions", Some("INSERT INTO hazard_area_versions (area_id, version, version_status, made_at, made_by, superseded_at, superseded_by, data, geom) SELECT area_id, 7, version_status, made_at, made_by, superseded_at, superseded_by, data, geom FROM hazard_area_versions WHERE area_id = 1".into())),
            ("a version's superseder changed", "hazard_area_versions", Some("UPDATE hazard_area_versions SET superseded_by = 'mallory'".into())),
            ("an activity's released area doubled", "release_activities", Some("UPDATE release_activities SET released_m2 = released_m2 * 2 WHERE id = (SELECT MIN(id) FROM release_activities)".into())),
            ("an activity's kind changed", "release_activities", Some("UPDATE release_activities SET kind = 'clearance' WHERE id = (SELECT MIN(id) FROM release_activities)".into())),
            ("an activity's perimeter replaced", "release_activities", Some("UPDATE release_activities SET perimeter = (SELECT geom FROM hazard_areas WHERE id = 1) WHERE id = (SELECT MIN(id) FROM release_activities)".into())),
            ("an activity deleted with its finds", "release_activities", Some("DELETE FROM device_finds; DELETE FROM release_activities WHERE id = (SELECT MAX(id) FROM release_activities)".into())),
            ("an activity added", "release_activities", Some("INSERT INTO release_activities (id, area_id, kind, start_date, end_date, organisation, method, depth_cm, perimeter, perimeter_m2, released_m2, recorded_at, recorded_by) SELECT 50, area_id, kind, start_date, end_date, organisation, method, depth_cm, perimeter, perimeter_m2, released_m2, recorded_at, recorded_by FROM release_activities WHERE id = (SELECT MIN(id) FROM release_activities)".into())),
            ("an activity's recorder changed", "release_activities", Some("UPDATE release_activities SET recorded_by = 'mallory'".into())),
            ("a device find edited", "device_finds", Some("UPDATE device_finds SET model = 'forged'".into())),
            ("a device find deleted", "device_finds", Some("DELETE FROM device_finds".into())),
            ("a device find added", "device_finds", Some("INSERT INTO device_finds (activity_id, category) SELECT MIN(id), 'ap-mine' FROM release_activities".into())),
            ("a custom field's choices edited", "custom_fields", Some("UPDATE custom_fields SET choices = '[\"x\"]'".into())),
            ("a custom field deleted", "custom_fields", Some("DELETE FROM custom_fields".into())),
            ("a custom field added", "custom_fields", Some("INSERT INTO custom_fields (iso3, name, kind, choices) VALUES ('KHM', 'forged', 'text', '[]')".into())),
            (
                "an audit entry edited",
                "*",
                // Filled in below: it needs the update trigger out of the way.
                Some(String::new()),
            ),
            ("an audit entry deleted", "*", Some(format!("{UNLOCK} DELETE FROM audit_log WHERE seq = 5; {RELOCK}"))),
            ("the last entries deleted with the rows they recorded", "audit_log", Some(format!(
                "{UNLOCK} DELETE FROM audit_log WHERE seq > (SELECT MAX(seq) - 3 FROM audit_log); \
                 DELETE FROM hazard_areas WHERE id IN (8, 9); {}{RELOCK}",
                if sqlite { "DELETE FROM hazard_area_bbox WHERE id IN (8, 9); " } else { "" }
            ))),
            ("the last entry deleted", "audit_log", Some(format!(
                "{UNLOCK} DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log); {RELOCK}"
            ))),
        ];
        let rtree = |sql: &str| sqlite.then(|| sql.to_string());
        cases.extend([
            ("an area's index box moved (a box query no longer finds it)", "hazard_area_bbox", rtree("UPDATE hazard_area_bbox SET min_lon = 0, max_lon = 1, min_lat = 0, max_lat = 1 WHERE id = 2")),
            ("an area's index box deleted", "hazard_area_bbox", rtree("DELETE FROM hazard_area_bbox WHERE id = 2")),
            ("an index box added", "hazard_area_bbox", rtree("INSERT INTO hazard_area_bbox VALUES (500, 0, 1, 0, 1)")),
        ]);
        let mut tried = 0;
        for (what, table, sql) in cases {
            let Some(sql) = sql else { continue };
            // Back to the clean database, and its head as an operator would have kept it.
            s.replace_all(&clean, "t", "clean").await.unwrap();
            let head = s.audit_head().await.unwrap();
            let rep = demine_store::ops::verify_audit_against(s, Some((&head, "test")))
                .await
                .unwrap();
            assert!(
                rep.ok,
                "{what}: the clean database does not verify: {rep:?}"
            );
            // The audit entry edit needs the update trigger out of the way.
            let sql = if what == "an audit entry edited" {
                if sqlite {
                    "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'mallory' WHERE seq = 5".to_string()
                } else {
                    "ALTER TABLE audit_log DISABLE TRIGGER USER; UPDATE audit_log SET actor = 'mallory' WHERE seq = 5; ALTER TABLE audit_log ENABLE TRIGGER USER".to_string()
                }
            } else {
                sql
            };
            f.exec_sql(sql.clone())
                .await
                .unwrap_or_else(|e| panic!("{what}: {sql}: {e}"));
            let rep = demine_store::ops::verify_audit_against(s, Some((&head, "test")))
                .await
                .unwrap();
            assert!(!rep.ok, "{what} was not caught");
            assert!(
                table == "*" || rep.differences.iter().any(|b| b.entity == table),
                "{what}: no difference names {table}: {:#?}",
                rep.differences
            );
            tried += 1;
        }
        assert!(tried >= if sqlite { 50 } else { 47 }, "{tried} edits tried");
    }

    async fn truncated_chain_is_caught_by_the_head(f: &Fresh) {
        rich(f).await;
        let s = &f.store;
        let head = s.audit_head().await.unwrap();
        assert_eq!(
            head.entries,
            Some(s.audit_entries().await.unwrap().len() as i64)
        );
        let sqlite = matches!(s, demine_store::AnyStore::Sqlite(_));
        // Areas 8 and 9 were the last import: remove them and their two entries.
        f.exec_sql(format!(
            "{UNLOCK} DELETE FROM audit_log WHERE seq > (SELECT MAX(seq) - 2 FROM audit_log); \
             DELETE FROM hazard_areas WHERE id IN (8, 9); {}{RELOCK}",
            if sqlite {
                "DELETE FROM hazard_area_bbox WHERE id IN (8, 9); "
            } else {
                ""
            }
        ))
        .await
        .unwrap();
        // The chain and the rows agree with each other...
        let rep = demine_store::ops::verify_audit(s).await.unwrap();
        assert!(rep.ok, "{rep:?}");
        // ... but not with the head kept outside the database.
        let rep = demine_store::ops::verify_audit_against(s, Some((&head, "kept")))
            .await
            .unwrap();
        assert!(!rep.ok);
        let b = rep.first_broken.unwrap();
        assert_eq!((b.entity.as_str(), b.key.as_str()), ("audit_log", "head"));
        assert!(b.reason.contains("truncated"), "{}", b.reason);
        // A bare hash works too.
        let bare = demine_store::Head {
            entries: None,
            hash: head.hash.clone(),
        };
        let rep = demine_store::ops::verify_audit_against(s, Some((&bare, "kept")))
            .await
            .unwrap();
        assert!(!rep.ok);
        // SQLite writes the head file beside the database after every write.
        if let demine_store::AnyStore::Sqlite(db) = s {
            let file = demine_store::head_file_for(db.path());
            let kept = demine_store::read_head_file(&file).unwrap().unwrap();
            assert_eq!(kept, head);
        }
    }

    async fn restore_refuses_destructive_backups(f: &Fresh) {
        rich(f).await;
        let s = &f.store;
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join("backup");
        demine_store::ops::backup(s, &backup).await.unwrap();
        // After the backup: one more area, and its entry.
        s.import_areas(&[area(20, 106.0, 12.0)], "t", &|_, _| {})
            .await
            .unwrap();
        let now = s.dump().await.unwrap();
        let e = demine_store::ops::restore(s, &backup, "t", &Default::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("1 audit_log") && e.contains("1 hazard_areas"),
            "{e}"
        );
        assert!(e.contains("--force"), "{e}");
        assert_eq!(s.dump().await.unwrap(), now, "nothing changed");
        // With --force it restores, keeping the database as it was.
        let keep = dir.path().join("kept");
        let r = demine_store::ops::restore(
            s,
            &backup,
            "t",
            &demine_store::ops::RestoreOptions {
                force: true,
                keep_before: Some(keep.clone()),
            },
        )
        .await
        .unwrap();
        assert_eq!(r.removed.get("hazard_areas"), Some(&1));
        assert_eq!(r.kept_before.as_deref(), Some(keep.as_path()));
        assert!(s.area(20).await.unwrap().is_none());
        let kept = demine_store::ops::read_backup(&keep).await.unwrap();
        let mut a = kept.clone();
        let mut b = now.clone();
        a.tables.remove("hazard_area_bbox");
        b.tables.remove("hazard_area_bbox");
        assert_eq!(a, b, "the kept backup is the database as it was");
        // Restoring a backup that only adds to what is here needs no --force.
        let r = demine_store::ops::restore(s, &keep, "t", &Default::default()).await;
        assert!(
            r.is_err(),
            "the restore entry just made is history the backup lacks"
        );
    }

    async fn restore_refuses_backups_that_do_not_verify(f: &Fresh) {
        rich(f).await;
        let s = &f.store;
        let now = s.dump().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, d: &demine_store::Dump| {
            let p = dir.path().join(name);
            std::fs::write(&p, serde_json::to_string(d).unwrap()).unwrap();
            p
        };
        let force = super::forced();
        // An empty dump (no tables, no history): it verifies, but removes everything.
        let empty = dir.path().join("empty.json");
        std::fs::write(
            &empty,
            r#"{"format":"demine-dump","version":1,"tables":{},"audit":[],"meta":{}}"#,
        )
        .unwrap();
        let e = demine_store::ops::restore(s, &empty, "t", &Default::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("audit_log") && e.contains("hazard_areas"), "{e}");
        // A dump whose area was changed after its log: refused even with --force.
        let mut d = now.clone();
        d.tables.get_mut("hazard_areas").unwrap()[0].insert("status".into(), "closed".into());
        let p = write("area.json", &d);
        let e = demine_store::ops::restore(s, &p, "t", &force)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("does not verify") && e.contains("hazard_areas 1"),
            "{e}"
        );
        // A dump whose remaining hazard was zeroed.
        let mut d = now.clone();
        d.tables.get_mut("hazard_areas").unwrap()[0].insert("remaining_m2".into(), 0.0.into());
        let p = write("remaining.json", &d);
        let e = demine_store::ops::restore(s, &p, "t", &force)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("remaining"), "{e}");
        // A dump truncated: its last entries and rows gone. It verifies by itself; restoring it
        // removes history, so it needs --force and says so.
        let mut d = now.clone();
        d.audit.truncate(d.audit.len() - 2);
        d.tables
            .get_mut("hazard_areas")
            .unwrap()
            .retain(|r| r["id"] != 8 && r["id"] != 9);
        if let Some(boxes) = d.tables.get_mut("hazard_area_bbox") {
            boxes.retain(|r| r["id"] != 8 && r["id"] != 9);
        }
        let p = write("truncated.json", &d);
        let e = demine_store::ops::restore(s, &p, "t", &Default::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("2 audit_log") && e.contains("2 hazard_areas"),
            "{e}"
        );
        // A dump whose activity lost its device find.
        let mut d = now.clone();
        d.tables.get_mut("device_finds").unwrap().clear();
        let p = write("device.json", &d);
        let e = demine_store::ops::restore(s, &p, "t", &force)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("device_finds"), "{e}");
        assert_eq!(s.dump().await.unwrap(), now, "nothing changed");
    }
}

// ---- Access levels, setup lock, streaming (issue 7, "Fail closed") ----

both!(
    restricted_reads_need_restricted_access,
    audit_log_withholds_restricted_payloads,
    restricted_values_never_in_messages,
    hazard_coordinates_need_operational_access,
    json_import_streams_records,
    a_busy_database_fails_within_the_bound,
);

const VICTIM: &str = "casualty_id,person_name,birth_date,contact,source\n\
                      C0000001,Jane Q. Testperson,1980-02-29,+1 555 0100,test\n";

async fn with_victim(f: &Fresh) -> &AnyStore {
    let s = seeded(f).await;
    let cas = common::casualties_csv(3);
    ops::import_reader(
        s,
        "casualties".parse().unwrap(),
        "c.csv",
        cas.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap();
    ops::import_reader(
        s,
        "victims".parse().unwrap(),
        "v.csv",
        VICTIM.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap();
    s
}

fn forbidden<T: std::fmt::Debug>(r: Result<T, StoreError>, needs: Access) {
    match r {
        Err(StoreError::Forbidden { needs: n, .. }) => assert_eq!(n, needs),
        other => panic!("expected a refusal needing {needs}, got {other:?}"),
    }
}

async fn restricted_reads_need_restricted_access(f: &Fresh) {
    let full = with_victim(f).await;
    assert_eq!(full.records(Kind::Victims, None).await.unwrap().len(), 1);
    for level in [Access::Public, Access::Operational] {
        let s = f.reopen().await.with_access(level);
        forbidden(s.records(Kind::Victims, None).await, Access::Restricted);
        // Public tables stay readable.
        assert!(!s.records(Kind::States, None).await.unwrap().is_empty());
        // A dump or a backup holds the victims too.
        forbidden(s.dump().await, Access::Restricted);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("b.backup");
        forbidden(s.backup(&file).await, Access::Restricted);
        assert!(!file.exists());
        // Exports refuse even with include_restricted.
        let mut out = Vec::new();
        forbidden(
            ops::export(&s, Kind::Victims, Format::Csv, true, true, &mut out).await,
            Access::Restricted,
        );
        // Verifying the log needs no level and says nothing personal.
        assert!(ops::verify_audit(&s).await.unwrap().ok);
    }
    // Without personal data a backup needs no more than the default level.
    let g = f.reopen().await.with_access(Access::Operational);
    let dir = tempfile::tempdir().unwrap();
    f.exec("DELETE FROM casualty_identities").await.unwrap();
    ops::backup(&g, &dir.path().join("ok.backup"))
        .await
        .unwrap();
}

async fn audit_log_withholds_restricted_payloads(f: &Fresh) {
    let full = with_victim(f).await;
    let all = full.audit_entries().await.unwrap();
    let text = serde_json::to_string(&all).unwrap();
    assert!(text.contains("Jane Q. Testperson") && text.contains("555 0100"));
    let public = f.reopen().await.with_access(Access::Operational);
    let shown = public.audit_entries().await.unwrap();
    assert_eq!(shown.len(), all.len());
    let text = serde_json::to_string(&shown).unwrap();
    assert!(!text.contains("Testperson"), "{text}");
    assert!(!text.contains("555 0100"), "{text}");
    let v = shown.iter().find(|e| e.entity == "victims").unwrap();
    assert!(v.key.starts_with("withheld:"), "{}", v.key);
    assert_eq!(v.before, None);
    assert_eq!(
        v.after.as_deref(),
        Some(demine_store::access::WITHHELD),
        "the action (insert) stays visible"
    );
    // Every other entry is shown as it is.
    for (a, b) in all.iter().zip(&shown) {
        assert_eq!(a.hash, b.hash);
        if a.entity != "victims" {
            assert_eq!(a, b);
        }
    }
}

async fn restricted_values_never_in_messages(f: &Fresh) {
    let s = with_victim(f).await;
    let (before, _) = snapshot(s).await;
    let cases = [
        // A bad birth date: the message names line and column, not the value.
        "casualty_id,person_name,birth_date,source\nC0000002,John Secretname,Secretname-1,t\n",
        // Out of the accepted years.
        "casualty_id,person_name,birth_date,source\nC0000002,John Secretname,1850-01-01,t\n",
        // The same key twice: the key is a name.
        "casualty_id,person_name,source\nC0000002,John Secretname,t\nC0000002,John Secretname,t\n",
    ];
    for text in cases {
        let e = ops::import_reader(
            s,
            "victims".parse().unwrap(),
            "v.csv",
            text.as_bytes(),
            "t",
            &|_, _| {},
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(!e.contains("Secretname"), "{e}");
        assert!(e.contains("v.csv:") && e.contains("withheld"), "{e}");
    }
    let json =
        r#"[{"casualty_id":"C0000003","person_name":"Ann Secretname","birth_date":"Secretname"}]"#;
    let e = ops::import_reader(
        s,
        "victims".parse().unwrap(),
        "v.json",
        json.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(!e.contains("Secretname") && e.contains("withheld"), "{e}");
    let (after, _) = snapshot(s).await;
    assert_eq!(before.tables, after.tables);
}

async fn hazard_coordinates_need_operational_access(f: &Fresh) {
    use demine_store::{AreaFilter, HazardStore};
    seeded(f).await;
    let public = f.reopen().await.with_access(Access::Public);
    forbidden(
        public.areas(&AreaFilter::default()).await,
        Access::Operational,
    );
    forbidden(public.area(1).await, Access::Operational);
    forbidden(public.index_records(1).await, Access::Operational);
    let op = f.reopen().await.with_access(Access::Operational);
    assert!(op.areas(&AreaFilter::default()).await.unwrap().is_empty());
    assert!(op.index_records(1).await.unwrap().is_empty());
}

async fn json_import_streams_records(f: &Fresh) {
    let s = seeded(f).await;
    // Records are checked as they come: the fault names the record, and nothing is stored.
    let mut text = String::from("[");
    for i in 0..500 {
        text.push_str(&format!(
            r#"{{"donor":"D{i}","recipient":"Angola","year":1999,"amount":{i},"currency":"USD","purpose":"clearance"}},"#
        ));
    }
    text.push_str(r#"{"donor":"X","recipient":"Angola","year":1999,"amount":-3,"currency":"USD","purpose":"p"}]"#);
    let e = ops::import_reader(
        s,
        "funding".parse().unwrap(),
        "f.json",
        text.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("f.json:501: column amount"), "{e}");
    assert!(e.contains("negative"), "{e}");
    assert!(s.records(Kind::Funding, None).await.unwrap().is_empty());
    // Trailing garbage after the array and a non-array are refused.
    for (bad, what) in [
        ("[] x", "malformed JSON"),
        ("{\"donor\":1}", "expected a JSON array"),
        ("[1]", "not a JSON object"),
        ("[{\"donor\":\"a\"", "malformed JSON"),
    ] {
        let e = ops::import_reader(
            s,
            "funding".parse().unwrap(),
            "f.json",
            bad.as_bytes(),
            "t",
            &|_, _| {},
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(e.contains(what), "{bad}: {e}");
    }
    text.truncate(text.rfind(",{").unwrap());
    text.push(']');
    let r = ops::import_reader(
        s,
        "funding".parse().unwrap(),
        "f.json",
        text.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(r.inserted, 500);
}

/// Ten openers at once on a new database: each creates, migrates and seeds it or waits for the one
/// that does; all succeed and the data is loaded once.
async fn ten_at_once(target: String) {
    let mut tasks = Vec::new();
    for i in 0..10 {
        let t = target.clone();
        tasks.push(tokio::spawn(async move {
            let s = ops::open_seeded(&t, &format!("opener {i}")).await?;
            let n = s.records(Kind::States, None).await?.len();
            s.close().await?;
            Ok::<usize, StoreError>(n)
        }));
    }
    let mut counts = Vec::new();
    for t in tasks {
        counts.push(t.await.unwrap().unwrap());
    }
    assert!(
        counts.iter().all(|&n| n == counts[0] && n > 190),
        "{counts:?}"
    );
    let s = AnyStore::open(&target).await.unwrap();
    let log = s.audit_entries().await.unwrap();
    // Meta rows are recorded by demine itself; every other entry names the opener that seeded.
    let actors: std::collections::BTreeSet<&str> = log
        .iter()
        .filter(|e| e.entity != "meta")
        .map(|e| e.actor.as_str())
        .collect();
    assert_eq!(
        actors.len(),
        1,
        "seeded by more than one opener: {actors:?}"
    );
    let states = log.iter().filter(|e| e.entity == "states").count();
    assert_eq!(states, counts[0], "every State logged once");
    assert!(ops::verify_audit(&s).await.unwrap().ok);
    s.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setup_race_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    ten_at_once(dir.path().join("new.db").display().to_string()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setup_race_postgres() {
    let Some((admin, url, name)) = common::pg_database().await else {
        return;
    };
    ten_at_once(url).await;
    common::drop_database(&admin, &name).await;
}

async fn a_busy_database_fails_within_the_bound(f: &Fresh) {
    let s = seeded(f).await;
    let funding = "donor,recipient,year,amount,currency,purpose\nNorway,Angola,1998,1,USD,p\n";
    // Another writer holds the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the audit lock).
    let holder: Box<dyn std::any::Any + Send> = match &f.store {
        AnyStore::Sqlite(x) => Box::new(x.pool().begin_with("BEGIN IMMEDIATE").await.unwrap()),
        AnyStore::Postgres(x) => {
            let mut tx = x.pool().begin().await.unwrap();
            sqlx::query("LOCK TABLE audit_log IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await
                .unwrap();
            Box::new(tx)
        }
    };
    let start = std::time::Instant::now();
    let r = ops::import_reader(
        s,
        "funding".parse().unwrap(),
        "f.csv",
        funding.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await;
    let took = start.elapsed();
    match r {
        Err(e @ StoreError::Busy { .. }) => {
            let text = e.to_string();
            assert!(text.contains("is writing to this database"), "{text}");
        }
        other => panic!("expected Busy, got {other:?}"),
    }
    assert!(took >= demine_store::BUSY_WAIT / 2, "{took:?}");
    assert!(took < demine_store::BUSY_WAIT * 3, "{took:?}");
    drop(holder);
    // Once the other writer is gone the import goes through.
    ops::import_reader(
        s,
        "funding".parse().unwrap(),
        "f.csv",
        funding.as_bytes(),
        "t",
        &|_, _| {},
    )
    .await
    .unwrap();
}

/// A grant whose decision date the record lacks is placed by its number: from its submission when
/// known (Mauritania's third request, received 2021-06-01), else from the day after the deadline
/// it extends (Serbia's third, after 2023-03-01); it is flagged, and before then it is pending.
async fn undated_grants_apply_by_number(f: &Fresh) {
    let s = seeded(f).await;
    let mrt = view::state_detail(s, "MRT", d("2021-05-31")).await.unwrap();
    assert_eq!(mrt.row.clearance_deadline, Some(d("2021-01-01")));
    assert_eq!(mrt.extensions.len(), 2);
    let mrt = view::state_detail(s, "MRT", d("2021-06-01")).await.unwrap();
    assert_eq!(mrt.row.clearance_deadline, Some(d("2026-12-31")));
    let third = mrt.extensions.iter().find(|x| x.number == 3).unwrap();
    assert_eq!(third.decision, "granted");
    assert!(third.decided_on.is_none());
    assert!(
        mrt.clearance_basis
            .iter()
            .any(|b| b.reason.contains("decision date not in the record")),
        "{:?}",
        mrt.clearance_basis
    );
    assert!(
        mrt.clearance_flags
            .iter()
            .any(|b| b.reason.contains("request 3") && b.reason.contains("not in the record")),
        "{:?}",
        mrt.clearance_flags
    );
    let srb = view::state_detail(s, "SRB", d("2023-03-01")).await.unwrap();
    assert_eq!(srb.row.clearance_deadline, Some(d("2023-03-01")));
    assert!(srb.extensions.iter().all(|x| x.number < 3));
    let srb = view::state_detail(s, "SRB", d("2023-03-02")).await.unwrap();
    assert_eq!(srb.row.clearance_deadline, Some(d("2024-12-31")));
    assert!(
        srb.clearance_flags
            .iter()
            .any(|b| b.reason.contains("2023-03-02"))
    );
    // Guinea-Bissau: an undated deadline under the Twelfth Meeting's procedure answers the mined
    // areas reported found in June 2021, so it applies from then, not from its 2012 deadline.
    let before = view::state_detail(s, "GNB", d("2015-01-01")).await.unwrap();
    assert_eq!(before.row.clearance_deadline, Some(d("2012-01-01")));
    let after = view::state_detail(s, "GNB", d("2021-06-23")).await.unwrap();
    assert_eq!(after.row.clearance_deadline, Some(d("2024-12-31")));
    // Its three requests, each in its place.
    let gnb = view::state_detail(s, "GNB", d("2026-11-30")).await.unwrap();
    assert_eq!(
        gnb.extensions.iter().map(|x| x.number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(gnb.row.clearance_deadline, Some(d("2027-12-31")));
    assert!(
        gnb.clearance_flags
            .iter()
            .any(|b| b.reason.contains("Twelfth"))
    );
}

/// A database whose extension requests were keyed by their submission date gets them numbered
/// per State in that order by the migration that adds `number`.
async fn extension_rows_stored_before_numbers_are_numbered(f: &Fresh) {
    let s = seeded(f).await;
    let old = match s {
        AnyStore::Sqlite(_) => {
            "DROP TABLE extension_requests;
             CREATE TABLE extension_requests (
                 row_id INTEGER PRIMARY KEY,
                 iso3 TEXT NOT NULL REFERENCES states (iso3),
                 submitted TEXT NOT NULL,
                 requested_until TEXT,
                 decision TEXT NOT NULL,
                 decided_on TEXT,
                 granted_until TEXT,
                 source TEXT NOT NULL,
                 note TEXT,
                 meeting TEXT,
                 basis TEXT NOT NULL DEFAULT 'art5',
                 UNIQUE (iso3, submitted)
             );"
        }
        AnyStore::Postgres(_) => {
            "DROP TABLE extension_requests;
             CREATE TABLE extension_requests (
                 row_id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                 iso3 TEXT NOT NULL REFERENCES states (iso3),
                 submitted TEXT NOT NULL,
                 requested_until TEXT,
                 decision TEXT NOT NULL,
                 decided_on TEXT,
                 granted_until TEXT,
                 source TEXT NOT NULL,
                 note TEXT,
                 meeting TEXT,
                 basis TEXT NOT NULL DEFAULT 'art5',
                 UNIQUE (iso3, submitted)
             );"
        }
    };
    f.exec(old).await.unwrap();
    f.exec(
        "INSERT INTO extension_requests (iso3, submitted, decision, decided_on, granted_until, source)
         VALUES ('MOZ', '2013-05-25', 'granted', '2013-12', '2015-01-01', 'x'),
                ('MOZ', '2008-05-06', 'granted', '2008-11', '2014-03-01', 'x'),
                ('KHM', '2009', 'granted', '2009', '2020-01-01', 'x');
         DELETE FROM _sqlx_migrations WHERE version = 11;",
    )
    .await
    .unwrap();
    let again = f.reopen().await;
    let rows = again.records(Kind::Extensions, None).await.unwrap();
    let t = Kind::Extensions.table();
    let (iso3, number, submitted) = (
        t.index("iso3").unwrap(),
        t.index("number").unwrap(),
        t.index("submitted").unwrap(),
    );
    let mut got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r[iso3].to_text(),
                r[number].to_text(),
                r[submitted].to_text(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("KHM".into(), "1".into(), "2009".into()),
            ("MOZ".into(), "1".into(), "2008-05-06".into()),
            ("MOZ".into(), "2".into(), "2013-05-25".into()),
        ]
    );
    let moz = view::state_detail(&again, "MOZ", d("2014-06-01"))
        .await
        .unwrap();
    assert_eq!(moz.row.clearance_deadline, Some(d("2015-01-01")));
}

// The safety check's hazard rule and coverage (issue 7, "fail closed").
both!(
    hazard_rule_sql_agrees_with_rust,
    reopened_area_is_a_hazard_again,
    coverage_counts_every_filed_state,
    coverage_of_unfiled_areas_only,
);

/// The SQL filter `index_records` selects with is generated from the Rust rule: run over a
/// table of statuses and remaining areas, odd ones included, it selects exactly the rows
/// `demine_core::hazard::counts_as_hazard` accepts.
async fn hazard_rule_sql_agrees_with_rust(f: &Fresh) {
    use demine_core::hazard::{DUST_M2, counts_as_hazard, hazard_sql_filter};
    let statuses: &[Option<&str>] = &[
        Some("open"),
        Some("closed"),
        Some("handed-over"),
        Some("Open"),
        Some("CLOSED"),
        Some(" closed"),
        Some("closed "),
        Some("Handed_Over"),
        Some("handed over"),
        Some("handedover"),
        Some("cleared"),
        Some("released"),
        Some(""),
        Some("unknown"),
        Some("clos'ed"),
        None,
    ];
    let remaining: &[Option<f64>] = &[
        None,
        Some(0.0),
        Some(DUST_M2 / 2.0),
        Some(DUST_M2 * 0.999_999),
        Some(DUST_M2),
        Some(DUST_M2 * 1.000_001),
        Some(1.0),
        Some(-5.0),
        Some(1e12),
        Some(f64::NAN),
    ];
    let mut rows = Vec::new();
    for s in statuses {
        for m in remaining {
            rows.push((rows.len() as i64, *s, *m));
        }
    }
    let values = (0..rows.len())
        .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "WITH t(k, status, remaining_m2) AS (VALUES {values}) SELECT k FROM t WHERE {} ORDER BY k",
        hazard_sql_filter("status", "remaining_m2")
    );
    let mut selected: Vec<i64> = match &f.store {
        AnyStore::Sqlite(s) => {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()));
            for (k, st, m) in &rows {
                q = q.bind(*k).bind(*st).bind(*m);
            }
            q.fetch_all(s.pool()).await.unwrap()
        }
        AnyStore::Postgres(s) => {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()));
            for (k, st, m) in &rows {
                q = q.bind(*k).bind(*st).bind(*m);
            }
            q.fetch_all(s.pool()).await.unwrap()
        }
    };
    selected.sort_unstable();
    let expected: Vec<i64> = rows
        .iter()
        .filter(|(_, st, m)| match st {
            // A NULL status is not a released one: it counts (the column is NOT NULL anyway).
            None => counts_as_hazard("", *m),
            Some(st) => counts_as_hazard(st, *m),
        })
        .map(|r| r.0)
        .collect();
    let show = |ks: &[i64]| {
        ks.iter()
            .map(|k| format!("{:?}", rows[*k as usize]))
            .collect::<Vec<_>>()
    };
    let extra: Vec<i64> = selected
        .iter()
        .copied()
        .filter(|k| !expected.contains(k))
        .collect();
    let missing: Vec<i64> = expected
        .iter()
        .copied()
        .filter(|k| !selected.contains(k))
        .collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "SQL and Rust disagree: SQL only {:?}, Rust only {:?}",
        show(&extra),
        show(&missing)
    );
    // The rule is not vacuous: some rows are left out, some kept.
    assert!(!expected.is_empty() && expected.len() < rows.len());
}

/// An area whose stored status is open counts, whatever source word it carries (here `cleared`,
/// from a file, while the model says open): `index_records` selects on the stored status.
async fn reopened_area_is_a_hazard_again(f: &Fresh) {
    use demine_core::hazard::{AreaStatus, VersionStatus};
    use demine_store::HazardStore;
    // The registry must know the State an area is filed under.
    let s = seeded(f).await;
    let mut a = hazards::area(7, 104.0, 12.0);
    a.area.status = AreaStatus::Closed;
    a.area.source_status = Some("cleared".into());
    s.import_areas(std::slice::from_ref(&a), "t", &|_, _| {})
        .await
        .unwrap();
    assert!(s.index_records(1).await.unwrap().is_empty());
    a.area.status = AreaStatus::Open;
    s.update_area(&a, VersionStatus::Draft, "t").await.unwrap();
    let recs = s.index_records(1).await.unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].id, 7);
}

/// Coverage: every State with an area filed under it, whatever the status; the box of the areas
/// filed under no State; nothing on an empty database.
async fn coverage_counts_every_filed_state(f: &Fresh) {
    use demine_core::hazard::AreaStatus;
    use demine_store::HazardStore;
    use demine_store::coverage::hazard_coverage;
    // The registry must know the States areas are filed under.
    let s = seeded(f).await;
    let empty = hazard_coverage(s).await.unwrap();
    assert!(empty.states.is_empty() && empty.unfiled.is_none() && empty.areas == 0);
    let mut khm = hazards::area(1, 104.0, 12.0);
    khm.area.status = AreaStatus::Closed;
    let mut tha = hazards::area(2, 101.0, 14.0);
    tha.area.iso3 = Some("THA".into());
    tha.area.status = AreaStatus::HandedOver;
    let mut none = hazards::area(3, 50.0, -20.0);
    none.area.iso3 = None;
    // (A blank State code is refused at import, like any code the registry does not have.)
    let mut blank = hazards::area(4, 51.0, -21.0);
    blank.area.iso3 = None;
    s.import_areas(&[khm, tha, none, blank], "t", &|_, _| {})
        .await
        .unwrap();
    let c = hazard_coverage(s).await.unwrap();
    assert_eq!(c.areas, 4);
    assert_eq!(
        c.states.iter().map(String::as_str).collect::<Vec<_>>(),
        ["KHM", "THA"]
    );
    let b = c.unfiled.unwrap();
    // The two unfiled areas span 50..51.01 by -21..-19.99 (the R*Tree rounds outwards a little).
    assert!(b.min_lon <= 50.0 && b.min_lon > 49.999, "{b:?}");
    assert!(b.max_lon >= 51.01 && b.max_lon < 51.011, "{b:?}");
    assert!(b.min_lat <= -21.0 && b.min_lat > -21.001, "{b:?}");
    assert!(b.max_lat >= -19.99 && b.max_lat < -19.989, "{b:?}");
    // Closed areas are not hazards, but their States are covered.
    assert_eq!(s.index_records(1).await.unwrap().len(), 2);
}

/// A database whose areas are all filed under no State covers their box (and no State).
async fn coverage_of_unfiled_areas_only(f: &Fresh) {
    use demine_store::HazardStore;
    use demine_store::coverage::hazard_coverage;
    let s = &f.store;
    let mut a = hazards::area(1, 104.0, 12.0);
    a.area.iso3 = None;
    let mut b = hazards::area(2, 105.0, 13.0);
    b.area.iso3 = None;
    s.import_areas(&[a, b], "t", &|_, _| {}).await.unwrap();
    let c = hazard_coverage(s).await.unwrap();
    assert!(c.states.is_empty());
    assert_eq!(c.areas, 2);
    let b = c.unfiled.unwrap();
    assert!(b.min_lon <= 104.0 && b.min_lon > 103.999, "{b:?}");
    assert!(b.max_lon >= 105.01 && b.max_lon < 105.011, "{b:?}");
    assert!(b.min_lat <= 12.0 && b.min_lat > 11.999, "{b:?}");
    assert!(b.max_lat >= 13.01 && b.max_lat < 13.011, "{b:?}");
}

// Who asks (issue 11): a requester's write permission and scope, enforced by the store for the
// registry and the hazard tables alike; the data version; the box-index read of the check.
both!(
    scoped_writers_write_only_their_state_and_organisation,
    scoped_readers_see_only_their_areas,
    read_only_requesters_write_nothing,
    data_version_moves_with_every_write,
    hazard_version_moves_with_area_writes_only,
    nearby_index_records_read_only_what_the_boxes_meet,
    packed_index_is_used_only_when_current_and_intact,
);

fn refused<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    match r {
        Err(StoreError::Refused { .. }) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// An editor scoped to KHM and organisation CMAC: writes their areas, and nothing in THA, of
/// another organisation, or of the registry outside KHM; a refused import changes nothing.
async fn scoped_writers_write_only_their_state_and_organisation(f: &Fresh) {
    use demine_core::hazard::{AreaStatus, CustomField, FieldKind, VersionStatus};
    use demine_store::{HazardStore, Requester};
    let s = seeded(f).await;
    // Area 1 is CMAC's in KHM; area 2 is another organisation's in KHM.
    let mine = hazards::area(1, 104.0, 12.0);
    let mut theirs = hazards::area(2, 104.1, 12.0);
    theirs.area.organisation = Some("HALO".into());
    s.import_areas(&[mine.clone(), theirs.clone()], "admin", &|_, _| {})
        .await
        .unwrap();
    let who = Requester::local("ed", Access::Operational).scoped("khm", Some("CMAC"));
    let ed = s.as_requester(&who);
    let mut changed = mine.clone();
    changed.area.status = AreaStatus::Closed;
    ed.update_area(&changed, VersionStatus::Draft, "ed")
        .await
        .unwrap();
    let mut other = theirs.clone();
    other.area.status = AreaStatus::Closed;
    refused(ed.update_area(&other, VersionStatus::Draft, "ed").await);
    // Moving one's own area to another organisation is refused too.
    let mut moved = mine.clone();
    moved.area.organisation = Some("HALO".into());
    refused(ed.update_area(&moved, VersionStatus::Draft, "ed").await);
    refused(ed.approve_area(2, "ed").await);
    let (before, _) = snapshot(s).await;
    // An import holding one area outside the scope stores nothing, the area inside included.
    let mut tha = hazards::area(3, 101.0, 14.0);
    tha.area.iso3 = Some("THA".into());
    refused(
        ed.import_areas(&[hazards::area(4, 104.2, 12.0), tha], "ed", &|_, _| {})
            .await,
    );
    // Nor may the import overwrite another organisation's area by its id.
    let mut over = theirs.clone();
    over.area.organisation = Some("CMAC".into());
    refused(ed.import_areas(&[over], "ed", &|_, _| {}).await);
    let field = CustomField {
        iso3: "THA".into(),
        name: "village".into(),
        kind: FieldKind::Text,
        choices: vec![],
    };
    refused(ed.define_field(&field, "ed").await);
    // The registry: a row filed under another State is refused.
    refused(
        import_text(
            &ed,
            "estimates",
            "e.csv",
            "subject,iso3,measure,low,high,unit,as_of,source\nThailand,THA,ap_contamination_km2,1,2,km2,2023,lm2024\n",
        )
        .await,
    );
    let (after, _) = snapshot(s).await;
    assert_eq!(before.tables, after.tables);
    assert_eq!(before.audit.len(), after.audit.len());
    // Within the scope, imports go through.
    ed.import_areas(&[hazards::area(5, 104.3, 12.0)], "ed", &|_, _| {})
        .await
        .unwrap();
    // A State-wide editor (no organisation) writes every organisation's areas in KHM.
    let khm = s.as_requester(&Requester::local("lead", Access::Operational).scoped("KHM", None));
    khm.update_area(&other, VersionStatus::Draft, "lead")
        .await
        .unwrap();
}

/// A scoped reader sees the hazardous areas and activities in their scope only; the others read
/// as absent.
async fn scoped_readers_see_only_their_areas(f: &Fresh) {
    use demine_store::{AreaFilter, HazardStore, Requester};
    let s = seeded(f).await;
    let mine = hazards::area(1, 104.0, 12.0);
    let mut theirs = hazards::area(2, 104.1, 12.0);
    theirs.area.organisation = Some("HALO".into());
    s.import_areas(&[mine, theirs], "admin", &|_, _| {})
        .await
        .unwrap();
    let who = Requester::local("ed", Access::Operational)
        .scoped("KHM", Some("CMAC"))
        .read_only();
    let ed = s.as_requester(&who);
    let ids: Vec<i64> = ed
        .areas(&AreaFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|a| a.area.id)
        .collect();
    assert_eq!(ids, vec![1]);
    assert!(ed.area(1).await.unwrap().is_some());
    assert!(ed.area(2).await.unwrap().is_none());
    assert!(matches!(
        ed.history(2).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(ed.activities(2).await.unwrap().is_empty());
    // The store's own handle sees both.
    assert_eq!(s.areas(&AreaFilter::default()).await.unwrap().len(), 2);
}

/// A requester who may not write writes nothing, anywhere: the registry, the hazards, a restore.
async fn read_only_requesters_write_nothing(f: &Fresh) {
    use demine_store::{HazardStore, Requester};
    let s = seeded(f).await;
    let viewer = s.as_requester(&Requester::local("vi", Access::Restricted).read_only());
    refused(
        viewer
            .import_areas(&[hazards::area(1, 104.0, 12.0)], "vi", &|_, _| {})
            .await,
    );
    refused(
        import_text(
            &viewer,
            "estimates",
            "e.csv",
            "subject,iso3,measure,low,high,unit,as_of,source\nCambodia,KHM,ap_contamination_km2,1,2,km2,2023,lm2024\n",
        )
        .await,
    );
    let dump = s.dump().await.unwrap();
    refused(viewer.replace_all(&dump, "vi", "a restore").await);
    // A scoped editor may not restore either (it replaces everything).
    let ed = s.as_requester(&Requester::local("ed", Access::Operational).scoped("KHM", None));
    refused(ed.replace_all(&dump, "ed", "a restore").await);
    assert!(s.records(Kind::States, None).await.unwrap().len() > 100);
}

/// The data version (the audit head) moves with every write, registry and hazards alike, and
/// not with a read or a dry run.
async fn data_version_moves_with_every_write(f: &Fresh) {
    use demine_store::HazardStore;
    let s = seeded(f).await;
    let v0 = s.data_version().await.unwrap();
    s.areas(&Default::default()).await.unwrap();
    s.plan_import(&[hazards::area(1, 104.0, 12.0)], "t")
        .await
        .unwrap();
    assert_eq!(s.data_version().await.unwrap(), v0);
    s.import_areas(&[hazards::area(1, 104.0, 12.0)], "t", &|_, _| {})
        .await
        .unwrap();
    let v1 = s.data_version().await.unwrap();
    assert_ne!(v1, v0);
    assert!(v1.entries > v0.entries);
    import_text(
        s,
        "estimates",
        "e.csv",
        "subject,iso3,measure,low,high,unit,as_of,source\nCambodia,KHM,ap_contamination_km2,1,2,km2,2023,lm2024\n",
    )
    .await
    .unwrap();
    assert_ne!(s.data_version().await.unwrap(), v1);
    // Another handle on the same database sees the same version.
    assert_eq!(
        f.reopen().await.data_version().await.unwrap(),
        s.data_version().await.unwrap()
    );
}

/// The hazard data version (the shared index's key) moves, in the same transaction, with every
/// write of an area (import, update, status, activity, made by any handle or by plain SQL as
/// another program would) and with nothing else: not a registry import, an account or a field
/// report, nor the packed index being written.
async fn hazard_version_moves_with_area_writes_only(f: &Fresh) {
    use demine_core::hazard::{AreaStatus, VersionStatus};
    use demine_store::accounts::{AccountStore, NewReport, NewUser, ReportKind, Role};
    use demine_store::{HazardStore, HazardVersion};
    let s = seeded(f).await;
    let v0: HazardVersion = s.hazard_version().await.unwrap();
    // Not hazard writes.
    import_text(
        s,
        "estimates",
        "e.csv",
        "subject,iso3,measure,low,high,unit,as_of,source\nCambodia,KHM,ap_contamination_km2,1,2,km2,2023,lm2024\n",
    )
    .await
    .unwrap();
    s.add_user(
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
    s.add_report(
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
    assert_eq!(s.hazard_version().await.unwrap(), v0);
    // An import of areas moves it; a handle on the same database sees the same version.
    let mut a = hazards::area(1, 104.0, 12.0);
    s.import_areas(std::slice::from_ref(&a), "t", &|_, _| {})
        .await
        .unwrap();
    let v1 = s.hazard_version().await.unwrap();
    assert_ne!(v1, v0);
    assert!(v1.n > v0.n, "{v0:?} {v1:?}");
    assert_eq!(f.reopen().await.hazard_version().await.unwrap(), v1);
    // Writing the packed index is not a write of the areas.
    s.index_records_cached(1).await.unwrap();
    assert_eq!(s.hazard_version().await.unwrap(), v1);
    // An update of the area (here its status), and its approval, move it.
    a.area.status = AreaStatus::Closed;
    s.update_area(&a, VersionStatus::Draft, "t").await.unwrap();
    let v2 = s.hazard_version().await.unwrap();
    assert_ne!(v2, v1);
    s.approve_area(1, "t").await.unwrap();
    let v3 = s.hazard_version().await.unwrap();
    assert_ne!(v3, v2);
    // So does a write made outside this program (another process writing SQL).
    f.exec_sql("UPDATE hazard_areas SET notes = 'by hand' WHERE id = 1".to_string())
        .await
        .unwrap();
    assert_ne!(s.hazard_version().await.unwrap(), v3);
}

/// `index_records_near` reads the areas whose box meets the boxes asked (through the R*Tree or
/// GiST index), by the same hazard rule as `index_records`, and needs operational access.
async fn nearby_index_records_read_only_what_the_boxes_meet(f: &Fresh) {
    use demine_core::hazard::AreaStatus;
    use demine_geo::Bbox;
    use demine_store::HazardStore;
    let s = seeded(f).await;
    let mut areas: Vec<_> = (1..=20)
        .map(|i| hazards::area(i, 102.0 + i as f64 * 0.1, 12.0))
        .collect();
    areas[2].area.status = AreaStatus::Closed;
    s.import_areas(&areas, "t", &|_, _| {}).await.unwrap();
    // Areas 2..=4 start at 102.2..102.4 and are 0.01 wide; area 3 is closed.
    let b = Bbox {
        min_lon: 102.205,
        min_lat: 12.005,
        max_lon: 102.405,
        max_lat: 12.006,
    };
    let ids: Vec<i64> = s
        .index_records_near(&[b], 1)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, vec![2, 4]);
    let far = Bbox {
        min_lon: 0.0,
        min_lat: 0.0,
        max_lon: 1.0,
        max_lat: 1.0,
    };
    let two: Vec<i64> = s
        .index_records_near(&[far, b], 1)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(two, vec![2, 4]);
    assert!(s.index_records_near(&[far], 1).await.unwrap().is_empty());
    assert!(s.index_records_near(&[], 1).await.unwrap().is_empty());
    let public = f.reopen().await.with_access(Access::Public);
    forbidden(
        public.index_records_near(&[b], 1).await,
        Access::Operational,
    );
}

/// The packed index: written by a handle that may write when missing, read back while the data
/// version stands, and never trusted once the version moved or its bytes were changed.
async fn packed_index_is_used_only_when_current_and_intact(f: &Fresh) {
    use demine_store::HazardStore;
    let s = seeded(f).await;
    let areas: Vec<_> = (1..=30)
        .map(|i| hazards::area(i, 102.0 + i as f64 * 0.1, 12.0))
        .collect();
    s.import_areas(&areas, "t", &|_, _| {}).await.unwrap();
    let rows = s.index_records(2).await.unwrap();
    let first = s.index_records_cached(2).await.unwrap();
    assert!(!first.from_cache && first.cache_written);
    assert_eq!(first.records, rows);
    assert_eq!(first.version, s.hazard_version().await.unwrap());
    let second = s.index_records_cached(2).await.unwrap();
    assert!(second.from_cache && !second.cache_written);
    assert_eq!(second.records, rows);
    // Writing the cache is not a write of data: the version did not move.
    assert_eq!(second.version, first.version);
    // A write moves the version: the cache is stale, read from the rows (and rewritten).
    s.import_areas(&[hazards::area(31, 106.0, 12.0)], "t", &|_, _| {})
        .await
        .unwrap();
    let after = s.index_records_cached(2).await.unwrap();
    assert!(!after.from_cache);
    assert_eq!(after.records.len(), 31);
    assert_eq!(after.records, s.index_records(2).await.unwrap());
    // Damaged bytes (the hash no longer matches) are never used.
    let sqlite = matches!(f.store, AnyStore::Sqlite(_));
    let blob = |hex: &str| {
        if sqlite {
            format!("X'{hex}'")
        } else {
            format!("'\\x{hex}'::bytea")
        }
    };
    f.exec_sql(format!(
        "UPDATE hazard_index_cache SET data = {}",
        blob("00112233")
    ))
    .await
    .unwrap();
    let damaged = s.index_records_cached(2).await.unwrap();
    assert!(!damaged.from_cache);
    assert_eq!(damaged.records.len(), 31);
    // Nor is a cache whose hash matches bytes that are not a packed index ("garbage").
    let garbage_sha = "795b6904e54f82411df4b0e27a373a55eea3f9d66dac5a9bce1dd92f7b401da5";
    f.exec_sql(format!(
        "UPDATE hazard_index_cache SET data = {}, sha256 = '{garbage_sha}'",
        blob("67617262616765")
    ))
    .await
    .unwrap();
    let bad = s.index_records_cached(2).await.unwrap();
    assert!(!bad.from_cache);
    assert_eq!(bad.records.len(), 31);
    // Reading needs operational access, like every read of hazard coordinates.
    let public = f.reopen().await.with_access(Access::Public);
    forbidden(public.index_records_cached(1).await, Access::Operational);
}
mod totals {
    use demine_core::hazard::{Activity, ActivityKind, DeviceCategory, DeviceFind};
    use demine_geo::{Coord, Geometry, Polygon};
    use demine_store::{HazardStore, hazards};

    use super::hazards::area;
    use super::{Fresh, d};

    both!(hazard_totals_add_up, stored_area_is_the_measured_area);

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon {
        Polygon::new(vec![
            Coord::new(x0, y0),
            Coord::new(x1, y0),
            Coord::new(x1, y1),
            Coord::new(x0, y1),
            Coord::new(x0, y0),
        ])
    }

    /// The totals the reports read agree with the per-area accounting: remaining by State, land
    /// released by year and kind, devices by year and category; one State's are a part.
    async fn hazard_totals_add_up(f: &Fresh) {
        super::seeded(f).await;
        let s = &f.store;
        let mut b = area(2, 104.1, 12.0);
        b.area.admin_area = None;
        s.import_areas(&[area(1, 104.0, 12.0), b], "t", &|_, _| {})
            .await
            .unwrap();
        let nts = Activity {
            id: 0,
            area_id: 1,
            kind: ActivityKind::NonTechnicalSurvey,
            start: d("2023-11-01"),
            end: Some(d("2023-12-05")),
            organisation: None,
            method: None,
            depth_cm: None,
            devices: vec![],
        };
        let clearance = Activity {
            kind: ActivityKind::Clearance,
            depth_cm: Some(20),
            devices: vec![DeviceFind {
                category: DeviceCategory::ApMine,
                model: None,
                location: Some([104.006, 12.001]),
                depth_cm: None,
                condition: None,
                destroyed: Some(d("2024-02-03")),
            }],
            start: d("2024-02-01"),
            end: Some(d("2024-02-10")),
            ..nts.clone()
        };
        s.record_activity(
            &nts,
            &Geometry::Polygon(rect(103.99, 11.99, 104.005, 12.02)),
            "t",
        )
        .await
        .unwrap();
        s.record_activity(
            &clearance,
            &Geometry::Polygon(rect(104.0, 12.0, 104.01, 12.0025)),
            "t",
        )
        .await
        .unwrap();
        let a1 = hazards::accounting(s, 1).await.unwrap();
        let a2 = hazards::accounting(s, 2).await.unwrap();
        let all = s.hazard_totals(None).await.unwrap();
        let remaining: f64 = all.areas.iter().map(|a| a.remaining_m2).sum();
        assert!(
            (remaining - a1.remaining_m2 - a2.remaining_m2).abs() < 1e-6,
            "{all:?}"
        );
        assert_eq!(all.areas.len(), 2, "grouped by admin area: {all:?}");
        assert_eq!(all.areas.iter().map(|a| a.hazard_areas).sum::<u64>(), 2);
        assert_eq!(all.areas[0].devices, vec!["ap-mine".to_string()]);
        let by = |y: i32, k: &str| {
            all.releases
                .iter()
                .find(|r| r.year == Some(y) && r.kind == k)
                .map(|r| r.released_m2)
        };
        assert!((by(2023, "non-technical-survey").unwrap() - a1.cancelled_m2).abs() < 1e-6);
        assert!((by(2024, "clearance").unwrap() - a1.cleared_m2).abs() < 1e-6);
        assert_eq!(all.devices.len(), 1);
        assert_eq!(
            (
                all.devices[0].year,
                all.devices[0].found,
                all.devices[0].destroyed
            ),
            (Some(2024), 1, 1)
        );
        // The world totals carry no State; one State's carry it, and here they are the same land.
        assert!(all.releases.iter().all(|r| r.iso3.is_none()));
        let khm = s.hazard_totals(Some("KHM")).await.unwrap();
        assert_eq!(khm.areas, all.areas);
        assert!(
            khm.releases
                .iter()
                .all(|r| r.iso3.as_deref() == Some("KHM"))
        );
        let sum = |t: &demine_analytics::HazardTotals| -> f64 {
            t.releases.iter().map(|r| r.released_m2).sum()
        };
        assert!((sum(&khm) - sum(&all)).abs() < 1e-6);
        assert_eq!(khm.devices.len(), all.devices.len());
        let none = s.hazard_totals(Some("THA")).await.unwrap();
        assert!(none.areas.is_empty() && none.releases.is_empty() && none.devices.is_empty());
    }

    fn measured(shape: &demine_geo::HazardShape) -> f64 {
        demine_geo::ops::area_m2(&demine_geo::ops::shape_polygons(shape))
    }

    async fn assert_stored(f: &Fresh, id: i64, when: &str) {
        let shape = f.store.area(id).await.unwrap().unwrap().shape;
        let want = measured(&shape);
        let got = f.stored_area_m2(id).await;
        assert!(
            got.is_some_and(|g| (g - want).abs() < 1e-6),
            "area {id} {when}: stored {got:?}, measured {want}"
        );
    }

    /// Migration 0030: each area's measured area is stored with its geometry on import, follows
    /// a new geometry on update, is not touched by a release (it is the recorded area, not the
    /// remainder), and is measured again on opening for a row that lacks it; the totals read it.
    async fn stored_area_is_the_measured_area(f: &Fresh) {
        super::seeded(f).await;
        let s = &f.store;
        let mut circle = area(2, 104.1, 12.0);
        circle.shape = demine_geo::HazardShape::Circle {
            center: Coord::new(104.1, 12.0),
            radius_m: 250.0,
        };
        s.import_areas(&[area(1, 104.0, 12.0), circle], "t", &|_, _| {})
            .await
            .unwrap();
        assert_stored(f, 1, "after import").await;
        assert_stored(f, 2, "after import (a circle)").await;
        let before = f.stored_area_m2(1).await;
        let mut wider = area(1, 104.0, 12.0);
        wider.shape = demine_geo::HazardShape::Polygon(rect(104.0, 12.0, 104.03, 12.01));
        s.update_area(&wider, demine_core::hazard::VersionStatus::Draft, "t")
            .await
            .unwrap();
        assert_stored(f, 1, "after update").await;
        assert!(
            f.stored_area_m2(1).await > before,
            "the wider area is larger"
        );
        let clearance = Activity {
            id: 0,
            area_id: 1,
            kind: ActivityKind::Clearance,
            start: d("2024-02-01"),
            end: Some(d("2024-02-10")),
            organisation: None,
            method: None,
            depth_cm: Some(20),
            devices: vec![],
        };
        s.record_activity(
            &clearance,
            &Geometry::Polygon(rect(104.0, 12.0, 104.01, 12.01)),
            "t",
        )
        .await
        .unwrap();
        assert_stored(f, 1, "after release").await;
        let acc = hazards::accounting(s, 1).await.unwrap();
        assert!(acc.remaining_m2 < f.stored_area_m2(1).await.unwrap() - 1.0);
        // The totals: the released area's remainder plus the circle's stored area.
        let want = acc.remaining_m2 + f.stored_area_m2(2).await.unwrap();
        let total = |t: &demine_analytics::HazardTotals| -> f64 {
            t.areas.iter().map(|a| a.remaining_m2).sum()
        };
        let all = s.hazard_totals(None).await.unwrap();
        assert!((total(&all) - want).abs() < 1e-6, "{all:?}");
        // A row without the stored value (as before the migration) is measured by the
        // totals, and stored on the next opening.
        f.exec("UPDATE hazard_areas SET area_m2 = NULL WHERE id = 2")
            .await
            .unwrap();
        let all = s.hazard_totals(None).await.unwrap();
        assert!((total(&all) - want).abs() < 1e-6, "{all:?}");
        assert_eq!(f.stored_area_m2(2).await, None);
        drop(f.reopen().await);
        assert_stored(f, 2, "after reopening").await;
    }
}

/// Accounts and field reports (migration 0050): users, tokens, sessions, drafts and decisions,
/// each change in the audit chain under the name of whoever made it.
mod accounts {
    use demine_store::accounts::{
        AccountStore, Applied, Apply, Decision, NewReport, NewUser, ReportKind, ReportStatus, Role,
    };
    use demine_store::{Access, Store, StoreError, ops};

    use super::Fresh;

    both!(
        users_tokens_and_sessions,
        field_reports_move_from_draft_to_decided,
        field_reports_enter_in_one_batch,
        backups_carry_accounts_and_field_reports,
        approving_a_report_commits_everything_or_nothing,
        two_approvals_of_one_draft_apply_it_once,
        an_activity_report_is_approved_with_its_activity,
        an_accident_report_writes_new_casualty_records_only,
    );

    /// An accident report (migration 0051 allows the kind) writes its casualty records with the
    /// decision; a record whose id is stored already is refused, never overwritten, and the
    /// report stays a draft.
    async fn an_accident_report_writes_new_casualty_records_only(f: &Fresh) {
        use demine_store::{ImportKind, Kind, Store, io::read_batch};
        let s = super::seeded(f).await;
        let accident = |n: i64| NewReport {
            kind: ReportKind::Accident,
            iso3: "KHM".into(),
            organisation: None,
            area_id: None,
            payload: serde_json::json!({"type": "Feature", "n": n}),
            supersedes: None,
        };
        let first = s.add_report(&accident(1), "ana").await.unwrap();
        assert_eq!(
            s.report(first.id).await.unwrap().unwrap().kind,
            ReportKind::Accident
        );
        let batch = |ids: &[&str]| {
            let rows: Vec<serde_json::Value> = ids
                .iter()
                .map(|id| {
                    serde_json::json!({
                        "id": id, "date": "2026-02-14", "iso3": "KHM", "admin_area": null,
                        "device_category": "ap-mine", "killed": 0, "injured": 1,
                        "group": "civilian", "age_group": "adult", "sex": "male",
                        "source": "demine field report", "note": null
                    })
                })
                .collect();
            read_batch(
                ImportKind::Kind(Kind::Casualties),
                "field report.json",
                serde_json::Value::Array(rows).to_string().as_bytes(),
            )
            .unwrap()
        };
        let written = |a: &Applied| match a {
            Applied::Records(r) => Ok(serde_json::json!({"casualties": r.inserted})),
            _ => Err("no records".to_string()),
        };
        let before = s.records(Kind::Casualties, None).await.unwrap().len();
        let b1 = batch(&["fr-1-1", "fr-1-2"]);
        let (done, _) = s
            .approve_report(first.id, Apply::Records(&b1), None, &written, "rev")
            .await
            .unwrap();
        assert_eq!(done.outcome, Some(serde_json::json!({"casualties": 2})));
        assert_eq!(
            s.records(Kind::Casualties, None).await.unwrap().len(),
            before + 2
        );
        // A second report whose record would take a stored id: refused, nothing written.
        let second = s.add_report(&accident(2), "ana").await.unwrap();
        let head = s.audit_head().await.unwrap();
        let b2 = batch(&["fr-2-1", "fr-1-2"]);
        let r = s
            .approve_report(second.id, Apply::Records(&b2), None, &written, "rev")
            .await;
        assert!(
            matches!(&r, Err(StoreError::Conflict { reason, .. }) if reason.contains("not overwritten")),
            "{r:?}"
        );
        assert_eq!(s.audit_head().await.unwrap(), head);
        assert_eq!(
            s.records(Kind::Casualties, None).await.unwrap().len(),
            before + 2
        );
        assert_eq!(
            s.report(second.id).await.unwrap().unwrap().status,
            ReportStatus::Draft
        );
        assert!(ops::verify_audit(s).await.unwrap().ok);
    }

    /// A draft proposing a new area in KHM, entered by `ana`.
    async fn area_draft(s: &demine_store::AnyStore) -> i64 {
        s.add_report(
            &NewReport {
                kind: ReportKind::NewArea,
                iso3: "KHM".into(),
                organisation: Some("CMAC".into()),
                area_id: None,
                payload: serde_json::json!({"type": "Feature"}),
                supersedes: None,
            },
            "ana",
        )
        .await
        .unwrap()
        .id
    }

    /// The area the draft would add, without an id (so that applying it twice would make two).
    fn fresh_area() -> demine_store::NewArea {
        let mut a = super::hazards::area(1, 104.0, 12.0);
        a.id_given = false;
        a
    }

    /// The outcome a caller records: the ids the import inserted.
    fn inserted(a: &Applied) -> Result<serde_json::Value, String> {
        match a {
            Applied::Areas(r) => Ok(serde_json::json!({"inserted_ids": r.inserted_ids})),
            _ => Err("not areas".into()),
        }
    }

    /// A failure injected after the import (the report's decision is refused by a trigger)
    /// leaves the store exactly as it was: same audit head, no area, the report still a draft;
    /// once the fault is gone the same approval applies everything at once.
    async fn approving_a_report_commits_everything_or_nothing(f: &Fresh) {
        use demine_core::hazard::VersionStatus;
        use demine_store::{AnyStore, AreaFilter, HazardStore};
        let s = super::seeded(f).await;
        let id = area_draft(s).await;
        let (fail, unfail) = match s {
            AnyStore::Sqlite(_) => (
                "CREATE TRIGGER refuse_decisions BEFORE UPDATE ON field_reports \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
                "DROP TRIGGER refuse_decisions;",
            ),
            AnyStore::Postgres(_) => (
                "CREATE FUNCTION refuse_decisions() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; \
                 CREATE TRIGGER refuse_decisions BEFORE UPDATE ON field_reports \
                 FOR EACH ROW EXECUTE FUNCTION refuse_decisions();",
                "DROP TRIGGER refuse_decisions ON field_reports; DROP FUNCTION refuse_decisions();",
            ),
        };
        f.exec_sql(fail.to_string()).await.unwrap();
        let head = s.audit_head().await.unwrap();
        let version = s.hazard_version().await.unwrap();
        let area = [fresh_area()];
        let r = s
            .approve_report(id, Apply::Areas(&area), None, &inserted, "rev")
            .await;
        assert!(
            format!("{r:?}").contains("injected failure"),
            "the decision failed: {r:?}"
        );
        assert_eq!(s.audit_head().await.unwrap(), head, "no audit entry");
        assert_eq!(s.hazard_version().await.unwrap(), version);
        assert!(s.areas(&AreaFilter::default()).await.unwrap().is_empty());
        let still = s.report(id).await.unwrap().unwrap();
        assert_eq!((still.status, still.outcome), (ReportStatus::Draft, None));

        f.exec_sql(unfail.to_string()).await.unwrap();
        let (done, applied) = s
            .approve_report(id, Apply::Areas(&area), Some("ok".into()), &inserted, "rev")
            .await
            .unwrap();
        let Applied::Areas(r) = applied else {
            panic!("areas were imported")
        };
        assert_eq!(r.inserted, 1);
        assert!(!r.dry_run);
        assert_eq!(done.status, ReportStatus::Approved);
        assert_eq!(
            done.outcome,
            Some(serde_json::json!({"inserted_ids": r.inserted_ids}))
        );
        assert_eq!(s.report(id).await.unwrap().unwrap(), done);
        let all = s.areas(&AreaFilter::default()).await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].version_status, VersionStatus::Approved);
        // The area, its approval and the decision, each audited, in one commit.
        let log = s.audit_entries().await.unwrap();
        let tail: Vec<&str> = log
            .iter()
            .rev()
            .take(3)
            .map(|e| e.entity.as_str())
            .collect();
        assert_eq!(
            tail,
            vec!["field_report", "hazard_area_approval", "hazard_area"]
        );
        assert!(ops::verify_audit(s).await.unwrap().ok);
        // A decided report is refused and nothing is applied again.
        let again = s
            .approve_report(id, Apply::Areas(&area), None, &inserted, "rev2")
            .await;
        assert!(
            matches!(again, Err(StoreError::Conflict { .. })),
            "{again:?}"
        );
        assert_eq!(s.areas(&AreaFilter::default()).await.unwrap().len(), 1);
        // An outcome that cannot be made refuses the approval, and nothing is written.
        let other = area_draft(s).await;
        let head = s.audit_head().await.unwrap();
        let none = |_: &Applied| -> Result<serde_json::Value, String> { Err("no outcome".into()) };
        let r = s
            .approve_report(other, Apply::Areas(&area), None, &none, "rev")
            .await;
        assert!(format!("{r:?}").contains("no outcome"), "{r:?}");
        assert_eq!(s.audit_head().await.unwrap(), head);
        assert_eq!(s.areas(&AreaFilter::default()).await.unwrap().len(), 1);
    }

    /// Two reviewers approving one draft at the same time: exactly one applies it.
    async fn two_approvals_of_one_draft_apply_it_once(f: &Fresh) {
        use demine_store::{AreaFilter, HazardStore};
        let s = super::seeded(f).await;
        let id = area_draft(s).await;
        let area = [fresh_area()];
        let (a, b) = tokio::join!(
            s.approve_report(id, Apply::Areas(&area), None, &inserted, "rev1"),
            s.approve_report(id, Apply::Areas(&area), None, &inserted, "rev2"),
        );
        let (won, lost) = match (a, b) {
            (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
            other => panic!("exactly one approval applies: {other:?}"),
        };
        assert!(matches!(lost, StoreError::Conflict { .. }), "{lost:?}");
        let stored = s.report(id).await.unwrap().unwrap();
        assert_eq!(stored, won.0);
        assert_eq!(stored.status, ReportStatus::Approved);
        assert_eq!(s.areas(&AreaFilter::default()).await.unwrap().len(), 1);
        let log = s.audit_entries().await.unwrap();
        assert_eq!(log.iter().filter(|e| e.entity == "hazard_area").count(), 1);
        assert!(ops::verify_audit(s).await.unwrap().ok);
    }

    /// An activity report records its activity and is decided in the same transaction; an
    /// activity the store refuses leaves the report a draft.
    async fn an_activity_report_is_approved_with_its_activity(f: &Fresh) {
        use demine_core::hazard::{Activity, ActivityKind};
        use demine_store::HazardStore;
        let s = super::seeded(f).await;
        s.import_areas(&[super::hazards::area(7, 104.0, 12.0)], "t", &|_, _| {})
            .await
            .unwrap();
        let id = s
            .add_report(
                &NewReport {
                    kind: ReportKind::Activity,
                    iso3: "KHM".into(),
                    organisation: Some("CMAC".into()),
                    area_id: Some(7),
                    payload: serde_json::json!({"type": "Feature"}),
                    supersedes: None,
                },
                "ana",
            )
            .await
            .unwrap()
            .id;
        let square = |x0: f64, y0: f64, d: f64| {
            demine_geo::Geometry::Polygon(demine_geo::Polygon::new(vec![
                demine_geo::Coord::new(x0, y0),
                demine_geo::Coord::new(x0 + d, y0),
                demine_geo::Coord::new(x0 + d, y0 + d),
                demine_geo::Coord::new(x0, y0 + d),
                demine_geo::Coord::new(x0, y0),
            ]))
        };
        let act = Activity {
            id: 0,
            area_id: 7,
            kind: ActivityKind::Clearance,
            start: super::d("2024-01-01"),
            end: Some(super::d("2024-02-01")),
            organisation: Some("CMAC".into()),
            method: None,
            depth_cm: Some(30),
            devices: Vec::new(),
        };
        let count = |a: &Applied| match a {
            Applied::Activities(v) => Ok(serde_json::json!({"activities": v.len()})),
            _ => Err("not activities".to_string()),
        };
        // Outside the area: refused, nothing recorded, still a draft.
        let head = s.audit_head().await.unwrap();
        let off = [(act.clone(), square(50.0, 50.0, 0.001))];
        let r = s
            .approve_report(id, Apply::Activities(&off), None, &count, "rev")
            .await;
        assert!(format!("{r:?}").contains("releases nothing"), "{r:?}");
        assert_eq!(s.audit_head().await.unwrap(), head);
        assert!(s.activities(7).await.unwrap().is_empty());
        assert_eq!(
            s.report(id).await.unwrap().unwrap().status,
            ReportStatus::Draft
        );
        let on = [(act, square(104.002, 12.002, 0.004))];
        let (done, _) = s
            .approve_report(id, Apply::Activities(&on), None, &count, "rev")
            .await
            .unwrap();
        assert_eq!(done.outcome, Some(serde_json::json!({"activities": 1})));
        assert_eq!(s.activities(7).await.unwrap().len(), 1);
        assert!(ops::verify_audit(s).await.unwrap().ok);
    }

    fn user(name: &str, role: Role) -> NewUser {
        NewUser {
            name: name.into(),
            role,
            iso3: Some("KHM".into()),
            organisation: Some("CMAC".into()),
            restricted: false,
            password_hash: "$argon2id$not-a-real-hash".into(),
        }
    }

    async fn users_tokens_and_sessions(f: &Fresh) {
        let s = &f.store;
        let u = s
            .add_user(&user("ana", Role::Editor), "root")
            .await
            .unwrap();
        assert_eq!(u.role, Role::Editor);
        assert!(!u.disabled);
        let again = s.add_user(&user("ana", Role::Viewer), "root").await;
        assert!(
            matches!(again, Err(StoreError::Conflict { .. })),
            "{again:?}"
        );
        let (got, hash) = s.user_with_hash("ana").await.unwrap().unwrap();
        assert_eq!(got, u);
        assert_eq!(hash, "$argon2id$not-a-real-hash");
        assert!(s.user_with_hash("nobody").await.unwrap().is_none());

        s.add_token("ana", "tokhash", "script", "root")
            .await
            .unwrap();
        assert_eq!(s.token_user("tokhash").await.unwrap().unwrap().name, "ana");
        assert!(s.token_user("other").await.unwrap().is_none());
        assert!(matches!(
            s.add_token("nobody", "h2", "x", "root").await,
            Err(StoreError::NotFound { .. })
        ));

        s.create_session("sess", "ana", "csrf1", 100, 200)
            .await
            .unwrap();
        let (su, csrf) = s.session("sess", 150).await.unwrap().unwrap();
        assert_eq!((su.name.as_str(), csrf.as_str()), ("ana", "csrf1"));
        assert!(s.session("sess", 200).await.unwrap().is_none(), "expired");
        s.end_session("sess", 150).await.unwrap();
        assert!(s.session("sess", 150).await.unwrap().is_none(), "ended");

        s.create_session("sess2", "ana", "c", 100, 1000)
            .await
            .unwrap();
        let d = s.set_disabled("ana", true, "root").await.unwrap();
        assert!(d.disabled);
        assert!(
            s.session("sess2", 150).await.unwrap().is_none(),
            "disabling ends sessions"
        );
        s.set_password("ana", "newhash", "root").await.unwrap();
        assert_eq!(s.user_with_hash("ana").await.unwrap().unwrap().1, "newhash");
        assert_eq!(s.users().await.unwrap().len(), 1);

        // Audited under the actor's name; never the hash; restricted tier in the log.
        let log = s.audit_entries().await.unwrap();
        let acc: Vec<_> = log
            .iter()
            .filter(|e| e.entity.starts_with("account_"))
            .collect();
        assert_eq!(acc.len(), 4, "{acc:?}");
        assert!(acc.iter().all(|e| e.actor == "root"));
        let text = serde_json::to_string(&log).unwrap();
        assert!(!text.contains("newhash") && !text.contains("not-a-real-hash"));
        assert!(!text.contains("tokhash"));
        let public = demine_store::access::redact_entries(log, Access::Operational);
        let text = serde_json::to_string(&public).unwrap();
        assert!(
            !text.contains("CMAC"),
            "account entries are withheld below restricted"
        );
        assert!(ops::verify_audit(s).await.unwrap().ok);
    }

    /// A backup gives back the accounts and the field reports, on either backend and across
    /// them; a restore ends every browser session; restoring a backup that lacks a user who
    /// exists now is a removal that needs `--force`.
    async fn backups_carry_accounts_and_field_reports(f: &Fresh) {
        let s = &f.store;
        let mut ana = user("ana", Role::Editor);
        ana.restricted = true;
        s.add_user(&ana, "root").await.unwrap();
        s.add_token("ana", "tokhash", "script", "root")
            .await
            .unwrap();
        s.set_disabled("ana", false, "root").await.unwrap();
        let draft = NewReport {
            kind: ReportKind::Activity,
            iso3: "KHM".into(),
            organisation: Some("CMAC".into()),
            area_id: Some(7),
            payload: serde_json::json!({"type": "Feature", "n": 1}),
            supersedes: None,
        };
        let rep = s.add_report(&draft, "ana").await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("backup.demine");
        ops::backup(s, &file).await.unwrap();

        // After the backup: another user, a session, the draft decided.
        s.add_user(&user("ben", Role::Reviewer), "root")
            .await
            .unwrap();
        s.create_session("sess", "ana", "csrf", 100, i64::MAX)
            .await
            .unwrap();
        let reject = Decision {
            status: ReportStatus::Rejected,
            note: None,
            outcome: None,
        };
        s.decide_report(rep.id, &reject, "ben").await.unwrap();

        // Without --force the restore names what it would remove: ben, the decided report.
        let e = ops::restore(s, &file, "root", &Default::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("users") && e.contains("field_reports"), "{e}");
        assert!(
            s.user_with_hash("ben").await.unwrap().is_some(),
            "nothing restored"
        );

        ops::restore(s, &file, "root", &super::forced())
            .await
            .unwrap();
        let (back, hash) = s.user_with_hash("ana").await.unwrap().unwrap();
        assert!(back.restricted && !back.disabled);
        assert_eq!(hash, "$argon2id$not-a-real-hash");
        assert!(s.user_with_hash("ben").await.unwrap().is_none());
        assert_eq!(s.token_user("tokhash").await.unwrap().unwrap().name, "ana");
        assert!(
            s.session("sess", 150).await.unwrap().is_none(),
            "sessions end"
        );
        let again = s.report(rep.id).await.unwrap().unwrap();
        assert_eq!(again.status, ReportStatus::Draft);
        assert_eq!(again.payload, draft.payload);
        assert!(ops::verify_audit(s).await.unwrap().ok);

        // The same backup into the other backend.
        let other = match s {
            demine_store::AnyStore::Sqlite(_) => Fresh::postgres().await,
            demine_store::AnyStore::Postgres(_) => Some(Fresh::sqlite().await),
        };
        if let Some(other) = other {
            ops::restore(&other.store, &file, "root", &Default::default())
                .await
                .unwrap();
            let (u, _) = other.store.user_with_hash("ana").await.unwrap().unwrap();
            assert!(u.restricted);
            assert_eq!(
                other.store.report(rep.id).await.unwrap().unwrap().payload,
                draft.payload
            );
            other.finish().await;
        }
    }

    async fn field_reports_enter_in_one_batch(f: &Fresh) {
        let s = &f.store;
        let new = |n: i64| NewReport {
            kind: ReportKind::Activity,
            iso3: "KHM".into(),
            organisation: None,
            area_id: Some(n),
            payload: serde_json::json!({"type": "Feature", "n": n}),
            supersedes: None,
        };
        assert!(s.add_reports(&[], "ana").await.unwrap().is_empty());
        let first = s.add_report(&new(1), "ana").await.unwrap();
        let batch = s.add_reports(&[new(2), new(3)], "odk").await.unwrap();
        assert_eq!(
            batch.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![first.id + 1, first.id + 2]
        );
        let stored = s.report(batch[1].id).await.unwrap().unwrap();
        assert_eq!(
            (stored.payload["n"].as_i64(), stored.author.as_str()),
            (Some(3), "odk")
        );
        assert_eq!(stored.status, ReportStatus::Draft);
        let log = s.audit_entries().await.unwrap();
        assert_eq!(log.iter().filter(|e| e.entity == "field_report").count(), 3);
        assert!(ops::verify_audit(s).await.unwrap().ok);
    }

    async fn field_reports_move_from_draft_to_decided(f: &Fresh) {
        let s = &f.store;
        let new = NewReport {
            kind: ReportKind::NewArea,
            iso3: "KHM".into(),
            organisation: Some("CMAC".into()),
            area_id: None,
            payload: serde_json::json!({"type": "Feature"}),
            supersedes: None,
        };
        let r1 = s.add_report(&new, "ana").await.unwrap();
        assert_eq!(
            (r1.id, r1.status, r1.author.as_str()),
            (1, ReportStatus::Draft, "ana")
        );
        let edited = s
            .edit_report(1, &serde_json::json!({"type": "Feature", "v": 2}), "ana")
            .await
            .unwrap();
        assert_eq!(edited.payload["v"], 2);
        let approve = Decision {
            status: ReportStatus::Approved,
            note: Some("ok".into()),
            outcome: Some(serde_json::json!({"inserted": 1})),
        };
        let d = s.decide_report(1, &approve, "rev").await.unwrap();
        assert_eq!(
            (d.status, d.reviewer.as_deref()),
            (ReportStatus::Approved, Some("rev"))
        );
        // Approved: neither editable nor decidable again.
        let e = s.edit_report(1, &serde_json::json!({}), "ana").await;
        assert!(matches!(e, Err(StoreError::Conflict { .. })), "{e:?}");
        let e = s.decide_report(1, &approve, "rev").await;
        assert!(matches!(e, Err(StoreError::Conflict { .. })), "{e:?}");
        // Superseded by an approved successor, in the same transaction.
        let r2 = s
            .add_report(
                &NewReport {
                    supersedes: Some(1),
                    ..new.clone()
                },
                "ana",
            )
            .await
            .unwrap();
        assert_eq!(r2.id, 2);
        s.decide_report(2, &approve, "rev").await.unwrap();
        assert_eq!(
            s.report(1).await.unwrap().unwrap().status,
            ReportStatus::Superseded
        );
        let r3 = s.add_report(&new, "ana").await.unwrap();
        let rejected = Decision {
            status: ReportStatus::Rejected,
            note: None,
            outcome: None,
        };
        s.decide_report(r3.id, &rejected, "rev").await.unwrap();
        let all = s.reports(Some("KHM")).await.unwrap();
        assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), vec![3, 2, 1]);
        assert!(s.reports(Some("AFG")).await.unwrap().is_empty());
        assert!(matches!(
            s.edit_report(99, &serde_json::json!({}), "ana").await,
            Err(StoreError::NotFound { .. })
        ));
        let log = s.audit_entries().await.unwrap();
        assert_eq!(log.iter().filter(|e| e.entity == "field_report").count(), 8);
        assert!(ops::verify_audit(s).await.unwrap().ok);
    }
}
