//! DDL019 tikv-ingest-backpressure.

use std::collections::BTreeSet;

use crate::event::{Detail, Event, EventKind};
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

/// How many rejected ingests make back-pressure worth a finding: lightning retries a busy
/// region after a short wait, so a handful is normal during a compaction burst.
pub const BACKPRESSURE_MIN: u64 = 10;

declare_rule! {
    /// ## What it does
    /// Flags a job whose ingest TiKV keeps rejecting: at least 10 `meet error and handle the job
    /// later` lines (lightning `backend/local/region_job.go`, v7.1–v8.5; master `meet retryable
    /// error when ingesting, will handle the job later`) with
    /// `[Lightning:KV:ServerIsBusy]…` (TiKV's `too many sst files are ingesting`) while the job
    /// did not roll back.
    ///
    /// ## Why is this bad?
    /// TiKV's SST importer refuses new ingests while its L0 files or pending compaction would
    /// slow writes; lightning puts each region back and retries it later. The DDL layer sees no
    /// error and ErrCount does not move, so ADD INDEX crawls or looks stalled with no error to
    /// show for it.
    ///
    /// ## What to do
    /// Check write stall, L0 files and pending compaction on the stores named; pace the ingest
    /// with a lower `tidb_ddl_reorg_worker_cnt`, or `tidb_ddl_reorg_max_write_speed` (v8.5+).
    ///
    /// ## Example
    /// Job 8801 logs 24 `meet error and handle the job later` lines with
    /// `[Lightning:KV:ServerIsBusy]too many sst files are ingesting` in 4 minutes, for regions on
    /// stores 1, 4 and 5, and its row count stays at 1,048,576.
    pub struct TikvIngestBackpressure {
        code: "DDL019",
        name: "tikv-ingest-backpressure",
        severity: Warning,
        summary: "TiKV keeps rejecting ingest (server busy, too many SSTs): the job crawls or fails",
        replaces: ["DDL004", "DDL007", "DDL026"],
    }
}

/// True for a region-retry error that is TiKV's back-pressure.
fn busy(e: &Event) -> bool {
    e.error.as_deref().is_some_and(|t| {
        let l = t.to_ascii_lowercase();
        l.contains("serverisbusy") || l.contains("server is busy") || l.contains("too many sst")
    })
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    t.jobs
        .iter()
        .filter(|j| !j.rolled_back())
        .filter_map(|job| build(job, ctx))
        .collect()
}

fn build(job: &JobTimeline, ctx: &Context) -> Option<Finding> {
    let kept: Vec<&Event> = job.events_of(EventKind::IngestRegionRetry).collect();
    let busy_kept: Vec<&Event> = kept.iter().copied().filter(|e| busy(e)).collect();
    // Every kept line busy: all of them were (the count covers the ones not kept); otherwise
    // only the kept busy lines are certain.
    let (n, at_least) = if !busy_kept.is_empty() && busy_kept.len() == kept.len() {
        (job.count(EventKind::IngestRegionRetry), false)
    } else {
        (busy_kept.len() as u64, true)
    };
    if n < BACKPRESSURE_MIN {
        return None;
    }
    let (first, last) = (*busy_kept.first()?, *busy_kept.last()?);
    let stores: BTreeSet<u64> = busy_kept
        .iter()
        .filter_map(|e| match &*e.detail {
            Detail::RegionRetry { stores, .. } => Some(stores.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let store_list = stores
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let instances: BTreeSet<&str> = busy_kept.iter().map(|e| &*e.instance).collect();
    let count = if at_least {
        format!("at least {n}")
    } else {
        n.to_string()
    };
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "Job {}: TiKV rejected ingest {count} times as server busy{}",
            job.job_id,
            if stores.is_empty() {
                String::new()
            } else {
                format!(" (stores {store_list})")
            }
        ),
    );
    let err = first.error.clone().unwrap_or_default();
    let dur = span(&first.evidence, &last.evidence)
        .map(|d| format!(" ({})", fmt_duration(d)))
        .unwrap_or_default();
    let mut parts = vec![format!(
        "Lightning on {} logged `{}` {count} times {}{dur} with `{err}`{}.",
        instances.into_iter().collect::<Vec<_>>().join(", "),
        first.message,
        window(first.ts, last.ts),
        if stores.is_empty() {
            String::new()
        } else {
            format!(", for regions with peers on stores {store_list}")
        }
    )];
    parts.push("TiKV's SST importer refuses new ingests while its L0 files or pending compaction would slow writes, and lightning retries each region later: the DDL layer sees no error, so the job crawls instead of failing.".into());
    // Rows before the first rejection against the last count: did the backfill still move?
    let samples = row_samples(job);
    let before = samples
        .iter()
        .rev()
        .find(|(t, _, _)| first.ts.is_some_and(|f| *t <= f));
    let after = samples.last();
    parts.push(match (before, after) {
        (Some((t0, r0, _)), Some((t1, r1, _))) if t1 > t0 && r1 > r0 => format!(
            "Its row count still rose during the rejections, from {} at {} to {} at {}.",
            thousands(*r0),
            hms(Some(*t0)),
            thousands(*r1),
            hms(Some(*t1))
        ),
        (Some((t0, r0, _)), Some((t1, _, _))) if t1 > t0 => format!(
            "Its row count did not move during the rejections: {} from {} to {}.",
            thousands(*r0),
            hms(Some(*t0)),
            hms(Some(*t1))
        ),
        (_, Some((t1, r1, _))) => format!(
            "The logs hold no row count newer than {} at {}, before the rejections began.",
            thousands(*r1),
            hms(Some(*t1))
        ),
        _ => "The logs show no row count for the job.".to_string(),
    });
    parts.push(format!(
        "The job is `{}` at the end of the logs with ErrCount {}.",
        job.outcome, job.max_err_count
    ));
    let facts = ctx.of(job);
    let (ids, notes) = issues_for(&META, job, Some(&err), facts, ctx.version.as_ref());
    parts.extend(notes);
    f.known_issues = ids;
    f.explanation = sentences(&parts);
    let stores_phrase = if stores.is_empty() {
        "the stores that hold the index's regions".to_string()
    } else {
        format!("stores {store_list}")
    };
    let mut sug = vec![format!(
        "Check TiKV write stall, L0 file count and pending compaction on {stores_phrase} {}.",
        window(first.ts, last.ts)
    )];
    sug.push("Pace the ingest: lower `tidb_ddl_reorg_worker_cnt`, or on v8.5+ set `tidb_ddl_reorg_max_write_speed`.".into());
    sug.push(if stores.is_empty() {
        "Next: `SELECT store_id, address, available, region_count FROM information_schema.tikv_store_status`.".to_string()
    } else {
        format!(
            "Next: `SELECT store_id, address, available, region_count FROM information_schema.tikv_store_status WHERE store_id IN ({store_list})`."
        )
    });
    f.suggestion = sentences(&sug);
    let mut ev = EvidenceSet::new();
    ev.add(&first.evidence);
    ev.add(&last.evidence);
    ev.add_opt(job.rows.as_ref().map(|(_, e)| e));
    ev.add_opt(job.states.last().map(|s| &s.evidence));
    f.evidence = ev.into_sorted();
    Some(f)
}
