//! Calendar arithmetic for treaty periods.
//!
//! The Convention counts periods in months ("the first day of the sixth month", "six months after"),
//! years ("four years", "ten years") and days ("180 days"). The engine's rules:
//!
//! - **Months and years keep the day of the month.** 12 March + 6 months = 12 September; a year is
//!   twelve months.
//! - **A day the target month lacks falls back to that month's last day.** 31 August + 6 months =
//!   28 February (29 in a leap year); 31 January + 1 month = 28/29 February; 29 February 2000 +
//!   4 years = 29 February 2004, but 29 February 2004 + 10 years = 28 February 2014.
//!
//!   Why 28 February and not 1 March: the Convention's deadlines are "not later than" a period
//!   after a date. Where the anniversary does not exist, 28 February is the last day that lies
//!   within the period on every reading; 1 March would grant a day the text does not clearly give.
//!   The same fallback is what `chrono`'s month arithmetic and ISO 8601 calendar durations do, so
//!   other systems built on them agree with us. (Entry into force is almost always the first of a
//!   month, so in practice this matters for succession dates, withdrawals and discoveries.)
//! - **Days are counted from the day after the starting date**: entry into force on 1 March 1999 +
//!   180 days = 28 August 1999.

use chrono::{Datelike, Days, Months, NaiveDate};

use crate::TreatyError;

/// `date` plus `months` calendar months, falling back to the last day of a shorter month.
pub fn add_months(date: NaiveDate, months: u32, what: &str) -> Result<NaiveDate, TreatyError> {
    date.checked_add_months(Months::new(months))
        .ok_or_else(|| overflow(what, date))
}

/// `date` plus `years` calendar years (29 February falls back to 28 February).
pub fn add_years(date: NaiveDate, years: u32, what: &str) -> Result<NaiveDate, TreatyError> {
    let months = years.checked_mul(12).ok_or_else(|| overflow(what, date))?;
    add_months(date, months, what)
}

/// `date` plus `days` days.
pub fn add_days(date: NaiveDate, days: u64, what: &str) -> Result<NaiveDate, TreatyError> {
    date.checked_add_days(Days::new(days))
        .ok_or_else(|| overflow(what, date))
}

/// The first day of the `n`th month after the month containing `date` (Art. 17's rule).
pub fn first_of_nth_month_after(
    date: NaiveDate,
    n: u32,
    what: &str,
) -> Result<NaiveDate, TreatyError> {
    let first = date.with_day(1).ok_or_else(|| overflow(what, date))?;
    add_months(first, n, what)
}

/// A calendar date, or `None` when the year, month and day do not form one.
pub fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

fn overflow(what: &str, date: NaiveDate) -> TreatyError {
    TreatyError::DateOverflow {
        what: what.to_string(),
        date,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn thirty_first_of_january_plus_months_falls_back_to_month_end() {
        assert_eq!(
            add_months(d("1999-01-31"), 1, "t").unwrap(),
            d("1999-02-28")
        );
        assert_eq!(
            add_months(d("2000-01-31"), 1, "t").unwrap(),
            d("2000-02-29")
        );
        assert_eq!(
            add_months(d("1999-01-31"), 3, "t").unwrap(),
            d("1999-04-30")
        );
        assert_eq!(
            add_months(d("1999-01-31"), 6, "t").unwrap(),
            d("1999-07-31")
        );
        assert_eq!(
            add_months(d("1999-08-31"), 6, "t").unwrap(),
            d("2000-02-29")
        );
    }

    #[test]
    fn leap_day_plus_years_is_28_february_unless_leap() {
        assert_eq!(add_years(d("2000-02-29"), 4, "t").unwrap(), d("2004-02-29"));
        assert_eq!(
            add_years(d("2004-02-29"), 10, "t").unwrap(),
            d("2014-02-28")
        );
        assert_eq!(add_years(d("2096-02-29"), 4, "t").unwrap(), d("2100-02-28"));
    }

    #[test]
    fn first_of_sixth_month_after() {
        assert_eq!(
            first_of_nth_month_after(d("1998-09-16"), 6, "t").unwrap(),
            d("1999-03-01")
        );
        assert_eq!(
            first_of_nth_month_after(d("1999-12-31"), 6, "t").unwrap(),
            d("2000-06-01")
        );
        assert_eq!(
            first_of_nth_month_after(d("2025-06-25"), 6, "t").unwrap(),
            d("2025-12-01")
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let err = add_years(NaiveDate::MAX, 4, "stockpile deadline").unwrap_err();
        assert!(matches!(err, TreatyError::DateOverflow { .. }));
        assert!(add_days(NaiveDate::MAX, 1, "x").is_err());
        assert!(add_years(d("2000-01-01"), u32::MAX, "x").is_err());
    }

    #[test]
    fn days_count_from_the_day_after() {
        assert_eq!(
            add_days(d("1999-03-01"), 180, "t").unwrap(),
            d("1999-08-28")
        );
    }

    #[test]
    fn ymd_rejects_impossible_dates() {
        assert!(ymd(2023, 2, 30).is_none());
        assert!(ymd(2024, 2, 29).is_some());
    }
}
