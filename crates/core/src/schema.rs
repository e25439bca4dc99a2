//! The registry's entities as tables of typed columns.
//!
//! One [`Table`] per [`Kind`] names its columns, their types, their HXL hashtags, which of them
//! form the natural key, and how sensitive the data is. Storage, import, export and the docs are
//! all driven by these descriptions, so a column is declared once.

use std::fmt;
use std::str::FromStr;

use chrono::Datelike;
use serde::{Serialize, Serializer};

use crate::date::parse_day;
use crate::{CoreError, Iso3, PartialDate};

/// One kind of record the registry keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    States,
    Sources,
    Meetings,
    Events,
    Extensions,
    Reports,
    Positions,
    Commitments,
    Estimates,
    Stockpiles,
    Casualties,
    Victims,
    Funding,
    UseFindings,
}

impl Kind {
    /// Every kind, in the order data is loaded (States first: the others refer to them; then the
    /// sources and meetings the record cites).
    pub const ALL: [Kind; 14] = [
        Kind::States,
        Kind::Sources,
        Kind::Meetings,
        Kind::Events,
        Kind::Extensions,
        Kind::Reports,
        Kind::Positions,
        Kind::Commitments,
        Kind::Estimates,
        Kind::Stockpiles,
        Kind::Casualties,
        Kind::Victims,
        Kind::Funding,
        Kind::UseFindings,
    ];

    /// The name used on the command line and in the audit log.
    pub fn name(self) -> &'static str {
        self.table().name
    }

    /// The table that describes this kind.
    pub fn table(self) -> &'static Table {
        match self {
            Kind::States => &STATES,
            Kind::Sources => &SOURCES,
            Kind::Meetings => &MEETINGS,
            Kind::UseFindings => &USE_FINDINGS,
            Kind::Events => &EVENTS,
            Kind::Extensions => &EXTENSIONS,
            Kind::Reports => &REPORTS,
            Kind::Positions => &POSITIONS,
            Kind::Commitments => &COMMITMENTS,
            Kind::Estimates => &ESTIMATES,
            Kind::Stockpiles => &STOCKPILES,
            Kind::Casualties => &CASUALTIES,
            Kind::Victims => &VICTIMS,
            Kind::Funding => &FUNDING,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kind {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // `use_findings` (the file and table name) is accepted for `use-findings`.
        let wanted = s.trim().replace('_', "-");
        Kind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| CoreError::UnknownKind {
                value: s.to_string(),
                known: Kind::ALL.map(Kind::name).join(", "),
            })
    }
}

/// Who may see a kind of data (DESIGN.md, "Data sensitivity").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sensitivity {
    /// Treaty status, national aggregates: anyone.
    Public,
    /// Operational detail shared with partners (hazard polygons, activities; issue 4).
    Partner,
    /// Personal data (victims' identities): named users only, never exported by default.
    Restricted,
}

/// How a column's text is read and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Free text.
    Text,
    /// An ISO 3166-1 alpha-3 code of a State the registry knows.
    Iso3,
    /// A full date, `YYYY-MM-DD`.
    Date,
    /// A year, month or day: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    PartialDate,
    /// A calendar year, `YYYY`.
    Year,
    /// A whole number, zero or more.
    Count,
    /// A finite decimal number.
    Number,
    /// A finite decimal number, zero or more: an amount of money, a count of mines estimated.
    Amount,
    /// yes/no (also true/false, 1/0).
    Bool,
    /// One of a fixed list of words.
    Choice(&'static [&'static str]),
}

impl FieldType {
    /// How the value is held in the database.
    pub fn storage(self) -> Storage {
        match self {
            FieldType::Year | FieldType::Count => Storage::Int,
            FieldType::Number | FieldType::Amount => Storage::Real,
            FieldType::Bool => Storage::Bool,
            _ => Storage::Text,
        }
    }

    /// A short human name for error messages and docs.
    pub fn describe(self) -> String {
        match self {
            FieldType::Text => "text".into(),
            FieldType::Iso3 => "ISO 3166-1 alpha-3 code".into(),
            FieldType::Date => "date YYYY-MM-DD".into(),
            FieldType::PartialDate => "date YYYY, YYYY-MM or YYYY-MM-DD".into(),
            FieldType::Year => "year YYYY".into(),
            FieldType::Count => "whole number >= 0".into(),
            FieldType::Number => "number".into(),
            FieldType::Amount => "number >= 0".into(),
            FieldType::Bool => "yes/no".into(),
            FieldType::Choice(c) => format!("one of {}", c.join(", ")),
        }
    }
}

/// The database type behind a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Text,
    Int,
    Real,
    Bool,
}

/// What an import fills in when a file leaves a column out (or a cell empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Default {
    /// Nothing: the value stays empty (an error if the column is required).
    None,
    /// This text.
    Text(&'static str),
    /// The imported file's name: the row's source is the file it came from.
    FileName,
}

/// One column of a table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub hxl: &'static str,
    pub ty: FieldType,
    pub required: bool,
    pub default: Default,
    pub doc: &'static str,
}

