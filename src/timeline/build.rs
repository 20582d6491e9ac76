//! Folding events into timelines.
//!
//! Events arrive in any order: files are scanned in parallel and instances interleave. The
//! builder therefore keeps, per job, only what stays correct under any arrival order — counts,
//! minima and maxima, the first and last few events of each kind by time, the first and last
//! event of each distinct (state, schema state) and of each distinct error — and decides the
//! order-dependent things (state sequence, outcome, progress) once, in [`TimelineBuilder::finish`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use super::pool::{Id, Pool};
use super::{
    AnonymousReorg, Cluster, DistTask, ErrCountPoint, ErrorStat, JobTimeline, RollbackPoint,
    ServerStart, StartKind, StatePoint, TaskTimeline, Timelines, KEEP_PER_KIND,
};
use crate::event::{Detail, Event, EventKind, Evidence};
use crate::model::{JobState, Timestamp};

/// Distinct error texts kept per job (and per DXF task); the others are folded into one
/// `(other errors)` entry with their total count.
pub const MAX_DISTINCT_ERRORS: usize = 32;
/// Distinct (state, schema state) pairs kept per job. TiDB has about a hundred real pairs; a
/// log with garbage `State:` words (a million distinct values took 6.2 GiB) keeps this many.
pub const MAX_STATE_PAIRS: usize = 128;
/// Instances named per job.
pub const MAX_INSTANCES_PER_JOB: usize = 256;
/// `Welcome to TiDB` lines kept per instance at each end (first N, last N); a crash loop can
/// restart thousands of times, and a thousand restarts already say what there is to say.
pub const KEEP_STARTS_PER_INSTANCE: usize = 512;

/// What the bounds dropped, under the keys the report uses (`jobs[].dropped`,
/// `summary.dropped`): lines of (state, schema state) pairs past [`MAX_STATE_PAIRS`], errors
/// folded into `(other errors)`, the same for DXF task errors, lines of instances past
/// [`MAX_INSTANCES_PER_JOB`], and server starts past [`KEEP_STARTS_PER_INSTANCE`].
pub const DROPPED_STATES: &str = "state_lines_of_unkept_pairs";
pub const DROPPED_ERRORS: &str = "errors_folded_into_other";
pub const DROPPED_TASK_ERRORS: &str = "task_errors_folded_into_other";
pub const DROPPED_INSTANCES: &str = "lines_of_unnamed_instances";
pub const DROPPED_STARTS: &str = "server_starts";
pub const DROPPED_STEPS: &str = "task_steps_past_the_limit";

/// A map of a job's or task's few entries (kinds of events, state pairs, instances, errors):
/// a sorted `Vec`. A B-tree's first node has room for eleven entries, so even a one-entry map
/// took 300–700 bytes, and a job has five of them (measured: a fifth of a job's memory).
/// Every such map is bounded ([`upsert`]), so a sorted insert stays cheap.
type Small<K, V> = litemap::LiteMap<K, V>;

/// Which entries a bounded map keeps when full: the smallest keys. The key is the entry's own
/// (its text), never the time it arrived or the file it came from, so every arrival order and
/// every split of the logs into files keeps the same entries with exact counts (an entry kept
/// anywhere is among the smallest of every part that saw it).
///
/// Returns nothing; an entry that does not fit (or is pushed out) goes to `spill`.
fn upsert<K: Ord + Clone, V>(
    map: &mut Small<K, V>,
    cap: usize,
    k: K,
    v: V,
    combine: impl FnOnce(&mut V, V),
    spill: impl FnOnce(V),
) {
    if let Some(old) = map.get_mut(&k) {
        combine(old, v);
        return;
    }
    if map.len() < cap {
        make_room(map);
        map.insert(k, v);
        return;
    }
    let bigger = map.last().is_some_and(|(max, _)| k < *max);
    if bigger {
        make_room(map);
        map.insert(k, v);
        let last = map.last().map(|(max, _)| max.clone());
        if let Some(out) = last.and_then(|max| map.remove(&max)) {
            spill(out);
        }
    } else {
        spill(v);
    }
}

/// Keeps the highest row count and the earliest time a line showed it (a line without a time
/// sorts first, as in [`ev_key`]).
fn note_top(top: &mut Option<(u64, Option<Timestamp>)>, rows: u64, ts: Option<Timestamp>) {
    match top {
        Some((n, _)) if *n > rows => {}
        Some((n, at)) if *n == rows => *at = (*at).min(ts),
        _ => *top = Some((rows, ts)),
    }
}

/// Grows a full map by one entry while it is small, then by doubling: `Vec`'s first growth is
/// to four entries, and most jobs' maps (event kinds, state pairs, instances) hold one to
/// three, so a fifth of a job's memory was empty map slots (100k jobs, measured).
fn make_room<K, V>(map: &mut Small<K, V>) {
    let mut v = std::mem::take(map).into_tuple_vec();
    if v.len() == v.capacity() {
        v.reserve_exact(if v.len() < 4 { 1 } else { v.len() });
    }
    *map = Small::from_sorted_store_unchecked(v);
}

/// The value under `k`, inserted as `V::default()` if absent ([`make_room`] first).
fn slot<K: Ord, V: Default>(map: &mut Small<K, V>, k: K) -> &mut V {
    if !map.contains_key(&k) {
        make_room(map);
    }
    map.entry(k).or_default()
}

/// A value and the line that gave it, keeping the earliest by (time, file, line): the rule
/// for every field two files can disagree on (job type, table, query, ...), so the report does
/// not depend on which worker finished first.
#[derive(Debug, Clone)]
struct Earliest<T>(Option<(LineKey, T)>);

/// Where a line is, as an owned sort key: (time, file, line).
type LineKey = (Option<Timestamp>, Arc<str>, u64);

impl<T> Default for Earliest<T> {
    fn default() -> Self {
        Earliest(None)
    }
}

impl<T> Earliest<T> {
    /// Offers `v` (made only when it would win) as seen at `ev`.
    fn offer(&mut self, ev: &Evidence, v: impl FnOnce() -> Option<T>) {
        let wins = self
            .0
            .as_ref()
            .is_none_or(|(k, _)| ev_key(ev) < (k.0, &*k.1, k.2));
        if wins {
            if let Some(v) = v() {
                self.0 = Some(((ev.ts, ev.file.clone(), ev.line), v));
            }
        }
    }

    fn merge(&mut self, o: Earliest<T>) {
        if let Some((k, v)) = o.0 {
            if self.0.as_ref().is_none_or(|(mine, _)| k < *mine) {
                self.0 = Some((k, v));
            }
        }
    }

    fn value(self) -> Option<T> {
        self.0.map(|(_, v)| v)
    }

    fn get(&self) -> Option<&T> {
        self.0.as_ref().map(|(_, v)| v)
    }
}

/// Identifies one job: its id within one store (see [`JobTimeline::store`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobKey {
    pub store: Option<Arc<str>>,
    pub id: i64,
}

/// Sort key that makes event order total and stable: time, then file, then line.
fn order_key(e: &Event) -> (Option<Timestamp>, Arc<str>, u64) {
    (e.ts, e.evidence.file.clone(), e.evidence.line)
}

fn earlier(a: &Event, b: &Event) -> bool {
    order_key(a) < order_key(b)
}

/// What [`Ends`] orders by: (time, file, line) of the line it came from.
trait Placed {
    fn evidence(&self) -> &Evidence;
}

impl Placed for Event {
    fn evidence(&self) -> &Evidence {
        &self.evidence
    }
}

impl Placed for Arc<Event> {
    fn evidence(&self) -> &Evidence {
        &self.evidence
    }
}

impl Placed for ServerStart {
    fn evidence(&self) -> &Evidence {
        &self.evidence
    }
}

/// The first and last `keep` items (events of one kind, starts of one instance), by time, plus
/// a total count.
#[derive(Debug, Clone)]
struct Ends<T = Event, const KEEP: usize = KEEP_PER_KIND> {
    count: u64,
    /// Sorted by time; at most `2 * KEEP`, holding the global first and last `KEEP`.
    kept: Vec<T>,
}

impl<T, const KEEP: usize> Default for Ends<T, KEEP> {
    fn default() -> Self {
        Ends {
            count: 0,
            kept: Vec::new(),
        }
    }
}

