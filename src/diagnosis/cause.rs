//! Which error caused a rollback.
//!
//! Two traps make "the job's last error" the wrong answer (tidb-source.md §2, §1.4):
//!
//! 1. `[ddl:8214]Cancelled DDL job` is often the *result* of a rollback the system started
//!    (error-count limit, a non-retryable error), not a user's `ADMIN CANCEL DDL JOBS`. When the
//!    logs show the system gave up, the cause is the error before the cancel.
//! 2. An error reported after `ErrCount+1 >= tidb_ddl_error_count_limit` is non-retryable only
//!    because the retry budget ran out; the underlying error's class is what matters. Since the
//!    rollback line still carries the underlying text (`[tikv:9005]…` at ErrCount 511), classifying
//!    that text — never the fact that TiDB stopped retrying — gives the right class.

use crate::diagnosis::errclass::{classify, is_cancelled, Classified, ErrorClass};
use crate::event::{EventKind, Evidence};
use crate::model::JobState;
use crate::timeline::JobTimeline;

/// The error that caused a rollback, and where the logs say so.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub text: String,
    pub classified: Classified,
    /// A line that carries the error, when one is known.
    pub evidence: Option<Evidence>,
    /// Where it was found: `rollback line`, `job string Err before the cancel`, ...
    pub source: &'static str,
    /// True when the job's own final error was `[ddl:8214]Cancelled DDL job` and the cause was
    /// found behind it.
    pub behind_cancel: bool,
}

/// The default `tidb_ddl_error_count_limit`.
const DEFAULT_LIMIT: u64 = 512;

/// Picks the causing error of a rolled-back job (see the module docs for the traps), with the
/// default error-count limit. `None` when the job did not roll back or no error was logged.
pub fn root_cause(job: &JobTimeline) -> Option<(String, Classified)> {
    find_cause(job, DEFAULT_LIMIT).map(|c| (c.text, c.classified))
}

/// True when the logs show that TiDB itself, not a user, decided to roll the job back: the
/// error-count limit (its line, or ErrCount at the limit), or a conversion to rollback on an
/// error that is not the cancel.
///
/// A conversion line alone does not say who decided: in TiDB a user's `ADMIN CANCEL DDL JOBS`
/// during the reorg also goes through `… convert job to rollback`, carrying
/// `[ddl:8214]Cancelled DDL job`. Only its error tells the two apart.
pub fn system_initiated(job: &JobTimeline, limit: u64) -> bool {
    let limit_hit = job.count(EventKind::ErrorCountExceeded) > 0
        || (limit > 0 && job.max_err_count + 1 >= limit)
        || job
            .rollback
            .as_ref()
            .and_then(|r| r.err_count)
            .is_some_and(|n| limit > 0 && n + 1 >= limit);
    let gave_up_on_error =
        |e: Option<&str>| e.is_some_and(|t| !t.trim().is_empty() && !is_cancelled(t));
    limit_hit
        || job.rollback.as_ref().is_some_and(|r| {
            !r.message
                .to_ascii_lowercase()
                .contains("cancelled normally")
                && gave_up_on_error(r.error.as_deref())
        })
        || job
            .events_of(EventKind::ConvertToRollback)
            .any(|e| gave_up_on_error(e.error.as_deref()))
}

