//! Typed DDL / DXF events: what a record *means* for a DDL job.
//!
//! The mapping from TiDB's message spellings to [`EventKind`] is data ([`vocab::VOCAB`]): a new
//! spelling in a new TiDB version is one new table row, not a new code path.

use std::sync::Arc;

use serde::Serialize;

pub use crate::model::Evidence;
use crate::model::{JobState, Timestamp};

pub mod export;
pub mod extract;
pub mod jobstr;
pub mod signal;
pub mod vocab;

pub use export::Exported;
pub use extract::to_event;
pub use jobstr::JobInfo;
pub use vocab::lookup;

/// The closed set of things that can happen to a DDL job, its DXF task, or the cluster around it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    // --- job lifecycle (DDL owner) ---
    /// `add DDL jobs`, `start DDL job`, `DDL job submitted`.
    JobSubmitted,
    /// `run DDL job`, `run one job step`: one step of the job state machine starts.
    JobRun,
    /// `run DDL job error`: a step failed; ErrCount was incremented.
    JobError,
    /// `run DDL job failed, sleeps a while then retries it.`: the error was judged retryable.
    JobRetrySleep,
    /// `DDL job error count exceed the limit, cancelling it now` (and the rollback variant).
    ErrorCountExceeded,
    /// `run add index job failed, convert job to rollback` and its siblings.
    ConvertToRollback,
    /// `DDL job is cancelled normally`.
    JobCancelled,
    /// `finish DDL job`: the job reached a final state (`synced`, `rollback done`, `cancelled`).
    JobFinished,
    /// `DDL job is finished` / `DDL job is failed`: the client side stopped waiting.
    JobClientDone,
    /// `handle ddl job failed`, `run job failed`, `transit one job step failed`; also the
    /// `..., RemoveDDLReorgHandle failed, can't convert job to rollback` lines (the conversion did
    /// not happen, the step is retried).
    JobStepFailed,
    // --- schema sync / MDL ---
    /// `wait latest schema version changed...`, `wait schema version synced success`.
    SchemaVersionSynced,
    /// `syncer check all versions, someone is not synced`, and the owner's `wait latest schema
    /// version encounter error` / `wait schema version synced encounter error`.
    SchemaVersionNotSynced,
    /// `mdl gets lock, update to owner` and renames.
    MdlLock,
    /// `update self version failed`, `etcd-cli put kv failed`: an instance could not publish its schema version.
    SchemaVersionUpdateFailed,
    /// `old running transaction block DDL`: a transaction opened under an older schema version
    /// still holds the metadata lock of a table the job changes (`connection ID`, `elapsed time`).
    MdlHeldByTxn,
    /// `full load InfoSchema success`: an instance rebuilt its whole InfoSchema (how long it took).
    SchemaFullLoad,
    // --- waiting for another job ---
    /// `current DDL job depends on other job`: the job waits for an earlier job on the same object.
    JobDependsOn,
    /// `ingest backfill worker is already in used by another DDL job` (v7.6): the one ingest
    /// slot is taken by the job it names, so a queued ADD INDEX waits.
    IngestSlotTaken,
    // --- reorg / backfill ---
    /// `run reorg job done` / `run reorg job wait timeout` / `handled rows`: row-count progress.
    ReorgProgress,
    /// `index backfill state running`, `start to add table index`, `run add index job`.
    BackfillStarted,
    /// ingest backend lines (`create local backend for adding index`, ...).
    IngestBackend,
    /// an error inside the ingest / backfill machinery that is not yet a job error: backfill
    /// worker errors and ingest failures (`build ingest backend failed`, `close writer error`, ...).
    BackfillError,
    /// `available disk space is less than 10%, cannot use ingest mode`: the ingest environment
    /// check found the sort directory's disk almost full (v7.6+; the job then fails with
    /// `[ddl:8256]Check ingest environment failed: no enough space in <dir>`).
    IngestDiskLow,
    /// `allocate memory failed`: the ingest memory quota (the backend's `max memory quota`,
    /// half of the instance's memory) was used up while building an engine or a writer.
    IngestMemoryExhausted,
    /// `finish a index ingest task`: an ingest operator reported one of its tasks done.
    IngestTaskFinished,
    /// `meet error and handle the job later` (≤v8.5) / `meet retryable error when ingesting,
    /// will handle the job later` (master): lightning put a region's ingest back to retry it.
    IngestRegionRetry,
    /// The steps of a DXF / ingest backfill as the executors log them (`read index executor
    /// init subtask exec env`, `cloud import executor init subtask exec env`, `import engine
    /// success`, ...): where one phase starts or ends.
    BackfillPhase,
    // --- DXF task ---
    /// `adjusted add-index task concurrency`: DDL submitted a DXF task for the job.
    TaskSubmitted,
    /// `task not resumable`.
    TaskNotResumable,
    /// `task reverted` / `global task reverted`.
    TaskReverted,
    /// `task paused` / `global task paused`.
    TaskPaused,
    /// `pause the job successfully` / `pause user DDL by system successful` (TiDB pausing user
    /// DDL during a smooth upgrade), `job paused by user`: the job was paused.
    JobPaused,
    /// `normal cluster state, resume the job failed`: after an upgrade TiDB could not resume a
    /// job it had paused.
    JobResumeFailed,
    /// `resume checkpoint`: an ingest reorg resumed from its checkpoint; the detail names the
    /// instance that wrote the checkpoint and the one resuming it.
    CheckpointResumed,
    /// `cannot get task` (row-count refresh of a task already in history).
    CannotGetTask,
    /// `task state transform`, `schedule task`, `switch to next step` ..., and the DDL side's
    /// `task succeed, start to resume the ddl job`.
    TaskStateChange,
    /// `subtasks encounter errors`.
    SubtasksEncounterErrors,
    /// `onError`, `subtask failed`, `update error to subtask`, `failed one subtask succeed`, and the
    /// executor's step-failed lines (`execute task step failed`, ...).
    SubtaskError,
    /// `meet retryable error` / `met retryable error`.
    TaskRetryableError,
    /// `meet un-retryable error`: a lower layer gave up on an error.
    UnretryableError,
    /// `open new s3 reader failed` / `read all data failed`: a global-sort read of external
    /// storage failed (the `file` field holds the object key `<id>/<subtask>/...`).
    ExternalStorageError,
    /// `found hotspot file in getFilesReadConcurrency` (v8.1+, lightning/backend/external
    /// engine.go): a global-sort reader planning its concurrency for a large sort file. No
    /// error; it says a global-sort ingest or merge is reading, and its `filename` holds the
    /// object key `<id>/<subtask>/...` that names the task when no other line does.
    GlobalSortRead,
    /// `generate plan failed` / `generate part of subtasks failed`.
    GeneratePlanFailed,
    /// `task manager met error`.
    TaskManagerError,
    // --- cluster ---
    /// `Welcome to TiDB.`: a TiDB process (re)started.
    ServerStart,
    /// `got signal to exit`: a TiDB process was asked to stop (SIGTERM, SIGINT, ...): the start
    /// of a graceful shutdown.
    ServerStop,
    /// `new domain`: a store was opened (unit tests open many).
    NewDomain,
    /// `get owner` / `become owner` / `start campaign owner`.
    OwnerElected,
    /// `retire owner`, `resign ddl owner success`, `is not the owner`.
    OwnerRetired,
}

