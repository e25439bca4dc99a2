//! The PDF, made in-process with krilla: A4 pages laid out here (text wrapped by the bundled
//! fonts' advances, tables that break across pages with their header repeated, charts drawn as
//! vector paths from the same geometry as the SVG), then drawn by krilla, which shapes the text
//! (rustybuzz: right-to-left scripts included) and embeds subsets of the bundled fonts, so the
//! output is the same on every machine.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, LineCap, LineJoin, Stroke, StrokeDash};
use krilla::text::{Font, TextDirection};
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use crate::ReportError;
use crate::model::{Block, Chart, ChartKind, Report};
use crate::svg::{Layout, polylines, stacked, tick_label};

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

const W: f32 = 595.0;
const H: f32 = 842.0;
const MARGIN: f32 = 48.0;
const BOTTOM: f32 = H - MARGIN - 10.0;
const CONTENT: f32 = W - 2.0 * MARGIN;
const INK: Rgb = (0x1d, 0x1d, 0x1d);
const BLUE: Rgb = (0x1f, 0x4e, 0x79);
const GREY: Rgb = (0x55, 0x55, 0x55);

type Rgb = (u8, u8, u8);

fn hex(s: &str) -> Rgb {
    let v = |i: usize| {
        s.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0)
    };
    (v(1), v(3), v(5))
}

/// Something to draw on a page.
#[derive(Debug, Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        color: Rgb,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    Line {
        pts: Vec<(f32, f32)>,
        width: f32,
        color: Rgb,
        dash: bool,
    },
}

/// A font's advances, for wrapping.
struct Metrics {
    cmap: skrifa::charmap::Charmap<'static>,
    gm: GlyphMetrics<'static>,
}

impl Metrics {
    fn new(data: &'static [u8], name: &str) -> Result<Metrics, ReportError> {
        let f = FontRef::new(data).map_err(|e| ReportError::Font {
            name: name.into(),
            reason: e.to_string(),
        })?;
        Ok(Metrics {
            cmap: f.charmap(),
            gm: f.glyph_metrics(Size::new(1.0), LocationRef::default()),
        })
    }

    fn width(&self, s: &str, size: f32) -> f32 {
        s.chars()
            .map(|c| {
                self.cmap
                    .map(c)
                    .and_then(|g| self.gm.advance_width(g))
                    .unwrap_or(0.6)
            })
            .sum::<f32>()
            * size
    }
}

