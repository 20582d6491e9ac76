//! DDL020 job-paused.

use crate::event::EventKind;
use crate::model::{Finding, JobState};
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a job that is `paused` or `pausing` at the end of the logs: paused by a user
    /// (`ADMIN PAUSE DDL JOBS`) or by TiDB itself during a smooth upgrade (`pause the job
    /// successfully`, `pause user DDL by system successful`), and not resumed. A failed automatic resume after the upgrade
    /// (`normal cluster state, resume the job failed`) is named with its error.
    ///
    /// ## Why is this bad?
    /// A paused job is not stalled and will not fail: it waits, holding its place in the DDL
    /// queue, until someone resumes it. After an upgrade TiDB resumes only the jobs it paused
    /// itself, and when that resume fails the job stays paused with no further line.
    ///
    /// ## What to do
    /// Resume it: `ADMIN RESUME DDL JOBS <id>` (not cancel), then confirm with `ADMIN SHOW DDL
    /// JOBS`. If its DXF subtasks stay paused, look at `mysql.tidb_background_subtask` for the
    /// task.
    ///
    /// ## Example
    /// Job 2207 is paused by the system at 03:00:12 during an upgrade; at 03:04:40 TiDB logs
    /// `normal cluster state, resume the job failed` with `[ddl:8261]`; the job is still
    /// `paused` at the end of the logs.
    pub struct JobPaused {
        code: "DDL020",
        name: "job-paused",
        severity: Warning,
        summary: "A job is paused (by a user or an upgrade) and was not resumed",
        replaces: ["DDL004"],
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let end = t.cluster.end_of_logs;
    t.jobs
        .iter()
        .filter(|j| matches!(j.outcome, JobState::Paused | JobState::Pausing))
        .map(|j| build(j, end, ctx))
        .collect()
}

fn build(job: &JobTimeline, end: Option<crate::model::Timestamp>, _ctx: &Context) -> Finding {
    // When it was paused: the first state point in `pausing`/`paused` of the last run of them.
    let paused_at = job
        .states
        .iter()
        .rev()
        .take_while(|s| matches!(s.state, JobState::Paused | JobState::Pausing))
        .last();
    let by_system = job.events_of(EventKind::JobPaused).find(|e| {
        matches!(
            &*e.message,
            "pause user DDL by system successful" | "pause the job successfully"
        )
    });
    let resume_failed = job.events_of(EventKind::JobResumeFailed).last();
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "Job {} is `{}`{} and was not resumed",
            job.job_id,
            job.outcome,
            if by_system.is_some() {
                " (paused by TiDB during an upgrade)"
            } else {
                ""
            }
        ),
    );
    let since = by_system
        .and_then(|e| e.ts)
        .or(paused_at.and_then(|s| s.evidence.ts));
    let mut parts = vec![format!(
        "{} is `{}` at the end of the logs{}.",
        capitalize(&job_label(job)),
        job.outcome,
        match (since, end) {
            (Some(s), Some(e)) if e > s => format!(
                " ({}), paused since {} ({})",
                hms(Some(e)),
                hms(Some(s)),
                fmt_duration(e - s)
            ),
            (Some(s), _) => format!(", paused at {}", hms(Some(s))),
            _ => String::new(),
        }
    )];
    parts.push(match by_system {
        Some(e) => format!(
            "TiDB paused it itself at {} (`{}`, category ddl-upgrading): user DDL jobs are paused while the cluster upgrades and resumed afterwards.",
            hms(e.ts),
            e.message
        ),
        None => "The logs hold no line of TiDB pausing it during an upgrade (`pause the job successfully`, `pause user DDL by system successful`), so it was most likely paused with `ADMIN PAUSE DDL JOBS`.".to_string(),
    });
    if let Some(r) = resume_failed {
        parts.push(format!(
            "At {} TiDB tried to resume it after the upgrade and failed (`normal cluster state, resume the job failed`{}); it does not try again.",
            hms(r.ts),
            r.error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ));
    }
    if let Some(d) = job.dist_task.as_ref().filter(|d| d.paused > 0) {
        parts.push(format!(
            "Its DXF task {} was paused too ({} `task paused` line{}).",
            d.task_key
                .clone()
                .or(d.task_id.map(|i| format!("id {i}")))
                .unwrap_or_default(),
            d.paused,
            if d.paused == 1 { "" } else { "s" }
        ));
    }
    parts.push("A paused job waits, it does not fail: it holds its place in the DDL queue until it is resumed.".into());
    f.explanation = sentences(&parts);
    let mut sug = vec![format!(
        "Resume it (not cancel): `ADMIN RESUME DDL JOBS {}`, then confirm it runs with `ADMIN SHOW DDL JOBS`.",
        job.job_id
    )];
    if job.dist_task.is_some() {
        sug.push("If its DXF subtasks stay paused, look at `mysql.tidb_background_subtask` for the task.".into());
    }
    sug.push(show_job_sql(job));
    f.suggestion = sentences(&sug);
    let mut ev = EvidenceSet::new();
    ev.add_opt(by_system.map(|e| &e.evidence));
    ev.add_opt(resume_failed.map(|e| &e.evidence));
    ev.add_opt(paused_at.map(|s| &s.evidence));
    ev.add_opt(job.states.last().map(|s| &s.evidence));
    ev.add_ends(job.events_of(EventKind::TaskPaused));
    f.evidence = ev.into_sorted();
    f
}
