//! The time layouts of log headers.
//!
//! TiDB writes `2024/01/13 19:21:09.480 +08:00`; times keep the offset the log was written with
//! so that reports show the operator's local time, while ordering compares instants.

pub use crate::model::time::{rfc3339, Timestamp};

/// Length of the unified header time `yyyy/MM/dd HH:mm:ss.SSS ±hh:mm`.
pub const UNIFIED_LEN: usize = 30;

/// Length of the zone-less legacy time `yyyy/MM/dd HH:mm:ss.SSS`.
pub const LEGACY_LEN: usize = 23;

/// Length of a time without milliseconds, `yyyy/MM/dd HH:mm:ss` (TiDB 1.0's ngaut/log, Go's
/// standard `log`).
pub const SECOND_LEN: usize = 19;

/// Length of the log-platform export time `yyyy-MM-dd HH:mm:ss (UTC±hh:mm)`.
pub const EXPORT_LEN: usize = 31;

/// Parses the TiDB/PD/TiKV unified header time `yyyy/MM/dd HH:mm:ss.SSS ±hh:mm`.
///
/// Hand-written for speed (it runs once per record line). Reads the first 30 bytes of `s` (so a
/// caller may pass a longer slice) and returns `None` for anything else, including impossible
/// dates.
pub fn parse_unified(s: &str) -> Option<Timestamp> {
    parse_unified_bytes(s.as_bytes())
}

/// [`parse_unified`] on bytes, so that the record-start check can run on lines that are not
/// valid UTF-8 (the header is ASCII even when a value is not).
pub fn parse_unified_bytes(b: &[u8]) -> Option<Timestamp> {
    let ms = millis(b)?;
    let t = second(b)?;
    // The second has no fraction and a zone is whole minutes, so the milliseconds are the UTC
    // time's fraction: set it, rather than add a duration (which re-checks the calendar and
    // was half the cost of reading a fault-signal line's time).
    let utc = chrono::Timelike::with_nanosecond(&t.naive_utc(), ms * 1_000_000)?;
    Some(chrono::DateTime::from_naive_utc_and_offset(
        utc,
        *t.offset(),
    ))
}

/// True when [`parse_unified_bytes`] would give a time: the record-start check, which needs
/// to know that the time is valid but not what it is (adding the milliseconds to a date was a
/// tenth of that check).
pub fn is_unified_bytes(b: &[u8]) -> bool {
    millis(b).is_some() && second(b).is_some()
}

/// The milliseconds of a unified header time, with the length and the `.` before them checked.
fn millis(b: &[u8]) -> Option<u32> {
    if b.len() < UNIFIED_LEN || b[19] != b'.' {
        return None;
    }
    Some(
        n2(b, 20)? * 10 + {
            let c = b[22];
            c.is_ascii_digit().then(|| u32::from(c - b'0'))?
        },
    )
}

/// The whole second of a unified header time (the milliseconds are checked by the caller).
fn second(b: &[u8]) -> Option<Timestamp> {
    // Busy logs write thousands of lines per second, all with the same text up to the
    // milliseconds: remember the last second parsed (and its zone) per thread, and only add
    // the milliseconds. This runs on every line (the record-start check), and the full
    // calendar validation was ~10% of a scan.
    let b: &[u8; UNIFIED_LEN] = b.get(..UNIFIED_LEN)?.try_into().ok()?;
    let key = SecondKey::of(b);
    thread_local! {
        static LAST_SECOND: std::cell::Cell<(SecondKey, Option<Timestamp>)> =
            const { std::cell::Cell::new((SecondKey([0; 4]), None)) };
    }
    LAST_SECOND.with(|last| {
        let (k, t) = last.get();
        if t.is_some() && k == key {
            return t;
        }
        let t = parse_second(b);
        if t.is_some() {
            last.set((key, t));
        }
        t
    })
}

