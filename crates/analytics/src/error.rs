/// What can go wrong computing an answer: the inputs contradict each other.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalyticsError {
    /// A figure that cannot be used as given (negative, not a number).
    #[error("{what}: {value} is not a usable figure ({reason})")]
    BadFigure {
        what: String,
        value: f64,
        reason: String,
    },
    /// The treaty engine cannot place a State's recorded events (or its extensions) in time.
    #[error("treaty engine, for {iso3}: {reason}")]
    Treaty { iso3: String, reason: String },
    /// Something asked about is not in the records given.
    #[error("not found: {what}")]
    NotFound { what: String },
}
