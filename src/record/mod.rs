//! One log line → one [`Record`], borrowing from the line (no allocation for ordinary lines).
//!
//! What a record looks like is data: [`SHAPES`] lists every line shape TiDB (and the tools that
//! export its logs) has written, one row each, and [`wrapper::WRAPPERS`] every prefix people and
//! collectors put in front of a line. A new log era or a new paste habit is a new row, not a
//! new code path. The shapes (see `../shared/reference/tidb-source.md` §5 and `log-variants.md`):
//!
//! * the unified format `[time] [LEVEL] [source] [message] [key=value]...` with the exact
//!   quoting rules of pingcap/log's encoder ([`unified`]), also with its opening `[` lost;
//! * TiDB's JSON format, one object per line ([`json`]);
//! * the pre-2019 text forms `2018/01/24 07:00:41.857 domain.go:596: [error] ...` (with or
//!   without milliseconds), old TiKV's, and Go's standard `log` ([`legacy`]);
//! * the lines of tools that export a cluster's logs, naming the instance on each line
//!   ([`export`]);
//! * any of them behind up to three wrappers ([`wrapper`]): a kubectl `<pod> <container> `
//!   prefix, a CI `[2020-07-21T08:37:23.331Z] ` prefix, a log platform's `2026-05-22 15:37:29 | `,
//!   a `grep`/`rg` `file.log:123:` prefix, Markdown quoting.
//!
//! A file that starts with a run of NUL bytes (copy-truncate rotation) is not a line shape: the
//! scanner drops NULs at the start of a line before anything here sees it, because the run can be
//! far longer than any line cap.

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::model::Timestamp;

pub mod export;
pub mod json;
pub mod legacy;
pub mod quote;
pub mod swar;
pub mod time;
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
        if name.len() > 8 {
            return None;
        }
        Level::from_word(swar::word(name, 0), name.len())
    }

    /// [`Level::parse_bytes`] of a name of `len` bytes given as a word ([`swar::word`]), the
    /// bytes past `len` zero. The record-start check has the word already: building it again
    /// from the bytes cost a store-forwarding stall.
    pub fn from_word(w: u64, len: usize) -> Option<Level> {
        // One word compare rather than a search of the names: this runs on every line, and
        // which name matches changes from line to line (a branch the CPU mispredicts).
        const fn key(s: &[u8]) -> u64 {
            let mut w = [0u8; 8];
            let mut k = 0;
            while k < s.len() {
                w[k] = s[k];
                k += 1;
            }
            u64::from_le_bytes(w)
        }
        const INFO: u64 = key(b"INFO");
        const WARN: u64 = key(b"WARN");
        const ERROR: u64 = key(b"ERROR");
        const DEBUG: u64 = key(b"DEBUG");
        const WARNING: u64 = key(b"WARNING");
        const FATAL: u64 = key(b"FATAL");
        const TRACE: u64 = key(b"TRACE");
        const PANIC: u64 = key(b"PANIC");
        const DPANIC: u64 = key(b"DPANIC");
        const CRITICAL: u64 = key(b"CRITICAL");
        let (level, n) = match swar::upper(w) {
            INFO => (Level::Info, 4),
            WARN => (Level::Warn, 4),
            ERROR => (Level::Error, 5),
            DEBUG => (Level::Debug, 5),
            WARNING => (Level::Warn, 7),
            FATAL => (Level::Fatal, 5),
            TRACE => (Level::Trace, 5),
            PANIC => (Level::Fatal, 5),
            DPANIC => (Level::Fatal, 6),
            CRITICAL => (Level::Fatal, 8),
            _ => return None,
        };
        // The word is zero-padded: `INFO\0` must not read as `INFO`.
        (n == len).then_some(level)
    }
}

/// Which of the accepted line shapes a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Unified,
    Json,
    Legacy,
    /// Go's standard `log` (no level, no caller), as embedded libraries write into tidb.log.
    GoStd,
    /// A log platform's export (no level; the instance on the line).
    Export,
    /// A log-query tool's print-out (the instance on the line).
    QueryTool,
}

impl Format {
    /// The shape writes a wall-clock time without a zone (read as UTC, [`time::parse_legacy`]).
    /// In a file whose other records carry a zone, the scanner reads it in that zone instead.
    pub fn is_zoneless(self) -> bool {
        matches!(self, Format::Legacy | Format::GoStd | Format::QueryTool)
    }
}

