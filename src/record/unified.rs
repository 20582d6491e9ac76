//! The unified log format (RFC 0018 as written by pingcap/log, and by TiKV).
//!
//! ```text
//! [2024/01/13 19:21:09.782 +08:00] [ERROR] [handle.go:92] ["task reverted"] [task-id=210029] [error="..."]
//!  time (30 bytes, fixed)           level   caller         message          fields...
//! ```
//!
//! The header (time, level, optional logger name, caller) is strict: it is what tells a record
//! from a continuation line, and it is checked on bytes by `header()` so that
//! [`super::is_record_start`] can decide without UTF-8 validation or field building.
//!
//! The body is lenient: sections are read left to right and the first damaged one (unterminated
//! quote, missing `]`, stray bytes between sections) ends the field list. A valid header always
//! yields a record. Parsing is a single forward scan with `memchr` (no recursion, no
//! backtracking across sections), so a 1 MB line or 10,000 fields cost linear time; fields are
//! borrowed slices and the first 12 live inline in the record.

use std::ops::Range;

use nom::IResult;
use smallvec::SmallVec;

use super::{swar, Field, Format, Level, Record, Text};
use crate::record::time::{is_unified_bytes, parse_unified_bytes, UNIFIED_LEN};

/// The validated header of a unified line. Ranges index the line; they are ASCII-delimited,
/// so they are char boundaries of any `str` the bytes came from.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    /// Where the time starts (after the `[`, or 0 when it was lost): it is read only when the
    /// record is built, the record-start check needs only to know it is valid.
    pub time_at: usize,
    pub level: Level,
    pub logger: Option<Range<usize>>,
    pub source: Range<usize>,
    /// Index just after the caller's `]`.
    pub body: usize,
}

/// Checks the header of a unified line and returns its parts; `None` when `line` does not
/// start a unified record. Costs a few dozen byte comparisons on an ordinary line.
pub(crate) fn header(line: &[u8]) -> Option<Header> {
    let after_open = line.strip_prefix(b"[")?;
    header_from(line, after_open)
}

/// [`header`] for a line whose opening `[` was lost: `2025/12/29 23:14:16.363 +08:00] [ERROR]
/// [handle.go:143] ...` (#65333, a paste in which Markdown ate the bracket).
pub(crate) fn header_unbracketed(line: &[u8]) -> Option<Header> {
    if !line.first()?.is_ascii_digit() {
        return None;
    }
    header_from(line, line)
}

/// The header whose time starts at `from` (a suffix of `line`).
fn header_from(line: &[u8], from: &[u8]) -> Option<Header> {
    let (rest, (level, logger, source)) = header_parts(from)?;
    let at = |s: &[u8]| s.as_ptr() as usize - line.as_ptr() as usize;
    Some(Header {
        time_at: at(from),
        level,
        logger: logger.map(|l| at(l)..at(l) + l.len()),
        source: at(source)..at(source) + source.len(),
        body: line.len() - rest.len(),
    })
}

type HeaderParts<'a> = (Level, Option<&'a [u8]>, &'a [u8]);

/// `ts "] [" level "] " ("[" logger "] ")? "[" caller "]"` (after the opening `[`); returns the
/// rest of the line after the caller's `]`.
///
/// By hand rather than with nom's combinators: this is the record-start check of every line of
/// every file, and the combinator form cost 3.8 M more instructions on the 59,640 lines of the
/// 16 MiB chaos set (callgrind, 64 a line).
fn header_parts(i: &[u8]) -> Option<(&[u8], HeaderParts<'_>)> {
    if i.len() < UNIFIED_LEN + 3 || !is_unified_bytes(&i[..UNIFIED_LEN]) {
        return None;
    }
    let i = i[UNIFIED_LEN..].strip_prefix(b"] [")?;
    // At most 8 letters (`CRITICAL`), at least one.
    let w = swar::word(i, 0);
    let n = swar::leading(w, swar::alpha);
    let level = Level::from_word(swar::prefix(w, n), n)?;
    let i = i[n..].strip_prefix(b"] [")?;
    if let Some((end, source)) = caller_end(i) {
        if i.get(end) == Some(&b']') {
            return Some((&i[end + 1..], (level, None, source)));
        }
    }
    // A named logger writes `[name]` between level and caller (rare in TiDB).
    let name = i.iter().take_while(|&&b| is_logger_byte(b)).count();
    if name == 0 {
        return None;
    }
    let logger = &i[..name];
    let i = i[name..].strip_prefix(b"] [")?;
    let (end, source) = caller_end(i)?;
    (i.get(end) == Some(&b']')).then(|| (&i[end + 1..], (level, Some(logger), source)))
}

