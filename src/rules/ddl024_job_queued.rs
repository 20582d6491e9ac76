//! DDL024 job-queued.

use crate::event::{Detail, EventKind};
use crate::model::{Finding, JobState, Timestamp};
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Notes a job that is still `queueing` when the logs end because it waits behind another
    /// job, and names that job: an earlier job on the same table that is still running (DDLs on
    /// one table run one at a time), the job TiDB says it depends on (`current DDL job depends
    /// on other job`), or, in v7.6, the job that holds the one ingest slot (`ingest backfill
    /// worker is already in used by another DDL job` [processing job ID]). It says how the
    /// blocker progresses and how long this job has waited. It replaces the generic stall
    /// finding (DDL004) for the queued job.
    ///
    /// ## Why is this bad?
    /// Usually it is not: the job starts when the one ahead of it finishes. It matters when
    /// the blocker is slow or stuck — then this job waits as long — and when someone is about to
    /// cancel the queued job thinking it hangs.
    ///
    /// ## What to do
    /// Nothing: follow both jobs with `ADMIN SHOW DDL JOBS`. If the queued job is urgent,
    /// cancelling the blocker is an option; a stuck blocker has its own finding. Do not cancel
    /// the queued job: it has not started.
    ///
    /// ## Example
    /// Job 6102 (`add index idx_b` on `big`) is submitted at 14:02 and stays `queueing` while
    /// job 6101 (`add index idx_a` on the same table) backfills 2.4M → 21.6M rows until the
    /// logs end at 14:45.
    pub struct JobQueued {
        code: "DDL024",
        name: "job-queued",
        severity: Info,
        summary: "The job waits behind another job (the single ingest slot, or a job on the same table)",
        replaces: ["DDL004"],
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let Some(end) = t.cluster.end_of_logs else {
        return Vec::new();
    };
    t.jobs
        .iter()
        .filter(|j| j.outcome == JobState::Queueing)
        .filter_map(|j| {
            let (blocker, why, proof) = blocker_of(j, t)?;
            Some(build(j, blocker, why, proof, end, ctx))
        })
        .collect()
}

/// Why a job waits for another.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Why {
    DependsOn,
    IngestSlot,
    SameTable,
}

/// The job this one waits behind, why, and the line that says so (when one does).
fn blocker_of<'a>(
    job: &JobTimeline,
    t: &'a Timelines,
) -> Option<(&'a JobTimeline, Why, Option<crate::event::Evidence>)> {
    let other = |id: i64| {
        t.jobs
            .iter()
            .find(|o| o.job_id == id && o.store == job.store && o.job_id != job.job_id)
    };
    // TiDB's own word first.
    if let Some(e) = job.events_of(EventKind::JobDependsOn).last() {
        if let Detail::Blocker(id) = *e.detail {
            if let Some(b) = other(id).filter(|b| b.unfinished()) {
                return Some((b, Why::DependsOn, Some(e.evidence.clone())));
            }
        }
    }
    let adds_index = job
        .job_type
        .as_deref()
        .is_some_and(|ty| ty == "add index" || ty == "add primary key");
    if adds_index {
        let slot = t
            .cluster
            .unattributed
            .iter()
            .filter(|e| e.kind == EventKind::IngestSlotTaken)
            .filter(|e| e.ts.is_some() && e.ts >= job.first_seen)
            .filter_map(|e| match *e.detail {
                Detail::Blocker(id) => other(id)
                    .filter(|b| b.unfinished())
                    .map(|b| (b, e.evidence.clone())),
                _ => None,
            })
            .next_back();
        if let Some((b, ev)) = slot {
            return Some((b, Why::IngestSlot, Some(ev)));
        }
    }
    // An earlier job on the same table that is still running.
    let table = job.table_id?;
    t.jobs
        .iter()
        .filter(|o| o.job_id != job.job_id && o.store == job.store)
        .filter(|o| o.table_id == Some(table) && o.unfinished())
        .filter(|o| o.outcome != JobState::Queueing)
        .filter(|o| o.first_seen.is_some() && o.first_seen <= job.first_seen)
        .min_by_key(|o| (o.first_seen, o.job_id))
        .map(|b| (b, Why::SameTable, None))
}