/// Where a line says it came from, when it says so: lines collected from many instances into
/// one file (a `grep` over several logs, a log platform's export) name their source on the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// The file a `grep`/`rg` prefix names: `tidb-1.log`, `logs/tidb-0/tidb.log`.
    File(&'a str),
    /// The instance the line names itself: `172.16.6.95:4604`, a kubectl pod name.
    Instance(&'a str),
}

/// How the non-record lines that follow a record belong to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// They are not part of it (stack dumps, pasted prose): counted as continuations only.
    None,
    /// The record was hard-wrapped (a unified line that does not end with `]`): the next lines
    /// are the rest of it, glued back without a separator.
    HardWrap,
    /// The record's message goes on over the next lines with their line breaks (the SQL after
    /// a pre-2019 `Query:`).
    Lines,
}

/// One line shape: a row of [`SHAPES`].
pub struct Shape {
    /// A short name, for documentation and tests.
    pub name: &'static str,
    /// A real line of this shape (shortened); the tests parse every example.
    pub example: &'static str,
    /// Who writes it and where it was seen.
    pub seen: &'static str,
    /// The header check: true exactly when [`Shape::parse`] returns a record (the body is
    /// lenient), without building fields.
    pub starts: fn(&str) -> bool,
    /// Parses a line without wrappers or trailing blanks.
    pub parse: for<'a> fn(&'a str) -> Option<Record<'a>>,
    /// How the lines after a record of this shape belong to it.
    pub join: fn(&str) -> Join,
}

fn never_joins(_: &str) -> Join {
    Join::None
}

/// A unified line that does not end with `]` was cut by a hard wrap (log-variants.md: a
/// continuation line never starts with `[YYYY/`, so "join until the next record" rebuilds it).
fn unified_join(line: &str) -> Join {
    if line.ends_with(']') {
        Join::None
    } else {
        Join::HardWrap
    }
}

/// TiDB 1.0 logged `start DDL job <job>, Query:` and then the SQL, which keeps its own line
/// breaks (and tab indentation) on the following lines.
fn legacy_join(line: &str) -> Join {
    if line.contains(", Query:") {
        Join::Lines
    } else {
        Join::None
    }
}

/// Every line shape, tried in order (the first whose header fits wins; the more specific shapes
/// come first).
#[rustfmt::skip]
pub static SHAPES: &[Shape] = &[
    Shape {
        name: "unified",
        example: r#"[2024/01/13 19:21:09.782 +08:00] [ERROR] [handle.go:92] ["task reverted"] [task-id=210029] [error="[tikv:9005]Region is unavailable"]"#,
        seen: "TiDB v2.1+ (2019 on), PD, TiKV; levels in any case (`[Warn]` in dashboard copies)",
        starts: |l| unified::header(l.as_bytes()).is_some(),
        parse: unified::parse,
        join: unified_join,
    },
    Shape {
        name: "json",
        example: r#"{"level":"ERROR","time":"2023/07/18 09:33:51.968 +00:00","caller":"ddl_worker.go:942","message":"[ddl] run DDL job error","jobID":125}"#,
        seen: "log.format = \"json\"; pretty-printed over many lines (#45450), which the scanner joins",
        starts: |l| l.starts_with('{') && json::parse(l).is_some(),
        parse: json::parse,
        join: never_joins,
    },
    Shape {
        name: "legacy",
        example: "2018/01/24 07:00:41.857 domain.go:596: [error] [stats] update stats info fail: [tikv:9002]TiKV server timeout",
        seen: "TiDB/PD 1.0–2.x (2017–2018, with milliseconds from 2018), old TiKV `INFO file.rs:1:` (#5709, #5014, #4986)",
        starts: |l| legacy::header(l.as_bytes()).is_some(),
        parse: legacy::parse,
        join: legacy_join,
    },
    Shape {
        name: "log platform export",
        example: r#"2024-11-26 14:55:27 (UTC+08:00)TiDB 172.16.6.95:4604[job_worker.go:784] ["run DDL job"] [category=ddl] [jobID=5512]"#,
        seen: "a log platform's export (one issue, #44974): no level, second precision",
        starts: |l| export::is_platform(l.as_bytes()),
        parse: export::parse_platform,
        join: never_joins,
    },
    Shape {
        name: "log-query tool",
        example: r#"2024/01/05 00:56:20.483 tidb 127.0.0.1:4001 INFO [session.go:3884] ["CRUCIAL OPERATION"] [conn=2]"#,
        seen: "a log-query tool's print-out (PR #50101)",
        starts: |l| export::is_query_tool(l.as_bytes()),
        parse: export::parse_query_tool,
        join: never_joins,
    },
    Shape {
        name: "unified without its opening bracket",
        example: r#"2025/12/29 23:14:16.363 +08:00] [ERROR] [handle.go:143] ["task failed"] [task-id=30001]"#,
        seen: "pastes that lost the first `[` (#65333)",
        starts: |l| unified::header_unbracketed(l.as_bytes()).is_some(),
        parse: unified::parse_unbracketed,
        join: unified_join,
    },
    Shape {
        name: "Go standard log",
        example: "2025/12/23 06:09:15 background error: creating object 000012: open /tmp/tidb/tmp_ddl-3000/54/x.sst: no such file or directory",
        seen: "embedded libraries writing through Go's `log` into tidb.log (pebble, NextGen, #65189)",
        starts: |l| legacy::is_go_std(l.as_bytes()),
        parse: legacy::parse_go_std,
        join: never_joins,
    },
];

