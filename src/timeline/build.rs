//! Folding events into timelines.
//!
//! Events arrive in any order: files are scanned in parallel and instances interleave. The
//! builder therefore keeps, per job, only what stays correct under any arrival order — counts,
//! minima and maxima, the first and last few events of each kind by time, the first and last
//! event of each distinct (state, schema state) and of each distinct error — and decides the
//! order-dependent things (state sequence, outcome, progress) once, in [`TimelineBuilder::finish`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::{
    AnonymousReorg, Cluster, DistTask, ErrCountPoint, ErrorStat, JobTimeline, RollbackPoint,
    ServerStart, StartKind, StatePoint, TaskTimeline, Timelines, KEEP_PER_KIND,
};
use crate::event::{Detail, Event, EventKind, Evidence};
use crate::model::{JobState, Timestamp};

/// Distinct error texts kept per job; the rest are folded into the last one's count.
const MAX_DISTINCT_ERRORS: usize = 32;

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

/// The first and last [`KEEP_PER_KIND`] events of one kind, by time, plus a total count.
#[derive(Debug, Default, Clone)]
struct Ends {
    count: u64,
    /// Sorted by time; at most `2 * KEEP_PER_KIND`, holding the global first and last N.
    kept: Vec<Event>,
}

impl Ends {
    fn push(&mut self, ev: Event) {
        self.count += 1;
        let pos = self.kept.partition_point(|k| !earlier(&ev, k));
        self.kept.insert(pos, ev);
        if self.kept.len() > 2 * KEEP_PER_KIND {
            // Drop the middle element: it is neither among the first N nor the last N.
            self.kept.remove(KEEP_PER_KIND);
        }
    }

    fn merge(&mut self, other: Ends) {
        let count = self.count + other.count;
        for ev in other.kept {
            self.push(ev);
        }
        self.count = count;
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
    by_kind: BTreeMap<EventKind, Ends>,
    /// First and last event of each distinct (state, schema state), including the job string.
    states: BTreeMap<(String, String), (Event, Event)>,
    /// ErrCount value → the first line that showed it. Trimmed to the lowest and highest values.
    err_counts: BTreeMap<u64, Evidence>,
    errors: HashMap<String, Span>,
    task_errors: HashMap<String, Span>,
    instances: BTreeMap<Arc<str>, ()>,
    first_seen: Option<Timestamp>,
    last_seen: Option<Timestamp>,
    /// Latest row count seen, by time.
    rows: Option<(u64, Evidence)>,
    /// Row count → first time it was reached (trimmed), to find the last progress.
    row_marks: BTreeMap<u64, Evidence>,
    job_type: Option<String>,
    schema_id: Option<i64>,
    table_id: Option<i64>,
    table: Option<String>,
    index: Option<String>,
    query: Option<String>,
    ingest: Option<bool>,
    task_id: Option<i64>,
    task_key: Option<String>,
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

/// Keeps only the `KEEP_PER_KIND` lowest and highest keys of a map.
fn trim_ends<V>(m: &mut BTreeMap<u64, V>) {
    while m.len() > 2 * KEEP_PER_KIND {
        let mid = *m.keys().nth(KEEP_PER_KIND).expect("len checked");
        m.remove(&mid);
    }
}

fn add_error(map: &mut HashMap<String, Span>, text: &str, ev: &Evidence) {
    if let Some(s) = map.get_mut(text) {
        s.add(ev);
    } else if map.len() < MAX_DISTINCT_ERRORS {
        map.insert(text.to_string(), Span::new(ev));
    } else if let Some(s) = map.get_mut("(other errors)") {
        s.add(ev);
    } else {
        map.insert("(other errors)".to_string(), Span::new(ev));
    }
}

impl JobAcc {
    fn push(&mut self, ev: Event) {
        self.first_seen = min_ts(self.first_seen, ev.ts);
        self.last_seen = max_ts(self.last_seen, ev.ts);
        self.instances.insert(ev.instance.clone(), ());
        if let Some(job) = &ev.job {
            if self.job_type.is_none() && !job.job_type.is_empty() {
                self.job_type = Some(job.job_type.clone());
            }
            self.schema_id = self.schema_id.or(job.schema_id);
            self.table_id = self.table_id.or(job.table_id);
            if self.query.is_none() {
                self.query = job.query.clone();
            }
            if let Some(n) = job.err_count {
                self.err_counts
                    .entry(n)
                    .or_insert_with(|| ev.evidence.clone());
                if let Some(old) = self.err_counts.get_mut(&n) {
                    if ev_key(&ev.evidence) < ev_key(old) {
                        *old = ev.evidence.clone();
                    }
                }
                trim_ends(&mut self.err_counts);
            }
            if let Some(rc) = job.row_count {
                self.note_rows(rc, &ev.evidence);
            }
            let key = (job.state.clone(), job.schema_state.clone());
            match self.states.get_mut(&key) {
                Some((first, last)) => {
                    if earlier(&ev, first) {
                        *first = ev.clone();
                    }
                    if earlier(last, &ev) {
                        *last = ev.clone();
                    }
                }
                None => {
                    self.states.insert(key, (ev.clone(), ev.clone()));
                }
            }
        }
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
                | EventKind::TaskManagerError => {
                    add_error(&mut self.task_errors, err, &ev.evidence)
                }
                _ => {}
            }
            if counts_as_job_error(ev.kind) {
                add_error(&mut self.errors, err, &ev.evidence);
            }
        }
        match &ev.detail {
            Detail::Backfill {
                table,
                index,
                ingest,
            } => self.note_backfill(table, index, ingest),
            Detail::Query(q) if self.query.is_none() => self.query = Some(q.clone()),
            _ => {}
        }
        if ev.task_id.is_some() {
            self.task_id = self.task_id.or(ev.task_id);
        }
        if self.task_key.is_none() {
            self.task_key = ev.task_key.clone();
        }
        self.by_kind.entry(ev.kind).or_default().push(ev);
    }