/// `file.go:123` (the encoder keeps only `[A-Za-z0-9._-]` of the basename) or `<unknown>`.
pub(crate) fn caller(i: &[u8]) -> IResult<&[u8], &[u8]> {
    match caller_end(i) {
        Some((end, source)) => Ok((&i[end..], source)),
        None => Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Digit,
        ))),
    }
}

/// [`caller`] as the length of the caller at the start of `i`, and the caller.
fn caller_end(i: &[u8]) -> Option<(usize, &[u8])> {
    const UNKNOWN: &[u8] = b"<unknown>";
    if i.starts_with(UNKNOWN) {
        return Some((UNKNOWN.len(), &i[..UNKNOWN.len()]));
    }
    let name = swar::run(i, file_bytes);
    if name == 0 || i.get(name) != Some(&b':') {
        return None;
    }
    let digits = swar::run(&i[name + 1..], swar::digit);
    if digits == 0 {
        return None;
    }
    let end = name + 1 + digits;
    Some((end, &i[..end]))
}

/// The bytes the encoder keeps of a caller's file name, `[A-Za-z0-9._-]`, per byte of `w`
/// ([`swar`]): the caller check runs on every line.
fn file_bytes(w: u64) -> u64 {
    swar::alpha(w) | swar::digit(w) | swar::in_range(w, b'-', b'.') | swar::in_range(w, b'_', b'_')
}

/// Logger names are dotted words (`ddl`, `dxf.scheduler`); anything that could belong to a
/// message or field is refused so that `[time] [LEVEL] [message] [caller]` is not misread.
fn is_logger_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'[' | b']' | b'"' | b'=')
}

/// Parses a unified line (already stripped of wrappers and trailing blanks).
pub fn parse(line: &str) -> Option<Record<'_>> {
    from_header(line, header(line.as_bytes())?)
}

/// Parses a unified line that lost its opening `[`.
pub fn parse_unbracketed(line: &str) -> Option<Record<'_>> {
    from_header(line, header_unbracketed(line.as_bytes())?)
}

fn from_header(line: &str, h: Header) -> Option<Record<'_>> {
    let mut rec = Record {
        // Valid: `header` checked it.
        ts: parse_unified_bytes(&line.as_bytes()[h.time_at..])?,
        level: h.level,
        logger: h.logger.map(|r| &line[r]),
        source: &line[h.source],
        message: Text::Raw(""),
        fields: SmallVec::new(),
        format: Format::Unified,
        origin: None,
    };
    body(line, h.body, &mut rec);
    Some(rec)
}

/// The message of a unified line whose body starts at `body` (from [`header`]), read from the
/// bytes without building the record: what [`parse`] of the line would give as its message, when
/// that is certain from a glance — a quoted message without escapes, a raw one, or none at all.
/// `None` when only a full parse can tell (an escape, a field before the message, a damaged
/// section): the caller then parses the line.
///
/// The scanner asks the vocabulary about this message before it parses a line in full
/// (`scan::Scanner`): almost no line of a busy log is a DDL event, and this costs a few byte
/// tests and one `memchr2` where a parse costs a UTF-8 check and every field.
pub fn raw_message(line: &[u8], body: usize) -> Option<&[u8]> {
    match raw_message_or_head(line, body)? {
        RawMessage::Whole(m) => Some(m),
        RawMessage::Head(_) => None,
    }
}

