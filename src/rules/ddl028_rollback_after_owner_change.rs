//! DDL028 rollback-after-owner-change.

use crate::model::{Finding, Timestamp};
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

/// A rollback this soon after the owner change is the change's consequence.
const WITHIN_MINUTES: i64 = 30;

declare_rule! {
    /// ## What it does
    /// Flags a job rolled back on a cancel-shaped error (`context canceled`) shortly after the
    /// DDL owner changed — a rolling restart, an upgrade, an owner killed — or after the new
    /// owner resumed an ingest checkpoint another instance wrote (`resume checkpoint` with
    /// `previous instance` ≠ `current instance`). It says whether the old owner exited
    /// gracefully or died.
    ///
    /// ## Why is this bad?
    /// Nothing was wrong with the data or the cluster: the old owner's shutdown cancelled the
    /// reorg's context, and the new owner read that cancellation as the job's error and rolled
    /// the job back instead of continuing it (pingcap/tidb#52805). The work is lost and the DDL
    /// must be run again.
    ///
    /// ## What to do
    /// Upgrade to a release with the fix (v7.1.6, v7.5.2, v8.1.0 or later). During rolling
    /// restarts, pause the job first (`ADMIN PAUSE DDL JOBS <id>`) and resume it afterwards
    /// (`ADMIN RESUME DDL JOBS <id>`); then re-run the DDL.
    ///
    /// ## Example
    /// tidb-0 logs `got signal to exit` at 10:20:00 and resigns the owner; tidb-1 becomes owner,
    /// resumes the checkpoint of 10.0.1.5:4000, and at 10:20:09 converts job 5120 to rollback on
    /// `context canceled`.
    pub struct RollbackAfterOwnerChange {
        code: "DDL028",
        name: "rollback-after-owner-change",
        severity: Error,
        summary: "A job was rolled back on a cancel-shaped error right after the DDL owner changed",
        replaces: ["DDL001", "DDL005", "DDL008", "DDL013"],
    }
}

/// The error a shut-down owner leaves behind.
fn cancel_shaped(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("context canceled") || t.contains("code = canceled")
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    t.jobs
        .iter()
        .filter(|j| j.rolled_back())
        .filter_map(|j| build(j, ctx))
        .collect()
}

fn build(job: &JobTimeline, ctx: &Context) -> Option<Finding> {
    let facts = ctx.of(job);
    let rb = job.rollback.as_ref()?;
    let rb_ts = rb.evidence.ts?;
    let error = rb
        .error
        .clone()
        .or_else(|| facts.cause.as_ref().map(|c| c.text.clone()))
        .filter(|e| cancel_shaped(e))?;
    let soon = |t: Option<Timestamp>| {
        t.is_some_and(|t| t <= rb_ts && (rb_ts - t).num_minutes() < WITHIN_MINUTES)
    };
    let tk = facts.takeover.as_ref().filter(|tk| soon(tk.change.ts));
    let resume = facts
        .foreign_resume
        .as_ref()
        .filter(|r| soon(r.evidence.ts));
    if tk.is_none() && resume.is_none() {
        return None;
    }
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "{} was rolled back on `{error}` right after the DDL owner changed",
            capitalize(&job_label(job))
        ),
    );
    let mut parts = Vec::new();
    let change_ts = tk
        .and_then(|t| t.change.ts)
        .or(resume.and_then(|r| r.evidence.ts));
    if let Some(tk) = tk {
        parts.push(match &tk.shutdown {
            Some(s) if tk.graceful => format!(
                "The owner {} exited gracefully: it logged `{}` at {}.",
                tk.old,
                shutdown_msg(s),
                hms(s.ts)
            ),
            _ => format!(
                "The owner {} ended abruptly: its last job line is at {}, with no `got signal to exit` or owner resignation before it (killed or crashed).",
                tk.old,
                hms(tk.last_line.as_ref().and_then(|e| e.ts))
            ),
        });
        if let Some(new) = &tk.new {
            parts.push(format!(
                "{new} took the job over at {}.",
                hms(tk.taken.as_ref().and_then(|e| e.ts).or(tk.change.ts))
            ));
        }
    }
    if let Some(r) = tk.and_then(|t| t.restart.as_ref().map(|e| (&t.old, e))) {
        parts.push(format!("{} restarted at {}.", r.0, hms(r.1.ts)));
    }
    if let Some(r) = resume {
        parts.push(format!(
            "At {} the reorg resumed from a checkpoint another instance wrote (`resume checkpoint`: previous instance {}, current instance {}).",
            hms(r.evidence.ts),
            r.previous,
            r.current
        ));
    }
    parts.push(format!(
        "TiDB converted the job to rollback at {} on `{error}`{}{}.",
        hms(Some(rb_ts)),
        rb.err_count
            .map(|n| format!(" (ErrCount {n})"))
            .unwrap_or_default(),
        change_ts
            .filter(|c| *c < rb_ts)
            .map(|c| format!(", {} after the owner change began", fmt_duration(rb_ts - c)))
            .unwrap_or_default()
    ));
    parts.push("The error is the old owner's end cancelling the reorg, not a fault of the data or the cluster: the new owner took the cancellation for the job's error and rolled the job back instead of continuing it.".into());
    parts.push(match &job.finished {
        Some(e) => format!("It ended `{}` at {}.", job.outcome, hms(e.ts)),
        None => format!("It is `{}` at the end of the logs.", job.outcome),
    });
    let (ids, notes) = issues_for(&META, job, Some(&error), facts, ctx.version.as_ref());
    parts.extend(notes);
    f.explanation = sentences(&parts);
    let mut sug = upgrade_advice(&ids);
    f.known_issues = ids;
    sug.push(format!(
        "During rolling restarts and upgrades, pause the job first (`ADMIN PAUSE DDL JOBS {id}`) and resume it afterwards (`ADMIN RESUME DDL JOBS {id}`).",
        id = job.job_id
    ));
    sug.push(rerun(job, "once the owner is stable"));
    sug.push(show_job_sql(job));
    f.suggestion = sentences(&sug);
    let mut ev = EvidenceSet::new();
    if let Some(tk) = tk {
        ev.add_opt(tk.shutdown.as_ref());
        ev.add_opt(tk.last_line.as_ref());
        ev.add(&tk.change);
        ev.add_opt(tk.taken.as_ref());
        ev.add_opt(tk.restart.as_ref());
    }
    ev.add_opt(resume.map(|r| &r.evidence));
    ev.add(&rb.evidence);
    ev.add_opt(job.finished.as_ref());
    f.evidence = ev.into_sorted();
    Some(f)
}

fn shutdown_msg(e: &crate::model::Evidence) -> &'static str {
    if e.text.contains("got signal to exit") {
        "got signal to exit"
    } else if e.text.contains("resign ddl owner success") {
        "resign ddl owner success"
    } else {
        "resign owner success"
    }
}