impl<T: Placed, const KEEP: usize> Ends<T, KEEP> {
    fn push(&mut self, ev: T) {
        self.count += 1;
        let k = ev_key(ev.evidence());
        let pos = self.kept.partition_point(|x| ev_key(x.evidence()) <= k);
        // Grown one slot at a time (at most `2 * KEEP + 1`): most jobs have one or two events
        // of a kind, and the default first growth to four events was 6 KB a job.
        self.kept.reserve_exact(1);
        self.kept.insert(pos, ev);
        if self.kept.len() > 2 * KEEP {
            // Drop the middle element: it is neither among the first N nor the last N.
            self.kept.remove(KEEP);
        }
    }

    fn merge(&mut self, other: Ends<T, KEEP>) {
        let count = self.count + other.count;
        for ev in other.kept {
            self.push(ev);
        }
        self.count = count;
    }

    /// Items seen but not kept.
    fn dropped(&self) -> u64 {
        self.count - self.kept.len() as u64
    }
}

/// First and last occurrence of something, by time, with a count.
#[derive(Debug, Clone)]
struct Span {
    count: u64,
    first: Evidence,
    last: Evidence,
}

impl Span {
    fn new(ev: &Evidence) -> Self {
        Span {
            count: 1,
            first: ev.clone(),
            last: ev.clone(),
        }
    }
    fn add(&mut self, ev: &Evidence) {
        self.count += 1;
        if ev_key(ev) < ev_key(&self.first) {
            self.first = ev.clone();
        }
        if ev_key(ev) > ev_key(&self.last) {
            self.last = ev.clone();
        }
    }
    fn merge(&mut self, o: Span) {
        let c = self.count + o.count;
        self.add(&o.first);
        self.add(&o.last);
        self.count = c;
    }
}

fn ev_key(e: &Evidence) -> (Option<Timestamp>, &str, u64) {
    (e.ts, &e.file, e.line)
}

/// Everything kept for one job while events stream in.
#[derive(Debug, Default, Clone)]
struct JobAcc {
    /// Shared with `states` (`Arc`): a state pair's first and last lines are nearly always
    /// among the kept events of their kinds, and a clone each was a third of a job's memory.
    by_kind: Small<EventKind, Ends<Arc<Event>>>,
    /// First and last event of each distinct (state, schema state), including the job string,
    /// and how many lines showed it; at most [`MAX_STATE_PAIRS`], known states first.
    /// Boxed: a B-tree node holds eleven values, and two events each would make even a
    /// one-pair map take 12 KB (a third of a job's memory, measured).
    states: Small<StateKey, Box<StateSpan>>,
    /// ErrCount value → the first line that showed it. Trimmed to the lowest and highest values.
    err_counts: Marks,
    /// Instance → lines of the job it logged; at most [`MAX_INSTANCES_PER_JOB`].
    instances: Small<Arc<str>, u64>,
    first_seen: Option<Timestamp>,
    last_seen: Option<Timestamp>,
    /// Latest row count seen, by time.
    rows: Option<(u64, Evidence)>,
    /// The highest row count seen and the first time a line showed it: the last progress.
    /// Only that time is read, so no line is kept (a `Marks` entry was 64 bytes a job).
    top_rows: Option<(u64, Option<Timestamp>)>,
    job_type: Earliest<String>,
    schema_id: Earliest<i64>,
    table_id: Earliest<i64>,
    query: Earliest<Arc<str>>,
    /// What most jobs never show (errors, a DXF task, backfill details, dropped counts): boxed
    /// and made only when a line gives one, because inline it was two thirds of every job's
    /// accumulator (1,064 bytes, measured) and there are as many accumulators as jobs.
    rare: Option<Box<Rare>>,
}

/// The part of a [`JobAcc`] most jobs leave empty.
#[derive(Debug, Default, Clone)]
struct Rare {
    errors: Errors,
    task_errors: Errors,
    /// `Err:` texts of the job strings (failure-families §1 rule 14: the job's error when no
    /// `error` field gives it); at most [`MAX_DISTINCT_ERRORS`].
    job_str_errors: Small<String, JobStrErr>,
    table: Earliest<String>,
    index: Earliest<String>,
    ingest: Earliest<bool>,
    task_id: Earliest<i64>,
    task_key: Earliest<String>,
    /// What the bounds dropped: `DROPPED_*` → count.
    dropped: Small<&'static str, u64>,
}

impl Rare {
    fn merge(&mut self, o: Rare) {
        self.errors.merge(o.errors);
        self.task_errors.merge(o.task_errors);
        for (text, e) in o.job_str_errors {
            self.note_job_str_error(text, e);
        }
        for (k, n) in o.dropped {
            self.drop_n(k, n);
        }
        self.table.merge(o.table);
        self.index.merge(o.index);
        self.ingest.merge(o.ingest);
        self.task_id.merge(o.task_id);
        self.task_key.merge(o.task_key);
    }

    fn note_job_str_error(&mut self, text: String, e: JobStrErr) {
        upsert(
            &mut self.job_str_errors,
            MAX_DISTINCT_ERRORS,
            text,
            e,
            |a, b| a.merge(b),
            |_| {},
        );
    }

    fn drop_n(&mut self, what: &'static str, n: u64) {
        *self.dropped.entry(what).or_default() += n;
    }
}

/// One `Err:` text of a job's job strings: the lines that showed it and the ErrCount values
/// they showed (at most [`MAX_ERR_COUNTS`]: a lower bound of the failures with it).
#[derive(Debug, Clone)]
struct JobStrErr {
    span: Span,
    err_counts: BTreeSet<u64>,
}

/// Distinct ErrCount values kept per job-string error.
const MAX_ERR_COUNTS: usize = 64;

impl JobStrErr {
    fn new(err_count: Option<u64>, ev: &Evidence) -> Self {
        JobStrErr {
            span: Span::new(ev),
            err_counts: err_count.into_iter().collect(),
        }
    }

    fn merge(&mut self, o: JobStrErr) {
        self.span.merge(o.span);
        for n in o.err_counts {
            if self.err_counts.len() < MAX_ERR_COUNTS {
                self.err_counts.insert(n);
            }
        }
    }
}

/// Whether an `error` field and a job string's `Err:` are the same error: the job string
/// prints a plain Go error as `[ddl:-1]<text>` (`toTError`), and either may be cut short.
fn same_error(field: &str, job_err: &str) -> bool {
    let bare = job_err.strip_prefix("[ddl:-1]").unwrap_or(job_err);
    field == job_err || field.contains(bare) || bare.contains(field)
}

/// Orders state pairs: TiDB's own state words before unknown ones, then by text.
type StateKey = (bool, Box<str>, Box<str>);

/// First and last event of one state pair (`None`: the first is also the last, the usual
/// case), and how many lines showed it.
type StateSpan = (Arc<Event>, Option<Arc<Event>>, u64);

/// Distinct errors, at most [`MAX_DISTINCT_ERRORS`] by text order ([`upsert`]), and the rest
/// folded together.
#[derive(Debug, Default, Clone)]
struct Errors {
    kept: Small<String, Span>,
    other: Option<Span>,
}

impl Errors {
    fn add(&mut self, text: &str, ev: &Evidence) {
        if let Some(s) = self.kept.get_mut(text) {
            s.add(ev);
            return;
        }
        let other = &mut self.other;
        upsert(
            &mut self.kept,
            MAX_DISTINCT_ERRORS,
            text.to_string(),
            Span::new(ev),
            |a, b| a.merge(b),
            |out| fold(other, out),
        );
    }

    fn merge(&mut self, o: Errors) {
        for (k, v) in o.kept {
            let other = &mut self.other;
            upsert(
                &mut self.kept,
                MAX_DISTINCT_ERRORS,
                k,
                v,
                |a, b| a.merge(b),
                |out| fold(other, out),
            );
        }
        if let Some(v) = o.other {
            fold(&mut self.other, v);
        }
    }

    /// Most frequent first, then `(other errors)` last.
    fn stats(&self) -> Vec<ErrorStat> {
        let mut v: Vec<ErrorStat> = self.kept.iter().map(|(text, s)| stat(text, s)).collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)));
        v.extend(self.other.as_ref().map(|s| stat("(other errors)", s)));
        v
    }

    fn folded(&self) -> u64 {
        self.other.as_ref().map_or(0, |s| s.count)
    }
}

