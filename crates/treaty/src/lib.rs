//! The Mine Ban Treaty (1997 Convention on the Prohibition of the Use, Stockpiling, Production and
//! Transfer of Anti-Personnel Mines and on their Destruction) as pure functions.
//!
//! Every answer carries the articles it rests on as a list of [`Basis`] entries. Nothing here does
//! I/O: callers parse their input (dates, JSON descriptions) and hand typed values in.
//!
//! Map of the crate:
//! - [`entry_into_force`], [`obligations`], [`annual_report_due`], [`discovered_stockpile_deadline`]:
//!   Articles 4, 5(1), 7 and 17.
//! - [`current_clearance_deadline`], [`validate_extension_request`]: Article 5(3)-(6).
//! - [`withdrawal`]: Article 20.
//! - [`status_as_of`]: a State's standing on any date, from its treaty events.
//! - [`evaluate_proposal`]: Article 19 (no reservations) against a proposal of exemptions.
//! - [`classify`]: Article 2's definitions applied to a structured description of a device.
//!
//! Date arithmetic follows one rule, documented in [`dates`]: adding months or years keeps the day
//! of the month and, where that day does not exist in the target month, falls back to the month's
//! last day (29 February + 4 years = 28 February when the target year is not a leap year).

pub mod dates;
mod device;
mod entry;
mod extension;
mod reservation;
mod status;
mod withdrawal;

use std::fmt;
use std::str::FromStr;

pub use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use device::{
    Actor, AntiHandling, AntiHandlingActivation, Category, Classification, DeviceDescription,
    PERSON_PRESSURE_KG, Reading, Target, Trigger, VEHICLE_PRESSURE_KG, Verdict, classify,
};
pub use entry::{
    AnnualReportDue, FORTIETH_DEPOSIT, GLOBAL_ENTRY_INTO_FORCE, OPENED_FOR_SIGNATURE, Obligations,
    StockpileDiscovery, annual_report_due, discovered_stockpile_deadline, entry_into_force,
    obligations,
};
pub use extension::{
    ClearanceDeadline, ExtensionBasis, ExtensionFinding, ExtensionRequest, ExtensionValidation,
    GrantedExtension, Implications, PreviousExtension, Reasons, clearance_deadline,
    current_clearance_deadline, validate_extension_request,
};
pub use reservation::{
    ExemptionItem, ItemEvaluation, ItemVerdict, Proposal, ProposalEvaluation, TemporalScope,
    evaluate_proposal,
};
pub use status::{Status, StatusRuling, TreatyEvents, status_as_of};
pub use withdrawal::{ArmedConflict, WithdrawalRuling, withdrawal};

/// One ground for an answer: the article (and paragraph) it rests on, and why it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basis {
    /// Article and paragraph, e.g. `"17(2)"` or `"5(4)(b)(i)"`.
    pub article: String,
    /// Why that article applies here, in plain words.
    pub reason: String,
}

impl Basis {
    /// A basis from an article reference and a reason.
    pub fn new(article: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            article: article.into(),
            reason: reason.into(),
        }
    }
}

/// The kind of instrument by which a State consents to be bound (Art. 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Instrument {
    /// Ratification by a signatory (Art. 16(1)).
    Ratification,
    /// Acceptance by a signatory (Art. 16(1)).
    Acceptance,
    /// Approval by a signatory (Art. 16(1)).
    Approval,
    /// Accession by a State that did not sign (Art. 16(2)).
    Accession,
    /// Notification of succession by a new State to a predecessor's treaty relations.
    Succession,
}

impl Instrument {
    /// Every instrument kind, in the order the Convention names them.
    pub const ALL: [Instrument; 5] = [
        Instrument::Ratification,
        Instrument::Acceptance,
        Instrument::Approval,
        Instrument::Accession,
        Instrument::Succession,
    ];

    /// The lowercase name used in JSON, on the command line and in the data files.
    pub fn as_str(self) -> &'static str {
        match self {
            Instrument::Ratification => "ratification",
            Instrument::Acceptance => "acceptance",
            Instrument::Approval => "approval",
            Instrument::Accession => "accession",
            Instrument::Succession => "succession",
        }
    }
}

impl fmt::Display for Instrument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Instrument {
    type Err = TreatyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Instrument::ALL
            .into_iter()
            .find(|i| i.as_str() == wanted)
            .ok_or_else(|| TreatyError::UnknownInstrument {
                value: s.to_string(),
            })
    }
}

/// Everything that can go wrong in the engine. Each variant names what was wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "kebab-case")]
pub enum TreatyError {
    /// An instrument name that is not one of the five kinds.
    #[error(
        "unknown instrument `{value}`: expected one of ratification, acceptance, approval, accession, succession"
    )]
    UnknownInstrument {
        /// The value as given.
        value: String,
    },
    /// Date arithmetic left chrono's calendar range.
    #[error("date out of range computing {what} from {date}")]
    DateOverflow {
        /// What was being computed.
        what: String,
        /// The date the computation started from.
        date: NaiveDate,
    },
    /// A date before the Convention could apply (it opened for signature on 3 December 1997).
    #[error("{field} {date} is before {limit}: {reason}")]
    DateTooEarly {
        /// The field at fault, e.g. `deposited`.
        field: String,
        /// The date given.
        date: NaiveDate,
        /// The earliest acceptable date.
        limit: NaiveDate,
        /// Why (with the article).
        reason: String,
    },
    /// A year outside the range the engine handles.
    #[error("year {year} is out of range: {reason}")]
    YearOutOfRange {
        /// The year given.
        year: i32,
        /// Why it is refused.
        reason: String,
    },
    /// A set of treaty events that contradict each other or the Convention.
    #[error("invalid treaty events: {reason}")]
    InvalidEvents {
        /// What is contradictory, naming the fields.
        reason: String,
    },
    /// A granted extension that cannot stand in a history of extensions.
    #[error("invalid granted extension #{index} (decided {decided_on}): {reason}")]
    InvalidExtension {
        /// 1-based position in the list as given.
        index: usize,
        /// When it was decided.
        decided_on: NaiveDate,
        /// What is wrong, with the article.
        reason: String,
    },
    /// An extension request whose dates cannot be evaluated at all.
    #[error("invalid extension request: field `{field}`: {reason}")]
    InvalidExtensionRequest {
        /// The field at fault.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// An armed conflict whose dates are inconsistent.
    #[error("invalid armed conflict #{index}: {reason}")]
    InvalidConflict {
        /// 1-based position in the list as given.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A device description the classifier cannot reason about.
    #[error("invalid device description at {path}: {reason}")]
    InvalidDevice {
        /// Where in the description (e.g. `components[1].triggers[0].threshold_kg`).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A proposal the evaluator cannot reason about.
    #[error("invalid proposal at {path}: {reason}")]
    InvalidProposal {
        /// Where in the proposal (e.g. `items[2].years`).
        path: String,
        /// What is wrong.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instrument_round_trips_through_its_name() {
        for i in Instrument::ALL {
            assert_eq!(i.to_string().parse::<Instrument>(), Ok(i));
            let json = serde_json::to_string(&i).unwrap();
            assert_eq!(json, format!("\"{}\"", i.as_str()));
            let back: Instrument = serde_json::from_str(&json).unwrap();
            assert_eq!(back, i);
        }
        assert_eq!(
            " Ratification ".parse::<Instrument>(),
            Ok(Instrument::Ratification)
        );
    }

    #[test]
    fn unknown_instrument_names_value_and_choices() {
        let err = "signature".parse::<Instrument>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("`signature`"), "{msg}");
        assert!(msg.contains("accession"), "{msg}");
    }
}
