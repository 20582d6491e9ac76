//! `--since` / `--until`: a time window as the user wrote it, before the logs say what it means.
//!
//! Log tools let people write times the way they think about an incident: an exact instant, a
//! wall-clock time or a date as the logs print it (no offset), or "the last hour" of the logs.
//! Two of those forms cannot be turned into an instant from the command line alone:
//!
//! * a wall-clock time or date needs the logs' offset. It is read in the offset of each file's
//!   own records (the first timestamped line the window sees in that file), so `19:00` means
//!   19:00 as that log prints it. That is known after one line, so the filter stays streaming;
//! * a relative time (`-1h`, `30m`) counts back from the logs' end: the latest record time of
//!   every file read. That end is known only once everything has been read, so the analysis
//!   holds the lines it cannot decide yet and decides them at the end (see `analyze`); the
//!   command line never reads an input twice.

use chrono::{Duration, FixedOffset, NaiveDateTime};

use super::Timestamp;

/// One end of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// An instant (RFC 3339, or TiDB's header time with its offset).
    At(Timestamp),
    /// A wall-clock time without an offset: read in each log's own offset.
    Wall(NaiveDateTime),
    /// This long before the logs' end (the latest record time read).
    BeforeEnd(Duration),
}

impl Bound {
    /// The instant this bound means for a log written in `offset`, whose inputs end at `end`.
    /// `None` for a relative bound while the end is not known.
    pub fn resolve(&self, offset: FixedOffset, end: Option<Timestamp>) -> Option<Timestamp> {
        match *self {
            Bound::At(t) => Some(t),
            Bound::Wall(w) => w.and_local_timezone(offset).single(),
            Bound::BeforeEnd(d) => end.map(|e| e - d),
        }
    }

    /// True for a bound that only the end of the logs can resolve.
    pub fn is_relative(&self) -> bool {
        matches!(self, Bound::BeforeEnd(_))
    }
}

/// `--since` and `--until` together. Both are inclusive ("at or after", "at or before").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<Bound>,
    pub until: Option<Bound>,
}

impl Window {
    /// No bound at all: every line is inside.
    pub fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// True when some bound counts back from the logs' end.
    pub fn is_relative(&self) -> bool {
        self.since.is_some_and(|b| b.is_relative()) || self.until.is_some_and(|b| b.is_relative())
    }

    /// `(since, until)` as instants for a log in `offset` whose inputs end at `end`.
    pub fn resolve(
        &self,
        offset: FixedOffset,
        end: Option<Timestamp>,
    ) -> (Option<Timestamp>, Option<Timestamp>) {
        (
            self.since.and_then(|b| b.resolve(offset, end)),
            self.until.and_then(|b| b.resolve(offset, end)),
        )
    }

    /// Whether `since` comes after `until` whatever the logs hold: both bounds of the same
    /// form and in the wrong order. Mixed forms (an instant and a relative time) can only be
    /// compared once the logs are read; an empty window is then caught as one holding no line.
    pub fn reversed(&self) -> bool {
        match (self.since, self.until) {
            (Some(Bound::At(s)), Some(Bound::At(u))) => s > u,
            (Some(Bound::Wall(s)), Some(Bound::Wall(u))) => s > u,
            (Some(Bound::BeforeEnd(s)), Some(Bound::BeforeEnd(u))) => s < u,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn wall_times_take_the_logs_offset_and_relative_times_the_end() {
        let w = Window {
            since: Some(Bound::Wall(
                chrono::NaiveDate::from_ymd_opt(2024, 1, 13)
                    .unwrap()
                    .and_hms_opt(19, 0, 0)
                    .unwrap(),
            )),
            until: Some(Bound::BeforeEnd(Duration::minutes(30))),
        };
        let plus8 = FixedOffset::east_opt(8 * 3600).unwrap();
        let (s, u) = w.resolve(plus8, Some(t("2024-01-13T20:00:00+08:00")));
        assert_eq!(s, Some(t("2024-01-13T19:00:00+08:00")));
        assert_eq!(u, Some(t("2024-01-13T19:30:00+08:00")));
        assert_eq!(w.resolve(plus8, None).1, None);
        assert!(w.is_relative() && !w.reversed());
    }

    #[test]
    fn reversed_only_when_the_same_form_is_out_of_order() {
        let rel = |m| Some(Bound::BeforeEnd(Duration::minutes(m)));
        assert!(Window {
            since: rel(30),
            until: rel(60)
        }
        .reversed());
        assert!(!Window {
            since: rel(60),
            until: rel(30)
        }
        .reversed());
        let at = |s| Some(Bound::At(t(s)));
        assert!(Window {
            since: at("2024-01-13T20:00:00+08:00"),
            until: at("2024-01-13T19:00:00+08:00")
        }
        .reversed());
        // 19:00 at +08:00 is 11:00 UTC: not after 12:00 UTC.
        assert!(!Window {
            since: at("2024-01-13T19:00:00+08:00"),
            until: at("2024-01-13T12:00:00+00:00")
        }
        .reversed());
    }
}
