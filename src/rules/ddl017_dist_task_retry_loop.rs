//! DDL017 dist-task-retry-loop.

use crate::diagnosis::errclass::{classify, ErrorClass};
use crate::event::{Event, EventKind};
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::ddl016_dist_task_cannot_plan::is_import;
use crate::rules::{declare_rule, Context};
use crate::timeline::{TaskTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a DXF backfill task whose executor keeps meeting an error that no retry can cure —
    /// the same deterministic error again and again (`meet retryable error`, `onError`), with
    /// nothing reverted — for example `index info not found` when a stale task left by a
    /// cancelled job names an index the table no longer has. It names the task, its job when a
    /// line ties one, the error, how many times and over what span.
    ///
    /// ## Why is this bad?
    /// The executor judges the error retryable, so the task is neither failed nor reverted: the
    /// subtask is run again, meets the same error, and the DDL job stays `running` forever
    /// (pingcap/tidb#68828: from v8.5 the backfill executor retries every error that is not a
    /// typed TiDB error).
    ///
    /// ## What to do
    /// Cancel the job (`ADMIN CANCEL DDL JOBS <job>`), look for leftover backfill tasks
    /// (`SELECT id, task_key, state FROM mysql.tidb_global_task WHERE task_key LIKE
    /// 'ddl/backfill/%'`), upgrade past the fix of a matched known issue, and re-run the DDL.
    ///
    /// ## Example
    /// `[onError] [task-id=5] [task-type=backfill] [error="index info not found: 1"]` on a
    /// task that is never reverted.
    pub struct DistTaskRetryLoop {
        code: "DDL017",
        name: "dist-task-retry-loop",
        severity: Error,
        summary: "A DXF executor retries an error that cannot succeed: the task never ends",
        replaces: ["DDL004", "DDL007"],
    }
}

/// Errors that are retried by the executor although they are deterministic (known issues).
const KNOWN_LOOPS: &[&str] = &["index info not found"];

fn executor_error(e: &Event) -> bool {
    matches!(
        e.kind,
        EventKind::TaskRetryableError | EventKind::SubtaskError
    ) && e
        .error
        .as_deref()
        .is_some_and(|err| classify(err).class != ErrorClass::Transient)
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    t.tasks
        .iter()
        .filter(|task| !is_import(task))
        .filter(|task| task.count(EventKind::TaskReverted) == 0)
        .filter(|task| {
            !task.state.as_deref().is_some_and(|s| {
                matches!(
                    s,
                    "succeed" | "reverting" | "reverted" | "failed" | "revert_failed"
                )
            })
        })
        .filter_map(|task| build(t, ctx, task))
        .collect()
}

fn build(t: &Timelines, ctx: &Context, task: &TaskTimeline) -> Option<Finding> {
    let evs: Vec<&Event> = task.events.iter().filter(|e| executor_error(e)).collect();
    let first = *evs.first()?;
    let err = first.error.clone().unwrap_or_default();
    let same: Vec<&Event> = evs
        .iter()
        .copied()
        .filter(|e| e.error.as_deref() == Some(&*err))
        .collect();
    let last = *same.last()?;
    let stat = stat_for(&task.errors, &err);
    // The error's lines, by message (`onError` and `meet retryable error` both log one failure).
    let lines = stat.map_or(same.len() as u64, |s| s.count);
    let count = lines;
    let retried = same.iter().any(|e| e.kind == EventKind::TaskRetryableError);
    let known = KNOWN_LOOPS.iter().any(|k| err.contains(k));
    // Deterministic and retried: the executor said it retries, or the same error came back, or
    // it is an error known to be retried forever.
    if !(retried || count > 1 || known) {
        return None;
    }
    let job = t.job_of(task);
    if job.is_some_and(|j| !j.unfinished()) {
        return None;
    }
    let label = task_label(task);
    let mut f = finding(
        &META,
        job.map(|j| j.job_id),
        format!(
            "DXF task {label}{} keeps retrying an error that cannot succeed: {err}",
            job.map(|j| format!(" of job {}", j.job_id))
                .unwrap_or_default()
        ),
    );
    f.task = Some(task.name());
    let (fs, ls) = stat.map_or((&first.evidence, &last.evidence), |s| (&s.first, &s.last));
    let mut parts = vec![format!(
        "The task executor on instance {} met `{err}` in {} lines ({}) {}, and no line shows the task reverted or failed.",
        first.instance,
        count,
        by_message(same.iter().copied()),
        window(fs.ts, ls.ts)
    )];
    parts.push(format!(
        "`{err}` is deterministic: the task's own metadata produces it, so a retry of the same subtask meets it again{}.",
        if retried {
            ", yet the executor logged it as retryable"
        } else {
            ""
        }
    ));
    match job {
        Some(j) => parts.push(format!(
            "Job {} is `{}` at the end of the logs.",
            j.job_id, j.outcome
        )),
        None => parts.push("No line ties the task to a DDL job.".to_string()),
    }
    let (ids, notes) = match job {
        Some(j) => issues_for(&META, j, Some(&err), ctx.of(j), ctx.version.as_ref()),
        None => issues_for_task(&META, Some(&err), ctx.version.as_ref()),
    };
    parts.extend(notes);
    f.explanation = sentences(&parts);
    let mut sug = Vec::new();
    match job {
        Some(j) => sug.extend(cancel_advice(j, "The task will not succeed; end its job")),
        None => sug.push(format!(
            "The task will not succeed; find the DDL job that owns it (`SELECT task_key FROM mysql.tidb_global_task WHERE {}`; a key `ddl/backfill/<job>` names it) and cancel that job with `ADMIN CANCEL DDL JOBS <job>` if it is running.",
            task_cond(task)
        )),
    }
    sug.extend(upgrade_advice(&ids));
    sug.push("Next: `SELECT id, task_key, state, step FROM mysql.tidb_global_task WHERE task_key LIKE 'ddl/backfill/%'` — a task whose job is already cancelled or done is a leftover.".to_string());
    f.suggestion = sentences(&sug);
    f.known_issues = ids;
    let mut ev = EvidenceSet::new();
    ev.add(fs);
    ev.add(ls);
    ev.add_ends(same.iter().copied());
    if let Some(j) = job {
        ev.add_opt(j.events.last().map(|e| &e.evidence));
    }
    f.evidence = ev.into_sorted();
    Some(f)
}
