//! DDL015 suspicious-duplicate-entry.

use crate::diagnosis::{ChangeKind, JobFacts, OwnerChange};
use crate::event::{Detail, Event, EventKind};
use crate::model::{Finding, Timestamp};
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags an ADD UNIQUE INDEX rolled back on a duplicate key (`import index duplicate key,
    /// convert job to rollback`, or a reorg conversion with `[kv:1062]Duplicate entry …`) when
    /// something during the same job makes the duplicate doubtful: the backfill resumed from an
    /// ingest checkpoint written by another instance (`resume checkpoint` with `previous
    /// instance` ≠ `current instance`) after an owner change, the owner changed at most two
    /// minutes before the duplicate, or the duplicate was found
    /// while merging the temporary index, i.e. in rows written concurrently with the DDL
    /// (`backfill worker exit on error` [worker=`… tp merge temporary index`]).
    ///
    /// ## Why is this bad?
    /// Usually a duplicate means the data has duplicates (DDL006). But TiDB has reported false
    /// duplicates after an owner change with checkpoint resume, after a DXF local-sort restart,
    /// and under concurrent REPLACE / UPSERT during the temporary-index merge. Fixing "duplicate"
    /// data that is not duplicated, or giving up on the index, is the wrong response.
    ///
    /// ## What to do
    /// Verify first: `SELECT <cols>, COUNT(*) FROM <table> GROUP BY <cols> HAVING COUNT(*) > 1`
    /// over the new key's columns. Empty → the duplicate was false: re-run the DDL (and upgrade to
    /// a release with the fix). Rows → fix the data, then re-run.
    ///
    /// ## Example
    /// Job 3301 resumes from a checkpoint written by 10.0.1.5:4000 on 10.0.1.6:4000 at 11:02:10,
    /// and 40 s later rolls back on `[kv:1062]Duplicate entry '1007' for key 'orders.uk_no'`.
    pub struct SuspiciousDuplicateEntry {
        code: "DDL015",
        name: "suspicious-duplicate-entry",
        severity: Warning,
        summary: "A duplicate-entry rollback right after an owner change, checkpoint resume or concurrent write: maybe a false duplicate",
        replaces: ["DDL005", "DDL006"],
    }
}

/// What makes the duplicate doubtful.
enum Suspicion<'a> {
    OwnerChange(&'a OwnerChange),
    Resume {
        ev: &'a Event,
        previous: &'a str,
        current: &'a str,
    },
    MergeTempIndex(&'a Event),
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    t.jobs
        .iter()
        .filter(|j| j.rolled_back())
        .filter_map(|job| {
            let facts = ctx.of(job);
            let cause = facts.cause.as_ref()?;
            if cause.classified.family != "duplicate-entry" {
                return None;
            }
            let why = suspicions(job, facts, duplicate_at(job, facts));
            (!why.is_empty()).then(|| build(job, facts, &cause.text, why, ctx))
        })
        .collect()
}

/// When the duplicate was reported: the rollback line, else the causing error's line.
fn duplicate_at(job: &JobTimeline, facts: &JobFacts) -> Option<Timestamp> {
    job.rollback
        .as_ref()
        .and_then(|r| r.evidence.ts)
        .or_else(|| facts.cause.as_ref()?.evidence.as_ref()?.ts)
}

/// An owner change this close before the duplicate (with no checkpoint resume) is "right
/// after": later, the backfill has run long enough on the new owner for the duplicate to be
/// its own finding (a change four minutes earlier is DDL005 context, not a suspicion).
const RIGHT_AFTER_SECS: i64 = 120;

fn suspicions<'a>(
    job: &'a JobTimeline,
    facts: &'a JobFacts,
    at: Option<Timestamp>,
) -> Vec<Suspicion<'a>> {
    let before = |ts: Option<Timestamp>| match (ts, at) {
        (Some(t), Some(a)) => t <= a,
        _ => true,
    };
    let resume = facts
        .foreign_resume
        .as_ref()
        .filter(|r| before(r.evidence.ts));
    let mut out = Vec::new();
    for c in &facts.owner_changes {
        let close = match (c.ts(), at) {
            (Some(t), Some(a)) => t <= a && (a - t).num_seconds() <= RIGHT_AFTER_SECS,
            _ => false,
        };
        // With a resume from another instance the hand-over is part of that story.
        if close || (resume.is_some() && before(c.ts())) {
            out.push(Suspicion::OwnerChange(c));
        }
    }
    if let Some(r) = resume {
        let ev = job
            .events_of(EventKind::CheckpointResumed)
            .find(|e| e.evidence.line == r.evidence.line && e.evidence.file == r.evidence.file);
        if let Some(ev) = ev {
            out.push(Suspicion::Resume {
                ev,
                previous: &r.previous,
                current: &r.current,
            });
        }
    }
    if let Some(e) = job.events_of(EventKind::BackfillError).find(|e| {
        matches!(&*e.detail, Detail::BackfillFailure { worker: Some(w), .. } if w.contains("merge temporary index"))
            && e.error
                .as_deref()
                .is_some_and(|t| t.contains("1062") || t.to_ascii_lowercase().contains("duplicate"))
    }) {
        out.push(Suspicion::MergeTempIndex(e));
    }
    out
}

