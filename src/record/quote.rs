//! Quoting and escaping of keys and values, exactly as pingcap/log's text encoder does it.
//!
//! The encoder (`zap_text_encoder.go`) writes a message, key or value raw unless it contains a
//! byte `<= 0x20`, `\`, `"`, `[`, `]` or `=`; then it writes it in double quotes with JSON-like
//! escapes. TiKV's serde_json-based writer produces the same shape plus `\/`, `\b` and `\f`, so
//! [`unescape`] accepts the full JSON escape set.

use std::borrow::Cow;

/// Decodes the inside of a quoted key or value (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`,
/// `\uXXXX` including UTF-16 surrogate pairs).
///
/// An invalid escape (unknown letter, short `\u`, lone surrogate, trailing `\`) is kept exactly
/// as written: the text came from a log, and showing it verbatim beats guessing.
pub fn unescape(s: &str) -> Cow<'_, str> {
    let Some(first) = memchr::memchr(b'\\', s.as_bytes()) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..first]);
    let mut rest = &s[first..];
    while let Some(pos) = memchr::memchr(b'\\', rest.as_bytes()) {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let used = unescape_one(rest, &mut out);
        rest = &rest[used..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Decodes the escape at the start of `s` (which starts with `\`) into `out`; returns the
/// number of bytes consumed (always >= 1, and always at a char boundary).
fn unescape_one(s: &str, out: &mut String) -> usize {
    let b = s.as_bytes();
    let simple = match b.get(1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => {
            let Some(hi) = hex4(b, 2) else {
                out.push('\\');
                return 1;
            };
            if let Some(c) = char::from_u32(hi) {
                out.push(c);
                return 6;
            }
            // A surrogate: only a high one followed by an escaped low one makes a char.
            if (0xD800..0xDC00).contains(&hi) && b.get(6) == Some(&b'\\') && b.get(7) == Some(&b'u')
            {
                if let Some(lo) = hex4(b, 8).filter(|lo| (0xDC00..0xE000).contains(lo)) {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    if let Some(c) = char::from_u32(c) {
                        out.push(c);
                        return 12;
                    }
                }
            }
            // Lone surrogate: keep `\uXXXX` as written.
            out.push_str(&s[..6]);
            return 6;
        }
        _ => {
            // Unknown escape or a trailing backslash: keep the backslash, and let the next
            // char be copied normally (it may be multi-byte).
            out.push('\\');
            return 1;
        }
    };
    out.push(simple);
    2
}

/// Four hex digits at `b[i..i + 4]`.
fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let h = b.get(i..i + 4)?;
    h.iter()
        .try_fold(0u32, |acc, &c| Some(acc * 16 + (c as char).to_digit(16)?))
}

/// pingcap/log's `needDoubleQuotes`: any byte `<= 0x20`, `\`, `"`, `[`, `]` or `=`.
///
/// The empty string is not quoted (`[k=]`).
pub fn needs_quotes(s: &str) -> bool {
    s.bytes()
        .any(|b| b <= 0x20 || matches!(b, b'\\' | b'"' | b'[' | b']' | b'='))
}

/// Writes `s` as pingcap/log would: raw when it can be, otherwise in double quotes with
/// `\\`, `\"`, `\n`, `\r`, `\t` and `\u00xx` (lowercase hex) for other control bytes.
/// Non-ASCII text and 0x7F are written as they are.
///
/// Used by tests and fixture generators; the parser never needs it.
pub fn quote_if_needed(s: &str) -> Cow<'_, str> {
    if !needs_quotes(s) {
        return Cow::Borrowed(s);
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 0xF] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_borrows_when_nothing_to_do() {
        assert!(matches!(
            unescape("run DDL job"),
            Cow::Borrowed("run DDL job")
        ));
    }

    #[test]
    fn unescape_decodes_every_json_escape() {
        assert_eq!(
            unescape(r#"a\"b\\c\/d\be\ff\ng\rh\ti"#),
            "a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti"
        );
        assert_eq!(unescape(r"\u00e9\u0001"), "é\u{1}");
        // U+1F600 as a surrogate pair.
        assert_eq!(unescape(r"x\ud83d\ude00y"), "x😀y");
    }

    #[test]
    fn unescape_keeps_invalid_escapes() {
        assert_eq!(unescape(r"a\qb"), r"a\qb");
        assert_eq!(unescape(r"tail\"), r"tail\");
        assert_eq!(unescape(r"\u12"), r"\u12");
        assert_eq!(unescape(r"\uzzzz"), r"\uzzzz");
        assert_eq!(unescape(r"\ud83dx"), r"\ud83dx");
        assert_eq!(unescape(r"\ude00"), r"\ude00");
        assert_eq!(unescape("\\µ"), "\\µ");
    }

    #[test]
    fn unescape_real_stack_value() {
        // From issue-50435: a pretty-printed JSON session object inside one value.
        let v = r#"{\n  \"currDBName\": \"test\",\n  \"id\": 0\n}"#;
        assert_eq!(
            unescape(v),
            "{\n  \"currDBName\": \"test\",\n  \"id\": 0\n}"
        );
        // Nested escaping: the value is itself an escaped JSON array.
        assert_eq!(unescape(r#"[\"add index\"]"#), r#"["add index"]"#);
    }

    #[test]
    fn quoting_follows_need_double_quotes() {
        assert_eq!(quote_if_needed("onError"), "onError");
        assert_eq!(quote_if_needed(""), "");
        assert_eq!(quote_if_needed("380.363µs"), "380.363µs");
        assert_eq!(quote_if_needed("run DDL job"), "\"run DDL job\"");
        assert_eq!(quote_if_needed("[220]"), "\"[220]\"");
        assert_eq!(quote_if_needed("a=b"), "\"a=b\"");
        assert_eq!(quote_if_needed(r"C:\x"), r#""C:\\x""#);
        assert_eq!(
            quote_if_needed("say \"hi\"\n\tat\r\u{1}"),
            r#""say \"hi\"\n\tat\r\u0001""#
        );
        assert_eq!(quote_if_needed("\u{7f}"), "\u{7f}");
    }

    #[test]
    fn quote_then_unescape_round_trips() {
        for s in [
            "",
            "a b",
            "\"]\\=[",
            "line\nnext\ttab",
            "\u{1f}\u{0}",
            "é 😀 µs",
        ] {
            let q = quote_if_needed(s);
            let inner = q
                .strip_prefix('"')
                .and_then(|q| q.strip_suffix('"'))
                .unwrap_or(&q);
            assert_eq!(unescape(inner), s, "{q}");
        }
    }
}