/// Widens a state pair's (first, last) to cover another span of it (`f`, `l`; `None`: `f`).
fn widen(
    first: &mut Arc<Event>,
    last: &mut Option<Arc<Event>>,
    f: Arc<Event>,
    l: Option<Arc<Event>>,
) {
    widen_one(first, last, f);
    if let Some(l) = l {
        widen_one(first, last, l);
    }
}

/// Widens (first, last) to cover `e`.
fn widen_one(first: &mut Arc<Event>, last: &mut Option<Arc<Event>>, e: Arc<Event>) {
    if earlier(&e, first) {
        let old = std::mem::replace(first, e);
        if last.is_none() {
            *last = Some(old);
        }
    } else if earlier(last.as_deref().unwrap_or(first), &e) {
        *last = Some(e);
    }
}

/// True when `e` would widen (first, last), so that a clone is made only then.
fn widens(first: &Event, last: &Option<Arc<Event>>, e: &Event) -> bool {
    earlier(e, first) || earlier(last.as_deref().unwrap_or(first), e)
}

fn fold(into: &mut Option<Span>, s: Span) {
    match into {
        Some(o) => o.merge(s),
        None => *into = Some(s),
    }
}

fn stat(text: &str, s: &Span) -> ErrorStat {
    ErrorStat {
        text: text.to_string(),
        count: s.count,
        first: s.first.clone(),
        last: s.last.clone(),
    }
}