/// A unified time's text without its milliseconds (bytes 0..20 and 23..30) as words loaded
/// straight from the line, the milliseconds masked out. Copying the bytes into an array first
/// stalled every line on store forwarding: `second` was a tenth of a scan (perf).
#[derive(Clone, Copy)]
struct SecondKey([u64; 4]);

impl PartialEq for SecondKey {
    /// Word by word in registers: the derived (array) comparison spilled the key to the stack
    /// as 8-byte stores and read it back as 16-byte loads, the same stall again.
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0, other.0);
        ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0
    }
}

impl SecondKey {
    fn of(b: &[u8; UNIFIED_LEN]) -> Self {
        let word = |at| super::swar::word(b, at);
        // Little-endian: the low 4 bytes of the word at 16 are bytes 16..20 (`ss.` and the
        // `.`); the word at 22 without its low byte is bytes 23..30 (the zone).
        SecondKey([word(0), word(8), word(16) & 0xffff_ffff, word(22) & !0xff])
    }
}

/// The zone of a unified header time (`±hh:mm` at bytes 24..30), read without the rest.
pub fn unified_offset(b: &[u8]) -> Option<chrono::FixedOffset> {
    if b.len() < UNIFIED_LEN || b[23] != b' ' || b[27] != b':' {
        return None;
    }
    let sign = match b[24] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    chrono::FixedOffset::east_opt(sign * (n2(b, 25)? as i32 * 3600 + n2(b, 28)? as i32 * 60))
}

/// A zone-less time (read as UTC by [`parse_legacy`]) read again as a wall-clock time in
/// `zone`.
pub fn in_zone(ts: Timestamp, zone: chrono::FixedOffset) -> Timestamp {
    ts.naive_utc()
        .and_local_timezone(zone)
        .single()
        .unwrap_or(ts)
}

/// The unified header time without its milliseconds (they are checked by the caller).
fn parse_second(b: &[u8]) -> Option<Timestamp> {
    if b[23] != b' ' || b[27] != b':' {
        return None;
    }
    let sign = match b[24] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let off = sign * (n2(b, 25)? as i32 * 3600 + n2(b, 28)? as i32 * 60);
    let offset = chrono::FixedOffset::east_opt(off)?;
    let mut whole = [0u8; UNIFIED_LEN];
    whole.copy_from_slice(&b[..UNIFIED_LEN]);
    whole[20..23].copy_from_slice(b"000");
    date_time(&whole)?.and_local_timezone(offset).single()
}

/// Parses the zone-less time of the pre-2019 text form, `yyyy/MM/dd HH:mm:ss.SSS`.
///
/// Those logs carry no offset; they are read as UTC (`+00:00`) because nothing better is
/// known, and every [`crate::record::Record`] must still have a valid time. Reads the first 23
/// bytes.
pub fn parse_legacy(b: &[u8]) -> Option<Timestamp> {
    if b.len() < LEGACY_LEN {
        return None;
    }
    let utc = chrono::FixedOffset::east_opt(0)?;
    date_time(b)?.and_local_timezone(utc).single()
}

/// Parses the zone-less time of TiDB 1.0 logs and Go's standard `log`, `yyyy/MM/dd HH:mm:ss`
/// (no milliseconds), as UTC like [`parse_legacy`]. Reads the first 19 bytes; a `.` right after
/// them (a time with milliseconds) is refused, so that the two layouts never overlap.
pub fn parse_legacy_second(b: &[u8]) -> Option<Timestamp> {
    if b.len() < SECOND_LEN || b.get(SECOND_LEN) == Some(&b'.') {
        return None;
    }
    let utc = chrono::FixedOffset::east_opt(0)?;
    calendar(b, b'/', false)?.and_local_timezone(utc).single()
}

