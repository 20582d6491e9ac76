//! DDL016 dist-task-cannot-plan.

use crate::event::EventKind;
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{TaskTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a DXF task (an ADD INDEX backfill, `ddl/backfill/<job>`) whose scheduler on the DDL
    /// owner keeps failing to plan the next step: `generate part of subtasks failed` or
    /// `generate plan failed` with the planner's error (`backend context not found`, ...).
    /// It names the task, the step it tries to reach, the error, how many times and since
    /// when. IMPORT INTO tasks are DDL018's.
    ///
    /// ## Why is this bad?
    /// For a backfill task the scheduler retries planning on every tick and never gives up: the
    /// task stays `running` with no subtasks of the next step, and the DDL job hangs in `write
    /// reorganization` (pingcap/tidb#49770, #50435: the ingest backend context the planner needs
    /// was closed on that node). Waiting does not help.
    ///
    /// ## What to do
    /// Cancel the job (`ADMIN CANCEL DDL JOBS <job>`), upgrade past the fixing release of a
    /// matched known issue, and re-run the DDL. Look at the task and its subtasks:
    /// `SELECT id, task_key, state, step, error FROM mysql.tidb_global_task WHERE task_key =
    /// 'ddl/backfill/<job>'` and `mysql.tidb_background_subtask`; for `no available TiDB node`
    /// check `SELECT @@global.tidb_service_scope` on every TiDB.
    ///
    /// ## Example
    /// `["on next subtasks batch"] [task-id=10] [curr-step=merge-sort] [next-step=write&ingest]`
    /// then `["generate part of subtasks failed"] [task-id=10] [task-type=backfill]
    /// [error="backend context not found"]`, job 125 still `running`.
    pub struct DistTaskCannotPlan {
        code: "DDL016",
        name: "dist-task-cannot-plan",
        severity: Error,
        summary: "The DXF scheduler keeps failing to plan the task's next step: the job hangs",
        replaces: ["DDL004", "DDL007", "DDL005"],
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    t.tasks
        .iter()
        .filter(|task| task.count(EventKind::GeneratePlanFailed) > 0)
        .filter(|task| !is_import(task))
        .filter(|task| {
            !task
                .state
                .as_deref()
                .is_some_and(|s| matches!(s, "succeed" | "reverted" | "failed" | "revert_failed"))
        })
        .filter_map(|task| build(t, ctx, task))
        .collect()
}

/// An IMPORT INTO task (type or key say so).
pub(crate) fn is_import(task: &TaskTimeline) -> bool {
    task.task_type.as_deref() == Some("ImportInto")
        || task
            .task_key
            .as_deref()
            .is_some_and(|k| k.starts_with("ImportInto/"))
}

/// The step the task is moving to, from its last step line (`step merge-sort->write&ingest`).
/// Named steps (`merge-sort`) are preferred over the numbers some lines give (`2->3`).
pub(crate) fn last_step(task: &TaskTimeline) -> Option<(String, String)> {
    let pairs: Vec<(String, String)> = task
        .steps
        .iter()
        .filter_map(|s| s.strip_prefix("step "))
        .filter_map(|s| s.split_once("->"))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let numeric = |p: &(String, String)| p.1.chars().all(|c| c.is_ascii_digit());
    pairs
        .iter()
        .rev()
        .find(|p| !numeric(p))
        .or(pairs.last())
        .cloned()
}

fn build(t: &Timelines, ctx: &Context, task: &TaskTimeline) -> Option<Finding> {
    let plans: Vec<_> = task.events_of(EventKind::GeneratePlanFailed).collect();
    let first = *plans.first()?;
    let last: &crate::event::Event = plans.last()?;
    let err = first.error.clone().unwrap_or_default();
    // One planning attempt can log two lines (`generate part of subtasks failed`, then
    // `generate plan failed`): count the attempts by the first line's message.
    let total = task.count(EventKind::GeneratePlanFailed);
    let same: Vec<_> = plans
        .iter()
        .filter(|e| e.message == first.message)
        .collect();
    let (count, last) = if total as usize == plans.len() {
        (same.len() as u64, **same.last()?)
    } else {
        (total, last)
    };
    let job = t.job_of(task);
    if job.is_some_and(|j| !j.unfinished()) {
        return None;
    }
    let label = task_label(task);
    let step = last_step(task);
    let mut f = finding(
        &META,
        job.map(|j| j.job_id),
        format!(
            "DXF task {label}{} cannot plan its next step{}: {err}",
            job.map(|j| format!(" of job {}", j.job_id))
                .unwrap_or_default(),
            step.as_ref()
                .map(|(_, to)| format!(" ({to})"))
                .unwrap_or_default()
        ),
    );
    f.task = Some(task.name());
    let msg = first.message.to_string();
    let mut parts = vec![format!(
        "The DXF scheduler on instance {} failed to plan the subtasks of task {label}{} with `{err}` ({msg:?} {}).",
        first.instance,
        step.as_ref()
            .map(|(from, to)| format!(" for step {to} (after {from})"))
            .unwrap_or_default(),
        times_phrase(count, &first.evidence, &last.evidence)
    )];
    parts.push(
        "For a backfill task the scheduler retries planning on every tick and never gives up: the task gets no subtasks for that step, so it cannot finish by itself."
            .to_string(),
    );
    match job {
        Some(j) => parts.push(format!(
            "Job {} is `{}` at the end of the logs.",
            j.job_id, j.outcome
        )),
        None => parts.push("No DDL job string of its job is in the logs.".to_string()),
    }
    let (ids, notes) = match job {
        Some(j) => issues_for(&META, j, Some(&err), ctx.of(j), ctx.version.as_ref()),
        None => issues_for_task(&META, Some(&err), ctx.version.as_ref()),
    };
    parts.extend(notes);
    f.explanation = sentences(&parts);
    let mut sug = Vec::new();
    if let Some(c) = job.and_then(|j| cancel_advice(j, "The job will not finish; end it")) {
        sug.push(c);
    }
    sug.extend(upgrade_advice(&ids));
    if let Some(j) = job {
        sug.push(rerun(j, "after that"));
    }
    if err.contains("no available TiDB node") {
        sug.push("No TiDB node matches the task's service scope: check `SELECT @@global.tidb_service_scope` on every TiDB.".to_string());
    }
    sug.push(format!(
        "Next: `SELECT id, task_key, state, step, error FROM mysql.tidb_global_task WHERE {}` and its subtasks in `mysql.tidb_background_subtask`.",
        task_cond(task)
    ));
    f.suggestion = sentences(&sug);
    f.known_issues = ids;
    let mut ev = EvidenceSet::new();
    ev.add(&first.evidence);
    ev.add(&last.evidence);
    ev.add_ends(
        task.events
            .iter()
            .filter(|e| matches!(*e.detail, crate::event::Detail::TaskStep { .. })),
    );
    if let Some(j) = job {
        ev.add_opt(j.events.last().map(|e| &e.evidence));
    }
    f.evidence = ev.into_sorted();
    Some(f)
}
