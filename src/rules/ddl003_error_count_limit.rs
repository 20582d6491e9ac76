//! DDL003 error-count-limit-exhausted.

use crate::diagnosis::errclass::{classify, ErrorClass};
use crate::diagnosis::JobFacts;
use crate::event::EventKind;
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a job whose ErrCount reached the error-count limit (`tidb_ddl_error_count_limit`,
    /// default 512): TiDB logged `DDL job error count exceed the limit, cancelling it now`, or the
    /// job string shows `ErrCount + 1 >= limit` (the reorg path converts the job to rollback at
    /// ErrCount 511 of 512).
    ///
    /// ## Why is this bad?
    /// The retry budget ran out. Whether a larger one would have helped depends on what the
    /// retries did, and the finding says which: if each retry redid the failing work on a
    /// transient error, the fault outlasted the budget; if each retry only re-read a reverted DXF
    /// task's error (pingcap/tidb#50417, see DDL002), or the error is deterministic, no budget
    /// would have been enough.
    ///
    /// ## What to do
    /// Fix what the attempts failed on (the job's other findings name it). Raise
    /// `tidb_ddl_error_count_limit` only when the retries could have succeeded and faults of
    /// that length are expected; otherwise a larger limit only delays the rollback.
    ///
    /// ## Example
    /// Job 491's job string went from `ErrCount:510` to `ErrCount:511`, then
    /// `run add index job failed, convert job to rollback`.
    pub struct ErrorCountLimitExhausted {
        code: "DDL003",
        name: "error-count-limit-exhausted",
        severity: Warning,
        summary: "A job's ErrCount reached tidb_ddl_error_count_limit: the retry budget ran out",
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    t.jobs
        .iter()
        .filter(|j| ctx.of(j).retry.limit_reached)
        .map(|job| build(job, ctx.of(job)))
        .collect()
}

fn build(job: &JobTimeline, facts: &JobFacts) -> Finding {
    let r = &facts.retry;
    // Where TiDB stopped: the conversion line's ErrCount (the job string that follows it counts
    // the conversion too), or the highest ErrCount when the limit line says so.
    let stopped = match (&job.rollback, r.limit_line) {
        (Some(rb), false) => rb.err_count.unwrap_or(r.max_err_count),
        _ => r.max_err_count,
    };
    let (max, limit) = (stopped, r.limit);
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "Job {} used up its retry budget: ErrCount {max} of limit {limit}",
            job.job_id
        ),
    );
    let err = facts
        .cause
        .as_ref()
        .map(|c| c.text.clone())
        .or_else(|| job.errors.first().map(|s| s.text.clone()));
    let class = err
        .as_deref()
        .map(|e| classify(e).class)
        .unwrap_or(ErrorClass::Unknown);
    let mut parts = Vec::new();
    if let Some(s) = retries_story(job, facts) {
        parts.push(format!("{s}."));
    }
    if r.limit_line {
        parts.push(format!(
            "TiDB logged `DDL job error count exceed the limit, cancelling it now` (limit {limit}; the job's ErrCount reached {max}) and cancelled the job."
        ));
    } else if job.rollback.as_ref().is_some_and(|r| {
        r.message.contains("reorg job failed") || r.message.contains("add index job failed")
    }) {
        // pkg/ddl/index.go: the add-index reorg treats any error as non-retryable once
        // ErrorCount + 1 >= the limit (tidb-source.md §2.1 step 1).
        parts.push(format!(
            "The add-index reorg stopped retrying at ErrCount {max}: it treats an error as final once ErrCount + 1 reaches the limit ({limit}) and converts the job to rollback."
        ));
    } else {
        parts.push(format!(
            "ErrCount reached {max}, at the limit ({limit}), which ended the retries."
        ));
    }
    if let Some(e) = &err {
        let what = match class {
            ErrorClass::Unknown => "an unclassified error".to_string(),
            c => format!("a {} error", c.as_str()),
        };
        parts.push(format!("The attempts failed with {e}, {what}."));
    }
    if r.reattach_loop {
        parts.push(
            "Each attempt only re-read the reverted DXF task's error (see DDL002), so no attempt could have succeeded: a larger limit would only have prolonged the loop."
                .into(),
        );
    } else if r.retry_could_succeed {
        parts.push(
            "Each attempt redid the failing work on a transient error: the fault outlasted the retry budget."
                .into(),
        );
    }
    if job.rolled_back() {
        parts.push(format!("{}.", capitalize(&rollback_story(job))));
    }
    f.explanation = sentences(&parts);
    let mut sug: Vec<String> = Vec::new();
    match budget_advice(facts) {
        Some(b) => sug.push(b),
        None if r.reattach_loop => sug.push(
            "Keep the limit: fix the re-attach loop instead (see DDL002; upgrade past the fix).".into(),
        ),
        None => sug.push(
            "Fix the cause of the repeated error first (see the job's other findings); a larger limit would only delay the rollback."
                .into(),
        ),
    }
    sug.push(show_job_sql(job));
    f.suggestion = sentences(&sug);
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
}