/// Parses the time of a log platform's export, `yyyy-MM-dd HH:mm:ss (UTC±hh:mm)`: second
/// precision, the zone in words after it. Reads the first 31 bytes.
pub fn parse_export(b: &[u8]) -> Option<Timestamp> {
    let zone = b.get(SECOND_LEN..EXPORT_LEN)?;
    if &zone[..5] != b" (UTC" || zone[8] != b':' || zone[11] != b')' {
        return None;
    }
    let sign = match zone[5] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let off = sign * (n2(zone, 6)? as i32 * 3600 + n2(zone, 9)? as i32 * 60);
    let offset = chrono::FixedOffset::east_opt(off)?;
    calendar(b, b'-', false)?
        .and_local_timezone(offset)
        .single()
}

/// Parses a time in a JSON-format line: the unified layout, or RFC 3339 as a fallback (some
/// collectors rewrite the `time` key).
pub fn parse_json_time(s: &str) -> Option<Timestamp> {
    if s.len() == UNIFIED_LEN {
        if let Some(t) = parse_unified(s) {
            return Some(t);
        }
    }
    chrono::DateTime::parse_from_rfc3339(s).ok()
}

/// Two ASCII digits at `i` as a number.
fn n2(b: &[u8], i: usize) -> Option<u32> {
    let (h, l) = (b[i], b[i + 1]);
    (h.is_ascii_digit() && l.is_ascii_digit())
        .then(|| u32::from(h - b'0') * 10 + u32::from(l - b'0'))
}

/// The `yyyy/MM/dd HH:mm:ss.SSS` prefix shared by the unified and legacy layouts.
/// The caller guarantees `b.len() >= 23`.
fn date_time(b: &[u8]) -> Option<chrono::NaiveDateTime> {
    calendar(b, b'/', true)
}

