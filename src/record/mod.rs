//! One log line → one [`Record`], borrowing from the line (no allocation for ordinary lines).
//!
//! Accepted shapes (see `../shared/reference/tidb-source.md` §5 and `log-variants.md`):
//! * the unified format `[time] [LEVEL] [source] [message] [key=value]...` with the exact
//!   quoting rules of pingcap/log's encoder ([`unified`]);
//! * TiDB's JSON format, one object per line ([`json`]);
//! * the legacy pre-2019 text form `2018/01/24 07:00:41.857 domain.go:596: [error] ...` ([`legacy`]);
//! * any of them behind a wrapper people add when they collect or paste logs (a kubectl
//!   `<pod> <container> ` prefix, a CI `[2020-07-21T08:37:23.331Z] ` prefix, a log platform's
//!   `2026-05-22 15:37:29 | ` prefix) ([`wrapper`]).

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::timestamp::Timestamp;

pub mod json;
pub mod legacy;
pub mod quote;
pub mod unified;
pub mod wrapper;

/// Log level, matched case-insensitively (`[INFO]`, `[Info]`, `[info]`, `[warning]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    /// FATAL, PANIC and DPANIC.
    Fatal,
}

impl Level {
    /// Reads a level name case-insensitively: `INFO`, `Info`, `info`, `WARN`, `WARNING`,
    /// `ERROR`, `FATAL`, `PANIC`, `DPANIC`, `CRITICAL` (TiKV's slog), `DEBUG`, `TRACE`.
    pub fn parse(name: &str) -> Option<Level> {
        Level::parse_bytes(name.as_bytes())
    }

    /// [`Level::parse`] on bytes (the record-start check runs before UTF-8 validation).
    pub fn parse_bytes(name: &[u8]) -> Option<Level> {
        const NAMES: [(&[u8], Level); 10] = [
            (b"INFO", Level::Info),
            (b"WARN", Level::Warn),
            (b"ERROR", Level::Error),
            (b"DEBUG", Level::Debug),
            (b"WARNING", Level::Warn),
            (b"FATAL", Level::Fatal),
            (b"TRACE", Level::Trace),
            (b"PANIC", Level::Fatal),
            (b"DPANIC", Level::Fatal),
            (b"CRITICAL", Level::Fatal),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, l)| l)
    }
}

/// Which of the accepted line shapes a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Unified,
    Json,
    Legacy,
}

/// A message, key or value as it stood in the line.
///
/// Unified-format text is kept raw and unescaped only on demand, so that the hot path does not
/// allocate. JSON-format lines are decoded by serde_json and own their text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    /// Written without quotes: the text is the value.
    Raw(&'a str),
    /// Written in double quotes: the slice is the inside of the quotes, still escaped.
    Quoted(&'a str),
    /// Already decoded text (JSON format, legacy format).
    Owned(String),
}

impl<'a> Text<'a> {
    /// The decoded text. Borrowed unless an escape sequence had to be decoded.
    pub fn get(&self) -> Cow<'_, str> {
        match self {
            Text::Raw(s) => Cow::Borrowed(s),
            Text::Quoted(s) => quote::unescape(s),
            Text::Owned(s) => Cow::Borrowed(s.as_str()),
        }
    }

    /// True when the decoded text equals `s`, without allocating in the common case.
    pub fn is(&self, s: &str) -> bool {
        match self {
            Text::Raw(r) => *r == s,
            Text::Quoted(q) if !q.contains('\\') => *q == s,
            other => other.get() == s,
        }
    }
}

/// One `[key=value]` section. Keys are not unique: TiDB writes `category=ddl` twice on some lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field<'a> {
    pub key: Text<'a>,
    pub value: Text<'a>,
}

/// One parsed log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<'a> {
    pub ts: Timestamp,
    pub level: Level,
    /// The optional logger name section some builds write between level and caller.
    pub logger: Option<&'a str>,
    /// `file.go:123` or `<unknown>`; empty when the format has no caller.
    pub source: &'a str,
    /// The message; empty when the line has none (TiDB omits an empty message, TiKV writes `[]`).
    pub message: Text<'a>,
    pub fields: SmallVec<[Field<'a>; 12]>,
    pub format: Format,
}