/// For the vocabulary's tests that read `../shared`: without it they fail under CI (`CI` set),
/// and elsewhere say loudly that they checked nothing, never pass in silence.
#[cfg(test)]
pub(crate) fn shared_missing(test: &str, path: &std::path::Path) {
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!(
            "{} not found: {test} needs ../shared, and CI is set",
            path.display()
        );
    }
    eprintln!(
        "SKIPPED: {} not found next to the checkout; {test} checked nothing",
        path.display()
    );
}

/// What an event says that only its kind has, typed so that no later stage parses it back out
/// of a string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Detail {
    #[default]
    None,
    /// Owner lines: the owner's id (`ownerID`, or the end of `owner info`), and the id of the
    /// instance that wrote the line (the end of `owner info`, master's `id`), when it says.
    Owner { id: String, me: Option<String> },
    /// `Welcome to TiDB`: the `Release Version` field, verbatim (`v7.6.0`, `None`).
    Release(String),
    /// `new domain`: the store id (unit-test logs open many).
    Store(String),
    /// `start DDL job` / `DDL job submitted`: the SQL.
    /// Shared (`Arc`) with the job's timeline, which keeps the same text as the job's query.
    Query(Arc<str>),
    /// `index backfill state running`: what the backfill works on, when the line names it.
    Backfill {
        table: Option<String>,
        index: Option<String>,
        /// The `ingest mode` field (`true`/`false`).
        ingest: Option<String>,
    },
    /// `task state transform`: the DXF task's state change.
    TaskTransition { from: String, to: String },
    /// `switch to next step` and kin: the DXF task's step change.
    TaskStep { from: String, to: String },
    /// `schedule task` / `execute one task`: the task's state.
    TaskState(String),
    /// `backfill worker exit on error` and the ingest failures: the worker that failed
    /// (`backfill-worker 1, tp merge temporary index`) and the index, when the line names them.
    BackfillFailure {
        worker: Option<String>,
        index_id: Option<i64>,
    },
    /// `allocate memory failed`: the backend's memory use and quota, in bytes.
    Memory {
        usage: Option<u64>,
        quota: Option<u64>,
        index_id: Option<i64>,
    },
    /// `available disk space is less than 10%, cannot use ingest mode`: the sort path and the
    /// usage as TiDB printed it (`disk usage: <used>/<capacity>, backend usage: <n>`).
    DiskUsage {
        path: Option<String>,
        usage: Option<String>,
    },
    /// `meet error and handle the job later`: the region job's stage and the stores of its
    /// region's peers.
    RegionRetry {
        stage: Option<String>,
        region: Option<u64>,
        stores: Vec<u64>,
    },
    /// A backfill phase line: which phase, whether it starts or ends there, and the counts an
    /// end line gives (`import engine success` [importedCount] [importedSize]).
    Phase {
        phase: &'static str,
        end: bool,
        kvs: Option<u64>,
        bytes: Option<u64>,
    },
    /// `open new s3 reader failed`: the object key read (`<id>/<subtask>/data/...`).
    ObjectKey(String),
    /// Schema-version lines (the owner's wait, an instance's failed write, a full load).
    /// Boxed: the largest variant by far, it made every event of every job 48 bytes larger.
    SchemaSync(Box<SchemaSync>),
    /// `old running transaction block DDL`: who holds the metadata lock.
    MdlHolder {
        /// `connection ID` (`conn ID` in v6.5).
        conn: Option<String>,
        table_id: Option<i64>,
        /// How long the transaction had been open (`elapsed time`).
        elapsed: Option<chrono::Duration>,
    },
    /// The job another job waits for (`processing job ID`, `dependentJob`).
    Blocker(i64),
    /// `resume checkpoint`: the `previous instance` that wrote the checkpoint and the `current
    /// instance` resuming it (TiDB's `host:port`; empty when the checkpoint is fresh).
    Checkpoint { previous: String, current: String },
    /// A message TiDB writes only once the job reached this state (`DDL job is finished`:
    /// `synced`), for lines without a job string ([`vocab::Spelling::reached`]).
    Reached(JobState),
}

