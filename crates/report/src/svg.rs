//! Charts as SVG text (the HTML embeds them inline). The PDF draws the same [`Chart`]s with
//! krilla's paths from the same geometry ([`Layout`]), so both show the same picture.

use std::fmt::Write as _;

use crate::model::{Chart, ChartKind, axis, num};

/// Where a chart's parts go in a box of `w` × `h` points.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub w: f64,
    pub h: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub max: f64,
    pub step: f64,
}

impl Layout {
    pub fn new(c: &Chart, w: f64, h: f64) -> Layout {
        let (max, step) = axis(c.max_value());
        let legend_rows = c.series.len().div_ceil(2) as f64;
        Layout {
            w,
            h,
            left: 56.0,
            right: w - 12.0,
            top: 24.0,
            bottom: h - 30.0 - legend_rows * 14.0,
            max,
            step,
        }
    }

    /// The x of the centre of category `i` (fractional allowed).
    pub fn x(&self, c: &Chart, i: f64) -> f64 {
        let n = c.x.len().max(1) as f64;
        self.left + (self.right - self.left) * (i + 0.5) / n
    }

    pub fn y(&self, v: f64) -> f64 {
        self.bottom - (self.bottom - self.top) * (v / self.max).clamp(0.0, 1.05)
    }

    pub fn bar_width(&self, c: &Chart) -> f64 {
        let n = c.x.len().max(1) as f64;
        ((self.right - self.left) / n * 0.7).max(1.0)
    }

    /// Which x labels to print so that they do not overlap (every k-th).
    pub fn label_every(&self, c: &Chart) -> usize {
        let room = (self.right - self.left) / c.x.len().max(1) as f64;
        ((30.0 / room).ceil() as usize).max(1)
    }

    /// The legend entries' positions.
    pub fn legend(&self, i: usize) -> (f64, f64) {
        let col = (i % 2) as f64;
        let row = (i / 2) as f64;
        (
            self.left + col * (self.right - self.left) / 2.0,
            self.bottom + 30.0 + row * 14.0,
        )
    }

    /// Gridline values from 0 to the top.
    pub fn ticks(&self) -> Vec<f64> {
        let n = (self.max / self.step).round() as usize;
        (0..=n).map(|i| i as f64 * self.step).collect()
    }
}

/// A tick label: few decimals for small steps.
pub fn tick_label(v: f64, step: f64) -> String {
    let d = if step >= 1.0 {
        0
    } else if step >= 0.1 {
        1
    } else {
        2
    };
    num(v, d)
}

/// Each stacked bar's segments: (x centre, y top, height, colour).
pub fn stacked(c: &Chart, l: &Layout) -> Vec<(f64, f64, f64, String)> {
    let mut out = Vec::new();
    for i in 0..c.x.len() {
        let mut base = 0.0;
        for s in &c.series {
            let v = s.values.get(i).copied().flatten().unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let y0 = l.y(base);
            let y1 = l.y(base + v);
            out.push((l.x(c, i as f64), y1, y0 - y1, s.color.clone()));
            base += v;
        }
    }
    out
}

/// Each line series' runs of consecutive points.
pub fn polylines(c: &Chart, l: &Layout) -> Vec<(usize, Vec<(f64, f64)>)> {
    let mut out = Vec::new();
    for (si, s) in c.series.iter().enumerate() {
        let mut run = Vec::new();
        for (i, v) in s.values.iter().enumerate() {
            match v {
                Some(v) => run.push((l.x(c, i as f64), l.y(*v))),
                None if !run.is_empty() => out.push((si, std::mem::take(&mut run))),
                None => {}
            }
        }
        if !run.is_empty() {
            out.push((si, run));
        }
    }
    out
}

fn esc(s: &str) -> String {
    crate::html::escape(s)
}

/// The chart as an SVG element.
pub fn svg(c: &Chart) -> String {
    let l = Layout::new(c, 640.0, 300.0);
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" role=\"img\" \
         aria-label=\"{}\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"10\">",
        l.w,
        l.h,
        esc(&c.title)
    );
    let _ = write!(
        o,
        "<text x=\"{}\" y=\"14\" font-weight=\"bold\" font-size=\"11\">{}</text>",
        l.left,
        esc(&c.title)
    );
    for t in l.ticks() {
        let y = l.y(t);
        let _ = write!(
            o,
            "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#dddddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            l.left,
            l.right,
            l.left - 4.0,
            y + 3.0,
            tick_label(t, l.step)
        );
    }
    let _ = write!(
        o,
        "<text x=\"10\" y=\"{:.1}\" transform=\"rotate(-90 10 {:.1})\" text-anchor=\"middle\">{}</text>",
        (l.top + l.bottom) / 2.0,
        (l.top + l.bottom) / 2.0,
        esc(&c.unit)
    );
    match c.kind {
        ChartKind::StackedBars => {
            let bw = l.bar_width(c);
            for (x, y, h, col) in stacked(c, &l) {
                let _ = write!(
                    o,
                    "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{h:.1}\" fill=\"{col}\"/>",
                    x - bw / 2.0
                );
            }
        }
        ChartKind::Lines => {
            for (si, run) in polylines(c, &l) {
                let s = &c.series[si];
                let pts: Vec<String> = run.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                let _ = write!(
                    o,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>",
                    pts.join(" "),
                    s.color,
                    if s.dashed {
                        " stroke-dasharray=\"5 3\""
                    } else {
                        ""
                    }
                );
            }
        }
    }
    if let Some((i, label)) = &c.marker {
        let x = l.x(c, *i - 0.5);
        let _ = write!(
            o,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#b23a3a\" \
             stroke-dasharray=\"2 2\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#b23a3a\" \
             text-anchor=\"end\">{}</text>",
            l.top,
            l.bottom,
            x - 3.0,
            l.top + 10.0,
            esc(label)
        );
    }
    let _ = write!(
        o,
        "<line x1=\"{:.1}\" y1=\"{b:.1}\" x2=\"{:.1}\" y2=\"{b:.1}\" stroke=\"#333333\"/>",
        l.left,
        l.right,
        b = l.bottom
    );
    let every = l.label_every(c);
    for (i, x) in c.x.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            l.x(c, i as f64),
            l.bottom + 13.0,
            esc(x)
        );
    }
    for (i, s) in c.series.iter().enumerate() {
        let (x, y) = l.legend(i);
        let _ = write!(
            o,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            y - 9.0,
            s.color,
            x + 14.0,
            y,
            esc(&s.name)
        );
    }
    o.push_str("</svg>");
    o
}
