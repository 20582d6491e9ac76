//! The lanes of the HTML picture and the trace: each job's states, ErrCount curve, errors and
//! rollback with their times, and each instance's error density and fault windows.
//!
//! The JSON report has no per-state times or ErrCount series; these views need them, so the
//! report builder makes them once from the analysis and the renderers read them from the report.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::analyze::Analysis;
use crate::model::Timestamp;

/// What the timeline lanes are drawn from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Picture {
    pub jobs: Vec<JobLane>,
    pub instances: Vec<InstanceLane>,
    /// Every instance fault window, in the fault stage's order.
    pub windows: Vec<WindowMark>,
}

/// One job: its states in time order, its ErrCount curve, where it gave up.
#[derive(Debug, Clone, PartialEq)]
pub struct JobLane {
    pub job_id: i64,
    pub label: String,
    /// `job 491 add index sbtest1`: the trace's thread name.
    pub trace_label: String,
    pub outcome: String,
    pub first: Timestamp,
    pub last: Timestamp,
    /// Instances whose logs mention the job, sorted.
    pub instances: Vec<String>,
    /// Every state change with a time, in time order.
    pub states: Vec<StateMark>,
    pub err_counts: Vec<(Timestamp, u64)>,
    /// Boxed: most jobs never roll back, and a lane is drawn for every job.
    pub rollback: Option<Box<RollbackMark>>,
    /// Error lines of the job (kept events), for ticks under the curve.
    pub errors: Vec<ErrorMark>,
    /// Owner hand-overs, elections and TiDB restarts while the job ran
    /// ([`crate::diagnosis::owner::owner_changes`]), in time order.
    pub changes: Vec<ChangeMark>,
    /// The last time the job made progress (a state change, more rows, a finish).
    pub last_progress: Option<Timestamp>,
    /// The logs end before the job reached a final state.
    pub unfinished: bool,
    /// Stretches of at least [`IDLE_MIN_SECS`] (and a fifth of the job's span) in which the job
    /// logged no line at all, in time order: where the picture breaks its axis.
    pub idle: Vec<(Timestamp, Timestamp)>,
}

/// The shortest stretch without a line that the picture breaks its axis over.
pub const IDLE_MIN_SECS: i64 = 30;

/// The stretches in which a job provably logged nothing: gaps between its kept events that no
/// dropped event can fall into. A timeline keeps the first and last events of each kind and
/// counts the rest; a kind with dropped events may have had them anywhere between its last
/// early and its first late kept event, so a gap overlapping that range is not known to be idle.
fn idle_stretches(j: &crate::timeline::JobTimeline) -> Vec<(Timestamp, Timestamp)> {
    let (Some(first), Some(last)) = (j.first_seen, j.last_seen) else {
        return Vec::new();
    };
    let min_ms = ((last - first).num_milliseconds() / 5).max(IDLE_MIN_SECS * 1000);
    let mut unknown: Vec<(Timestamp, Timestamp)> = Vec::new();
    for (kind, total) in &j.event_counts {
        let kept: Vec<Timestamp> = j
            .events
            .iter()
            .filter(|e| e.kind == *kind)
            .filter_map(|e| e.ts)
            .collect();
        if (kept.len() as u64) < *total {
            let k = crate::timeline::KEEP_PER_KIND.min(kept.len());
            match (
                kept.get(k.saturating_sub(1)),
                kept.get(kept.len().saturating_sub(k)),
            ) {
                (Some(a), Some(b)) => unknown.push((*a.min(b), *a.max(b))),
                _ => unknown.push((first, last)),
            }
        }
    }
    let mut times: Vec<Timestamp> = j.events.iter().filter_map(|e| e.ts).collect();
    times.extend([first, last]);
    times.sort();
    times
        .windows(2)
        .filter(|w| (w[1] - w[0]).num_milliseconds() >= min_ms)
        .filter(|w| !unknown.iter().any(|(a, b)| *a < w[1] && *b > w[0]))
        .map(|w| (w[0], w[1]))
        .collect()
}

