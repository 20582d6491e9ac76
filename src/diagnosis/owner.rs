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