    fn note_rows(&mut self, rows: u64, ev: &Evidence) {
        match &self.rows {
            Some((_, old)) if ev_key(old) > ev_key(ev) => {}
            _ => self.rows = Some((rows, ev.clone())),
        }
        match self.row_marks.get_mut(&rows) {
            Some(old) if ev_key(ev) < ev_key(old) => *old = ev.clone(),
            Some(_) => {}
            None => {
                self.row_marks.insert(rows, ev.clone());
            }
        }
        trim_ends(&mut self.row_marks);
    }

    /// Table, index and ingest mode from `index backfill state running`.
    fn note_backfill(
        &mut self,
        table: &Option<String>,
        index: &Option<String>,
        ingest: &Option<String>,
    ) {
        let named = |v: &Option<String>| v.as_deref().filter(|v| !v.is_empty()).map(str::to_string);
        if self.table.is_none() {
            self.table = named(table);
        }
        if self.index.is_none() {
            self.index = named(index);
        }
        if let Some(i) = ingest {
            self.ingest = Some(i == "true");
        }
    }

    fn merge(&mut self, o: JobAcc) {
        self.first_seen = min_ts(self.first_seen, o.first_seen);
        self.last_seen = max_ts(self.last_seen, o.last_seen);
        for (k, ends) in o.by_kind {
            self.by_kind.entry(k).or_default().merge(ends);
        }
        for (k, (f, l)) in o.states {
            match self.states.get_mut(&k) {
                Some((first, last)) => {
                    if earlier(&f, first) {
                        *first = f;
                    }
                    if earlier(last, &l) {
                        *last = l;
                    }
                }
                None => {
                    self.states.insert(k, (f, l));
                }
            }
        }
        for (n, ev) in o.err_counts {
            match self.err_counts.get_mut(&n) {
                Some(old) if ev_key(&ev) < ev_key(old) => *old = ev,
                Some(_) => {}
                None => {
                    self.err_counts.insert(n, ev);
                }
            }
        }
        trim_ends(&mut self.err_counts);
        merge_errors(&mut self.errors, o.errors);
        merge_errors(&mut self.task_errors, o.task_errors);
        self.instances.extend(o.instances);
        if let Some((rows, ev)) = o.rows {
            self.note_rows(rows, &ev);
        }
        for (rows, ev) in o.row_marks {
            self.note_rows(rows, &ev);
        }
        self.job_type = self.job_type.take().or(o.job_type);
        self.schema_id = self.schema_id.or(o.schema_id);
        self.table_id = self.table_id.or(o.table_id);
        self.table = self.table.take().or(o.table);
        self.index = self.index.take().or(o.index);
        self.query = self.query.take().or(o.query);
        self.ingest = self.ingest.or(o.ingest);
        self.task_id = self.task_id.or(o.task_id);
        self.task_key = self.task_key.take().or(o.task_key);
    }

