//! DDL010 blocked-by-metadata-lock.

use crate::event::{Detail, Event, EventKind};
use crate::model::{Finding, JobState};
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a job that cannot take its next schema step because a transaction opened under the
    /// old schema version still holds the table's metadata lock: the instance running that
    /// transaction logs `old running transaction block DDL` with the job id, the `connection
    /// ID` and how long the transaction has been open (`elapsed time`), and the job has not
    /// moved since. It names the connection, its instance and how long it has held the lock,
    /// with the owner's wait beside it. It replaces the generic stall finding (DDL004) and the
    /// schema-sync one (DDL009) for the job.
    ///
    /// ## Why is this bad?
    /// With `tidb_enable_metadata_lock` on, a schema change waits until every transaction that
    /// began under the previous version has committed or rolled back. A session left open in a
    /// transaction (an idle client, a long report, a forgotten `BEGIN`) stops the DDL — and
    /// every DDL queued behind it on the table — for as long as it stays open. TiDB logs the
    /// holder at INFO only once its transaction is a minute old, every 10 seconds.
    ///
    /// ## What to do
    /// Find the session with `SELECT * FROM mysql.tidb_mdl_view WHERE job_id = <job>`
    /// (`session_id`, the statements of the transaction), then commit or roll it back, or end
    /// it with `KILL <connection ID>`; the DDL proceeds at once. Cancelling the DDL does not
    /// help: the transaction is what blocks it.
    ///
    /// ## Example
    /// Job 120 (`add column`) stays in `delete only`; tidb-1 logs `old running transaction block
    /// DDL` for jobID 120, `connection ID` 2199023255559 and an `elapsed time` growing past 20
    /// minutes, while the owner logs `someone is not synced` for tidb-1.
    pub struct BlockedByMetadataLock {
        code: "DDL010",
        name: "blocked-by-metadata-lock",
        severity: Error,
        summary: "The job waits for a metadata lock held by an open transaction",
        replaces: ["DDL004", "DDL009"],
    }
}

/// TiDB logs the blocking sessions once every 10 s (`printMDLLogTime`); a session absent from
/// the latest round for longer than this had released the lock.
const ROUND_SECS: i64 = 15;

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    t.jobs
        .iter()
        .filter(|j| matches!(j.outcome, JobState::Running | JobState::None))
        .filter_map(|j| build(j, ctx))
        .collect()
}

/// One session that blocks the job, as its lines show it.
struct Holder<'a> {
    instance: &'a str,
    conn: Option<&'a str>,
    table_id: Option<i64>,
    first: &'a Event,
    last: &'a Event,
    lines: usize,
}

