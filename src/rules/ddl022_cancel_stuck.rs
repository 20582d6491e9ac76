//! DDL022 cancel-stuck.

use std::collections::BTreeMap;

use crate::model::{Finding, JobState};
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a job that is `cancelling` or `rollingback` at the end of the logs and has not
    /// moved (no state or schema-state change) for longer than the stall threshold
    /// (`--stall-minutes`, default 10): the cancel or rollback itself does not finish.
    ///
    /// ## Why is this bad?
    /// A cancel or a rollback must still clean up: drop the half-built index, remove the reorg
    /// state, publish each schema version to every TiDB. When that step cannot complete — the
    /// reorg element is missing (`get reorg info, the element does not exist`), another TiDB
    /// does not sync the schema version, the rollback step keeps failing — the job holds its
    /// table's DDL queue for hours. Cancelling it again has no effect: it is already cancelling.
    ///
    /// ## What to do
    /// Read the line the job repeats (the evidence) and fix what it waits for. Restarting the
    /// DDL owner re-drives the rollback and is the usual workaround; upgrade if a known issue
    /// fits. Then confirm with `ADMIN SHOW DDL JOBS`.
    ///
    /// ## Example
    /// Job 1410 was converted to rollback at 10:06:12 and is still `rollingback` / `delete only`
    /// at 10:41:17 while the owner logs `syncer check all versions, someone is not synced`.
    pub struct CancelStuck {
        code: "DDL022",
        name: "cancel-stuck",
        severity: Error,
        summary: "A cancelling or rolling-back job does not move: the cancel itself is stuck",
        replaces: ["DDL004", "DDL006"],
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let Some(end) = t.cluster.end_of_logs else {
        return Vec::new();
    };
    t.jobs
        .iter()
        .filter(|j| matches!(j.outcome, JobState::Cancelling | JobState::RollingBack))
        .filter_map(|job| {
            // Time in the current state: since the state (not the schema state) was entered.
            let entered = job
                .states
                .iter()
                .rev()
                .take_while(|s| s.state == job.outcome)
                .last()?;
            let since = job.last_progress.or(entered.evidence.ts)?;
            let idle = end - since;
            (idle > ctx.stall_after).then(|| build(job, entered, since, end, ctx))
        })
        .collect()
}

fn build(
    job: &JobTimeline,
    entered: &crate::timeline::StatePoint,
    since: crate::model::Timestamp,
    end: crate::model::Timestamp,
    ctx: &Context,
) -> Finding {
    let last = job.states.last().unwrap_or(entered);
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "Job {} is stuck `{}` ({}) for {}",
            job.job_id,
            job.outcome,
            last.schema_state,
            fmt_duration(end - entered.evidence.ts.unwrap_or(since))
        ),
    );
    let mut parts = vec![format!(
        "{} entered `{}` at {} and is still `{}` / `{}` at the end of the logs ({}); its last state change was at {}, {} earlier.",
        capitalize(&job_label(job)),
        job.outcome,
        hms(entered.evidence.ts),
        job.outcome,
        last.schema_state,
        hms(Some(end)),
        hms(Some(since)),
        fmt_duration(end - since)
    )];
    // The line it repeats while stuck: the most frequent message after the last state change.
    let mut by_msg: BTreeMap<&str, Vec<&crate::event::Event>> = BTreeMap::new();
    for e in job
        .events
        .iter()
        .filter(|e| e.ts.is_some_and(|t| t > since))
    {
        by_msg.entry(&e.message).or_default().push(e);
    }
    let repeated = by_msg
        .iter()
        .max_by_key(|(_, v)| v.len())
        .filter(|(_, v)| !v.is_empty());
    if let Some((msg, evs)) = repeated {
        let n = evs.len() as u64;
        let kind_total = job.count(evs[0].kind);
        let kept_of_kind = job.events_of(evs[0].kind).count() as u64;
        let count = if kind_total > kept_of_kind {
            format!("at least {n} times")
        } else if n == 1 {
            "once".to_string()
        } else {
            format!("{n} times")
        };
        parts.push(format!(
            "Since then the job's logs repeat `{msg}` ({count}, {}).",
            window(
                evs.first().and_then(|e| e.ts),
                evs.last().and_then(|e| e.ts)
            )
        ));
    }
    if let Some(rb) = &job.rollback {
        parts.push(format!(
            "TiDB converted it to rollback at {}{}.",
            hms(rb.evidence.ts),
            rb.error
                .as_deref()
                .map(|e| format!(" on {e}"))
                .unwrap_or_default()
        ));
    }
    parts.push(
        "The rollback must clean up before the job can end (drop the half-built element, publish each schema version to every TiDB), and that cleanup is not finishing."
            .into(),
    );
    f.explanation = sentences(&parts);
    let (ids, notes) = issues_for(&META, job, None, ctx.of(job), ctx.version.as_ref());
    f.explanation = sentences(&[f.explanation.clone(), notes.join(" ")]);
    let mut sug = vec![
        format!(
            "Cancelling it again has no effect: job {} is already `{}`.",
            job.job_id, job.outcome
        ),
        "Fix what the repeated line waits for; restarting the DDL owner re-drives the rollback and is the usual workaround.".to_string(),
    ];
    sug.extend(upgrade_advice(&ids));
    f.known_issues = ids;
    sug.push(show_job_sql(job));
    f.suggestion = sentences(&sug);
    let mut ev = EvidenceSet::new();
    ev.add(&entered.evidence);
    ev.add(&last.evidence);
    ev.add_opt(job.rollback.as_ref().map(|r| &r.evidence));
    if let Some((_, evs)) = repeated {
        ev.add_opt(evs.first().map(|e| &e.evidence));
        ev.add_opt(evs.last().map(|e| &e.evidence));
    }
    f.evidence = ev.into_sorted();
    f
}