/// `rows 2400000 → 21600000 between 14:05:00.430 and 14:45:00.430 (8000 rows/s)`.
fn progress(b: &JobTimeline) -> Option<String> {
    let pts: Vec<(u64, Option<Timestamp>)> = b
        .events
        .iter()
        .filter_map(|e| Some((e.rows.or(e.job.as_ref()?.row_count)?, e.ts)))
        .filter(|(n, _)| *n > 0)
        .collect();
    let (first, last) = (
        pts.iter().min_by_key(|p| p.1)?,
        pts.iter().max_by_key(|p| p.1)?,
    );
    if last.0 <= first.0 {
        return Some(format!("its row count is {} ({})", last.0, hms(last.1)));
    }
    let secs = (last.1? - first.1?).num_milliseconds() as f64 / 1000.0;
    let rate = if secs > 0.0 {
        format!(" ({:.0} rows/s)", (last.0 - first.0) as f64 / secs)
    } else {
        String::new()
    };
    Some(format!(
        "its row count grew from {} to {} {}{rate}",
        first.0,
        last.0,
        window(first.1, last.1)
    ))
}

fn build(
    job: &JobTimeline,
    b: &JobTimeline,
    why: Why,
    proof: Option<crate::event::Evidence>,
    end: Timestamp,
    ctx: &Context,
) -> Finding {
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!("Job {} is queued behind job {}", job.job_id, b.job_id),
    );
    let since = job.first_seen.unwrap_or(end);
    let mut parts = vec![format!(
        "{} is `queueing` from {} to the end of the logs at {} ({}): it has not started.",
        capitalize(&job_label(job)),
        hms(Some(since)),
        hms(Some(end)),
        fmt_duration(end - since)
    )];
    parts.push(match why {
        Why::DependsOn => format!(
            "TiDB made it depend on {} (`current DDL job depends on other job`): it runs only after that job finishes.",
            job_label(b)
        ),
        Why::IngestSlot => format!(
            "In TiDB v7.6 only one ADD INDEX at a time may use the ingest backfill, and {} holds it (`ingest backfill worker is already in used by another DDL job`, processing job ID {}).",
            job_label(b),
            b.job_id
        ),
        Why::SameTable => format!(
            "{} works on the same table (table ID {}) and is still `{}`: DDLs on one table run one at a time.",
            capitalize(&job_label(b)),
            b.table_id.unwrap_or_default(),
            b.outcome
        ),
    });
    let stalled = b
        .last_progress
        .or(b.first_seen)
        .map(|p| end - p)
        .filter(|d| *d > ctx.stall_after);
    match (stalled, progress(b)) {
        (Some(d), _) => parts.push(format!(
            "Job {} itself has made no progress for {} (see its own finding): this job waits as long.",
            b.job_id,
            fmt_duration(d)
        )),
        (None, Some(p)) => parts.push(format!("Job {} is progressing: {p}.", b.job_id)),
        (None, None) => {}
    }
    f.explanation = sentences(&parts);
    let mut sug = vec![format!(
        "No action is needed: job {} starts when job {} finishes. Do not cancel job {}: it has not started.",
        job.job_id, b.job_id, job.job_id
    )];
    sug.extend(cancel_advice(
        b,
        &format!(
            "If job {} is urgent, cancelling the job ahead of it is an option",
            job.job_id
        ),
    ));
    sug.push("Next: `ADMIN SHOW DDL JOBS`.".to_string());
    f.suggestion = sentences(&sug);
    let mut ev = EvidenceSet::new();
    ev.add_opt(proof.as_ref());
    ev.add_opt(job.states.first().map(|s| &s.evidence));
    ev.add_opt(b.states.last().map(|s| &s.evidence));
    ev.add_opt(b.rows.as_ref().map(|(_, e)| e));
    f.evidence = ev.into_sorted();
    f
}