fn min_ts(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_ts(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Value (ErrCount, row count) → the earliest line that showed it, sorted by value, keeping
/// the [`KEEP_PER_KIND`] lowest and highest values. A sorted `Vec`, not a `BTreeMap`: most jobs
/// have one or two values, and a B-tree's first node is sized for eleven.
#[derive(Debug, Default, Clone)]
struct Marks(Vec<(u64, Evidence)>);

impl Marks {
    fn note(&mut self, n: u64, ev: &Evidence) {
        match self.0.binary_search_by_key(&n, |(k, _)| *k) {
            Ok(i) => {
                if ev_key(ev) < ev_key(&self.0[i].1) {
                    self.0[i].1 = ev.clone();
                }
            }
            Err(i) => {
                self.0.reserve_exact(1);
                self.0.insert(i, (n, ev.clone()));
                if self.0.len() > 2 * KEEP_PER_KIND {
                    self.0.remove(KEEP_PER_KIND);
                }
            }
        }
    }

    fn merge(&mut self, o: Marks) {
        for (n, ev) in &o.0 {
            self.note(*n, ev);
        }
    }

    fn highest(&self) -> Option<&(u64, Evidence)> {
        self.0.last()
    }
}

impl JobAcc {
    fn push(&mut self, ev: Event) {
        self.first_seen = min_ts(self.first_seen, ev.ts);
        self.last_seen = max_ts(self.last_seen, ev.ts);
        self.note_instance(ev.instance.clone(), 1);
        let at = &ev.evidence;
        if let Some(job) = &ev.job {
            self.job_type.offer(at, || {
                (!job.job_type.is_empty()).then(|| job.job_type.to_string())
            });
            self.schema_id.offer(at, || job.schema_id);
            self.table_id.offer(at, || job.table_id);
            self.query.offer(at, || job.query.as_deref().map(Arc::from));
            if let Some(n) = job.err_count {
                self.err_counts.note(n, &ev.evidence);
            }
            if let Some(err) = job.err.as_deref().filter(|e| !e.trim().is_empty()) {
                let e = JobStrErr::new(job.err_count, &ev.evidence);
                self.rare().note_job_str_error(err.to_string(), e);
            }
            if let Some(rc) = job.row_count {
                self.note_rows(rc, &ev.evidence);
            }
        }
        let state_key = ev.job.as_ref().map(|job| {
            (
                matches!(JobState::parse(&job.state), JobState::Other(_)),
                job.state.clone(),
                job.schema_state.clone(),
            )
        });
        if let Some(rows) = ev.rows {
            self.note_rows(rows, &ev.evidence);
        }
        if let Some(err) = &ev.error {
            match ev.kind {
                EventKind::TaskReverted
                | EventKind::TaskPaused
                | EventKind::SubtaskError
                | EventKind::SubtasksEncounterErrors
                | EventKind::TaskRetryableError
                | EventKind::GeneratePlanFailed
                | EventKind::TaskManagerError => self.rare().task_errors.add(err, &ev.evidence),
                _ => {}
            }
            if counts_as_job_error(ev.kind) {
                self.rare().errors.add(err, &ev.evidence);
            }
        }
        match &*ev.detail {
            Detail::Backfill {
                table,
                index,
                ingest,
            } => self.note_backfill(table, index, ingest, &ev.evidence),
            Detail::Query(q) => self.query.offer(&ev.evidence, || Some(Arc::clone(q))),
            _ => {}
        }
        if ev.task_id.is_some() {
            self.rare().task_id.offer(&ev.evidence, || ev.task_id);
        }
        if ev.task_key.is_some() {
            self.rare()
                .task_key
                .offer(&ev.evidence, || ev.task_key.as_deref().map(str::to_string));
        }
        let ev = Arc::new(ev);
        if let Some(key) = state_key {
            match self.states.get_mut(&key) {
                Some(span) => {
                    let (first, last, n) = &mut **span;
                    *n += 1;
                    if widens(first, last, &ev) {
                        widen_one(first, last, Arc::clone(&ev));
                    }
                }
                None => self.note_state(key, Box::new((Arc::clone(&ev), None, 1))),
            }
        }
        slot(&mut self.by_kind, ev.kind).push(ev);
    }

    /// The rarely filled part, made on first use.
    fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Lines only a reorg writes (ingest backend and writers, backfill workers and phases):
    /// a job without a job string that has them is in its reorg.
    fn has_backfill_lines(&self) -> bool {
        [
            EventKind::IngestBackend,
            EventKind::BackfillError,
            EventKind::BackfillStarted,
            EventKind::BackfillPhase,
            EventKind::IngestMemoryExhausted,
            EventKind::IngestTaskFinished,
            EventKind::CheckpointResumed,
        ]
        .iter()
        .any(|k| self.by_kind.contains_key(k))
    }

    /// Counts `n` lines of the job on `instance`, within [`MAX_INSTANCES_PER_JOB`].
    fn note_instance(&mut self, instance: Arc<str>, n: u64) {
        let mut spilled = 0;
        upsert(
            &mut self.instances,
            MAX_INSTANCES_PER_JOB,
            instance,
            n,
            |a, b| *a += b,
            |out| spilled += out,
        );
        if spilled > 0 {
            self.rare().drop_n(DROPPED_INSTANCES, spilled);
        }
    }

    /// A state pair not seen yet, within [`MAX_STATE_PAIRS`].
    fn note_state(&mut self, key: StateKey, v: Box<StateSpan>) {
        let mut spilled = 0;
        upsert(
            &mut self.states,
            MAX_STATE_PAIRS,
            key,
            v,
            |mine, other| {
                let (first, last, n) = &mut **mine;
                let (f, l, m) = *other;
                *n += m;
                widen(first, last, f, l);
            },
            |out| spilled += out.2,
        );
        if spilled > 0 {
            self.rare().drop_n(DROPPED_STATES, spilled);
        }
    }

    fn note_rows(&mut self, rows: u64, ev: &Evidence) {
        match &self.rows {
            Some((_, old)) if ev_key(old) > ev_key(ev) => {}
            _ => self.rows = Some((rows, ev.clone())),
        }
        note_top(&mut self.top_rows, rows, ev.ts);
    }

    /// Table, index and ingest mode from `index backfill state running`.
    fn note_backfill(
        &mut self,
        table: &Option<String>,
        index: &Option<String>,
        ingest: &Option<String>,
        at: &Evidence,
    ) {
        if table.is_none() && index.is_none() && ingest.is_none() {
            return;
        }
        let named = |v: &Option<String>| v.as_deref().filter(|v| !v.is_empty()).map(str::to_string);
        let rare = self.rare();
        rare.table.offer(at, || named(table));
        rare.index.offer(at, || named(index));
        rare.ingest
            .offer(at, || ingest.as_ref().map(|i| i == "true"));
    }

    fn merge(&mut self, o: JobAcc) {
        self.first_seen = min_ts(self.first_seen, o.first_seen);
        self.last_seen = max_ts(self.last_seen, o.last_seen);
        for (k, ends) in o.by_kind {
            self.by_kind.entry(k).or_default().merge(ends);
        }
        for (k, v) in o.states {
            self.note_state(k, v);
        }
        self.err_counts.merge(o.err_counts);
        if let Some(r) = o.rare {
            self.rare().merge(*r);
        }
        for (i, n) in o.instances {
            self.note_instance(i, n);
        }
        if let Some((rows, ev)) = o.rows {
            self.note_rows(rows, &ev);
        }
        if let Some((rows, ts)) = o.top_rows {
            note_top(&mut self.top_rows, rows, ts);
        }
        self.job_type.merge(o.job_type);
        self.schema_id.merge(o.schema_id);
        self.table_id.merge(o.table_id);
        self.query.merge(o.query);
    }

    fn finish(mut self, key: JobKey) -> JobTimeline {
        let rare = *self.rare.take().unwrap_or_default();
        // Sized once and trimmed after the dedup: the timeline keeps this `Vec` for the rest of
        // the run, and doubling growth left most jobs holding twice the events they have.
        let kept = self.by_kind.values().map(|e| e.kept.len()).sum::<usize>();
        let mut events: Vec<Arc<Event>> = Vec::with_capacity(kept + 2 * self.states.len());
        let mut event_counts = Small::with_capacity(self.by_kind.len());
        for (kind, ends) in std::mem::take(&mut self.by_kind) {
            event_counts.insert(kind, ends.count);
            events.extend(ends.kept);
        }
        for (_, span) in std::mem::take(&mut self.states) {
            let (first, last, _) = *span;
            events.push(first);
            events.extend(last);
        }
        events.sort_by(|a, b| ev_key(&a.evidence).cmp(&ev_key(&b.evidence)));
        events.dedup_by(|a, b| {
            a.evidence.file == b.evidence.file
                && a.evidence.line == b.evidence.line
                && a.kind == b.kind
        });
        events.shrink_to_fit();

        // Replay in time order: state sequence, rollback point, outcome.
        let mut states: Vec<StatePoint> = Vec::new();
        let mut outcome: Option<JobState> = None;
        let mut rollback: Option<RollbackPoint> = None;
        let mut finished: Option<Evidence> = None;
        let mut last_progress: Option<Timestamp> = None;
        for ev in &events {
            // (state, schema state) of the line's job string; a job string without a state
            // word changes nothing (but its schema state still goes with a rollback).
            let mut state_now: Option<(Option<JobState>, Box<str>)> = ev.job.as_ref().map(|j| {
                let state = (!j.state.is_empty()).then(|| JobState::parse(&j.state));
                (state, j.schema_state.clone())
            });
            match ev.kind {
                EventKind::ConvertToRollback => {
                    if rollback.is_none() {
                        rollback = Some(RollbackPoint {
                            error: ev.error.as_deref().map(str::to_string).or_else(|| {
                                ev.job
                                    .as_ref()
                                    .and_then(|j| j.err.as_deref().map(str::to_string))
                            }),
                            err_count: ev.job.as_ref().and_then(|j| j.err_count),
                            message: ev.message.to_string(),
                            evidence: ev.evidence.clone(),
                        });
                    }
                    // The conversion line still prints the old state; from here the job rolls back.
                    let ss = state_now.map(|s| s.1).unwrap_or_default();
                    state_now = Some((Some(JobState::RollingBack), ss));
                }
                EventKind::ErrorCountExceeded if state_now.is_none() => {
                    state_now = Some((Some(JobState::Cancelling), Box::default()));
                }
                EventKind::JobFinished => finished = Some(ev.evidence.clone()),
                // `DDL job is finished` has no job string but says the job is `synced`: on
                // an instance that only submitted the job (not the owner) it is the only word
                // of the job's end.
                _ if state_now.is_none() && ev.detail.reached().is_some() => {
                    let ss = states
                        .last()
                        .map(|p| p.schema_state.clone())
                        .unwrap_or_default();
                    state_now = Some((ev.detail.reached().cloned(), ss));
                }
                _ => {}
            }
            if let Some((state, schema_state)) = state_now {
                let Some(state) = state else {
                    continue;
                };
                let changed = states
                    .last()
                    .is_none_or(|p| p.state != state || p.schema_state != schema_state);
                if changed {
                    last_progress = max_ts(last_progress, ev.ts);
                    states.push(StatePoint {
                        state: state.clone(),
                        schema_state,
                        evidence: ev.evidence.clone(),
                    });
                }
                // A final state is final: later lines (other instances' echoes) do not reopen
                // it. The outcome is in TiDB's words ([`JobState::as_outcome`]).
                if !outcome.as_ref().is_some_and(JobState::is_final) {
                    outcome = state.as_outcome().or(outcome);
                }
            }
        }
        states.shrink_to_fit();
        // Progress: the first time the highest row count was reached.
        if let Some((_, ts)) = self.top_rows {
            last_progress = max_ts(last_progress, ts);
        }
        if let Some(f) = &finished {
            last_progress = max_ts(last_progress, f.ts);
        }

        let mut errors: Vec<ErrorStat> = rare.errors.stats();
        // §1 rule 14: an `Err:` of the job strings that no `error` field gives is the job's
        // error too; it failed at least once per distinct ErrCount that showed it.
        let known: Vec<String> = errors.iter().map(|e| e.text.clone()).collect();
        for (text, e) in &rare.job_str_errors {
            if !known.iter().any(|k| same_error(k, text)) {
                let mut st = stat(text, &e.span);
                st.count = e.err_counts.len().max(1) as u64;
                errors.push(st);
            }
        }
        errors.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)));
        let mut dropped: BTreeMap<&'static str, u64> =
            rare.dropped.iter().map(|(k, v)| (*k, *v)).collect();
        for (what, n) in [
            (DROPPED_ERRORS, rare.errors.folded()),
            (DROPPED_TASK_ERRORS, rare.task_errors.folded()),
        ] {
            if n > 0 {
                dropped.insert(what, n);
            }
        }
        let err_counts: Vec<ErrCountPoint> = self
            .err_counts
            .0
            .iter()
            .map(|(n, ev)| ErrCountPoint {
                err_count: *n,
                evidence: ev.clone(),
            })
            .collect();
        let max_err_count = self.err_counts.highest().map_or(0, |(n, _)| *n);

        let dist_count = |k: EventKind| event_counts.get(&k).copied().unwrap_or(0);
        let has_task = rare.task_key.get().is_some()
            || rare.task_id.get().is_some()
            || [
                EventKind::TaskSubmitted,
                EventKind::TaskNotResumable,
                EventKind::TaskReverted,
            ]
            .iter()
            .any(|k| dist_count(*k) > 0);
        let dist_task = has_task.then(|| {
            let errs = rare.task_errors.stats();
            DistTask {
                task_id: rare.task_id.get().copied(),
                task_key: rare.task_key.get().cloned(),
                reverted: dist_count(EventKind::TaskReverted),
                not_resumable: dist_count(EventKind::TaskNotResumable),
                paused: dist_count(EventKind::TaskPaused),
                errors: errs,
            }
        });
        // The DXF executors' phase lines show the mode too: a merge-sort or cloud-import step
        // exists only with global sort, a read-index step only under DXF.
        let phase = |name: &str| {
            events.iter().any(|ev| {
                ev.kind == EventKind::BackfillPhase
                    && matches!(&*ev.detail, Detail::Phase { phase, .. } if *phase == name)
            })
        };
        let global_sort = phase("merge-sort") || phase("ingest");
        let backfill_mode = match (
            dist_task.is_some() || phase("read-index"),
            rare.ingest.get().copied(),
        ) {
            _ if global_sort => Some("dxf+global-sort".to_string()),
            (true, _) => Some("dxf".to_string()),
            (false, Some(true)) => Some("ingest".to_string()),
            (false, Some(false)) => Some("txn".to_string()),
            _ => None,
        };
        let query = self.query.value();
        let table = rare
            .table
            .value()
            .or_else(|| query.as_deref().and_then(table_from_query));

        JobTimeline {
            job_id: key.id,
            store: key.store,
            job_type: self.job_type.value(),
            schema_id: self.schema_id.value(),
            table_id: self.table_id.value(),
            table,
            index: rare.index.value(),
            query,
            outcome: outcome.unwrap_or_default(),
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            states,
            max_err_count,
            err_counts,
            errors,
            rollback: rollback.map(Box::new),
            finished,
            dist_task: dist_task.map(Box::new),
            instances: self.instances.keys().cloned().collect(),
            rows: self.rows,
            backfill_mode,
            last_progress,
            events,
            event_counts,
            dropped,
        }
    }
}

