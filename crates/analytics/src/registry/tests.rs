//! The registry's views over small hand-made records, and the rules they keep whatever the
//! records (proptest).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn state(code: &str, universe: bool) -> StateRecord {
    StateRecord {
        iso3: code.parse().unwrap(),
        name: format!("State {code}"),
        un_member: universe,
        treaty_universe: universe,
        source: "src-states".into(),
    }
}

fn event(code: &str, kind: &str, day: NaiveDate) -> TreatyEvent {
    TreatyEvent {
        iso3: code.parse().unwrap(),
        event: kind.into(),
        date: PartialDate::Day(day),
        end_date: None,
        instrument: (kind == "deposit").then(|| "ratification".to_string()),
        succession_date: None,
        meeting: None,
        source: format!("src-{code}-{kind}"),
        note: None,
    }
}

fn report(code: &str, kind: &str, year: i32, received: NaiveDate) -> TransparencyReport {
    TransparencyReport {
        iso3: code.parse().unwrap(),
        kind: kind.into(),
        year,
        received: PartialDate::Day(received),
        source: format!("src-{code}-report-{year}"),
        note: None,
    }
}

fn estimate(subject: &str, iso3: Option<&str>, measure: &str, day: &str) -> Estimate {
    Estimate {
        subject: subject.into(),
        iso3: iso3.map(|c| c.parse().unwrap()),
        measure: measure.into(),
        low: 1.0,
        high: 2.0,
        unit: "km2".into(),
        as_of: PartialDate::Day(d(day)),
        source: format!("src-{subject}-{measure}-{day}"),
        note: None,
    }
}

fn source(id: &str) -> SourceRecord {
    SourceRecord {
        id: id.into(),
        title: id.into(),
        publisher: "p".into(),
        year: None,
        url: "https://example.org".into(),
    }
}

/// Three States (one bound since 2000, one signatory only, one with no record at all) and a
/// territory outside the treaty universe.
fn small() -> RegistryRecords {
    RegistryRecords {
        states: vec![
            state("AAA", true),
            state("BBB", true),
            state("CCC", true),
            state("TTT", false),
        ],
        events: vec![
            event("AAA", "signature", d("1997-12-03")),
            event("AAA", "deposit", d("2000-01-10")),
            event("BBB", "signature", d("1997-12-04")),
        ],
        reports: vec![report("AAA", "initial", 2000, d("2000-11-01"))],
        estimates: vec![
            estimate("World", None, "mines_emplaced", "1997-01-01"),
            estimate("World", None, "mines_emplaced", "2005-01-01"),
            estimate("AAA", Some("AAA"), "ap_contamination_km2", "2010-01-01"),
        ],
        sources: vec![
            source("src-World-mines_emplaced-2005-01-01"),
            source("src-AAA-deposit"),
            source("src-unrelated"),
        ],
        ..RegistryRecords::default()
    }
}

#[test]
fn standing_follows_the_events_known_by_the_day() {
    let recs = small();
    let before = states(&recs, d("2000-03-01"), None, false).unwrap();
    assert_eq!(
        before.iter().map(|r| r.iso3.as_str()).collect::<Vec<_>>(),
        ["AAA", "BBB", "CCC"]
    );
    assert_eq!(before[0].status, "pending-entry-into-force");
    let after = states(&recs, d("2001-01-01"), None, false).unwrap();
    assert_eq!(after[0].status, "party");
    assert_eq!(after[0].entry_into_force, Some(d("2000-07-01")));
    assert_eq!(after[0].clearance_deadline, Some(d("2010-07-01")));
    assert_eq!(after[1].status, "signatory");
    // No record at all: not a signatory, and no date is made up.
    assert_eq!(after[2].status, "not-signatory");
    assert_eq!(after[2].entry_into_force, None);
    assert_eq!(after[2].clearance_deadline, None);
}

