//! The shared storage suite: every behaviour is one async function over a store, run against
//! SQLite and against PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::NaiveDate;
use common::Fresh;
use demine_store::view::{self, StatusFilter};
use demine_store::{AnyStore, BUNDLED, Format, ImportKind, Kind, Store, StoreError, ops};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
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
);

async fn seeded(f: &Fresh) -> &AnyStore {
    ops::seed(&f.store, "tester").await.unwrap();
    &f.store
}

async fn snapshot(s: &AnyStore) -> (demine_store::Dump, usize) {
    let d = s.dump().await.unwrap();
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
    assert_eq!(withdrawals, 5);
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
    assert_eq!(first.len(), BUNDLED.len());
    let n = f.store.audit_entries().await.unwrap().len();
    assert!(ops::seed(&f.store, "t").await.unwrap().is_empty());
    // Importing the same files again changes nothing and logs nothing.
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
    assert_eq!(afg.clearance_deadline, Some(d("2013-03-01")));
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
    let ext = "iso3,submitted,requested_until,decision,decided_on,granted_until,source\n\
               AFG,2012-03-29,2023-03-01,granted,2012-12-07,2023-03-01,test\n";
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
    assert_eq!(get("initial-transparency-report").status, Met);
    assert_eq!(get("stockpile-destruction").status, Overdue);
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
    ops::restore(s, &file, "restorer").await.unwrap();
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
        ops::restore(&other.store, &file, "t").await.unwrap();
        assert_eq!(snapshot(&other.store).await.0, at_backup.0);
        assert!(ops::verify_audit(&other.store).await.unwrap().ok);
        other.finish().await;
    }
}

async fn restore_rejects_bad_backups(f: &Fresh) {
    let s = seeded(f).await;
    let before = snapshot(s).await;
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk");
    std::fs::write(&junk, "this is not a backup").unwrap();
    let e = ops::restore(s, &junk, "t").await.unwrap_err().to_string();
    assert!(e.contains("not a demine backup"), "{e}");
    // A dump whose audit log was tampered with.
    let mut dump = s.dump().await.unwrap();
    dump.audit[3].actor = "mallory".into();
    let bad = dir.path().join("tampered.json");
    std::fs::write(&bad, serde_json::to_string(&dump).unwrap()).unwrap();
    let e = ops::restore(s, &bad, "t").await.unwrap_err().to_string();
    assert!(e.contains("does not verify"), "{e}");
    // A dump with a row that breaks a constraint deep inside: the restore rolls back.
    let mut dump = s.dump().await.unwrap();
    let mut orphan = dump.tables["events"][0].clone();
    orphan.insert("iso3".into(), "QQQ".into());
    dump.tables.get_mut("events").unwrap().push(orphan);
    dump.audit.clear();
    let bad = dir.path().join("orphan.json");
    std::fs::write(&bad, serde_json::to_string(&dump).unwrap()).unwrap();
    assert!(ops::restore(s, &bad, "t").await.is_err());
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
        NewArea {
            area: HazardArea {
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
            shape: HazardShape::Polygon(rect(x, y, x + 0.01, y + 0.01)),
        }
    }

    async fn import_list_and_bbox(f: &Fresh) {
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
        assert_eq!((b.entity.as_str(), b.key.as_str()), ("hazard_area", "7"));
    }

    async fn activities_account_and_shrink_the_hazard(f: &Fresh) {
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
            .record_activities(&[(nts.clone(), east.clone()), (nts.clone(), outside)], "t")
            .await
            .unwrap_err();
        assert!(e.to_string().contains(":2:"), "{e}");
        assert_eq!(s.activities(1).await.unwrap().len(), 2);
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
    }

    async fn custom_fields_are_defined_and_audited(f: &Fresh) {
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
        demine_store::ops::restore(s, &path, "admin").await.unwrap();
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
    let s = &f.store;
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
    let s = &f.store;
    let empty = hazard_coverage(s).await.unwrap();
    assert!(empty.states.is_empty() && empty.unfiled.is_none() && empty.areas == 0);
    let mut khm = hazards::area(1, 104.0, 12.0);
    khm.area.status = AreaStatus::Closed;
    let mut tha = hazards::area(2, 101.0, 14.0);
    tha.area.iso3 = Some("THA".into());
    tha.area.status = AreaStatus::HandedOver;
    let mut none = hazards::area(3, 50.0, -20.0);
    none.area.iso3 = None;
    let mut blank = hazards::area(4, 51.0, -21.0);
    blank.area.iso3 = Some(" ".into());
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