/// `'1007'` and `'orders.uk_no'` from `Duplicate entry '1007' for key 'orders.uk_no'`; `None`
/// for a value TiDB did not print (`'%.64s'`, pingcap/tidb#49940).
fn key_and_value(err: &str) -> (Option<&str>, Option<&str>) {
    const ENTRY: &str = "Duplicate entry '";
    const KEY: &str = "' for key '";
    let Some(p) = err.find(ENTRY) else {
        return (None, None);
    };
    let rest = &err[p + ENTRY.len()..];
    let Some(k) = rest.find(KEY) else {
        return (None, None);
    };
    let value = &rest[..k];
    let after = &rest[k + KEY.len()..];
    let key = after.rfind('\'').map(|e| &after[..e]);
    fn printed(v: Option<&str>) -> Option<&str> {
        v.filter(|v| !v.starts_with("%."))
    }
    (printed(Some(value)), printed(key))
}

fn ago(ts: Option<Timestamp>, at: Option<Timestamp>) -> String {
    match (ts, at) {
        (Some(t), Some(a)) if a >= t => format!(", {} before the duplicate", fmt_duration(a - t)),
        _ => String::new(),
    }
}

/// How the old owner ended, from the job's takeover fact (§1 rule 11), when it is this change's.
fn exit_of<'a>(
    facts: &'a JobFacts,
    c: &OwnerChange,
) -> Option<&'a crate::diagnosis::owner::Takeover> {
    facts
        .takeover
        .as_deref()
        .filter(|t| c.from.as_deref() == Some(t.old.as_str()))
}

fn describe(s: &Suspicion<'_>, at: Option<Timestamp>, facts: &JobFacts) -> String {
    match s {
        Suspicion::OwnerChange(c) => {
            let what = match (c.kind, c.from.as_deref(), c.to.as_deref()) {
                (ChangeKind::Restart { graceful: true }, Some(i), _) => {
                    format!("{i} restarted after a shutdown signal")
                }
                (ChangeKind::Restart { graceful: false }, Some(i), _) => {
                    format!("{i} restarted without a shutdown line (an abrupt end)")
                }
                (_, Some(a), Some(b)) => match exit_of(facts, c) {
                    Some(t) if t.graceful => format!(
                        "the DDL owner moved from {a} to {b} ({a} was shut down gracefully{})",
                        t.shutdown
                            .as_ref()
                            .map(|e| format!(", `{}` at {}", shutdown_message(&e.text), hms(e.ts)))
                            .unwrap_or_default()
                    ),
                    Some(_) => format!(
                        "the DDL owner moved from {a} to {b} ({a} stopped without a shutdown line: an abrupt end)"
                    ),
                    None => format!("the DDL owner moved from {a} to {b}"),
                },
                (_, Some(a), None) => format!("the DDL owner {a} resigned"),
                (_, None, Some(b)) => format!("{b} became the DDL owner"),
                _ => "the DDL owner changed".to_string(),
            };
            format!("At {} {what}{}.", hms(c.ts()), ago(c.ts(), at))
        }
        Suspicion::Resume {
            ev,
            previous,
            current,
        } => format!(
            "At {} the backfill on {} resumed from an ingest checkpoint written by another instance (`resume checkpoint`: previous instance {previous}, current instance {current}){}.",
            hms(ev.ts),
            ev.instance,
            ago(ev.ts, at)
        ),
        Suspicion::MergeTempIndex(e) => format!(
            "The duplicate was found at {} while merging the temporary index (`backfill worker exit on error`, worker `merge temporary index`): the key comes from a row written while the DDL ran. A concurrent insert can make a real duplicate there, but TiDB has also reported false ones for concurrent REPLACE / UPSERT.",
            hms(e.ts)
        ),
    }
}

