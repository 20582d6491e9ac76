//! DDL002 dist-task-reverted-on-transient-error.

use std::collections::BTreeMap;

use crate::diagnosis::errclass::{classify, ErrorClass};
use crate::event::{Event, EventKind, Evidence};
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a DXF (distributed execution framework) task of a DDL job that was reverted or
    /// failed with a transient error, e.g. `task reverted` with `[tikv:9005]Region is
    /// unavailable`. Repeated `task not resumable` lines each followed by `task reverted` are the
    /// same story seen from DDL's retry loop. A `meet un-retryable error` / `task reverted` line
    /// with a transient error that no job could be tied to (an `IMPORT INTO` task, or a job whose
    /// lines are missing) is reported too, without a job id.
    ///
    /// ## Why is this bad?
    /// A subtask hit a fault that a retry would have survived, and the framework gave up on the
    /// whole task instead. DDL then keeps asking the reverted task for its result: every retry
    /// gets the same error back, ErrCount climbs to the limit, and the job is rolled back
    /// (pingcap/tidb#50417; the DDL-side loop is unchanged in later versions). An error-class
    /// mistake in the executor turns minutes of fault into a failed DDL.
    ///
    /// ## What to do
    /// Check the fault at the time of the first revert (TiKV / PD / external storage). Upgrade
    /// past the fixing release of a matched known issue. While the job still loops, cancel it
    /// (`ADMIN CANCEL DDL JOBS <id>`) and re-run it once the fault is over: nothing resubmits a
    /// reverted task.
    ///
    /// ## Example
    /// `["task not resumable"] [taskKey=ddl/backfill/491]` then
    /// `["task reverted"] [task-id=210029] [error="[tikv:9005]Region is unavailable"]`, 511 times.
    pub struct DistTaskRevertedOnTransientError {
        code: "DDL002",
        name: "dist-task-reverted-on-transient-error",
        severity: Error,
        summary: "A DXF task was reverted or failed because of a transient error",
        replaces: ["DDL004", "DDL007", "DDL008"],
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let version = ctx.version.clone();
    let mut out: Vec<Finding> = t
        .jobs
        .iter()
        .filter_map(|j| for_job(j, ctx, version.as_ref()))
        .collect();
    out.extend(unattributed(t));
    out
}

/// Task states that mean the framework gave up on the task.
fn failed_state(e: &Event) -> bool {
    e.kind == EventKind::TaskStateChange
        && e.detail.task_state_to().is_some_and(|to| {
            matches!(
                to.trim(),
                "reverting" | "reverted" | "failed" | "revert_failed"
            )
        })
}

/// The task's transient error and a line that carries it.
fn task_error(job: &JobTimeline) -> Option<(String, Option<Evidence>)> {
    let d = job.dist_task.as_ref()?;
    let transient = |t: &str| classify(t).class == ErrorClass::Transient;
    if let Some(s) = d.errors.iter().find(|s| transient(&s.text)) {
        return Some((s.text.clone(), Some(s.first.clone())));
    }
    let kinds = [
        EventKind::TaskReverted,
        EventKind::SubtasksEncounterErrors,
        EventKind::SubtaskError,
        EventKind::TaskStateChange,
    ];
    job.events
        .iter()
        .filter(|e| kinds.contains(&e.kind))
        .find_map(|e| {
            e.error
                .as_deref()
                .filter(|t| transient(t))
                .map(|t| (t.to_string(), Some(e.evidence.clone())))
        })
}