/// `yyyy<sep>MM<sep>dd HH:mm:ss`, then `.SSS` when `ms`. The caller guarantees the length
/// (19 bytes, 23 with `ms`).
fn calendar(b: &[u8], sep: u8, ms: bool) -> Option<chrono::NaiveDateTime> {
    if b[4] != sep || b[7] != sep || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if ms && b[19] != b'.' {
        return None;
    }
    let year = (n2(b, 0)? * 100 + n2(b, 2)?) as i32;
    let (mon, day, hh, mm, ss) = (n2(b, 5)?, n2(b, 8)?, n2(b, 11)?, n2(b, 14)?, n2(b, 17)?);
    let ms = if ms {
        n2(b, 20)? * 10 + {
            let c = b[22];
            c.is_ascii_digit().then(|| u32::from(c - b'0'))?
        }
    } else {
        0
    };
    let date = chrono::NaiveDate::from_ymd_opt(year, mon, day)?;
    // `from_hms_milli_opt` would read a leap second into ms >= 1000; we never pass one.
    let time = chrono::NaiveTime::from_hms_milli_opt(hh, mm, ss, ms)?;
    Some(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tidb_header_time_with_offset() {
        let t = parse_unified("2024/01/13 19:21:11.461 +08:00").unwrap();
        assert_eq!(rfc3339(&t), "2024-01-13T19:21:11.461+08:00");
        let t = parse_unified("2024/11/26 01:52:48.312 -05:00").unwrap();
        assert_eq!(rfc3339(&t), "2024-11-26T01:52:48.312-05:00");
        let t = parse_unified("2021/08/29 20:12:05.404 +05:30").unwrap();
        assert_eq!(rfc3339(&t), "2021-08-29T20:12:05.404+05:30");
        // The milliseconds are set on the UTC time: the last ones of a day, in any zone.
        let t = parse_unified("2024/12/31 23:59:59.999 -09:30").unwrap();
        assert_eq!(rfc3339(&t), "2024-12-31T23:59:59.999-09:30");
        assert_eq!(t.timestamp_subsec_millis(), 999);
    }

    /// The per-second cache must not change any answer: same second with other milliseconds,
    /// other zones, and an invalid line after a valid one.
    #[test]
    fn cached_seconds_give_the_same_times() {
        let a = parse_unified("2024/01/13 19:21:11.461 +08:00").unwrap();
        let b = parse_unified("2024/01/13 19:21:11.999 +08:00").unwrap();
        let c = parse_unified("2024/01/13 19:21:11.000 +08:01").unwrap();
        assert_eq!(rfc3339(&a), "2024-01-13T19:21:11.461+08:00");
        assert_eq!(rfc3339(&b), "2024-01-13T19:21:11.999+08:00");
        assert_eq!(rfc3339(&c), "2024-01-13T19:21:11.000+08:01");
        assert!(parse_unified("2024/01/13 19:21:11.4x1 +08:00").is_none());
        assert!(parse_unified("2024/01/13 19:21:11.461 +08:0x").is_none());
        assert!(parse_unified("2024/01/13 19:21:11.461 +08:00").is_some());
    }

    #[test]
    fn rejects_impossible_dates_and_junk() {
        assert!(parse_unified("2024/02/30 19:21:11.461 +08:00").is_none());
        assert!(parse_unified("2024/01/13 25:21:11.461 +08:00").is_none());
        assert!(parse_unified("2024-01-13 19:21:11.461 +08:00").is_none());
        assert!(parse_unified("2024/01/13 19:21:11.461 08:00").is_none());
        assert!(parse_unified("2024/01/13 19:21:11.4x1 +08:00").is_none());
        assert!(parse_unified("2024/01/13 19:21:11.461 +99:00").is_none());
        assert!(parse_unified("").is_none());
    }

    #[test]
    fn legacy_time_is_read_as_utc() {
        let t = parse_legacy(b"2018/01/24 07:00:41.857 domain.go:596:").unwrap();
        assert_eq!(rfc3339(&t), "2018-01-24T07:00:41.857+00:00");
        assert!(parse_legacy(b"2018/01/24 07:00:41").is_none());
        assert!(parse_legacy(b"2025/12/23 06:09:15 background error").is_none());
    }

    #[test]
    fn second_precision_and_export_times() {
        // TiDB 1.0 (ngaut/log) and Go's std log: no milliseconds, no zone.
        let t = parse_legacy_second(b"2017/08/03 23:37:35 owner_manager.go:176:").unwrap();
        assert_eq!(rfc3339(&t), "2017-08-03T23:37:35.000+00:00");
        assert!(parse_legacy_second(b"2018/01/24 07:00:41.857 domain.go:596:").is_none());
        assert!(parse_legacy_second(b"2017/08/03 23:37").is_none());
        assert!(parse_legacy_second(b"2017-08-03 23:37:35 x").is_none());
        // The log platform's export names the zone after the time.
        let t = parse_export(b"2024-11-26 14:55:27 (UTC+08:00)TiDB 172.16.6.95:4604[").unwrap();
        assert_eq!(rfc3339(&t), "2024-11-26T14:55:27.000+08:00");
        let t = parse_export(b"2024-11-26 01:55:27 (UTC-05:00)TiKV").unwrap();
        assert_eq!(rfc3339(&t), "2024-11-26T01:55:27.000-05:00");
        assert!(parse_export(b"2024-11-26 14:55:27 (GMT+08:00)").is_none());
        assert!(parse_export(b"2024/11/26 14:55:27 (UTC+08:00)").is_none());
        assert!(parse_export(b"2024-11-26 14:55:27").is_none());
    }

    #[test]
    fn json_time_accepts_unified_and_rfc3339() {
        let t = parse_json_time("2023/07/18 09:33:51.968 +00:00").unwrap();
        assert_eq!(rfc3339(&t), "2023-07-18T09:33:51.968+00:00");
        let t = parse_json_time("2023-07-18T09:33:51.968+08:00").unwrap();
        assert_eq!(rfc3339(&t), "2023-07-18T09:33:51.968+08:00");
        assert!(parse_json_time("yesterday").is_none());
    }
}
