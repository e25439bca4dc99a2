//! Withdrawal (Art. 20).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::dates::add_months;
use crate::entry::GLOBAL_ENTRY_INTO_FORCE;
use crate::{Basis, TreatyError};

/// Months between the depositary's receipt of an instrument of withdrawal and its effect.
pub const WITHDRAWAL_MONTHS: u32 = 6;

/// An armed conflict in which a State is engaged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmedConflict {
    /// When the State became engaged in it.
    pub began: NaiveDate,
    /// When it ended; `None` while it continues.
    pub ended: Option<NaiveDate>,
}

impl ArmedConflict {
    /// Whether the State is engaged in this conflict on `day`.
    fn engaged_on(&self, day: NaiveDate) -> bool {
        self.began <= day && self.ended.is_none_or(|end| end > day)
    }
}

/// When a withdrawal takes effect, or why it does not yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalRuling {
    /// When the depositary received the instrument of withdrawal.
    pub deposited: NaiveDate,
    /// Six months after the deposit (Art. 20(3)).
    pub earliest_effective: NaiveDate,
    /// When it takes effect; `None` while pending (an armed conflict has not ended).
    pub effective: Option<NaiveDate>,
    /// Why it is pending, when it is.
    pub pending_reason: Option<String>,
    /// The articles the answer rests on.
    pub basis: Vec<Basis>,
}