/// A message, key or value as it stood in the line.
///
/// Unified-format text is kept raw and unescaped only on demand, so that the hot path does not
/// allocate. JSON-format lines are decoded by serde_json, which borrows what it can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    /// Written without quotes: the text is the value.
    Raw(&'a str),
    /// Written in double quotes: the slice is the inside of the quotes, still escaped.
    Quoted(&'a str),
    /// Already decoded text: JSON-format strings that had escapes, and non-string JSON values
    /// rendered as compact JSON. (JSON strings without escapes and legacy messages borrow as
    /// [`Text::Raw`].)
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
    /// The file or instance the line names as its source (a `grep` prefix, an export's
    /// instance); `None` for lines that belong to the file they are in.
    pub origin: Option<Origin<'a>>,
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
        if let Some((cat, bare)) = split_category(&msg) {
            let (cat, bare) = (cat.len(), bare.len());
            // Both parts are suffixes/prefixes of `msg`: slice the Cow without copying when borrowed.
            return match msg {
                Cow::Borrowed(m) => (
                    Cow::Borrowed(&m[m.len() - bare..]),
                    Some(Cow::Borrowed(&m[1..1 + cat])),
                ),
                Cow::Owned(m) => (
                    Cow::Owned(m[m.len() - bare..].to_string()),
                    Some(Cow::Owned(m[1..1 + cat].to_string())),
                ),
            };
        }
        let cat = self.field("category").map(|c| c.get());
        (msg, cat)
    }
}

/// Splits an old-style category prefix off a message: `[ddl] run DDL job` → (`ddl`, `run DDL job`).
///
/// The category is letters, digits, `-` and `_`, so an error text such as
/// `[ddl:8214]Cancelled DDL job` is not mistaken for one.
pub fn split_category(msg: &str) -> Option<(&str, &str)> {
    let (cat, bare) = split_category_bytes(msg.as_bytes())?;
    // Both parts are delimited by ASCII bytes, so they are char boundaries of `msg`.
    Some((&msg[1..1 + cat.len()], &msg[msg.len() - bare.len()..]))
}

/// [`split_category`] on bytes, for the scanner's raw read of a message.
pub fn split_category_bytes(msg: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = msg.strip_prefix(b"[")?;
    // The first `] ` (found from its `]`: this runs on the message of nearly every line).
    let end = memchr::memchr_iter(b']', rest).find(|&e| rest.get(e + 1) == Some(&b' '))?;
    let cat = &rest[..end];
    let is_category = !cat.is_empty()
        && cat
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    is_category.then(|| (cat, &rest[end + 2..]))
}

/// Parses one physical line (without its line terminator) in any accepted shape.
///
/// Lenient on the body: once the header is valid, the line is a record; a damaged body
/// (an unterminated quote, a missing `]`) ends the fields where the damage starts.
/// A trailing `\r` (CRLF files) and trailing blanks are ignored.
pub fn parse_line(line: &str) -> Option<Record<'_>> {
    let (inner, origin) = wrapper::unwrap(line);
    let mut rec = parse_bare(inner)?;
    rec.origin = rec.origin.or(origin);
    Some(rec)
}