fn for_job(
    job: &JobTimeline,
    ctx: &Context,
    version: Option<&crate::diagnosis::known_issues::Version>,
) -> Option<Finding> {
    let d = job.dist_task.as_ref()?;
    let failed = job.kept_events().any(failed_state);
    if d.reverted == 0 && !failed {
        return None;
    }
    // A legitimate rollback (duplicate entry, user cancel...) never gets this finding, even if a
    // transient error also passed through the task on the way.
    if ctx
        .of(job)
        .cause
        .clone()
        .is_some_and(|c| c.classified.class == ErrorClass::Permanent)
    {
        return None;
    }
    let (err, err_ev) = task_error(job)?;
    let c = classify(&err);
    let name = match (&d.task_key, d.task_id) {
        (Some(k), Some(id)) => format!("{k} (id {id})"),
        (Some(k), None) => k.clone(),
        (None, Some(id)) => format!("id {id}"),
        (None, None) => "of the job".into(),
    };
    let what = if d.reverted > 0 {
        format!(
            "reverted {} time{}",
            d.reverted,
            if d.reverted == 1 { "" } else { "s" }
        )
    } else {
        "failed".into()
    };
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "DXF task {name} of job {} was {what} on a transient error: {err}",
            job.job_id
        ),
    );
    let mut parts = Vec::new();
    let reverts: Vec<&Event> = job.events_of(EventKind::TaskReverted).collect();
    let when = match (reverts.first(), reverts.last()) {
        (Some(a), Some(b)) if a.evidence.line != b.evidence.line => {
            let dur = span(&a.evidence, &b.evidence)
                .map(|d| format!(", {}", fmt_duration(d)))
                .unwrap_or_default();
            format!(" (first at {}, last at {}{dur})", hms(a.ts), hms(b.ts))
        }
        (Some(a), _) => format!(" (at {})", hms(a.ts)),
        _ => String::new(),
    };
    parts.push(format!(
        "The DXF task {name} was {what} with {err}{when}, a transient error ({}).",
        c.reason
    ));
    parts.push(
        "A task executor failed a subtask on it instead of retrying, and the scheduler reverted the whole task; a reverted task is never resubmitted.".to_string(),
    );
    let facts = ctx.of(job);
    if d.not_resumable > 1 && d.reverted > 0 {
        parts.push(format!(
            "DDL re-attached to the reverted task {} times (`task not resumable`), each time getting its error back, so none of the job's retries could succeed.",
            d.not_resumable
        ));
    }
    if let Some(s) = retries_story(job, facts) {
        parts.push(format!("{s}."));
    }
    if job.rolled_back() {
        parts.push(format!("{}.", capitalize(&rollback_story(job))));
    } else {
        parts.push(format!(
            "The job is `{}` at the end of the logs.",
            job.outcome
        ));
    }
    let (ids, notes) = issues_for(&META, job, Some(&err), facts, version);
    parts.extend(notes);
    f.explanation = sentences(&parts);
    let first_revert = reverts
        .first()
        .and_then(|e| e.ts)
        .or(err_ev.as_ref().and_then(|e| e.ts));
    let mut sug: Vec<String> = upgrade_advice(&ids);
    match crate::diagnosis::source::source_of(&err) {
        Some(s) if s.is_tikv_or_pd() => sug.push(format!(
            "Check TiKV and PD health {} for the {} fault.",
            window(first_revert, first_revert),
            c.family
        )),
        Some(crate::diagnosis::ErrorSource::ExternalStorage) => sug.push(format!(
            "Check the object store's reachability and latency from every TiDB node {} (`SELECT @@global.tidb_cloud_storage_uri`).",
            window(first_revert, first_revert)
        )),
        _ => {}
    }
    sug.extend(cancel_advice(
        job,
        "The job cannot recover by itself (nothing resubmits a reverted task); end the loop now",
    ));
    sug.push(rerun(job, "once the fault is over"));
    sug.extend(task_sql(job));
    f.suggestion = sentences(&sug);
    f.known_issues = ids;
    let mut ev = EvidenceSet::new();
    ev.add_ends(reverts.iter().copied());
    ev.add_ends(job.events_of(EventKind::TaskNotResumable));
    ev.add_opt(err_ev.as_ref());
    ev.add_ends(job.kept_events().filter(|e| failed_state(e)));
    ev.add_opt(job.rollback.as_ref().map(|r| &r.evidence));
    ev.add_opt(job.err_counts.last().map(|p| &p.evidence));
    ev.add_opt(job.finished.as_ref());
    f.evidence = ev.into_sorted();
    Some(f)
}