/// TiDB's final job states: nothing happens to the job after them.
pub fn is_final(state: &str) -> bool {
    JobState::parse(state).is_final()
}

/// Events whose `error` is the job's own report of a failed attempt.
///
/// Echoes of the same failure (the retry-sleep line, `run reorg job done`, the DXF task's
/// `task reverted`) are not counted again: an error's count is how often the job failed with it.
fn counts_as_job_error(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::JobError
            | EventKind::ConvertToRollback
            | EventKind::JobStepFailed
            | EventKind::JobCancelled
            | EventKind::BackfillError
    )
}

/// The table a DDL statement works on: `alter table sbtest1 add index ...` → `sbtest1`,
/// also `create table`, `drop table`, `truncate table`, `rename table`, `create index … on`.
fn table_from_query(q: &str) -> Option<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"(?is)^\s*(?:alter|create|drop|truncate|rename)\s+(?:(?:global\s+|local\s+)?temporary\s+)?table\s+(?:if\s+(?:not\s+)?exists\s+)?([`\w.$]+)|^\s*create\s+(?:unique\s+|fulltext\s+|spatial\s+)?index\s+\S+\s+on\s+([`\w.$]+)",
        )
        .expect("table regex is valid")
    });
    let c = re.captures(q)?;
    let name = c.get(1).or_else(|| c.get(2))?.as_str().replace('`', "");
    (!name.is_empty()).then_some(name)
}

/// Accumulates events (in any order, from any number of files) into [`Timelines`].
#[derive(Debug, Default)]
pub struct TimelineBuilder {
    /// Each job's accumulator, in [`Pool`] (not boxed one by one: see `pool.rs`); the map,
    /// which moves its values when it grows, holds only where each one is.
    jobs: HashMap<JobKey, Id>,
    accs: Pool<JobAcc>,
    /// DXF tasks by id (or by key while no line has named the id).
    tasks: HashMap<TaskIdent, TaskAcc>,
    /// Task key → the lowest task id a line gave with it.
    key_ids: HashMap<String, i64>,
    /// `run reorg job …` progress lines no job could be tied to, per instance.
    anonymous_reorgs: BTreeMap<Arc<str>, ReorgAcc>,
    /// DXF task id → job, learned from lines that name both (or name one right after the other);
    /// the earliest such line wins, whatever the order files were merged in.
    task_jobs: HashMap<i64, Earliest<JobKey>>,
    /// Server starts per instance, bounded.
    starts: BTreeMap<Arc<str>, Ends<ServerStart, KEEP_STARTS_PER_INSTANCE>>,
    owner_events: Ends,
    unattributed: BTreeMap<EventKind, Ends>,
    end_of_logs: Option<Timestamp>,
}

impl TimelineBuilder {
    /// The accumulator of job `key`, made on its first line.
    fn acc(&mut self, key: JobKey) -> &mut JobAcc {
        let accs = &mut self.accs;
        let id = *self
            .jobs
            .entry(key)
            .or_insert_with(|| accs.insert(JobAcc::default()));
        self.accs.get_mut(id)
    }

    /// Global-sort lines that name no task, but whose object key does: IMPORT INTO keeps a
    /// task's sort files under `<task id>/<subtask id>/` (`subtaskPrefix`,
    /// pkg/disttask/importinto), ADD INDEX under `<job id>/<subtask id>/`. An id that is no
    /// DDL job's in these logs is listed as that task (its type unknown), so that an import
    /// whose `task-id` lines are not in the bundle still appears among the tasks. The lines
    /// stay unattributed too: no line tied them to a task, and the rules say so.
    fn tasks_from_object_keys(&mut self, unattributed: &[Event], task_jobs: &HashMap<i64, JobKey>) {
        let jobs: BTreeSet<i64> = self.jobs.keys().map(|k| k.id).collect();
        // Only tasks no line named: a named task already owns these lines through its id
        // (the rules tie them to it), and listing them twice would count them twice.
        let named: BTreeSet<i64> = self
            .tasks
            .keys()
            .filter_map(|i| match i {
                TaskIdent::Id(id) => Some(*id),
                TaskIdent::Key(_) => None,
            })
            .collect();
        for ev in unattributed {
            if ev.task_id.is_some() || ev.task_key.is_some() || ev.job_id.is_some() {
                continue;
            }
            let key = match &*ev.detail {
                Detail::ObjectKey(k) => Some(k.as_str()),
                _ => None,
            };
            let Some((task, _)) =
                key.and_then(crate::event::extract::object_key_ids)
                    .or_else(|| {
                        ev.error
                            .as_deref()
                            .and_then(crate::event::extract::object_key_ids)
                    })
            else {
                continue;
            };
            if jobs.contains(&task) || task_jobs.contains_key(&task) || named.contains(&task) {
                continue;
            }
            let mut ev = ev.clone();
            ev.task_id = Some(task);
            self.tasks.entry(TaskIdent::Id(task)).or_default().push(&ev);
        }
    }

    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one event of a job stored in `store` (see [`JobTimeline::store`]).
    pub fn push(&mut self, ev: Event, store: Option<Arc<str>>) {
        self.end_of_logs = max_ts(self.end_of_logs, ev.ts);
        match ev.kind {
            EventKind::ServerStart => {
                let at = self.starts.entry(ev.instance.clone()).or_default();
                at.push(ServerStart {
                    instance: ev.instance.to_string(),
                    version: match &*ev.detail {
                        Detail::Release(v) => Some(v.clone()),
                        _ => None,
                    },
                    evidence: ev.evidence.clone(),
                    kind: StartKind::First,
                });
                return;
            }
            EventKind::OwnerElected | EventKind::OwnerRetired | EventKind::ServerStop => {
                self.owner_events.push(ev);
                return;
            }
            _ => {}
        }
        if ev.task_id.is_some() || ev.task_key.is_some() {
            self.push_task(&ev);
        }
        if ev.job_id.is_none() && ev.kind == EventKind::ReorgProgress {
            self.anonymous_reorgs
                .entry(Arc::clone(&ev.instance))
                .or_default()
                .push(&ev);
        }
        match ev.job_id {
            Some(id) => {
                let key = JobKey { store, id };
                if let Some(t) = ev.task_id {
                    let link = self.task_jobs.entry(t).or_default();
                    link.offer(&ev.evidence, || Some(key.clone()));
                }
                self.acc(key).push(ev);
            }
            None => self.unattributed.entry(ev.kind).or_default().push(ev),
        }
    }

    /// The last resort of failure-families §1 rule 10: when the logs hold exactly one DXF task id
    /// that no line ties to a job, and exactly one unfinished reorg job without a task of its
    /// own was running when that task's lines began, the task is that job's. Anything less
    /// certain (two tasks, two reorg jobs) links nothing.
    fn link_only_task_to_only_reorg(&self, task_jobs: &mut HashMap<i64, JobKey>) {
        let mut unlinked: HashMap<i64, Option<Timestamp>> = HashMap::new();
        for ends in self.unattributed.values() {
            for ev in &ends.kept {
                if let Some(t) = ev.task_id.filter(|t| !task_jobs.contains_key(t)) {
                    let first = unlinked.entry(t).or_insert(ev.ts);
                    *first = min_ts(*first, ev.ts);
                }
            }
        }
        let [(task, Some(began))] = unlinked.into_iter().collect::<Vec<_>>()[..] else {
            return;
        };
        let candidates: Vec<&JobKey> = self
            .jobs
            .iter()
            .filter(|(_, id)| {
                let acc = self.accs.get(**id);
                acc.rare
                    .as_ref()
                    .is_none_or(|r| r.task_id.get().is_none() && r.task_key.get().is_none())
                    && acc
                        .job_type
                        .get()
                        .map_or_else(|| acc.has_backfill_lines(), |t| is_reorg_type(t))
                    && acc.first_seen.is_some_and(|f| f <= began)
                    && acc
                        .by_kind
                        .get(&EventKind::JobFinished)
                        .is_none_or(|e| e.kept.iter().all(|f| f.ts.is_some_and(|t| t > began)))
            })
            .map(|(k, _)| k)
            .collect();
        if let [only] = candidates[..] {
            let key = only.clone();
            task_jobs.insert(task, key);
        }
    }