struct Pager {
    regular: Metrics,
    bold: Metrics,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Pager {
    fn m(&self, bold: bool) -> &Metrics {
        if bold { &self.bold } else { &self.regular }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    fn ensure(&mut self, h: f32) {
        if self.y + h > BOTTOM {
            self.new_page();
        }
    }

    fn push(&mut self, op: Op) {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        if let Some(p) = self.pages.last_mut() {
            p.push(op);
        }
    }

    /// Lines of at most `width` points; a word longer than a line is cut.
    fn wrap(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
        let m = self.m(bold);
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            for word in para.split(' ').filter(|w| !w.is_empty()) {
                let cand = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if m.width(&cand, size) <= width {
                    line = cand;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // A word wider than the line: cut it by characters.
                let mut piece = String::new();
                for ch in word.chars() {
                    piece.push(ch);
                    if m.width(&piece, size) > width && piece.chars().count() > 1 {
                        piece.pop();
                        lines.push(std::mem::take(&mut piece));
                        piece.push(ch);
                    }
                }
                line = piece;
            }
            lines.push(line);
        }
        lines
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, color: Rgb, text: &str) {
        self.push(Op::Text {
            x,
            y,
            size,
            bold,
            color,
            text: text.to_string(),
        });
    }

    fn paragraph(&mut self, text: &str, size: f32, bold: bool, color: Rgb, shade: Option<Rgb>) {
        let pad = if shade.is_some() { 4.0 } else { 0.0 };
        let lines = self.wrap(text, size, bold, CONTENT - 2.0 * pad - 4.0);
        let lead = size * 1.35;
        for (i, l) in lines.iter().enumerate() {
            self.ensure(lead + pad);
            if let Some(c) = shade {
                let top = if i == 0 { pad } else { 0.0 };
                let bottom = if i + 1 == lines.len() { pad } else { 0.0 };
                let y0 = self.y - top;
                self.push(Op::Rect {
                    x: MARGIN,
                    y: y0,
                    w: CONTENT,
                    h: lead + top + bottom,
                    color: c,
                });
                self.push(Op::Rect {
                    x: MARGIN,
                    y: y0,
                    w: 3.0,
                    h: lead + top + bottom,
                    color: (0xe0, 0xa0, 0x20),
                });
            }
            let y = self.y + size;
            self.text(
                MARGIN + pad + if shade.is_some() { 4.0 } else { 0.0 },
                y,
                size,
                bold,
                color,
                l,
            );
            self.y += lead;
        }
        self.y += 6.0 + pad;
    }

    fn table(&mut self, columns: &[String], rows: &[Vec<String>], numeric: &[bool]) {
        let size = 7.5;
        let pad = 3.0;
        let lead = size * 1.3;
        let n = columns.len().max(1);
        let m = &self.regular;
        let mut desired = vec![0f32; n];
        let mut minimum = vec![0f32; n];
        for (i, c) in columns.iter().enumerate() {
            desired[i] = self.bold.width(c, size).min(160.0);
            minimum[i] = c
                .split(' ')
                .map(|w| self.bold.width(w, size))
                .fold(0.0, f32::max)
                .min(70.0);
        }
        for r in rows {
            for (i, c) in r.iter().enumerate().take(n) {
                desired[i] = desired[i].max(m.width(c, size).min(220.0));
                minimum[i] = minimum[i].max(
                    c.split(' ')
                        .map(|w| m.width(w, size))
                        .fold(0.0, f32::max)
                        .min(70.0),
                );
            }
        }
        let avail = CONTENT - 2.0 * pad * n as f32;
        let dsum: f32 = desired.iter().sum();
        let widths: Vec<f32> = if dsum <= avail {
            desired
                .iter()
                .map(|d| d + (avail - dsum) * d / dsum.max(1.0))
                .collect()
        } else {
            let msum: f32 = minimum.iter().sum();
            let extra = (avail - msum).max(0.0);
            let flex: f32 = desired.iter().zip(&minimum).map(|(d, m)| d - m).sum();
            desired
                .iter()
                .zip(&minimum)
                .map(|(d, m)| m + extra * (d - m) / flex.max(1.0))
                .map(|w| w * (avail / msum.max(avail)).min(1.0))
                .collect()
        };
        let widths: Vec<f32> = widths.iter().map(|w| w + 2.0 * pad).collect();
        let header: Vec<Vec<String>> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| self.wrap(c, size, true, widths[i] - 2.0 * pad))
            .collect();
        let head_h = header.iter().map(Vec::len).max().unwrap_or(1) as f32 * lead + 2.0 * pad;
        let draw_header = |p: &mut Pager| {
            p.push(Op::Rect {
                x: MARGIN,
                y: p.y,
                w: CONTENT,
                h: head_h,
                color: (0xe8, 0xee, 0xf5),
            });
            let mut x = MARGIN;
            for (i, lines) in header.iter().enumerate() {
                for (k, l) in lines.iter().enumerate() {
                    p.text(
                        x + pad,
                        p.y + pad + size + k as f32 * lead,
                        size,
                        true,
                        INK,
                        l,
                    );
                }
                x += widths[i];
            }
            p.y += head_h;
        };
        self.ensure(head_h + lead + 2.0 * pad);
        draw_header(self);
        for r in rows {
            let cells: Vec<Vec<String>> = (0..n)
                .map(|i| {
                    let t = r.get(i).map(String::as_str).unwrap_or("");
                    self.wrap(t, size, false, widths[i] - 2.0 * pad)
                })
                .collect();
            let row_h = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * lead + 2.0 * pad;
            if self.y + row_h > BOTTOM {
                self.new_page();
                draw_header(self);
            }
            let mut x = MARGIN;
            for (i, lines) in cells.iter().enumerate() {
                let right = numeric.get(i).copied().unwrap_or(false);
                for (k, l) in lines.iter().enumerate() {
                    let tx = if right {
                        x + widths[i] - pad - self.regular.width(l, size)
                    } else {
                        x + pad
                    };
                    self.text(
                        tx,
                        self.y + pad + size + k as f32 * lead,
                        size,
                        false,
                        INK,
                        l,
                    );
                }
                x += widths[i];
            }
            self.y += row_h;
            self.push(Op::Line {
                pts: vec![(MARGIN, self.y), (MARGIN + CONTENT, self.y)],
                width: 0.4,
                color: (0xcc, 0xcc, 0xcc),
                dash: false,
            });
        }
        self.y += 8.0;
    }

    fn chart(&mut self, c: &Chart) {
        let h = 230.0;
        self.ensure(h + 6.0);
        let l = Layout::new(c, f64::from(CONTENT), f64::from(h));
        let ox = MARGIN;
        let oy = self.y;
        let px = |x: f64| ox + x as f32;
        let py = |y: f64| oy + y as f32;
        self.text(px(l.left), py(14.0), 9.0, true, INK, &c.title);
        for t in l.ticks() {
            let y = py(l.y(t));
            self.push(Op::Line {
                pts: vec![(px(l.left), y), (px(l.right), y)],
                width: 0.4,
                color: (0xdd, 0xdd, 0xdd),
                dash: false,
            });
            let label = tick_label(t, l.step);
            let w = self.regular.width(&label, 7.0);
            self.text(px(l.left) - 4.0 - w, y + 2.5, 7.0, false, GREY, &label);
        }
        self.text(px(4.0), py(l.top) - 6.0, 7.0, false, GREY, &c.unit);
        match c.kind {
            ChartKind::StackedBars => {
                let bw = l.bar_width(c) as f32;
                for (x, y, hh, col) in stacked(c, &l) {
                    self.push(Op::Rect {
                        x: px(x) - bw / 2.0,
                        y: py(y),
                        w: bw,
                        h: hh as f32,
                        color: hex(&col),
                    });
                }
            }
            ChartKind::Lines => {
                for (si, run) in polylines(c, &l) {
                    let s = &c.series[si];
                    let pts = run.iter().map(|(x, y)| (px(*x), py(*y))).collect();
                    self.push(Op::Line {
                        pts,
                        width: 1.6,
                        color: hex(&s.color),
                        dash: s.dashed,
                    });
                }
            }
        }
        if let Some((i, label)) = &c.marker {
            let x = px(l.x(c, *i - 0.5));
            self.push(Op::Line {
                pts: vec![(x, py(l.top)), (x, py(l.bottom))],
                width: 0.8,
                color: (0xb2, 0x3a, 0x3a),
                dash: true,
            });
            let w = self.regular.width(label, 7.0);
            self.text(
                x - 3.0 - w,
                py(l.top) + 9.0,
                7.0,
                false,
                (0xb2, 0x3a, 0x3a),
                label,
            );
        }
        self.push(Op::Line {
            pts: vec![(px(l.left), py(l.bottom)), (px(l.right), py(l.bottom))],
            width: 0.8,
            color: (0x33, 0x33, 0x33),
            dash: false,
        });
        let every = l.label_every(c);
        for (i, x) in c.x.iter().enumerate().filter(|(i, _)| i % every == 0) {
            let w = self.regular.width(x, 7.0);
            self.text(
                px(l.x(c, i as f64)) - w / 2.0,
                py(l.bottom) + 11.0,
                7.0,
                false,
                GREY,
                x,
            );
        }
        for (i, s) in c.series.iter().enumerate() {
            let (x, y) = l.legend(i);
            self.push(Op::Rect {
                x: px(x),
                y: py(y) - 8.0,
                w: 9.0,
                h: 9.0,
                color: hex(&s.color),
            });
            self.text(px(x) + 13.0, py(y), 7.5, false, INK, &s.name);
        }
        self.y += h + 8.0;
    }
}

fn fill(c: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

/// The report as PDF bytes.
pub fn render(r: &Report) -> Result<Vec<u8>, ReportError> {
    let mut p = Pager {
        regular: Metrics::new(REGULAR, "DejaVuSans.ttf")?,
        bold: Metrics::new(BOLD, "DejaVuSans-Bold.ttf")?,
        pages: Vec::new(),
        y: MARGIN,
    };
    p.new_page();
    p.paragraph(&r.title, 17.0, true, BLUE, None);
    p.paragraph(&r.subtitle, 9.0, false, GREY, None);
    for s in &r.sections {
        p.ensure(60.0);
        p.y += 6.0;
        p.paragraph(&s.title, 13.0, true, BLUE, None);
        p.push(Op::Line {
            pts: vec![(MARGIN, p.y - 5.0), (MARGIN + CONTENT, p.y - 5.0)],
            width: 1.2,
            color: BLUE,
            dash: false,
        });
        for b in &s.blocks {
            match b {
                Block::Paragraph { text } => p.paragraph(text, 9.0, false, INK, None),
                Block::Heading { text } => {
                    p.ensure(50.0);
                    p.paragraph(text, 10.0, true, INK, None)
                }
                Block::Missing { text } => {
                    p.paragraph(text, 9.0, false, INK, Some((0xff, 0xf6, 0xe0)))
                }
                Block::Table {
                    columns,
                    rows,
                    numeric,
                } => p.table(columns, rows, numeric),
                Block::Chart(c) => p.chart(c),
            }
        }
    }
    p.ensure(60.0);
    p.y += 6.0;
    p.paragraph("Sources", 13.0, true, BLUE, None);
    if r.footnotes.is_empty() {
        p.paragraph(
            "No figure in this report cites a source: every figure above is computed from the hazard data held.",
            9.0, false, INK, Some((0xff, 0xf6, 0xe0)),
        );
    }
    for f in &r.footnotes {
        p.paragraph(&format!("[{}] {}", f.n, f.text), 7.5, false, INK, None);
    }
    let total = p.pages.len();
    let regular = Font::new(REGULAR.into(), 0).ok_or_else(|| ReportError::Font {
        name: "DejaVuSans.ttf".into(),
        reason: "not a font krilla can read".into(),
    })?;
    let bold = Font::new(BOLD.into(), 0).ok_or_else(|| ReportError::Font {
        name: "DejaVuSans-Bold.ttf".into(),
        reason: "not a font krilla can read".into(),
    })?;
    let settings =
        PageSettings::from_wh(W, H).ok_or_else(|| ReportError::Pdf("page size".into()))?;
    let mut doc = Document::new();
    let footer_title: String = r.title.chars().take(80).collect();
    for (i, ops) in p.pages.iter().enumerate() {
        let mut page = doc.start_page_with(settings.clone());
        let mut s = page.surface();
        let footer = format!("{footer_title} · page {} of {total}", i + 1);
        let footer_op = Op::Text {
            x: MARGIN,
            y: H - MARGIN + 14.0,
            size: 7.0,
            bold: false,
            color: GREY,
            text: footer,
        };
        for op in ops.iter().chain(std::iter::once(&footer_op)) {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold: b,
                    color,
                    text,
                } => {
                    if text.is_empty() {
                        continue;
                    }
                    s.set_fill(Some(fill(*color)));
                    s.set_stroke(None);
                    let font = if *b { bold.clone() } else { regular.clone() };
                    s.draw_text(
                        Point::from_xy(*x, *y),
                        font,
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Rect { x, y, w, h, color } => {
                    let mut pb = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(*x, *y, w.max(0.01), h.max(0.01)) {
                        pb.push_rect(rect);
                    }
                    if let Some(path) = pb.finish() {
                        s.set_fill(Some(fill(*color)));
                        s.set_stroke(None);
                        s.draw_path(&path);
                    }
                }
                Op::Line {
                    pts,
                    width,
                    color,
                    dash,
                } => {
                    let mut pb = PathBuilder::new();
                    for (k, (x, y)) in pts.iter().enumerate() {
                        if k == 0 {
                            pb.move_to(*x, *y)
                        } else {
                            pb.line_to(*x, *y)
                        }
                    }
                    if let Some(path) = pb.finish() {
                        s.set_fill(None);
                        s.set_stroke(Some(Stroke {
                            paint: rgb::Color::new(color.0, color.1, color.2).into(),
                            width: *width,
                            miter_limit: 4.0,
                            line_cap: LineCap::Butt,
                            line_join: LineJoin::Round,
                            opacity: NormalizedF32::ONE,
                            dash: dash.then(|| StrokeDash {
                                array: vec![4.0, 3.0],
                                offset: 0.0,
                            }),
                        }));
                        s.draw_path(&path);
                    }
                }
            }
        }
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
}
