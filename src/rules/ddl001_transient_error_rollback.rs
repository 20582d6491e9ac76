//! DDL001 transient-error-rollback.

use crate::diagnosis::cause::Cause;
use crate::diagnosis::errclass::ErrorClass;
use crate::diagnosis::known_issues::Version;
use crate::diagnosis::{ErrorSource, JobFacts};
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a DDL job that TiDB converted to rollback (it ends `rollingback`, `rollback done`,
    /// or `cancelled` by the system) when the error that caused the rollback is transient: a
    /// region that was unavailable, a PD or TiKV timeout, a leader change, a network error.
    ///
    /// The causing error is looked up behind `[ddl:8214]Cancelled DDL job` (often the *result* of
    /// the rollback, not a user cancel) and behind the error-count limit (an error is final there
    /// only because the retry budget ran out; its own class decides).
    ///
    /// ## Why is this bad?
    /// A fault that would have healed by itself turned into a permanent failure: hours of
    /// backfill were thrown away, and the DDL must be run again. It usually means a TiDB retry
    /// path gave up too early (pingcap/tidb#50417: a reverted DXF task is retried until the
    /// error-count limit, then rolled back) or the fault outlasted `tidb_ddl_error_count_limit`.
    ///
    /// ## What to do
    /// It depends on how the job got there, and the finding says which:
    /// - the retries only re-read a reverted DXF task (#50417): upgrade past the fix and re-run;
    ///   a larger `tidb_ddl_error_count_limit` would only prolong the loop;
    /// - TiDB's DDL layer did not retry the error (no `sleeps a while then retries it.` line
    ///   followed by another attempt), or MODIFY COLUMN (which retries only transaction conflicts)
    ///   converted it at once: re-run once the fault is over, upgrade to the release that added
    ///   the error to the retry list;
    /// - the DDL layer retried it until the limit: the fault outlasted the budget; raise
    ///   `tidb_ddl_error_count_limit` only if faults of that length are expected.
    ///
    /// TiKV / PD health is worth checking only when the error came from TiKV or PD.
    ///
    /// ## Example
    /// Job 491 (`ADD INDEX`, DXF + global sort) failed 511 times with
    /// `[tikv:9005]Region is unavailable` during a 3-minute partition between the DDL owner and
    /// one TiKV; its DXF task was reverted, and at ErrCount 511 TiDB logged
    /// `run add index job failed, convert job to rollback`. The job ended `rollback done`.
    pub struct TransientErrorRollback {
        code: "DDL001",
        name: "transient-error-rollback",
        severity: Error,
        summary: "A job was rolled back because of a transient (retryable) error",
        replaces: ["DDL008"],
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let version = ctx.version.clone();
    t.jobs
        .iter()
        .filter_map(|job| {
            let facts = ctx.of(job);
            let cause = facts.cause.as_ref()?;
            // A fixed snapshot behind the GC safe point is not transient (§1 rule 8): DDL023.
            let transient = cause.classified.class == ErrorClass::Transient
                && facts.source != Some(ErrorSource::GcLifeTime);
            transient.then(|| build(job, cause, facts, version.as_ref()))
        })
        .collect()
}

fn build(job: &JobTimeline, cause: &Cause, facts: &JobFacts, version: Option<&Version>) -> Finding {
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "{} was rolled back after a transient error: {}",
            capitalize(&job_label(job)),
            cause.text
        ),
    );
    let stat = stat_for(&job.errors, &cause.text);
    let mut story = format!("The job failed with {}", cause.text);
    let attempts = attempts_phrase(job);
    if !attempts.is_empty() {
        story.push_str(&format!(": {attempts}"));
    }
    if let Some(st) = stat {
        story.push_str(&format!(", logged {}", window(st.first.ts, st.last.ts)));
    }
    let mut parts = vec![format!("{story}.")];
    if let Some(s) = retries_story(job, facts) {
        parts.push(format!("{s}."));
    }
    parts.push(retry_mechanism(job, facts, version));
    parts.push(format!("{}.", capitalize(&rollback_story(job))));
    if cause.behind_cancel {
        parts.push(format!(
            "The job's final error `[ddl:8214]Cancelled DDL job` is TiDB's own cancel after it gave up, not a user's; the causing error was found on the {}.",
            cause.source
        ));
    }
    let (ids, notes) = issues_for(&META, job, Some(&cause.text), facts, version);
    parts.extend(notes);
    f.explanation = sentences(&parts);
    f.suggestion = suggestion(job, cause, facts, &ids);
    f.known_issues = ids;
    f.evidence = rollback_evidence(job, Some(&cause.text), cause.evidence.as_ref()).into_sorted();
    f
}

fn suggestion(job: &JobTimeline, cause: &Cause, facts: &JobFacts, issues: &[String]) -> String {
    let r = &facts.retry;
    let mut s: Vec<String> = Vec::new();
    s.extend(upgrade_advice(issues));
    if r.reattach_loop {
        s.push(
            "A larger `tidb_ddl_error_count_limit` would only prolong the loop: every retry reads the reverted task back."
                .to_string(),
        );
    }
    let stat = stat_for(&job.errors, &cause.text);
    let first = stat.and_then(|st| st.first.ts);
    let gave_up = job
        .rollback
        .as_ref()
        .and_then(|r| r.evidence.ts)
        .or(stat.and_then(|st| st.last.ts));
    s.extend(tikv_pd_check(
        facts,
        cause.classified.family,
        first,
        gave_up,
    ));
    s.extend(budget_advice(facts));
    s.push(rerun(job, "once the fault is over"));
    s.push(task_sql(job).unwrap_or_else(|| show_job_sql(job)));
    sentences(&s)
}