fn build(job: &JobTimeline, ctx: &Context) -> Option<Finding> {
    let lines: Vec<&Event> = job.events_of(EventKind::MdlHeldByTxn).collect();
    let last_line = *lines.last()?;
    // Still blocked: no state change and no finished wait after the latest holder line.
    let moved_after = job
        .states
        .iter()
        .map(|s| s.evidence.ts)
        .chain(job.events_of(EventKind::SchemaVersionSynced).map(|e| e.ts))
        .any(|t| t.is_some() && t > last_line.ts);
    if moved_after {
        return None;
    }
    let mut holders: Vec<Holder> = Vec::new();
    for e in &lines {
        let (conn, table_id) = match &*e.detail {
            Detail::MdlHolder { conn, table_id, .. } => (conn.as_deref(), *table_id),
            _ => (None, None),
        };
        match holders
            .iter_mut()
            .find(|h| h.instance == &*e.instance && h.conn == conn)
        {
            Some(h) => {
                h.last = e;
                h.lines += 1;
            }
            None => holders.push(Holder {
                instance: &e.instance,
                conn,
                table_id,
                first: e,
                last: e,
                lines: 1,
            }),
        }
    }
    // TiDB logs every blocking session in one round every 10 s: a session missing from the
    // latest round had released the lock by then.
    let latest = last_line.ts;
    let current = |h: &Holder| match (h.last.ts, latest) {
        (Some(a), Some(b)) => (b - a).num_seconds() < ROUND_SECS,
        _ => true,
    };
    holders.sort_by_key(|h| !current(h));
    let main = &holders[0];
    let conn_txt = |h: &Holder| {
        h.conn
            .map(|c| format!("connection {c}"))
            .unwrap_or_else(|| "a connection".to_string())
    };
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "Job {} waits for the metadata lock held by {} on {}",
            job.job_id,
            conn_txt(main),
            main.instance
        ),
    );
    let state = job
        .states
        .last()
        .map(|s| format!("`{}` / `{}`", s.state, s.schema_state))
        .unwrap_or_else(|| format!("`{}`", job.outcome));
    let mut parts = vec![format!(
        "{} ({state}) cannot take its next schema step: a transaction begun under the old schema version still holds the table's metadata lock.",
        capitalize(&job_label(job))
    )];
    for h in &holders {
        let elapsed = match &*h.last.detail {
            Detail::MdlHolder {
                elapsed: Some(d), ..
            } => format!(
                "; its transaction had been open for {} at {}",
                fmt_duration_ms(*d),
                hms(h.last.ts)
            ),
            _ => String::new(),
        };
        let table = h
            .table_id
            .map(|t| format!(" of table ID {t}"))
            .unwrap_or_default();
        let count = match h.lines {
            1 => "1 line".to_string(),
            n => format!("{n} lines"),
        };
        if current(h) {
            parts.push(format!(
                "On {}, {} holds the metadata lock{table} (`old running transaction block DDL`, {count} {}){elapsed}.",
                h.instance,
                conn_txt(h),
                window(h.first.ts, h.last.ts)
            ));
        } else {
            parts.push(format!(
                "On {}, {} also held it ({count} {}{elapsed}) but is missing from the latest round at {}: it had released the lock by then.",
                h.instance,
                conn_txt(h),
                window(h.first.ts, h.last.ts),
                hms(latest)
            ));
        }
    }
    if let Some(w) = ctx
        .of(job)
        .schema_wait
        .as_ref()
        .filter(|w| w.ended.is_none())
    {
        let named: Vec<String> = w
            .laggards
            .iter()
            .map(|l| {
                let mut s = l
                    .node
                    .as_ref()
                    .map(|n| format!("instance {n}"))
                    .unwrap_or_else(|| "an instance".to_string());
                let mut extra: Vec<String> = l.address.iter().cloned().collect();
                if let Some(i) = &l.instance {
                    extra.push(if holders.iter().any(|h| h.instance == i) {
                        format!("{i}, where the transaction runs")
                    } else {
                        i.clone()
                    });
                }
                if !extra.is_empty() {
                    s.push_str(&format!(" ({})", extra.join(", ")));
                }
                s
            })
            .collect();
        parts.push(format!(
            "Meanwhile the owner waits: {} `{}` line{} {} name {}.",
            w.count,
            w.message,
            if w.count == 1 { "" } else { "s" },
            window(w.first.ts, w.last.ts),
            named.join(" and ")
        ));
    }
    parts.push("The DDL waits as long as the transaction stays open.".to_string());
    f.explanation = sentences(&parts);

    let kills: Vec<String> = holders
        .iter()
        .filter(|h| current(h))
        .filter_map(|h| {
            h.conn
                .map(|c| format!("`KILL {c}` (the connection is on {})", h.instance))
        })
        .collect();
    let mut sug = vec![format!(
        "Commit or roll back that transaction, or end its session{}; the DDL proceeds at once.",
        if kills.is_empty() {
            String::new()
        } else {
            format!(" with {}", kills.join(", "))
        }
    )];
    sug.push(
        "Cancelling the DDL does not help: the open transaction is what blocks it.".to_string(),
    );
    sug.push(format!(
        "Next: `SELECT * FROM mysql.tidb_mdl_view WHERE job_id = {}` (the blocking `session_id` and the statements of its transaction).",
        job.job_id
    ));
    f.suggestion = sentences(&sug);

    let mut ev = EvidenceSet::new();
    for h in &holders {
        ev.add(&h.first.evidence);
        ev.add(&h.last.evidence);
    }
    if let Some(w) = ctx.of(job).schema_wait.as_ref() {
        ev.add(&w.first);
        ev.add(&w.last);
    }
    ev.add_opt(job.states.last().map(|s| &s.evidence));
    f.evidence = ev.into_sorted();
    Some(f)
}