#[test]
fn entities_outside_the_universe_only_when_asked_and_filters_apply() {
    let recs = small();
    assert_eq!(states(&recs, d("2001-01-01"), None, true).unwrap().len(), 4);
    let parties = states(&recs, d("2001-01-01"), Some(StatusFilter::Party), false).unwrap();
    assert_eq!(parties.len(), 1);
    let non = states(&recs, d("2001-01-01"), Some(StatusFilter::NonParty), false).unwrap();
    assert_eq!(
        non.iter().map(|r| r.iso3.as_str()).collect::<Vec<_>>(),
        ["BBB", "CCC"]
    );
}

#[test]
fn an_instrument_the_engine_does_not_know_is_an_error_naming_the_state() {
    let mut recs = small();
    recs.events[1].instrument = Some("handshake".into());
    match states(&recs, d("2001-01-01"), None, false) {
        Err(AnalyticsError::Treaty { iso3, .. }) => assert_eq!(iso3, "AAA"),
        other => panic!("expected a treaty error, got {other:?}"),
    }
}

#[test]
fn one_state_in_full_reads_only_its_own_records() {
    let recs = small();
    let a = state_detail(&recs, "aaa", d("2011-01-01")).unwrap();
    assert_eq!(a.row.iso3, "AAA");
    assert_eq!(a.events.len(), 2);
    assert_eq!(a.reports.len(), 1);
    assert_eq!(a.report_record.annual_reports, 0);
    assert_eq!(a.estimates.len(), 1);
    let c = a.contamination.as_ref().unwrap();
    assert_eq!(c.band, "small");
    // Only the sources its records cite.
    assert_eq!(
        a.sources.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["src-AAA-deposit"]
    );
    // The same answer from records loaded for that State alone.
    let mut mine = recs.clone();
    mine.events.retain(|e| e.iso3.as_str() == "AAA");
    mine.reports.retain(|r| r.iso3.as_str() == "AAA");
    assert_eq!(
        serde_json::to_value(state_detail(&mine, "AAA", d("2011-01-01")).unwrap()).unwrap(),
        serde_json::to_value(&a).unwrap()
    );
}

#[test]
fn a_state_not_in_the_records_is_not_found() {
    let recs = small();
    for code in ["ZZZ", "not a code"] {
        assert!(matches!(
            state_detail(&recs, code, d("2011-01-01")),
            Err(AnalyticsError::NotFound { .. })
        ));
    }
}

#[test]
fn a_missing_report_reads_unknown_not_overdue() {
    let recs = small();
    let all = compliance_all(&recs, d("2011-01-01")).unwrap();
    let (row, obs) = &all[0];
    assert_eq!(row.iso3, "AAA");
    let status = |name: &str| {
        obs.iter()
            .find(|o| o.obligation == name)
            .map(|o| o.status)
            .unwrap()
    };
    assert_eq!(status("initial-transparency-report"), ComplianceStatus::Met);
    assert_eq!(status("stockpile-destruction"), ComplianceStatus::Unknown);
    assert_eq!(status("mined-area-clearance"), ComplianceStatus::Unknown);
    for (_, obs) in &all[1..] {
        assert!(
            obs.iter()
                .all(|o| o.status == ComplianceStatus::NotApplicable)
        );
    }
}

#[test]
fn the_world_summary_counts_and_cites() {
    let recs = small();
    let w = world_summary(&recs, d("2010-01-01"), 365).unwrap();
    assert_eq!(w.states, 3);
    assert_eq!(w.status_counts.get("party"), Some(&1));
    // The Art. 5 deadline (2010-07-01) falls within the year.
    assert_eq!(w.upcoming_deadlines.len(), 1);
    assert_eq!(w.upcoming_deadlines[0].obligation, "clearance");
    assert_eq!(w.upcoming_deadlines[0].deadline, d("2010-07-01"));
    // The latest world figure only, and the one source it cites.
    assert_eq!(w.world_estimates.len(), 1);
    assert_eq!(w.world_estimates[0].as_of.start(), d("2005-01-01"));
    assert_eq!(
        w.sources.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["src-World-mines_emplaced-2005-01-01"]
    );
    let short = world_summary(&recs, d("2010-01-01"), 30).unwrap();
    assert!(short.upcoming_deadlines.is_empty());
}

