//! Hand-built timelines for rule tests (the timeline builder is tested on its own).
//!
//! Times are written `HH:MM:SS.mmm` and land on 2024/01/13 +08:00, the day of the seed case.

use std::sync::Arc;

use crate::event::{Event, EventKind, Evidence, JobInfo};
use crate::timeline::{
    Cluster, DistTask, ErrCountPoint, ErrorStat, JobTimeline, RollbackPoint, ServerStart,
    StatePoint, Timelines,
};
use crate::record::time::parse_unified;
use crate::model::Timestamp;

pub const FILE: &str = "tidb-0.tar.gz!tidb-0/tidb.log";

/// `HH:MM:SS.mmm` on the seed day, or a full `yyyy/MM/dd HH:mm:ss.SSS ±hh:mm`.
pub fn ts(s: &str) -> Timestamp {
    if s.len() > 12 {
        parse_unified(s).expect("full timestamp")
    } else {
        parse_unified(&format!("2024/01/13 {s} +08:00")).expect("time of day")
    }
}

/// One evidence line with a made-up but stable line number.
pub fn evidence(line: u64, at: &str, msg: &str) -> Evidence {
    let t = ts(at);
    Evidence {
        file: Arc::from(FILE),
        line,
        ts: Some(t),
        text: format!(
            "[{}] [INFO] [test.go:1] [\"{msg}\"]",
            t.format("%Y/%m/%d %H:%M:%S%.3f %:z")
        ),
    }
}

/// Builds a [`JobTimeline`] step by step, keeping the derived fields (counts, error stats,
/// ErrCount curve, first/last seen, outcome) consistent the way the real builder would.
#[derive(Debug)]
pub struct JobBuilder {
    job: JobTimeline,
    line: u64,
}

impl JobBuilder {
    pub fn new(id: i64) -> Self {
        let job = JobTimeline {
            job_id: id,
            job_type: Some("add index".into()),
            table: Some("sbtest1".into()),
            outcome: "running".into(),
            ..Default::default()
        };
        JobBuilder { job, line: 100 }
    }

    fn next_ev(&mut self, at: &str, msg: &str) -> Evidence {
        self.line += 1;
        evidence(self.line, at, msg)
    }

    fn touch(&mut self, t: Option<Timestamp>) {
        if let Some(t) = t {
            if self.job.first_seen.is_none_or(|f| t < f) {
                self.job.first_seen = Some(t);
            }
            if self.job.last_seen.is_none_or(|l| t > l) {
                self.job.last_seen = Some(t);
            }
        }
    }

    /// Pushes an event (kept, counted, time-ordered).
    pub fn event(mut self, kind: EventKind, at: &str, msg: &str, error: Option<&str>) -> Self {
        let ev = self.next_ev(at, msg);
        self.push(kind, ev, error, None)
    }

    fn push(
        mut self,
        kind: EventKind,
        ev: Evidence,
        error: Option<&str>,
        job: Option<JobInfo>,
    ) -> Self {
        self.touch(ev.ts);
        if let Some(e) = error {
            self.add_error(e, &ev);
        }
        let d = self.job.dist_task.as_ref();
        self.job.events.push(Event {
            kind,
            ts: ev.ts,
            instance: Arc::from("tidb-0"),
            job_id: Some(self.job.job_id),
            job,
            task_id: d.and_then(|d| d.task_id),
            task_key: d.and_then(|d| d.task_key.clone()),
            error: error.map(str::to_string),
            rows: None,
            detail: None,
            evidence: ev,
        });
        *self.job.event_counts.entry(kind).or_insert(0) += 1;
        self
    }

    fn add_error(&mut self, text: &str, ev: &Evidence) {
        match self.job.errors.iter_mut().find(|s| s.text == text) {
            Some(s) => {
                s.count += 1;
                s.last = ev.clone();
            }
            None => self.job.errors.push(ErrorStat {
                text: text.into(),
                count: 1,
                first: ev.clone(),
                last: ev.clone(),
            }),
        }
    }

    fn info(&self, state: &str, err: Option<&str>, err_count: u64) -> JobInfo {
        JobInfo {
            id: self.job.job_id,
            job_type: "add index".into(),
            state: state.into(),
            schema_state: "write reorganization".into(),
            err: err.map(str::to_string),
            err_count: Some(err_count),
            ..Default::default()
        }
    }

    /// A state change (`run DDL job` with a new state / schema state): progress.
    pub fn state(mut self, at: &str, state: &str, schema_state: &str) -> Self {
        let ev = self.next_ev(at, "run DDL job");
        self.job.states.push(StatePoint {
            state: state.into(),
            schema_state: schema_state.into(),
            evidence: ev.clone(),
        });
        self.job.last_progress = ev.ts;
        let info = JobInfo {
            schema_state: schema_state.into(),
            ..self.info(state, None, 0)
        };
        self.push(EventKind::JobRun, ev, None, Some(info))
    }