fn build(
    job: &JobTimeline,
    facts: &JobFacts,
    err: &str,
    why: Vec<Suspicion<'_>>,
    ctx: &Context,
) -> Finding {
    let at = duplicate_at(job, facts);
    let (value, key) = key_and_value(err);
    let dup = match (value, key) {
        (Some(v), Some(k)) => format!("duplicate entry '{v}' for key '{k}'"),
        (None, Some(k)) => format!("a duplicate entry for key '{k}'"),
        (Some(v), None) => format!("duplicate entry '{v}'"),
        (None, None) => "a duplicate entry".to_string(),
    };
    let after = match why.first() {
        Some(Suspicion::OwnerChange(_)) => "after an owner change",
        Some(Suspicion::Resume { .. }) => "after a checkpoint resume",
        _ => "found among concurrent writes",
    };
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "{} rolled back on {dup} {after}: maybe a false duplicate",
            capitalize(&job_label(job))
        ),
    );
    let mut parts = vec![format!(
        "TiDB rolled the job back on `{err}`{}.",
        job.rollback
            .as_ref()
            .map(|r| format!(" (`{}` at {})", r.message, hms(r.evidence.ts)))
            .unwrap_or_default()
    )];
    if value.is_none() && err.contains("'%.") {
        parts.push("The key value is not in the message: TiDB printed its format verbs (`'%.64s'`) instead of the value.".into());
    }
    for s in why.iter().take(3) {
        parts.push(describe(s, at, facts));
    }
    if why
        .iter()
        .any(|s| !matches!(s, Suspicion::MergeTempIndex(_)))
    {
        parts.push("Duplicates reported right after an owner change or a checkpoint resume have been false before (the data held no duplicate), so the data is not yet shown to be wrong.".into());
    }
    parts.push(format!("{}.", capitalize(&rollback_story(job))));
    let (ids, notes) = issues_for(&META, job, Some(err), facts, ctx.version.as_ref());
    parts.extend(notes);
    f.known_issues = ids.clone();
    f.explanation = sentences(&parts);

    let table = job.table.as_deref().unwrap_or("<table>");
    let cols = key
        .map(|k| format!("<columns of {k}>"))
        .unwrap_or_else(|| "<cols>".to_string());
    let mut sug = vec![format!(
        "Verify the duplicate before changing anything: `SELECT {cols}, COUNT(*) FROM {table} GROUP BY {cols} HAVING COUNT(*) > 1`."
    )];
    sug.push(format!(
        "If it returns no row the duplicate was false: {}",
        lower_first(&rerun(job, "as it is"))
    ));
    sug.push("If it returns rows, fix those rows, then re-run the DDL.".into());
    sug.extend(upgrade_advice(&ids));
    f.suggestion = sentences(&sug);

    let mut ev = EvidenceSet::new();
    ev.add_opt(job.rollback.as_ref().map(|r| &r.evidence));
    for s in &why {
        match s {
            Suspicion::OwnerChange(c) => {
                c.evidence.iter().for_each(|e| ev.add(e));
                ev.add_opt(exit_of(facts, c).and_then(|t| t.shutdown.as_ref()));
            }
            Suspicion::Resume { ev: e, .. } | Suspicion::MergeTempIndex(e) => ev.add(&e.evidence),
        }
    }
    ev.add_opt(job.finished.as_ref());
    f.evidence = ev.into_sorted();
    f
}

/// The message of a shutdown line (`got signal to exit`, `resign ddl owner success`).
fn shutdown_message(line: &str) -> &str {
    [
        "got signal to exit",
        "resign ddl owner success",
        "resign owner success",
    ]
    .into_iter()
    .find(|m| line.contains(m))
    .unwrap_or("shutdown")
}

/// The sentence with its first letter in lower case, to continue another sentence.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::key_and_value;

    #[test]
    fn keys_and_values_of_duplicate_errors() {
        assert_eq!(
            key_and_value("[kv:1062]Duplicate entry '1007' for key 'orders.uk_no'"),
            (Some("1007"), Some("orders.uk_no"))
        );
        assert_eq!(
            key_and_value("[kv:1062]Duplicate entry '%.64s' for key '%.192s'"),
            (None, None)
        );
        assert_eq!(key_and_value("[kv:1062]Duplicate entry"), (None, None));
    }
}
