//! A small, fast JSON cursor over bytes: just what the GeoJSON reader needs (strings, numbers,
//! skipping values). Numbers take a correctly rounded fast path (Clinger) when the decimal has at
//! most 19 significant digits and a power of ten up to 22; otherwise the standard library parses
//! them.

use std::borrow::Cow;

/// A syntax fault at a byte offset.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PErr {
    pub pos: usize,
    pub msg: String,
}

pub(crate) type PResult<T> = Result<T, PErr>;

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// How deep objects and arrays may nest. GeoJSON needs about eight levels; anything deeper is
/// refused with a named error rather than risking the stack on a hostile file.
pub(crate) const MAX_DEPTH: u32 = 128;

#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    pub b: &'a [u8],
    pub i: usize,
    /// Objects and arrays open around the cursor (only counted by the recursive parts).
    pub depth: u32,
}

impl<'a> Cursor<'a> {
    pub fn new(b: &'a [u8], i: usize) -> Self {
        Self { b, i, depth: 0 }
    }

    /// Enters one level of nesting; an error past [`MAX_DEPTH`].
    #[inline]
    pub fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(format!(
                "JSON nested deeper than {MAX_DEPTH} levels (refused: no GeoJSON needs that)"
            ));
        }
        Ok(())
    }

    /// Leaves one level of nesting.
    #[inline]
    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub fn err<T>(&self, msg: impl Into<String>) -> PResult<T> {
        Err(PErr {
            pos: self.i,
            msg: msg.into(),
        })
    }

    #[inline]
    pub fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if c == b' ' || c == b'\n' || c == b'\r' || c == b'\t' {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn found(&self) -> String {
        match self.peek() {
            None => "end of input".to_string(),
            Some(c) if c.is_ascii_graphic() => format!("'{}'", c as char),
            Some(c) => format!("byte 0x{c:02x}"),
        }
    }

    /// Skips whitespace and consumes `c`.
    #[inline]
    pub fn expect(&mut self, c: u8) -> PResult<()> {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            self.err(format!("expected '{}', found {}", c as char, self.found()))
        }
    }

    /// After a member or element: consumes ',' and returns true, or consumes `close` and returns
    /// false.
    #[inline]
    pub fn next_or_close(&mut self, close: u8) -> PResult<bool> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(false)
            }
            _ => self.err(format!(
                "expected ',' or '{}', found {}",
                close as char,
                self.found()
            )),
        }
    }

    /// Consumes '{' and reports whether the object is empty (then '}' is consumed too).
    pub fn open_object(&mut self) -> PResult<bool> {
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(false);
        }
        Ok(true)
    }

    /// Reads a member key and the ':' after it.
    pub fn key(&mut self) -> PResult<Cow<'a, str>> {
        self.ws();
        let k = self.string()?;
        self.expect(b':')?;
        self.ws();
        Ok(k)
    }

    /// Reads a string (the cursor is at its opening quote, after whitespace).
    pub fn string(&mut self) -> PResult<Cow<'a, str>> {
        self.ws();
        if self.peek() != Some(b'"') {
            return self.err(format!("expected a string, found {}", self.found()));
        }
        let start = self.i + 1;
        let mut j = start;
        let b = self.b;
        while j < b.len() {
            match b[j] {
                b'"' => {
                    let s = std::str::from_utf8(&b[start..j]).map_err(|_| PErr {
                        pos: start,
                        msg: "string is not valid UTF-8".into(),
                    })?;
                    self.i = j + 1;
                    return Ok(Cow::Borrowed(s));
                }
                b'\\' => return self.string_escaped(start),
                c if c < 0x20 => {
                    self.i = j;
                    return self.err("control character in string");
                }
                _ => j += 1,
            }
        }
        self.i = b.len();
        self.err("unterminated string")
    }

    fn string_escaped(&mut self, start: usize) -> PResult<Cow<'a, str>> {
        let b = self.b;
        let mut out: Vec<u8> = Vec::new();
        let mut j = start;
        loop {
            let Some(&c) = b.get(j) else {
                self.i = j;
                return self.err("unterminated string");
            };
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = b.get(j + 1) else {
                        self.i = j;
                        return self.err("unterminated escape");
                    };
                    j += 2;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut cp = self.hex4(j)?;
                            j += 4;
                            if (0xD800..0xDC00).contains(&cp)
                                && b.get(j) == Some(&b'\\')
                                && b.get(j + 1) == Some(&b'u')
                            {
                                let lo = self.hex4(j + 2)?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                    j += 6;
                                }
                            }
                            let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => {
                            self.i = j - 1;
                            return self.err(format!("bad escape '\\{}'", e as char));
                        }
                    }
                }
                c if c < 0x20 => {
                    self.i = j;
                    return self.err("control character in string");
                }
                _ => {
                    out.push(c);
                    j += 1;
                }
            }
        }
        self.i = j + 1;
        String::from_utf8(out).map(Cow::Owned).map_err(|_| PErr {
            pos: start,
            msg: "string is not valid UTF-8".into(),
        })
    }

    fn hex4(&self, j: usize) -> PResult<u32> {
        let s = self.b.get(j..j + 4).ok_or(PErr {
            pos: j,
            msg: "short \\u escape".into(),
        })?;
        let s = std::str::from_utf8(s).map_err(|_| PErr {
            pos: j,
            msg: "bad \\u escape".into(),
        })?;
        u32::from_str_radix(s, 16).map_err(|_| PErr {
            pos: j,
            msg: "bad \\u escape".into(),
        })
    }

    /// Reads a JSON number.
    #[inline]
    pub fn number(&mut self) -> PResult<f64> {
        self.ws();
        let b = self.b;
        let start = self.i;
        let mut i = start;
        let neg = b.get(i) == Some(&b'-');
        if neg {
            i += 1;
        }
        let mut mant: u64 = 0;
        let mut nd = 0u32;
        let mut exact = true;
        let int_start = i;
        while let Some(&c) = b.get(i) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            if nd < 19 {
                mant = mant * 10 + u64::from(d);
                if mant != 0 {
                    nd += 1;
                }
            } else {
                exact = false;
            }
            i += 1;
        }
        if i == int_start {
            self.i = start;
            return self.err(format!("expected a number, found {}", self.found()));
        }
        let mut exp10: i32 = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let frac_start = i;
            while let Some(&c) = b.get(i) {
                let d = c.wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                if nd < 19 {
                    mant = mant * 10 + u64::from(d);
                    if mant != 0 {
                        nd += 1;
                    }
                    exp10 -= 1;
                } else {
                    exact = false;
                }
                i += 1;
            }
            if i == frac_start {
                self.i = i;
                return self.err("expected a digit after the decimal point");
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            let eneg = match b.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let es = i;
            let mut e: i32 = 0;
            while let Some(&c) = b.get(i) {
                let d = c.wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                e = e.saturating_mul(10).saturating_add(i32::from(d));
                i += 1;
            }
            if i == es {
                self.i = i;
                return self.err("expected a digit in the exponent");
            }
            exp10 = exp10.saturating_add(if eneg { -e } else { e });
        }
        self.i = i;
        if exact && mant < (1u64 << 53) && exp10.unsigned_abs() <= 22 {
            let v = mant as f64;
            let v = if exp10 < 0 {
                v / POW10[exp10.unsigned_abs() as usize]
            } else {
                v * POW10[exp10 as usize]
            };
            return Ok(if neg { -v } else { v });
        }
        let text = std::str::from_utf8(&b[start..i]).unwrap_or("");
        text.parse::<f64>().map_err(|_| PErr {
            pos: start,
            msg: format!("bad number {text:?}"),
        })
    }

    fn literal(&mut self, lit: &[u8]) -> PResult<()> {
        if self.b.get(self.i..self.i + lit.len()) == Some(lit) {
            self.i += lit.len();
            Ok(())
        } else {
            self.err(format!("expected a JSON value, found {}", self.found()))
        }
    }

    /// Whether the next value is `null` (consumed if so).
    pub fn null(&mut self) -> bool {
        self.ws();
        if self.b.get(self.i..self.i + 4) == Some(b"null") {
            self.i += 4;
            true
        } else {
            false
        }
    }

    /// Skips any JSON value (at most [`MAX_DEPTH`] levels deep).
    pub fn skip_value(&mut self) -> PResult<()> {
        self.ws();
        if matches!(self.peek(), Some(b'{' | b'[')) {
            self.enter()?;
            let r = self.skip_nested();
            self.leave();
            return r;
        }
        self.skip_nested()
    }

    fn skip_nested(&mut self) -> PResult<()> {
        match self.peek() {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'{') => {
                if self.open_object()? {
                    loop {
                        self.key()?;
                        self.skip_value()?;
                        if !self.next_or_close(b'}')? {
                            break;
                        }
                    }
                }
                Ok(())
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.skip_value()?;
                    if !self.next_or_close(b']')? {
                        break;
                    }
                }
                Ok(())
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            _ => self.number().map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn num(s: &str) -> PResult<f64> {
        Cursor::new(s.as_bytes(), 0).number()
    }

    #[test]
    fn numbers() {
        assert_eq!(num("102.3456789").unwrap(), 102.3456789);
        assert_eq!(num("-0.5").unwrap(), -0.5);
        assert_eq!(num("1e3").unwrap(), 1000.0);
        assert_eq!(num("1.5E-2").unwrap(), 0.015);
        assert_eq!(num("0").unwrap(), 0.0);
        assert_eq!(
            num("123456789012345678901234").unwrap(),
            123456789012345678901234.0
        );
        assert_eq!(num("1e300").unwrap(), 1e300);
        assert!(num("-").is_err());
        assert!(num("1.").is_err());
        assert!(num("x").is_err());
    }

    #[test]
    fn strings_with_escapes() {
        let mut c = Cursor::new(br#""a\"b\u00e9\n""#, 0);
        assert_eq!(c.string().unwrap(), "a\"b\u{e9}\n");
        let mut c = Cursor::new(br#""\ud83d\ude00""#, 0);
        assert_eq!(c.string().unwrap(), "\u{1F600}");
        assert!(Cursor::new(b"\"abc", 0).string().is_err());
    }

    #[test]
    fn skip_nested() {
        let t = br#"{"a":[1,2,{"b":null}],"c":true} x"#;
        let mut c = Cursor::new(t, 0);
        c.skip_value().unwrap();
        c.ws();
        assert_eq!(c.peek(), Some(b'x'));
    }

    #[test]
    fn deep_nesting_is_a_named_error_not_a_crash() {
        for open in [b'[', b'{'] {
            let mut t = Vec::new();
            for _ in 0..100_000 {
                t.push(open);
                if open == b'{' {
                    t.extend_from_slice(b"\"a\":");
                }
            }
            let e = Cursor::new(&t, 0).skip_value().unwrap_err();
            assert!(e.msg.contains("nested deeper than 128"), "{e:?}");
        }
        let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(Cursor::new(ok.as_bytes(), 0).skip_value().is_ok());
        let bad = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert!(Cursor::new(bad.as_bytes(), 0).skip_value().is_err());
    }

    proptest! {
        #[test]
        fn fast_path_matches_std(v in -1.0e6f64..1.0e6, digits in 0usize..10) {
            let s = format!("{v:.digits$}");
            let ours = num(&s).unwrap();
            let std: f64 = s.parse().unwrap();
            prop_assert_eq!(ours.to_bits(), std.to_bits());
        }

        #[test]
        fn exp_form_matches_std(v in proptest::num::f64::NORMAL) {
            let s = format!("{v:e}");
            prop_assert_eq!(num(&s).unwrap().to_bits(), s.parse::<f64>().unwrap().to_bits());
        }
    }
}
