//! DDL001 transient-error-rollback.

use crate::diagnosis::cause::Cause;
use crate::diagnosis::errclass::ErrorClass;
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
    /// Check TiKV / PD health for the time of the errors, re-run the DDL once the fault is over,
    /// raise `tidb_ddl_error_count_limit` if faults of that length are expected, and upgrade past
    /// the fixing release of any matched known issue.
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
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let version = ctx.version.clone();
    t.jobs
        .iter()
        .filter_map(|job| {
            let cause = ctx.of(job).cause.clone()?;
            (cause.classified.class == ErrorClass::Transient)
                .then(|| build(job, &cause, ctx, version.as_ref()))
        })
        .collect()
}

/// What TiDB's DDL layer does with this error in this version, as a sentence.
pub(crate) fn retry_sentence(
    job: &JobTimeline,
    cause: &Cause,
    ctx: &Context,
    version: Option<&crate::diagnosis::known_issues::Version>,
) -> String {
    let Some(r) = cause.classified.retries else {
        return String::new();
    };
    let at_limit = ctx.error_count_limit > 0 && job.max_err_count + 1 >= ctx.error_count_limit;
    let who = if r == crate::diagnosis::errclass::Retries::Always {
        "TiDB".to_string()
    } else {
        capitalize(&version_phrase(version))
    };
    match r.retried_in(version) {
        Some(true) if at_limit => format!(
            "{who} retries this error ({}), so the rollback came only because ErrCount reached the error-count limit ({}).",
            cause.classified.reason,
            ctx.error_count_limit
        ),
        Some(true) => format!(
            "{who} retries this error at the DDL layer ({}), yet the job was rolled back: a lower layer gave up on it.",
            cause.classified.reason
        ),
        Some(false) => format!(
            "{who} does not retry this error at the DDL layer ({}; {}), so it rolled the job back although a retry could have succeeded.",
            cause.classified.reason,
            r.describe()
        ),
        None => format!("This error is {} ({}).", r.describe(), cause.classified.reason),
    }
}

fn build(
    job: &JobTimeline,
    cause: &Cause,
    ctx: &Context,
    version: Option<&crate::diagnosis::known_issues::Version>,
) -> Finding {
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "{} was rolled back after a transient error: {}",
            capitalize(&job_label(job)),
            cause.text
        ),
    );
    let mut parts = Vec::new();
    let attempts = job.count(crate::event::EventKind::JobError);
    let stat = stat_for(&job.errors, &cause.text);
    let mut story = match err_count_story(job) {
        Some(s) => format!("{s} while the attempts failed with {}", cause.text),
        None => format!("The job failed with {}", cause.text),
    };
    if let Some(st) = stat {
        story.push_str(&format!(
            " (seen {} times from {} to {})",
            st.count,
            hms(st.first.ts),
            hms(st.last.ts)
        ));
    } else if attempts > 0 {
        story.push_str(&format!(" ({attempts} failed attempts)"));
    }
    parts.push(format!("{story}."));
    if let Some(d) = dist_story(job) {
        parts.push(format!("{}.", capitalize(&d)));
    }
    parts.push(format!("{}.", capitalize(&rollback_story(job))));
    if cause.behind_cancel {
        parts.push(format!(
            "The job's final error `[ddl:8214]Cancelled DDL job` is the result of that rollback, not a user cancel; the causing error was found on the {}.",
            cause.source
        ));
    }
    parts.push(retry_sentence(job, cause, ctx, version));
    let (ids, notes) = issues_for(&META, job, Some(&cause.text), ctx.of(job), version);
    parts.extend(notes);
    f.explanation = sentences(&parts);
    f.known_issues = ids;
    f.suggestion = suggestion(job, cause, ctx, &f.known_issues);
    f.evidence = rollback_evidence(job, Some(&cause.text), cause.evidence.as_ref()).into_sorted();
    f
}

fn suggestion(job: &JobTimeline, cause: &Cause, ctx: &Context, issues: &[String]) -> String {
    let window = match (stat_for(&job.errors, &cause.text), job.rollback.as_ref()) {
        (Some(st), Some(r)) => format!(" between {} and {}", hms(st.first.ts), hms(r.evidence.ts)),
        (Some(st), None) => format!(" between {} and {}", hms(st.first.ts), hms(st.last.ts)),
        _ => String::new(),
    };
    let mut s = format!(
        "Check TiKV and PD health{window} (store/region leader changes, network partitions, PD leader changes) for the {} fault; once it is over, re-run the DDL{}.",
        cause.classified.family,
        job.query.as_deref().map(|q| format!(": `{q}`")).unwrap_or_default()
    );
    s.push_str(&format!(
        " If faults of this length are expected, raise the retry budget: `SET GLOBAL tidb_ddl_error_count_limit = {}` (now {}).",
        (ctx.error_count_limit.max(1) * 4).max(2048),
        ctx.error_count_limit
    ));
    for id in issues {
        if let Some(i) = crate::diagnosis::known_issues::ISSUES
            .iter()
            .find(|i| i.id == id)
        {
            if !i.fixed_in.is_empty() {
                s.push_str(&format!(
                    " For {id}, upgrade to a GA release with the fix ({} or later).",
                    i.fixed_in.join(" / ")
                ));
            }
        }
    }
    s
}
