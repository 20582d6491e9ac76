//! The time forms `--since` and `--until` accept, as people type them after other log tools.
//!
//! An offset makes an instant; without one, a time or a date is the logs' wall clock, read in
//! each log's own offset (see [`crate::model::window`]); a duration is counted back from the
//! logs' end (`-1h` and `1h` are the same: both look back). A bare date means the whole day:
//! its first instant for `--since`, its last for `--until`, so `--since 2024-01-13 --until
//! 2024-01-13` is that day.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::model::Bound;

/// What an error shows, so nobody has to guess the syntax.
pub const FORMS: &str = "accepted forms: an instant 2024-01-13T19:00:00+08:00 (RFC 3339) or \
     '2024/01/13 19:00:00.000 +08:00' (TiDB's header); a time without offset \
     '2024-01-13 19:00[:00[.000]]' or 2024-01-13T19:00:00 (in the logs' own offset); a date \
     2024-01-13 (the whole day); a duration before the logs' end: -1h, 30m, 1h30m, 90s, 2d";

/// `--since`: a bare date is the day's first instant.
pub fn parse_since(s: &str) -> Result<Bound, String> {
    parse(s, false)
}

/// `--until`: a bare date is the day's last instant.
pub fn parse_until(s: &str) -> Result<Bound, String> {
    parse(s, true)
}

fn parse(s: &str, end_of_day: bool) -> Result<Bound, String> {
    let t = s.trim();
    if let Ok(ts) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(Bound::At(ts));
    }
    if let Some(ts) = crate::record::time::parse_unified(t).filter(|_| t.len() == 30) {
        return Ok(Bound::At(ts));
    }
    if let Some(w) = wall(t) {
        return Ok(Bound::Wall(w));
    }
    if let Some(d) = date(t) {
        let w = if end_of_day {
            d.succ_opt()
                .and_then(|n| n.and_hms_opt(0, 0, 0))
                .map(|n| n - Duration::nanoseconds(1))
        } else {
            d.and_hms_opt(0, 0, 0)
        };
        return w
            .map(Bound::Wall)
            .ok_or_else(|| format!("{s:?} is past the last date this tool can handle"));
    }
    if let Some(d) = duration(t) {
        return Ok(Bound::BeforeEnd(d));
    }
    Err(format!("not a time: {s:?}; {FORMS}"))
}

/// A date and time without an offset, in the layouts people copy from logs and reports.
fn wall(s: &str) -> Option<NaiveDateTime> {
    const LAYOUTS: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M",
    ];
    LAYOUTS
        .iter()
        .find_map(|l| NaiveDateTime::parse_from_str(s, l).ok())
}

fn date(s: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%Y/%m/%d"]
        .iter()
        .find_map(|l| NaiveDate::parse_from_str(s, l).ok())
}

/// `-1h`, `30m`, `1h30m`, `90s`, `2d`: one or more number-unit pairs, an optional leading `-`.
fn duration(s: &str) -> Option<Duration> {
    let body = s.strip_prefix('-').unwrap_or(s);
    if body.is_empty() {
        return None;
    }
    let mut total = Duration::zero();
    let mut rest = body;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: i64 = rest[..digits].parse().ok()?;
        let unit = rest[digits..].chars().next()?;
        let secs = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        total = total.checked_add(&Duration::try_seconds(n.checked_mul(secs)?)?)?;
        rest = &rest[digits + unit.len_utf8()..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wall_of(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn every_documented_form() {
        let at = chrono::DateTime::parse_from_rfc3339("2024-01-13T19:00:00+08:00").unwrap();
        assert_eq!(parse_since("2024-01-13T19:00:00+08:00"), Ok(Bound::At(at)));
        assert_eq!(
            parse_since("2024/01/13 19:00:00.000 +08:00"),
            Ok(Bound::At(at))
        );
        for s in [
            "2024-01-13 19:00",
            "2024-01-13 19:00:00",
            "2024-01-13T19:00:00",
            "2024-01-13 19:00:00.000",
            "2024/01/13 19:00:00.000",
        ] {
            assert_eq!(
                parse_since(s),
                Ok(Bound::Wall(wall_of("2024-01-13 19:00:00"))),
                "{s}"
            );
        }
        assert_eq!(
            parse_since("2024-01-13"),
            Ok(Bound::Wall(wall_of("2024-01-13 00:00:00")))
        );
        assert_eq!(
            parse_until("2024-01-13"),
            Ok(Bound::Wall(wall_of("2024-01-13 23:59:59.999999999")))
        );
        assert_eq!(parse_since("-1h"), Ok(Bound::BeforeEnd(Duration::hours(1))));
        assert_eq!(
            parse_since("30m"),
            Ok(Bound::BeforeEnd(Duration::minutes(30)))
        );
        assert_eq!(
            parse_since("1h30m"),
            Ok(Bound::BeforeEnd(Duration::minutes(90)))
        );
        assert_eq!(parse_since("2d"), Ok(Bound::BeforeEnd(Duration::days(2))));
    }

    #[test]
    fn errors_list_the_forms() {
        for bad in [
            "yesterday",
            "",
            "-",
            "1x",
            "h",
            "2024-13-01",
            "99999999999999999999d",
        ] {
            let e = parse_since(bad).unwrap_err();
            assert!(
                e.contains("accepted forms") && e.contains("-1h"),
                "{bad}: {e}"
            );
        }
    }
}
