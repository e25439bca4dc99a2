//! Entry into force (Art. 17) and the deadlines that run from it (Arts. 4, 5(1), 7).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::dates::{add_days, add_months, add_years, first_of_nth_month_after, ymd};
use crate::{Basis, Instrument, TreatyError};

#[allow(clippy::panic)] // evaluated at compile time: a bad constant fails the build, not a run
const fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => panic!("invalid constant date"),
    }
}

/// The Convention opened for signature at Ottawa on 3 December 1997 (Art. 15); Canada, Ireland
/// and Mauritius deposited their ratifications that day. No instrument can predate it.
pub const OPENED_FOR_SIGNATURE: NaiveDate = date(1997, 12, 3);
/// The 40th instrument of ratification, acceptance, approval or accession (Burkina Faso's) was
/// deposited on 16 September 1998 (Art. 17(1)).
pub const FORTIETH_DEPOSIT: NaiveDate = date(1998, 9, 16);
/// The first day of the sixth month after the month of the 40th deposit: 1 March 1999.
pub const GLOBAL_ENTRY_INTO_FORCE: NaiveDate = date(1999, 3, 1);

/// Years after entry into force to destroy stockpiles (Art. 4).
pub const STOCKPILE_YEARS: u32 = 4;
/// Years after entry into force to destroy mines in mined areas (Art. 5(1)).
pub const CLEARANCE_YEARS: u32 = 10;
/// Days after entry into force for the initial transparency report (Art. 7(1)).
pub const INITIAL_REPORT_DAYS: u64 = 180;
/// Months after discovery to destroy a stockpile found after the Art. 4 deadline (Fourth Review
/// Conference, Oslo, 2019).
pub const DISCOVERED_STOCKPILE_MONTHS: u32 = 6;

/// A State's deadlines, all computed from its entry into force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Obligations {
    /// When the Convention entered (or enters) into force for the State (Art. 17).
    pub entry_into_force: NaiveDate,
    /// Art. 4: destroy stockpiled anti-personnel mines; entry into force + 4 years, no extension.
    pub stockpile_destruction_deadline: NaiveDate,
    /// Art. 5(1): destroy anti-personnel mines in mined areas; entry into force + 10 years,
    /// before any extension granted under Art. 5(3)-(6).
    pub clearance_deadline: NaiveDate,
    /// Art. 7(1): the initial transparency report; entry into force + 180 days.
    pub initial_report_due: NaiveDate,
    /// The articles each date rests on.
    pub basis: Vec<Basis>,
}

/// When the Convention enters into force for a State that deposited an instrument on `deposited`.
///
/// - Deposits up to and including the 40th (16 September 1998): 1 March 1999 (Art. 17(1)).
/// - Later deposits: the first day of the sixth month after the month of deposit (Art. 17(2)).
/// - Succession with a `succession_date`: the State is bound from that date (the law of State
///   succession to treaties, as the depositary recorded for South Sudan), but never before the
///   Convention itself was in force (1 March 1999). Without a succession date, the Art. 17(2)
///   rule is applied to the date of the notification.
///
/// Errors: a deposit before the Convention opened for signature (3 December 1997), a succession
/// date with another kind of instrument, or a succession date after the notification.
pub fn entry_into_force(
    deposited: NaiveDate,
    instrument: Instrument,
    succession_date: Option<NaiveDate>,
) -> Result<(NaiveDate, Vec<Basis>), TreatyError> {
    if deposited < OPENED_FOR_SIGNATURE {
        return Err(TreatyError::DateTooEarly {
            field: "deposited".into(),
            date: deposited,
            limit: OPENED_FOR_SIGNATURE,
            reason: "the Convention opened for signature on 3 December 1997 (Art. 15) and no \
                     instrument could be deposited before it"
                .into(),
        });
    }
    if let Some(succeeded) = succession_date {
        if instrument != Instrument::Succession {
            return Err(TreatyError::InvalidEvents {
                reason: format!(
                    "succession_date {succeeded} is given but the instrument is {instrument}; \
                     only a notification of succession binds a State from an earlier date"
                ),
            });
        }
        if succeeded > deposited {
            return Err(TreatyError::InvalidEvents {
                reason: format!(
                    "succession_date {succeeded} is after the notification of succession was \
                     deposited ({deposited}); a State succeeds before it notifies"
                ),
            });
        }
        let mut basis = vec![Basis::new(
            "17",
            format!(
                "{instrument} notified on {deposited}: the successor State is bound from the date \
                 of succession, {succeeded}, as recorded by the depositary"
            ),
        )];
        let eif = if succeeded < GLOBAL_ENTRY_INTO_FORCE {
            basis.push(Basis::new(
                "17(1)",
                "the date of succession precedes the Convention's own entry into force on \
                 1 March 1999, so the State is bound from 1 March 1999",
            ));
            GLOBAL_ENTRY_INTO_FORCE
        } else {
            succeeded
        };
        return Ok((eif, basis));
    }

    let mut basis = Vec::new();
    if instrument == Instrument::Succession {
        basis.push(Basis::new(
            "17",
            format!(
                "notification of succession deposited on {deposited} with no date of succession \
                 given: the general rule for instruments is applied to the date of notification"
            ),
        ));
    }
    if deposited <= FORTIETH_DEPOSIT {
        basis.push(Basis::new(
            "17(1)",
            format!(
                "instrument deposited on {deposited}, on or before the 40th instrument \
                 (16 September 1998): in force on the first day of the sixth month after the month \
                 of the 40th deposit, 1 March 1999"
            ),
        ));
        Ok((GLOBAL_ENTRY_INTO_FORCE, basis))
    } else {
        let eif = first_of_nth_month_after(deposited, 6, "entry into force")?;
        basis.push(Basis::new(
            "17(2)",
            format!(
                "instrument deposited on {deposited}, after the 40th instrument: in force on the \
                 first day of the sixth month after the month of deposit, {eif}"
            ),
        ));
        Ok((eif, basis))
    }
}