    /// Row-count progress.
    pub fn rows(mut self, at: &str, rows: u64) -> Self {
        let ev = self.next_ev(at, "run reorg job wait timeout");
        self.job.rows = Some((rows, ev.clone()));
        self.job.last_progress = ev.ts;
        self.push(EventKind::ReorgProgress, ev, None, None)
    }

    /// One failed attempt: `run DDL job error` + `sleeps a while then retries it` at ErrCount `n`.
    pub fn error(self, at: &str, err: &str, n: u64) -> Self {
        self.event(EventKind::JobError, at, "run DDL job error", Some(err))
            .err_count(at, n)
    }

    /// One `run DDL job failed, sleeps a while then retries it.` line.
    pub fn retry_sleep(self, at: &str, err: &str) -> Self {
        self.event(
            EventKind::JobRetrySleep,
            at,
            "run DDL job failed, sleeps a while then retries it.",
            Some(err),
        )
    }

    /// A point of the ErrCount curve (a `run DDL job` line whose job string says `ErrCount:n`).
    pub fn err_count(mut self, at: &str, n: u64) -> Self {
        if self.job.err_counts.last().is_some_and(|p| p.err_count == n) {
            return self;
        }
        let ev = self.next_ev(at, "run DDL job");
        self.job.err_counts.push(ErrCountPoint {
            err_count: n,
            evidence: ev.clone(),
        });
        self.job.max_err_count = self.job.max_err_count.max(n);
        let err = self.job.errors.last().map(|s| s.text.clone());
        let info = self.info("running", err.as_deref(), n);
        self.push(EventKind::JobRun, ev, None, Some(info))
    }

    /// Declares a DXF task for the job.
    pub fn dist_task(mut self, task_id: i64) -> Self {
        self.job.dist_task = Some(DistTask {
            task_id: Some(task_id),
            task_key: Some(format!("ddl/backfill/{}", self.job.job_id)),
            ..Default::default()
        });
        self.job.backfill_mode = Some("dxf+global-sort".into());
        self
    }

    /// `task not resumable` then `task reverted` with the task error.
    pub fn task_reverted(mut self, at_not_resumable: &str, at: &str, err: &str) -> Self {
        let d = self.job.dist_task.get_or_insert_with(Default::default);
        d.reverted += 1;
        d.not_resumable += 1;
        let ev_nr = self.next_ev(at_not_resumable, "task not resumable");
        let ev = self.next_ev(at, "task reverted");
        let d = self.job.dist_task.as_mut().expect("dist task");
        match d.errors.iter_mut().find(|s| s.text == err) {
            Some(s) => {
                s.count += 1;
                s.last = ev.clone();
            }
            None => d.errors.push(ErrorStat {
                text: err.into(),
                count: 1,
                first: ev.clone(),
                last: ev.clone(),
            }),
        }
        self.push(EventKind::TaskNotResumable, ev_nr, None, None)
            .push(EventKind::TaskReverted, ev, Some(err), None)
    }

    /// `run add index job failed, convert job to rollback` (or another announcing message).
    pub fn rollback(mut self, at: &str, message: &str, err: Option<&str>, err_count: u64) -> Self {
        let ev = self.next_ev(at, message);
        self.job.rollback = Some(RollbackPoint {
            error: err.map(str::to_string),
            err_count: Some(err_count),
            message: message.into(),
            evidence: ev.clone(),
        });
        self.job.states.push(StatePoint {
            state: "rollingback".into(),
            schema_state: "delete only".into(),
            evidence: ev.clone(),
        });
        self.job.last_progress = ev.ts;
        self.job.outcome = "rollingback".into();
        let info = self.info("running", err, err_count);
        self.push(EventKind::ConvertToRollback, ev, err, Some(info))
    }

    /// `DDL job error count exceed the limit, cancelling it now` at ErrCount `n`.
    pub fn exceeded(self, at: &str, n: u64) -> Self {
        self.err_count(at, n).event(
            EventKind::ErrorCountExceeded,
            at,
            "DDL job error count exceed the limit, cancelling it now",
            None,
        )
    }

    /// `DDL job is cancelled normally` with the cancel error (a user's ADMIN CANCEL, by itself).
    pub fn cancelled(mut self, at: &str, err: &str) -> Self {
        self.job.outcome = "cancelling".into();
        self.event(
            EventKind::JobCancelled,
            at,
            "DDL job is cancelled normally",
            Some(err),
        )
    }

