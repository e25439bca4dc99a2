//! Runs every row of the repository's `data/mbt_states_parties.csv` (with the withdrawals of
//! `data/record/events.csv`) through the engine and checks the invariants that must hold for
//! every State, plus a few dates known from the depositary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{Datelike, NaiveDate};
use demine_treaty::{
    FORTIETH_DEPOSIT, GLOBAL_ENTRY_INTO_FORCE, Instrument, Obligations, Status, TreatyEvents,
    obligations, status_as_of,
};

#[derive(Debug, serde::Deserialize)]
struct Row {
    state: String,
    iso3: String,
    signed: Option<NaiveDate>,
    deposited: NaiveDate,
    instrument: String,
    succession_date: Option<NaiveDate>,
    withdrawal_deposited: Option<NaiveDate>,
    #[allow(dead_code)]
    notes: String,
}

struct Party {
    row: Row,
    events: TreatyEvents,
    obligations: Obligations,
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The withdrawals deposited, from the record's events file (where the 2025 withdrawals live,
/// each with its sources), by ISO3.
fn withdrawals() -> HashMap<String, NaiveDate> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/record/events.csv");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let mut out = HashMap::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        if &rec[1] == "withdrawal" {
            out.insert(rec[0].to_string(), d(&rec[2]));
        }
    }
    out
}

fn load() -> HashMap<String, Party> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/mbt_states_parties.csv");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let withdrawn = withdrawals();
    let mut out = HashMap::new();
    for (i, rec) in reader.deserialize::<Row>().enumerate() {
        let row = rec.unwrap_or_else(|e| panic!("{}: row {}: {e}", path.display(), i + 2));
        let instrument: Instrument = row
            .instrument
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", row.state));
        let events = TreatyEvents {
            signed: row.signed,
            deposited: Some(row.deposited),
            instrument: Some(instrument),
            succession_date: row.succession_date,
            withdrawal_deposited: row
                .withdrawal_deposited
                .or_else(|| withdrawn.get(&row.iso3).copied()),
            armed_conflicts: Vec::new(),
        };
        let obligations = obligations(row.deposited, instrument, row.succession_date)
            .unwrap_or_else(|e| panic!("{}: {e}", row.state));
        let iso = row.iso3.clone();
        let prev = out.insert(
            iso.clone(),
            Party {
                row,
                events,
                obligations,
            },
        );
        assert!(prev.is_none(), "duplicate {iso}");
    }
    out
}

#[test]
fn every_row_satisfies_the_invariants() {
    let parties = load();
    assert!(parties.len() >= 166, "{} rows", parties.len());
    for p in parties.values() {
        let o = &p.obligations;
        let name = &p.row.state;
        let eif = o.entry_into_force;
        assert!(eif >= GLOBAL_ENTRY_INTO_FORCE, "{name}: {eif}");
        if p.row.succession_date.is_none() {
            assert_eq!(eif.day(), 1, "{name}: entry into force {eif} not the 1st");
            assert!(eif > p.row.deposited, "{name}: in force before deposit");
        }
        if p.row.deposited <= FORTIETH_DEPOSIT {
            assert_eq!(eif, GLOBAL_ENTRY_INTO_FORCE, "{name}");
            assert_eq!(o.basis[0].article, "17(1)", "{name}");
        }
        assert!(eif < o.initial_report_due, "{name}");
        assert!(
            o.initial_report_due < o.stockpile_destruction_deadline,
            "{name}"
        );
        assert!(
            o.stockpile_destruction_deadline < o.clearance_deadline,
            "{name}"
        );
        assert_eq!((o.initial_report_due - eif).num_days(), 180, "{name}");
        assert_eq!(
            o.stockpile_destruction_deadline.year() - eif.year(),
            4,
            "{name}"
        );
        assert_eq!(o.clearance_deadline.year() - eif.year(), 10, "{name}");
        for a in ["4", "5(1)", "7(1)"] {
            assert!(
                o.basis.iter().any(|b| b.article == a),
                "{name}: no basis {a}"
            );
        }

        // Status walks forward in time and never goes backwards.
        let first_event = p.row.succession_date.unwrap_or(p.row.deposited);
        let day_before = first_event.pred_opt().unwrap();
        let before = status_as_of(&p.events, day_before).unwrap().status;
        assert!(
            matches!(before, Status::NotSignatory | Status::Signatory),
            "{name}: {before:?} before deposit"
        );
        assert_eq!(
            status_as_of(&p.events, eif).unwrap().status,
            Status::Party,
            "{name} on entry into force"
        );
        if let Some(w) = p.row.withdrawal_deposited {
            assert_eq!(
                status_as_of(&p.events, w).unwrap().status,
                Status::WithdrawalPending
            );
            let ruling = status_as_of(&p.events, w).unwrap().withdrawal.unwrap();
            let effective = ruling.effective.unwrap();
            assert_eq!(
                status_as_of(&p.events, effective).unwrap().status,
                Status::Withdrawn
            );
        }
    }
}

