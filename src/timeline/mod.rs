//! Events → one bounded timeline per DDL job, merged across instances.
//!
//! A job retried 10,000 times must not hold 10,000 events: a timeline keeps every state
//! change, the first and last [`KEEP_PER_KIND`] events of each kind, and counts for the rest,
//! so memory grows with the number of jobs, not with the size of the logs.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::event::{Event, EventKind, Evidence};
use crate::model::{JobState, Timestamp};

mod build;
mod pool;
pub use build::{
    is_final, FileCorrelator, JobKey, TimelineBuilder, DROPPED_ERRORS, DROPPED_INSTANCES,
    DROPPED_STARTS, DROPPED_STATES, DROPPED_STEPS, DROPPED_TASK_ERRORS, KEEP_STARTS_PER_INSTANCE,
    MAX_DISTINCT_ERRORS, MAX_INSTANCES_PER_JOB, MAX_STATE_PAIRS,
};

/// How many events of one kind a timeline keeps at each end (first N, last N).
pub const KEEP_PER_KIND: usize = 8;

/// One change of the job's (state, schema state).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StatePoint {
    pub state: JobState,
    #[schemars(with = "String")]
    pub schema_state: Box<str>,
    pub evidence: Evidence,
}

/// One distinct error text seen for a job, with how often and when.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ErrorStat {
    pub text: String,
    pub count: u64,
    pub first: Evidence,
    pub last: Evidence,
}

/// The moment DDL gave up on the job and started rolling it back.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RollbackPoint {
    /// The error TiDB gave for the conversion (the `error` field, else the job string's `Err:`).
    pub error: Option<String>,
    /// ErrCount in the job string of the conversion line.
    pub err_count: Option<u64>,
    /// Which message announced it (`run add index job failed, convert job to rollback`, ...).
    pub message: String,
    pub evidence: Evidence,
}

/// A point of the ErrCount curve.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ErrCountPoint {
    pub err_count: u64,
    pub evidence: Evidence,
}

/// The DXF (distributed execution framework) task that ran the job's backfill.
#[derive(Debug, Clone, PartialEq, Default, Serialize, schemars::JsonSchema)]
pub struct DistTask {
    pub task_id: Option<i64>,
    /// `ddl/backfill/<job>[/<seq>]`.
    pub task_key: Option<String>,
    /// How many `task reverted` / `global task reverted` lines.
    pub reverted: u64,
    pub not_resumable: u64,
    pub paused: u64,
    /// Errors the task reported (revert errors, subtask errors), with counts.
    pub errors: Vec<ErrorStat>,
}

/// Everything the logs say about one DDL job, all instances merged, in time order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobTimeline {
    pub job_id: i64,
    /// The store (`new domain` store id) the job belongs to, when the logs hold several stores
    /// (unit-test logs open a fresh store per test, so job ids repeat).
    /// Shared with the job's key (`Arc`): a copy a job.
    pub store: Option<Arc<str>>,
    pub job_type: Option<String>,
    pub schema_id: Option<i64>,
    pub table_id: Option<i64>,
    pub table: Option<String>,
    pub index: Option<String>,
    /// Shared with the submission line's event (`Detail::Query`): one copy of the SQL a job.
    pub query: Option<Arc<str>>,
    /// TiDB's own state at the end of the logs (`running` when no job string said).
    pub outcome: JobState,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// Every change of (state, schema state), in time order.
    pub states: Vec<StatePoint>,
    pub max_err_count: u64,
    /// ErrCount whenever it changed (bounded like events: first and last points kept).
    pub err_counts: Vec<ErrCountPoint>,
    /// Distinct errors, most frequent first.
    pub errors: Vec<ErrorStat>,
    pub rollback: Option<Box<RollbackPoint>>,
    /// The `finish DDL job` line, when seen.
    pub finished: Option<Evidence>,
    pub dist_task: Option<Box<DistTask>>,
    /// Instances whose logs mention the job, sorted. Shared with the events (`Arc`).
    pub instances: Vec<Arc<str>>,
    /// The last row count reported, and when.
    pub rows: Option<(u64, Evidence)>,
    /// `ingest`, `txn`, `txn-merge`, `dxf`, `dxf+global-sort`, when visible.
    pub backfill_mode: Option<String>,
    /// The last time the job made progress: a state change, a row-count increase, a finish.
    pub last_progress: Option<Timestamp>,
    /// Kept events (bounded), in time order. Still in the `Arc`s they were gathered in: moving
    /// them out at the end freed and reallocated every kept event, and the freed blocks shared
    /// their pages with the job strings that stay, so none of it was reused (1.5 KiB a job of
    /// resident memory at 100k jobs, measured).
    pub events: Vec<Arc<Event>>,
    /// How many events of each kind were seen in total (kept or not). A sorted `Vec`
    /// (litemap): a B-tree node for a job's two or three kinds was larger than its events.
    pub event_counts: litemap::LiteMap<EventKind, u64>,
    /// What the per-job bounds left out, by what it was (`build::DROPPED_*`), with counts:
    /// empty unless the logs held more than a real job produces.
    pub dropped: BTreeMap<&'static str, u64>,
}

impl JobTimeline {
    /// Total events of `kind` seen for this job.
    pub fn count(&self, kind: EventKind) -> u64 {
        self.event_counts.get(&kind).copied().unwrap_or(0)
    }

