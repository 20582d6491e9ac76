//! Fault windows: when was the cluster around a DDL job in trouble, and where.
//!
//! A DDL job that rolled back on a *transient* error is only half explained by its own log
//! lines; the other half is the fault itself — a TiKV store unreachable, PD slow, a TiDB
//! restart — which shows up as bursts of other lines, in the same TiDB log and in TiKV/PD logs.
//!
//! How windows are built:
//!
//! 1. The scanner matches every record line that is not a DDL vocabulary event against the
//!    confirmed literals of [`SIGNALS`] and hands hits to a per-file [`FaultCounter`]:
//!    counts per [`BUCKET_SECS`]-second bucket per kind (plus the first few lines of each kind as
//!    evidence), so memory grows with the time span, not with the number of lines, and is capped
//!    at [`MAX_BUCKETS`].
//! 2. Counters merge per instance (files scanned in parallel; any order gives the same result).
//! 3. Per instance, non-empty buckets become windows; two are merged when the gap between the
//!    last signal of one and the first of the next is at most [`MERGE_GAP_SECS`]. 30 s is three
//!    empty buckets: client-go backs off for up to 20–40 s between attempts during one fault, so
//!    a smaller gap would cut one fault into pieces, while a larger one would glue separate
//!    faults (a partition, then minutes later a restart) together.
//! 4. Cluster windows are the instance windows merged across instances with the same gap.
//!
//! A window's start and end are the times of its first and last signal line, not bucket edges.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::event::Evidence;
use crate::model::Timestamp;
pub use crate::model::{FaultContext, WindowRef};

pub use crate::event::signal::{Signal, SignalMatcher, SIGNALS};
pub use crate::model::FaultKind;

/// Width of a counting bucket.
pub const BUCKET_SECS: i64 = 10;
/// Largest quiet gap inside one window (see the module docs for why 30 s).
pub const MERGE_GAP_SECS: i64 = 30;
/// Buckets kept per instance; later ones are dropped and counted (about 11 days at one bucket
/// per 10 s for every kind at once: far beyond any bundle).
pub const MAX_BUCKETS: usize = 100_000;
/// Evidence lines kept per kind per instance (the earliest).
pub const SAMPLES_PER_KIND: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Bucket {
    count: u64,
    first: Timestamp,
    last: Timestamp,
}

impl Bucket {
    fn absorb(&mut self, o: &Bucket) {
        self.count += o.count;
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
    }
}

/// How many [`FaultKind`]s there are (the hot-bucket arrays are indexed by kind).
const KINDS: usize = FaultKind::ALL.len();

/// Signal counts of one file or one instance, bucketed by time.
#[derive(Debug, Clone, Default)]
pub struct FaultCounter {
    buckets: BTreeMap<(i64, FaultKind), Bucket>,
    /// Per kind, the hits of its latest bucket not yet added to `buckets` (whose entry for it
    /// exists): a log's signal lines come in time order, so nearly every hit lands in the
    /// bucket of the one before it of its kind, and counting it costs no map lookup (the
    /// lookups were a tenth of a chaos log's scan). Readers fold these in ([`Self::each`]).
    hot: [Option<(i64, Bucket)>; KINDS],
    samples: BTreeMap<FaultKind, Vec<Evidence>>,
    /// Per kind, the time of its last sample once it has [`SAMPLES_PER_KIND`]: a later hit is
    /// not kept, and is told so without a map lookup.
    sampled_until: [Option<Option<Timestamp>>; KINDS],
    /// Hits not counted because [`MAX_BUCKETS`] was reached.
    pub dropped: u64,
}

impl PartialEq for FaultCounter {
    fn eq(&self, o: &Self) -> bool {
        self.dropped == o.dropped && self.samples == o.samples && self.each().eq(o.each())
    }
}

