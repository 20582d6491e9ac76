//! Log timestamps.
//!
//! TiDB writes `2024/01/13 19:21:09.480 +08:00`; times keep the offset the log was written with
//! so that reports show the operator's local time, while ordering compares instants.

/// A point in time with the offset the log line was written in.
pub type Timestamp = chrono::DateTime<chrono::FixedOffset>;

/// Parses the TiDB/PD/TiKV unified header time `yyyy/MM/dd HH:mm:ss.SSS ±hh:mm`.
///
/// Hand-written for speed (it runs once per record line). Returns `None` for anything else,
/// including impossible dates.
pub fn parse_unified(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 30 {
        return None;
    }
    let d = |i: usize| -> Option<u32> {
        let c = b[i];
        c.is_ascii_digit().then(|| u32::from(c - b'0'))
    };
    let n2 = |i: usize| -> Option<u32> { Some(d(i)? * 10 + d(i + 1)?) };
    if b[4] != b'/' || b[7] != b'/' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if b[19] != b'.' || b[23] != b' ' || b[27] != b':' {
        return None;
    }
    let year = (n2(0)? * 100 + n2(2)?) as i32;
    let (mon, day, hh, mm, ss) = (n2(5)?, n2(8)?, n2(11)?, n2(14)?, n2(17)?);
    let ms = d(20)? * 100 + d(21)? * 10 + d(22)?;
    let sign = match b[24] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let off = sign * (n2(25)? as i32 * 3600 + n2(28)? as i32 * 60);
    let offset = chrono::FixedOffset::east_opt(off)?;
    let date = chrono::NaiveDate::from_ymd_opt(year, mon, day)?;
    let time = chrono::NaiveTime::from_hms_milli_opt(hh, mm, ss, ms)?;
    date.and_time(time).and_local_timezone(offset).single()
}

/// RFC 3339 with milliseconds and the log's own offset, as used in every report.
pub fn rfc3339(ts: &Timestamp) -> String {
    ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
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
    }

    #[test]
    fn rejects_impossible_dates_and_junk() {
        assert!(parse_unified("2024/02/30 19:21:11.461 +08:00").is_none());
        assert!(parse_unified("2024/01/13 25:21:11.461 +08:00").is_none());
        assert!(parse_unified("2024-01-13 19:21:11.461 +08:00").is_none());
        assert!(parse_unified("").is_none());
    }
}
