//! Owner moves and TiDB restarts while a job ran.
//!
//! One hand-over is one change: the old owner's `resign ddl owner success` and the new owner's
//! `get owner` a moment later are two lines of the same event. A process's first `Welcome to
//! TiDB` is a start, not a change (failure-families §1 rule 9); a restart is one.

use crate::event::EventKind;
use crate::model::{Evidence, Timestamp};
use crate::timeline::{Cluster, JobTimeline, StartKind};

/// A retirement and an election this close together are one hand-over.
const HANDOVER_SECS: i64 = 60;

/// One change of who runs DDL, as the logs show it.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnerChange {
    pub kind: ChangeKind,
    /// The instance that lost (or resigned) ownership, when a line says.
    pub from: Option<String>,
    /// The instance that took ownership, when a line says.
    pub to: Option<String>,
    /// The lines that show it, in time order.
    pub evidence: Vec<Evidence>,
}

/// What kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The owner resigned or retired and (maybe) another instance took over.
    Handover,
    /// A new owner was elected with no retirement seen (the old one went silent).
    Elected,
    /// A TiDB process restarted; `graceful` when it was asked to stop first.
    Restart { graceful: bool },
}

impl OwnerChange {
    pub fn ts(&self) -> Option<Timestamp> {
        self.evidence.first().and_then(|e| e.ts)
    }
}

/// The owner changes and restarts that happened while the job was running (strictly after its
/// first line, up to its last line), in time order.
///
/// A `get owner` naming the same owner as before is not a change; an election counts only when
/// an earlier one named a different owner.
pub fn owner_changes(job: &JobTimeline, cluster: &Cluster) -> Vec<OwnerChange> {
    let (Some(start), Some(end)) = (job.first_seen, job.last_seen) else {
        return Vec::new();
    };
    let inside = |ts: Option<Timestamp>| ts.is_some_and(|t| t > start && t <= end);
    let mut out: Vec<OwnerChange> = Vec::new();
    let mut last_owner: Option<&str> = None;
    for e in &cluster.owner_events {
        let owner = e.detail.owner();
        match e.kind {
            EventKind::OwnerRetired if inside(e.ts) => out.push(OwnerChange {
                kind: ChangeKind::Handover,
                from: Some(e.instance.to_string()),
                to: None,
                evidence: vec![e.evidence.clone()],
            }),
            EventKind::OwnerElected => {
                // The election that completes a hand-over begun by a retirement just before, on
                // another instance.
                let pending = inside(e.ts)
                    .then(|| {
                        out.iter_mut().rev().find(|c| {
                            c.kind == ChangeKind::Handover
                                && c.to.is_none()
                                && c.from.as_deref() != Some(&*e.instance)
                                && c.ts()
                                    .zip(e.ts)
                                    .is_some_and(|(r, t)| (t - r).num_seconds() <= HANDOVER_SECS)
                        })
                    })
                    .flatten();
                if let Some(c) = pending {
                    c.to = Some(e.instance.to_string());
                    c.evidence.push(e.evidence.clone());
                } else if inside(e.ts)
                    && last_owner.is_some()
                    && owner.is_some()
                    && owner != last_owner
                {
                    out.push(OwnerChange {
                        kind: ChangeKind::Elected,
                        from: None,
                        to: Some(e.instance.to_string()),
                        evidence: vec![e.evidence.clone()],
                    });
                }
                if owner.is_some() {
                    last_owner = owner;
                }
            }
            _ => {}
        }
    }
    for s in &cluster.starts {
        if let (StartKind::Restart { graceful }, true) = (s.kind, inside(s.evidence.ts)) {
            out.push(OwnerChange {
                kind: ChangeKind::Restart { graceful },
                from: Some(s.instance.clone()),
                to: None,
                evidence: vec![s.evidence.clone()],
            });
        }
    }
    out.sort_by_key(|c| c.ts());
    out
}