impl FaultCounter {
    /// Counts one signal line. `evidence` is called only when the line is kept as a sample, so
    /// the common case (a counted line) allocates nothing.
    pub fn add(&mut self, kind: FaultKind, ts: Timestamp, evidence: impl FnOnce() -> Evidence) {
        let k = kind as usize;
        let bucket = ts.timestamp().div_euclid(BUCKET_SECS);
        let hit = Bucket {
            count: 1,
            first: ts,
            last: ts,
        };
        match &mut self.hot[k] {
            Some((b, hot)) if *b == bucket => hot.absorb(&hit),
            _ => {
                self.cool(k);
                let key = (bucket, kind);
                let full = self.buckets.len() >= MAX_BUCKETS;
                match self.buckets.get_mut(&key) {
                    Some(b) => b.absorb(&hit),
                    None if full => {
                        self.dropped += 1;
                        return;
                    }
                    None => {
                        self.buckets.insert(key, hit);
                    }
                }
                // Later hits of this bucket are counted in `hot` until the kind moves on.
                self.hot[k] = Some((
                    bucket,
                    Bucket {
                        count: 0,
                        first: ts,
                        last: ts,
                    },
                ));
            }
        }
        if self.sampled_until[k].is_some_and(|until| until <= Some(ts)) {
            return;
        }
        let s = self.samples.entry(kind).or_default();
        if s.len() < SAMPLES_PER_KIND || s.last().is_some_and(|l| l.ts > Some(ts)) {
            push_sample(s, evidence());
            self.sampled(kind);
        }
    }

    /// Adds kind `k`'s hot hits to its bucket in the map.
    fn cool(&mut self, k: usize) {
        if let Some((bucket, hot)) = self.hot[k].take() {
            let kind = FaultKind::ALL[k];
            if let Some(b) = self.buckets.get_mut(&(bucket, kind)) {
                b.absorb(&hot);
            }
        }
    }

    /// Notes whether `kind` has all its samples, and until when.
    fn sampled(&mut self, kind: FaultKind) {
        let s = &self.samples[&kind];
        self.sampled_until[kind as usize] =
            (s.len() >= SAMPLES_PER_KIND).then(|| s.last().and_then(|l| l.ts));
    }

    /// The buckets in key order (time, then kind), hot hits included.
    fn each(&self) -> impl Iterator<Item = ((i64, FaultKind), Bucket)> + '_ {
        self.buckets.iter().map(|(&(bucket, kind), &b)| {
            let mut b = b;
            if let Some((hb, hot)) = &self.hot[kind as usize] {
                if *hb == bucket {
                    b.absorb(hot);
                }
            }
            ((bucket, kind), b)
        })
    }

    pub fn merge(&mut self, mut other: FaultCounter) {
        self.dropped += other.dropped;
        for k in 0..KINDS {
            other.cool(k);
        }
        for (k, b) in other.buckets {
            let full = self.buckets.len() >= MAX_BUCKETS;
            match self.buckets.get_mut(&k) {
                Some(mine) => mine.absorb(&b),
                None if full => self.dropped += b.count,
                None => {
                    self.buckets.insert(k, b);
                }
            }
        }
        for (k, evs) in other.samples {
            let s = self.samples.entry(k).or_default();
            for e in evs {
                push_sample(s, e);
            }
            self.sampled(k);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Moves the line of every sample kept by `by`: a counter filled from a segment of a file
    /// numbers lines from the segment's start, and `by` lines came before it.
    pub fn shift_lines(&mut self, by: u64) {
        for e in self.samples.values_mut().flatten() {
            e.line += by;
        }
    }

    /// Total signal lines counted.
    pub fn total(&self) -> u64 {
        self.each().map(|(_, b)| b.count).sum()
    }

    /// Signal lines per bucket start (all kinds), for density plots.
    pub fn density(&self) -> Vec<(Timestamp, u64)> {
        let mut out: BTreeMap<i64, (Timestamp, u64)> = BTreeMap::new();
        for ((b, _), v) in self.each() {
            let e = out.entry(b).or_insert((v.first, 0));
            e.0 = e.0.min(v.first);
            e.1 += v.count;
        }
        out.into_values().collect()
    }
}

/// Keeps the earliest [`SAMPLES_PER_KIND`] by (time, file, line), whatever the arrival order.
fn push_sample(s: &mut Vec<Evidence>, e: Evidence) {
    let key = |e: &Evidence| (e.ts, e.file.clone(), e.line);
    let pos = s.partition_point(|k| key(k) <= key(&e));
    if pos < SAMPLES_PER_KIND {
        s.insert(pos, e);
        s.truncate(SAMPLES_PER_KIND);
    }
}

/// Signal counters of every instance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultCounts {
    pub by_instance: BTreeMap<String, FaultCounter>,
}

