//! Lines as tools print them when they export TiDB logs from many instances at once: each line
//! names the instance it came from, because one export holds the logs of a whole cluster.
//!
//! * A log platform's export (one issue, #44974): no level, no brackets around a second-precision
//!   time with its zone in words, and the component and instance glued to the caller:
//!
//!   ```text
//!   2024-11-26 14:55:27 (UTC+08:00)TiDB 172.16.6.95:4604[job_worker.go:784] ["run DDL job"] [category=ddl] ...
//!   ```
//!
//! * A log-query tool (PR #50101): the legacy time, component and instance, a bare level word,
//!   then the unified caller and body:
//!
//!   ```text
//!   2024/01/05 00:56:20.483 tidb 127.0.0.1:4001 INFO [session.go:3884] ["CRUCIAL OPERATION"] ...
//!   ```
//!
//! The body after the caller is written the unified way and is read by the unified parser.
//! The instance goes into [`super::Record::origin`], so that a cluster's export read as one file
//! still gives one timeline lane per instance.

use smallvec::SmallVec;

use super::{unified, Format, Level, Origin, Record, Text};
use crate::model::Timestamp;
use crate::record::time::{parse_export, parse_legacy, EXPORT_LEN, LEGACY_LEN};

/// The validated header: time, level, instance and caller as ranges of the line, and where the
/// body starts (just after the caller's `]`).
struct Header {
    ts: Timestamp,
    level: Level,
    instance: std::ops::Range<usize>,
    source: std::ops::Range<usize>,
    body: usize,
}

/// `Component` (letters) then a blank: `TiDB `, `tidb `. Returns the index after the blank.
fn component(line: &[u8], i: usize) -> Option<usize> {
    let n = line
        .get(i..)?
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    (n > 0 && line.get(i + n) == Some(&b' ')).then_some(i + n + 1)
}

/// `[file.go:123]` at `i`: returns the caller's range and the index after its `]`.
fn caller_at(line: &[u8], i: usize) -> Option<(std::ops::Range<usize>, usize)> {
    let rest = line.get(i..)?.strip_prefix(b"[")?;
    let (after, src) = unified::caller(rest).ok()?;
    let start = i + 1;
    let end = start + src.len();
    (after.first() == Some(&b']')).then_some((start..end, end + 1))
}

/// An instance token: no blanks and no brackets, ending where `stop` is.
fn instance_until(line: &[u8], i: usize, stop: u8) -> Option<usize> {
    let n = line
        .get(i..)?
        .iter()
        .take_while(|&&b| b != stop && !b.is_ascii_whitespace() && b != b'[' && b != b']')
        .count();
    (n > 0 && line.get(i + n) == Some(&stop)).then_some(i + n)
}

fn platform_header(line: &[u8]) -> Option<Header> {
    if !line.first()?.is_ascii_digit() {
        return None;
    }
    let ts = parse_export(line)?;
    let comp_end = component(line, EXPORT_LEN)?;
    let inst_end = instance_until(line, comp_end, b'[')?;
    let (source, body) = caller_at(line, inst_end)?;
    Some(Header {
        ts,
        level: Level::Info,
        instance: comp_end..inst_end,
        source,
        body,
    })
}

fn query_tool_header(line: &[u8]) -> Option<Header> {
    if !line.first()?.is_ascii_digit() || line.get(LEGACY_LEN) != Some(&b' ') {
        return None;
    }
    let ts = parse_legacy(line)?;
    let comp_end = component(line, LEGACY_LEN + 1)?;
    let inst_end = instance_until(line, comp_end, b' ')?;
    let lv = inst_end + 1;
    let lv_end = lv
        + line
            .get(lv..)?
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
    let level = Level::parse_bytes(&line[lv..lv_end])?;
    if line.get(lv_end) != Some(&b' ') {
        return None;
    }
    let (source, body) = caller_at(line, lv_end + 1)?;
    Some(Header {
        ts,
        level,
        instance: comp_end..inst_end,
        source,
        body,
    })
}