/// What a schema-version line says: which instance, which version, how long.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaSync {
    /// The instance's DDL id (`<uuid>`): from the owner's `info`, or the last segment of an
    /// etcd key (`/tidb/ddl/all_schema_versions/<uuid>`,
    /// `/tidb/ddl/all_schema_by_job_versions/<job>/<uuid>`).
    pub node: Option<String>,
    /// `ip:port` from the owner's `info` (`instance ip 10.0.1.6, port 4000, id <uuid>`).
    pub address: Option<String>,
    /// The version waited for, written or loaded (`ver`, `latestVer`, `value`,
    /// `neededSchemaVersion`, `version`).
    pub version: Option<i64>,
    /// The version the instance is at (`currentVer`, `oldSchemaVersion`, `currentSchemaVersion`).
    pub current: Option<i64>,
    /// `take time` (the owner's wait), `start time` / `elapsed time` (a load).
    pub took: Option<chrono::Duration>,
    /// The etcd key of a failed write (`key`) or of a lagging version (`ddl`).
    pub key: Option<String>,
}

impl Detail {
    /// The task state an event moves a DXF task to, when it says.
    pub fn task_state_to(&self) -> Option<&str> {
        match self {
            Detail::TaskTransition { to, .. } => Some(to),
            Detail::TaskState(s) => Some(s),
            _ => None,
        }
    }