/// One kind's table.
#[derive(Debug)]
pub struct Table {
    pub kind: Kind,
    /// Name on the command line and in the audit log.
    pub name: &'static str,
    /// SQL table name.
    pub sql: &'static str,
    pub columns: &'static [Column],
    /// Columns that identify a row; an import of a row with the same key updates it.
    pub key: &'static [&'static str],
    pub sensitivity: Sensitivity,
    pub doc: &'static str,
}

impl Table {
    /// The position of a column by name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Positions of the key columns.
    pub fn key_indices(&self) -> Vec<usize> {
        self.key.iter().filter_map(|k| self.index(k)).collect()
    }

    /// The key of a record as text, `AFG` or `AFG|deposit|2002-09-11`.
    pub fn key_text(&self, record: &[Value]) -> String {
        self.key_indices()
            .into_iter()
            .map(|i| record.get(i).map(Value::to_text).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("|")
    }

    /// A record as a JSON object keyed by column name (keys sorted: a canonical form).
    pub fn to_json(&self, record: &[Value]) -> serde_json::Map<String, serde_json::Value> {
        self.columns
            .iter()
            .zip(record)
            .map(|(c, v)| (c.name.to_string(), v.to_json()))
            .collect()
    }

    /// A record from a JSON object keyed by column name, every field checked.
    pub fn from_json(
        &self,
        obj: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Vec<Value>, (usize, String)> {
        let mut out = Vec::with_capacity(self.columns.len());
        for (i, c) in self.columns.iter().enumerate() {
            let raw = match obj.get(c.name) {
                // A column the object lacks altogether (a dump made before a migration added
                // it) takes the column's default, as a file that leaves it out does.
                None => match c.default {
                    Default::Text(t) => t.to_string(),
                    _ => String::new(),
                },
                Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                Some(other) => {
                    return Err((i, format!("expected a {}, found {other}", c.ty.describe())));
                }
            };
            out.push(parse_field(c, &raw).map_err(|r| (i, r))?);
        }
        check_row(self.kind, &out).map_err(|(col, r)| (self.index(col).unwrap_or(0), r))?;
        Ok(out)
    }
}

/// A stored value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
    Bool(bool),
}

impl Value {
    /// The value as CSV text (`yes`/`no` for booleans, empty for null).
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Text(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Real(f) => f.to_string(),
            Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        }
    }

    /// The value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Text(s) => serde_json::Value::String(s.clone()),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Real(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Bool(b) => serde_json::Value::Bool(*b),
        }
    }

    /// The text, if the value is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// Reads one field's text as its column's type. Empty text is null; the reason names the problem.
pub fn parse_field(col: &Column, raw: &str) -> Result<Value, String> {
    let t = raw.trim();
    if t.is_empty() {
        return if col.required {
            Err(format!("{} is required but empty", col.name))
        } else {
            Ok(Value::Null)
        };
    }
    if t.chars().count() > MAX_TEXT {
        return Err(format!(
            "{} is longer than {MAX_TEXT} characters ({} bytes): not a registry value",
            col.name,
            t.len()
        ));
    }
    let bad = || match col.ty {
        FieldType::Choice(c) => format!("{} {t:?} is not one of {}", col.name, c.join(", ")),
        _ => format!("{} {t:?} is not a {}", col.name, col.ty.describe()),
    };
    Ok(match col.ty {
        FieldType::Text => Value::Text(t.to_string()),
        FieldType::Iso3 => Value::Text(
            t.parse::<Iso3>()
                .map_err(|_| format!("{} {t:?} is not an ISO 3166-1 alpha-3 code", col.name))?
                .to_string(),
        ),
        FieldType::Date => {
            let d = parse_day(t).ok_or_else(bad)?;
            in_years(col, t, d.year().into())?;
            Value::Text(d.format("%Y-%m-%d").to_string())
        }
        FieldType::PartialDate => {
            let d = t.parse::<PartialDate>().map_err(|_| bad())?;
            in_years(col, t, d.year().into())?;
            Value::Text(d.to_string())
        }
        FieldType::Year => {
            let y: i64 = (t.len() == 4)
                .then(|| t.parse().ok())
                .flatten()
                .ok_or_else(bad)?;
            in_years(col, t, y)?;
            Value::Int(y)
        }
        FieldType::Count => Value::Int(t.parse::<u32>().map_err(|_| bad())?.into()),
        FieldType::Number => {
            let f: f64 = t.parse().map_err(|_| bad())?;
            if !f.is_finite() {
                return Err(bad());
            }
            Value::Real(f)
        }
        FieldType::Amount => {
            let f: f64 = t.parse().map_err(|_| bad())?;
            if !f.is_finite() {
                return Err(bad());
            }
            if f < 0.0 {
                return Err(format!(
                    "{} {t:?} is negative; an amount is zero or more",
                    col.name
                ));
            }
            // -0 reads as 0.
            Value::Real(f.abs())
        }
        FieldType::Bool => Value::Bool(match t.to_ascii_lowercase().as_str() {
            "yes" | "true" | "1" | "y" => true,
            "no" | "false" | "0" | "n" => false,
            _ => return Err(bad()),
        }),
        FieldType::Choice(choices) => {
            let lower = t.to_ascii_lowercase();
            match choices.iter().find(|c| **c == lower) {
                Some(c) => Value::Text((*c).to_string()),
                None => return Err(bad()),
            }
        }
    })
}

