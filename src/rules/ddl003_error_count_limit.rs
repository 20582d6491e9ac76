//! DDL003 error-count-limit-exhausted.

use crate::diagnosis::errclass::{classify, ErrorClass};
use crate::event::EventKind;
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a job whose ErrCount reached the error-count limit: TiDB stops retrying once
    /// `ErrCount + 1 >= tidb_ddl_error_count_limit` (default 512, so at ErrCount 511) and converts
    /// the job to rollback, or logs `DDL job error count exceed the limit, cancelling it now`.
    ///
    /// ## Why is this bad?
    /// The retry budget ran out during a fault. Every one of those attempts failed; if the error
    /// was transient, a larger budget (or a shorter fault) would have let the job finish. At
    /// about one attempt per second the default budget covers only ~10–20 minutes of fault.
    ///
    /// ## What to do
    /// Look at the error the attempts failed with (DDL001 / DDL006 / DDL008 say what it was). If
    /// it was transient and such faults are expected, raise `tidb_ddl_error_count_limit`; if a
    /// DXF task was reverted (DDL002), the retries could never have succeeded.
    ///
    /// ## Example
    /// Job 491's job string went from `ErrCount:1` to `ErrCount:511` in about 18 minutes, then
    /// `run add index job failed, convert job to rollback`.
    pub struct ErrorCountLimitExhausted {
        code: "DDL003",
        name: "error-count-limit-exhausted",
        severity: Warning,
        summary: "A job's ErrCount reached tidb_ddl_error_count_limit: the retry budget ran out",
    }
}

/// True when the job used up its retry budget.
pub(crate) fn exhausted(job: &JobTimeline, limit: u64) -> bool {
    let at_limit = |n: u64| limit > 0 && n + 1 >= limit;
    job.count(EventKind::ErrorCountExceeded) > 0
        || at_limit(job.max_err_count)
        || job
            .rollback
            .as_ref()
            .and_then(|r| r.err_count)
            .is_some_and(at_limit)
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let limit = ctx.error_count_limit;
    t.jobs
        .iter()
        .filter(|j| exhausted(j, limit))
        .map(|job| {
            let max = job.max_err_count.max(job.rollback.as_ref().and_then(|r| r.err_count).unwrap_or(0));
            let mut f = finding(&META, Some(job.job_id), format!("Job {} used up its retry budget: ErrCount {max} of limit {limit}", job.job_id));
            let cause = ctx.of(job).cause.clone();
            let err = cause.as_ref().map(|c| c.text.clone()).or_else(|| job.errors.first().map(|s| s.text.clone()));
            let class = err.as_deref().map(|e| classify(e).class).unwrap_or(ErrorClass::Unknown);
            let mut parts = vec![format!(
                "{}.",
                err_count_story(job).unwrap_or_else(|| format!("ErrCount reached {max}"))
            )];
            parts.push(format!(
                "TiDB stops retrying a job once ErrCount + 1 >= tidb_ddl_error_count_limit ({limit}){}.",
                if job.count(EventKind::ErrorCountExceeded) > 0 { " and logged `error count exceed the limit`" } else { "" }
            ));
            if let Some(e) = &err {
                let n = stat_for(&job.errors, e).map(|s| format!(" ({} lines)", s.count)).unwrap_or_default();
                parts.push(format!("The attempts failed with {e}{n}, a {} error.", class.as_str()));
            }
            if class == ErrorClass::Transient {
                parts.push("The retry budget ran out during a fault that a longer budget could have outlasted.".into());
            }
            if job.dist_task.as_ref().is_some_and(|d| d.reverted > 1) {
                parts.push("Each attempt only re-read a reverted DXF task's error (see DDL002), so no attempt could have succeeded.".into());
            }
            if job.rolled_back() {
                parts.push(format!("{}.", capitalize(&rollback_story(job))));
            }
            f.explanation = sentences(&parts);
            f.suggestion = if class == ErrorClass::Transient {
                format!(
                    "If faults of this length are expected, raise the budget: `SET GLOBAL tidb_ddl_error_count_limit = {}`; re-run the DDL once the fault is over.",
                    (limit.max(1) * 4).max(2048)
                )
            } else {
                "Fix the cause of the repeated error first (see the job's other findings); raising tidb_ddl_error_count_limit only delays the rollback.".into()
            };
            let mut ev = EvidenceSet::new();
            ev.add_opt(job.err_counts.first().map(|p| &p.evidence));
            ev.add_opt(job.err_counts.last().map(|p| &p.evidence));
            ev.add_ends(job.events_of(EventKind::ErrorCountExceeded));
            ev.add_opt(job.rollback.as_ref().map(|r| &r.evidence));
            if let Some(st) = err.as_deref().and_then(|e| stat_for(&job.errors, e)) {
                ev.add(&st.first);
                ev.add(&st.last);
            }
            f.evidence = ev.into_sorted();
            f
        })
        .collect()
}
