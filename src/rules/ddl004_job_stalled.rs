//! DDL004 job-stalled.

use crate::model::{Finding, JobState};
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a job that is still unfinished when the logs end and made no progress — no state
    /// or schema-state change, no row-count increase — for longer than the stall threshold
    /// (`--stall-minutes`, default 10), measured up to the last line of any log. It is the last
    /// resort: a specific finding for the same job (its cause) replaces it.
    ///
    /// ## Why is this bad?
    /// A DDL job that does not move blocks every DDL queued behind it on the same table, and
    /// TiDB will not give up on it by itself while its errors count as retryable or it waits
    /// for an instance to sync a schema version. Known shapes: an instance that never updated
    /// its schema version, a DXF task whose next step cannot be planned, an executor that
    /// retries a deterministic error forever.
    ///
    /// ## What to do
    /// Look at the job's last lines (the evidence): the error it repeats, or the instance the
    /// owner waits for. Fix that cause (restart the lagging TiDB, free the disk, ...). What else
    /// fits depends on the job's state: a running job that cannot recover can be cancelled
    /// (`ADMIN CANCEL DDL JOBS <id>`) and re-run; a paused one is resumed
    /// (`ADMIN RESUME DDL JOBS <id>`); a queued one waits for the job ahead of it; for one already
    /// cancelling or rolling back, cancelling again has no effect.
    ///
    /// ## Example
    /// Job 130222 stays in `write only` for hours while the owner logs `syncer check all
    /// versions, someone is not synced`.
    pub struct JobStalled {
        code: "DDL004",
        name: "job-stalled",
        severity: Error,
        summary: "A job is unfinished at the end of the logs and has made no progress for too long",
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let Some(end) = t.cluster.end_of_logs else {
        return Vec::new();
    };
    let version = ctx.version.clone();
    t.jobs
        .iter()
        .filter(|j| j.unfinished())
        .filter_map(|job| {
            let since = job.last_progress.or(job.first_seen)?;
            let idle = end - since;
            (idle > ctx.stall_after).then(|| build(job, since, idle, end, ctx, version.as_ref()))
        })
        .collect()
}

fn build(
    job: &JobTimeline,
    since: crate::model::Timestamp,
    idle: chrono::Duration,
    end: crate::model::Timestamp,
    ctx: &Context,
    version: Option<&crate::diagnosis::known_issues::Version>,
) -> Finding {
    let state = job
        .states
        .last()
        .map(|s| format!("{} / {}", s.state, s.schema_state))
        .unwrap_or_else(|| job.outcome.to_string());
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "Job {} made no progress for {} ({state})",
            job.job_id,
            fmt_duration(idle)
        ),
    );
    let mut parts = vec![format!(
        "{} is `{}` at the end of the logs ({}); its last progress (state change or row count) was at {}, {} earlier.",
        capitalize(&job_label(job)),
        job.outcome,
        hms(Some(end)),
        hms(Some(since)),
        fmt_duration(idle)
    )];
    if let Some((rows, _)) = job.rows.as_ref().filter(|(n, _)| *n > 0) {
        parts.push(format!("Last row count: {rows}."));
    }
    let top = job.errors.first();
    if let Some(e) = top {
        let c = crate::diagnosis::errclass::classify(&e.text);
        parts.push(format!(
            "Its most frequent error is {} ({} line{}, {}; {}).",
            e.text,
            e.count,
            if e.count == 1 { "" } else { "s" },
            window(e.first.ts, e.last.ts),
            c.class.as_str()
        ));
    }
    match job.outcome {
        JobState::RollingBack => parts
            .push("It is stuck while rolling back: the rollback itself is not finishing.".into()),
        JobState::Cancelling => {
            parts.push("It is stuck while cancelling: cancelling it again has no effect.".into())
        }
        _ => {}
    }
    let (ids, notes) = issues_for(
        &META,
        job,
        top.map(|e| e.text.as_str()),
        ctx.of(job),
        version,
    );
    parts.extend(notes);
    f.explanation = sentences(&parts);
    f.known_issues = ids;
    let mut sug = vec![
        "Find what the job waits for in its last lines (a repeating error, an instance that does not sync its schema version, a DXF step that cannot be planned) and fix it.".to_string(),
    ];
    match job.outcome {
        JobState::Paused | JobState::Pausing => sug.push(format!(
            "The job is paused: resume it with `ADMIN RESUME DDL JOBS {}`.",
            job.job_id
        )),
        JobState::Queueing | JobState::None => sug.push(
            "The job has not started: it waits for a job ahead of it (`ADMIN SHOW DDL JOBS` lists them)."
                .into(),
        ),
        JobState::RollingBack | JobState::Cancelling => sug.push(
            "The rollback must finish by itself once what it waits for is fixed; cancelling again has no effect."
                .into(),
        ),
        _ => sug.extend(cancel_advice(
            job,
            "If it cannot recover, cancel it and re-run the DDL",
        )),
    }
    sug.push("If the logs simply end early, collect later logs before concluding.".into());
    sug.push(show_job_sql(job));
    f.suggestion = sentences(&sug);
    let mut ev = EvidenceSet::new();
    ev.add_opt(job.states.last().map(|s| &s.evidence));
    ev.add_opt(job.rows.as_ref().map(|(_, e)| e));
    if let Some(e) = top {
        ev.add(&e.first);
        ev.add(&e.last);
    }
    ev.add_opt(job.events.last().map(|e| &e.evidence));
    f.evidence = ev.into_sorted();
    f
}