/// [`root_cause`] with an explicit error-count limit, returning where the cause was found.
pub fn find_cause(job: &JobTimeline, limit: u64) -> Option<Cause> {
    if !job.rolled_back() {
        return None;
    }
    let system = system_initiated(job, limit);
    let cancel = find_cancel(job);
    let consider =
        |text: Option<&str>, ev: Option<&Evidence>, source: &'static str| -> Option<Cause> {
            let text = text?;
            if text.trim().is_empty() || is_cancelled(text) {
                return None;
            }
            Some(Cause {
                text: text.to_string(),
                classified: classify(text),
                evidence: ev.cloned(),
                source,
                behind_cancel: false,
            })
        };

    // 1. The rollback line's own error, then the job string's Err on that line.
    let rb = job.rollback.as_ref();
    let mut found = consider(
        rb.and_then(|r| r.error.as_deref()),
        rb.map(|r| &r.evidence),
        "rollback line",
    );
    if found.is_none() {
        if let Some(e) = job.events_of(EventKind::ConvertToRollback).last() {
            found =
                consider(e.error.as_deref(), Some(&e.evidence), "rollback line").or_else(|| {
                    consider(
                        e.job.as_ref().and_then(|j| j.err.as_deref()),
                        Some(&e.evidence),
                        "job string Err on the rollback line",
                    )
                });
        }
    }
    // 2. The last job-level error before the rollback (or before the end, without a rollback point).
    if found.is_none() {
        let cutoff = rb.and_then(|r| r.evidence.ts);
        let kinds = [
            EventKind::JobError,
            EventKind::JobRetrySleep,
            EventKind::ErrorCountExceeded,
            EventKind::JobStepFailed,
            EventKind::BackfillError,
            EventKind::TaskReverted,
        ];
        let before = job
            .events
            .iter()
            .filter(|e| kinds.contains(&e.kind))
            .filter(|e| cutoff.is_none() || e.ts.is_none() || e.ts <= cutoff)
            .collect::<Vec<_>>();
        for e in before.iter().rev() {
            found = consider(
                e.error.as_deref(),
                Some(&e.evidence),
                "last job error before the rollback",
            );
            if found.is_some() {
                break;
            }
        }
        // The job strings of any kept event (`Err:` before it turned into the cancel).
        if found.is_none() {
            for e in job
                .events
                .iter()
                .rev()
                .filter(|e| cutoff.is_none() || e.ts <= cutoff)
            {
                found = consider(
                    e.job.as_ref().and_then(|j| j.err.as_deref()),
                    Some(&e.evidence),
                    "job string Err",
                );
                if found.is_some() {
                    break;
                }
            }
        }
    }
    // 3. The DXF task's error, then the job's most frequent error.
    if found.is_none() {
        if let Some(d) = &job.dist_task {
            for s in &d.errors {
                found = consider(Some(&s.text), Some(&s.last), "DXF task error");
                if found.is_some() {
                    break;
                }
            }
        }
    }
    if found.is_none() {
        for s in &job.errors {
            found = consider(Some(&s.text), Some(&s.last), "most frequent job error");
            if found.is_some() {
                break;
            }
        }
    }

    match (found, cancel) {
        // A cancel on a job the system gave up on: the earlier error is the cause.
        (Some(mut c), Some(_)) if system => {
            c.behind_cancel = true;
            Some(c)
        }
        // A cancel without a system decision: the user cancelled (the earlier error, if any, is
        // context, not cause).
        (_, Some(cancel)) => Some(cancel),
        (Some(c), None) => Some(c),
        // No error anywhere: a job that ends `cancelled` without one was cancelled by a user.
        (None, None)
            if matches!(job.outcome, JobState::Cancelled | JobState::Cancelling) && !system =>
        {
            Some(Cause {
                text: "[ddl:8214]Cancelled DDL job".to_string(),
                classified: Classified {
                    code: None,
                    reason: "the job was cancelled and no error was logged for it: a user cancel",
                    ..classify("[ddl:8214]Cancelled DDL job")
                },
                evidence: job.finished.clone(),
                source: "final state cancelled, no error logged",
                behind_cancel: false,
            })
        }
        (None, None) => None,
    }
}

/// The `[ddl:8214]Cancelled DDL job` error the job carries, if any, with a line that shows it.
fn find_cancel(job: &JobTimeline) -> Option<Cause> {
    let mk = |text: &str, ev: Option<&Evidence>, source: &'static str| Cause {
        text: text.to_string(),
        classified: classify(text),
        evidence: ev.cloned(),
        source,
        behind_cancel: false,
    };
    if let Some(r) = job
        .rollback
        .as_ref()
        .filter(|r| r.error.as_deref().is_some_and(is_cancelled))
    {
        return Some(mk(
            r.error.as_deref().unwrap_or_default(),
            Some(&r.evidence),
            "rollback line",
        ));
    }
    for e in job.events.iter().rev() {
        if let Some(t) = e.error.as_deref().filter(|t| is_cancelled(t)) {
            return Some(mk(t, Some(&e.evidence), "cancel line"));
        }
        if let Some(t) = e
            .job
            .as_ref()
            .and_then(|j| j.err.as_deref())
            .filter(|t| is_cancelled(t))
        {
            return Some(mk(t, Some(&e.evidence), "job string Err"));
        }
    }
    job.errors
        .iter()
        .find(|s| is_cancelled(&s.text))
        .map(|s| mk(&s.text, Some(&s.last), "job error"))
}

/// The causing error's class, `Unknown` when there is no cause.
pub fn cause_class(c: Option<&Cause>) -> ErrorClass {
    c.map_or(ErrorClass::Unknown, |c| c.classified.class)
}
