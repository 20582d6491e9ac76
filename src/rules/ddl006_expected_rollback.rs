//! DDL006 expected-rollback.

use crate::diagnosis::cause::Cause;
use crate::diagnosis::errclass::ErrorClass;
use crate::event::EventKind;
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Notes a rollback caused by a permanent error: duplicate entry (a UNIQUE index over
    /// duplicate data), data too long / truncated / invalid for a new type, a user's
    /// `ADMIN CANCEL DDL JOBS`, a full disk, an exhausted ingest memory quota, an unknown
    /// resource group.
    ///
    /// ## Why is this bad?
    /// It is not a system fault: the data, the configuration or a person decided, and retrying
    /// the same DDL would fail the same way. It is reported so that nobody goes hunting for a
    /// TiKV or network problem. `[ddl:8214]Cancelled DDL job` counts as a user cancel only when
    /// nothing in the logs shows TiDB itself gave up first.
    ///
    /// ## What to do
    /// Fix the data or the configuration the error names, then re-run the DDL.
    ///
    /// ## Example
    /// `import index duplicate key, convert job to rollback` with
    /// `[kv:1062]Duplicate entry 'gray mistress' for key 'c_string'`.
    pub struct ExpectedRollback {
        code: "DDL006",
        name: "expected-rollback",
        severity: Info,
        summary: "A rollback caused by a permanent error (duplicate entry, bad data, user cancel): not a system fault",
        replaces: ["DDL008"],
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let mut out: Vec<Finding> = t
        .jobs
        .iter()
        .filter_map(|job| {
            let cause = ctx.of(job).cause.clone()?;
            (cause.classified.class == ErrorClass::Permanent)
                .then(|| build(job, &cause, ctx.of(job)))
        })
        .collect();
    out.extend(unattributed(t));
    out
}

/// Backfill failures on a permanent error whose line names no job (older backfill workers log
/// only `worker="backfill-worker 1, tp merge temporary index"`): the DDL job they serve fails
/// on them, and the reader should know it is the data, not the cluster. One finding per error.
fn unattributed(t: &Timelines) -> Vec<Finding> {
    let mut groups: std::collections::BTreeMap<String, Vec<&crate::event::Event>> =
        std::collections::BTreeMap::new();
    for e in &t.cluster.unattributed {
        if !matches!(
            e.kind,
            EventKind::BackfillError | EventKind::ConvertToRollback | EventKind::JobError
        ) {
            continue;
        }
        let Some(err) = e.error.as_deref() else {
            continue;
        };
        // One failure, one finding (§1 rule 1): an error that a job's own lines also carry is
        // that job's finding, not a second, job-less one.
        let a_jobs = t
            .jobs
            .iter()
            .any(|j| j.errors.iter().any(|s| s.text == err));
        if !a_jobs && crate::diagnosis::errclass::classify(err).class == ErrorClass::Permanent {
            groups.entry(err.to_string()).or_default().push(e);
        }
    }
    groups
        .into_iter()
        .map(|(err, evs)| {
            let c = crate::diagnosis::errclass::classify(&err);
            let mut f = finding(
                &META,
                None,
                format!("A DDL backfill failed on a permanent error: {err}"),
            );
            f.explanation = sentences(&[
                format!(
                    "{} line{} report {err} ({}) without naming the DDL job they serve.",
                    evs.len(),
                    if evs.len() == 1 { "" } else { "s" },
                    c.reason
                ),
                "It is a permanent error, not a system fault: retrying the same data cannot help."
                    .to_string(),
            ]);
            f.suggestion = advice(c.family).to_string();
            let mut ev = EvidenceSet::new();
            for e in evs.iter().take(1).chain(evs.iter().skip(1).last()) {
                ev.add(&e.evidence);
            }
            f.evidence = ev.into_sorted();
            f
        })
        .collect()
}

fn advice(family: &str) -> &'static str {
    match family {
        "duplicate-entry" => "Find the duplicate values of the new UNIQUE key (`SELECT <cols>, COUNT(*) FROM <table> GROUP BY <cols> HAVING COUNT(*) > 1`), remove or fix them, then re-run the DDL.",
        "data-too-long" | "data-truncated" | "incorrect-value" | "invalid-value" | "out-of-range" | "null-value" => "Find the rows that do not fit the new definition, fix them (or choose a wider type), then re-run the DDL.",
        "cancelled" => "The job was cancelled (`ADMIN CANCEL DDL JOBS`); if that was not intended, find who cancelled it and re-run the DDL.",
        "disk-full" => "Free disk space on the TiDB temp dir / TiKV stores (or lower `tidb_ddl_disk_quota`, move `temp-dir`), then re-run the DDL.",
        "ingest-memory" => "Lower `tidb_ddl_reorg_worker_cnt` / `tidb_ddl_reorg_batch_size` or give the ingest more memory, then re-run the DDL.",
        "resource-group" => "Create the resource group the session uses (or switch it to an existing one), then re-run the DDL.",
        _ => "Fix what the error names, then re-run the DDL.",
    }
}

