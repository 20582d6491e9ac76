//! DDL018 import-into-failed.

use std::collections::BTreeMap;

use crate::diagnosis::source::source_of;
use crate::diagnosis::ErrorSource;
use crate::event::extract::object_key_ids;
use crate::event::{Detail, Event, EventKind};
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::ddl016_dist_task_cannot_plan::{is_import, last_step};
use crate::rules::{declare_rule, Context};
use crate::timeline::{TaskTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags an `IMPORT INTO` task (a DXF task of type `ImportInto`, key `ImportInto/<import
    /// job id>`) that failed or cannot proceed: a subtask failed, the task was reverted, its
    /// scheduler could not plan the next step (`generate part of subtasks failed`), or its
    /// global-sort reads of external storage failed. It names the task, the step, the error
    /// and where it came from. Global-sort lines that name no task are tied to one through
    /// the object key: IMPORT INTO writes its sort files under `<task id>/<subtask id>/`
    /// (`subtaskPrefix` in pkg/disttask/importinto), ADD INDEX under `<job id>/<subtask id>/`.
    ///
    /// ## Why is this bad?
    /// The import did not load its data. IMPORT INTO is not a DDL job: `ADMIN SHOW DDL JOBS`
    /// does not list it and `ADMIN CANCEL DDL JOBS` cannot end it. A failed import leaves the
    /// target table partly written; IMPORT INTO only imports into an empty table.
    ///
    /// ## What to do
    /// `SHOW IMPORT JOBS` (or `SHOW IMPORT JOB <id>`) for its state; `CANCEL IMPORT JOB <id>`
    /// for one still running. Fix the cause (object-store reachability for storage errors; an
    /// upgrade for a matched known issue: an impossible read size in global sort or an
    /// `invalid kv range` is a TiDB bug, not an environment problem), empty the target table
    /// (`TRUNCATE TABLE`) and re-run the import. The task's row: `SELECT task_key, state, step,
    /// error FROM mysql.tidb_global_task_history WHERE id = <task id>`.
    ///
    /// ## Example
    /// `["subtask failed"] [task-id=150005] [task-key=ImportInto/150005] [error="operation
    /// error S3: CreateMultipartUpload, ... i/o timeout\nfailed to get rate limit token, retry
    /// quota exceeded ..."]`.
    pub struct ImportIntoFailed {
        code: "DDL018",
        name: "import-into-failed",
        severity: Error,
        summary: "An IMPORT INTO task failed or cannot proceed",
        replaces: ["DDL001", "DDL002"],
    }
}

/// Event kinds that say a task's work failed.
const FAILING: &[EventKind] = &[
    EventKind::UnretryableError,
    EventKind::ExternalStorageError,
    EventKind::SubtaskError,
    EventKind::SubtasksEncounterErrors,
    EventKind::GeneratePlanFailed,
    EventKind::TaskReverted,
];

/// The object key an event names: its `file` field, else its error text.
fn key_ids(e: &Event) -> Option<(i64, i64)> {
    match &*e.detail {
        Detail::ObjectKey(k) => object_key_ids(k),
        _ => None,
    }
    .or_else(|| e.error.as_deref().and_then(object_key_ids))
}

fn storage_line(e: &Event) -> bool {
    e.kind == EventKind::ExternalStorageError
        || (e.kind == EventKind::UnretryableError
            && e.error
                .as_deref()
                .and_then(source_of)
                .is_some_and(|s| s == ErrorSource::ExternalStorage))
}