/// The shape of a line that has no wrapper prefix, if it is a record.
fn shape_of(line: &str) -> Option<&'static Shape> {
    let line = trim_end(line);
    SHAPES.iter().find(|s| (s.starts)(line))
}

/// Parses a line that has no wrapper prefix.
fn parse_bare(line: &str) -> Option<Record<'_>> {
    let line = trim_end(line);
    SHAPES.iter().find_map(|s| (s.parse)(line))
}

/// True when [`parse_bare`] would return a record, without building its fields.
///
/// Each shape's `parse` succeeds exactly when its `starts` does (the body is lenient), so this
/// agrees with `parse_bare` by construction; JSON is the exception and is parsed in full (it is
/// rare, and a JSON line is a record only if the whole object is valid).
pub(crate) fn is_bare_record(line: &str) -> bool {
    shape_of(line).is_some()
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
pub fn is_record_start(line: &[u8]) -> bool {
    record_start(line).is_some()
}

/// [`is_record_start`], and when the line starts a record, how the lines after it belong to it
/// ([`Join`]): the scanner's one question per line.
///
/// Fast path: an ordinary unified line (`[` + digit) is decided on its fixed-width header bytes
/// alone, whether or not the rest is valid UTF-8. Everything else (wrapped, JSON, legacy shapes,
/// and the continuation lines that are no record at all) takes the general path, which only
/// allocates for lines that are not UTF-8.
pub fn record_start(line: &[u8]) -> Option<Join> {
    record_start_body(line).map(|(join, _)| join)
}

/// [`record_start`], and for an ordinary unified line the offset just after its caller's `]`
/// (where the message section starts), so that the scanner can read the message
/// ([`unified::raw_message`]) without checking the header a second time.
pub fn record_start_body(line: &[u8]) -> Option<(Join, Option<usize>)> {
    if line.len() > 1 && line[0] == b'[' && line[1].is_ascii_digit() {
        if let Some(h) = unified::header(line) {
            let join = if line.last() == Some(&b']') {
                Join::None
            } else {
                Join::HardWrap
            };
            return Some((join, Some(h.body)));
        }
    }
    let general = |s: &str| {
        let inner = trim_end(wrapper::strip(s));
        shape_of(inner).map(|shape| (shape.join)(inner))
    };
    match std::str::from_utf8(line) {
        Ok(s) => general(s),
        Err(_) => general(&String::from_utf8_lossy(line)),
    }
    .map(|join| (join, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every accepted spelling, any case; nothing else, however close.
    #[test]
    fn level_names_are_read_case_insensitively_and_exactly() {
        let names = [
            ("INFO", Level::Info),
            ("warn", Level::Warn),
            ("Warning", Level::Warn),
            ("ERROR", Level::Error),
            ("debug", Level::Debug),
            ("FATAL", Level::Fatal),
            ("trace", Level::Trace),
            ("PANIC", Level::Fatal),
            ("dpanic", Level::Fatal),
            ("Critical", Level::Fatal),
        ];
        for (name, level) in names {
            assert_eq!(Level::parse(name), Some(level), "{name}");
        }
        for bad in [
            "",
            "INF",
            "INFOS",
            "INFO\0",
            "WARNINGS",
            "CRITICALS",
            "ÍNFO",
            "I NFO",
            "DPANI",
        ] {
            assert_eq!(Level::parse(bad), None, "{bad:?}");
        }
    }

    const KUBECTL: &str = r#"wuyelei-tidb-2 tidb [2019/11/23 14:28:29.001 +00:00] [WARN] [manager.go:281] ["is not the owner"] ["owner info"="[ddl] /tidb/ddl/fg/owner ownerManager 1f2b2e8c-2e3a-4913-940c-8c37617e06d7"]"#;
    const PLATFORM: &str = r#"2026-05-22 15:37:29 | [2026/05/22 07:37:29.468 +00:00] [ERROR] [task_executor.go:547] [onError] [keyspaceName=2jfj6qBpjGJ7fsQ] [keyspaceID=412266] [task-id=5] [task-type=backfill] [error="index info not found: 1"]"#;
    const INFO_CASE: &str = r#"[2025/05/13 08:02:08.118 +08:00] [Warn] [util.go:299] ["[ddl] etcd-cli put kv failed"] [key=/tidb/ddl/all_schema_versions/037a5fde-1b5e-4ad1-a2a0-dfa583e6bd5e] [value=1217027] [error="context deadline exceeded"] [retryCnt=0]"#;

    #[test]
    fn message_and_category_old_and_new_style() {
        let r = parse_line(r#"[2020/09/10 19:07:55.880 +08:00] [INFO] [ddl_worker.go:960] ["[ddl] run DDL job"] [job="ID:154"]"#).unwrap();
        assert_eq!(
            r.message_and_category(),
            ("run DDL job".into(), Some("ddl".into()))
        );
        let r = parse_line(r#"[2023/12/25 11:18:48.984 +00:00] [INFO] [ddl_worker.go:1000] ["run DDL job"] [category=ddl] [jobID=125]"#).unwrap();
        assert_eq!(
            r.message_and_category(),
            ("run DDL job".into(), Some("ddl".into()))
        );
        // An error class is not a category.
        let r = parse_line(
            r#"[2023/12/25 11:18:48.984 +00:00] [INFO] [x.go:1] ["[ddl:8214]Cancelled DDL job"]"#,
        )
        .unwrap();
        assert_eq!(
            r.message_and_category(),
            ("[ddl:8214]Cancelled DDL job".into(), None)
        );
        // An escaped message is decoded before the prefix is looked at.
        let r = parse_line(
            r#"[2023/12/25 11:18:48.984 +00:00] [INFO] [x.go:1] ["[ddl-ingest] say \"hi\""]"#,
        )
        .unwrap();
        assert_eq!(
            r.message_and_category(),
            ("say \"hi\"".into(), Some("ddl-ingest".into()))
        );
    }

    #[test]
    fn wrapped_lines_parse_to_the_inner_record() {
        let r = parse_line(KUBECTL).unwrap();
        assert_eq!(r.level, Level::Warn);
        assert_eq!(r.source, "manager.go:281");
        assert!(r.message.is("is not the owner"));
        assert!(r
            .field("owner info")
            .unwrap()
            .get()
            .starts_with("[ddl] /tidb/ddl/fg/owner"));
        let r = parse_line(PLATFORM).unwrap();
        assert_eq!(
            crate::model::rfc3339(&r.ts),
            "2026-05-22T07:37:29.468+00:00"
        );
        assert!(r.message.is("onError"));
        assert!(r.field("task-id").unwrap().is("5"));
        let r = parse_line(INFO_CASE).unwrap();
        assert_eq!(r.level, Level::Warn);
        assert_eq!(r.message_and_category().1.as_deref(), Some("ddl"));
    }

    #[test]
    fn crlf_and_trailing_blanks_are_ignored() {
        let r = parse_line("[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [m] [k=v]\r").unwrap();
        assert!(r.field("k").unwrap().is("v"));
        let r =
            parse_line("[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [m] [k=v] \t ").unwrap();
        assert!(r.field("k").unwrap().is("v"));
        assert!(is_record_start(
            b"[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [m]\r"
        ));
        assert!(is_record_start(
            b"2018/01/24 07:00:41.857 domain.go:596: [error]\r"
        ));
    }

    #[test]
    fn record_start_agrees_on_every_shape() {
        let lines: &[&[u8]] = &[
            KUBECTL.as_bytes(),
            PLATFORM.as_bytes(),
            INFO_CASE.as_bytes(),
            b"2018/01/24 07:00:41.857 domain.go:596: [error] [stats] update stats info fail",
            br#"{"level":"INFO","time":"2023/07/18 09:33:51.968 +00:00","caller":"a.go:1","message":"m"}"#,
            br#"  {"level":"INFO","time":"2023/07/18 09:33:51.968 +00:00"}"#,
            b"[2020-07-21T08:37:23.331Z] [2020/07/21 16:37:22.114 +08:00] [ERROR] [ddl.go:523] [m]",
            b"goroutine 479187368 [select, 955 minutes]:",
            b"\tgithub.com/pingcap/tidb/pkg/ddl.(*ddl).Start()",
            b"2025/12/23 06:09:15 background error: creating object 000012",
            b"2025/12/29 23:14:16.363 +08:00] [ERROR] [handle.go:143] [\"task\"]",
            br#"{ "level": "ERROR","#,
            b"",
            b"[",
            b"[2",
            // Invalid UTF-8 in the body of a real record, and in a non-record.
            b"[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [m] [k=\xff\xfe]",
            b"\xff[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [m]",
            b"pod c [2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [\xff]",
        ];
        for l in lines {
            let lossy = String::from_utf8_lossy(l);
            assert_eq!(is_record_start(l), parse_line(&lossy).is_some(), "{lossy}");
        }
        assert!(
            is_record_start(lines[0]) && is_record_start(lines[4]) && is_record_start(lines[15])
        );
        assert!(is_record_start(lines[17]));
        assert!(!is_record_start(lines[7]) && !is_record_start(lines[16]));
        // Go's standard log (embedded pebble) is a record shape of its own.
        assert!(is_record_start(lines[9]));
    }

    #[test]
    fn every_shape_example_is_its_own_shape() {
        for (i, shape) in SHAPES.iter().enumerate() {
            let first = SHAPES.iter().position(|s| (s.starts)(shape.example));
            assert_eq!(first, Some(i), "{}: {:?}", shape.name, shape.example);
            assert!((shape.parse)(shape.example).is_some(), "{}", shape.name);
            assert!(is_record_start(shape.example.as_bytes()), "{}", shape.name);
        }
    }

    #[test]
    fn origins_and_joins() {
        let grepped = format!("tidb-1.log:42:{INFO_CASE}");
        let r = parse_line(&grepped).unwrap();
        assert_eq!(r.origin, Some(Origin::File("tidb-1.log")));
        assert_eq!(r.level, Level::Warn);
        let r = parse_line(KUBECTL).unwrap();
        assert_eq!(r.origin, Some(Origin::Instance("wuyelei-tidb-2")));
        // The export's own instance wins over the file a grep prefix names.
        let exported = format!("all.log:{}", SHAPES[3].example);
        let r = parse_line(&exported).unwrap();
        assert_eq!(r.origin, Some(Origin::Instance("172.16.6.95:4604")));
        assert_eq!(parse_line(INFO_CASE).unwrap().origin, None);

        assert_eq!(record_start(INFO_CASE.as_bytes()), Some(Join::None));
        assert_eq!(
            record_start(b"[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [m] [job=\"ID:1, Ty"),
            Some(Join::HardWrap)
        );
        assert_eq!(
            record_start(b"2017/08/03 23:37:35 ddl.go:190: [info] [ddl] start DDL job ID:34, Type:create table, State:none, SchemaState:none, SchemaID:29, TableID:33, RowCount:0, ArgLen:1, Query:"),
            Some(Join::Lines)
        );
        assert_eq!(
            record_start(b"2017/08/03 23:37:35 ddl.go:190: [info] [ddl] DDL job 34 is finished"),
            Some(Join::None)
        );
        assert_eq!(record_start(b"\tcreate table t (a int)"), None);
    }

    #[test]
    fn levels_in_any_case() {
        for (word, level) in [
            ("DEBUG", Level::Debug),
            ("debug", Level::Debug),
            ("Info", Level::Info),
            ("warning", Level::Warn),
            ("Warn", Level::Warn),
            ("ERROR", Level::Error),
            ("error", Level::Error),
            ("FATAL", Level::Fatal),
            ("fatal", Level::Fatal),
            ("Panic", Level::Fatal),
        ] {
            let l = format!("[2024/01/13 19:21:09.480 +08:00] [{word}] [x.go:1] [m]");
            assert_eq!(parse_line(&l).unwrap().level, level, "{word}");
            let l = format!("2017/08/03 23:37:35 x.go:1: [{word}] m");
            assert_eq!(parse_line(&l).unwrap().level, level, "{word}");
        }
    }

    #[test]
    fn megabyte_lines_are_cheap_either_way() {
        let junk = "x".repeat(1 << 20);
        assert!(!is_record_start(junk.as_bytes()));
        assert!(parse_line(&junk).is_none());
        let rec = format!("[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [m] [k=\"{junk}\"]");
        assert!(is_record_start(rec.as_bytes()));
        assert_eq!(
            parse_line(&rec).unwrap().field("k").unwrap().get().len(),
            1 << 20
        );
    }

    #[test]
    fn text_get_and_is() {
        assert!(Text::Quoted(r#"a \"b\""#).is("a \"b\""));
        assert!(!Text::Quoted(r#"a \"b\""#).is(r#"a \"b\""#));
        assert!(Text::Raw("x").is("x"));
        assert!(Text::Owned("x".into()).is("x"));
        assert_eq!(Text::Quoted(r"line\nnext").get(), "line\nnext");
    }
}
