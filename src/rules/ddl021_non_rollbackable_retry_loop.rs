//! DDL021 non-rollbackable-retry-loop.

use crate::event::EventKind;
use crate::model::{Finding, JobState};
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a job still `running` at the end of the logs whose ErrCount is beyond
    /// `tidb_ddl_error_count_limit` with no `DDL job error count exceed the limit, cancelling
    /// it now` line: TiDB's error-count guard cancels only a job that can still be rolled back,
    /// so this job is past its point of no return and retries its error forever.
    ///
    /// ## Why is this bad?
    /// The job will not end by itself. The limit does not apply to it, so a larger (or
    /// smaller) limit changes nothing. From v7.5 TiDB stops logging `run DDL job failed, sleeps
    /// a while then retries it.` once ErrCount reaches the limit: only `run DDL job error`
    /// repeats, without the one-second wait (docs/retry-semantics.md §4 item 11).
    ///
    /// ## What to do
    /// Fix the error it repeats, or upgrade to a release that fixes the job type's state
    /// machine; cancelling may not work in this state. Check the object with `SHOW CREATE
    /// TABLE` and the job with `ADMIN SHOW DDL JOBS`.
    ///
    /// ## Example
    /// Job 3301 (drop column, `SchemaState:write only`: a DROP COLUMN is rollbackable only in
    /// `public`) logs `run DDL job error` with ErrCount 620, 621, … of limit 512 and never the
    /// cancel line.
    pub struct NonRollbackableRetryLoop {
        code: "DDL021",
        name: "non-rollbackable-retry-loop",
        severity: Error,
        summary: "A job past its point of no return retries an error forever: the error-count limit does not apply",
        replaces: ["DDL003", "DDL004", "DDL007"],
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    t.jobs
        .iter()
        .filter(|j| j.outcome == JobState::Running)
        .filter(|j| {
            let r = &ctx.of(j).retry;
            r.limit > 0 && r.max_err_count > r.limit && !r.limit_line
        })
        .map(|j| build(j, ctx))
        .collect()
}

fn build(job: &JobTimeline, ctx: &Context) -> Finding {
    let facts = ctx.of(job);
    let r = &facts.retry;
    let state = job
        .states
        .last()
        .map(|s| format!("`{}` / `{}`", s.state, s.schema_state))
        .unwrap_or_else(|| format!("`{}`", job.outcome));
    let top = job.errors.first();
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "Job {} retries an error forever past the error-count limit (ErrCount {} of {})",
            job.job_id, r.max_err_count, r.limit
        ),
    );
    let mut parts = vec![format!(
        "{} is {state} at the end of the logs with ErrCount {}, beyond the limit {}, and TiDB never logged `DDL job error count exceed the limit, cancelling it now`.",
        capitalize(&job_label(job)),
        r.max_err_count,
        r.limit
    )];
    if let Some(e) = top {
        parts.push(format!(
            "It repeats {} ({} line{}, {}).",
            e.text,
            e.count,
            if e.count == 1 { "" } else { "s" },
            window(e.first.ts, e.last.ts)
        ));
    }
    if let Some(s) = err_count_story(job) {
        parts.push(format!("{s}."));
    }
    parts.push(
        "TiDB's error-count guard cancels a job over the limit only if it can still be rolled back; this one is past its point of no return, so the limit does not apply and the job will not end by itself. Raising or lowering the limit changes nothing."
            .into(),
    );
    let sleeps = job.count(EventKind::JobRetrySleep);
    if sleeps == 0 && job.count(EventKind::JobError) > 0 {
        parts.push("No `sleeps a while then retries it.` line accompanies the errors: from v7.5 TiDB stops logging it once ErrCount reaches the limit, and retries without the wait.".into());
    }
    let (ids, notes) = issues_for(
        &META,
        job,
        top.map(|e| e.text.as_str()),
        facts,
        ctx.version.as_ref(),
    );
    parts.extend(notes);
    f.explanation = sentences(&parts);
    let mut sug =
        vec!["Fix the error it repeats; cancelling may not work in this state.".to_string()];
    sug.extend(upgrade_advice(&ids));
    f.known_issues = ids;
    sug.push("Check the object's definition with `SHOW CREATE TABLE`.".into());
    sug.push(show_job_sql(job));
    f.suggestion = sentences(&sug);
    let mut ev = EvidenceSet::new();
    if let Some(e) = top {
        ev.add(&e.first);
        ev.add(&e.last);
    }
    ev.add_opt(job.err_counts.first().map(|p| &p.evidence));
    ev.add_opt(job.err_counts.last().map(|p| &p.evidence));
    ev.add_opt(job.states.last().map(|s| &s.evidence));
    f.evidence = ev.into_sorted();
    f
}