/// What [`raw_message_or_head`] could read of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawMessage<'a> {
    /// The whole message, exactly as [`parse`] gives it.
    Whole(&'a [u8]),
    /// A quoted message with escapes: its text up to the first `\`, which the decoded message
    /// starts with.
    Head(&'a [u8]),
}

/// [`raw_message`], and for a quoted message with escapes (`"regionMiss ... errors:\n..."`)
/// the text before its first escape: enough to tell that it is no vocabulary message.
pub fn raw_message_or_head(line: &[u8], body: usize) -> Option<RawMessage<'_>> {
    // `parse` sees the line without trailing blanks (see `record::trim_end`).
    let mut n = line.len();
    while n > 0 && matches!(line[n - 1], b' ' | b'\t' | b'\r') {
        n -= 1;
    }
    let b = &line[..n];
    let Some(i) = section_follows(b, body) else {
        // No section: `body` leaves the message empty.
        return Some(RawMessage::Whole(b""));
    };
    match *b.get(i)? {
        b']' => Some(RawMessage::Whole(b"")),
        b'"' => {
            let first = i + 1 + memchr::memchr2(b'"', b'\\', b.get(i + 1..)?)?;
            // The closing quote, past any escapes, must close the section for this to be the
            // message (`["k"=v]` is a field).
            let q = if b[first] == b'"' {
                first
            } else {
                quoted_end(b, first)?
            };
            if b.get(q + 1) != Some(&b']') {
                return None;
            }
            Some(if q == first {
                RawMessage::Whole(&b[i + 1..q])
            } else {
                RawMessage::Head(&b[i + 1..first])
            })
        }
        _ => {
            let p = i + memchr::memchr2(b'=', b']', &b[i..])?;
            if b[p] == b'=' {
                return None;
            }
            let e = raw_end(b, p)?;
            Some(RawMessage::Whole(&b[i..e]))
        }
    }
}

/// One `[...]` section of the body.
enum Section<'a> {
    /// No top-level `=`: a message (or stray text after it).
    Text(Text<'a>),
    Field(Text<'a>, Text<'a>),
}

/// If blanks and then `[` start at `i`, the index after the `[`. pingcap/log writes one space
/// between sections; more are tolerated because pasted logs get re-spaced.
fn section_follows(b: &[u8], i: usize) -> Option<usize> {
    let n = b.get(i..)?.iter().take_while(|&&c| c == b' ').count();
    (n > 0 && b.get(i + n) == Some(&b'[')).then_some(i + n + 1)
}

/// Reads ` [section]` after ` [section]` from `pos` until the line ends or is damaged. Other
/// shapes whose body is written the unified way (the log platform's export) read theirs here.
pub(crate) fn body<'a>(line: &'a str, mut pos: usize, rec: &mut Record<'a>) {
    let b = line.as_bytes();
    let mut have_message = false;
    while let Some(start) = section_follows(b, pos) {
        let Some((section, end)) = section(line, start) else {
            break;
        };
        pos = end;
        match section {
            // The message is the first section without a top-level `=` (usually right after
            // the caller; absent when TiDB logged an empty message; `[]` from TiKV).
            Section::Text(t) if !have_message => {
                rec.message = t;
                have_message = true;
            }
            // A later bare `[]` carries nothing.
            Section::Text(Text::Raw("")) => {}
            // Later text without `=` is kept rather than dropped, under an empty key.
            Section::Text(t) => rec.fields.push(Field {
                key: Text::Raw(""),
                value: t,
            }),
            Section::Field(key, value) => rec.fields.push(Field { key, value }),
        }
    }
}

/// Parses the section whose content starts at `i` (just after its `[`); returns it and the
/// index after its closing `]`, or `None` when it is damaged.
fn section(line: &str, i: usize) -> Option<(Section<'_>, usize)> {
    let b = line.as_bytes();
    match *b.get(i)? {
        b']' => Some((Section::Text(Text::Raw("")), i + 1)),
        b'"' => {
            let q = quoted_end(b, i + 1)?;
            let key = Text::Quoted(&line[i + 1..q]);
            match *b.get(q + 1)? {
                // A quoted string alone is always a message.
                b']' => Some((Section::Text(key), q + 2)),
                b'=' => {
                    let (value, end) = value(line, q + 2)?;
                    Some((Section::Field(key, value), end))
                }
                _ => None,
            }
        }
        _ => {
            let p = i + memchr::memchr2(b'=', b']', &b[i..])?;
            if b[p] == b'=' {
                let (value, end) = value(line, p + 1)?;
                Some((Section::Field(Text::Raw(&line[i..p]), value), end))
            } else {
                // An unquoted message such as `[onError]`.
                let e = raw_end(b, p)?;
                Some((Section::Text(Text::Raw(&line[i..e])), e + 1))
            }
        }
    }
}