/// Who ran a job before and after an owner change, and how the old one ended (failure-families
/// §1 rule 11): the story DDL013 and DDL028 tell.
#[derive(Debug, Clone, PartialEq)]
pub struct Takeover {
    /// The instance that ran the job before the change.
    pub old: String,
    /// The instance that ran it after, when a line says.
    pub new: Option<String>,
    /// The old instance was asked to stop (`got signal to exit`) or resigned the owner before
    /// the change; else it went silent (killed, OOM, crashed).
    pub graceful: bool,
    /// The old instance's `got signal to exit` / `resign … owner success` line.
    pub shutdown: Option<Evidence>,
    /// The old instance's last line of the job before the change.
    pub last_line: Option<Evidence>,
    /// The first line of the change (the old owner's resignation, the new owner's election,
    /// the restart).
    pub change: Evidence,
    /// The new instance's election (`get owner` / `become owner`) at or after the change.
    pub taken: Option<Evidence>,
    /// The old instance's restart (`Welcome to TiDB.` after earlier lines), when it restarted.
    pub restart: Option<Evidence>,
}

/// A `resume checkpoint` line whose checkpoint was written by another instance.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignResume {
    pub previous: String,
    pub current: String,
    pub evidence: Evidence,
}

/// The first `resume checkpoint` of the job whose `previous instance` is set and differs from
/// its `current instance`.
pub fn foreign_resume(job: &JobTimeline) -> Option<ForeignResume> {
    job.events_of(EventKind::CheckpointResumed)
        .find_map(|e| match &*e.detail {
            crate::event::Detail::Checkpoint { previous, current }
                if !previous.is_empty() && previous != current =>
            {
                Some(ForeignResume {
                    previous: previous.clone(),
                    current: current.clone(),
                    evidence: e.evidence.clone(),
                })
            }
            _ => None,
        })
}

/// The first owner change of the job that moved it off the instance running it: a change whose
/// old instance had logged the job's lines before it.
pub fn takeover(job: &JobTimeline, cluster: &Cluster, changes: &[OwnerChange]) -> Option<Takeover> {
    changes.iter().find_map(|c| {
        let at = c.ts()?;
        let before = |inst: &str| {
            job.events
                .iter()
                .rev()
                .find(|e| &*e.instance == inst && e.ts.is_some_and(|t| t < at))
        };
        let old = match &c.from {
            Some(f) => f.clone(),
            None => job
                .events
                .iter()
                .rev()
                .find(|e| e.ts.is_some_and(|t| t < at) && Some(&*e.instance) != c.to.as_deref())?
                .instance
                .to_string(),
        };
        // Only the instance that ran the job's steps (the owner) counts, not one that merely
        // synced a schema version of it.
        let ran = job.events.iter().any(|e| {
            e.kind == EventKind::JobRun && *e.instance == *old && e.ts.is_some_and(|t| t < at)
        });
        if !ran {
            return None;
        }
        let last_line = before(&old).map(|e| e.evidence.clone())?;
        let start = job.first_seen?;
        let shutdown = cluster
            .owner_events
            .iter()
            .find(|e| {
                &*e.instance == old.as_str()
                    && (e.kind == EventKind::ServerStop
                        || (e.kind == EventKind::OwnerRetired && e.message.starts_with("resign")))
                    && e.ts.is_some_and(|t| t >= start && t <= at)
            })
            .map(|e| e.evidence.clone());
        let graceful = match c.kind {
            ChangeKind::Restart { graceful } => graceful,
            _ => shutdown.is_some(),
        };
        let restart = cluster
            .starts
            .iter()
            .find(|s| s.instance == old && s.is_restart() && s.evidence.ts.is_some_and(|t| t >= at))
            .map(|s| s.evidence.clone());
        let new = c.to.clone().or_else(|| {
            changes
                .iter()
                .filter(|o| o.ts().is_some_and(|t| t >= at))
                .find_map(|o| o.to.clone().filter(|t| *t != old))
        });
        let new = new.or_else(|| {
            job.events
                .iter()
                .find(|e| e.ts.is_some_and(|t| t > at) && *e.instance != *old)
                .map(|e| e.instance.to_string())
        });
        let taken = new.as_deref().and_then(|n| {
            cluster
                .owner_events
                .iter()
                .find(|e| {
                    e.kind == EventKind::OwnerElected
                        && *e.instance == *n
                        && e.detail.owner().is_some()
                        && e.ts.is_some_and(|t| t >= at)
                })
                .map(|e| e.evidence.clone())
        });
        Some(Takeover {
            taken,
            old,
            new,
            graceful,
            shutdown,
            last_line: Some(last_line),
            change: c.evidence.first()?.clone(),
            restart,
        })
    })
}
