//! The pre-2019 text forms, before the unified format:
//!
//! * TiDB / PD (ngaut/log): `2018/01/24 07:00:41.857 domain.go:596: [error] [stats] update stats info fail: ...`,
//!   and in 2017 (TiDB 1.0) the same without milliseconds:
//!   `2017/08/03 23:37:35 owner_manager.go:176: [info] [ddl] ...`;
//! * old TiKV: `2019/07/18 11:04:29.314 INFO mod.rs:28: Welcome to TiKV.`;
//! * Go's standard `log` (embedded libraries such as pebble write through it into tidb.log):
//!   `2025/12/23 06:09:15 background error: ...`: no level, no caller ([`parse_go_std`]).
//!
//! None has a zone (the time is read as UTC, see [`crate::record::time::parse_legacy`]) nor
//! structured fields: the message is the rest of the line, kept as written (it often carries a
//! `[ddl] ` category prefix, which [`super::Record::message_and_category`] splits off). A
//! message may go on over the next physical lines (the SQL after `Query:`); the scanner joins
//! them ([`super::Join::Lines`]).

use std::ops::Range;

use smallvec::SmallVec;

use super::{Format, Level, Record, Text};
use crate::model::Timestamp;
use crate::record::time::{parse_legacy, parse_legacy_second, LEGACY_LEN, SECOND_LEN};

/// The time layouts of the pre-2019 forms, as (length, parser): with milliseconds (2018, the
/// logrus-based formatter) and without (2017, ngaut/log with Go's `log` flags). A new layout is
/// one more row.
type TimeParser = fn(&[u8]) -> Option<Timestamp>;

const TIMES: &[(usize, TimeParser)] = &[
    (LEGACY_LEN, parse_legacy),
    (SECOND_LEN, parse_legacy_second),
];

/// The time at the start of `line` and the index just after it (its following blank checked).
fn leading_time(line: &[u8]) -> Option<(Timestamp, usize)> {
    if !line.first()?.is_ascii_digit() {
        return None;
    }
    TIMES.iter().find_map(|&(len, parse)| {
        (line.get(len) == Some(&b' '))
            .then(|| parse(line))
            .flatten()
            .map(|ts| (ts, len + 1))
    })
}

/// The validated header of a legacy line; ranges index the line (ASCII-delimited).
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub ts: Timestamp,
    pub level: Level,
    pub source: Range<usize>,
    pub message: usize,
}

/// Checks the header of a legacy line; `None` when `line` does not start one.
pub(crate) fn header(line: &[u8]) -> Option<Header> {
    let (ts, i) = leading_time(line)?;
    if let Some(src_end) = caller_colon(line, i) {
        // TiDB/PD: `file.go:596: [level]` then ` message` or the end.
        let lv = src_end + 2;
        if line.get(src_end + 1) != Some(&b' ') || line.get(lv) != Some(&b'[') {
            return None;
        }
        let close = lv + 1 + memchr::memchr(b']', line.get(lv + 1..)?)?;
        let level = Level::parse_bytes(&line[lv + 1..close])?;
        let message = match line.get(close + 1) {
            None => close + 1,
            Some(b' ') => close + 2,
            Some(_) => return None,
        };
        return Some(Header {
            ts,
            level,
            source: i..src_end,
            message,
        });
    }
    // Old TiKV: `LEVEL` then ` file.rs:28: message` (the caller is optional).
    let word_end = i + line[i..]
        .iter()
        .position(|b| !b.is_ascii_alphabetic())
        .unwrap_or(line.len() - i);
    let level = Level::parse_bytes(&line[i..word_end])?;
    let message = match line.get(word_end) {
        None => word_end,
        Some(b' ') => word_end + 1,
        Some(_) => return None,
    };
    match caller_colon(line, message) {
        Some(src_end) if matches!(line.get(src_end + 1), None | Some(b' ')) => {
            let msg = (src_end + 2).min(line.len());
            Some(Header {
                ts,
                level,
                source: message..src_end,
                message: msg,
            })
        }
        _ => Some(Header {
            ts,
            level,
            source: message..message,
            message,
        }),
    }
}

/// If `file.go:123:` starts at `i`, the index of its final `:`.
fn caller_colon(line: &[u8], i: usize) -> Option<usize> {
    let rest = line.get(i..)?;
    let name = rest
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')))?;
    if name == 0 || rest[name] != b':' {
        return None;
    }
    let digits = rest[name + 1..].iter().position(|b| !b.is_ascii_digit())?;
    (digits > 0 && rest[name + 1 + digits] == b':').then_some(i + name + 1 + digits)
}

/// Parses a legacy line (already stripped of wrappers and trailing blanks).
pub fn parse(line: &str) -> Option<Record<'_>> {
    let h = header(line.as_bytes())?;
    Some(Record {
        ts: h.ts,
        level: h.level,
        logger: None,
        source: &line[h.source],
        message: Text::Raw(&line[h.message..]),
        fields: SmallVec::new(),
        format: Format::Legacy,
        origin: None,
    })
}

/// True when `line` is a Go standard `log` line: `yyyy/MM/dd HH:mm:ss ` and a message, and not
/// one of the TiDB forms above (they are tried first; see [`super::SHAPES`]).
pub(crate) fn is_go_std(line: &[u8]) -> bool {
    go_std_message(line).is_some()
}

