//! demine's domain types, identifiers and validation. No I/O.
//!
//! - [`Iso3`]: a validated ISO 3166-1 alpha-3 code.
//! - [`PartialDate`]: a date known to the year, the month or the day (the seeds say "1997").
//! - [`schema`]: every registry entity (States, treaty events, estimates, ...) as a table of typed
//!   columns with their HXL hashtags; the store, the importers and the exporters are driven by it.
//! - [`records`]: the same entities as typed Rust structs, for code that reasons about them.
//! - [`compliance`]: which treaty obligations a State has met, as pure functions over dates the
//!   treaty engine computed and the records the registry holds.

pub mod compliance;
mod date;
mod error;
pub mod hazard;
mod iso3;
pub mod records;
pub mod schema;

pub use date::PartialDate;
pub use error::CoreError;
pub use iso3::Iso3;

/// Re-exported so that users of the core types need not name chrono themselves.
pub use chrono::NaiveDate;