impl FaultCounts {
    pub fn add_counter(&mut self, instance: &str, c: FaultCounter) {
        if c.is_empty() && c.dropped == 0 {
            return;
        }
        self.by_instance
            .entry(instance.to_string())
            .or_default()
            .merge(c);
    }

    pub fn merge(&mut self, other: FaultCounts) {
        for (i, c) in other.by_instance {
            self.add_counter(&i, c);
        }
    }
}

/// One window of trouble.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The instances whose logs show it (one for an instance window).
    pub instances: Vec<String>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub kinds: BTreeMap<FaultKind, u64>,
    /// The first lines of each kind (bounded).
    pub samples: Vec<Evidence>,
}

impl Window {
    pub fn count(&self) -> u64 {
        self.kinds.values().sum()
    }
}

/// Windows of every instance and of the cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultWindows {
    /// Per instance, ordered by instance then start.
    pub instance: Vec<Window>,
    /// Instance windows merged across instances, ordered by start.
    pub cluster: Vec<Window>,
}

fn gap_ok(end: Timestamp, next_start: Timestamp) -> bool {
    (next_start - end).num_milliseconds() <= MERGE_GAP_SECS * 1000
}

fn absorb(w: &mut Window, o: &Window) {
    w.start = w.start.min(o.start);
    w.end = w.end.max(o.end);
    for (k, n) in &o.kinds {
        *w.kinds.entry(*k).or_insert(0) += n;
    }
    for i in &o.instances {
        if !w.instances.contains(i) {
            w.instances.push(i.clone());
        }
    }
    w.instances.sort();
    for s in &o.samples {
        if w.samples.len() < 8 {
            w.samples.push(s.clone());
        }
    }
}

/// Builds the windows from the counters (see the module docs for the rules).
pub fn windows(counts: &FaultCounts) -> FaultWindows {
    let mut out = FaultWindows::default();
    for (instance, c) in &counts.by_instance {
        let mut cur: Option<Window> = None;
        let mut mine: Vec<Window> = Vec::new();
        // Buckets in time order (the key sorts by bucket index first).
        for ((_, kind), b) in c.each() {
            let piece = Window {
                instances: vec![instance.clone()],
                start: b.first,
                end: b.last,
                kinds: BTreeMap::from([(kind, b.count)]),
                samples: Vec::new(),
            };
            match &mut cur {
                Some(w) if gap_ok(w.end, piece.start) => absorb(w, &piece),
                _ => {
                    if let Some(w) = cur.take() {
                        mine.push(w);
                    }
                    cur = Some(piece);
                }
            }
        }
        mine.extend(cur);
        for w in &mut mine {
            for (kind, evs) in &c.samples {
                if w.kinds.contains_key(kind) {
                    w.samples.extend(
                        evs.iter()
                            .filter(|e| e.ts.is_some_and(|t| t >= w.start && t <= w.end))
                            .cloned(),
                    );
                }
            }
            w.samples.sort_by_key(|e| (e.ts, e.line));
        }
        out.instance.extend(mine);
    }
    let mut all = out.instance.clone();
    all.sort_by_key(|w| (w.start, w.end));
    let mut cur: Option<Window> = None;
    for w in all {
        match &mut cur {
            Some(c) if gap_ok(c.end, w.start) => absorb(c, &w),
            _ => {
                if let Some(c) = cur.take() {
                    out.cluster.push(c);
                }
                cur = Some(w);
            }
        }
    }
    out.cluster.extend(cur);
    out
}