/// Entry into force and the deadlines that run from it (Arts. 4, 5(1), 7(1), 17).
pub fn obligations(
    deposited: NaiveDate,
    instrument: Instrument,
    succession_date: Option<NaiveDate>,
) -> Result<Obligations, TreatyError> {
    let (eif, mut basis) = entry_into_force(deposited, instrument, succession_date)?;
    let stockpile = add_years(eif, STOCKPILE_YEARS, "stockpile destruction deadline")?;
    let clearance = add_years(eif, CLEARANCE_YEARS, "clearance deadline")?;
    let report = add_days(eif, INITIAL_REPORT_DAYS, "initial report due date")?;
    basis.push(Basis::new(
        "4",
        format!(
            "destroy all stockpiled anti-personnel mines as soon as possible and not later than \
             four years after entry into force: {stockpile}; the Convention provides no extension"
        ),
    ));
    basis.push(Basis::new(
        "5(1)",
        format!(
            "destroy all anti-personnel mines in mined areas under its jurisdiction or control as \
             soon as possible and not later than ten years after entry into force: {clearance} \
             (may be extended under Art. 5(3)-(6))"
        ),
    ));
    basis.push(Basis::new(
        "7(1)",
        format!(
            "initial transparency report to the Secretary-General as soon as practicable and not \
             later than 180 days after entry into force: {report}"
        ),
    ));
    Ok(Obligations {
        entry_into_force: eif,
        stockpile_destruction_deadline: stockpile,
        clearance_deadline: clearance,
        initial_report_due: report,
        basis,
    })
}

/// The annual transparency update due in `year` (Art. 7(2)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualReportDue {
    /// The year in which the update is due.
    pub year: i32,
    /// 30 April of `year`.
    pub due: NaiveDate,
    /// 1 January of the previous year.
    pub covers_from: NaiveDate,
    /// 31 December of the previous year.
    pub covers_to: NaiveDate,
    /// The articles the answer rests on.
    pub basis: Vec<Basis>,
}

/// The annual update due in `year`: 30 April, covering the previous calendar year (Art. 7(2)).
///
/// The first update was due on 30 April 2000 (covering 1999, the year the Convention entered into
/// force), so years before 2000 are refused.
pub fn annual_report_due(year: i32) -> Result<AnnualReportDue, TreatyError> {
    let first = GLOBAL_ENTRY_INTO_FORCE.year() + 1;
    if year < first {
        return Err(TreatyError::YearOutOfRange {
            year,
            reason: format!(
                "the Convention entered into force on 1 March 1999, so the first annual update \
                 (Art. 7(2)) was due on 30 April {first}"
            ),
        });
    }
    let out_of_range = || TreatyError::YearOutOfRange {
        year,
        reason: "beyond the calendar range the engine supports".into(),
    };
    let due = ymd(year, 4, 30).ok_or_else(out_of_range)?;
    let covers_from = ymd(year - 1, 1, 1).ok_or_else(out_of_range)?;
    let covers_to = ymd(year - 1, 12, 31).ok_or_else(out_of_range)?;
    Ok(AnnualReportDue {
        year,
        due,
        covers_from,
        covers_to,
        basis: vec![Basis::new(
            "7(2)",
            format!(
                "the information in Art. 7(1) is updated annually, covering the last calendar \
                 year ({}), and reported to the Secretary-General not later than 30 April {year}",
                year - 1
            ),
        )],
    })
}