/// When a withdrawal deposited on `deposited` takes effect (Art. 20(3)).
///
/// Six months after the depositary receives the instrument. If on the expiry of those six months
/// the State is engaged in an armed conflict, the withdrawal does not take effect before the end
/// of the conflict. The engine reads "the end of the armed conflict" as the first day on which the
/// State is engaged in none of the conflicts given (overlapping or back-to-back conflicts keep it
/// pending), and takes that day itself (the conflict's `ended` date) as the effective date.
/// A conflict that began after the six months had expired does not affect a withdrawal that has
/// already taken effect.
pub fn withdrawal(
    deposited: NaiveDate,
    conflicts: &[ArmedConflict],
) -> Result<WithdrawalRuling, TreatyError> {
    if deposited < GLOBAL_ENTRY_INTO_FORCE {
        return Err(TreatyError::DateTooEarly {
            field: "deposited".into(),
            date: deposited,
            limit: GLOBAL_ENTRY_INTO_FORCE,
            reason: "only a State Party can withdraw (Art. 20(2)) and the Convention bound no \
                     State before it entered into force on 1 March 1999"
                .into(),
        });
    }
    for (i, c) in conflicts.iter().enumerate() {
        if let Some(end) = c.ended
            && end < c.began
        {
            return Err(TreatyError::InvalidConflict {
                index: i + 1,
                reason: format!("ended ({end}) is before began ({})", c.began),
            });
        }
    }
    let expiry = add_months(deposited, WITHDRAWAL_MONTHS, "withdrawal effective date")?;
    let mut basis = vec![Basis::new(
        "20(2)",
        format!("instrument of withdrawal received by the depositary on {deposited}"),
    )];
    basis.push(Basis::new(
        "20(3)",
        format!("a withdrawal takes effect six months after the depositary receives it: {expiry}"),
    ));

    // Walk forward from the expiry while some conflict is under way.
    let mut day = expiry;
    let mut engaged_at_expiry = false;
    loop {
        let current: Vec<&ArmedConflict> = conflicts.iter().filter(|c| c.engaged_on(day)).collect();
        if current.is_empty() {
            break;
        }
        engaged_at_expiry = true;
        if let Some(open) = current.iter().find(|c| c.ended.is_none()) {
            let reason = format!(
                "on the expiry of the six months ({expiry}) the State is engaged in an armed \
                 conflict (since {}) that has not ended; the withdrawal does not take effect \
                 before the end of the armed conflict",
                open.began
            );
            basis.push(Basis::new("20(3)", reason.clone()));
            return Ok(WithdrawalRuling {
                deposited,
                earliest_effective: expiry,
                effective: None,
                pending_reason: Some(reason),
                basis,
            });
        }
        // Every current conflict has an end; move to the latest of them and look again.
        day = current.iter().filter_map(|c| c.ended).max().unwrap_or(day);
    }
    if engaged_at_expiry {
        basis.push(Basis::new(
            "20(3)",
            format!(
                "the State was engaged in an armed conflict on the expiry of the six months \
                 ({expiry}); the withdrawal takes effect at the end of the armed conflict, {day}"
            ),
        ));
    }
    Ok(WithdrawalRuling {
        deposited,
        earliest_effective: expiry,
        effective: Some(day),
        pending_reason: None,
        basis,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn six_months_without_conflict() {
        let r = withdrawal(d("2025-06-27"), &[]).unwrap();
        assert_eq!(r.earliest_effective, d("2025-12-27"));
        assert_eq!(r.effective, Some(d("2025-12-27")));
        assert!(r.pending_reason.is_none());
        assert!(r.basis.iter().any(|b| b.article == "20(3)"));
    }

    #[test]
    fn month_end_deposit_falls_back() {
        let r = withdrawal(d("2025-08-31"), &[]).unwrap();
        assert_eq!(r.effective, Some(d("2026-02-28")));
        let r = withdrawal(d("2023-08-31"), &[]).unwrap();
        assert_eq!(r.effective, Some(d("2024-02-29")));
    }

    #[test]
    fn pending_while_conflict_continues() {
        let c = [ArmedConflict {
            began: d("2022-02-24"),
            ended: None,
        }];
        let r = withdrawal(d("2025-06-29"), &c).unwrap();
        assert_eq!(r.effective, None);
        assert!(r.pending_reason.as_deref().unwrap().contains("2022-02-24"));
    }

    #[test]
    fn effective_at_end_of_conflict() {
        let c = [ArmedConflict {
            began: d("2025-01-01"),
            ended: Some(d("2026-05-01")),
        }];
        let r = withdrawal(d("2025-06-29"), &c).unwrap();
        assert_eq!(r.effective, Some(d("2026-05-01")));
        assert_eq!(r.earliest_effective, d("2025-12-29"));
    }

    #[test]
    fn conflict_over_before_expiry_or_starting_after_it_does_not_matter() {
        let before = [ArmedConflict {
            began: d("2020-01-01"),
            ended: Some(d("2025-07-01")),
        }];
        assert_eq!(
            withdrawal(d("2025-06-29"), &before).unwrap().effective,
            Some(d("2025-12-29"))
        );
        let after = [ArmedConflict {
            began: d("2026-01-01"),
            ended: None,
        }];
        assert_eq!(
            withdrawal(d("2025-06-29"), &after).unwrap().effective,
            Some(d("2025-12-29"))
        );
    }

    #[test]
    fn chained_conflicts_keep_it_pending_until_the_last_ends() {
        let c = [
            ArmedConflict {
                began: d("2025-01-01"),
                ended: Some(d("2026-03-01")),
            },
            ArmedConflict {
                began: d("2026-02-01"),
                ended: Some(d("2026-09-15")),
            },
        ];
        assert_eq!(
            withdrawal(d("2025-06-29"), &c).unwrap().effective,
            Some(d("2026-09-15"))
        );
    }

    #[test]
    fn withdrawal_before_anyone_was_bound_is_refused() {
        let err = withdrawal(d("1999-02-28"), &[]).unwrap_err();
        assert!(matches!(err, TreatyError::DateTooEarly { .. }), "{err}");
        assert!(withdrawal(d("1999-03-01"), &[]).is_ok());
    }

    #[test]
    fn inconsistent_conflict_is_an_error() {
        let c = [ArmedConflict {
            began: d("2026-01-01"),
            ended: Some(d("2025-01-01")),
        }];
        let err = withdrawal(d("2025-06-29"), &c).unwrap_err();
        assert!(matches!(err, TreatyError::InvalidConflict { index: 1, .. }));
    }
}