/// A value starting at `i`: quoted (then `]` must follow at once) or raw.
fn value(line: &str, i: usize) -> Option<(Text<'_>, usize)> {
    let b = line.as_bytes();
    if b.get(i) == Some(&b'"') {
        let q = quoted_end(b, i + 1)?;
        if b.get(q + 1) != Some(&b']') {
            return None;
        }
        return Some((Text::Quoted(&line[i + 1..q]), q + 2));
    }
    let e = raw_end(b, i)?;
    Some((Text::Raw(&line[i..e]), e + 1))
}

/// Index of the closing `"` of a quoted string whose content starts at `i`, skipping escapes.
fn quoted_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let p = i + memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        if b[p] == b'"' {
            return Some(p);
        }
        // Skip the escaped byte; a multi-byte char after `\` is harmless because only ASCII
        // `"` and `\` are searched for, and they never occur inside a UTF-8 sequence.
        i = p + 2;
    }
}

/// Index of the `]` that ends a raw text starting at `i`: the first `]` followed by ` [` or by
/// the end of the line, else (damaged tail) the first `]` at all.
/// (Blanks are trimmed from the line's end before parsing.)
///
/// Raw values are not supposed to contain `]` or spaces, but zap.Time values do contain spaces
/// (`[ts=2024/01/13 19:21:09.480 +08:00]`) and hand-written or non-pingcap loggers break the
/// rule (`[table=&{152 t [int(11)] ...}]`); this end test copes with both.
fn raw_end(b: &[u8], i: usize) -> Option<usize> {
    let first = i + memchr::memchr(b']', b.get(i..)?)?;
    let mut p = first;
    loop {
        match b.get(p + 1) {
            None => return Some(p),
            Some(b' ') if section_follows(b, p + 1).is_some() => return Some(p),
            _ => match memchr::memchr(b']', &b[p + 1..]) {
                Some(n) => p += 1 + n,
                None => return Some(first),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rfc3339;

    fn p(l: &str) -> Record<'_> {
        parse(l).unwrap_or_else(|| panic!("not a record: {l}"))
    }

    fn kv(r: &Record<'_>) -> Vec<(String, String)> {
        r.fields
            .iter()
            .map(|f| (f.key.get().into_owned(), f.value.get().into_owned()))
            .collect()
    }

    #[test]
    fn seed_line_50417() {
        let r = p(
            r#"[2024/01/13 19:21:09.782 +08:00] [ERROR] [handle.go:92] ["task reverted"] [task-id=210029] [error="[tikv:9005]Region is unavailable"]"#,
        );
        assert_eq!(rfc3339(&r.ts), "2024-01-13T19:21:09.782+08:00");
        assert_eq!(r.level, Level::Error);
        assert_eq!(r.logger, None);
        assert_eq!(r.source, "handle.go:92");
        assert_eq!(r.message, Text::Quoted("task reverted"));
        assert_eq!(
            kv(&r),
            [
                ("task-id".into(), "210029".into()),
                ("error".into(), "[tikv:9005]Region is unavailable".into())
            ]
        );
        assert_eq!(r.format, Format::Unified);
    }

    #[test]
    fn quoted_keys_issue_49770() {
        let r = p(
            r#"[2023/12/25 11:18:48.986 +00:00] [INFO] [index.go:888] ["index backfill state running"] [category=ddl] ["job ID"=125] [table=xxx] ["ingest mode"=true] [index=p_id]"#,
        );
        assert_eq!(r.fields[1].key, Text::Quoted("job ID"));
        assert!(r.field("job ID").unwrap().is("125"));
        assert!(r.field("ingest mode").unwrap().is("true"));
        assert_eq!(r.fields.len(), 5);
        assert_eq!(
            r.message_and_category(),
            ("index backfill state running".into(), Some("ddl".into()))
        );
    }

    #[test]
    fn micro_sign_durations() {
        let r = p(
            r#"[2021/08/29 20:09:05.397 +05:30] [INFO] [domain.go:156] ["full load InfoSchema success"] [currentSchemaVersion=0] [neededSchemaVersion=0] ["start time"=869.828µs]"#,
        );
        assert_eq!(r.field("start time"), Some(&Text::Raw("869.828µs")));
        let r = p("[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [m] [take=380.363µs]");
        assert!(r.field("take").unwrap().is("380.363µs"));
    }

    #[test]
    fn nested_escaped_json() {
        let r = p(
            r#"[2024/12/17 15:58:19.639 +08:00] [INFO] [domain.go:353] ["diff load InfoSchema success"] [isV2=true] [phyTblIDs="[110]"] [actionTypes="[7]"] [diffTypes="[\"add index\"]"]"#,
        );
        assert_eq!(r.field("diffTypes").unwrap().get(), r#"["add index"]"#);
        assert_eq!(r.field("phyTblIDs").unwrap().get(), "[110]");
        let r = p(
            r#"[2020/09/11 14:07:26.993 +08:00] [ERROR] [misc.go:167] ["syntax error"] [error="line 1 column 44 near \"12333(a,b) )\" "]"#,
        );
        assert_eq!(
            r.field("error").unwrap().get(),
            r#"line 1 column 44 near "12333(a,b) )" "#
        );
    }

    #[test]
    fn session_object_issue_50435() {
        let r = p(
            r#"[2020/08/12 16:12:07.317 +08:00] [WARN] [session.go:1040] ["run statement failed"] [schemaVersion=0] [error="[schema:1049]Unknown database 'mysql'"] [session="{\n  \"currDBName\": \"\",\n  \"id\": 0,\n  \"status\": 2,\n  \"strictMode\": true,\n  \"user\": null\n}"]"#,
        );
        assert_eq!(r.level, Level::Warn);
        assert_eq!(
            r.field("session").unwrap().get(),
            "{\n  \"currDBName\": \"\",\n  \"id\": 0,\n  \"status\": 2,\n  \"strictMode\": true,\n  \"user\": null\n}"
        );
    }

    #[test]
    fn duplicate_keys_and_empty_values() {
        let r = p(
            r#"[2023/12/25 11:18:48.984 +00:00] [INFO] [ddl_worker.go:1000] ["run DDL job"] [worker="worker 2, tp add index"] [category=ddl] [jobID=125] [conn=3403678664] [category=ddl] [job="ID:125, Type:add index"]"#,
        );
        assert_eq!(r.fields.iter().filter(|f| f.key.is("category")).count(), 2);
        assert!(r.field("job").unwrap().is("ID:125, Type:add index"));
        let r = p(
            r#"[2020/08/12 16:12:07.318 +08:00] [INFO] [session.go:2121] ["CRUCIAL OPERATION"] [conn=0] [schemaVersion=0] [cur_db=] [sql="CREATE DATABASE IF NOT EXISTS test"] [user=]"#,
        );
        assert_eq!(r.field("cur_db"), Some(&Text::Raw("")));
        assert_eq!(r.field("user"), Some(&Text::Raw("")));
        assert_eq!(r.fields.len(), 5);
    }

    #[test]
    fn bare_brackets() {
        // A bare `[]` after the message carries nothing (karu-27180).
        let r = p(
            r#"[2021/08/29 20:12:05.404 +05:30] [ERROR] [http_status.go:363] ["grpc server error"] []"#,
        );
        assert!(r.message.is("grpc server error"));
        assert!(r.fields.is_empty());
        let r = p(
            r#"[2021/10/03 15:02:43.098 +05:30] [INFO] [index.go:1418] ["[ddl] job update reorgInfo"] [jobID=62] [startHandle="key: "] []"#,
        );
        assert_eq!(r.fields.len(), 2);
        // TiKV writes an empty message as `[]`.
        let r = p("[2024/07/15 13:27:19.208 +00:00] [INFO] [peer.rs:458] [] [peer_id=3]");
        assert!(r.message.is(""));
        assert!(r.field("peer_id").unwrap().is("3"));
    }

    #[test]
    fn message_shapes() {
        // Unquoted one-word message.
        let r = p("[2026/05/22 07:37:29.468 +00:00] [ERROR] [task_executor.go:547] [onError] [keyspaceName=2jfj6qBpjGJ7fsQ] [task-id=5] [error=\"index info not found: 1\"]");
        assert_eq!(r.message, Text::Raw("onError"));
        assert_eq!(r.fields.len(), 3);
        // No message at all: TiDB omits an empty one.
        let r = p("[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [a=1] [b=2]");
        assert!(r.message.is(""));
        assert_eq!(r.fields.len(), 2);
        // Header only.
        let r = p("[2024/01/13 19:21:09.480 +08:00] [INFO] [<unknown>]");
        assert_eq!(r.source, "<unknown>");
        assert!(r.message.is("") && r.fields.is_empty());
        // Old category prefix.
        let r = p(
            r#"[2020/09/10 19:07:55.880 +08:00] [INFO] [index.go:494] ["[ddl] run DDL job"] [job="ID:154"]"#,
        );
        assert_eq!(
            r.message_and_category(),
            ("run DDL job".into(), Some("ddl".into()))
        );
    }

    #[test]
    fn levels_case_insensitive() {
        for (w, l) in [
            ("Info", Level::Info),
            ("Warn", Level::Warn),
            ("WARNING", Level::Warn),
            ("error", Level::Error),
            ("FATAL", Level::Fatal),
            ("PANIC", Level::Fatal),
            ("DPANIC", Level::Fatal),
            ("DEBUG", Level::Debug),
            ("TRACE", Level::Trace),
        ] {
            let line = format!("[2025/05/13 08:02:08.118 +08:00] [{w}] [util.go:299] [m]");
            assert_eq!(p(&line).level, l, "{w}");
        }
        assert!(parse("[2025/05/13 08:02:08.118 +08:00] [NOTICE] [util.go:299] [m]").is_none());
        assert!(parse("[2025/05/13 08:02:08.118 +08:00] [] [util.go:299] [m]").is_none());
    }

    #[test]
    fn zap_time_values_with_spaces() {
        let r = p("[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [m] [ts=2024/01/13 19:21:09.480 +08:00] [n=1]");
        assert!(r.field("ts").unwrap().is("2024/01/13 19:21:09.480 +08:00"));
        assert!(r.field("n").unwrap().is("1"));
    }

    #[test]
    fn named_logger() {
        let r = p(
            "[2024/01/13 19:21:09.480 +08:00] [INFO] [dxf.scheduler] [scheduler.go:10] [m] [k=v]",
        );
        assert_eq!(r.logger, Some("dxf.scheduler"));
        assert_eq!(r.source, "scheduler.go:10");
        assert!(r.message.is("m"));
        // A message cannot pass for a logger: the caller must follow.
        assert!(parse("[2024/01/13 19:21:09.480 +08:00] [INFO] [m] [k=v]").is_none());
    }

    #[test]
    fn damaged_bodies_keep_the_record() {
        let base = "[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [\"m\"] [a=1]";
        for tail in [
            " [b=\"unterminated",
            " [b=2",
            " [\"m2",
            "x",
            " [b=\"q\"x] [c=3]",
            " b",
        ] {
            let l = format!("{base}{tail}");
            let r = p(&l);
            assert!(r.message.is("m"));
            assert_eq!(kv(&r), [("a".into(), "1".into())], "{l}");
        }
        // Re-spaced pastes: more than one blank between sections is tolerated.
        let l = format!("{base}  [c=3]");
        let r = p(&l);
        assert_eq!(kv(&r), [("a".into(), "1".into()), ("c".into(), "3".into())]);
        // Header damage is not a record.
        assert!(
            parse("2025/12/29 23:14:16.363 +08:00] [ERROR] [handle.go:143] [\"task\"]").is_none()
        );
        assert!(parse("[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go] [m]").is_none());
        assert!(parse("[2024/01/13 19:21:09.480 +08:00] [INFO]").is_none());
    }

    #[test]
    fn raw_value_ends_at_bracket_before_next_section() {
        // Not something pingcap/log writes, but hand-made loggers do.
        let r = p("[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [m] [t=&{1 [a] b}] [n=1]");
        assert!(r.field("t").unwrap().is("&{1 [a] b}"));
        assert!(r.field("n").unwrap().is("1"));
    }

    #[test]
    fn many_fields_and_long_lines() {
        let mut l = String::from("[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [m]");
        for i in 0..10_000 {
            l.push_str(&format!(" [k{i}=\"v {i}\"]"));
        }
        let r = p(&l);
        assert_eq!(r.fields.len(), 10_000);
        assert!(r.fields[9_999].value.is("v 9999"));
        let l = format!(
            "[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [m] [big=\"{}\"]",
            "\\\"x".repeat(400_000)
        );
        let r = p(&l);
        assert_eq!(r.field("big").unwrap().get().len(), 800_000);
    }
}