    /// Kept events, in time order, as `&Event` (they are held in `Arc`s).
    pub fn kept_events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().map(|e| &**e)
    }

    /// Kept events of `kind`, in time order.
    pub fn events_of(&self, kind: EventKind) -> impl Iterator<Item = &Event> {
        self.kept_events().filter(move |e| e.kind == kind)
    }

    /// True when the job ended in (or is heading to) a rollback.
    pub fn rolled_back(&self) -> bool {
        self.rollback.is_some() || self.outcome.is_rollback()
    }

    /// True when the logs end before the job reached a final state.
    pub fn unfinished(&self) -> bool {
        !self.outcome.is_finished()
    }
}

/// Things the logs say about the cluster rather than one job.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cluster {
    /// `Welcome to TiDB` lines: (instance, version, evidence), in time order; per instance the
    /// first and last [`build::KEEP_STARTS_PER_INSTANCE`]. The version is `Release Version`.
    pub starts: Vec<ServerStart>,
    /// Owner elections and retirements, and shutdown signals (`got signal to exit`), in time
    /// order (bounded).
    pub owner_events: Vec<Event>,
    /// DXF and other events that could not be tied to any job (bounded).
    pub unattributed: Vec<Event>,
    /// The latest timestamp seen in any log: "now" for stall detection.
    pub end_of_logs: Option<Timestamp>,
    /// What the cluster-wide bounds left out (`build::DROPPED_STARTS`), with counts.
    pub dropped: BTreeMap<&'static str, u64>,
}

/// A TiDB process start.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerStart {
    pub instance: String,
    pub version: Option<String>,
    pub evidence: Evidence,
    /// First start, or a restart after a graceful or an abrupt end: decided once every file is
    /// read (see `analyze`), because it depends on the instance's earlier lines.
    pub kind: StartKind,
}

/// What a `Welcome to TiDB` line means for its instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartKind {
    /// The instance's logs begin here (no earlier line of the instance): a start, not a fault.
    #[default]
    First,
    /// The instance had logged before: the process was restarted. `graceful` when the previous
    /// process logged `got signal to exit` or resigned the DDL owner before this start; else it
    /// ended abruptly (killed, OOM, crashed).
    Restart { graceful: bool },
}

impl ServerStart {
    /// True for a restart (not the instance's first start).
    pub fn is_restart(&self) -> bool {
        matches!(self.kind, StartKind::Restart { .. })
    }
}

impl Cluster {
    /// The TiDB release version, when every start line that names one agrees (else the newest).
    ///
    /// `"Release Version"=None` (a build without version information) names no version.
    pub fn tidb_version(&self) -> Option<&str> {
        self.starts
            .iter()
            .rev()
            .filter_map(|s| s.version.as_deref())
            .find(|v| !v.is_empty() && *v != "None")
    }
}

/// A DXF task (`ddl/backfill/<job>`, `ImportInto/<id>`): a subject of its own, because IMPORT
/// INTO tasks and task-only excerpts have no DDL job string at all.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskTimeline {
    pub task_id: Option<i64>,
    pub task_key: Option<String>,
    /// `backfill`, `ImportInto`, as the lines name it (or the key implies).
    pub task_type: Option<String>,
    /// The DDL job it runs for: from the key, or a line that tied its id to a job.
    pub job_id: Option<i64>,
    /// The last state a line gave (`running`, `reverting`, `reverted`, `failed`, `succeed`...).
    pub state: Option<String>,
    /// Step and state transitions in time order (`init->read-index`, `running->reverting`).
    pub steps: Vec<String>,
    /// Errors its lines carried, most frequent first.
    pub errors: Vec<ErrorStat>,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub instances: Vec<String>,
    /// Kept events (bounded like a job's), in time order.
    pub events: Vec<Event>,
    pub event_counts: BTreeMap<EventKind, u64>,
    /// What the per-task bounds left out (`build::DROPPED_*`), with counts.
    pub dropped: BTreeMap<&'static str, u64>,
}

impl TaskTimeline {
    /// `ImportInto/150005`, `ddl/backfill/491`, or `task 30001` when only the id is known.
    pub fn name(&self) -> String {
        match (&self.task_key, self.task_id) {
            (Some(k), _) => k.clone(),
            (None, Some(id)) => format!("task {id}"),
            (None, None) => "a DXF task".to_string(),
        }
    }

    /// Total events of `kind` seen for this task.
    pub fn count(&self, kind: EventKind) -> u64 {
        self.event_counts.get(&kind).copied().unwrap_or(0)
    }
    /// The kept events of `kind`, in time order.
    pub fn events_of(&self, kind: EventKind) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(move |e| e.kind == kind)
    }
}

/// Reorg progress that names no job (`run reorg job wait timeout` before master): a reorg is
/// running on that instance even when no job string made it into the logs.
#[derive(Debug, Clone, PartialEq)]
pub struct AnonymousReorg {
    pub instance: String,
    pub lines: u64,
    pub first_rows: u64,
    pub last_rows: u64,
    pub first: Evidence,
    pub last: Evidence,
}

/// The output of the timeline stage: what the rules read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timelines {
    /// Jobs ordered by first appearance, then id.
    pub jobs: Vec<JobTimeline>,
    /// DXF tasks ordered by first appearance.
    pub tasks: Vec<TaskTimeline>,
    /// Id-less reorg progress that no job could be tied to, per instance.
    pub anonymous_reorgs: Vec<AnonymousReorg>,
    pub cluster: Cluster,
}

impl Timelines {
    /// The DDL job a DXF task runs for, when the logs tie the task to one and hold that job.
    pub fn job_of(&self, task: &TaskTimeline) -> Option<&JobTimeline> {
        let id = task.job_id?;
        self.jobs.iter().find(|j| j.job_id == id)
    }
}