/// True when `line` starts a log platform export record.
pub(crate) fn is_platform(line: &[u8]) -> bool {
    platform_header(line).is_some()
}

/// True when `line` starts a log-query tool record.
pub(crate) fn is_query_tool(line: &[u8]) -> bool {
    query_tool_header(line).is_some()
}

fn build(line: &str, h: Header, format: Format) -> Record<'_> {
    let mut rec = Record {
        ts: h.ts,
        level: h.level,
        logger: None,
        source: &line[h.source],
        message: Text::Raw(""),
        fields: SmallVec::new(),
        format,
        origin: Some(Origin::Instance(&line[h.instance])),
    };
    unified::body(line, h.body, &mut rec);
    rec
}

/// Parses a log platform export line (no level: read as INFO).
pub fn parse_platform(line: &str) -> Option<Record<'_>> {
    let h = platform_header(line.as_bytes())?;
    Some(build(line, h, Format::Export))
}

/// Parses a log-query tool line.
pub fn parse_query_tool(line: &str) -> Option<Record<'_>> {
    let h = query_tool_header(line.as_bytes())?;
    Some(build(line, h, Format::QueryTool))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rfc3339;

    #[test]
    fn platform_export_line() {
        let l = r#"2024-11-26 14:55:27 (UTC+08:00)TiDB 172.16.6.95:4604[job_worker.go:784] ["run DDL job"] [category=ddl] [jobID=5512] [conn=3] [job="ID:5512, Type:add index, State:queueing"]"#;
        let r = parse_platform(l).unwrap();
        assert_eq!(rfc3339(&r.ts), "2024-11-26T14:55:27.000+08:00");
        assert_eq!((r.level, r.source), (Level::Info, "job_worker.go:784"));
        assert_eq!(r.origin, Some(Origin::Instance("172.16.6.95:4604")));
        assert!(r.message.is("run DDL job"));
        assert!(r.field("jobID").unwrap().is("5512"));
        assert!(r.field("job").unwrap().get().starts_with("ID:5512"));
        // A DNS name with a port (#44974).
        let l = "2023-06-28 10:01:02 (UTC+08:00)TiDB upstream-tidb-1.upstream-tidb-peer.ns.svc:4000[local.go:1218] [\"import\"]";
        let r = parse_platform(l).unwrap();
        assert_eq!(
            r.origin,
            Some(Origin::Instance(
                "upstream-tidb-1.upstream-tidb-peer.ns.svc:4000"
            ))
        );
        assert!(parse_platform("2024-11-26 14:55:27 (UTC+08:00)TiDB [a.go:1] [m]").is_none());
        assert!(parse_platform("2024-11-26 14:55:27 (UTC+08:00)TiDB h:1 [a.go:1] [m]").is_none());
        assert!(parse_platform("2024-11-26 14:55:27 | [2024/11/26 06:55:27.000 +00:00]").is_none());
    }

    #[test]
    fn query_tool_line() {
        let l = r#"2024/01/05 00:56:20.483 tidb 127.0.0.1:4001 INFO [session.go:3884] ["CRUCIAL OPERATION"] [conn=2] [schemaVersion=52] [cur_db=test] [sql="alter table t add index idx(a)"] [user=root@%]"#;
        let r = parse_query_tool(l).unwrap();
        assert_eq!(rfc3339(&r.ts), "2024-01-05T00:56:20.483+00:00");
        assert_eq!((r.level, r.source), (Level::Info, "session.go:3884"));
        assert_eq!(r.origin, Some(Origin::Instance("127.0.0.1:4001")));
        assert!(r.message.is("CRUCIAL OPERATION"));
        assert!(r.field("sql").unwrap().is("alter table t add index idx(a)"));
        // A legacy TiDB line is not this shape.
        assert!(parse_query_tool("2018/01/24 07:00:41.857 domain.go:596: [error] x").is_none());
        assert!(
            parse_query_tool("2024/01/05 00:56:20.483 tidb 127.0.0.1:4001 LOUD [a.go:1] [m]")
                .is_none()
        );
    }
}
