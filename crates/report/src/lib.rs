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