#[test]
fn exactly_forty_instruments_by_16_september_1998() {
    let parties = load();
    let first: Vec<_> = parties
        .values()
        .filter(|p| p.row.deposited <= FORTIETH_DEPOSIT)
        .collect();
    assert_eq!(first.len(), 40);
    let on_opening_day = parties
        .values()
        .filter(|p| {
            status_as_of(&p.events, d("1997-12-03")).unwrap().status
                == Status::PendingEntryIntoForce
        })
        .count();
    assert_eq!(on_opening_day, 3); // Canada, Ireland, Mauritius
}

#[test]
fn known_dates() {
    let parties = load();
    let eif = |iso: &str| parties[iso].obligations.entry_into_force;
    assert_eq!(eif("CAN"), d("1999-03-01"));
    assert_eq!(eif("BFA"), d("1999-03-01")); // the 40th instrument
    assert_eq!(eif("SSD"), d("2011-07-09")); // South Sudan, by succession
    assert_eq!(
        parties["SSD"].obligations.clearance_deadline,
        d("2021-07-09")
    );
    assert_eq!(eif("MHL"), d("2025-09-01")); // Marshall Islands, 2025
    assert_eq!(eif("TON"), d("2025-12-01")); // Tonga, 2025
    assert_eq!(eif("AFG"), d("2003-03-01"));
    assert_eq!(
        parties["AFG"].obligations.clearance_deadline,
        d("2013-03-01")
    );
    assert_eq!(eif("UKR"), d("2006-06-01"));
    assert_eq!(
        parties["UKR"].obligations.stockpile_destruction_deadline,
        d("2010-06-01")
    );
}

#[test]
fn the_2025_withdrawals() {
    let parties = load();
    let status = |iso: &str, on: &str| status_as_of(&parties[iso].events, d(on)).unwrap();
    for iso in ["EST", "LVA", "LTU"] {
        assert_eq!(
            status(iso, "2025-11-01").status,
            Status::WithdrawalPending,
            "{iso}"
        );
        let s = status(iso, "2025-12-27");
        assert_eq!(s.status, Status::Withdrawn, "{iso}");
        assert_eq!(s.withdrawal.unwrap().effective, Some(d("2025-12-27")));
    }
    assert_eq!(
        status("FIN", "2026-01-09").status,
        Status::WithdrawalPending
    );
    assert_eq!(status("FIN", "2026-01-10").status, Status::Withdrawn);
    assert_eq!(
        status("POL", "2026-02-19").status,
        Status::WithdrawalPending
    );
    assert_eq!(status("POL", "2026-02-20").status, Status::Withdrawn);
    // Ukraine announced a withdrawal but no deposit is recorded: still a party.
    assert_eq!(status("UKR", "2026-11-21").status, Status::Party);
}

#[test]
fn world_on_entry_into_force_day() {
    let parties = load();
    let on = d("1999-03-01");
    let bound = parties
        .values()
        .filter(|p| status_as_of(&p.events, on).unwrap().status == Status::Party)
        .count();
    let expected = parties
        .values()
        .filter(|p| p.row.deposited < d("1998-10-01"))
        .count();
    assert_eq!(bound, expected);
}
