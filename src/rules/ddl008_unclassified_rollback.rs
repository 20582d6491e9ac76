//! DDL008 unclassified-rollback.

use crate::diagnosis::errclass::ErrorClass;
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::Timelines;

declare_rule! {
    /// ## What it does
    /// Flags a rolled-back job whose causing error is not in ddldiag's classification table,
    /// or for which the logs hold no error at all (lines missing, another instance's logs not
    /// given).
    ///
    /// ## Why is this bad?
    /// ddldiag cannot tell whether the rollback was a system fault (DDL001) or legitimate
    /// (DDL006). Plain Go errors (`[ddl:-1]…`, `[0]…`) are where TiDB's own retry rules differ
    /// most between versions, so this needs a human.
    ///
    /// ## What to do
    /// Read the causing error and the lines before the rollback (the evidence). Search the
    /// TiDB issue tracker for the error text. If the error is transient by nature, treat it as
    /// DDL001; if the logs hold no error, add every TiDB instance's logs for the job's time span.
    ///
    /// ## Example
    /// `run reorg job failed, convert job to rollback` with `[ddl:-1]invalid encoded key`.
    pub struct UnclassifiedRollback {
        code: "DDL008",
        name: "unclassified-rollback",
        severity: Warning,
        summary: "A rollback whose cause could not be classified: needs a human",
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let version = ctx.version.clone();
    t.jobs
        .iter()
        .filter(|j| j.rolled_back())
        .filter_map(|job| {
            let cause = ctx.of(job).cause.clone();
            if cause.as_ref().is_some_and(|c| c.classified.class != ErrorClass::Unknown) {
                return None;
            }
            // A precondition error of a plain DDL (`[schema:1050]` table exists, `[schema:1146]`
            // table doesn't exist, ...) cancels the job before it does any work: the user's
            // statement was wrong, nothing needs a human (§1 rule 13).
            if cause.as_ref().is_some_and(|c| precondition(&c.text)) && job.dist_task.is_none() && job.rows.as_ref().is_none_or(|(n, _)| *n == 0) {
                return None;
            }
            let (title, first) = match &cause {
                Some(c) => (
                    format!("{} was rolled back on an unclassified error: {}", capitalize(&job_label(job)), c.text),
                    format!("The causing error {} (found on the {}) matches no row of the classification table, so ddldiag cannot tell a system fault from a legitimate rollback.", c.text, c.source),
                ),
                None => (
                    format!("{} was rolled back and the logs hold no error for it", capitalize(&job_label(job))),
                    "No error was logged for the job (lines missing, or the owner's logs were not given), so the cause of the rollback is unknown.".to_string(),
                ),
            };
            let mut f = finding(&META, Some(job.job_id), title);
            let mut parts = vec![first, format!("{}.", capitalize(&rollback_story(job)))];
            if let Some(s) = err_count_story(job).filter(|_| job.err_counts.len() > 1) {
                parts.push(format!("{s}."));
            }
            if cause.as_ref().is_some_and(|c| c.classified.code.as_deref().is_some_and(|k| k == "ddl:-1" || k == "0")) {
                parts.push("It is a plain Go error: TiDB's DDL layer retries those until the error-count limit, while the DXF executor before v8.5 fails the subtask at once.".into());
            }
            let (ids, notes) = issues_for(&META, job, cause.as_ref().map(|c| c.text.as_str()), ctx.of(job), version.as_ref());
            parts.extend(notes);
            f.known_issues = ids;
            f.explanation = sentences(&parts);
            f.suggestion = sentences(&[
                "Read the error and the lines before the rollback; search pingcap/tidb issues for the error text. If it is transient by nature, re-run the DDL once the fault is over; if no error is shown, add every TiDB instance's logs for the job's time span.".into(),
                show_job_sql(job),
            ]);
            let text = cause.as_ref().map(|c| c.text.as_str());
            f.evidence = rollback_evidence(job, text, cause.as_ref().and_then(|c| c.evidence.as_ref())).into_sorted();
            Some(f)
        })
        .collect()
}

/// The user errors a plain DDL fails on before doing any work: the schema object it names
/// exists already or does not exist (`infoschema` errors, class `schema`).
fn precondition(text: &str) -> bool {
    crate::diagnosis::errclass::codes(text)
        .iter()
        .any(|(class, _)| class.eq_ignore_ascii_case("schema"))
}
