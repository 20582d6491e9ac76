//! How a job's errors relate to the cluster's fault windows: a fact computed once per job and
//! carried by each of its findings (`findings[].fault_overlap`).

use crate::fault::{human_duration, FaultWindows, Window, MERGE_GAP_SECS};
use crate::model::{FaultContext, Timestamp, WindowRef};
use crate::timeline::JobTimeline;

/// The span during which a job met errors, and when it gave up.
fn error_span(job: &JobTimeline) -> Option<(Timestamp, Timestamp)> {
    let gave_up = gave_up(job)?;
    let first_err = job
        .errors
        .iter()
        .filter_map(|e| e.first.ts)
        .chain(job.err_counts.iter().filter_map(|p| p.evidence.ts))
        .chain(job.rollback.as_ref().and_then(|r| r.evidence.ts))
        .min()
        .or(job.first_seen)?;
    Some((first_err.min(gave_up), gave_up))
}

fn gave_up(job: &JobTimeline) -> Option<Timestamp> {
    job.rollback
        .as_ref()
        .and_then(|r| r.evidence.ts)
        .or(job.finished.as_ref().and_then(|f| f.ts))
        .or(job.last_seen)
}

/// Relates one job to the cluster windows; `None` when no window overlaps its error span.
pub fn context_for(job: &JobTimeline, fw: &FaultWindows) -> Option<FaultContext> {
    let (start, end) = error_span(job)?;
    let from = start - chrono::Duration::seconds(MERGE_GAP_SECS);
    let hits: Vec<&Window> = fw
        .cluster
        .iter()
        .filter(|w| w.end >= from && w.start <= end)
        .collect();
    let last = hits.iter().max_by_key(|w| w.end)?;
    let gave = gave_up(job);
    let after = gave.map(|g| (g - last.end).num_seconds());
    let what = if job.rollback.is_some() {
        "kept retrying until"
    } else {
        "ran until"
    };
    let inst = last.instances.join(", ");
    let note = match (gave, after) {
        (Some(g), Some(a)) if a >= 0 => format!(
            "the fault window on {inst} ended at {}; the job {what} {} ({} after)",
            last.end.format("%H:%M:%S"),
            g.format("%H:%M:%S"),
            human_duration(a)
        ),
        (Some(g), _) => format!(
            "the job gave up at {} while the fault window on {inst} ({} – {}) was still open",
            g.format("%H:%M:%S"),
            last.start.format("%H:%M:%S"),
            last.end.format("%H:%M:%S"),
        ),
        _ => format!(
            "the job's errors overlap the fault window on {inst} ({} – {})",
            last.start.format("%H:%M:%S"),
            last.end.format("%H:%M:%S"),
        ),
    };
    Some(FaultContext {
        windows: hits
            .iter()
            .map(|w| WindowRef {
                instances: w.instances.clone(),
                start: w.start,
                end: w.end,
                kinds: w.kinds.keys().copied().collect(),
            })
            .collect(),
        job_gave_up: gave,
        gave_up_after_window_secs: after,
        note,
    })
}
