//! What the logs say about retries: did TiDB's DDL layer retry, did the job reach its
//! error-count limit, and could another retry have succeeded.
//!
//! These are facts, not guesses from the error class. A retry is a `run DDL job failed, sleeps a
//! while then retries it.` line *followed by another attempt*: only sleep lines before the
//! conversion to rollback count. v6.5 and v7.1 log the line after every failed step, also one
//! just converted to rollback; from v7.5 it reflects the retry list's verdict on the error, and
//! MODIFY COLUMN / partition reorg log it while rolling back on an error they do not retry
//! (docs/retry-semantics.md §4). A sleep line after the conversion therefore says nothing.

use super::cause::Cause;
use super::errclass::ErrorClass;
use super::source::ErrorSource;
use crate::event::EventKind;
use crate::timeline::JobTimeline;

/// The retry facts of one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetryFacts {
    /// `tidb_ddl_error_count_limit` as given.
    pub limit: u64,
    /// The highest ErrCount any line showed (job strings and the rollback line).
    pub max_err_count: u64,
    /// TiDB logged `DDL job error count exceed the limit, cancelling it now`.
    pub limit_line: bool,
    /// ErrCount reached the limit (`ErrCount + 1 >= limit`, or the limit line).
    pub limit_reached: bool,
    /// `sleeps a while then retries it.` lines before the job's conversion to rollback (any
    /// error): each was followed by another attempt.
    pub retry_lines: u64,
    /// A retry line carries the causing error: the DDL layer retried *it*.
    pub cause_retried: bool,
    /// The job's DDL retries only re-attached to a DXF task that was already reverted (`task
    /// not resumable` more than once, or once after a revert): no retry could succeed.
    pub reattach_loop: bool,
    /// The job is a MODIFY COLUMN whose reorg converts any error to rollback (no retry list).
    pub modify_column: bool,
    /// Another attempt could have succeeded: a transient error whose retry redoes the failing
    /// work (not a re-read of a reverted task, not a fixed too-old snapshot).
    pub retry_could_succeed: bool,
}

impl RetryFacts {
    /// Whether `SET GLOBAL tidb_ddl_error_count_limit = …` is advice that fits (§1 rule 3): the
    /// limit was reached and a later retry could have succeeded.
    pub fn budget_advice_fits(&self) -> bool {
        self.limit_reached && self.retry_could_succeed
    }
}

/// Computes the retry facts of a job.
pub fn retry_facts(
    job: &JobTimeline,
    cause: Option<&Cause>,
    source: Option<ErrorSource>,
    limit: u64,
) -> RetryFacts {
    let max_err_count = job
        .max_err_count
        .max(job.rollback.as_ref().and_then(|r| r.err_count).unwrap_or(0));
    let limit_line = job.count(EventKind::ErrorCountExceeded) > 0;
    let limit_reached = limit_line || (limit > 0 && max_err_count + 1 >= limit);
    // Sleep lines at or after the conversion were not followed by a retry of the job.
    let converted = job.rollback.as_ref().and_then(|r| r.evidence.ts);
    let before = |e: &&crate::event::Event| converted.is_none_or(|c| e.ts.is_some_and(|t| t < c));
    let after = job
        .events_of(EventKind::JobRetrySleep)
        .filter(|e| !before(e))
        .count() as u64;
    let retry_lines = job.count(EventKind::JobRetrySleep).saturating_sub(after);
    let cause_retried = cause.is_some_and(|c| {
        job.events_of(EventKind::JobRetrySleep)
            .filter(before)
            .any(|e| e.error.as_deref() == Some(c.text.as_str()))
    });
    let reattach_loop = job
        .dist_task
        .as_ref()
        .is_some_and(|d| d.reverted >= 1 && d.not_resumable > 1);
    let modify_column = job
        .rollback
        .as_ref()
        .is_some_and(|r| r.message.contains("modify column"))
        || job
            .job_type
            .as_deref()
            .is_some_and(|t| t.contains("modify column"));
    let transient = cause.is_some_and(|c| c.classified.class == ErrorClass::Transient);
    let retry_could_succeed =
        transient && !reattach_loop && source != Some(ErrorSource::GcLifeTime);
    RetryFacts {
        limit,
        max_err_count,
        limit_line,
        limit_reached,
        retry_lines,
        cause_retried,
        reattach_loop,
        modify_column,
        retry_could_succeed,
    }
}
