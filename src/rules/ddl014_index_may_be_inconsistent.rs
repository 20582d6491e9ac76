//! DDL014 index-may-be-inconsistent.

use crate::event::{Detail, Event, EventKind};
use crate::model::{Finding, JobState};
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a job whose ingest path logged an error that never reached the job: an `ERROR`
    /// `build ingest writer context failed` (`ddl/ingest/message.go`) or `create index ingest
    /// worker failed` (`ddl/backfilling_operators.go`), after which the ingest operator still
    /// reported its task done (`finish a index ingest task`, v7.5–master) or the job ended
    /// `synced`, with no job-level error, retry or rollback for that error.
    ///
    /// ## Why is this bad?
    /// The writer that failed never wrote its share of the index, but the subtask counted as a
    /// success: the job finishes and the index is public while it misses entries — a
    /// data-index inconsistency that queries using the index return silently. It is not an
    /// "expected rollback" (the job did not roll back), and an ingest memory-quota error inside
    /// it is told here, not as DDL012.
    ///
    /// ## What to do
    /// Check the index against its table: `ADMIN CHECK INDEX <table> <index>` (or `ADMIN CHECK
    /// TABLE <table>`). If it reports an inconsistency, drop the index and add it again, after
    /// upgrading to a release with the fix and with settings that avoid the error (fewer reorg
    /// workers for a memory error).
    ///
    /// ## Example
    /// Job 130 logs `build ingest writer context failed` with `[ddl:8247]Ingest failed: memory
    /// used up` for index ID 13, then `finish a index ingest task` for the same task, and
    /// carries on (pingcap/tidb#53792).
    pub struct IndexMayBeInconsistent {
        code: "DDL014",
        name: "index-may-be-inconsistent",
        severity: Error,
        summary: "An ingest/backfill error was swallowed and the job still finished: the index may miss entries",
        replaces: ["DDL006", "DDL012"],
    }
}

/// The ingest-path lines whose error, when lost, leaves the index short.
const SWALLOWABLE: &[&str] = &[
    "build ingest writer context failed",
    "create index ingest worker failed",
];

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    t.jobs
        .iter()
        .filter(|j| !j.rolled_back())
        .filter_map(|job| build(job, ctx))
        .collect()
}

/// True when the job's own error lines (an attempt failed, a retry, a rollback) carry `err`:
/// then the error was not lost.
fn reached_the_job(job: &JobTimeline, err: &str) -> bool {
    job.events.iter().any(|e| {
        matches!(
            e.kind,
            EventKind::JobError
                | EventKind::JobRetrySleep
                | EventKind::ConvertToRollback
                | EventKind::JobStepFailed
        ) && e.error.as_deref() == Some(err)
    }) || job.events.iter().any(|e| {
        e.job
            .as_ref()
            .and_then(|j| j.err.as_deref())
            .is_some_and(|j| j.contains(err))
    })
}

fn index_of(e: &Event) -> Option<i64> {
    match &*e.detail {
        Detail::BackfillFailure { index_id, .. } | Detail::Memory { index_id, .. } => *index_id,
        _ => None,
    }
}