/// Transient give-ups that no job could be tied to: one finding per task (key, or id when no
/// line of it names the key) or, for lines that name no task, per error.
fn unattributed(t: &Timelines) -> Vec<Finding> {
    let relevant = |e: &&Event| {
        matches!(
            e.kind,
            EventKind::UnretryableError | EventKind::TaskReverted
        ) && e
            .error
            .as_deref()
            .is_some_and(|err| classify(err).class == ErrorClass::Transient)
    };
    // Task id → key, from any line that names both: lines of one task group under its key.
    let keys: BTreeMap<i64, String> = t
        .cluster
        .unattributed
        .iter()
        .filter_map(|e| Some((e.task_id?, e.task_key.as_deref()?.to_string())))
        .collect();
    // Error text → task key, from task lines (`subtask failed` [task-key] [error]) that repeat
    // the error a lower layer gave up on without naming the task (failure-families §1 rule 10).
    let by_error: BTreeMap<&str, &str> = t
        .cluster
        .unattributed
        .iter()
        .filter_map(|e| Some((e.error.as_deref()?, e.task_key.as_deref()?)))
        .collect();
    // A task id as a path segment of an object key (`…/<task>/<subtask>/…`).
    let in_path = |err: &str| {
        keys.iter()
            .find(|(id, _)| err.contains(&format!("/{id}/")))
            .map(|(_, k)| k.clone())
    };
    let mut groups: BTreeMap<String, Vec<&Event>> = BTreeMap::new();
    // IMPORT INTO's lines and global-sort reads no DDL job owns are DDL018's.
    let import = |e: &&Event| crate::rules::ddl018_import_into_failed::claims(t, e);
    for e in t
        .cluster
        .unattributed
        .iter()
        .filter(relevant)
        .filter(|e| !import(e))
    {
        let err = e.error.as_deref().unwrap_or_default();
        let key = e
            .task_key
            .as_deref()
            .map(str::to_string)
            .or_else(|| e.task_id.and_then(|i| keys.get(&i).cloned()))
            .or_else(|| e.task_id.map(|i| format!("task id {i}")))
            .or_else(|| by_error.get(err).map(|k| k.to_string()))
            .or_else(|| in_path(err))
            .unwrap_or_else(|| err.to_string());
        groups.entry(key).or_default().push(e);
    }
    groups
        .into_iter()
        .map(|(key, evs)| {
            let first = evs[0];
            let err = first.error.as_deref().unwrap_or_default();
            let c = classify(err);
            let short: String = err.lines().next().unwrap_or(err).chars().take(160).collect();
            let named = key.starts_with("ImportInto/")
                || key.contains("/backfill/")
                || key.starts_with("task id ")
                || evs.iter().any(|e| e.task_key.is_some() || e.task_id.is_some());
            let subject = if key.starts_with("ImportInto/") {
                format!("IMPORT INTO task {key}")
            } else if let Some(id) = key.strip_prefix("task id ") {
                format!("DXF task {id}")
            } else if named {
                format!("DXF task {key}")
            } else {
                "A DXF/import component".into()
            };
            let verb = if first.kind == EventKind::UnretryableError { "gave up on" } else { "was reverted on" };
            let mut f = finding(&META, None, format!("{subject} {verb} a transient error: {short}"));
            let mut parts = vec![format!(
                "{subject} {verb} {err:?} {} time{} ({}), a transient error by nature ({}; family {}) that the layer meeting it judged un-retryable.",
                evs.len(),
                if evs.len() == 1 { "" } else { "s" },
                window(first.ts, evs.last().and_then(|e| e.ts)),
                c.reason,
                c.family
            )];
            if !key.starts_with("ImportInto/") {
                parts.push("No DDL job string ties these lines to a job.".to_string());
            }
            f.explanation = sentences(&parts);
            let mut sug = Vec::new();
            match crate::diagnosis::source::source_of(err) {
                Some(crate::diagnosis::ErrorSource::ExternalStorage) => sug.push(
                    "Check the object store's reachability and latency from every TiDB node at that time and the SDK retry quota (`SELECT @@global.tidb_cloud_storage_uri`).".to_string(),
                ),
                Some(s) if s.is_tikv_or_pd() => sug.push("Check TiKV and PD health at that time.".to_string()),
                _ => {}
            }
            if key.starts_with("ImportInto/") {
                sug.push("Re-run the import once the store is healthy; `SHOW IMPORT JOBS` shows its state.".to_string());
            } else {
                sug.push("Re-run the DDL or import once the component is healthy.".to_string());
            }
            if named {
                let cond = if key.starts_with("task id ") {
                    format!("id = {}", key.trim_start_matches("task id "))
                } else {
                    format!("task_key = '{key}'")
                };
                sug.push(format!("Next: `SELECT id, task_key, type, state, step, error FROM mysql.tidb_global_task_history WHERE {cond}`."));
            }
            f.suggestion = sentences(&sug);
            let mut ev = EvidenceSet::new();
            ev.add_ends(evs.iter().copied());
            f.evidence = ev.into_sorted();
            f
        })
        .collect()
}
