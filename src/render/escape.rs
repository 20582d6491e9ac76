//! One escaping layer per output medium, for text that came from the logs.
//!
//! Log lines are written by whoever could reach the cluster: a client's SQL, a table name, an
//! archive member's name and TiDB's own `\u001b` escapes (decoded into a real ESC by the record
//! parser) all end up in the report. Each medium interprets different bytes, so each has one
//! function here, and the renderers of that medium send every log-derived value through it:
//!
//! * terminal ([`terminal`], [`terminal_output`]): control characters would move the cursor,
//!   clear the screen, set the window title or plant an OSC 8 hyperlink. They are shown as
//!   visible escapes (`\x1b`, `\r`, `\u{9b}`), as are the bidirectional overrides that reorder
//!   what a reader sees ("Trojan source"). `terminal_output` is the last pass over a whole
//!   terminal document: it lets through only the colour sequences the renderer wrote itself.
//! * Markdown ([`markdown_prose`], [`markdown_code`]): GitHub turns punctuation into links,
//!   images (a tracking pixel), emphasis and raw HTML, and `@name`, `#123` and bare URLs into
//!   mentions, cross-references and links *after* parsing, so backslash escapes cannot stop
//!   those: log text goes into inline code, or has its punctuation escaped where it is prose.
//! * HTML ([`html`]): the five special characters become entities and control characters
//!   become visible escapes, so the page holds no raw control bytes.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for what a terminal or a reader would not show as the character itself: C0 controls
/// (newline and tab included), DEL, C1 controls, and the bidirectional embeddings, overrides
/// and isolates.
fn is_hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The visible form of a hidden character: `\n`, `\r`, `\t`, `\x1b`, `\u{9b}`, `\u{202e}`.
fn visible(c: char, out: &mut String) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// A log-derived value for a terminal: every hidden character (newlines too: a value is one
/// line) shown as a visible escape. Borrowed when there is nothing to escape, the usual case.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_hidden(c) {
            visible(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The last pass over a whole terminal document (a table, a timeline, a diff, a note on
/// stderr): every hidden character but the newline becomes visible, except, when `colour` is
/// on, SGR sequences (`ESC [ digits/; m`), which only change colours and are what the renderer
/// itself writes. Values were already escaped by [`terminal`]; this pass makes a value a
/// renderer forgot unable to do more than change a colour.
pub fn terminal_output(s: &str, colour: bool) -> Cow<'_, str> {
    let hidden = |c: char| c != '\n' && is_hidden(c);
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b' && colour {
            if let Some(n) = sgr_len(rest) {
                out.push_str(&rest[..n]);
                rest = &rest[n..];
                continue;
            }
        }
        if hidden(c) {
            visible(c, &mut out);
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// Length of the SGR sequence `ESC [ [0-9;]* m` at the start of `s`, if there is one.
fn sgr_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() < 3 || b[0] != 0x1b || b[1] != b'[' {
        return None;
    }
    let params = b[2..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b';')
        .count();
    (b.get(2 + params) == Some(&b'm')).then_some(3 + params)
}

/// HTML text or attribute value: `& < > " '` as entities, hidden characters (newline and tab
/// excepted, which HTML shows as spaces) as visible escapes, so no raw control byte reaches the
/// page.
pub fn html(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            '\n' | '\t' => o.push(c),
            c if is_hidden(c) => visible(c, &mut o),
            c => o.push(c),
        }
    }
    o
}

/// Inline code that holds any text: hidden characters made visible (a code span is one line),
/// fenced with one more backtick than the longest run inside, padded when the text starts or
/// ends with a backtick, and `|` escaped so that it is safe in a table cell too. Nothing inside
/// a code span is a link, an image, emphasis, HTML, a mention or a reference.
pub fn markdown_code(t: &str) -> String {
    let t = terminal(t);
    let ticks = "`".repeat(max_run(&t, '`') + 1);
    let pad = if t.starts_with('`') || t.ends_with('`') || t.is_empty() {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{}{pad}{ticks}", t.replace('|', "\\|"))
}

/// Markdown prose that may hold log text: one paragraph line that renders as the same text
/// and nothing else.
///
/// Spans between backticks (the rules quote values that way) become code spans again, fenced
/// safely by [`markdown_code`]. Elsewhere, words that GitHub would turn into a mention, an
/// issue reference or a link after parsing (`@name`, `#12`, `org/repo#12`, `http://…`,
/// `www.…`) become code spans too, and every other Markdown punctuation character is
/// backslash-escaped, so no link, image, emphasis, heading, table cell or HTML tag can start.
/// Newlines and other hidden characters become spaces or visible escapes.
pub fn markdown_prose(t: &str) -> String {
    markdown_prose_trusting(t, &[])
}

/// [`markdown_prose`], leaving the words in `trusted` (ddldiag's own issue references, such as
/// `pingcap/tidb#50417`) for GitHub to link.
pub fn markdown_prose_trusting(t: &str, trusted: &[&str]) -> String {
    let mut out = String::with_capacity(t.len() + 16);
    let parts: Vec<&str> = t.split('`').collect();
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 0 {
            prose_words(part, trusted, &mut out);
        } else if i + 1 < parts.len() {
            out.push_str(&markdown_code(part));
        } else {
            // An odd number of backticks: the last one opens nothing and is shown as itself.
            prose_words(&format!("`{part}"), trusted, &mut out);
        }
    }
    // `12. text` or `12) text` at the start of a paragraph would be a list item.
    let digits = out.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && matches!(out[digits..].chars().next(), Some('.' | ')')) {
        out.insert(digits, '\\');
    }
    out
}