/// An owner move or a restart while a job ran.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeMark {
    pub ts: Timestamp,
    /// `owner tidb-0 → tidb-1`, `owner → tidb-1`, `restart of tidb-0 (killed)`.
    pub label: String,
    /// True for a restart, false for an owner move.
    pub restart: bool,
}

/// A change of (state, schema state) and the line that shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMark {
    pub ts: Timestamp,
    pub state: String,
    pub schema_state: String,
    pub file: Arc<str>,
    pub line: u64,
}

/// A kept event of the job that carries an error.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorMark {
    pub ts: Timestamp,
    pub instance: Arc<str>,
    pub error: Option<String>,
    pub file: Arc<str>,
    pub line: u64,
}

/// Where DDL converted the job to rollback.
#[derive(Debug, Clone, PartialEq)]
pub struct RollbackMark {
    pub ts: Timestamp,
    pub file: Arc<str>,
    pub error: Option<String>,
    pub err_count: Option<u64>,
    pub message: String,
}

/// One instance fault window, for the trace's per-instance fault track.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowMark {
    /// The window's first instance (`?` when it names none).
    pub instance: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Signal kind → lines.
    pub kinds: BTreeMap<&'static str, u64>,
}

/// One instance: how many error / fault lines per bucket, and its fault windows.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceLane {
    pub name: String,
    /// (bucket start, lines) with bucket width [`crate::fault::BUCKET_SECS`].
    pub density: Vec<(Timestamp, u64)>,
    /// (start, end, kinds).
    pub windows: Vec<(Timestamp, Timestamp, String)>,
}

/// Builds the lanes from what the analysis read.
pub fn picture(a: &Analysis) -> Picture {
    let mut lanes = Lanes::default();
    for j in &a.timelines.jobs {
        lanes.add(j, &a.timelines.cluster);
    }
    lanes.finish(a)
}

/// The picture drawn job by job, so that the report builder can draw each job's lane as it
/// turns the job's timeline into its report entry and frees it ([`crate::report::build`]).
#[derive(Debug, Default)]
pub struct Lanes {
    p: Picture,
    /// Instance → bucket → (first time, error lines) of the jobs' error lines.
    job_errors: BTreeMap<String, BTreeMap<i64, (Timestamp, u64)>>,
}

impl Lanes {
    /// Draws job `j`'s lane (nothing for a job without times).
    pub fn add(&mut self, j: &crate::timeline::JobTimeline, cluster: &crate::timeline::Cluster) {
        let (p, job_errors) = (&mut self.p, &mut self.job_errors);
        let (Some(first), Some(last)) = (j.first_seen, j.last_seen) else {
            return;
        };
        let mut errors = Vec::new();
        for e in &j.events {
            if let (Some(ts), Some(_)) = (e.ts, &e.error) {
                errors.push(ErrorMark {
                    ts,
                    instance: Arc::clone(&e.instance),
                    error: e.error.as_deref().map(str::to_string),
                    file: Arc::clone(&e.evidence.file),
                    line: e.evidence.line,
                });
                let b = ts.timestamp().div_euclid(crate::fault::BUCKET_SECS);
                let slot = job_errors
                    .entry(e.instance.to_string())
                    .or_default()
                    .entry(b)
                    .or_insert((ts, 0));
                slot.0 = slot.0.min(ts);
                slot.1 += 1;
            }
        }
        p.jobs.push(JobLane {
            job_id: j.job_id,
            label: format!(
                "job {} · {} {}",
                j.job_id,
                j.job_type.as_deref().unwrap_or("?"),
                j.table.as_deref().unwrap_or("")
            ),
            trace_label: format!(
                "job {} {} {}",
                j.job_id,
                j.job_type.as_deref().unwrap_or(""),
                j.table.as_deref().unwrap_or("")
            ),
            outcome: j.outcome.to_string(),
            first,
            last,
            instances: j.instances.iter().map(|i| i.to_string()).collect(),
            states: j
                .states
                .iter()
                .filter_map(|s| {
                    Some(StateMark {
                        ts: s.evidence.ts?,
                        state: s.state.to_string(),
                        schema_state: s.schema_state.to_string(),
                        file: Arc::clone(&s.evidence.file),
                        line: s.evidence.line,
                    })
                })
                .collect(),
            err_counts: j
                .err_counts
                .iter()
                .filter_map(|p| Some((p.evidence.ts?, p.err_count)))
                .collect(),
            rollback: j.rollback.as_ref().and_then(|r| {
                Some(Box::new(RollbackMark {
                    ts: r.evidence.ts?,
                    file: Arc::clone(&r.evidence.file),
                    error: r.error.clone(),
                    err_count: r.err_count,
                    message: r.message.clone(),
                }))
            }),
            errors,
            changes: crate::diagnosis::owner::owner_changes(j, cluster)
                .iter()
                .filter_map(change_mark)
                .collect(),
            last_progress: j.last_progress,
            unfinished: j.unfinished(),
            idle: idle_stretches(j),
        });
    }

