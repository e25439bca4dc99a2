//! Analytics: the answers monitors, national authorities and donors publish every year, computed
//! by pure functions from records the store hands over (no I/O, no clock: the date asked about is
//! always an argument).
//!
//! - [`accounting`]: a State's land release books: the total over its areas, by area status
//!   and hazard type.
//! - [`compliance`]: every obligation of a State on a date, days to the deadline or days late,
//!   and the world view of who is late, on what, since when.
//! - [`contamination`]: what remains per State from the hazard data, or from the record's
//!   estimates where no hazard data exists (marked as such), with the Landmine Monitor's bands.
//! - [`progress`]: land released per year by method, devices found and destroyed, and the
//!   completion forecast with its interval, against the Art. 5 deadline.
//! - [`cost`]: the cost to finish per square metre and per mine, and years to finish at the
//!   current funding rate.
//! - [`casualties`]: per year and State, with the civilian, child and female shares.
//! - [`registry`]: the registry's views: each State's standing, deadlines and compliance as of a
//!   date, one State in full, the world summary, the estimates known by a date.
//! - [`world1997`]: the world on 3 December 1997 as the bundled seed records give it.
//!
//! A missing record is unknown, never zero: every function returns `None` or lists what is
//! missing rather than guessing, and every figure carries the source it was computed from.

pub mod accounting;
pub mod casualties;
pub mod compliance;
pub mod contamination;
pub mod cost;
mod error;
pub mod inputs;
pub mod progress;
pub mod registry;
pub mod world1997;

pub use error::AnalyticsError;
pub use inputs::{AreaTotal, DeviceTotal, HazardTotals, ReleaseTotal};

/// Square metres in a square kilometre.
pub const M2_PER_KM2: f64 = 1_000_000.0;
