//! DDL026 slow-backfill.

use crate::event::{Detail, Event, EventKind, Evidence};
use crate::model::{Finding, JobState, Timestamp};
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

/// A backfill seen for less than this is not worth a pace report.
pub const SLOW_BACKFILL_MIN_SECS: i64 = 60;

declare_rule! {
    /// ## What it does
    /// Reports the pace of a backfill that is still under way when the logs end and has been
    /// running for at least a minute, making progress (so it is not stalled, DDL004): the rows
    /// done and rows per second from the row counts (`run reorg job wait timeout` ["total added
    /// row count"] ≤v8.1, the job string's `RowCount`), the backfill mode (ingest, txn,
    /// DXF, DXF with global sort), and for DXF the time each phase took on the executor
    /// (`read index executor … subtask exec env`, `merge sort …`, `cloud import executor …`,
    /// `start import engine` / `import engine success` with the imported KVs and bytes).
    ///
    /// ## Why is this bad?
    /// It is not an error: the job progresses. But a backfill that runs for hours blocks the DDL
    /// queue on its table, and the pace says whether it is running as it should: txn mode
    /// instead of ingest, too few workers, or one slow DXF phase.
    ///
    /// ## What to do
    /// Compare the pace with the table's size (`SELECT table_rows FROM information_schema.tables
    /// WHERE tidb_table_id = <id>`) for an ETA. Restore ingest (`tidb_ddl_enable_fast_reorg`, a
    /// usable `temp-dir`), or raise `tidb_ddl_reorg_worker_cnt` / `tidb_ddl_reorg_batch_size`
    /// when TiKV has headroom. `ADMIN SHOW DDL JOBS` shows the job's row count.
    ///
    /// ## Example
    /// Job 6101 has added 21,600,000 rows in 45 minutes (8,000 rows/s) in txn mode and is still in
    /// `write reorganization`.
    pub struct SlowBackfill {
        code: "DDL026",
        name: "slow-backfill",
        severity: Info,
        summary: "The backfill progresses slowly: rows per second, ETA, backfill mode, phase timings",
        replaces: ["DDL004"],
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let Some(end) = t.cluster.end_of_logs else {
        return Vec::new();
    };
    t.jobs
        .iter()
        .filter(|j| {
            j.unfinished()
                && !j.rolled_back()
                && matches!(j.outcome, JobState::Running | JobState::None)
        })
        .filter_map(|job| build(job, end, ctx))
        .collect()
}

/// One phase of a DXF / ingest backfill on one executor, as its lines show it.
struct Phase<'a> {
    name: &'static str,
    start: Option<&'a Event>,
    end: Option<&'a Event>,
}

fn phases(job: &JobTimeline) -> Vec<Phase<'_>> {
    let mut out: Vec<Phase<'_>> = Vec::new();
    for e in job.events_of(EventKind::BackfillPhase) {
        let Detail::Phase { phase, end, .. } = &*e.detail else {
            continue;
        };
        let i = match out.iter().position(|p| p.name == *phase) {
            Some(i) => i,
            None => {
                out.push(Phase {
                    name: phase,
                    start: None,
                    end: None,
                });
                out.len() - 1
            }
        };
        let p = &mut out[i];
        if *end {
            p.end = Some(e); // the last end line (events are in time order)
        } else if p.start.is_none() {
            p.start = Some(e);
        }
    }
    out.sort_by_key(|p| p.start.or(p.end).and_then(|e| e.ts));
    out
}

fn phase_name(name: &str) -> &str {
    match name {
        "read-index" => "read-index step",
        "merge-sort" => "merge-sort step",
        "ingest" => "ingest (cloud import) step",
        "merge-temp-index" => "merge-temp-index step",
        "import-engine" => "engine import into TiKV",
        other => other,
    }
}

fn bytes_phrase(b: u64) -> String {
    if b >= 1 << 30 {
        format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64)
    }
}