    /// Records that a DXF task id belongs to a job, as the line `at` shows (learned by the
    /// per-file correlator).
    pub fn link_task(&mut self, task_id: i64, job: JobKey, at: &Evidence) {
        self.task_jobs
            .entry(task_id)
            .or_default()
            .offer(at, || Some(job));
    }

    /// Notes the time of the last line of a file, so that "end of logs" covers quiet tails.
    pub fn saw_time(&mut self, ts: Option<Timestamp>) {
        self.end_of_logs = max_ts(self.end_of_logs, ts);
    }

    /// Merges another builder (built from other files) into this one.
    pub fn merge(&mut self, other: TimelineBuilder) {
        let offset = self.accs.append(other.accs);
        for (k, id) in other.jobs {
            let id = id.shifted(offset);
            match self.jobs.get(&k) {
                Some(&mine) => {
                    let acc = self.accs.take(id);
                    self.accs.get_mut(mine).merge(acc);
                }
                None => {
                    self.jobs.insert(k, id);
                }
            }
        }
        for (t, j) in other.task_jobs {
            self.task_jobs.entry(t).or_default().merge(j);
        }
        for (i, s) in other.starts {
            self.starts.entry(i).or_default().merge(s);
        }
        for (k, id) in other.key_ids {
            let known = self.key_ids.entry(k).or_insert(id);
            *known = (*known).min(id);
        }
        for (k, acc) in other.tasks {
            match self.tasks.get_mut(&k) {
                Some(mine) => mine.merge(acc),
                None => {
                    self.tasks.insert(k, acc);
                }
            }
        }
        for (k, acc) in other.anonymous_reorgs {
            match self.anonymous_reorgs.get_mut(&k) {
                Some(mine) => mine.merge(acc),
                None => {
                    self.anonymous_reorgs.insert(k, acc);
                }
            }
        }
        self.owner_events.merge(other.owner_events);
        for (k, e) in other.unattributed {
            self.unattributed.entry(k).or_default().merge(e);
        }
        self.end_of_logs = max_ts(self.end_of_logs, other.end_of_logs);
    }

    /// Finishes: every job's events in time order, outcome decided.
    pub fn finish(mut self) -> Timelines {
        // Attribute task events that named only a task id, now that every file's links are known.
        let mut task_jobs: HashMap<i64, JobKey> = std::mem::take(&mut self.task_jobs)
            .into_iter()
            .filter_map(|(t, link)| link.value().map(|k| (t, k)))
            .collect();
        self.link_only_task_to_only_reorg(&mut task_jobs);
        let mut unattributed: Vec<Event> = Vec::new();
        for (_, ends) in std::mem::take(&mut self.unattributed) {
            for mut ev in ends.kept {
                let task = ev.task_id.or_else(|| task_in_path(&ev, &task_jobs));
                match task.and_then(|t| task_jobs.get(&t)).cloned() {
                    Some(key) => {
                        ev.job_id = Some(key.id);
                        self.acc(key).push(ev);
                    }
                    None => unattributed.push(ev),
                }
            }
        }
        unattributed.sort_by_key(order_key);
        self.tasks_from_object_keys(&unattributed, &task_jobs);
        // Jobs seen without a store merge into the one store-keyed job with that id, if unique.
        let loose: Vec<JobKey> = self
            .jobs
            .keys()
            .filter(|k| k.store.is_none())
            .cloned()
            .collect();
        // Id → its store-keyed jobs, built once: asking every job about every loose one was
        // quadratic (100k jobs took minutes).
        let mut stored: HashMap<i64, Vec<JobKey>> = HashMap::new();
        for k in self.jobs.keys().filter(|k| k.store.is_some()) {
            stored.entry(k.id).or_default().push(k.clone());
        }
        for k in loose {
            if let Some([only]) = stored.get(&k.id).map(Vec::as_slice) {
                if let (Some(loose), Some(&into)) = (self.jobs.remove(&k), self.jobs.get(only)) {
                    let acc = self.accs.take(loose);
                    self.accs.get_mut(into).merge(acc);
                }
            }
        }
        let tasks = finish_tasks(std::mem::take(&mut self.tasks), &task_jobs);
        let anonymous_reorgs = std::mem::take(&mut self.anonymous_reorgs)
            .into_iter()
            .filter_map(|(instance, acc)| acc.finish(&instance))
            .collect();
        // Ordered before they are finished: sorting the finished timelines moved 760-byte
        // values around and took a scratch buffer of half of them (a tenth of a million-job
        // run's time and its peak memory, measured). The key is the timeline's own
        // (first seen, id, store).
        let mut pool = self.accs;
        let mut accs: Vec<(JobKey, Id)> = self.jobs.into_iter().collect();
        accs.sort_unstable_by(|(ka, a), (kb, b)| {
            pool.get(*a)
                .first_seen
                .cmp(&pool.get(*b).first_seen)
                .then_with(|| ka.id.cmp(&kb.id))
                .then_with(|| ka.store.cmp(&kb.store))
        });
        // In time order, so the pool's chunks are freed one after another as their jobs finish.
        let jobs: Vec<JobTimeline> = accs
            .into_iter()
            .map(|(k, id)| pool.take(id).finish(k))
            .collect();
        let mut dropped = BTreeMap::new();
        let starts_dropped: u64 = self.starts.values().map(Ends::dropped).sum();
        if starts_dropped > 0 {
            dropped.insert(DROPPED_STARTS, starts_dropped);
        }
        let mut starts: Vec<ServerStart> = self.starts.into_values().flat_map(|e| e.kept).collect();
        starts.sort_by(|a, b| ev_key(&a.evidence).cmp(&ev_key(&b.evidence)));
        Timelines {
            jobs,
            tasks,
            anonymous_reorgs,
            cluster: Cluster {
                dropped,
                starts,
                owner_events: self.owner_events.kept,
                unattributed,
                end_of_logs: self.end_of_logs,
            },
        }
    }
}

/// Per-file state that ties events to jobs and stores as they stream in, in file order.
///
/// * `new domain` lines open a store; job ids are per store (unit-test logs open many).
/// * `task reverted` names only a task id; the `task not resumable` (or submission) line just
///   before it, on the same instance, names the task key and so the job.
#[derive(Debug, Default)]
pub struct FileCorrelator {
    store: Option<Arc<str>>,
    stores_seen: u32,
    last_task_job: Option<(i64, Option<Timestamp>)>,
    /// Jobs this instance last saw in a reorganization state, newest last (a few at most).
    reorg_jobs: Vec<(i64, Option<Timestamp>)>,
    pub builder: TimelineBuilder,
}

/// How close (in time) a task-id line must follow a task-key line to be tied to it.
const TASK_LINK_WINDOW_MS: i64 = 5_000;
/// How long after the last line of a reorg job a job-less progress line is still its own:
/// up to v8.1 the owner logs `run DDL job` every ~5 s while a reorg runs.
const REORG_LINK_WINDOW_MS: i64 = 10 * 60_000;

impl FileCorrelator {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many distinct stores this file opened.
    pub fn stores_seen(&self) -> u32 {
        self.stores_seen
    }
}