    /// The instances' lanes and the fault windows, after the last job.
    pub fn finish(self, a: &Analysis) -> Picture {
        let Lanes { mut p, job_errors } = self;
        instance_lanes(&mut p, &job_errors, a);
        p
    }
}

fn instance_lanes(
    p: &mut Picture,
    job_errors: &BTreeMap<String, BTreeMap<i64, (Timestamp, u64)>>,
    a: &Analysis,
) {
    let mut names: Vec<String> = a.files.iter().map(|f| f.meta.instance.clone()).collect();
    names.extend(a.faults.by_instance.keys().cloned());
    names.sort();
    names.dedup();
    for name in names {
        let mut density: BTreeMap<i64, (Timestamp, u64)> = BTreeMap::new();
        if let Some(c) = a.faults.by_instance.get(&name) {
            for (ts, n) in c.density() {
                let e = density
                    .entry(ts.timestamp().div_euclid(crate::fault::BUCKET_SECS))
                    .or_insert((ts, 0));
                e.1 += n;
            }
        }
        if let Some(m) = job_errors.get(&name) {
            for (b, (ts, n)) in m {
                let e = density.entry(*b).or_insert((*ts, 0));
                e.0 = e.0.min(*ts);
                e.1 += n;
            }
        }
        let windows = a
            .fault_windows
            .instance
            .iter()
            .filter(|w| w.instances.contains(&name))
            .map(|w| {
                let kinds: Vec<&str> = w.kinds.keys().map(|k| k.as_str()).collect();
                (w.start, w.end, kinds.join(", "))
            })
            .collect();
        let density: Vec<(Timestamp, u64)> = density.into_values().collect();
        p.instances.push(InstanceLane {
            name,
            density,
            windows,
        });
    }
    p.windows = a
        .fault_windows
        .instance
        .iter()
        .map(|w| WindowMark {
            instance: w
                .instances
                .first()
                .cloned()
                .unwrap_or_else(|| "?".to_string()),
            start: w.start,
            end: w.end,
            kinds: w.kinds.iter().map(|(k, n)| (k.as_str(), *n)).collect(),
        })
        .collect();
}

/// One owner change in words for a mark's label.
fn change_mark(c: &crate::diagnosis::owner::OwnerChange) -> Option<ChangeMark> {
    use crate::diagnosis::owner::ChangeKind;
    let ts = c.ts()?;
    let (label, restart) = match c.kind {
        ChangeKind::Restart { graceful } => (
            format!(
                "restart of {}{}",
                c.from.as_deref().unwrap_or("?"),
                if graceful { "" } else { " after an abrupt end" }
            ),
            true,
        ),
        ChangeKind::Handover | ChangeKind::Elected => (
            match (&c.from, &c.to) {
                (Some(f), Some(t)) => format!("owner {f} → {t}"),
                (Some(f), None) => format!("owner {f} resigned"),
                (None, Some(t)) => format!("owner → {t}"),
                (None, None) => "owner changed".to_string(),
            },
            false,
        ),
    };
    Some(ChangeMark { ts, label, restart })
}

impl Picture {
    /// True when there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty() && self.instances.is_empty() && self.windows.is_empty()
    }
}
