//! Property tests for the core types and the compliance rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Duration, NaiveDate};
use demine_core::compliance::{ComplianceStatus, Dated, Evidence, TreatyDates, assess};
use demine_core::schema::{Kind, Value, parse_field};
use demine_core::{Iso3, PartialDate};
use proptest::prelude::*;

fn date() -> impl Strategy<Value = NaiveDate> {
    (0i64..20_000).prop_map(|d| NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + Duration::days(d))
}

fn dates(eif: NaiveDate) -> TreatyDates {
    TreatyDates {
        entry_into_force: eif,
        stockpile_destruction_deadline: eif + Duration::days(4 * 365),
        clearance_deadline: Some(eif + Duration::days(10 * 365)),
        initial_report_due: eif + Duration::days(180),
        basis: vec![],
        clearance_basis: vec![],
        clearance_flags: vec![],
        withdrawn_on: None,
        annual_report: None,
    }
}

proptest! {
    #[test]
    fn partial_dates_round_trip(d in date(), precision in 0u8..3) {
        let text = match precision {
            0 => d.format("%Y").to_string(),
            1 => d.format("%Y-%m").to_string(),
            _ => d.format("%Y-%m-%d").to_string(),
        };
        let p: PartialDate = text.parse().unwrap();
        prop_assert_eq!(p.to_string(), text);
        prop_assert!(p.start() <= d && d <= p.end());
    }

    #[test]
    fn iso3_accepts_exactly_three_letters(s in "[A-Za-z0-9]{0,5}") {
        let ok = s.len() == 3 && s.chars().all(|c| c.is_ascii_alphabetic());
        prop_assert_eq!(s.parse::<Iso3>().is_ok(), ok);
    }

    #[test]
    fn fields_never_panic_and_valid_ones_round_trip(raw in "\\PC{0,12}") {
        for kind in Kind::ALL {
            for col in kind.table().columns {
                if let Ok(v) = parse_field(col, &raw) {
                    // What parses, printed and parsed again, is the same value.
                    let again = parse_field(col, &v.to_text());
                    if v != Value::Null {
                        prop_assert_eq!(again.unwrap(), v);
                    }
                }
            }
        }
    }

    /// Without evidence an obligation is pending up to its deadline and unknown after it (no
    /// record is not a fact: never overdue without a record that says so); with
    /// evidence dated on or before the day asked about, it is met, and stays met.
    #[test]
    fn status_follows_the_deadline(eif in date(), ask in date(), done in proptest::option::of(date())) {
        let d = dates(eif);
        let ev = Evidence {
            initial_report: done.map(|x| Dated { date: PartialDate::Day(x), source: "s".into() }).into_iter().collect(),
            ..Evidence::default()
        };
        let got = assess(ask, Some(&d), &ev);
        let initial = got.iter().find(|o| o.obligation == "initial-transparency-report").unwrap();
        let expected = match done {
            Some(x) if x <= ask && x <= d.initial_report_due => ComplianceStatus::Met,
            Some(x) if x <= ask => ComplianceStatus::MetLate,
            _ if ask <= d.initial_report_due => ComplianceStatus::Pending,
            _ => ComplianceStatus::Unknown,
        };
        prop_assert_eq!(initial.status, expected);
        prop_assert_ne!(initial.status, ComplianceStatus::Overdue);
        if matches!(expected, ComplianceStatus::Met | ComplianceStatus::MetLate) {
            let later = assess(ask + Duration::days(1000), Some(&d), &ev);
            let again = later.iter().find(|o| o.obligation == "initial-transparency-report").unwrap();
            prop_assert_eq!(again.status, expected);
        }
    }
}