fn build(job: &JobTimeline, ctx: &Context) -> Option<Finding> {
    let lost: Vec<&Event> = job
        .events_of(EventKind::BackfillError)
        .filter(|e| SWALLOWABLE.contains(&&*e.message))
        .filter(|e| e.error.as_deref().is_some_and(|t| !reached_the_job(job, t)))
        .collect();
    let first = *lost.first()?;
    let err = first.error.clone().unwrap_or_default();
    // What shows the subtask counted as done after the error: the operator's finish line (of
    // the same task when both name one), or the job's own `synced`.
    let finished_task = job.events_of(EventKind::IngestTaskFinished).find(|f| {
        f.ts >= first.ts
            && lost
                .iter()
                .any(|e| e.task_id.is_none() || f.task_id.is_none() || e.task_id == f.task_id)
    });
    let synced = matches!(job.outcome, JobState::Synced | JobState::Done);
    if finished_task.is_none() && !synced {
        return None;
    }
    let facts = ctx.of(job);
    let index = lost.iter().copied().find_map(index_of).or_else(|| {
        job.events_of(EventKind::IngestMemoryExhausted)
            .find_map(index_of)
    });
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "{}: an ingest error was swallowed, the index may miss entries",
            capitalize(&job_label(job))
        ),
    );
    let mut parts = Vec::new();
    let lines: Vec<String> = lost
        .iter()
        .map(|e| {
            let mut s = format!("`{}`", e.message);
            match (index_of(e), e.task_id) {
                (Some(i), _) => s.push_str(&format!(" for index ID {i}")),
                (None, Some(t)) => s.push_str(&format!(" in DXF task {t}")),
                _ => {}
            }
            s
        })
        .collect();
    parts.push(format!(
        "At {} on {} the ingest path logged {} with `{err}`.",
        hms(first.ts),
        first.instance,
        lines.join(" and ")
    ));
    if let Some(m) = job.events_of(EventKind::IngestMemoryExhausted).next() {
        if let Detail::Memory {
            usage: Some(u),
            quota: Some(q),
            ..
        } = &*m.detail
        {
            parts.push(format!(
                "It ran out of ingest memory: `allocate memory failed` at {} shows {u} of the {q}-byte quota in use.",
                hms(m.ts)
            ));
        }
    }
    match finished_task {
        Some(t) => parts.push(format!(
            "Yet the ingest operator reported the task done at {} (`finish a index ingest task`{}) and no attempt of the job failed on that error: it was lost, so the rows that writer should have indexed are missing from the index.",
            hms(t.ts),
            t.task_id.map(|id| format!(", task {id}")).unwrap_or_default()
        )),
        None => parts.push(
            "Yet no attempt of the job failed on that error: it was lost, so the rows that writer should have indexed are missing from the index."
                .into(),
        ),
    }
    parts.push(match (&job.finished, synced) {
        (Some(fin), true) => format!(
            "The job still ended `{}` at {}: the index is public and may miss entries.",
            job.outcome,
            hms(fin.ts)
        ),
        _ if job.states.is_empty() => "No job string of the job is in the logs, and none of its lines failed on that error: once it finishes, the index may miss entries.".to_string(),
        _ => format!(
            "The job is `{}` at the end of the logs with no job-level error: once it finishes, the index may miss entries.",
            job.outcome
        ),
    });
    let (ids, notes) = issues_for(&META, job, Some(&err), facts, ctx.version.as_ref());
    parts.extend(notes);
    f.known_issues = ids.clone();
    f.explanation = sentences(&parts);

    let check_sql = match (&job.table, &job.index) {
        (Some(t), Some(i)) => format!("`ADMIN CHECK INDEX {t} {i}`"),
        (Some(t), None) => format!("`ADMIN CHECK TABLE {t}`"),
        _ => "`ADMIN CHECK INDEX <table> <index>`".to_string(),
    };
    let mut sug = Vec::new();
    if !synced {
        sug.push(
            "Let the job finish (do not cancel it for this), then check the index.".to_string(),
        );
    }
    let find = match (index, &job.index) {
        (Some(i), None) => format!(
            " (index ID {i}: find its name with `SELECT table_schema, table_name, key_name FROM information_schema.tidb_indexes WHERE index_id = {i}`)"
        ),
        _ => String::new(),
    };
    let table_sql = format!(
        "`ADMIN CHECK TABLE {}`",
        job.table.as_deref().unwrap_or("<table>")
    );
    let whole = if check_sql == table_sql {
        String::new()
    } else if job.job_type.as_deref() == Some("alter table multi-schema change")
        || index.is_none() && job.index.is_none()
    {
        format!(
            ", or {table_sql} for every index of the table (a multi-schema change adds several)"
        )
    } else {
        format!(", or {table_sql}")
    };
    sug.push(format!(
        "Check the index against its table with {check_sql}{find}{whole}; if it reports an inconsistency, drop the index and add it again."
    ));
    if err.contains("memory used up") {
        sug.push("Before adding it again, lower `tidb_ddl_reorg_worker_cnt` / `tidb_ddl_reorg_batch_size` (or add fewer indexes per ALTER) so the ingest memory quota holds.".into());
    }
    sug.extend(upgrade_advice(&ids));
    sug.push(format!("Next: {check_sql}."));
    f.suggestion = sentences(&sug);

    let mut ev = EvidenceSet::new();
    for e in lost.iter().take(3) {
        ev.add(&e.evidence);
    }
    ev.add_opt(
        job.events_of(EventKind::IngestMemoryExhausted)
            .next()
            .map(|e| &e.evidence),
    );
    ev.add_opt(finished_task.map(|e| &e.evidence));
    ev.add_opt(job.finished.as_ref());
    f.evidence = ev.into_sorted();
    Some(f)
}
