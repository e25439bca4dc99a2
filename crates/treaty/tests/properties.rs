//! Property tests for the date rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use chrono::{Datelike, Days, NaiveDate};
use demine_treaty::{
    Instrument, OPENED_FOR_SIGNATURE, annual_report_due, entry_into_force, obligations, withdrawal,
};
use proptest::prelude::*;

fn any_deposit() -> impl Strategy<Value = NaiveDate> {
    // From the opening for signature to the end of the 22nd century.
    (0u64..75_000).prop_map(|n| OPENED_FOR_SIGNATURE.checked_add_days(Days::new(n)).unwrap())
}

fn any_withdrawal() -> impl Strategy<Value = NaiveDate> {
    (0u64..75_000).prop_map(|n| {
        demine_treaty::GLOBAL_ENTRY_INTO_FORCE
            .checked_add_days(Days::new(n))
            .unwrap()
    })
}

fn any_instrument() -> impl Strategy<Value = Instrument> {
    prop::sample::select(Instrument::ALL.to_vec())
}

proptest! {
    #[test]
    fn entry_into_force_is_a_first_of_month_never_before_deposit(
        dep in any_deposit(), inst in any_instrument()
    ) {
        let (eif, basis) = entry_into_force(dep, inst, None).unwrap();
        prop_assert_eq!(eif.day(), 1);
        prop_assert!(eif > dep);
        prop_assert!(!basis.is_empty());
        // At most six months and a bit after deposit (or the global date).
        prop_assert!(eif <= dep.checked_add_days(Days::new(184)).unwrap()
            || eif == demine_treaty::GLOBAL_ENTRY_INTO_FORCE);
    }

    #[test]
    fn succession_binds_on_the_succession_date_after_1999(
        dep in any_deposit(), back in 0u64..2_000
    ) {
        let succeeded = dep.checked_sub_days(Days::new(back)).unwrap();
        let (eif, _) = entry_into_force(dep, Instrument::Succession, Some(succeeded)).unwrap();
        prop_assert_eq!(eif, succeeded.max(demine_treaty::GLOBAL_ENTRY_INTO_FORCE));
        prop_assert!(eif <= dep.max(demine_treaty::GLOBAL_ENTRY_INTO_FORCE));
    }

    #[test]
    fn deadlines_are_monotonic_in_the_deposit_date(
        a in any_deposit(), b in any_deposit(), inst in any_instrument()
    ) {
        let (early, late) = if a <= b { (a, b) } else { (b, a) };
        let x = obligations(early, inst, None).unwrap();
        let y = obligations(late, inst, None).unwrap();
        prop_assert!(x.entry_into_force <= y.entry_into_force);
        prop_assert!(x.initial_report_due <= y.initial_report_due);
        prop_assert!(x.stockpile_destruction_deadline <= y.stockpile_destruction_deadline);
        prop_assert!(x.clearance_deadline <= y.clearance_deadline);
        prop_assert!(x.entry_into_force < x.initial_report_due);
        prop_assert!(x.initial_report_due < x.stockpile_destruction_deadline);
        prop_assert!(x.stockpile_destruction_deadline < x.clearance_deadline);
    }

    #[test]
    fn withdrawal_without_conflict_is_six_months_on(dep in any_withdrawal()) {
        let r = withdrawal(dep, &[]).unwrap();
        let eff = r.effective.unwrap();
        prop_assert_eq!(eff, r.earliest_effective);
        let months = (eff.year() - dep.year()) * 12 + eff.month() as i32 - dep.month() as i32;
        prop_assert_eq!(months, 6);
        prop_assert!(eff.day() <= dep.day());
    }

    #[test]
    fn annual_report_covers_the_previous_year(year in 2000i32..3000) {
        let r = annual_report_due(year).unwrap();
        prop_assert_eq!(r.due.year(), year);
        prop_assert_eq!((r.due.month(), r.due.day()), (4, 30));
        prop_assert_eq!(r.covers_from.year(), year - 1);
        prop_assert_eq!(r.covers_to.succ_opt().unwrap(), NaiveDate::from_ymd_opt(year, 1, 1).unwrap());
    }
}