    fn finish(self, key: JobKey) -> JobTimeline {
        let mut events: Vec<Event> = Vec::new();
        let mut event_counts = BTreeMap::new();
        for (kind, ends) in &self.by_kind {
            event_counts.insert(*kind, ends.count);
            events.extend(ends.kept.iter().cloned());
        }
        for (first, last) in self.states.values() {
            events.push(first.clone());
            events.push(last.clone());
        }
        events.sort_by_key(order_key);
        events.dedup_by(|a, b| {
            a.evidence.file == b.evidence.file
                && a.evidence.line == b.evidence.line
                && a.kind == b.kind
        });

        // Replay in time order: state sequence, rollback point, outcome.
        let mut states: Vec<StatePoint> = Vec::new();
        let mut outcome: Option<JobState> = None;
        let mut rollback: Option<RollbackPoint> = None;
        let mut finished: Option<Evidence> = None;
        let mut last_progress: Option<Timestamp> = None;
        for ev in &events {
            // (state, schema state) of the line's job string; a job string without a state
            // word changes nothing (but its schema state still goes with a rollback).
            let mut state_now: Option<(Option<JobState>, String)> = ev.job.as_ref().map(|j| {
                let state = (!j.state.is_empty()).then(|| JobState::parse(&j.state));
                (state, j.schema_state.clone())
            });
            match ev.kind {
                EventKind::ConvertToRollback => {
                    if rollback.is_none() {
                        rollback = Some(RollbackPoint {
                            error: ev
                                .error
                                .clone()
                                .or_else(|| ev.job.as_ref().and_then(|j| j.err.clone())),
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
                    state_now = Some((Some(JobState::Cancelling), String::new()));
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
        // Progress: the first time the highest row count was reached.
        if let Some((_, ev)) = self.row_marks.iter().next_back() {
            last_progress = max_ts(last_progress, ev.ts);
        }
        if let Some(f) = &finished {
            last_progress = max_ts(last_progress, f.ts);
        }

        let mut errors: Vec<ErrorStat> = to_stats(self.errors);
        errors.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)));
        let err_counts: Vec<ErrCountPoint> = self
            .err_counts
            .iter()
            .map(|(n, ev)| ErrCountPoint {
                err_count: *n,
                evidence: ev.clone(),
            })
            .collect();
        let max_err_count = self.err_counts.keys().next_back().copied().unwrap_or(0);

        let dist_count = |k: EventKind| self.by_kind.get(&k).map_or(0, |e| e.count);
        let has_task = self.task_key.is_some()
            || self.task_id.is_some()
            || [
                EventKind::TaskSubmitted,
                EventKind::TaskNotResumable,
                EventKind::TaskReverted,
            ]
            .iter()
            .any(|k| dist_count(*k) > 0);
        let dist_task = has_task.then(|| {
            let mut errs = to_stats(self.task_errors.clone());
            errs.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)));
            DistTask {
                task_id: self.task_id,
                task_key: self.task_key.clone(),
                reverted: dist_count(EventKind::TaskReverted),
                not_resumable: dist_count(EventKind::TaskNotResumable),
                paused: dist_count(EventKind::TaskPaused),
                errors: errs,
            }
        });
        let backfill_mode = match (dist_task.is_some(), self.ingest) {
            (true, _) => Some("dxf".to_string()),
            (false, Some(true)) => Some("ingest".to_string()),
            (false, Some(false)) => Some("txn".to_string()),
            _ => None,
        };
        let table = self
            .table
            .clone()
            .or_else(|| self.query.as_deref().and_then(table_from_query));

        JobTimeline {
            job_id: key.id,
            store: key.store.map(|s| s.to_string()),
            job_type: self.job_type,
            schema_id: self.schema_id,
            table_id: self.table_id,
            table,
            index: self.index,
            query: self.query,
            outcome: outcome.unwrap_or_default(),
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            states,
            max_err_count,
            err_counts,
            errors,
            rollback,
            finished,
            dist_task,
            instances: self.instances.keys().map(|s| s.to_string()).collect(),
            rows: self.rows,
            backfill_mode,
            last_progress,
            events,
            event_counts,
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

fn merge_errors(into: &mut HashMap<String, Span>, from: HashMap<String, Span>) {
    for (k, v) in from {
        match into.get_mut(&k) {
            Some(s) => s.merge(v),
            None => {
                into.insert(k, v);
            }
        }
    }
}

fn to_stats(m: HashMap<String, Span>) -> Vec<ErrorStat> {
    m.into_iter()
        .map(|(text, s)| ErrorStat {
            text,
            count: s.count,
            first: s.first,
            last: s.last,
        })
        .collect()
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
    jobs: HashMap<JobKey, JobAcc>,
    /// DXF tasks by id (or by key while no line has named the id).
    tasks: HashMap<TaskIdent, TaskAcc>,
    /// `run reorg job …` progress lines no job could be tied to, per instance.
    anonymous_reorgs: BTreeMap<Arc<str>, ReorgAcc>,
    /// DXF task id → job, learned from lines that name both (or name one right after the other).
    task_jobs: HashMap<i64, JobKey>,
    starts: Vec<ServerStart>,
    owner_events: Ends,
    unattributed: BTreeMap<EventKind, Ends>,
    end_of_logs: Option<Timestamp>,
}

impl TimelineBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one event of a job stored in `store` (see [`JobTimeline::store`]).
    pub fn push(&mut self, ev: Event, store: Option<Arc<str>>) {
        self.end_of_logs = max_ts(self.end_of_logs, ev.ts);
        match ev.kind {
            EventKind::ServerStart => {
                self.starts.push(ServerStart {
                    instance: ev.instance.to_string(),
                    version: match &ev.detail {
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
                    self.task_jobs.entry(t).or_insert_with(|| key.clone());
                }
                self.jobs.entry(key).or_default().push(ev);
            }
            None => self.unattributed.entry(ev.kind).or_default().push(ev),
        }
    }

    /// The last resort of failure-families §1 rule 10: when the logs hold exactly one DXF task id
    /// that no line ties to a job, and exactly one unfinished reorg job without a task of its
    /// own was running when that task's lines began, the task is that job's. Anything less
    /// certain (two tasks, two reorg jobs) links nothing.
    fn link_only_task_to_only_reorg(&mut self) {
        let mut unlinked: HashMap<i64, Option<Timestamp>> = HashMap::new();
        for ends in self.unattributed.values() {
            for ev in &ends.kept {
                if let Some(t) = ev.task_id.filter(|t| !self.task_jobs.contains_key(t)) {
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
            .filter(|(_, acc)| {
                acc.task_id.is_none()
                    && acc.task_key.is_none()
                    && acc.job_type.as_deref().is_some_and(is_reorg_type)
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
            self.task_jobs.insert(task, key);
        }
    }

    /// Records that a DXF task id belongs to a job (learned by the per-file correlator).
    pub fn link_task(&mut self, task_id: i64, job: JobKey) {
        self.task_jobs.entry(task_id).or_insert(job);
    }

    /// Notes the time of the last line of a file, so that "end of logs" covers quiet tails.
    pub fn saw_time(&mut self, ts: Option<Timestamp>) {
        self.end_of_logs = max_ts(self.end_of_logs, ts);
    }

    /// Merges another builder (built from other files) into this one.
    pub fn merge(&mut self, other: TimelineBuilder) {
        for (k, acc) in other.jobs {
            match self.jobs.get_mut(&k) {
                Some(mine) => mine.merge(acc),
                None => {
                    self.jobs.insert(k, acc);
                }
            }
        }
        for (t, j) in other.task_jobs {
            self.task_jobs.entry(t).or_insert(j);
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
        self.starts.extend(other.starts);
        self.owner_events.merge(other.owner_events);
        for (k, e) in other.unattributed {
            self.unattributed.entry(k).or_default().merge(e);
        }
        self.end_of_logs = max_ts(self.end_of_logs, other.end_of_logs);
    }

    /// Finishes: every job's events in time order, outcome decided.
    pub fn finish(mut self) -> Timelines {
        // Attribute task events that named only a task id, now that every file's links are known.
        self.link_only_task_to_only_reorg();
        let mut unattributed: Vec<Event> = Vec::new();
        for (_, ends) in std::mem::take(&mut self.unattributed) {
            for mut ev in ends.kept {
                let task = ev.task_id.or_else(|| task_in_path(&ev, &self.task_jobs));
                match task.and_then(|t| self.task_jobs.get(&t)).cloned() {
                    Some(key) => {
                        ev.job_id = Some(key.id);
                        self.jobs.entry(key).or_default().push(ev);
                    }
                    None => unattributed.push(ev),
                }
            }
        }
        unattributed.sort_by_key(order_key);
        // Jobs seen without a store merge into the one store-keyed job with that id, if unique.
        let loose: Vec<JobKey> = self
            .jobs
            .keys()
            .filter(|k| k.store.is_none())
            .cloned()
            .collect();
        for k in loose {
            let owners: Vec<JobKey> = self
                .jobs
                .keys()
                .filter(|o| o.id == k.id && o.store.is_some())
                .cloned()
                .collect();
            if let [only] = owners.as_slice() {
                let acc = self.jobs.remove(&k).expect("key listed above");
                self.jobs
                    .get_mut(only)
                    .expect("key listed above")
                    .merge(acc);
            }
        }
        let tasks = finish_tasks(std::mem::take(&mut self.tasks), &self.task_jobs);
        let anonymous_reorgs = std::mem::take(&mut self.anonymous_reorgs)
            .into_iter()
            .filter_map(|(instance, acc)| acc.finish(&instance))
            .collect();
        let mut jobs: Vec<JobTimeline> = self
            .jobs
            .into_iter()
            .map(|(k, acc)| acc.finish(k))
            .collect();
        jobs.sort_by(|a, b| {
            a.first_seen
                .cmp(&b.first_seen)
                .then_with(|| a.job_id.cmp(&b.job_id))
                .then_with(|| a.store.cmp(&b.store))
        });
        self.starts
            .sort_by(|a, b| ev_key(&a.evidence).cmp(&ev_key(&b.evidence)));
        Timelines {
            jobs,
            tasks,
            anonymous_reorgs,
            cluster: Cluster {
                starts: self.starts,
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
            if let Detail::Store(store) = &ev.detail {
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
                self.builder.link_task(task_id, key);
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
                    self.builder.link_task(task_id, key);
                }
            }
        }
        // A job is in its reorg when its job string says so (a queued job's submission line
        // names a reorg type but is not in reorg yet), or when a line names its DXF task key
        // (`ddl/backfill/<job>` exists only while a reorg runs).
        let in_reorg = ev.job.as_ref().is_some_and(|j| {
            is_reorg_type(&j.job_type)
                && j.state == "running"
                && j.schema_state.contains("reorganization")
        }) || (ev.task_key.is_some() && ev.job_id.is_some());
        if in_reorg {
            if let Some(job) = ev.job_id {
                self.reorg_jobs.retain(|(j, _)| *j != job);
                self.reorg_jobs.push((job, ev.ts));
                if self.reorg_jobs.len() > 4 {
                    self.reorg_jobs.remove(0);
                }
            }
        }
        if ev.job_id.is_none() && ev.kind == EventKind::ReorgProgress {
            // Before master, `run reorg job done` / `run reorg job wait timeout` name no job: they
            // belong to the job in reorg on this instance — when exactly one is (failure-families
            // §1 rule 12); with two in reorg at once the line is nobody's.
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
    tasks
        .keys()
        .copied()
        .filter(|id| err.contains(&format!("/{id}/")))
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
    id: Option<i64>,
    key: Option<String>,
    task_type: Option<String>,
    by_kind: BTreeMap<EventKind, Ends>,
    errors: HashMap<String, Span>,
    instances: BTreeMap<Arc<str>, ()>,
    first_seen: Option<Timestamp>,
    last_seen: Option<Timestamp>,
    /// Step and state changes in time order: (time, `from->to`).
    steps: Vec<(Option<Timestamp>, String)>,
    /// The last state a line gave, by time.
    state: Option<(Option<Timestamp>, String)>,
}

impl TaskAcc {
    fn push(&mut self, ev: &Event) {
        self.id = self.id.or(ev.task_id);
        if self.key.is_none() {
            self.key = ev.task_key.clone();
        }
        if self.task_type.is_none() {
            self.task_type = ev.task_type.clone().or_else(|| {
                ev.task_key.as_deref().and_then(|k| {
                    if k.starts_with("ImportInto/") {
                        Some("ImportInto".to_string())
                    } else if k.contains("ddl/backfill/") {
                        Some("backfill".to_string())
                    } else {
                        None
                    }
                })
            });
        }
        self.instances.insert(Arc::clone(&ev.instance), ());
        self.first_seen = min_ts(self.first_seen, ev.ts);
        self.last_seen = max_ts(self.last_seen, ev.ts);
        // `cannot get task` is DDL's lookup of a task already moved to history, not the task's
        // own error.
        if let Some(err) = ev
            .error
            .as_deref()
            .filter(|_| ev.kind != EventKind::CannotGetTask)
        {
            add_error(&mut self.errors, err, &ev.evidence);
        }
        let state = match (&ev.kind, &ev.detail) {
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
            if self.state.as_ref().is_none_or(|(t, _)| *t <= ev.ts) {
                self.state = Some((ev.ts, st));
            }
        }
        self.by_kind.entry(ev.kind).or_default().push(ev.clone());
    }

    fn note_step(&mut self, ts: Option<Timestamp>, step: String) {
        if self.steps.len() < MAX_TASK_STEPS && !self.steps.iter().any(|(_, s)| *s == step) {
            let pos = self.steps.partition_point(|(t, _)| *t <= ts);
            self.steps.insert(pos, (ts, step));
        }
    }

    fn merge(&mut self, o: TaskAcc) {
        self.id = self.id.or(o.id);
        if self.key.is_none() {
            self.key = o.key;
        }
        if self.task_type.is_none() {
            self.task_type = o.task_type;
        }
        for (k, ends) in o.by_kind {
            self.by_kind.entry(k).or_default().merge(ends);
        }
        merge_errors(&mut self.errors, o.errors);
        self.instances.extend(o.instances);
        self.first_seen = min_ts(self.first_seen, o.first_seen);
        self.last_seen = max_ts(self.last_seen, o.last_seen);
        for (t, s) in o.steps {
            self.note_step(t, s);
        }
        if let Some((t, st)) = o.state {
            if self.state.as_ref().is_none_or(|(mine, _)| *mine <= t) {
                self.state = Some((t, st));
            }
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
                    if let Some(by_key) = self.tasks.remove(&TaskIdent::Key(k.clone())) {
                        self.tasks
                            .entry(TaskIdent::Id(id))
                            .or_default()
                            .merge(by_key);
                    }
                }
                TaskIdent::Id(id)
            }
            (None, Some(k)) => {
                let known = self
                    .tasks
                    .iter()
                    .find(|(i, t)| matches!(i, TaskIdent::Id(_)) && t.key.as_deref() == Some(k))
                    .map(|(i, _)| i.clone());
                known.unwrap_or_else(|| TaskIdent::Key(k.clone()))
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
    let mut by_key: HashMap<String, TaskIdent> = HashMap::new();
    for (i, t) in &tasks {
        if let (TaskIdent::Id(_), Some(k)) = (i, &t.key) {
            by_key.entry(k.clone()).or_insert_with(|| i.clone());
        }
    }
    for i in key_only {
        let TaskIdent::Key(k) = &i else { continue };
        // The id-task of the same key; failing that, the one id-task linked to the key's job
        // (`task not resumable [taskKey]` then `task reverted [task-id]`: no line names both).
        let target = by_key.get(k).cloned().or_else(|| {
            let job = crate::event::extract::job_id_from_task_key(k)?;
            let linked: Vec<&TaskIdent> = tasks
                .keys()
                .filter(|t| matches!(t, TaskIdent::Id(id) if task_jobs.get(id).is_some_and(|j| j.id == job)))
                .collect();
            match linked[..] {
                [only] => Some(only.clone()),
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
            let job_id = acc
                .key
                .as_deref()
                .and_then(crate::event::extract::job_id_from_task_key)
                .or_else(|| acc.id.and_then(|id| task_jobs.get(&id)).map(|k| k.id));
            let mut events: Vec<Event> = Vec::new();
            let mut event_counts = BTreeMap::new();
            for (kind, ends) in &acc.by_kind {
                event_counts.insert(*kind, ends.count);
                events.extend(ends.kept.iter().cloned());
            }
            events.sort_by_key(order_key);
            let mut errors = to_stats(acc.errors);
            errors.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)));
            TaskTimeline {
                task_id: acc.id,
                task_key: acc.key,
                task_type: acc.task_type,
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
