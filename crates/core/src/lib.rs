//! demine's domain types, identifiers and validation. No I/O.
