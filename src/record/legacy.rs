//! The pre-2019 text forms, before the unified format:
//!
//! * TiDB / PD (ngaut/log): `2018/01/24 07:00:41.857 domain.go:596: [error] [stats] update stats info fail: ...`
//! * old TiKV: `2019/07/18 11:04:29.314 INFO mod.rs:28: Welcome to TiKV.`
//!
//! Neither has a zone (the time is read as UTC, see [`crate::record::time::parse_legacy`]) nor
//! structured fields: the message is the rest of the line, kept as written (it often carries a
//! `[ddl] ` category prefix, which [`super::Record::message_and_category`] splits off).

use std::ops::Range;

use smallvec::SmallVec;

use super::{Format, Level, Record, Text};
use crate::model::Timestamp;
use crate::record::time::{parse_legacy, LEGACY_LEN};

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
    if !line.first()?.is_ascii_digit() || line.get(LEGACY_LEN) != Some(&b' ') {
        return None;
    }
    let ts = parse_legacy(line)?;
    let i = LEGACY_LEN + 1;
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
    fn not_legacy() {
        // Go std-log from embedded pebble: second precision, no level.
        assert!(parse("2025/12/23 06:09:15 background error: creating object 000012").is_none());
        // No level word.
        assert!(parse("2018/01/24 07:00:41.857 domain.go:596: update").is_none());
        assert!(parse("2018/01/24 07:00:41.857 domain.go:596: [oops] x").is_none());
        assert!(parse("2018/01/24 07:00:41.857 hello world").is_none());
        assert!(parse("2018/01/24 07:00:41.857").is_none());
        assert!(parse("[2018/01/24 07:00:41.857 +08:00] [INFO] [a.go:1]").is_none());
    }
}