#[test]
fn estimates_by_subject_measure_and_date() {
    let recs = small();
    assert_eq!(
        estimates(&recs.estimates, Some("world"), None, None).len(),
        2
    );
    assert_eq!(estimates(&recs.estimates, Some("aaa"), None, None).len(), 1);
    assert_eq!(
        estimates(
            &recs.estimates,
            None,
            Some("MINES_EMPLACED"),
            Some(d("2000-01-01"))
        )
        .len(),
        1
    );
    assert!(estimates(&[], None, None, None).is_empty());
}

/// Up to six States of the universe, each signed (or not) in the signature period and with an
/// instrument deposited (or not) after it, up to 2030; no other record.
fn arb_records() -> impl Strategy<Value = RegistryRecords> {
    let one = (
        proptest::option::of(0i64..450),
        proptest::option::of(0i64..12_000),
    );
    proptest::collection::vec(one, 0..6).prop_map(|list| {
        let base = d("1997-12-03");
        let mut recs = RegistryRecords::default();
        for (i, (signed, deposited)) in list.into_iter().enumerate() {
            let code = format!("A{}A", char::from(b'A' + i as u8));
            recs.states.push(state(&code, true));
            if let Some(s) = signed {
                recs.events
                    .push(event(&code, "signature", base + chrono::Duration::days(s)));
            }
            if let Some(x) = deposited {
                let mut e = event(
                    &code,
                    "deposit",
                    base + chrono::Duration::days(signed.unwrap_or(0) + x),
                );
                if signed.is_none() {
                    e.instrument = Some("accession".into());
                }
                recs.events.push(e);
            }
        }
        recs
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// With no record of anything done or missed, no obligation reads as met or overdue: each
    /// is pending, unknown or not applicable.
    #[test]
    fn no_record_never_reads_as_met_or_overdue(recs in arb_records(), day in 0i64..14_000) {
        let as_of = d("1997-12-03") + chrono::Duration::days(day);
        for (_, obs) in compliance_all(&recs, as_of).unwrap() {
            for o in obs {
                prop_assert!(
                    matches!(
                        o.status,
                        ComplianceStatus::Pending
                            | ComplianceStatus::Unknown
                            | ComplianceStatus::NotApplicable
                    ),
                    "{} reads {:?} with no record", o.obligation, o.status
                );
            }
        }
    }

    /// The world summary's totals add up: every State is counted once by status, and once per
    /// obligation by compliance status, as `states` and `compliance_all` give them.
    #[test]
    fn world_totals_add_up(recs in arb_records(), day in 0i64..14_000) {
        let as_of = d("1997-12-03") + chrono::Duration::days(day);
        let w = world_summary(&recs, as_of, 365).unwrap();
        let rows = states(&recs, as_of, None, false).unwrap();
        prop_assert_eq!(w.states, rows.len());
        prop_assert_eq!(w.status_counts.values().sum::<usize>(), rows.len());
        let all = compliance_all(&recs, as_of).unwrap();
        prop_assert_eq!(all.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>(), rows);
        for name in compliance::OBLIGATIONS {
            let counted = w.compliance_counts.get(name).map_or(0, |m| m.values().sum());
            prop_assert_eq!(counted, all.len());
            for (status, n) in w.compliance_counts.get(name).into_iter().flatten() {
                let direct = all
                    .iter()
                    .filter(|(_, obs)| {
                        obs.iter().any(|o| o.obligation == name && o.status.as_str() == status)
                    })
                    .count();
                prop_assert_eq!(*n, direct);
            }
        }
        for u in &w.upcoming_deadlines {
            prop_assert!(u.deadline >= as_of && u.deadline <= as_of + chrono::Duration::days(365));
        }
    }
}
