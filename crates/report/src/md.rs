//! Markdown: headings, pipe tables, charts as their data tables, footnotes at the end.

use std::fmt::Write as _;

use crate::model::{Block, Report, num};

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n\n{}\n", r.title, r.subtitle);
    for s in &r.sections {
        let _ = writeln!(o, "## {}\n", s.title);
        for b in &s.blocks {
            match b {
                Block::Paragraph { text } => {
                    let _ = writeln!(o, "{text}\n");
                }
                Block::Heading { text } => {
                    let _ = writeln!(o, "### {text}\n");
                }
                Block::Missing { text } => {
                    let _ = writeln!(o, "> **Missing:** {text}\n");
                }
                Block::Table {
                    columns,
                    rows,
                    numeric,
                } => {
                    let _ = writeln!(
                        o,
                        "| {} |",
                        columns
                            .iter()
                            .map(|c| cell(c))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    );
                    let _ = writeln!(
                        o,
                        "|{}|",
                        (0..columns.len())
                            .map(|i| if numeric.get(i).copied().unwrap_or(false) {
                                " ---: "
                            } else {
                                " --- "
                            })
                            .collect::<Vec<_>>()
                            .join("|")
                    );
                    for row in rows {
                        let _ = writeln!(
                            o,
                            "| {} |",
                            row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
                        );
                    }
                    o.push('\n');
                }
                Block::Chart(c) => {
                    let _ = writeln!(o, "*Chart: {} ({}).*\n", c.title, c.unit);
                    let mut head = vec![String::new()];
                    head.extend(c.series.iter().map(|s| cell(&s.name)));
                    let _ = writeln!(o, "| {} |", head.join(" | "));
                    let _ = writeln!(o, "|{}|", vec![" --- "; head.len()].join("|"));
                    for (i, x) in c.x.iter().enumerate() {
                        let vals: Vec<String> = c
                            .series
                            .iter()
                            .map(|s| {
                                s.values
                                    .get(i)
                                    .copied()
                                    .flatten()
                                    .map_or(String::new(), |v| num(v, 2))
                            })
                            .collect();
                        let _ = writeln!(o, "| {} | {} |", x, vals.join(" | "));
                    }
                    o.push('\n');
                }
            }
        }
    }
    let _ = writeln!(o, "## Sources\n");
    if r.footnotes.is_empty() {
        let _ = writeln!(
            o,
            "No figure in this report cites a source: every figure above is computed from the hazard data held."
        );
    }
    for f in &r.footnotes {
        let _ = writeln!(o, "{}. {}", f.n, f.text);
    }
    o
}