fn go_std_message(line: &[u8]) -> Option<(Timestamp, usize)> {
    if line.get(SECOND_LEN) != Some(&b' ') || !line.first()?.is_ascii_digit() {
        return None;
    }
    let ts = parse_legacy_second(line)?;
    let msg = SECOND_LEN + 1;
    // A message that starts with a blank or is empty is no std-log line (`log.Print` writes the
    // text right after one space).
    match line.get(msg) {
        Some(b) if !b.is_ascii_whitespace() => Some((ts, msg)),
        _ => None,
    }
}

/// Parses a Go standard `log` line. It has no level (read as INFO) and no caller; the message is
/// the rest of the line.
pub fn parse_go_std(line: &str) -> Option<Record<'_>> {
    let (ts, msg) = go_std_message(line.as_bytes())?;
    Some(Record {
        ts,
        level: Level::Info,
        logger: None,
        source: "",
        message: Text::Raw(&line[msg..]),
        fields: SmallVec::new(),
        format: Format::GoStd,
        origin: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rfc3339;

    #[test]
    fn tidb_1x_line() {
        // From issue #5709.
        let l = "2018/01/24 07:00:41.857 domain.go:596: [error] [stats] update stats info fail: [tikv:9002]TiKV server timeout";
        let r = parse(l).unwrap();
        assert_eq!(rfc3339(&r.ts), "2018-01-24T07:00:41.857+00:00");
        assert_eq!(r.level, Level::Error);
        assert_eq!(r.source, "domain.go:596");
        assert_eq!(
            r.message.get(),
            "[stats] update stats info fail: [tikv:9002]TiKV server timeout"
        );
        assert!(r.fields.is_empty());
        assert_eq!(r.format, Format::Legacy);
        let (msg, cat) = r.message_and_category();
        assert_eq!(
            msg,
            "update stats info fail: [tikv:9002]TiKV server timeout"
        );
        assert_eq!(cat.as_deref(), Some("stats"));
    }

    #[test]
    fn warning_level_word() {
        // From issue #5014.
        let r = parse("2017/11/06 11:30:05.040 backoff.go:205: [warning] regionMiss backoffer.maxSleep 2000ms is exceeded").unwrap();
        assert_eq!(r.level, Level::Warn);
        assert_eq!(r.source, "backoff.go:205");
        assert_eq!(
            r.message.get(),
            "regionMiss backoffer.maxSleep 2000ms is exceeded"
        );
    }

    #[test]
    fn old_tikv_line() {
        let r = parse("2019/07/18 11:04:29.314 INFO mod.rs:28: Welcome to TiKV.").unwrap();
        assert_eq!(r.level, Level::Info);
        assert_eq!(r.source, "mod.rs:28");
        assert_eq!(r.message.get(), "Welcome to TiKV.");
        let r = parse("2019/07/18 11:04:29.314 WARN no caller here").unwrap();
        assert_eq!(r.level, Level::Warn);
        assert_eq!(r.source, "");
        assert_eq!(r.message.get(), "no caller here");
    }

    #[test]
    fn tidb_1_0_line_without_milliseconds() {
        let r = parse("2017/08/03 23:37:35 owner_manager.go:176: [info] [ddl] /tidb/ddl/fg/owner ownerManager 5a1e etcd session is done, creates a new one").unwrap();
        assert_eq!(rfc3339(&r.ts), "2017-08-03T23:37:35.000+00:00");
        assert_eq!((r.level, r.source), (Level::Info, "owner_manager.go:176"));
        assert_eq!(r.message_and_category().1.as_deref(), Some("ddl"));
        let r = parse("2017/08/03 23:37:36 ddl_worker.go:300: [warning] [ddl] x").unwrap();
        assert_eq!(r.level, Level::Warn);
    }

    #[test]
    fn go_std_log_line() {
        // Embedded pebble (NextGen, #65189): second precision, no level, no caller.
        let l = "2025/12/23 06:09:15 background error: creating object 000012: no such file or directory";
        assert!(parse(l).is_none());
        let r = parse_go_std(l).unwrap();
        assert_eq!(rfc3339(&r.ts), "2025-12-23T06:09:15.000+00:00");
        assert_eq!(
            (r.level, r.source, r.format),
            (Level::Info, "", Format::GoStd)
        );
        assert!(r
            .message
            .get()
            .starts_with("background error: creating object"));
        assert!(parse_go_std("2025/12/23 06:09:15 ").is_none());
        assert!(parse_go_std("2025/12/23 06:09:15").is_none());
        assert!(parse_go_std("2018/01/24 07:00:41.857 domain.go:596: [error] x").is_none());
        assert!(parse_go_std("2025-12-23 06:09:15 x").is_none());
    }

    #[test]
    fn not_legacy() {
        // Go std-log from embedded pebble: second precision, no level (another shape).
        assert!(parse("2025/12/23 06:09:15 background error: creating object 000012").is_none());
        // No level word.
        assert!(parse("2018/01/24 07:00:41.857 domain.go:596: update").is_none());
        assert!(parse("2018/01/24 07:00:41.857 domain.go:596: [oops] x").is_none());
        assert!(parse("2018/01/24 07:00:41.857 hello world").is_none());
        assert!(parse("2018/01/24 07:00:41.857").is_none());
        assert!(parse("[2018/01/24 07:00:41.857 +08:00] [INFO] [a.go:1]").is_none());
    }
}
