//! DDL013 tidb-died-mid-job.

use crate::diagnosis::Takeover;
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a job whose TiDB instance died while running it: the instance's job lines stop
    /// with no `got signal to exit` and no `resign ddl owner success` / `resign owner success`,
    /// and then the instance restarts (`Welcome to TiDB.` after earlier lines) or another
    /// instance becomes DDL owner and goes on with the job. A log file that simply ends is not
    /// a death.
    ///
    /// ## Why is this bad?
    /// An instance that ends without a shutdown was killed — most often by the OOM killer
    /// during a memory-heavy ADD INDEX. The job survives it (the next owner resumes it, often
    /// from the ingest checkpoint), but the kill costs the work since the last checkpoint and
    /// recurs on the next run with the same memory settings.
    ///
    /// ## What to do
    /// Check the host for an OOM kill (`dmesg`, Kubernetes `OOMKilled`) and
    /// `tidb_server_memory_limit`; lower `tidb_ddl_reorg_worker_cnt` /
    /// `tidb_ddl_reorg_batch_size`, avoid concurrent ADD INDEX, or run DDL on nodes with
    /// `tidb_service_scope = 'background'`.
    ///
    /// ## Example
    /// tidb-0 runs job 1604's reorg until 14:06:50 and logs nothing more; tidb-1 becomes DDL
    /// owner at 14:07:48 and finishes the job; tidb-0 restarts at 14:09:30.
    pub struct TidbDiedMidJob {
        code: "DDL013",
        name: "tidb-died-mid-job",
        severity: Warning,
        summary: "The TiDB instance running a job died without a graceful shutdown (likely OOM-killed)",
        replaces: ["DDL005"],
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    t.jobs
        .iter()
        .filter_map(|j| {
            let tk = ctx.of(j).takeover.as_ref().filter(|tk| !tk.graceful)?;
            Some(build(j, tk, ctx))
        })
        .collect()
}

fn build(job: &JobTimeline, tk: &Takeover, ctx: &Context) -> Finding {
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "TiDB {} died without a shutdown while running job {}",
            tk.old, job.job_id
        ),
    );
    let mut parts = vec![format!(
        "{} ran {} until {} and logged no `got signal to exit` or owner resignation before it stopped: it ended abruptly (killed, most often by the OOM killer, or crashed).",
        tk.old,
        job_label(job),
        hms(tk.last_line.as_ref().and_then(|e| e.ts))
    )];
    let gap = |e: &crate::model::Evidence| {
        tk.last_line
            .as_ref()
            .and_then(|l| span(l, e))
            .map(|d| format!(", {} after its last job line", fmt_duration(d)))
            .unwrap_or_default()
    };
    if let Some(new) = &tk.new {
        parts.push(format!(
            "{new} took the job over at {}{}.",
            hms(tk.taken.as_ref().and_then(|e| e.ts).or(tk.change.ts)),
            gap(tk.taken.as_ref().unwrap_or(&tk.change))
        ));
    }
    if let Some(r) = &tk.restart {
        parts.push(format!("{} restarted at {}{}.", tk.old, hms(r.ts), gap(r)));
    }
    let facts = ctx.of(job);
    if let Some(res) = &facts.foreign_resume {
        parts.push(format!(
            "The reorg resumed from the ingest checkpoint at {} (previous instance {}, current instance {}).",
            hms(res.evidence.ts),
            res.previous,
            res.current
        ));
    }
    parts.push(if job.unfinished() {
        format!("The job is `{}` at the end of the logs.", job.outcome)
    } else {
        format!(
            "The job survived it and ended `{}`{}.",
            job.outcome,
            job.finished
                .as_ref()
                .map(|e| format!(" at {}", hms(e.ts)))
                .unwrap_or_default()
        )
    });
    f.explanation = sentences(&parts);
    f.suggestion = sentences(&[
        format!(
            "Check {}'s host for an OOM kill around {} (`dmesg`, Kubernetes `OOMKilled`) and `tidb_server_memory_limit`.",
            tk.old,
            hms(tk.last_line.as_ref().and_then(|e| e.ts))
        ),
        "To lower the DDL's memory use, lower `tidb_ddl_reorg_worker_cnt` / `tidb_ddl_reorg_batch_size`, avoid concurrent ADD INDEX, or run DDL on nodes with `tidb_service_scope = 'background'`.".into(),
        show_job_sql(job),
    ]);
    let mut ev = EvidenceSet::new();
    ev.add_opt(tk.last_line.as_ref());
    ev.add(&tk.change);
    ev.add_opt(tk.taken.as_ref());
    ev.add_opt(tk.restart.as_ref());
    ev.add_opt(facts.foreign_resume.as_ref().map(|r| &r.evidence));
    ev.add_opt(job.finished.as_ref());
    f.evidence = ev.into_sorted();
    f
}