impl crate::scan::EventSink for FileCorrelator {
    fn event(&mut self, mut ev: Event) {
        if ev.kind == EventKind::NewDomain {
            if let Detail::Store(store) = &*ev.detail {
                let store = store.as_str();
                if self.store.as_deref() != Some(store) {
                    self.store = Some(Arc::from(store));
                    self.stores_seen += 1;
                }
            }
            self.builder.saw_time(ev.ts);
            return;
        }
        let from_task_key = ev.job_id.is_some() && ev.task_key.is_some();
        if from_task_key {
            self.last_task_job = ev.job_id.map(|j| (j, ev.ts));
            // A line that names both the key and the id (`adjusted add-index task
            // concurrency`, scheduler lines with `task-key` and `task-id`) links them for good.
            if let (Some(job), Some(task_id)) = (ev.job_id, ev.task_id) {
                let key = JobKey {
                    store: self.store.clone(),
                    id: job,
                };
                self.builder.link_task(task_id, key, &ev.evidence);
            }
        }
        if let (None, Some(task_id)) = (ev.job_id, ev.task_id) {
            if let Some((job, at)) = self.last_task_job {
                let close = match (at, ev.ts) {
                    (Some(a), Some(b)) => (b - a).num_milliseconds().abs() <= TASK_LINK_WINDOW_MS,
                    _ => false,
                };
                if close {
                    ev.job_id = Some(job);
                    let key = JobKey {
                        store: self.store.clone(),
                        id: job,
                    };
                    self.builder.link_task(task_id, key, &ev.evidence);
                }
            }
        }
        // A job is in its reorg when its job string says so (a queued job's submission line
        // names a reorg type but is not in reorg yet), or when a line names its DXF task key
        // (`ddl/backfill/<job>` exists only while a reorg runs).
        let in_reorg = ev.job.as_ref().is_some_and(|j| {
            is_reorg_type(&j.job_type)
                && &*j.state == "running"
                && j.schema_state.contains("reorganization")
        }) || (ev.task_key.is_some() && ev.job_id.is_some())
            // The ingest backend is created, and the backfill starts, only for a reorg.
            || (ev.job_id.is_some()
                && matches!(
                    &*ev.message,
                    "create local backend for adding index" | "index backfill state running"
                ));
        if in_reorg {
            if let Some(job) = ev.job_id {
                self.reorg_jobs.retain(|(j, _)| *j != job);
                self.reorg_jobs.push((job, ev.ts));
                if self.reorg_jobs.len() > 4 {
                    self.reorg_jobs.remove(0);
                }
            }
        }
        if ev.job_id.is_none()
            && matches!(
                ev.kind,
                EventKind::ReorgProgress | EventKind::BackfillPhase | EventKind::IngestRegionRetry
            )
        {
            // Before master, `run reorg job done` / `run reorg job wait timeout` name no job: they
            // belong to the job in reorg on this instance — when exactly one is (failure-families
            // §1 rule 12); with two in reorg at once the line is nobody's. The same holds for the
            // executors' phase lines and lightning's region retries, which carry only
            // `[category=ddl-ingest]` (`import engine success`, `meet error and handle the job
            // later`).
            let close = |at: Option<Timestamp>| match (at, ev.ts) {
                (Some(a), Some(b)) => (b - a).num_milliseconds().abs() <= REORG_LINK_WINDOW_MS,
                _ => false,
            };
            let mut candidates = self.reorg_jobs.iter().filter(|(_, at)| close(*at));
            if let (Some((job, _)), None) = (candidates.next(), candidates.next()) {
                ev.job_id = Some(*job);
            }
        }
        self.builder.push(ev, self.store.clone());
    }
}

/// A linked DXF task id that the event's error names as a path segment: global-sort and
/// IMPORT INTO object keys embed `…/<task>/<subtask>/…` (failure-families §1 rule 10).
fn task_in_path(ev: &Event, tasks: &HashMap<i64, JobKey>) -> Option<i64> {
    let err = ev.error.as_deref()?;
    // Every `/<digits>/` segment of the text, looked up: asking every known task whether the
    // text holds it was quadratic in tasks.
    err.split('/')
        .skip(1)
        .zip(err.split('/').skip(2))
        .filter_map(|(seg, _)| {
            (!seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()))
                .then(|| seg.parse::<i64>().ok())
                .flatten()
        })
        .filter(|id| tasks.contains_key(id))
        .min()
}

/// Job types whose backfill logs `run reorg job done` / `wait timeout` without a job id.
fn is_reorg_type(t: &str) -> bool {
    matches!(
        t,
        "add index"
            | "add primary key"
            | "modify column"
            | "alter table reorganize partition"
            | "alter table partition by"
            | "alter table remove partitioning"
            | "alter table multi-schema change"
    )
}

#[cfg(test)]
mod tests {
    use super::table_from_query;

    #[test]
    fn table_names_from_ddl_statements() {
        let t = |q| table_from_query(q);
        assert_eq!(
            t("alter table sbtest1 add index idx (c)").as_deref(),
            Some("sbtest1")
        );
        assert_eq!(
            t("ALTER TABLE `db`.`t1` ADD INDEX i(a)").as_deref(),
            Some("db.t1")
        );
        assert_eq!(
            t("create table if not exists t2 (a int)").as_deref(),
            Some("t2")
        );
        assert_eq!(t("create table t(id int)").as_deref(), Some("t"));
        assert_eq!(t("drop table if exists t3").as_deref(), Some("t3"));
        assert_eq!(t("truncate table t4").as_deref(), Some("t4"));
        assert_eq!(t("create unique index u on t5 (a)").as_deref(), Some("t5"));
        assert_eq!(t("create database d"), None);
        assert_eq!(t("drop schema if exists testdb"), None);
    }
}

// --- DXF tasks as subjects of their own (issue 12: IMPORT INTO has no DDL job string) ---

/// How a task is known: by id once any line names it, by key before that.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum TaskIdent {
    Id(i64),
    Key(String),
}

/// How many step transitions a task keeps (first ones; a task has a handful of steps).
const MAX_TASK_STEPS: usize = 16;

/// Everything kept for one DXF task while events stream in (bounded like a job's).
#[derive(Debug, Default, Clone)]
struct TaskAcc {
    id: Earliest<i64>,
    key: Earliest<String>,
    task_type: Earliest<String>,
    by_kind: Small<EventKind, Ends>,
    errors: Errors,
    /// Instance → lines of the task it logged; at most [`MAX_INSTANCES_PER_JOB`].
    instances: Small<Arc<str>, u64>,
    first_seen: Option<Timestamp>,
    last_seen: Option<Timestamp>,
    /// Step and state changes, the earliest time each was seen, in time order; the
    /// [`MAX_TASK_STEPS`] earliest (by time, then text) are kept.
    steps: Vec<(Option<Timestamp>, String)>,
    /// The last state a line gave, by (time, file, line).
    state: Option<(LineKey, String)>,
    /// What the bounds dropped (`DROPPED_*`) → count.
    dropped: Small<&'static str, u64>,
}

impl TaskAcc {
    fn push(&mut self, ev: &Event) {
        let at = &ev.evidence;
        self.id.offer(at, || ev.task_id);
        self.key
            .offer(at, || ev.task_key.as_deref().map(str::to_string));
        self.task_type.offer(at, || {
            ev.task_type.as_deref().map(str::to_string).or_else(|| {
                ev.task_key.as_deref().and_then(|k| {
                    if k.starts_with("ImportInto/") {
                        Some("ImportInto".to_string())
                    } else if k.contains("ddl/backfill/") {
                        Some("backfill".to_string())
                    } else {
                        None
                    }
                })
            })
        });
        self.note_instance(Arc::clone(&ev.instance), 1);
        self.first_seen = min_ts(self.first_seen, ev.ts);
        self.last_seen = max_ts(self.last_seen, ev.ts);
        // `cannot get task` is DDL's lookup of a task already moved to history, not the task's
        // own error.
        if let Some(err) = ev
            .error
            .as_deref()
            .filter(|_| ev.kind != EventKind::CannotGetTask)
        {
            self.errors.add(err, &ev.evidence);
        }
        let state = match (&ev.kind, &*ev.detail) {
            (_, Detail::TaskTransition { from, to }) => {
                self.note_step(ev.ts, format!("{from}->{to}"));
                Some(to.clone())
            }
            (_, Detail::TaskStep { from, to }) => {
                self.note_step(ev.ts, format!("step {from}->{to}"));
                None
            }
            (_, Detail::TaskState(s)) => Some(s.clone()),
            (EventKind::TaskReverted, _) => Some("reverted".to_string()),
            (EventKind::TaskPaused, _) => Some("paused".to_string()),
            _ => None,
        };
        if let Some(st) = state {
            self.note_state(((at.ts, at.file.clone(), at.line), st));
        }
        self.by_kind.entry(ev.kind).or_default().push(ev.clone());
    }