impl<'a> Record<'a> {
    /// The first field whose key is `key`.
    pub fn field(&self, key: &str) -> Option<&Text<'a>> {
        self.fields.iter().find(|f| f.key.is(key)).map(|f| &f.value)
    }

    /// The first field whose key is any of `keys` (in the order of `keys`).
    pub fn field_any(&self, keys: &[&str]) -> Option<&Text<'a>> {
        keys.iter().find_map(|k| self.field(k))
    }

    /// The message without an old-style category prefix, and that category.
    ///
    /// Before v7.1 TiDB wrote `["[ddl] run DDL job"]` where later versions write
    /// `["run DDL job"] [category=ddl]`; both come back as (`run DDL job`, `Some("ddl")`).
    pub fn message_and_category(&self) -> (Cow<'_, str>, Option<Cow<'_, str>>) {
        let msg = self.message.get();
        if let Some(rest) = msg.strip_prefix('[') {
            if let Some(end) = rest.find("] ") {
                let cat = &rest[..end];
                if !cat.is_empty()
                    && cat
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    let (cat, bare) = match &msg {
                        Cow::Borrowed(m) => {
                            (Cow::Borrowed(&m[1..1 + end]), Cow::Borrowed(&m[end + 3..]))
                        }
                        Cow::Owned(m) => (
                            Cow::Owned(m[1..1 + end].to_string()),
                            Cow::Owned(m[end + 3..].to_string()),
                        ),
                    };
                    return (bare, Some(cat));
                }
            }
        }
        let cat = self.field("category").map(|c| c.get());
        (msg, cat)
    }
}

/// Parses one physical line (without its line terminator) in any accepted shape.
///
/// Lenient on the body: once the header is valid, the line is a record; a damaged body
/// (an unterminated quote, a missing `]`) ends the fields where the damage starts.
/// A trailing `\r` (CRLF files) and trailing blanks are ignored.
pub fn parse_line(line: &str) -> Option<Record<'_>> {
    parse_bare(wrapper::strip(line))
}

/// Parses a line that has no wrapper prefix.
fn parse_bare(line: &str) -> Option<Record<'_>> {
    let line = trim_end(line);
    unified::parse(line)
        .or_else(|| json::parse(line))
        .or_else(|| legacy::parse(line))
}

/// True when [`parse_bare`] would return a record, without building its fields.
///
/// Each format's `parse` succeeds exactly when its header check does (the body is lenient), so
/// this agrees with `parse_bare` by construction; JSON is the exception and is parsed in full
/// (it is rare, and a JSON line is a record only if the whole object is valid).
pub(crate) fn is_bare_record(line: &str) -> bool {
    let line = trim_end(line);
    unified::header(line.as_bytes()).is_some()
        || (line.starts_with('{') && json::parse(line).is_some())
        || legacy::header(line.as_bytes()).is_some()
}

/// Drops a trailing `\r` and blanks: CRLF files and copy-pasted lines end with them, and no
/// record's meaning depends on them.
fn trim_end(line: &str) -> &str {
    line.trim_end_matches([' ', '\t', '\r'])
}

/// Cheap test for "this physical line starts a record", run on every line of every file.
///
/// Must agree with [`parse_line`]`(line).is_some()` for every input (for bytes that are not
/// UTF-8: with `parse_line` of their lossy conversion); it exists because it can decide without
/// building fields.
///
/// Fast path: an ordinary unified line (`[` + digit) is decided on its fixed-width header bytes
/// alone, whether or not the rest is valid UTF-8. Everything else (wrapped, JSON, legacy shapes,
/// and the continuation lines that are no record at all) takes the general path, which only
/// allocates for lines that are not UTF-8.
pub fn is_record_start(line: &[u8]) -> bool {
    if line.len() > 1
        && line[0] == b'['
        && line[1].is_ascii_digit()
        && unified::header(line).is_some()
    {
        return true;
    }
    match std::str::from_utf8(line) {
        Ok(s) => is_bare_record(wrapper::strip(s)),
        Err(_) => is_bare_record(wrapper::strip(&String::from_utf8_lossy(line))),
    }
}
