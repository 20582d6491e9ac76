//! Diagnosis facts: what is true of each job, computed once, before any rule reads it.
//!
//! Rules phrase findings; they do not re-derive facts. Each fact here is computed from the
//! timelines and the fault windows exactly once per job ([`diagnose`]), so two rules that speak
//! of the same job cannot disagree about its cause, its owner history or its fault overlap, and
//! a finding's `fault_overlap` is set when the rule makes it, never patched in afterwards.
//!
//! * [`errclass`]: the error-class table (transient / permanent / unknown, with the retry lists).
//! * [`cause`]: which error caused a rollback, behind the two traps.
//! * [`known_issues`]: upstream issues by version.
//! * [`owner`]: owner moves and restarts inside a job's life.
//! * [`fault_overlap`]: the job's errors against the cluster's fault windows.
//! * [`ingest_env`]: the job's TiDB-local sort directory, when it is missing, full or broken.

use std::collections::HashMap;

use crate::fault::FaultWindows;
use crate::model::{FaultContext, Version};
use crate::timeline::{JobTimeline, Timelines};

pub mod cause;
pub mod errclass;
pub mod fault_overlap;
pub mod ingest_env;
pub mod known_issues;
pub mod owner;
pub mod retry;
pub mod schema_sync;
pub mod source;

pub use cause::Cause;
pub use owner::{ChangeKind, ForeignResume, OwnerChange, Takeover};
pub use retry::RetryFacts;
pub use schema_sync::{Laggard, SchemaWait, SyncIndex};
pub use source::ErrorSource;

/// What the rules need to know that the logs may not say (the command line's settings).
#[derive(Debug, Clone)]
pub struct Settings {
    /// TiDB's `tidb_ddl_error_count_limit` (`--error-count-limit`, default 512).
    pub error_count_limit: u64,
    /// A running job with no progress for longer than this is stalled (DDL004).
    pub stall_after: chrono::Duration,
    /// The TiDB version (from the logs, else `--tidb-version`).
    pub tidb_version: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            error_count_limit: 512,
            stall_after: chrono::Duration::minutes(10),
            tidb_version: None,
        }
    }
}

/// The facts about one job.
#[derive(Debug, Clone, PartialEq, Default)]
///
/// The facts most jobs do not have are boxed: inline, their `None`s made every job's entry
/// 1,440 bytes (the largest per-job allocation of a 10k-job run, measured with massif).
pub struct JobFacts {
    /// The error that caused its rollback ([`cause::find_cause`]); `None` when it did not roll
    /// back or no error was logged.
    pub cause: Option<Box<Cause>>,
    /// Owner moves and TiDB restarts while it ran, in time order ([`owner::owner_changes`]).
    pub owner_changes: Vec<OwnerChange>,
    /// Its errors against the cluster's fault windows ([`fault_overlap::context_for`]).
    /// Boxed: 80 bytes that most jobs (no error) leave empty, in a value kept per job.
    pub fault_overlap: Option<Box<FaultContext>>,
    /// The component the causing error (else the most frequent error) came from.
    pub source: Option<ErrorSource>,
    /// Retries, the error-count limit and whether a retry could have helped.
    pub retry: RetryFacts,
    /// The owner's latest wait for a schema version of this job ([`schema_sync::job_wait`]).
    pub schema_wait: Option<Box<SchemaWait>>,
    /// The first owner change that moved the job off the instance running it, and how that
    /// instance ended ([`owner::takeover`]).
    pub takeover: Option<Box<Takeover>>,
    /// A `resume checkpoint` of a checkpoint another instance wrote ([`owner::foreign_resume`]).
    pub foreign_resume: Option<Box<ForeignResume>>,
    /// The ingest environment's failure (the sort directory missing, full, unusable), when the
    /// job's errors show one ([`ingest_env::env_fault`]).
    pub ingest_env: Option<Box<ingest_env::EnvFault>>,
}

/// The settings and every job's facts: what each rule reads besides the timelines.
#[derive(Debug, Clone, Default)]
pub struct Diagnosis {
    pub error_count_limit: u64,
    pub stall_after: chrono::Duration,
    /// The version string as given (`--tidb-version`) or logged.
    pub tidb_version: Option<String>,
    /// [`Diagnosis::tidb_version`] parsed; `None` when absent or not a release (`None`, `master`).
    pub version: Option<Version>,
    /// Which instance has which DDL id, and every failed schema-version write.
    pub sync: SyncIndex,
    /// The owner's waits that name no job and could not be tied to one (metadata lock off).
    pub jobless_waits: Vec<SchemaWait>,
    /// One entry per job, in the order of [`Timelines::jobs`].
    jobs: Vec<JobFacts>,
    /// Job id → the first job with that id (ids repeat only across unit-test stores).
    by_id: HashMap<i64, usize>,
    /// (job id, store) → its entry.
    positions: HashMap<(i64, Option<std::sync::Arc<str>>), usize>,
    /// The address of the first timeline of the [`Timelines::jobs`] the facts were made from,
    /// and each entry's job id: [`Diagnosis::of`] finds a job's entry from the address of the
    /// `&JobTimeline` a rule holds, and the id confirms it. The map lookup cloned the store
    /// text for every rule and job (5% of a 300k-job run) and stays only as the fallback.
    base: usize,
    ids: Vec<i64>,
}

