//! DDL027 no-ddl-owner.

use crate::event::{Event, EventKind};
use crate::model::{Finding, Timestamp};
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

/// A job that waited this long for an owner is worth a finding (one normally runs within
/// milliseconds of its submission).
const NO_OWNER_SECS: i64 = 15;
/// The election that ends the wait comes right before the job's first step.
const RUN_AFTER_ELECTION_SECS: i64 = 10;

declare_rule! {
    /// ## What it does
    /// Flags jobs that waited for a DDL owner: a job is submitted (`start DDL job` up to v8.1,
    /// `DDL job submitted` from v8.5), no job runs anywhere, and only after an owner election
    /// (`get owner`, `become owner`) 15 s or more later does its first step run (`run DDL
    /// job`). It fires only when an election line ends the wait: a log without owner lines
    /// says nothing about the owner. It names the delayed jobs, the wait from submission to
    /// election and the instance elected.
    ///
    /// ## Why is this bad?
    /// Without an owner no DDL runs. After a fast restart the old process's owner key keeps its
    /// etcd lease (about 60 s), and no instance can win the election before it expires: every
    /// DDL submitted meanwhile — including the statements of an upgrade or a deployment
    /// script — hangs for that long (pingcap/tidb#65543).
    ///
    /// ## What to do
    /// Nothing once an owner is elected: the jobs ran. If the delay hurts (scripts with
    /// timeouts right after a restart), wait for the election before sending DDL. `ADMIN SHOW
    /// DDL` shows the current owner.
    ///
    /// ## Example
    /// tidb-0 starts at 13:12:49 (`Welcome to TiDB.`); `CREATE TABLE` is submitted at 13:12:52
    /// as job 110; `get owner` names tidb-0 only at 13:13:55, and job 110 runs at 13:13:56.
    pub struct NoDdlOwner {
        code: "DDL027",
        name: "no-ddl-owner",
        severity: Warning,
        summary: "No instance owned DDL for a long stretch while jobs waited",
    }
}

/// One job that waited for an owner.
struct Delayed<'a> {
    job: &'a JobTimeline,
    submitted: &'a Event,
    ran: &'a Event,
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    // Every kept `run DDL job` of every job: an owner existed when one of them ran.
    let runs: Vec<Option<Timestamp>> = t
        .jobs
        .iter()
        .flat_map(|j| j.events_of(EventKind::JobRun).map(|e| e.ts))
        .collect();
    let mut by_election: Vec<(&Event, Vec<Delayed>)> = Vec::new();
    for job in &t.jobs {
        let Some(submitted) = job.events_of(EventKind::JobSubmitted).next() else {
            continue;
        };
        let Some(ran) = job.events_of(EventKind::JobRun).next() else {
            continue;
        };
        let (Some(s), Some(r)) = (submitted.ts, ran.ts) else {
            continue;
        };
        // The last election before the first step, close to it and long after the submission.
        let Some(e) = t.cluster.owner_events.iter().rfind(|e| {
            e.kind == EventKind::OwnerElected && e.ts.is_some_and(|et| et > s && et <= r)
        }) else {
            continue;
        };
        let et = e.ts.expect("filtered");
        if et - s < chrono::Duration::seconds(NO_OWNER_SECS)
            || r - et > chrono::Duration::seconds(RUN_AFTER_ELECTION_SECS)
        {
            continue;
        }
        // Some job ran between submission and election: there was an owner.
        if runs.iter().any(|t| t.is_some_and(|t| t > s && t < et)) {
            continue;
        }
        let d = Delayed {
            job,
            submitted,
            ran,
        };
        match by_election.iter_mut().find(|(el, _)| std::ptr::eq(*el, e)) {
            Some((_, v)) => v.push(d),
            None => by_election.push((e, vec![d])),
        }
    }
    by_election
        .into_iter()
        .map(|(e, jobs)| build(e, &jobs, t, ctx))
        .collect()
}

fn build(election: &Event, jobs: &[Delayed], t: &Timelines, ctx: &Context) -> Finding {
    let first = &jobs[0];
    let et = election.ts.expect("checked");
    let st = first.submitted.ts.expect("checked");
    // Who was elected: the writer itself when the owner id is its own.
    let owner = election.detail.owner();
    let elected = match (owner, election.detail.me()) {
        (Some(o), Some(me)) if o == me => format!("{} (id {o})", election.instance),
        (Some(o), _) => match ctx.sync.node_instance.get(o) {
            Some(i) => format!("{i} (id {o})"),
            None => format!("the instance with id {o}"),
        },
        _ => election.instance.to_string(),
    };
    let mut f = finding(
        &META,
        Some(first.job.job_id),
        format!(
            "No DDL owner for {} after job {} was submitted; {elected} was elected at {}",
            fmt_duration(et - st),
            first.job.job_id,
            hms(Some(et))
        ),
    );
    let mut parts = Vec::new();
    for d in jobs {
        parts.push(format!(
            "{} was submitted at {} (`{}`) and first ran at {} (`{}`), {} later.",
            capitalize(&job_label(d.job)),
            hms(d.submitted.ts),
            d.submitted.message,
            hms(d.ran.ts),
            d.ran.message,
            fmt_duration(d.ran.ts.expect("checked") - d.submitted.ts.expect("checked"))
        ));
    }
    parts.push(format!(
        "No job ran in between, and the wait ended when {elected} became DDL owner at {} (`{}`), {} after the first submission.",
        hms(Some(et)),
        election.message,
        fmt_duration(et - st)
    ));
    // The start that came before it, if any.
    if let Some(s) = t
        .cluster
        .starts
        .iter()
        .rfind(|s| s.evidence.ts.is_some_and(|x| x <= st))
    {
        parts.push(if s.is_restart() {
            format!(
                "{} had restarted at {} (`Welcome to TiDB.`): after a fast restart the previous process's owner key keeps its etcd lease (about 60 s), and no instance wins the election until it expires.",
                s.instance,
                hms(s.evidence.ts)
            )
        } else {
            format!(
                "{} had started at {} (`Welcome to TiDB.`; its log begins there): if a previous process of it ran just before, that process's owner key kept its etcd lease (about 60 s), and no instance could win the election until it expired.",
                s.instance,
                hms(s.evidence.ts)
            )
        });
    }
    let (ids, notes) = issues_without_error(&META, Some(first.job), None, ctx.version.as_ref());
    parts.extend(notes);
    f.explanation = sentences(&parts);
    f.known_issues = ids;
    f.suggestion = sentences(&[
        "Nothing to do now that an owner is elected: the jobs ran.".to_string(),
        "If the delay hurts (scripts with timeouts right after a restart), wait for the election before sending DDL.".to_string(),
        "Next: `ADMIN SHOW DDL` (the current owner).".to_string(),
    ]);
    let mut ev = EvidenceSet::new();
    ev.add(&election.evidence);
    for d in jobs {
        ev.add(&d.submitted.evidence);
        ev.add(&d.ran.evidence);
    }
    if let Some(s) = t
        .cluster
        .starts
        .iter()
        .rfind(|s| s.evidence.ts.is_some_and(|x| x <= st))
    {
        ev.add(&s.evidence);
    }
    f.evidence = ev.into_sorted();
    f
}