    /// Keeps the state of the latest line (a total order: any arrival order agrees).
    fn note_state(&mut self, s: (LineKey, String)) {
        if self.state.as_ref().is_none_or(|(k, _)| *k <= s.0) {
            self.state = Some(s);
        }
    }

    fn note_instance(&mut self, instance: Arc<str>, n: u64) {
        let dropped = &mut self.dropped;
        upsert(
            &mut self.instances,
            MAX_INSTANCES_PER_JOB,
            instance,
            n,
            |a, b| *a += b,
            |out| *dropped.entry(DROPPED_INSTANCES).or_default() += out,
        );
    }

    /// A step at its earliest time; the [`MAX_TASK_STEPS`] earliest steps are kept, whatever
    /// order the files came in.
    fn note_step(&mut self, ts: Option<Timestamp>, step: String) {
        if let Some(i) = self.steps.iter().position(|(_, s)| *s == step) {
            if ts >= self.steps[i].0 {
                return;
            }
            self.steps.remove(i);
        }
        let item = (ts, step);
        let pos = self.steps.partition_point(|x| *x <= item);
        self.steps.insert(pos, item);
        if self.steps.len() > MAX_TASK_STEPS {
            self.steps.pop();
            *self.dropped.entry(DROPPED_STEPS).or_default() += 1;
        }
    }

    fn merge(&mut self, o: TaskAcc) {
        self.id.merge(o.id);
        self.key.merge(o.key);
        self.task_type.merge(o.task_type);
        for (k, ends) in o.by_kind {
            self.by_kind.entry(k).or_default().merge(ends);
        }
        self.errors.merge(o.errors);
        for (i, n) in o.instances {
            self.note_instance(i, n);
        }
        for (k, n) in o.dropped {
            *self.dropped.entry(k).or_default() += n;
        }
        self.first_seen = min_ts(self.first_seen, o.first_seen);
        self.last_seen = max_ts(self.last_seen, o.last_seen);
        for (t, s) in o.steps {
            self.note_step(t, s);
        }
        if let Some(st) = o.state {
            self.note_state(st);
        }
    }
}

impl TimelineBuilder {
    /// Adds a DXF line to its task: under its id when the line names one (a key-only task of the
    /// same key joins it), else under its key.
    fn push_task(&mut self, ev: &Event) {
        let ident = match (ev.task_id, &ev.task_key) {
            (Some(id), key) => {
                if let Some(k) = key {
                    let known = self.key_ids.entry(k.to_string()).or_insert(id);
                    *known = (*known).min(id);
                    if let Some(by_key) = self.tasks.remove(&TaskIdent::Key(k.to_string())) {
                        self.tasks
                            .entry(TaskIdent::Id(id))
                            .or_default()
                            .merge(by_key);
                    }
                }
                TaskIdent::Id(id)
            }
            (None, Some(k)) => {
                // The id-task that carries this key, looked up rather than searched for (a
                // search per line was quadratic in tasks); the lowest id if several do.
                match self.key_ids.get(&**k) {
                    Some(id) => TaskIdent::Id(*id),
                    None => TaskIdent::Key(k.to_string()),
                }
            }
            (None, None) => return,
        };
        self.tasks.entry(ident).or_default().push(ev);
    }
}

/// Finishes every task: key-only tasks join the task of that key named by id (files disagree
/// about which lines carry the id), then each is tied to its job (key `ddl/backfill/<job>` or a
/// learned task-id link).
fn finish_tasks(
    mut tasks: HashMap<TaskIdent, TaskAcc>,
    task_jobs: &HashMap<i64, JobKey>,
) -> Vec<TaskTimeline> {
    let key_only: Vec<TaskIdent> = tasks
        .keys()
        .filter(|i| matches!(i, TaskIdent::Key(_)))
        .cloned()
        .collect();
    // Key → the lowest id-task with it, and job → its id-tasks: built once, in an order that
    // does not depend on the map's.
    let mut by_key: HashMap<String, i64> = HashMap::new();
    let mut by_job: HashMap<i64, Vec<i64>> = HashMap::new();
    for (i, t) in &tasks {
        let TaskIdent::Id(id) = i else { continue };
        if let Some(k) = t.key.get() {
            let known = by_key.entry(k.clone()).or_insert(*id);
            *known = (*known).min(*id);
        }
        if let Some(j) = task_jobs.get(id) {
            by_job.entry(j.id).or_default().push(*id);
        }
    }
    for i in key_only {
        let TaskIdent::Key(k) = &i else { continue };
        // The id-task of the same key; failing that, the one id-task linked to the key's job
        // (`task not resumable [taskKey]` then `task reverted [task-id]`: no line names both).
        let target = by_key.get(k).map(|id| TaskIdent::Id(*id)).or_else(|| {
            let job = crate::event::extract::job_id_from_task_key(k)?;
            match by_job.get(&job).map(Vec::as_slice) {
                Some([only]) => Some(TaskIdent::Id(*only)),
                _ => None,
            }
        });
        if let Some(target) = target {
            let acc = tasks.remove(&i).expect("listed above");
            tasks.get_mut(&target).expect("listed above").merge(acc);
        }
    }
    let mut out: Vec<TaskTimeline> = tasks
        .into_values()
        .map(|acc| {
            let id = acc.id.get().copied();
            let job_id = acc
                .key
                .get()
                .and_then(|k| crate::event::extract::job_id_from_task_key(k))
                .or_else(|| id.and_then(|id| task_jobs.get(&id)).map(|k| k.id));
            let mut events: Vec<Event> = Vec::new();
            let mut event_counts = BTreeMap::new();
            for (kind, ends) in &acc.by_kind {
                event_counts.insert(*kind, ends.count);
                events.extend(ends.kept.iter().cloned());
            }
            events.sort_by_key(order_key);
            let errors = acc.errors.stats();
            let mut dropped: BTreeMap<&'static str, u64> = acc.dropped.into_iter().collect();
            if acc.errors.folded() > 0 {
                dropped.insert(DROPPED_ERRORS, acc.errors.folded());
            }
            TaskTimeline {
                dropped,
                task_id: id,
                task_key: acc.key.value(),
                task_type: acc.task_type.value(),
                job_id,
                state: acc.state.map(|(_, s)| s),
                steps: acc.steps.into_iter().map(|(_, s)| s).collect(),
                errors,
                first_seen: acc.first_seen,
                last_seen: acc.last_seen,
                instances: acc.instances.keys().map(|s| s.to_string()).collect(),
                events,
                event_counts,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (a.first_seen, a.task_id, &a.task_key).cmp(&(b.first_seen, b.task_id, &b.task_key))
    });
    out
}

/// `run reorg job done` / `wait timeout` lines of one instance that name no job.
#[derive(Debug, Default, Clone)]
struct ReorgAcc {
    lines: u64,
    first: Option<(u64, Evidence)>,
    last: Option<(u64, Evidence)>,
}

impl ReorgAcc {
    fn push(&mut self, ev: &Event) {
        self.lines += 1;
        self.note(ev.rows.unwrap_or(0), &ev.evidence);
    }

    /// Keeps the earliest and the latest line (by time, then file and line).
    fn note(&mut self, rows: u64, ev: &Evidence) {
        if self
            .first
            .as_ref()
            .is_none_or(|(_, f)| ev_key(ev) < ev_key(f))
        {
            self.first = Some((rows, ev.clone()));
        }
        if self
            .last
            .as_ref()
            .is_none_or(|(_, l)| ev_key(ev) > ev_key(l))
        {
            self.last = Some((rows, ev.clone()));
        }
    }

    fn merge(&mut self, o: ReorgAcc) {
        self.lines += o.lines;
        for (rows, ev) in o.first.iter().chain(o.last.iter()) {
            self.note(*rows, ev);
        }
    }

    fn finish(self, instance: &str) -> Option<AnonymousReorg> {
        let (first_rows, first) = self.first?;
        let (last_rows, last) = self.last?;
        Some(AnonymousReorg {
            instance: instance.to_string(),
            lines: self.lines,
            first_rows,
            last_rows,
            first,
            last,
        })
    }
}
