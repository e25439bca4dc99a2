//! The page frame (header, navigation, the synthetic-data banner, the footer) and HTML escaping.

use std::fmt::Write as _;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use demine_server::Requester;
use demine_server::auth::Via;

/// Text made safe for HTML text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A query-string value, percent-encoded.
pub fn url_enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// What the frame needs to know about the request.
#[derive(Debug, Clone)]
pub struct Frame<'a> {
    pub title: &'a str,
    pub requester: &'a Requester,
    pub demo: bool,
    /// The navigation entry to mark as current.
    pub current: &'a str,
}

/// The text of the banner every page of the demo shows.
pub const SYNTHETIC_BANNER: &str =
    "Demonstration: every figure, area and account on these pages is synthetic data.";

/// A whole page: `body` inside the frame.
pub fn page(f: &Frame<'_>, body: &str) -> Response {
    let mut h = String::with_capacity(body.len() + 2048);
    h.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(h, "<title>{} · demine</title>", esc(f.title));
    h.push_str("<link rel=\"stylesheet\" href=\"/static/style.css\">");
    h.push_str("<script src=\"/static/app.js\" defer></script></head><body>");
    if f.demo {
        let _ = write!(
            h,
            "<div class=\"synthetic\" role=\"note\" id=\"synthetic\">{SYNTHETIC_BANNER}</div>"
        );
    }
    h.push_str("<header><a class=\"brand\" href=\"/\">demine</a><nav>");
    let mut nav = vec![("world", "/", "World"), ("check", "/check", "Safety check")];
    if f.requester.user.is_some() {
        nav.push(("hazards", "/hazards", "Hazard map"));
        nav.push(("entry", "/entry", "Data entry"));
    }
    for (key, href, label) in nav {
        let cur = if key == f.current {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(h, "<a href=\"{href}\"{cur}>{label}</a>");
    }
    h.push_str("</nav><div class=\"who\">");
    match (&f.requester.user, &f.requester.via) {
        (Some(u), Via::Session { csrf, .. }) => {
            let _ = write!(
                h,
                "<span>{} ({})</span><form method=\"post\" action=\"/logout\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
                 <button type=\"submit\" id=\"logout\">Log out</button></form>",
                esc(&u.name),
                esc(u.role.name()),
                esc(csrf)
            );
        }
        (Some(u), _) => {
            let _ = write!(h, "<span>{}</span>", esc(&u.name));
        }
        (None, _) => h.push_str("<a href=\"/login\" id=\"login-link\">Log in</a>"),
    }
    h.push_str("</div></header><main>");
    h.push_str(body);
    h.push_str(
        "</main><footer>demine · the 1997 Mine Ban Treaty and land release · works offline; \
         every figure cites its source · <a href=\"/api/v1/docs\">API</a></footer></body></html>",
    );
    html(h)
}

/// An HTML response.
pub fn html(body: String) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// An SVG response.
pub fn svg(body: String) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    r
}

/// A number with thousands separators.
pub fn thousands(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let neg = v < 0.0;
    let r = v.abs().round() as u64;
    let s = r.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if neg { format!("-{out}") } else { out }
}

/// A figure with a fraction when it is small.
pub fn figure(v: f64) -> String {
    if v.abs() < 100.0 && v.fract() != 0.0 {
        format!("{v:.2}")
    } else {
        thousands(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(url_enc("a b&c"), "a%20b%26c");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(-1000.0), "-1,000");
        assert_eq!(figure(2.5), "2.50");
    }
}
