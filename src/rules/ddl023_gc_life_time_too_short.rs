//! DDL023 gc-life-time-too-short.

use crate::diagnosis::ErrorSource;
use crate::event::EventKind;
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a job that fails with `[tikv:9006]GC life time is shorter than transaction
    /// duration, transaction starts at <t>, GC safe point is <s>`: a transaction of the DDL was
    /// still running when the GC safe point passed its start time — the work takes longer than
    /// `tidb_gc_life_time` allows.
    ///
    /// ## Why is this bad?
    /// It is not a TiKV fault and not a passing one: with the same GC life time the same work
    /// runs into the same wall. When every attempt reports the same start time, the attempts are
    /// not reading anew at all: each DDL retry re-attaches to the reverted DXF task and reads its
    /// stored error back (docs/retry-semantics.md §4), so retrying until
    /// `tidb_ddl_error_count_limit` only delays the rollback.
    ///
    /// ## What to do
    /// Check `SELECT @@global.tidb_gc_life_time` and raise it above the DDL's expected duration
    /// (`SET GLOBAL tidb_gc_life_time = '<duration>'`), or make the DDL faster, then re-run it.
    /// A larger error-count limit does not help.
    ///
    /// ## Example
    /// Job 4201's DXF task 70003 is reverted with `transaction starts at 2024-03-04 01:00:01.020
    /// …, GC safe point is 2024-03-04 01:40:00.000 …`; each DDL retry reads the same error back.
    pub struct GcLifeTimeTooShort {
        code: "DDL023",
        name: "gc-life-time-too-short",
        severity: Error,
        summary: "A transaction of the job outlived tidb_gc_life_time ([tikv:9006]): retries cannot outlast it",
        replaces: ["DDL001", "DDL002", "DDL004", "DDL007", "DDL008"],
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    t.jobs
        .iter()
        .filter(|j| ctx.of(j).source == Some(ErrorSource::GcLifeTime))
        .filter_map(build)
        .collect()
}

/// The `transaction starts at …` and `GC safe point is …` times of a 9006 error text.
fn times(err: &str) -> (Option<&str>, Option<&str>) {
    let after = |mark: &str| {
        err.find(mark).map(|p| {
            let rest = &err[p + mark.len()..];
            rest.split(',').next().unwrap_or(rest).trim()
        })
    };
    (after("transaction starts at"), after("GC safe point is"))
}

fn build(job: &JobTimeline) -> Option<Finding> {
    let stat = job
        .errors
        .iter()
        .find(|s| s.text.contains("[tikv:9006]") || s.text.contains("GC life time"))?;
    let starts: std::collections::BTreeSet<&str> = job
        .errors
        .iter()
        .chain(job.dist_task.iter().flat_map(|d| &d.errors))
        .filter(|s| s.text.contains("GC life time"))
        .filter_map(|s| times(&s.text).0)
        .collect();
    let (start, safe) = times(&stat.text);
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "{} failed because a transaction outlived tidb_gc_life_time ([tikv:9006])",
            capitalize(&job_label(job))
        ),
    );
    let mut parts = vec![format!(
        "The job failed {} with `[tikv:9006]` ({}){}.",
        match stat.count {
            1 => "once".to_string(),
            n => format!("{n} times"),
        },
        window(stat.first.ts, stat.last.ts),
        match (start, safe) {
            (Some(s), Some(g)) =>
                format!(": its transaction starts at {s}, the GC safe point is {g}"),
            (Some(s), None) => format!(": its transaction starts at {s}"),
            _ => String::new(),
        }
    )];
    parts.push(
        "A transaction of the DDL was still running when the GC safe point passed its start time: the work takes longer than `tidb_gc_life_time` allows, and the same work with the same GC life time meets the same error."
            .into(),
    );
    let reattach = job
        .dist_task
        .as_ref()
        .is_some_and(|d| d.reverted >= 1 && d.not_resumable > 1);
    if starts.len() == 1 && (stat.count > 1 || reattach) {
        parts.push(match job.dist_task.as_ref().filter(|_| reattach) {
            Some(d) => format!(
                "Every attempt reports the same start time: no attempt read anew. Each DDL retry re-attached to the reverted DXF task {} ({} `task not resumable` lines) and read its stored error back, so retrying cannot succeed.",
                d.task_key
                    .clone()
                    .or(d.task_id.map(|i| format!("id {i}")))
                    .unwrap_or_default(),
                d.not_resumable
            ),
            None => "Every attempt reports the same start time: the attempts returned one stored error again rather than reading anew, so retrying cannot succeed.".to_string(),
        });
    }
    if job.count(EventKind::JobRetrySleep) > 0 {
        parts.push(format!(
            "TiDB's DDL layer retried it ({} `sleeps a while then retries it.` lines): `[tikv:9006]` is on its reorg retry list.",
            job.count(EventKind::JobRetrySleep)
        ));
    }
    parts.push(if job.rolled_back() {
        format!("{}.", capitalize(&rollback_story(job)))
    } else {
        format!(
            "The job is `{}` at the end of the logs (ErrCount {}).",
            job.outcome, job.max_err_count
        )
    });
    f.explanation = sentences(&parts);
    let mut sug = vec![
        "Raise the GC life time above the DDL's expected duration (`SET GLOBAL tidb_gc_life_time = '<duration>'`), or make the DDL faster; a larger error-count limit does not help.".to_string(),
    ];
    if !job.rolled_back() && !job.unfinished() {
        // finished: nothing to cancel
    } else if let Some(c) = cancel_advice(job, "It cannot succeed as it is; end it") {
        sug.push(c);
    }
    sug.push(rerun(job, "after that"));
    sug.push("Next: `SELECT @@global.tidb_gc_life_time`.".into());
    f.suggestion = sentences(&sug);
    let mut ev = EvidenceSet::new();
    ev.add(&stat.first);
    ev.add(&stat.last);
    ev.add_ends(job.events_of(EventKind::JobRetrySleep));
    ev.add_opt(job.rollback.as_ref().map(|r| &r.evidence));
    ev.add_opt(job.finished.as_ref());
    f.evidence = ev.into_sorted();
    Some(f)
}