/// Where a phase's time counts from, and what that moment was: its own start line; for the
/// engine import, the start of the ingest step it belongs to; else the end of the step before
/// it, or the backfill's first line on the executor.
fn phase_from(
    p: &Phase<'_>,
    all: &[Phase<'_>],
    began: &Evidence,
) -> (Option<Timestamp>, &'static str) {
    if let Some(s) = p.start.and_then(|e| e.ts) {
        return (Some(s), "its start");
    }
    if p.name == "import-engine" {
        if let Some(s) = all
            .iter()
            .find(|q| q.name == "ingest")
            .and_then(|q| q.start)
            .and_then(|e| e.ts)
        {
            return (Some(s), "the ingest step started");
        }
    }
    let this = p.end.and_then(|e| e.ts);
    let prev = all
        .iter()
        .filter(|q| q.name != p.name)
        .filter_map(|q| q.end.and_then(|e| e.ts))
        .filter(|t| this.is_some_and(|x| *t < x))
        .max();
    match prev {
        Some(t) => (Some(t), "the previous step ended"),
        None => (began.ts, "the backfill began there"),
    }
}

fn secs(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<chrono::Duration> {
    Some(b? - a?)
}

fn build(job: &JobTimeline, end: Timestamp, ctx: &Context) -> Option<Finding> {
    let samples = row_samples(job);
    let phases = phases(job);
    // Where the backfill began: its first backfill line (the backfill start, the ingest backend,
    // a phase line), else its first row count.
    let began: Option<&Evidence> = job
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::BackfillStarted | EventKind::IngestBackend | EventKind::BackfillPhase
            )
        })
        .map(|e| &e.evidence)
        .next()
        .or_else(|| samples.first().map(|(_, _, e)| *e));
    let began = began?;
    // Progress: rows that grew, or phase lines.
    // The curve from the last count before the backfill began (or its first count).
    let base = samples
        .iter()
        .rev()
        .find(|(t, _, _)| began.ts.is_some_and(|b| *t <= b))
        .or(samples.first());
    // The curve's end: the first count that reached the highest value (later lines repeat it).
    let top = samples.iter().map(|(_, r, _)| *r).max();
    let last = samples.iter().find(|(_, r, _)| Some(*r) == top);
    let grew = match (base, last) {
        (Some((t0, r0, _)), Some((t1, r1, _))) if r1 > r0 && t1 > t0 => Some((*t0, *r0, *t1, *r1)),
        _ => None,
    };
    if grew.is_none() && phases.is_empty() {
        return None;
    }
    let last_seen = [
        job.last_progress,
        phases
            .iter()
            .filter_map(|p| p.end.or(p.start).and_then(|e| e.ts))
            .max(),
    ]
    .into_iter()
    .flatten()
    .max()?;
    // Stalled is DDL004's story, not a pace; a job failing now (an error or a DXF revert after
    // its last progress) is its error's story, not a slow one (failure-families §2).
    if end - last_seen > ctx.stall_after {
        return None;
    }
    // The job's own errors, and its DXF task's (a plan that cannot be made, an executor's
    // retry loop, a revert: DDL016 / DDL017 / DDL002 come first in §2's order).
    // An error up to a minute before the last progress counts: a DXF step can report its
    // rows just after the next step's planning began to fail.
    let recent = |e: &crate::timeline::ErrorStat| {
        e.last
            .ts
            .is_some_and(|t| t >= last_seen - chrono::Duration::seconds(60))
    };
    let failing = job.errors.iter().any(recent)
        || job
            .dist_task
            .as_ref()
            .is_some_and(|d| d.reverted > 0 || d.errors.iter().any(recent))
        || [
            EventKind::GeneratePlanFailed,
            EventKind::TaskRetryableError,
            EventKind::SubtasksEncounterErrors,
        ]
        .iter()
        .any(|k| job.events_of(*k).any(|e| e.ts >= began.ts));
    if failing {
        return None;
    }
    let ran = last_seen - began.ts?;
    if ran.num_seconds() < SLOW_BACKFILL_MIN_SECS {
        return None;
    }

    let mode = job.backfill_mode.as_deref();
    let mode_phrase = match mode {
        Some("ingest") => "ingest (local sort)",
        Some("txn") => "txn (`ingest mode`=false: the transactional backfill, without ingest)",
        Some("dxf") => "DXF",
        Some("dxf+global-sort") => "DXF with global sort",
        Some(other) => other,
        None => "not shown in the logs",
    };
    let mut f = finding(
        &META,
        Some(job.job_id),
        match grew {
            Some((t0, r0, t1, r1)) => format!(
                "{}: backfill at {} rows/s ({} rows so far)",
                capitalize(&job_label(job)),
                thousands(rate(r1 - r0, t1 - t0)),
                thousands(r1)
            ),
            None => format!(
                "{}: backfill phases so far: {}",
                capitalize(&job_label(job)),
                phases
                    .iter()
                    .filter_map(|p| {
                        let (from, _) = phase_from(p, &phases, began);
                        let d = secs(from, p.end.and_then(|e| e.ts))?;
                        Some(format!("{} {}", p.name, fmt_duration(d)))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    );
    let status = if job.states.is_empty() {
        format!(
            "No job string of {} is in the logs, only its backfill lines, and they end without the job finishing",
            job_label(job)
        )
    } else {
        format!(
            "{} is still backfilling at the end of the logs (`{}`)",
            capitalize(&job_label(job)),
            job.outcome
        )
    };
    let mut parts = vec![format!(
        "{status}: the backfill began at {} and last progressed at {} ({} of backfill in the logs). Backfill mode: {mode_phrase}.",
        hms(began.ts),
        hms(Some(last_seen)),
        fmt_duration(ran)
    )];
    if let Some((t0, r0, t1, r1)) = grew {
        let r = rate(r1 - r0, t1 - t0);
        parts.push(format!(
            "Its row count rose from {} at {} to {} at {}: {} rows in {}, about {} rows/s.",
            thousands(r0),
            hms(Some(t0)),
            thousands(r1),
            hms(Some(t1)),
            thousands(r1 - r0),
            fmt_duration(t1 - t0),
            thousands(r)
        ));
        if let Some(per_million) = 1_000_000_000u64.checked_div(r) {
            parts.push(format!(
                "At that pace each further million rows takes {}; the table's row count gives the ETA.",
                fmt_duration(chrono::Duration::milliseconds(per_million as i64))
            ));
        }
    }
    for p in &phases {
        let (s, e) = (p.start.and_then(|e| e.ts), p.end.and_then(|e| e.ts));
        let name = phase_name(p.name);
        let (from, from_what) = phase_from(p, &phases, began);
        let on = p
            .end
            .or(p.start)
            .map(|e| e.instance.to_string())
            .unwrap_or_default();
        let mut line = match (s, e) {
            (Some(_), Some(_)) => format!(
                "The {name} ran from {} to {} ({}) on {on}",
                hms(s),
                hms(e),
                secs(s, e).map(fmt_duration).unwrap_or_default()
            ),
            (None, Some(_)) => match secs(from, e) {
                Some(d) => format!(
                    "The {name} finished at {} on {on}, {} after {from_what} ({})",
                    hms(e),
                    fmt_duration(d),
                    hms(from)
                ),
                None => format!("The {name} finished at {} on {on}", hms(e)),
            },
            (Some(_), None) => format!("The {name} started at {} on {on}", hms(s)),
            (None, None) => continue,
        };
        // The pause between the step before and this one's start (scheduling, a merge).
        let prev_end = phases
            .iter()
            .filter(|q| q.name != p.name)
            .filter_map(|q| q.end.and_then(|e| e.ts))
            .filter(|t| s.is_some_and(|x| *t <= x))
            .max();
        // The engine import runs inside the ingest step: no pause of its own.
        if let Some(gap) = secs(prev_end, s)
            .filter(|g| g.num_milliseconds() > 0)
            .filter(|_| p.name != "import-engine")
        {
            line.push_str(&format!(
                ", {} after the previous step ended",
                fmt_duration(gap)
            ));
        }
        if s.is_some() && e.is_none() {
            line.push_str(", and had not logged its end when the logs end");
        }
        if let Some(Detail::Phase {
            kvs: Some(k),
            bytes,
            ..
        }) = p.end.map(|e| &*e.detail)
        {
            line.push_str(&format!(": {} KVs", thousands(*k)));
            if let Some(b) = bytes {
                line.push_str(&format!(" ({})", bytes_phrase(*b)));
            }
            if let Some(d) = secs(from, e).filter(|d| d.num_milliseconds() > 0) {
                line.push_str(&format!(", about {} KVs/s", thousands(rate(*k, d))));
            }
        }
        line.push('.');
        parts.push(line);
    }
    let facts = ctx.of(job);
    let (ids, notes) = issues_for(&META, job, None, facts, ctx.version.as_ref());
    parts.extend(notes);
    f.known_issues = ids.clone();
    f.explanation = sentences(&parts);

    let rows_sql = match (job.table_id, job.table.as_deref()) {
        (Some(id), _) => format!(
            "`SELECT table_schema, table_name, table_rows FROM information_schema.tables WHERE tidb_table_id = {id}`"
        ),
        (None, Some(t)) => format!(
            "`SELECT table_schema, table_name, table_rows FROM information_schema.tables WHERE table_name = '{t}'`"
        ),
        (None, None) => "`SELECT table_rows FROM information_schema.tables WHERE table_schema = '<db>' AND table_name = '<table>'`".to_string(),
    };
    let mut sug = Vec::new();
    match mode {
        Some("txn") => sug.push("The next ADD INDEX can use ingest, usually several times faster: `SET GLOBAL tidb_ddl_enable_fast_reorg = ON` with a usable local `temp-dir`. For this one, raise `tidb_ddl_reorg_worker_cnt` / `tidb_ddl_reorg_batch_size` if TiKV has headroom.".to_string()),
        Some(m) if m.starts_with("dxf") => sug.push("Compare the phase timings with an earlier run of the same DDL: the phase that grew is where to look (the read-index scan, the sort, or the import into TiKV); raise `tidb_ddl_reorg_worker_cnt` if the executors and TiKV have headroom.".to_string()),
        _ => sug.push("Raise `tidb_ddl_reorg_worker_cnt` / `tidb_ddl_reorg_batch_size` if TiKV and this TiDB have headroom.".to_string()),
    }
    sug.extend(upgrade_advice(&ids));
    sug.push(format!(
        "Next: {rows_sql} for the ETA, and `ADMIN SHOW DDL JOBS 20 WHERE job_id = {}` for the row count now.",
        job.job_id
    ));
    f.suggestion = sentences(&sug);

    let mut ev = EvidenceSet::new();
    ev.add(began);
    if let (Some(a), Some(b)) = (base, last) {
        ev.add(a.2);
        ev.add(b.2);
    }
    for p in &phases {
        ev.add_opt(p.start.map(|e| &e.evidence));
        ev.add_opt(p.end.map(|e| &e.evidence));
    }
    f.evidence = ev.into_sorted();
    Some(f)
}

/// Whole units per second.
fn rate(n: u64, d: chrono::Duration) -> u64 {
    let ms = d.num_milliseconds().max(1) as u64;
    n.saturating_mul(1000) / ms
}