/// Computes every job's facts once.
pub fn diagnose(t: &Timelines, windows: &FaultWindows, settings: Settings) -> Diagnosis {
    let limit = settings.error_count_limit;
    let version = settings
        .tidb_version
        .as_deref()
        .or_else(|| t.cluster.tidb_version())
        .and_then(Version::parse);
    let sync = schema_sync::index(t);
    let mut jobs: Vec<JobFacts> = t
        .jobs
        .iter()
        .map(|job| {
            let cause = cause::find_cause(job, limit);
            let source = cause
                .as_ref()
                .map(|c| c.text.as_str())
                .or_else(|| job.errors.first().map(|e| e.text.as_str()))
                .and_then(source::source_of);
            let retry = retry::retry_facts(job, cause.as_ref(), source, limit);
            let owner_changes = owner::owner_changes(job, &t.cluster);
            JobFacts {
                cause: cause.map(Box::new),
                takeover: owner::takeover(job, &t.cluster, &owner_changes).map(Box::new),
                foreign_resume: owner::foreign_resume(job).map(Box::new),
                owner_changes,
                fault_overlap: fault_overlap::context_for(job, windows).map(Box::new),
                source,
                retry,
                schema_wait: schema_sync::job_wait(job, &sync).map(Box::new),
                ingest_env: ingest_env::env_fault(job, &t.cluster).map(Box::new),
            }
        })
        .collect();
    // A wait whose lines name no job (metadata lock off) is the job's when exactly one job
    // was running without a wait of its own and had made its last progress before it began.
    let mut jobless_waits = Vec::new();
    for mut w in schema_sync::jobless_waits(t, &sync) {
        let candidates: Vec<usize> = t
            .jobs
            .iter()
            .enumerate()
            .filter(|(i, j)| {
                jobs[*i].schema_wait.is_none()
                    && matches!(j.outcome, crate::model::JobState::Running)
                    && j.last_progress
                        .or(j.first_seen)
                        .zip(w.first.ts)
                        .is_some_and(|(p, f)| p <= f)
            })
            .map(|(i, _)| i)
            .collect();
        match candidates[..] {
            [only] => {
                w.job_id = Some(t.jobs[only].job_id);
                w.job_inferred = true;
                jobs[only].schema_wait = Some(Box::new(w));
            }
            _ => jobless_waits.push(w),
        }
    }
    let mut by_id = HashMap::with_capacity(t.jobs.len());
    let mut positions = HashMap::with_capacity(t.jobs.len());
    for (i, j) in t.jobs.iter().enumerate() {
        by_id.entry(j.job_id).or_insert(i);
        positions.entry((j.job_id, j.store.clone())).or_insert(i);
    }
    Diagnosis {
        base: t.jobs.as_ptr() as usize,
        ids: t.jobs.iter().map(|j| j.job_id).collect(),
        error_count_limit: settings.error_count_limit,
        stall_after: settings.stall_after,
        tidb_version: settings.tidb_version,
        version,
        sync,
        jobless_waits,
        jobs,
        by_id,
        positions,
    }
}

impl Diagnosis {
    /// The facts of a job of the timelines this diagnosis was made from.
    ///
    /// Looked up by identity (store and id), so a rule holding a `&JobTimeline` gets its own
    /// job's facts also when unit-test stores repeat ids; a job from elsewhere gets no facts.
    pub fn of(&self, job: &JobTimeline) -> &JobFacts {
        static NONE: std::sync::OnceLock<JobFacts> = std::sync::OnceLock::new();
        self.index_of(job)
            .and_then(|i| self.jobs.get(i))
            .unwrap_or_else(|| NONE.get_or_init(JobFacts::default))
    }

    /// The facts of the first job with this id.
    pub fn by_id(&self, job_id: i64) -> Option<&JobFacts> {
        self.by_id.get(&job_id).and_then(|&i| self.jobs.get(i))
    }

    fn index_of(&self, job: &JobTimeline) -> Option<usize> {
        let size = std::mem::size_of::<JobTimeline>().max(1);
        let at = (job as *const JobTimeline as usize).wrapping_sub(self.base);
        let i = at / size;
        if at % size == 0 && self.ids.get(i) == Some(&job.job_id) {
            return Some(i);
        }
        self.positions
            .get(&(job.job_id, job.store.clone()))
            .copied()
    }
}