    /// The job state an event proves the job reached, when its kind says so.
    pub fn reached(&self) -> Option<&JobState> {
        match self {
            Detail::Reached(s) => Some(s),
            _ => None,
        }
    }

    /// The owner id of an owner line.
    pub fn owner(&self) -> Option<&str> {
        match self {
            Detail::Owner { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The id of the instance that wrote an owner line, when the line says.
    pub fn me(&self) -> Option<&str> {
        match self {
            Detail::Owner { me, .. } => me.as_deref(),
            _ => None,
        }
    }

    /// The schema-version facts of a schema-sync line.
    pub fn sync(&self) -> Option<&SchemaSync> {
        match self {
            Detail::SchemaSync(s) => Some(&**s),
            _ => None,
        }
    }

    /// The detail as one short phrase for summaries and the event export (`running->reverting`,
    /// `step init->read-index`, `table=t index=i ingest=true`); `None` when there is none.
    pub fn summary(&self) -> Option<String> {
        match self {
            Detail::None => None,
            Detail::Owner { id, .. } => Some(id.clone()),
            Detail::Release(s) | Detail::Store(s) | Detail::ObjectKey(s) => Some(s.clone()),
            Detail::Query(s) => Some(s.to_string()),
            Detail::Backfill {
                table,
                index,
                ingest,
            } => {
                let parts: Vec<String> = [("table", table), ("index", index), ("ingest", ingest)]
                    .iter()
                    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
                    .collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            }
            Detail::TaskTransition { from, to } => Some(format!("{from}->{to}")),
            Detail::TaskStep { from, to } => Some(format!("step {from}->{to}")),
            Detail::TaskState(s) => Some(format!("state={s}")),
            Detail::BackfillFailure { worker, index_id } => {
                let mut parts = Vec::new();
                if let Some(w) = worker {
                    parts.push(format!("worker={w}"));
                }
                if let Some(i) = index_id {
                    parts.push(format!("index={i}"));
                }
                (!parts.is_empty()).then(|| parts.join(" "))
            }
            Detail::Memory { usage, quota, .. } => Some(format!(
                "usage={} quota={}",
                usage.map_or("?".into(), |v| v.to_string()),
                quota.map_or("?".into(), |v| v.to_string())
            )),
            Detail::DiskUsage { path, usage } => Some(
                format!(
                    "path={} {}",
                    path.as_deref().unwrap_or("?"),
                    usage.as_deref().unwrap_or("")
                )
                .trim_end()
                .to_string(),
            ),
            Detail::RegionRetry {
                stage,
                region,
                stores,
            } => Some(format!(
                "stage={} region={} stores={:?}",
                stage.as_deref().unwrap_or("?"),
                region.map_or("?".into(), |r| r.to_string()),
                stores
            )),
            Detail::Phase {
                phase,
                end,
                kvs,
                bytes,
            } => {
                let mut s = format!("{phase} {}", if *end { "end" } else { "start" });
                if let Some(k) = kvs {
                    s.push_str(&format!(" kvs={k}"));
                }
                if let Some(b) = bytes {
                    s.push_str(&format!(" bytes={b}"));
                }
                Some(s)
            }
            Detail::SchemaSync(s) => {
                let mut parts = Vec::new();
                if let Some(n) = &s.node {
                    parts.push(format!("node={n}"));
                }
                if let Some(a) = &s.address {
                    parts.push(format!("address={a}"));
                }
                if let Some(c) = s.current {
                    parts.push(format!("current={c}"));
                }
                if let Some(v) = s.version {
                    parts.push(format!("version={v}"));
                }
                if let Some(t) = s.took {
                    parts.push(format!("took={}ms", t.num_milliseconds()));
                }
                (!parts.is_empty()).then(|| parts.join(" "))
            }
            Detail::MdlHolder {
                conn,
                table_id,
                elapsed,
            } => {
                let mut parts = Vec::new();
                if let Some(c) = conn {
                    parts.push(format!("conn={c}"));
                }
                if let Some(t) = table_id {
                    parts.push(format!("table_id={t}"));
                }
                if let Some(e) = elapsed {
                    parts.push(format!("elapsed={}ms", e.num_milliseconds()));
                }
                (!parts.is_empty()).then(|| parts.join(" "))
            }
            Detail::Blocker(j) => Some(format!("blocker={j}")),
            Detail::Checkpoint { previous, current } => {
                Some(format!("previous={previous} current={current}"))
            }
            Detail::Reached(s) => Some(s.to_string()),
        }
    }
}

/// An event's [`Detail`]: boxed, and no allocation at all for [`Detail::None`]. Most kept
/// events (a job's own lines) carry none, and inline the enum was 72 of an event's 312 bytes;
/// without it an event and its `Arc` fit mimalloc's 256-byte class instead of the 384-byte one
/// (a third of a job's memory is its kept events, measured). Reads as a `&Detail` (`Deref`):
/// `match &*ev.detail { Detail::Phase { .. } => … }`.
#[derive(Clone, PartialEq, Default)]
pub struct Details(Option<Box<Detail>>);

impl std::ops::Deref for Details {
    type Target = Detail;
    fn deref(&self) -> &Detail {
        static NONE: Detail = Detail::None;
        self.0.as_deref().unwrap_or(&NONE)
    }
}

impl From<Detail> for Details {
    fn from(d: Detail) -> Self {
        match d {
            Detail::None => Details(None),
            d => Details(Some(Box::new(d))),
        }
    }
}

impl std::fmt::Debug for Details {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// One typed event, with the fields rules care about already extracted.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    pub ts: Option<Timestamp>,
    /// The TiDB instance whose log held the line.
    pub instance: Arc<str>,
    /// The job this event is about, from whichever key spelled it (`jobID`, `"job ID"`, job string, task key).
    pub job_id: Option<i64>,
    /// The parsed `job="..."` string, when the line carried one. Boxed: it is half an event's
    /// size, most events have none, and timelines keep events for every job.
    pub job: Option<Box<JobInfo>>,
    pub task_id: Option<i64>,
    pub task_key: Option<Box<str>>,
    /// The DXF task type (`task-type` / `type` field: `backfill`, `ImportInto`).
    pub task_type: Option<Box<str>>,
    /// The error text, from `error`/`err`/`subtask-err`...
    pub error: Option<Box<str>>,
    /// Row count reported by progress lines.
    pub rows: Option<u64>,
    /// The record's message as the log wrote it (category prefix split off): what the
    /// vocabulary matched, kept so that later stages never parse the raw line again.
    /// Borrowed from the vocabulary when it is the spelling's text (nearly always): one
    /// allocation less for every kept event.
    pub message: std::borrow::Cow<'static, str>,
    /// What this kind of event says besides the common fields.
    pub detail: Details,
    pub evidence: Evidence,
}