/// The longest text a field may hold, in characters: a note of a few pages. A longer field is a
/// file whose quoting went wrong, or an attempt to fill the database.
pub const MAX_TEXT: usize = 10_000;

/// The years a date or year field may name. The Convention's history starts in the 1990s (the seed
/// figures go back to 1992) and a victim's birth date may be decades earlier; a year before 1900,
/// year 0 or a negative year is a typing or conversion error (a spreadsheet's day 0 is 1899-12-30
/// or 1900-01-00), and so is one after 2100.
pub const YEARS: std::ops::RangeInclusive<i64> = 1900..=2100;

fn in_years(col: &Column, raw: &str, year: i64) -> Result<(), String> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(format!(
            "{} {raw:?} is outside the years demine accepts ({} to {})",
            col.name,
            YEARS.start(),
            YEARS.end()
        ))
    }
}

/// Checks that hold across the fields of one record; the error names the column at fault.
pub fn check_row(kind: Kind, r: &[Value]) -> Result<(), (&'static str, String)> {
    let t = kind.table();
    let get = |name: &str| t.index(name).and_then(|i| r.get(i)).unwrap_or(&Value::Null);
    match kind {
        Kind::Estimates => {
            if let (Value::Real(lo), Value::Real(hi)) = (get("low"), get("high"))
                && lo > hi
            {
                return Err(("high", format!("high {hi} is below low {lo}")));
            }
        }
        Kind::Events => {
            let ev = get("event").as_str().unwrap_or_default();
            if DAY_EVENTS.contains(&ev)
                && let Value::Text(d) = get("date")
                && parse_day(d).is_none()
            {
                return Err((
                    "date",
                    format!(
                        "a {ev} needs the day (YYYY-MM-DD), not {d:?}: the treaty engine computes deadlines from it"
                    ),
                ));
            }
            if ev == "deposit" && get("instrument") == &Value::Null {
                return Err(("instrument", "a deposit needs its instrument type".into()));
            }
            if ev != "deposit" && get("instrument") != &Value::Null {
                return Err((
                    "instrument",
                    format!("only a deposit has an instrument, not {ev}"),
                ));
            }
            if ev != "deposit" && get("succession_date") != &Value::Null {
                return Err((
                    "succession_date",
                    "only a deposit has a succession date".into(),
                ));
            }
            if let (Value::Text(a), Value::Text(b)) = (get("date"), get("end_date")) {
                if ev != "armed-conflict" {
                    return Err(("end_date", format!("only an armed conflict ends, not {ev}")));
                }
                if b < a {
                    return Err(("end_date", format!("end date {b} is before the start {a}")));
                }
            }
        }
        Kind::Extensions => {
            let decision = get("decision").as_str().unwrap_or_default();
            let granted = get("granted_until");
            if decision != "granted" && granted != &Value::Null {
                return Err((
                    "granted_until",
                    format!("a {decision} request has no granted_until"),
                ));
            }
            if get("number") == &Value::Int(0) {
                return Err((
                    "number",
                    "number counts the State's requests from 1 (its first request)".into(),
                ));
            }
            // A grant whose decision date the record lacks is placed by its number; a refusal
            // must be dated.
            if decision == "refused" && get("decided_on") == &Value::Null {
                return Err((
                    "decided_on",
                    format!("a {decision} request needs decided_on"),
                ));
            }
            if decision == "pending" && get("decided_on") != &Value::Null {
                return Err(("decided_on", "a pending request has no decided_on".into()));
            }
            let pd = |name: &str| {
                get(name)
                    .as_str()
                    .and_then(|t| t.parse::<PartialDate>().ok())
            };
            if let (Some(sub), Some(req)) = (pd("submitted"), pd("requested_until"))
                && req.end() <= sub.start()
            {
                return Err((
                    "requested_until",
                    format!("requested_until {req} is not after the submission {sub}"),
                ));
            }
            if let (Some(sub), Some(dec)) = (pd("submitted"), pd("decided_on"))
                && dec.end() < sub.start()
            {
                return Err((
                    "decided_on",
                    format!("decided_on {dec} is before the submission {sub}"),
                ));
            }
            if let (Some(dec), Some(until)) = (pd("decided_on"), pd("granted_until"))
                && until.end() <= dec.start()
            {
                return Err((
                    "granted_until",
                    format!("granted_until {until} is not after the decision {dec}"),
                ));
            }
        }
        Kind::Meetings => {
            if let (Value::Text(a), Value::Text(b)) = (get("start_date"), get("end_date"))
                && b < a
            {
                return Err(("end_date", format!("end date {b} is before the start {a}")));
            }
        }
        Kind::UseFindings => {
            if get("actor_kind").as_str() == Some("state")
                && let Value::Text(a) = get("actor")
                && a.parse::<Iso3>().is_err()
            {
                return Err((
                    "actor",
                    format!("a State actor is named by its ISO3 code, not {a:?}"),
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

const fn col(
    name: &'static str,
    hxl: &'static str,
    ty: FieldType,
    required: bool,
    doc: &'static str,
) -> Column {
    Column {
        name,
        hxl,
        ty,
        required,
        default: Default::None,
        doc,
    }
}

const fn source() -> Column {
    Column {
        name: "source",
        hxl: "#meta+source",
        ty: FieldType::Text,
        required: true,
        default: Default::FileName,
        doc: "where the row comes from (a document, a file, a web page); defaults to the imported file's name",
    }
}

const fn note() -> Column {
    col(
        "note",
        "#description+notes",
        FieldType::Text,
        false,
        "free remarks",
    )
}

const fn meeting(doc: &'static str) -> Column {
    col("meeting", "#event+meeting", FieldType::Text, false, doc)
}

const fn iso3(doc: &'static str) -> Column {
    col("iso3", "#country+code", FieldType::Iso3, true, doc)
}

/// Treaty event types.
pub const EVENT_TYPES: &[&str] = &[
    "signature",
    "deposit",
    "withdrawal",
    "armed-conflict",
    "clearance-completed",
    "contamination-found",
    "withdrawal-announced",
];
/// Events whose date the treaty engine computes with: they must be known to the day.
pub const DAY_EVENTS: &[&str] = &["signature", "deposit", "withdrawal", "armed-conflict"];
/// The legal basis of a granted clearance deadline: an ordinary Art. 5(3) request, or a deadline
/// set under the decision of the Twelfth Meeting of the States Parties (2012) on mined areas found
/// after a State's deadline had passed.
pub const EXTENSION_BASES: &[&str] = &["art5", "msp12"];
/// Kinds of meeting: Meeting of the States Parties, Review Conference, special meeting.
pub const MEETING_KINDS: &[&str] = &["msp", "rc", "special"];
/// Who used anti-personnel mines, in a finding of new use.
pub const ACTOR_KINDS: &[&str] = &["state", "non-state"];
/// How firm a finding of new use is.
pub const FINDINGS: &[&str] = &["confirmed", "alleged"];
/// Instrument types of a deposit (Art. 15-16).
pub const INSTRUMENTS: &[&str] = &[
    "ratification",
    "acceptance",
    "approval",
    "accession",
    "succession",
];
/// Decisions on an Art. 5 extension request.
pub const DECISIONS: &[&str] = &["pending", "granted", "refused", "withdrawn"];
/// Kinds of Art. 7 report.
pub const REPORT_TYPES: &[&str] = &["initial", "annual"];
/// Kinds of stockpile record.
pub const STOCKPILE_RECORDS: &[&str] = &[
    "declared",
    "destroyed",
    "retained",
    "destruction-completed",
    "no-stockpile",
    "deadline-missed",
    "discovered",
];
/// Device categories (IMAS).
pub const DEVICE_CATEGORIES: &[&str] = &[
    "ap-mine",
    "at-mine",
    "erw",
    "cluster-munition-remnant",
    "ied",
    "unknown",
];
/// Who a casualty was.
pub const CASUALTY_GROUPS: &[&str] = &["civilian", "deminer", "military", "unknown"];
pub const AGE_GROUPS: &[&str] = &["child", "adult", "unknown"];
pub const SEXES: &[&str] = &["female", "male", "unknown"];

static STATES: Table = Table {
    kind: Kind::States,
    name: "states",
    sql: "states",
    columns: &[
        iso3("ISO 3166-1 alpha-3 code (or a user-assigned code such as XKX)"),
        col(
            "name",
            "#country+name",
            FieldType::Text,
            true,
            "English short name",
        ),
        col(
            "un_member",
            "#indicator+un_member",
            FieldType::Bool,
            true,
            "member of the United Nations",
        ),
        Column {
            name: "treaty_universe",
            hxl: "#indicator+treaty_universe",
            ty: FieldType::Bool,
            required: true,
            default: Default::Text("yes"),
            doc: "one of the 197 States that can join the Convention (no: a territory or other entity named by the boundaries file)",
        },
        source(),
    ],
    key: &["iso3"],
    sensitivity: Sensitivity::Public,
    doc: "States and the other entities the boundaries name",
};

static SOURCES: Table = Table {
    kind: Kind::Sources,
    name: "sources",
    sql: "sources",
    columns: &[
        col(
            "id",
            "#meta+id",
            FieldType::Text,
            true,
            "a short slug other rows cite in their source column (several ids separated by ;)",
        ),
        col(
            "title",
            "#meta+title",
            FieldType::Text,
            true,
            "the document's title",
        ),
        col(
            "publisher",
            "#org+publisher",
            FieldType::Text,
            true,
            "who published it",
        ),
        col(
            "year",
            "#date+year",
            FieldType::Year,
            false,
            "year of publication (empty for an undated page: cited n.d.)",
        ),
        col(
            "url",
            "#meta+url",
            FieldType::Text,
            true,
            "its address (a web address, or where the document can be found)",
        ),
    ],
    key: &["id"],
    sensitivity: Sensitivity::Public,
    doc: "the documents the record cites: every id in a bundled row's source is one of these",
};

static MEETINGS: Table = Table {
    kind: Kind::Meetings,
    name: "meetings",
    sql: "meetings",
    columns: &[
        col(
            "id",
            "#event+id",
            FieldType::Text,
            true,
            "MSP1..MSP22, RC1..RC5, or the id of a special meeting",
        ),
        col(
            "kind",
            "#event+type",
            FieldType::Choice(MEETING_KINDS),
            true,
            "msp (Meeting of the States Parties), rc (Review Conference) or special",
        ),
        col(
            "number",
            "#indicator+num",
            FieldType::Count,
            false,
            "its number in its series",
        ),
        col("city", "#loc+city", FieldType::Text, false, "where it met"),
        col(
            "country_iso3",
            "#country+code",
            FieldType::Iso3,
            false,
            "the host State",
        ),
        col(
            "start_date",
            "#date+start",
            FieldType::Date,
            true,
            "first day",
        ),
        col("end_date", "#date+end", FieldType::Date, true, "last day"),
        source(),
    ],
    key: &["id"],
    sensitivity: Sensitivity::Public,
    doc: "Meetings of the States Parties and Review Conferences, which decide extension requests and receive declarations",
};

static USE_FINDINGS: Table = Table {
    kind: Kind::UseFindings,
    name: "use-findings",
    sql: "use_findings",
    columns: &[
        col(
            "year",
            "#date+year",
            FieldType::Year,
            true,
            "the year the use was found in",
        ),
        iso3("where the mines were used"),
        col(
            "actor_kind",
            "#org+type",
            FieldType::Choice(ACTOR_KINDS),
            true,
            "state or non-state",
        ),
        col(
            "actor",
            "#org+name",
            FieldType::Text,
            true,
            "the State's ISO3 code, or the armed group's name",
        ),
        col(
            "finding",
            "#status+finding",
            FieldType::Choice(FINDINGS),
            true,
            "confirmed or alleged",
        ),
        source(),
        note(),
    ],
    key: &["year", "iso3", "actor", "source"],
    sensitivity: Sensitivity::Public,
    doc: "the Landmine Monitor's findings of new use of anti-personnel mines, by year; the same finding in two editions is kept twice, each with its source",
};

static EVENTS: Table = Table {
    kind: Kind::Events,
    name: "events",
    sql: "treaty_events",
    columns: &[
        iso3("the State"),
        col(
            "event",
            "#event+type",
            FieldType::Choice(EVENT_TYPES),
            true,
            "what happened",
        ),
        col(
            "date",
            "#date",
            FieldType::PartialDate,
            true,
            "when (for a deposit or withdrawal: the date the depositary received it; for an armed conflict: when it began); signature, deposit, withdrawal and armed-conflict need the day, the others may give only the year or month their source gives",
        ),
        col(
            "end_date",
            "#date+end",
            FieldType::Date,
            false,
            "armed conflict only: when it ended (empty while it goes on)",
        ),
        col(
            "instrument",
            "#indicator+instrument",
            FieldType::Choice(INSTRUMENTS),
            false,
            "deposit only: the instrument type",
        ),
        col(
            "succession_date",
            "#date+succession",
            FieldType::Date,
            false,
            "deposit of succession only: the date from which the State is bound",
        ),
        meeting("the Meeting where it was declared (a meetings id), if any"),
        source(),
        note(),
    ],
    key: &["iso3", "event", "date"],
    sensitivity: Sensitivity::Public,
    doc: "treaty events: signature, deposit of an instrument, withdrawal announced and deposited, armed-conflict periods (Art. 20(3)), declaration of completed clearance (Art. 5), mined areas found after completion",
};

static EXTENSIONS: Table = Table {
    kind: Kind::Extensions,
    name: "extensions",
    sql: "extension_requests",
    columns: &[
        iso3("the requesting State"),
        col(
            "number",
            "#indicator+number",
            FieldType::Count,
            true,
            "the ordinal of the State's request: 1 for its first extension request, 2 for the second, ... (a refused request counts)",
        ),
        col(
            "submitted",
            "#date+submitted",
            FieldType::PartialDate,
            false,
            "date the request was submitted (empty when the source does not give it)",
        ),
        col(
            "requested_until",
            "#date+requested",
            FieldType::PartialDate,
            false,
            "new clearance deadline asked for (empty when the source does not give it)",
        ),
        col(
            "decision",
            "#status+decision",
            FieldType::Choice(DECISIONS),
            true,
            "the Meeting's decision",
        ),
        col(
            "decided_on",
            "#date+decided",
            FieldType::PartialDate,
            false,
            "date of the decision (a deadline moves only once the whole period given has passed)",
        ),
        col(
            "granted_until",
            "#date+granted",
            FieldType::PartialDate,
            false,
            "new deadline granted (a month or year means its first day: the earliest it can be)",
        ),
        meeting("the Meeting or Review Conference that decided (a meetings id)"),
        Column {
            name: "basis",
            hxl: "#indicator+basis",
            ty: FieldType::Choice(EXTENSION_BASES),
            required: true,
            default: Default::Text("art5"),
            doc: "art5 (an ordinary Art. 5(3) request) or msp12 (a deadline set under the Twelfth Meeting's decision on mined areas found after the deadline)",
        },
        source(),
        note(),
    ],
    key: &["iso3", "number"],
    sensitivity: Sensitivity::Public,
    doc: "Art. 5(3)-(6) requests to extend the clearance deadline",
};

static REPORTS: Table = Table {
    kind: Kind::Reports,
    name: "reports",
    sql: "transparency_reports",
    columns: &[
        iso3("the reporting State"),
        col(
            "kind",
            "#indicator+report_type",
            FieldType::Choice(REPORT_TYPES),
            true,
            "initial (Art. 7(1)) or annual update (Art. 7(2))",
        ),
        col(
            "year",
            "#date+year",
            FieldType::Year,
            true,
            "reporting year: an annual update for year Y is due 30 April Y and covers Y-1",
        ),
        col(
            "received",
            "#date+received",
            FieldType::PartialDate,
            true,
            "date the report was received (or the year or month, as the source gives it)",
        ),
        source(),
        note(),
    ],
    key: &["iso3", "kind", "year"],
    sensitivity: Sensitivity::Public,
    doc: "Art. 7 transparency reports received",
};

static POSITIONS: Table = Table {
    kind: Kind::Positions,
    name: "positions",
    sql: "positions",
    columns: &[
        iso3("the State"),
        col(
            "state",
            "#country+name",
            FieldType::Text,
            false,
            "the State's name as the source gives it",
        ),
        col(
            "position",
            "#status+position",
            FieldType::Text,
            true,
            "the position taken",
        ),
        col(
            "as_of",
            "#date",
            FieldType::PartialDate,
            true,
            "when it was held",
        ),
        source(),
        note(),
    ],
    key: &["iso3", "as_of", "source"],
    sensitivity: Sensitivity::Public,
    doc: "States' positions on the treaty, dated",
};

static COMMITMENTS: Table = Table {
    kind: Kind::Commitments,
    name: "commitments",
    sql: "commitments",
    columns: &[
        iso3("the State that made the pledge"),
        col(
            "commitment",
            "#description+commitment",
            FieldType::Text,
            true,
            "what was pledged",
        ),
        col(
            "due",
            "#date+due",
            FieldType::PartialDate,
            false,
            "when it is due",
        ),
        source(),
        note(),
        col(
            "outcome",
            "#status+outcome",
            FieldType::Text,
            false,
            "what came of it, once known",
        ),
        col(
            "outcome_date",
            "#date+outcome",
            FieldType::PartialDate,
            false,
            "when the outcome was recorded",
        ),
    ],
    key: &["iso3", "commitment"],
    sensitivity: Sensitivity::Public,
    doc: "pledges with due dates, tracked to an outcome",
};

static ESTIMATES: Table = Table {
    kind: Kind::Estimates,
    name: "estimates",
    sql: "estimates",
    columns: &[
        col(
            "subject",
            "#loc+name",
            FieldType::Text,
            true,
            "what the figure is about: World, a State's name, an area",
        ),
        col(
            "iso3",
            "#country+code",
            FieldType::Iso3,
            false,
            "the State, when the subject is one",
        ),
        col(
            "measure",
            "#indicator+code",
            FieldType::Text,
            true,
            "what is measured (mines_emplaced, clearance_cost_per_mine, ...)",
        ),
        col(
            "low",
            "#indicator+num+low",
            FieldType::Amount,
            true,
            "low end of the range",
        ),
        col(
            "high",
            "#indicator+num+high",
            FieldType::Amount,
            true,
            "high end of the range (equal to low for a single figure)",
        ),
        col(
            "unit",
            "#indicator+unit",
            FieldType::Text,
            true,
            "unit (mines, USD, people/year, ...)",
        ),
        col(
            "as_of",
            "#date",
            FieldType::PartialDate,
            true,
            "when the figure holds",
        ),
        source(),
        note(),
    ],
    key: &["subject", "measure", "as_of", "source"],
    sensitivity: Sensitivity::Public,
    doc: "figures with a range, a unit, a date and a source; sources that disagree are all kept",
};

static STOCKPILES: Table = Table {
    kind: Kind::Stockpiles,
    name: "stockpiles",
    sql: "stockpiles",
    columns: &[
        iso3("the State"),
        col(
            "date",
            "#date",
            FieldType::PartialDate,
            true,
            "date of the declaration or the end of the period reported (a year or month where the source gives only that)",
        ),
        col(
            "record",
            "#indicator+stockpile_record",
            FieldType::Choice(STOCKPILE_RECORDS),
            true,
            "declared holdings, destroyed in the period, retained under Art. 3, destruction completed, no stockpile, the Art. 4 deadline missed (date: the deadline), or a stockpile discovered after completion",
        ),
        col(
            "device_type",
            "#item+type",
            FieldType::Text,
            true,
            "mine type or model (all for a total)",
        ),
        col(
            "quantity",
            "#indicator+num",
            FieldType::Count,
            false,
            "number of mines",
        ),
        source(),
        note(),
    ],
    key: &["iso3", "date", "record", "device_type"],
    sensitivity: Sensitivity::Public,
    doc: "stockpile declarations and destruction (Art. 4), mines retained (Art. 3)",
};

static CASUALTIES: Table = Table {
    kind: Kind::Casualties,
    name: "casualties",
    sql: "casualties",
    columns: &[
        col(
            "id",
            "#event+id",
            FieldType::Text,
            true,
            "incident record identifier",
        ),
        col(
            "date",
            "#date",
            FieldType::Date,
            true,
            "date of the incident",
        ),
        iso3("State where it happened"),
        col(
            "admin_area",
            "#adm1+name",
            FieldType::Text,
            false,
            "first-level administrative area",
        ),
        col(
            "device_category",
            "#item+device",
            FieldType::Choice(DEVICE_CATEGORIES),
            true,
            "device category",
        ),
        col(
            "killed",
            "#affected+killed",
            FieldType::Count,
            true,
            "people killed",
        ),
        col(
            "injured",
            "#affected+injured",
            FieldType::Count,
            true,
            "people injured",
        ),
        col(
            "group",
            "#category+group",
            FieldType::Choice(CASUALTY_GROUPS),
            true,
            "civilian, deminer, military",
        ),
        col(
            "age_group",
            "#category+age",
            FieldType::Choice(AGE_GROUPS),
            true,
            "child or adult",
        ),
        col(
            "sex",
            "#category+sex",
            FieldType::Choice(SEXES),
            true,
            "female or male",
        ),
        source(),
        note(),
    ],
    key: &["id"],
    sensitivity: Sensitivity::Public,
    doc: "casualty incidents, without anyone's identity",
};

static VICTIMS: Table = Table {
    kind: Kind::Victims,
    name: "victims",
    sql: "casualty_identities",
    columns: &[
        col(
            "casualty_id",
            "#event+id",
            FieldType::Text,
            true,
            "the casualty record",
        ),
        col(
            "person_name",
            "#contact+name",
            FieldType::Text,
            true,
            "the person's name",
        ),
        col(
            "birth_date",
            "#date+birth",
            FieldType::Date,
            false,
            "date of birth",
        ),
        col(
            "contact",
            "#contact+phone",
            FieldType::Text,
            false,
            "how to reach the person or family",
        ),
        source(),
        note(),
    ],
    key: &["casualty_id", "person_name"],
    sensitivity: Sensitivity::Restricted,
    doc: "personal identities of casualties: restricted, kept apart from the incidents",
};

static FUNDING: Table = Table {
    kind: Kind::Funding,
    name: "funding",
    sql: "funding",
    columns: &[
        col("donor", "#org+donor", FieldType::Text, true, "who gave"),
        col(
            "recipient",
            "#org+recipient",
            FieldType::Text,
            true,
            "who received (a State, an organisation)",
        ),
        col(
            "recipient_iso3",
            "#country+code",
            FieldType::Iso3,
            false,
            "the recipient State, if any",
        ),
        col(
            "year",
            "#date+year",
            FieldType::Year,
            true,
            "year of the contribution",
        ),
        col("amount", "#value", FieldType::Amount, true, "amount"),
        col(
            "currency",
            "#currency",
            FieldType::Text,
            true,
            "ISO 4217 currency code",
        ),
        col(
            "purpose",
            "#sector+purpose",
            FieldType::Text,
            true,
            "what it pays for (clearance, victim assistance, ...)",
        ),
        source(),
        note(),
    ],
    key: &["donor", "recipient", "year", "purpose"],
    sensitivity: Sensitivity::Public,
    doc: "mine action funding",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_names_a_required_column() {
        for k in Kind::ALL {
            let t = k.table();
            assert_eq!(t.kind, k);
            assert_eq!(t.key_indices().len(), t.key.len(), "{k}");
            for i in t.key_indices() {
                assert!(
                    t.columns[i].required,
                    "{k}: key column {} optional",
                    t.columns[i].name
                );
            }
            let mut names: Vec<_> = t.columns.iter().map(|c| c.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), t.columns.len(), "{k}: duplicate column");
            assert_eq!(k.name().parse::<Kind>().unwrap(), k);
        }
    }

    #[test]
    fn fields_parse_or_say_why() {
        let t = Kind::Estimates.table();
        let low = &t.columns[t.index("low").unwrap()];
        assert_eq!(parse_field(low, "80000000").unwrap(), Value::Real(8e7));
        assert!(
            parse_field(low, "eighty")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(parse_field(low, "").unwrap_err().contains("required"));
        assert!(parse_field(low, "NaN").is_err());
        let ev = Kind::Events.table();
        let date = &ev.columns[ev.index("date").unwrap()];
        assert!(
            parse_field(date, "1997-02-30")
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        let kind = &ev.columns[ev.index("event").unwrap()];
        assert_eq!(
            parse_field(kind, "Deposit").unwrap(),
            Value::Text("deposit".into())
        );
        assert!(
            parse_field(kind, "ratified")
                .unwrap_err()
                .contains("one of")
        );
        let cas = Kind::Casualties.table();
        let killed = &cas.columns[cas.index("killed").unwrap()];
        assert!(parse_field(killed, "-1").is_err());
        assert!(parse_field(killed, "2.5").is_err());
    }

    #[test]
    fn dates_and_amounts_have_bounds() {
        let ev = Kind::Events.table();
        let date = &ev.columns[ev.index("date").unwrap()];
        for bad in ["1899-12-31", "0000-01-01", "2101-01-01"] {
            let e = parse_field(date, bad).unwrap_err();
            assert!(e.contains("outside the years"), "{bad}: {e}");
        }
        assert!(parse_field(date, "1900-01-01").is_ok());
        let est = Kind::Estimates.table();
        let as_of = &est.columns[est.index("as_of").unwrap()];
        assert!(parse_field(as_of, "0000").is_err());
        assert!(parse_field(as_of, "1899-05").is_err());
        assert!(parse_field(as_of, "1992").is_ok());
        let f = Kind::Funding.table();
        let year = &f.columns[f.index("year").unwrap()];
        assert!(parse_field(year, "0000").unwrap_err().contains("outside"));
        let amount = &f.columns[f.index("amount").unwrap()];
        let e = parse_field(amount, "-5").unwrap_err();
        assert!(e.contains("negative"), "{e}");
        assert_eq!(parse_field(amount, "-0").unwrap(), Value::Real(0.0));
        assert_eq!(parse_field(amount, "12.5").unwrap(), Value::Real(12.5));
        let low = &est.columns[est.index("low").unwrap()];
        assert!(parse_field(low, "-1").is_err());
        let src = &f.columns[f.index("donor").unwrap()];
        assert!(parse_field(src, &"x".repeat(MAX_TEXT)).is_ok());
        let e = parse_field(src, &"x".repeat(MAX_TEXT + 1)).unwrap_err();
        assert!(e.contains("longer than"), "{e}");
    }

    #[test]
    fn row_checks_name_the_column() {
        let t = Kind::Estimates.table();
        let mut obj = serde_json::Map::new();
        for (k, v) in [
            ("subject", "World"),
            ("measure", "m"),
            ("low", "10"),
            ("high", "5"),
        ] {
            obj.insert(k.into(), v.into());
        }
        obj.insert("unit".into(), "mines".into());
        obj.insert("as_of".into(), "1997".into());
        obj.insert("source".into(), "x".into());
        let (i, why) = t.from_json(&obj).unwrap_err();
        assert_eq!(t.columns[i].name, "high");
        assert!(why.contains("below"));
        obj.insert("high".into(), serde_json::json!(11));
        let r = t.from_json(&obj).unwrap();
        assert_eq!(t.to_json(&r)["high"], serde_json::json!(11.0));
        // A column missing altogether takes its default (a dump from before a migration).
        let x = Kind::Extensions.table();
        let mut obj = serde_json::Map::new();
        for (k, v) in [
            ("iso3", "AFG"),
            ("number", "1"),
            ("submitted", "2012-03"),
            ("requested_until", "2023-03-01"),
            ("decision", "pending"),
            ("source", "s"),
        ] {
            obj.insert(k.into(), v.into());
        }
        let r = x.from_json(&obj).unwrap();
        assert_eq!(x.to_json(&r)["basis"], serde_json::json!("art5"));
        obj.insert("basis".into(), serde_json::Value::Null);
        assert!(
            x.from_json(&obj)
                .unwrap_err()
                .1
                .contains("basis is required")
        );
    }
}

/// The tables as Markdown (one section per kind: columns, types, HXL hashtags, descriptions),
/// as docs/data-model.md shows them.
pub fn markdown_tables() -> String {
    let mut out = String::new();
    for kind in Kind::ALL {
        let t = kind.table();
        let sensitivity = match t.sensitivity {
            Sensitivity::Public => "public",
            Sensitivity::Partner => "partner",
            Sensitivity::Restricted => "restricted",
        };
        out.push_str(&format!(
            "### `{}` (table `{}`, {sensitivity})\n\n{}. Key: {}.\n\n",
            t.name,
            t.sql,
            t.doc,
            t.key
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(" + ")
        ));
        out.push_str(
            "| column | HXL | type | required | meaning |\n| --- | --- | --- | --- | --- |\n",
        );
        for c in t.columns {
            let required = match (c.required, c.default) {
                (true, Default::None) => "yes".to_string(),
                (true, Default::Text(d)) => format!("default `{d}`"),
                (true, Default::FileName) => "default: the file's name".to_string(),
                (false, _) => String::new(),
            };
            out.push_str(&format!(
                "| `{}` | `{}` | {} | {required} | {} |\n",
                c.name,
                c.hxl,
                c.ty.describe(),
                c.doc
            ));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod doc_tests {
    /// docs/data-model.md carries the tables exactly as the schema renders them.
    #[test]
    fn data_model_doc_matches_the_schema() {
        let doc = include_str!("../../../docs/data-model.md");
        let tables = super::markdown_tables();
        if !doc.contains(&tables) {
            // Print what belongs there so the doc can be brought up to date.
            println!("{tables}");
            panic!("docs/data-model.md is out of step with demine_core::schema");
        }
    }
}
