//! DDL005 owner-changed-during-job.

use crate::diagnosis::{ChangeKind, OwnerChange};
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::Timelines;

declare_rule! {
    /// ## What it does
    /// Notes that the DDL owner moved to another instance (a `get owner` naming a new owner,
    /// `retire owner`, `resign ddl owner`) or that a TiDB process restarted (a `Welcome to TiDB`
    /// after earlier lines of the same instance) while a job was running — between the job's
    /// first and last log line. One hand-over (a resign and the new owner's `get owner`) is one
    /// change; an instance's first start is no change at all.
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
            let facts = ctx.of(job);
            let changes = &facts.owner_changes;
            let first = changes.first()?;
            let restarts = changes
                .iter()
                .filter(|c| matches!(c.kind, ChangeKind::Restart { .. }))
                .count();
            let moves = changes.len() - restarts;
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            let what = match (moves, restarts) {
                (0, r) => format!("{r} TiDB restart{}", plural(r)),
                (m, 0) => format!("{m} owner change{}", plural(m)),
                (m, r) => format!(
                    "{m} owner change{} and {r} TiDB restart{}",
                    plural(m),
                    plural(r)
                ),
            };
            let mut f = finding(
                &META,
                Some(job.job_id),
                format!("Job {} ran through {what}", job.job_id),
            );
            let mut parts = vec![format!(
                "{} ran from {} to {} (`{}`); during that time the logs show {what}, first at {}.",
                capitalize(&job_label(job)),
                hms(job.first_seen),
                hms(job.last_seen),
                job.outcome,
                hms(first.ts())
            )];
            for c in changes.iter().take(4) {
                parts.push(describe(c));
            }
            parts.push(if job.unfinished() || job.rolled_back() {
                "The job did not finish normally: the change may be part of its story (see the job's other findings).".to_string()
            } else {
                "The job still finished normally.".to_string()
            });
            let (ids, notes) = issues_for(
                &META,
                job,
                job.errors.first().map(|e| e.text.as_str()),
                facts,
                version.as_ref(),
            );
            parts.extend(notes);
            f.known_issues = ids;
            f.explanation = sentences(&parts);
            let mut sug = vec![
                "Read the job's timeline across every instance's logs (`ddldiag timeline --job <id>` with all TiDB logs) and check why the owner moved (restart, etcd session loss, partition).".to_string(),
            ];
            if job.dist_task.is_some() {
                sug.push(
                    "A single `task not resumable` on the new owner is the normal re-attach to the running DXF task."
                        .to_string(),
                );
            }
            if restarts > 0 && changes.iter().any(|c| c.kind == (ChangeKind::Restart { graceful: false })) {
                sug.push("For a restart without `got signal to exit`, look for an OOM kill or crash of that TiDB (`dmesg`, the TiDB stderr log).".to_string());
            }
            sug.push(show_job_sql(job));
            f.suggestion = sentences(&sug);
            let mut ev = EvidenceSet::new();
            for c in changes {
                for e in &c.evidence {
                    ev.add(e);
                }
            }
            f.evidence = ev.into_sorted();
            Some(f)
        })
        .collect()
}

/// One change as a sentence: who handed over to whom, or which instance restarted and how.
fn describe(c: &OwnerChange) -> String {
    let at = hms(c.ts());
    match (c.kind, &c.from, &c.to) {
        (ChangeKind::Handover, Some(from), Some(to)) => {
            format!("At {at} {from} resigned the DDL owner and {to} took over.")
        }
        (ChangeKind::Handover, Some(from), None) => {
            format!("At {at} {from} gave up the DDL owner.")
        }
        (ChangeKind::Elected, _, Some(to)) => {
            format!("At {at} {to} became the DDL owner with no resignation logged before it.")
        }
        (ChangeKind::Restart { graceful: true }, Some(i), _) => {
            format!("At {at} {i} restarted after a graceful shutdown.")
        }
        (ChangeKind::Restart { graceful: false }, Some(i), _) => format!(
            "At {at} {i} restarted without a logged shutdown (`got signal to exit` or an owner resign): the previous process ended abruptly."
        ),
        _ => format!("At {at} the owner changed."),
    }
}