    /// `finish DDL job` in a final state (`synced`, `rollback done`, `cancelled`).
    pub fn finish(mut self, at: &str, state: &str) -> Self {
        let ev = self.next_ev(at, "finish DDL job");
        self.job.finished = Some(ev.clone());
        self.job.outcome = state.into();
        self.job.last_progress = ev.ts;
        self.job.states.push(StatePoint {
            state: state.into(),
            schema_state: "none".into(),
            evidence: ev.clone(),
        });
        self.push(EventKind::JobFinished, ev, None, None)
    }

    /// Sets the total count of a kind (the real builder keeps only the ends of long runs).
    pub fn total(mut self, kind: EventKind, n: u64) -> Self {
        self.job.event_counts.insert(kind, n);
        self
    }

    /// Sets how often one error was seen in total.
    pub fn error_total(mut self, text: &str, n: u64) -> Self {
        if let Some(s) = self.job.errors.iter_mut().find(|s| s.text == text) {
            s.count = n;
        }
        self
    }

    /// Sets the DXF revert / not-resumable totals.
    pub fn reverted_total(mut self, n: u64) -> Self {
        if let Some(d) = self.job.dist_task.as_mut() {
            d.reverted = n;
            d.not_resumable = n;
        }
        self
    }

    pub fn build(mut self) -> JobTimeline {
        self.job.events.sort_by_key(|e| e.ts);
        self.job.errors.sort_by_key(|s| std::cmp::Reverse(s.count));
        self.job.instances = vec!["tidb-0".into()];
        self.job
    }
}

/// Timelines of some jobs with an empty cluster (logs end at the last job line).
/// The `[ddl:8214]` trap: job `id` failed `errors` times (1 or 2) with 9005, then TiDB itself
/// converted it to rollback, reporting the cancel error, and it ended `rollback done`.
pub fn cancelled_after_9005(id: i64, errors: u64) -> JobTimeline {
    let mut b = JobBuilder::new(id);
    for n in 1..=errors {
        b = b.error(
            &format!("10:00:0{n}.000"),
            "[tikv:9005]Region is unavailable",
            n,
        );
    }
    b.rollback(
        "10:00:03.000",
        "run add index job failed, convert job to rollback",
        Some("[ddl:8214]Cancelled DDL job"),
        errors,
    )
    .finish("10:00:05.000", "rollback done")
    .build()
}

pub fn timelines(jobs: Vec<JobTimeline>) -> Timelines {
    let end = jobs.iter().filter_map(|j| j.last_seen).max();
    Timelines {
        jobs,
        cluster: Cluster {
            end_of_logs: end,
            ..Default::default()
        },
    }
}

/// A `Welcome to TiDB` line.
pub fn server_start(line: u64, at: &str, version: Option<&str>) -> ServerStart {
    ServerStart {
        instance: "tidb-0".into(),
        version: version.map(str::to_string),
        evidence: evidence(line, at, "Welcome to TiDB."),
    }
}

/// An owner event (`get owner` with the owner id in `detail`, or `retire owner`).
pub fn owner_event(line: u64, at: &str, kind: EventKind, owner: &str) -> Event {
    let ev = evidence(
        line,
        at,
        if kind == EventKind::OwnerRetired {
            "retire owner"
        } else {
            "get owner"
        },
    );
    Event {
        kind,
        ts: ev.ts,
        instance: Arc::from("tidb-0"),
        job_id: None,
        job: None,
        task_id: None,
        task_key: None,
        error: None,
        rows: None,
        detail: Some(owner.to_string()),
        evidence: ev,
    }
}

/// The seed story (pingcap/tidb#50417): job 491, DXF task 210029 `ddl/backfill/491`, every attempt
/// failed with `[tikv:9005]Region is unavailable`, ErrCount 1 → 511, converted to rollback at
/// 19:21:11.461 and `rollback done` at 19:21:28.
pub fn seed_job() -> JobTimeline {
    const E: &str = "[tikv:9005]Region is unavailable";
    JobBuilder::new(491)
        .dist_task(210029)
        .state("19:03:00.092", "running", "none")
        .state("19:03:00.500", "running", "write only")
        .state("19:03:01.000", "running", "write reorganization")
        .rows("19:03:10.000", 35232986)
        .task_reverted("19:03:17.700", "19:03:18.000", E)
        .error("19:03:18.100", E, 1)
        .retry_sleep("19:03:18.110", E)
        .task_reverted("19:21:10.813", "19:21:11.115", E)
        .error("19:21:11.122", E, 510)
        .err_count("19:21:11.139", 511)
        .task_reverted("19:21:11.146", "19:21:11.448", E)
        .rollback(
            "19:21:11.461",
            "run add index job failed, convert job to rollback",
            Some(E),
            511,
        )
        .finish("19:21:28.000", "rollback done")
        .total(EventKind::JobError, 512)
        .total(EventKind::JobRetrySleep, 510)
        .total(EventKind::TaskReverted, 511)
        .error_total(E, 2045)
        .reverted_total(511)
        .build()
}