/// Whether DDL018 reports this job-less line (so DDL002 does not report it again): a
/// global-sort storage line of an IMPORT INTO task, or one no DDL job can own.
pub(crate) fn claims(t: &Timelines, e: &Event) -> bool {
    if e.job_id.is_some() {
        return false;
    }
    if e.task_key
        .as_deref()
        .is_some_and(|k| k.starts_with("ImportInto/"))
        || e.task_type.as_deref() == Some("ImportInto")
    {
        return true;
    }
    if let Some(task) = e
        .task_id
        .and_then(|id| t.tasks.iter().find(|k| k.task_id == Some(id)))
    {
        return is_import(task);
    }
    if !storage_line(e) {
        return false;
    }
    match key_ids(e) {
        Some((a, _)) => {
            t.tasks.iter().any(|k| is_import(k) && k.task_id == Some(a))
                || !t.jobs.iter().any(|j| j.job_id == a)
        }
        None => {
            t.jobs.is_empty()
                && e.task_key
                    .as_deref()
                    .is_none_or(|k| k.starts_with("ImportInto/"))
        }
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    let orphans: Vec<&Event> = t
        .cluster
        .unattributed
        .iter()
        .filter(|e| e.task_id.is_none() && e.task_key.is_none())
        .filter(|e| claims(t, e))
        .collect();
    let mut used = vec![false; orphans.len()];
    for task in t.tasks.iter().filter(|k| is_import(k)) {
        let mine: Vec<&Event> = orphans
            .iter()
            .enumerate()
            .filter(|(_, e)| task.task_id.is_some() && key_ids(e).map(|k| k.0) == task.task_id)
            .map(|(i, e)| {
                used[i] = true;
                *e
            })
            .collect();
        out.extend(for_task(ctx, Some(task), task.task_id, mine));
    }
    // Lines no listed task owns: by the task id of their object key, else all together.
    let mut groups: BTreeMap<Option<i64>, Vec<&Event>> = BTreeMap::new();
    for (i, e) in orphans.iter().enumerate() {
        if !used[i] {
            groups.entry(key_ids(e).map(|k| k.0)).or_default().push(e);
        }
    }
    for (id, evs) in groups {
        out.extend(for_task(ctx, None, id, evs));
    }
    out
}

fn failing(task: Option<&TaskTimeline>, extra: &[&Event]) -> Vec<Event> {
    let mut evs: Vec<Event> = task
        .into_iter()
        .flat_map(|k| &k.events)
        .filter(|e| FAILING.contains(&e.kind) && e.error.is_some())
        .chain(extra.iter().copied())
        .cloned()
        .collect();
    evs.sort_by_key(|e| e.ts);
    evs
}

fn for_task(
    ctx: &Context,
    task: Option<&TaskTimeline>,
    id: Option<i64>,
    extra: Vec<&Event>,
) -> Option<Finding> {
    let evs = failing(task, &extra);
    let failed_state = task
        .and_then(|k| k.state.as_deref())
        .is_some_and(|s| matches!(s, "failed" | "reverting" | "reverted" | "revert_failed"));
    let first = evs.first()?;
    let err = first.error.clone().unwrap_or_default();
    let short: String = err
        .lines()
        .next()
        .unwrap_or(&err)
        .chars()
        .take(200)
        .collect();
    let key = task.and_then(|k| k.task_key.clone());
    let import_id = key
        .as_deref()
        .and_then(|k| k.strip_prefix("ImportInto/"))
        .map(str::to_string);
    let name = match (task, id) {
        (Some(k), _) => task_label(k),
        (None, Some(i)) => i.to_string(),
        (None, None) => String::new(),
    };
    let storage_only = evs.iter().all(storage_line);
    let title = match (task.is_some() || id.is_some(), storage_only) {
        (true, false) => format!("IMPORT INTO task {name} failed: {short}"),
        (true, true) => {
            format!("IMPORT INTO task {name}: its global-sort storage operations failed: {short}")
        }
        (false, _) => format!("A global-sort read failed with no task named: {short}"),
    };
    let mut f = finding(&META, None, title);
    f.task = task.map(|k| k.name()).or(id.map(|i| format!("task {i}")));
    let same: Vec<&Event> = evs
        .iter()
        .filter(|e| e.error.as_deref() == Some(&*err))
        .collect();
    let last = *same.last()?;
    let step = task.and_then(last_step);
    let mut parts = vec![format!(
        "{} on instance {} in {} line{} ({}) {}{}.",
        match (task, id) {
            (Some(_), _) => format!("The IMPORT INTO task {name} met `{short}`"),
            (None, Some(i)) => format!(
                "A global-sort storage operation of task {i} met `{short}`: no line names the task otherwise, and the object key `{i}/<subtask>/…` is where IMPORT INTO keeps a task's sort files (no DDL job {i} is in the logs)"
            ),
            (None, None) => format!(
                "A global-sort read met `{short}`: no line names its task, and no DDL job is in the logs"
            ),
        },
        first.instance,
        same.len(),
        if same.len() == 1 { "" } else { "s" },
        by_message(same.iter().copied()),
        window(first.ts, last.ts),
        step.as_ref()
            .map(|(from, to)| format!(", in step {from} → {to}"))
            .unwrap_or_default()
    )];
    let others: Vec<String> = {
        let mut seen: Vec<String> = Vec::new();
        for e in &evs {
            let t = e.error.as_deref().unwrap_or_default();
            if t != &*err && !seen.iter().any(|s| s == t) && seen.len() < 2 {
                seen.push(t.to_string());
            }
        }
        seen
    };
    if !others.is_empty() {
        parts.push(format!(
            "Later lines of it carry {}.",
            others
                .iter()
                .map(|o| format!(
                    "`{}`",
                    o.lines()
                        .next()
                        .unwrap_or(o)
                        .chars()
                        .take(120)
                        .collect::<String>()
                ))
                .collect::<Vec<_>>()
                .join(" and ")
        ));
    }
    if evs.iter().any(|e| e.kind == EventKind::GeneratePlanFailed) {
        parts.push("IMPORT INTO's scheduler does not retry a planning error: it ends the task (`failed` in v7.5, reverted from v8.1 on).".to_string());
    }
    let bug = err.contains("exceed max limit") || err.contains("invalid kv range");
    let source = source_of(&err);
    if err.contains("exceed max limit") {
        parts.push("A read size this large is impossible for a sort file: it is a TiDB bug signature in global sort, not a storage problem.".to_string());
    } else if err.contains("invalid kv range") {
        parts.push("The planner produced a key range whose start is after its end: a deterministic planning bug, not an environment problem.".to_string());
    } else if source == Some(ErrorSource::ExternalStorage) {
        parts.push(
            "The error comes from the object store of global sort (`tidb_cloud_storage_uri`)."
                .to_string(),
        );
        let c = crate::diagnosis::errclass::classify(&err);
        if c.class == crate::diagnosis::errclass::ErrorClass::Transient {
            parts.push(format!(
                "It is a transient error by nature ({}): a retry once the store answers again could succeed, yet the import gave up on it.",
                c.reason
            ));
        }
        if err.contains("retry quota exceeded") {
            parts.push("The storage SDK's retry quota was exhausted, and TiDB judged the error not retryable.".to_string());
        }
    } else if err.contains("context canceled") {
        parts.push("`context canceled` means TiDB cancelled the read itself (the subtask was being stopped, after another error or an owner change); no line here gives the error that stopped it.".to_string());
    }
    let state = task.and_then(|k| k.state.clone());
    parts.push(match &state {
        Some(s) => format!("The task's last state in the logs is `{s}`."),
        None => "No line gives the task's state.".to_string(),
    });
    parts
        .push("IMPORT INTO is not a DDL job: DDL statements do not list or cancel it.".to_string());
    let (ids, notes) = issues_for_task(&META, Some(&err), ctx.version.as_ref());
    parts.extend(notes);
    f.explanation = sentences(&parts);
    let mut sug: Vec<String> = upgrade_advice(&ids);
    if !bug && source == Some(ErrorSource::ExternalStorage) {
        sug.push(format!(
            "Check the object store's reachability and latency from every TiDB node {} (`SELECT @@global.tidb_cloud_storage_uri`).",
            window(first.ts, last.ts)
        ));
    }
    if !failed_state {
        sug.push(match &import_id {
            Some(i) => format!("If it is still running, end it with `CANCEL IMPORT JOB {i}`."),
            None => "If it is still running, end it with `CANCEL IMPORT JOB <id>` (its id is in `SHOW IMPORT JOBS`).".to_string(),
        });
    }
    sug.push("Before re-running the import, empty the target table (`TRUNCATE TABLE`): IMPORT INTO imports only into an empty table.".to_string());
    let show = match &import_id {
        Some(i) => format!("`SHOW IMPORT JOB {i}`"),
        None => "`SHOW IMPORT JOBS`".to_string(),
    };
    match id.or(task.and_then(|k| k.task_id)) {
        Some(tid) => sug.push(format!(
            "Next: {show}, and `SELECT task_key, state, step, error FROM mysql.tidb_global_task_history WHERE id = {tid}` (`mysql.tidb_global_task` while it runs)."
        )),
        None => sug.push(format!("Next: {show}.")),
    }
    f.suggestion = sentences(&sug);
    f.known_issues = ids;
    let mut ev = EvidenceSet::new();
    ev.add(&first.evidence);
    ev.add(&last.evidence);
    for e in evs.iter().filter(|e| e.kind != first.kind) {
        ev.add(&e.evidence);
    }
    f.evidence = ev.into_sorted();
    Some(f)
}
