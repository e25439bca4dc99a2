//! The report model every format is rendered from: sections of paragraphs, tables and charts,
//! with numbered footnotes for the sources. Building the model decides every word and number;
//! the renderers only lay it out, so the formats cannot disagree.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use demine_core::records::{SourceRecord, source_ids};
use serde::Serialize;

/// A whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// `world`, `country`, `article7` or `extension`.
    pub kind: String,
    pub title: String,
    pub subtitle: String,
    pub as_of: NaiveDate,
    pub sections: Vec<Section>,
    /// The sources cited, numbered in order of first citation (`[n]` in the text).
    pub footnotes: Vec<Footnote>,
    /// The analytics results the sections were written from, in full, for machines.
    pub figures: serde_json::Value,
}

/// A titled part of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

/// One element of a section.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Block {
    Paragraph {
        text: String,
    },
    Heading {
        text: String,
    },
    Table {
        columns: Vec<String>,
        rows: Vec<Vec<String>>,
        /// Which columns hold numbers (right-aligned).
        numeric: Vec<bool>,
    },
    Chart(Chart),
    /// What the data lacks: a sentence saying why a part is empty, never a guess.
    Missing {
        text: String,
    },
}

/// How a chart draws its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChartKind {
    /// Series stacked in one bar per x.
    StackedBars,
    /// One line per series.
    Lines,
}

/// A chart: categories along x, one or more series of values (None: no value).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    pub title: String,
    pub kind: ChartKind,
    pub x: Vec<String>,
    pub unit: String,
    pub series: Vec<Series>,
    /// A vertical marker at an x position (index, fractional allowed) with a label: a deadline.
    pub marker: Option<(f64, String)>,
}

/// One series of a chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    pub values: Vec<Option<f64>>,
    /// Drawn dashed (a projection rather than a record).
    pub dashed: bool,
}

impl Chart {
    /// The largest value the chart must show (stacked: the largest stack); at least 1.
    pub fn max_value(&self) -> f64 {
        let m = match self.kind {
            ChartKind::StackedBars => (0..self.x.len())
                .map(|i| {
                    self.series
                        .iter()
                        .filter_map(|s| s.values.get(i).copied().flatten())
                        .filter(|v| *v > 0.0)
                        .sum::<f64>()
                })
                .fold(0.0, f64::max),
            ChartKind::Lines => self
                .series
                .iter()
                .flat_map(|s| s.values.iter().flatten())
                .copied()
                .fold(0.0, f64::max),
        };
        if m > 0.0 && m.is_finite() { m } else { 1.0 }
    }
}

/// A "nice" axis top and step for a maximum: 1, 2 or 5 times a power of ten, 4 to 6 steps.
pub fn axis(max: f64) -> (f64, f64) {
    let raw = max / 5.0;
    let p = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p);
    ((max / step).ceil() * step, step)
}

/// A source cited.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Footnote {
    pub n: usize,
    pub id: String,
    /// Title, publisher, year and address, or a sentence saying the registry does not describe
    /// the id (a bundled seed text, say).
    pub text: String,
}

/// Numbers the sources as they are cited.
#[derive(Debug, Clone, Default)]
pub struct Notes {
    known: BTreeMap<String, SourceRecord>,
    list: Vec<Footnote>,
}

impl Notes {
    pub fn new(sources: &[SourceRecord]) -> Notes {
        Notes {
            known: sources.iter().map(|s| (s.id.clone(), s.clone())).collect(),
            list: Vec::new(),
        }
    }

    /// The marks (`[1][4]`) for a source field (ids separated by `;`); empty for none.
    pub fn cite(&mut self, source: &str) -> String {
        let mut out = String::new();
        for id in source_ids(source) {
            let n = match self.list.iter().find(|f| f.id == id) {
                Some(f) => f.n,
                None => {
                    let n = self.list.len() + 1;
                    let text = match self.known.get(id) {
                        Some(s) => format!(
                            "{}. {}, {}. {}",
                            s.title,
                            s.publisher,
                            s.year.map_or("n.d.".to_string(), |y| y.to_string()),
                            s.url
                        ),
                        None if id.ends_with(".txt") => format!(
                            "{id}: one of the 1997 source texts the bundled seed records were \
                             taken from (data/README.md)"
                        ),
                        None => format!("{id} (not described in data/record/sources.csv)"),
                    };
                    self.list.push(Footnote {
                        n,
                        id: id.to_string(),
                        text,
                    });
                    n
                }
            };
            out.push_str(&format!("[{n}]"));
        }
        out
    }

    /// A text followed by its marks, when there are any.
    pub fn with(&mut self, text: impl Into<String>, source: &str) -> String {
        let t = text.into();
        let c = self.cite(source);
        if c.is_empty() { t } else { format!("{t} {c}") }
    }

    pub fn finish(self) -> Vec<Footnote> {
        self.list
    }
}

/// A number with thousands separators and `decimals` decimals.
pub fn num(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let neg = v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0');
    format!(
        "{}{}{}",
        if neg { "-" } else { "" },
        grouped,
        frac.map(|f| format!(".{f}")).unwrap_or_default()
    )
}

/// A range, one figure when both ends agree.
pub fn range(low: f64, high: f64, decimals: usize) -> String {
    if (low - high).abs() < f64::EPSILON {
        num(low, decimals)
    } else {
        format!("{}-{}", num(low, decimals), num(high, decimals))
    }
}

/// US dollars, in millions or billions where large.
pub fn usd(v: f64) -> String {
    if v.abs() >= 1e9 {
        format!("${} billion", num(v / 1e9, 2))
    } else if v.abs() >= 1e6 {
        format!("${} million", num(v / 1e6, 1))
    } else {
        format!("${}", num(v, 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(num(1234567.891, 2), "1,234,567.89");
        assert_eq!(num(-1000.0, 0), "-1,000");
        assert_eq!(num(999.0, 0), "999");
        assert_eq!(range(80e6, 110e6, 0), "80,000,000-110,000,000");
        assert_eq!(usd(24e9), "$24.00 billion");
    }

    #[test]
    fn axis_is_round_and_covers_the_maximum() {
        for m in [0.3, 1.0, 7.0, 42.0, 999.0, 12345.0] {
            let (top, step) = axis(m);
            assert!(
                top >= m && step > 0.0 && top / step <= 10.0,
                "{m}: {top} {step}"
            );
        }
    }

    #[test]
    fn footnotes_are_numbered_once_each() {
        let mut n = Notes::new(&[]);
        assert_eq!(n.cite("a;b"), "[1][2]");
        assert_eq!(n.cite("b"), "[2]");
        assert_eq!(n.finish().len(), 2);
    }
}
