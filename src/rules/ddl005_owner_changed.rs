//! DDL005 owner-changed-during-job.

use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::Timelines;

declare_rule! {
    /// ## What it does
    /// Notes that the DDL owner moved to another instance (a `get owner` naming a new owner,
    /// `retire owner`, `resign ddl owner`) or that a TiDB process started (`Welcome to TiDB`)
    /// while a job was running — between the job's first and last log line.
    ///
    /// ## Why is this bad?
    /// By itself it is not: the new owner picks the job up, and a single `task not resumable`
    /// on it is the normal re-attach to a running DXF task. It is context for the other
    /// findings: several rollback and stall bugs only happen across an owner change or a rolling
    /// restart (pingcap/tidb#52805, #50073, #48633), and the job's lines are then split across
    /// instances.
    ///
    /// ## What to do
    /// Nothing if the job finished. Otherwise read its timeline across all instances
    /// (`ddldiag timeline --job <id>` with every TiDB's logs) and check why the owner moved
    /// (restart, etcd session loss, network partition).
    ///
    /// ## Example
    /// Job 554 runs from 10:00 to 10:40; at 10:12 tidb-1 logs `get owner` with a new owner id
    /// after tidb-0 was restarted.
    pub struct OwnerChangedDuringJob {
        code: "DDL005",
        name: "owner-changed-during-job",
        severity: Info,
        summary: "The DDL owner changed or a TiDB restarted while a job was running",
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let version = ctx.version.clone();
    t.jobs
        .iter()
        .filter_map(|job| {
            let changes = ctx.of(job).owner_changes.clone();
            if changes.is_empty() {
                return None;
            }
            let restarts = changes.iter().filter(|e| t.cluster.starts.iter().any(|s| s.evidence == **e)).count();
            let moves = changes.len() - restarts;
            let what = match (moves, restarts) {
                (0, r) => format!("{r} TiDB restart{}", if r == 1 { "" } else { "s" }),
                (m, 0) => format!("{m} owner change{}", if m == 1 { "" } else { "s" }),
                (m, r) => format!("{m} owner change{} and {r} TiDB restart{}", if m == 1 { "" } else { "s" }, if r == 1 { "" } else { "s" }),
            };
            let mut f = finding(&META, Some(job.job_id), format!("Job {} ran through {what}", job.job_id));
            let mut parts = vec![format!(
                "{} ran from {} to {} (`{}`); during that time the logs show {what}, first at {}.",
                capitalize(&job_label(job)),
                hms(job.first_seen),
                hms(job.last_seen),
                job.outcome,
                hms(changes[0].ts)
            )];
            parts.push(if job.unfinished() || job.rolled_back() {
                "The job did not finish normally: the change may be part of its story (see the job's other findings).".to_string()
            } else {
                "The job still finished normally.".to_string()
            });
            let (ids, notes) = issues_for(&META, job, job.errors.first().map(|e| e.text.as_str()), ctx.of(job), version.as_ref());
            parts.extend(notes);
            f.known_issues = ids;
            f.explanation = sentences(&parts);
            f.suggestion = "Read the job's timeline across every instance's logs; check why the owner moved (restart, etcd session loss, partition). A single `task not resumable` on the new owner is the normal re-attach.".into();
            let mut ev = EvidenceSet::new();
            for e in &changes {
                ev.add(e);
            }
            f.evidence = ev.into_sorted();
            Some(f)
        })
        .collect()
}