/// One window as reported (`fault_windows[]` in the JSON report).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FaultWindowReport {
    /// `instance` (one instance's logs) or `cluster` (instance windows merged across instances).
    pub scope: String,
    pub instances: Vec<String>,
    #[serde(serialize_with = "crate::model::time::ser")]
    #[schemars(with = "crate::model::time::Rfc3339")]
    pub start: Timestamp,
    #[serde(serialize_with = "crate::model::time::ser")]
    #[schemars(with = "crate::model::time::Rfc3339")]
    pub end: Timestamp,
    pub duration_secs: f64,
    /// Signal lines in the window.
    pub count: u64,
    pub kinds: Vec<KindCount>,
    /// The first lines of each kind of signal.
    pub evidence: Vec<Evidence>,
}

impl FaultWindowReport {
    /// `region_unavailable 3, tso 1`: the window's signal kinds for one-line displays.
    pub fn kinds_summary(&self) -> String {
        let kinds: Vec<String> = self
            .kinds
            .iter()
            .map(|k| format!("{} {}", k.kind.as_str(), k.count))
            .collect();
        kinds.join(", ")
    }
}

/// How many lines of one kind.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct KindCount {
    pub kind: FaultKind,
    pub count: u64,
}

pub fn report_window(w: &Window, scope: &str) -> FaultWindowReport {
    FaultWindowReport {
        scope: scope.to_string(),
        instances: w.instances.clone(),
        start: w.start,
        end: w.end,
        duration_secs: (w.end - w.start).num_milliseconds() as f64 / 1000.0,
        count: w.count(),
        kinds: w
            .kinds
            .iter()
            .map(|(k, n)| KindCount {
                kind: *k,
                count: *n,
            })
            .collect(),
        evidence: w.samples.clone(),
    }
}

