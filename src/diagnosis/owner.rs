//! Owner moves and TiDB restarts while a job ran.

use crate::event::EventKind;
use crate::model::{Evidence, Timestamp};
use crate::timeline::{Cluster, JobTimeline};

/// The owner elections/retirements and TiDB starts that happened while the job was running
/// (strictly after its first line, up to its last line), in time order.
///
/// A "get owner" line that names the same owner as before is not a change; the first election
/// seen inside the window counts only when an earlier one named a different owner, or when it
/// is a retirement / a restart.
pub fn owner_changes(job: &JobTimeline, cluster: &Cluster) -> Vec<Evidence> {
    let (Some(start), Some(end)) = (job.first_seen, job.last_seen) else {
        return Vec::new();
    };
    let inside = |ts: Option<Timestamp>| ts.is_some_and(|t| t > start && t <= end);
    let mut out = Vec::new();
    let mut last_owner: Option<&str> = None;
    for e in &cluster.owner_events {
        let owner = e.detail.owner();
        match e.kind {
            EventKind::OwnerRetired if inside(e.ts) => out.push(e.evidence.clone()),
            EventKind::OwnerElected => {
                if inside(e.ts) && last_owner.is_some() && owner.is_some() && owner != last_owner {
                    out.push(e.evidence.clone());
                }
                if owner.is_some() {
                    last_owner = owner;
                }
            }
            _ => {}
        }
    }
    for s in &cluster.starts {
        if inside(s.evidence.ts) {
            out.push(s.evidence.clone());
        }
    }
    out.sort_by_key(|e| e.ts);
    out
}
