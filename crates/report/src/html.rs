//! One self-contained HTML file: inline CSS, inline SVG charts, no external fonts or scripts.

use std::fmt::Write as _;

use crate::model::{Block, Report, Section};

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Escapes, then turns footnote marks `[n]` into superscript links to `#fn{n}`.
#[cfg(test)]
fn text(s: &str) -> String {
    text_with(s, "fn")
}

/// [`text`] with the footnotes' anchors named `{prefix}{n}`.
fn text_with(s: &str, prefix: &str) -> String {
    let e = escape(s);
    let mut o = String::with_capacity(e.len());
    let mut rest = e.as_str();
    while let Some(i) = rest.find('[') {
        o.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find(']') {
            Some(j) if j > 0 && after[..j].chars().all(|c| c.is_ascii_digit()) => {
                let n = &after[..j];
                let _ = write!(o, "<sup><a href=\"#{prefix}{n}\">[{n}]</a></sup>");
                rest = &after[j + 1..];
            }
            _ => {
                o.push('[');
                rest = after;
            }
        }
    }
    o.push_str(rest);
    o
}

const CSS: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;max-width:60rem;margin:2rem auto;\
padding:0 1rem;color:#1d1d1d;line-height:1.45}h1{color:#1f4e79;margin-bottom:.2rem}\
h2{color:#1f4e79;border-bottom:2px solid #1f4e79;padding-bottom:.2rem;margin-top:2rem}\
h3{margin-bottom:.3rem}.sub{color:#555}table{border-collapse:collapse;width:100%;margin:.5rem 0;\
font-size:.85rem}th,td{border:1px solid #ccc;padding:.25rem .4rem;vertical-align:top;text-align:left;\
overflow-wrap:break-word}th{background:#e8eef5}td.n{text-align:right;white-space:nowrap}\
.missing{background:#fff6e0;border-left:4px solid #e0a020;padding:.4rem .6rem}\
figure{margin:.8rem 0}svg{width:100%;height:auto;max-width:48rem}ol.notes{font-size:.8rem;\
overflow-wrap:anywhere}sup a{text-decoration:none}";

/// The report as an HTML page.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta \
         name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n\
         <style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"sub\">{}</p>\n",
        escape(&r.title),
        escape(&r.title),
        escape(&r.subtitle)
    );
    for s in &r.sections {
        o.push_str(&section(s, "fn"));
    }
    o.push_str("<section id=\"sources\">\n<h2>Sources</h2>\n");
    if r.footnotes.is_empty() {
        o.push_str("<p class=\"missing\">No figure in this report cites a source: every figure above is computed from the hazard data held.</p>\n");
    } else {
        o.push_str("<ol class=\"notes\">\n");
        for f in &r.footnotes {
            let _ = writeln!(o, "<li id=\"fn{}\">{}</li>", f.n, escape(&f.text));
        }
        o.push_str("</ol>\n");
    }
    o.push_str("</section>\n</body>\n</html>\n");
    o
}

/// One section as an HTML `<section>` (heading, paragraphs, tables, SVG charts), its footnote
/// marks linking to `#{prefix}{n}`: what a page that shows part of a report embeds.
pub fn section(s: &Section, prefix: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<section id=\"{}\">\n<h2>{}</h2>",
        escape(&s.id),
        escape(&s.title)
    );
    for b in &s.blocks {
        match b {
            Block::Paragraph { text: t } => {
                let _ = writeln!(o, "<p>{}</p>", text_with(t.as_str(), prefix));
            }
            Block::Heading { text: t } => {
                let _ = writeln!(o, "<h3>{}</h3>", text_with(t.as_str(), prefix));
            }
            Block::Missing { text: t } => {
                let _ = writeln!(
                    o,
                    "<p class=\"missing\">{}</p>",
                    text_with(t.as_str(), prefix)
                );
            }
            Block::Chart(c) => {
                let _ = writeln!(o, "<figure>{}</figure>", crate::svg::svg(c));
            }
            Block::Table {
                columns,
                rows,
                numeric,
            } => {
                o.push_str("<table>\n<thead><tr>");
                for c in columns {
                    let _ = write!(o, "<th>{}</th>", escape(c));
                }
                o.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    o.push_str("<tr>");
                    for (i, cell) in row.iter().enumerate() {
                        let n = numeric.get(i).copied().unwrap_or(false);
                        let _ = write!(
                            o,
                            "<td{}>{}</td>",
                            if n { " class=\"n\"" } else { "" },
                            text_with(cell, prefix)
                        );
                    }
                    o.push_str("</tr>\n");
                }
                o.push_str("</tbody>\n</table>\n");
            }
        }
    }
    o.push_str("</section>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_become_links_and_other_brackets_stay() {
        assert_eq!(
            text("a <b> [2] [x]"),
            "a &lt;b&gt; <sup><a href=\"#fn2\">[2]</a></sup> [x]"
        );
    }
}