/// `15m`, `2h03m`, `45s`: a duration for sentences.
pub fn human_duration(secs: i64) -> String {
    let s = secs.abs();
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        let (m, r) = (s / 60, s % 60);
        if r == 0 {
            format!("{m}m")
        } else if m >= 10 {
            // Past ten minutes the seconds are noise: round to the nearest minute.
            format!("{}m", (s + 30) / 60)
        } else {
            format!("{m}m{r:02}s")
        }
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn t(s: &str) -> Timestamp {
        crate::record::time::parse_unified(&format!("2024/01/13 {s}.000 +08:00")).unwrap()
    }

    fn ev(ts: Timestamp, line: u64) -> Evidence {
        Evidence {
            file: Arc::from("f"),
            line,
            ts: Some(ts),
            text: format!("line {line}").into(),
        }
    }

    fn counter(hits: &[(&str, FaultKind)]) -> FaultCounter {
        let mut c = FaultCounter::default();
        for (i, (s, k)) in hits.iter().enumerate() {
            c.add(*k, t(s), || ev(t(s), i as u64 + 1));
        }
        c
    }

    /// Hits counted in a kind's latest bucket without a map lookup are in every answer: in
    /// counts, in first and last times, after a kind moves to another bucket and back, after
    /// a merge, and in equality (the same hits in another order are the same counter).
    #[test]
    fn hot_bucket_hits_are_counted_everywhere() {
        use FaultKind::*;
        let hits = [
            ("19:03:01", Tso),
            ("19:03:02", StoreUnreachable),
            ("19:03:03", Tso),
            ("19:03:15", Tso), // next bucket
            ("19:03:04", Tso), // back to the first one (lines out of time order)
            ("19:03:09", StoreUnreachable),
        ];
        let c = counter(&hits);
        assert_eq!(c.total(), 6);
        let d = c.density();
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].0, d[0].1), (t("19:03:01"), 5));
        assert_eq!((d[1].0, d[1].1), (t("19:03:15"), 1));
        let each: Vec<_> = c
            .each()
            .map(|((_, k), b)| (k, b.count, b.first, b.last))
            .collect();
        assert_eq!(
            each,
            vec![
                (StoreUnreachable, 2, t("19:03:02"), t("19:03:09")),
                (Tso, 3, t("19:03:01"), t("19:03:04")),
                (Tso, 1, t("19:03:15"), t("19:03:15")),
            ]
        );
        // Reversed, the hits leave other hot buckets behind; the counter is the same.
        let mut rev = hits;
        rev.reverse();
        let r = counter(&rev);
        assert_eq!(r.total(), 6);
        assert!(r.each().eq(c.each()));
        // Merged into another counter, nothing is lost.
        let mut m = counter(&[("19:03:05", Tso)]);
        m.merge(c.clone());
        assert_eq!(m.total(), 7);
        assert_eq!(m.density()[0].1, 6);
    }

    #[test]
    fn buckets_merge_across_small_gaps_only() {
        use FaultKind::*;
        let c = counter(&[
            ("19:03:01", StoreUnreachable),
            ("19:03:05", StoreUnreachable),
            ("19:03:25", BackoffExhausted),  // 20 s gap: same window
            ("19:03:55", RegionUnavailable), // 30 s gap: same window (inclusive)
            ("19:05:00", RegionUnavailable), // 65 s gap: new window
        ]);
        let mut counts = FaultCounts::default();
        counts.add_counter("tidb-0", c);
        let w = windows(&counts);
        assert_eq!(w.instance.len(), 2);
        let a = &w.instance[0];
        assert_eq!((a.start, a.end), (t("19:03:01"), t("19:03:55")));
        assert_eq!(a.count(), 4);
        assert_eq!(a.kinds[&StoreUnreachable], 2);
        assert_eq!(
            a.samples.len(),
            4,
            "two store, one backoff, one region sample"
        );
        assert_eq!(w.instance[1].start, t("19:05:00"));
        assert_eq!(w.cluster.len(), 2);
    }

    #[test]
    fn cluster_windows_join_instances_and_merge_is_order_free() {
        use FaultKind::*;
        let a = counter(&[
            ("19:03:00", StoreUnreachable),
            ("19:04:00", StoreUnreachable),
        ]);
        let b = counter(&[("19:03:20", PeerUnreachable), ("19:03:40", PeerUnreachable)]);
        let mut x = FaultCounts::default();
        x.add_counter("tidb-0", a.clone());
        x.add_counter("tikv-1", b.clone());
        let w = windows(&x);
        assert_eq!(w.instance.len(), 3, "tidb-0's two hits are 60 s apart");
        assert_eq!(w.cluster.len(), 1);
        assert_eq!(w.cluster[0].instances, ["tidb-0", "tikv-1"]);
        assert_eq!(
            (w.cluster[0].start, w.cluster[0].end),
            (t("19:03:00"), t("19:04:00"))
        );
        // Splitting a file's counter in two and merging in the other order changes nothing.
        let (a1, a2) = (
            counter(&[("19:04:00", StoreUnreachable)]),
            counter(&[("19:03:00", StoreUnreachable)]),
        );
        let mut y = FaultCounts::default();
        y.add_counter("tikv-1", b);
        y.add_counter("tidb-0", a1);
        y.add_counter("tidb-0", a2);
        let wy = windows(&y);
        assert_eq!(wy.cluster[0].count(), w.cluster[0].count());
        assert_eq!(wy.cluster[0].start, w.cluster[0].start);
    }

    #[test]
    fn memory_is_bounded() {
        let mut c = FaultCounter::default();
        let base = t("00:00:00");
        for i in 0..(MAX_BUCKETS as i64 + 10) {
            let ts = base + chrono::Duration::seconds(i * BUCKET_SECS);
            c.add(FaultKind::Tso, ts, || ev(ts, 1));
        }
        assert_eq!(c.buckets.len(), MAX_BUCKETS);
        assert_eq!(c.dropped, 10);
        assert!(c.samples[&FaultKind::Tso].len() <= SAMPLES_PER_KIND);
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(45), "45s");
        assert_eq!(human_duration(899), "15m");
        assert_eq!(human_duration(620), "10m");
        assert_eq!(human_duration(90), "1m30s");
        assert_eq!(human_duration(7380), "2h03m");
    }
}