fn build(job: &JobTimeline, cause: &Cause, facts: &crate::diagnosis::JobFacts) -> Finding {
    let what = match cause.classified.family {
        "cancelled" => "a cancel".to_string(),
        fam => fam.replace('-', " "),
    };
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "{} was rolled back by {what}: {}",
            capitalize(&job_label(job)),
            cause.text
        ),
    );
    let mut parts = vec![if cause.classified.family == "cancelled" {
        format!(
            "The rollback was caused by a cancel: {} ({}).",
            cause.text, cause.classified.reason
        )
    } else {
        format!(
            "The rollback was caused by {} ({}): a permanent error, not a system fault; retrying the same data cannot help.",
            cause.text, cause.classified.reason
        )
    }];
    parts.push(format!("{}.", capitalize(&rollback_story(job))));
    if cause.classified.family == "cancelled" {
        let earlier: Vec<&str> = job
            .errors
            .iter()
            .map(|s| s.text.as_str())
            .filter(|t| !crate::diagnosis::errclass::is_cancelled(t))
            .take(2)
            .collect();
        if earlier.is_empty() {
            parts.push("No other error was logged for the job and nothing shows TiDB gave up on it: a user (or tool) cancelled it.".into());
        } else {
            parts.push(format!(
                "Before the cancel the job had failed with {}, but it never reached the error-count limit and TiDB never gave up on those errors itself, so the cancel came from outside (a user or tool). If nobody cancelled it, treat those errors as the cause.",
                earlier.join(", ")
            ));
        }
    }
    // A duplicate found right after the owner moved (or the backfill resumed from a checkpoint)
    // may be false: TiDB has had several bugs of that shape, so "the data is wrong" is not yet
    // established (failure-families F10; DDL015 tells it in full).
    let suspicious = cause.classified.family == "duplicate-entry"
        && (!facts.owner_changes.is_empty()
            || job
                .events
                .iter()
                .any(|e| e.message.contains("resume checkpoint")));
    if suspicious {
        parts.push(
            "The owner changed (or the backfill resumed from a checkpoint) while the job ran: a duplicate reported after a resume can be false, so confirm it in the data before changing anything."
                .into(),
        );
    }
    f.explanation = sentences(&parts);
    let mut sug = vec![advice(cause.classified.family).to_string()];
    if suspicious {
        sug.insert(
            0,
            "First confirm the duplicate exists (the GROUP BY query below); if it does not, re-run the DDL as it is."
                .into(),
        );
    }
    f.suggestion = sentences(&sug);
    let mut ev = rollback_evidence(job, Some(&cause.text), cause.evidence.as_ref());
    ev.add_ends(job.events_of(crate::event::EventKind::JobCancelled));
    f.evidence = ev.into_sorted();
    f
}
