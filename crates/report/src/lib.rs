//! Reports: a Monitor-style profile of the world or of one State, a draft Art. 7 transparency
//! report, and the figures of an Art. 5(4) extension request, as HTML, Markdown, JSON or PDF.
//!
//! The public API is three steps, so that the CLI and the server call the same code:
//! [`fetch`] the inputs from a store (for a reader's access level), [`build`] the [`Report`]
//! model from them (pure: the same inputs and date give the same report), and [`render`] it in
//! a [`Format`].

mod build;
mod error;
pub mod html;
pub mod inputs;
pub mod md;
pub mod model;
pub mod pdf;
pub mod svg;

pub use build::{FORECAST_WINDOW, build};
pub use error::ReportError;
pub use inputs::{Inputs, ReportKind, fetch};
pub use model::Report;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
    Json,
    Pdf,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "html" => Ok(Format::Html),
            "md" | "markdown" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            "pdf" => Ok(Format::Pdf),
            other => Err(format!("unknown format {other:?}: html, md, json or pdf")),
        }
    }
}

impl Format {
    /// The media type a download of this format is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Json => "application/json",
            Format::Pdf => "application/pdf",
        }
    }

    /// The file name extension of this format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Markdown => "md",
            Format::Json => "json",
            Format::Pdf => "pdf",
        }
    }
}

/// The file name a report is downloaded as: `world-2026-11-30.pdf`, `country-khm-2026-11-30.md`,
/// `article7-khm-2025-2026-11-30.html` (the kind, the State, the year covered, the date).
pub fn file_name(kind: &ReportKind, as_of: chrono::NaiveDate, format: Format) -> String {
    let stem = match kind {
        ReportKind::World => "world".to_string(),
        ReportKind::Country { iso3 } => format!("country-{}", iso3.to_ascii_lowercase()),
        ReportKind::Article7 { iso3, year } => {
            format!("article7-{}-{year}", iso3.to_ascii_lowercase())
        }
        ReportKind::Extension { iso3 } => format!("extension-{}", iso3.to_ascii_lowercase()),
    };
    format!("{stem}-{as_of}.{}", format.extension())
}

/// The three steps in one: [`fetch`] for a reader at `access`, [`build`], [`render`]. What the
/// CLI, the API and the dashboard call.
pub async fn make<S: demine_store::Store + demine_store::HazardStore>(
    store: &S,
    access: demine_store::Access,
    kind: &ReportKind,
    as_of: chrono::NaiveDate,
    format: Format,
) -> Result<Vec<u8>, ReportError> {
    let inputs = fetch(store, access, kind, as_of).await?;
    let report = build(&inputs, kind)?;
    render(&report, format)
}

/// The report in a format, as bytes.
pub fn render(report: &Report, format: Format) -> Result<Vec<u8>, ReportError> {
    match format {
        Format::Html => Ok(html::render(report).into_bytes()),
        Format::Markdown => Ok(md::render(report).into_bytes()),
        Format::Json => {
            let mut v = serde_json::to_vec_pretty(report)?;
            v.push(b'\n');
            Ok(v)
        }
        Format::Pdf => pdf::render(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_name_the_kind_state_year_and_date() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
        assert_eq!(
            file_name(&ReportKind::World, d, Format::Pdf),
            "world-2026-11-30.pdf"
        );
        let k = ReportKind::Article7 {
            iso3: "KHM".into(),
            year: 2025,
        };
        assert_eq!(
            file_name(&k, d, Format::Markdown),
            "article7-khm-2025-2026-11-30.md"
        );
        for f in ["html", "md", "json", "pdf"] {
            let f: Format = f.parse().unwrap_or(Format::Html);
            assert!(file_name(&k, d, f).ends_with(f.extension()));
        }
    }
}