/// When a stockpile discovered on a given date must be destroyed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockpileDiscovery {
    /// When the stockpile was discovered.
    pub discovered: NaiveDate,
    /// The State's Art. 4 deadline.
    pub article_4_deadline: NaiveDate,
    /// Whether the discovery came after the Art. 4 deadline had passed.
    pub after_deadline: bool,
    /// The date by which the discovered mines must be destroyed.
    pub destroy_by: NaiveDate,
    /// The articles and decisions the answer rests on.
    pub basis: Vec<Basis>,
}

/// The destruction deadline for anti-personnel mines found in stock on `discovered`.
///
/// Before or on the Art. 4 deadline, that deadline still governs. After it, the Fourth Review
/// Conference (Oslo, 2019) agreed that a State destroys previously unknown stockpiles as a matter
/// of urgent priority and no later than six months after their discovery.
pub fn discovered_stockpile_deadline(
    discovered: NaiveDate,
    article_4_deadline: NaiveDate,
) -> Result<StockpileDiscovery, TreatyError> {
    if discovered <= article_4_deadline {
        return Ok(StockpileDiscovery {
            discovered,
            article_4_deadline,
            after_deadline: false,
            destroy_by: article_4_deadline,
            basis: vec![Basis::new(
                "4",
                format!(
                    "discovered on {discovered}, before the four-year deadline: the mines are part \
                     of the stockpile Art. 4 requires destroyed by {article_4_deadline}"
                ),
            )],
        });
    }
    let destroy_by = add_months(
        discovered,
        DISCOVERED_STOCKPILE_MONTHS,
        "destruction deadline for a discovered stockpile",
    )?;
    Ok(StockpileDiscovery {
        discovered,
        article_4_deadline,
        after_deadline: true,
        destroy_by,
        basis: vec![
            Basis::new(
                "4",
                format!(
                    "the four-year deadline ({article_4_deadline}) passed before the discovery; \
                     the obligation to destroy all stockpiled anti-personnel mines still applies \
                     and cannot be extended"
                ),
            ),
            Basis::new(
                "4",
                format!(
                    "Fourth Review Conference (Oslo, 2019): previously unknown stockpiles found \
                     after the deadline are reported and destroyed as a matter of urgent priority, \
                     no later than six months after discovery: {destroy_by}"
                ),
            ),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn eif(dep: &str) -> NaiveDate {
        entry_into_force(d(dep), Instrument::Ratification, None)
            .unwrap()
            .0
    }

    #[test]
    fn first_deposits_take_the_global_date() {
        assert_eq!(eif("1997-12-03"), d("1999-03-01"));
        let (date, basis) =
            entry_into_force(d("1998-09-15"), Instrument::Ratification, None).unwrap();
        assert_eq!(date, d("1999-03-01"));
        assert_eq!(basis[0].article, "17(1)");
    }

    #[test]
    fn fortieth_deposit_boundary() {
        let (on, basis_on) =
            entry_into_force(d("1998-09-16"), Instrument::Ratification, None).unwrap();
        assert_eq!(on, d("1999-03-01"));
        assert_eq!(basis_on[0].article, "17(1)");
        // The day after falls under 17(2); its sixth month after September is also March.
        let (after, basis_after) =
            entry_into_force(d("1998-09-17"), Instrument::Accession, None).unwrap();
        assert_eq!(after, d("1999-03-01"));
        assert_eq!(basis_after[0].article, "17(2)");
        assert_eq!(eif("1998-09-30"), d("1999-03-01"));
        assert_eq!(eif("1998-10-01"), d("1999-04-01"));
    }

    #[test]
    fn later_deposits_first_of_sixth_month_after() {
        assert_eq!(eif("2025-03-12"), d("2025-09-01")); // Marshall Islands
        assert_eq!(eif("2025-06-25"), d("2025-12-01")); // Tonga
        assert_eq!(eif("2000-02-29"), d("2000-08-01")); // Albania, a leap-day deposit
        assert_eq!(eif("2001-01-31"), d("2001-07-01"));
        assert_eq!(eif("2002-07-01"), d("2003-01-01")); // across the year
        assert_eq!(eif("2002-12-31"), d("2003-06-01"));
    }

    #[test]
    fn before_opening_is_refused() {
        let err = entry_into_force(d("1997-12-02"), Instrument::Ratification, None).unwrap_err();
        assert!(err.to_string().contains("deposited"), "{err}");
    }

    #[test]
    fn succession_binds_from_the_succession_date() {
        let (date, basis) = entry_into_force(
            d("2011-11-11"),
            Instrument::Succession,
            Some(d("2011-07-09")),
        )
        .unwrap();
        assert_eq!(date, d("2011-07-09"));
        assert_eq!(basis[0].article, "17");
        // Before the Convention itself was in force: bound from 1 March 1999.
        let (early, _) = entry_into_force(
            d("2000-01-10"),
            Instrument::Succession,
            Some(d("1998-06-01")),
        )
        .unwrap();
        assert_eq!(early, d("1999-03-01"));
        // Without a succession date: the 17(2) rule on the notification.
        let (plain, basis) =
            entry_into_force(d("2006-10-23"), Instrument::Succession, None).unwrap();
        assert_eq!(plain, d("2007-04-01"));
        assert_eq!(basis.last().unwrap().article, "17(2)");
    }

    #[test]
    fn succession_date_needs_a_succession_before_the_notification() {
        assert!(
            entry_into_force(
                d("2011-11-11"),
                Instrument::Accession,
                Some(d("2011-07-09"))
            )
            .is_err()
        );
        assert!(
            entry_into_force(
                d("2011-07-01"),
                Instrument::Succession,
                Some(d("2011-07-09"))
            )
            .is_err()
        );
    }

    #[test]
    fn obligations_from_the_global_date() {
        let o = obligations(d("1998-09-16"), Instrument::Ratification, None).unwrap();
        assert_eq!(o.entry_into_force, d("1999-03-01"));
        assert_eq!(o.stockpile_destruction_deadline, d("2003-03-01"));
        assert_eq!(o.clearance_deadline, d("2009-03-01"));
        assert_eq!(o.initial_report_due, d("1999-08-28"));
        let articles: Vec<_> = o.basis.iter().map(|b| b.article.as_str()).collect();
        assert_eq!(articles, ["17(1)", "4", "5(1)", "7(1)"]);
    }

    #[test]
    fn obligations_for_a_leap_day_succession() {
        let o = obligations(
            d("2004-06-01"),
            Instrument::Succession,
            Some(d("2004-02-29")),
        )
        .unwrap();
        assert_eq!(o.entry_into_force, d("2004-02-29"));
        assert_eq!(o.stockpile_destruction_deadline, d("2008-02-29"));
        assert_eq!(o.clearance_deadline, d("2014-02-28"));
        assert_eq!(o.initial_report_due, d("2004-08-27"));
    }

    #[test]
    fn south_sudan() {
        let o = obligations(
            d("2011-11-11"),
            Instrument::Succession,
            Some(d("2011-07-09")),
        )
        .unwrap();
        assert_eq!(o.stockpile_destruction_deadline, d("2015-07-09"));
        assert_eq!(o.clearance_deadline, d("2021-07-09"));
    }

    #[test]
    fn overflow_is_reported_not_panicked() {
        let far = NaiveDate::MAX;
        assert!(matches!(
            obligations(far, Instrument::Accession, None),
            Err(TreatyError::DateOverflow { .. })
        ));
        let late = NaiveDate::from_ymd_opt(262_140, 1, 1).unwrap();
        assert!(matches!(
            obligations(late, Instrument::Accession, None),
            Err(TreatyError::DateOverflow { .. })
        ));
    }

    #[test]
    fn annual_update() {
        let r = annual_report_due(2024).unwrap();
        assert_eq!(r.due, d("2024-04-30"));
        assert_eq!(r.covers_from, d("2023-01-01"));
        assert_eq!(r.covers_to, d("2023-12-31"));
        assert_eq!(r.basis[0].article, "7(2)");
        assert_eq!(
            annual_report_due(2000).unwrap().covers_from,
            d("1999-01-01")
        );
        assert!(matches!(
            annual_report_due(1999),
            Err(TreatyError::YearOutOfRange { year: 1999, .. })
        ));
        assert!(annual_report_due(i32::MAX).is_err());
    }

    #[test]
    fn discovered_stockpiles() {
        let before = discovered_stockpile_deadline(d("2002-05-05"), d("2003-03-01")).unwrap();
        assert!(!before.after_deadline);
        assert_eq!(before.destroy_by, d("2003-03-01"));
        let after = discovered_stockpile_deadline(d("2020-08-31"), d("2003-03-01")).unwrap();
        assert!(after.after_deadline);
        assert_eq!(after.destroy_by, d("2021-02-28"));
        let on = discovered_stockpile_deadline(d("2003-03-01"), d("2003-03-01")).unwrap();
        assert!(!on.after_deadline);
    }
}
