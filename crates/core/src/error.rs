use thiserror::Error;

/// Everything that can be wrong with a value handed to the core types.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoreError {
    /// Not three upper-case ASCII letters.
    #[error("invalid ISO 3166-1 alpha-3 code {value:?}: expected three letters A-Z")]
    InvalidIso3 { value: String },
    /// Not `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, or not a real calendar date.
    #[error("invalid date {value:?}: expected YYYY-MM-DD (or YYYY / YYYY-MM where allowed)")]
    InvalidDate { value: String },
    /// A field's text does not parse as its column's type.
    #[error("{reason}")]
    InvalidField { column: String, reason: String },
    /// A name that is not one of the known entity kinds.
    #[error("unknown kind {value:?}; known kinds: {known}")]
    UnknownKind { value: String, known: String },
}