/// Prose outside code spans (see [`markdown_prose`]). Only what could start markup is
/// escaped, so the source stays readable: `[`, `*`, `<`, `` ` ``, `\`, `|`, `~`, `$` and `&`
/// anywhere; `_` where it could open or close emphasis; `#`, `-`, `+`, `=` and `>` where a
/// line starts.
fn prose_words(t: &str, trusted: &[&str], out: &mut String) {
    let t: String = t
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let t = terminal(&t);
    let mut first = true;
    for word in t.split(' ') {
        if !first {
            out.push(' ');
        }
        first = false;
        if word.is_empty() {
            continue;
        }
        // Trailing sentence punctuation stays outside a code span.
        let core = word.trim_end_matches([',', '.', ';', ':', '!', '?', ')']);
        let tail = &word[core.len()..];
        if !core.is_empty() && autolinked(core) && !trusted.contains(&core) {
            out.push_str(&markdown_code(core));
            push_escaped(tail, out);
            continue;
        }
        if trusted.contains(&core) {
            out.push_str(core);
            push_escaped(tail, out);
            continue;
        }
        push_escaped(word, out);
    }
}

/// Backslash-escapes the characters of `word` that could start Markdown markup (see
/// [`prose_words`]); `out` tells whether the word starts a line.
fn push_escaped(word: &str, out: &mut String) {
    let chars: Vec<char> = word.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let line_start = out.is_empty() || out.ends_with('\n');
        let alnum = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '|' | '~' | '$' | '&' => true,
            '_' => !(alnum(i.checked_sub(1)) && alnum(Some(i + 1))),
            '#' | '-' | '+' | '=' | '>' => line_start,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Words GitHub links after parsing, whatever escapes they carry.
fn autolinked(w: &str) -> bool {
    let lower = w.to_ascii_lowercase();
    w.contains('@')
        || lower.contains("://")
        || lower.contains("www.")
        || w.char_indices()
            .any(|(i, c)| c == '#' && w[i + 1..].starts_with(|d: char| d.is_ascii_alphanumeric()))
}

/// The longest run of `ch` in `s`: a code span or fence must be longer to hold `s`.
pub(crate) fn max_run(s: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        if c == ch {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_shows_controls() {
        assert_eq!(terminal("a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(terminal("x\u{9b}2J\u{202e}"), "x\\u{9b}2J\\u{202e}");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn output_pass_keeps_only_colour() {
        let s = "\x1b[1;31mERROR\x1b[0m \x1b[2J\x1b]8;;http://x\x07\n";
        assert_eq!(
            terminal_output(s, true),
            "\x1b[1;31mERROR\x1b[0m \\x1b[2J\\x1b]8;;http://x\\x07\n"
        );
        assert_eq!(terminal_output("\x1b[31mx", false), "\\x1b[31mx");
    }

    #[test]
    fn prose_cannot_render_markup() {
        let p = markdown_prose("see [x](http://e.vil) ![](http://t/p.gif) *em* @admin #12 `q`");
        assert_eq!(
            p,
            "see `[x](http://e.vil`) `![](http://t/p.gif`) \\*em\\* `@admin` `#12` `q`"
        );
        assert_eq!(markdown_prose("a `b"), "a \\`b");
        assert_eq!(markdown_prose("1. x_y _z_"), "1\\. x_y \\_z\\_");
        assert_eq!(markdown_prose("- a-b"), "\\- a-b");
        assert_eq!(
            markdown_prose_trusting("see pingcap/tidb#1, #2.", &["pingcap/tidb#1"]),
            "see pingcap/tidb#1, `#2`."
        );
    }
}
