/// What can stop a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading the inputs from the store failed.
    #[error("reading the report's data: {0}")]
    Store(#[from] demine_store::StoreError),
    /// The State asked about is not in the registry.
    #[error("no State {iso3} in the registry")]
    UnknownState { iso3: String },
    /// A bundled font could not be read.
    #[error("font {name}: {reason}")]
    Font { name: String, reason: String },
    /// The PDF writer refused the document.
    #[error("writing the PDF: {0}")]
    Pdf(String),
    /// Serialising the JSON form failed.
    #[error("writing the JSON: {0}")]
    Json(#[from] serde_json::Error),
}
