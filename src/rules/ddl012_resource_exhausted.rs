//! DDL012 resource-exhausted.

use crate::diagnosis::errclass::matching_row;
use crate::diagnosis::source::{source_of, ErrorSource};
use crate::diagnosis::JobFacts;
use crate::event::{Detail, Event, EventKind};
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{ErrorStat, JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a job during which a capacity ran out: (a) a TiKV store's disk while the index's
    /// SSTs were ingested (`[Ingest:StoreDiskFull]` on master; TiKV's `DiskSpaceNotEnough`, which
    /// lightning stops retrying from v8.1), or (b) TiDB's ingest memory quota while engines or
    /// writers were built (`allocate memory failed` with the backend's `current memory usage` and
    /// `max memory quota`, then `[ddl:8247]Ingest failed: memory used up`).
    ///
    /// ## Why is this bad?
    /// The job fails (usually rolls back) on a resource, not on its data: it is not an "expected
    /// rollback", and it will fail the same way until capacity is added or the DDL asks for less.
    /// A TiDB temp-dir problem is DDL011, not this; a memory error that the job swallowed and
    /// still finished is DDL014 (the index may miss entries).
    ///
    /// ## What to do
    /// (a) Add TiKV capacity (the new index needs roughly rows × index key size × replicas) and
    /// re-run; check `SELECT store_id, address, capacity, available FROM
    /// information_schema.tikv_store_status`. (b) Lower `tidb_ddl_reorg_worker_cnt` /
    /// `tidb_ddl_reorg_batch_size`, do not run several ADD INDEX at once, then re-run.
    ///
    /// ## Example
    /// Job 7301 logs `allocate memory failed` with `current memory usage`=8468302240 of `max
    /// memory quota`=8589934592, then `run reorg job failed, convert job to rollback` with
    /// `[ddl:8247]Ingest failed: memory used up`.
    pub struct ResourceExhausted {
        code: "DDL012",
        name: "resource-exhausted",
        severity: Error,
        summary: "A TiKV store or the ingest memory quota ran out during the job",
        replaces: ["DDL006", "DDL008"],
    }
}

/// Which resource.
enum Resource<'a> {
    /// A TiKV store's disk: the error that says so.
    TikvDisk(&'a ErrorStat),
    /// The ingest memory quota: the `allocate memory failed` line and/or the error.
    IngestMemory {
        alloc: Option<&'a Event>,
        error: Option<&'a ErrorStat>,
    },
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    t.jobs
        .iter()
        .filter_map(|job| {
            let facts = ctx.of(job);
            let res = resource(job, facts)?;
            Some(build(job, res, facts, ctx))
        })
        .collect()
}

/// True for an error that says TiKV ran out of disk while ingesting.
pub fn tikv_disk_full(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("ingest:storediskfull")
        || lower.contains("diskspacenotenough")
        || (matching_row(text).is_some_and(|r| r.family == "disk-full")
            && source_of(text) == Some(ErrorSource::Tikv)
            && crate::diagnosis::ingest_env::condition_of(text).is_none())
}

/// True for the ingest memory-quota error.
pub fn ingest_memory(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("memory used up") || lower.contains("[ddl:8247]ingest failed: memory")
}

fn resource<'a>(job: &'a JobTimeline, facts: &JobFacts) -> Option<Resource<'a>> {
    if facts.ingest_env.is_some() {
        return None;
    }
    if let Some(s) = job.errors.iter().find(|s| tikv_disk_full(&s.text)) {
        return Some(Resource::TikvDisk(s));
    }
    let alloc = job.events_of(EventKind::IngestMemoryExhausted).next();
    let error = job.errors.iter().find(|s| ingest_memory(&s.text));
    (alloc.is_some() || error.is_some()).then_some(Resource::IngestMemory { alloc, error })
}

fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}

fn build(job: &JobTimeline, res: Resource<'_>, facts: &JobFacts, ctx: &Context) -> Finding {
    let mut parts = Vec::new();
    let mut sug = Vec::new();
    let mut ev = EvidenceSet::new();
    let (title, error) = match &res {
        Resource::TikvDisk(s) => {
            parts.push(format!(
                "The job failed with `{}` ({} line{}, {}): a TiKV store ran out of disk while the index's data was written to it. It is a TiKV capacity problem, not a TiDB temp-dir one, and the data is not at fault.",
                s.text,
                s.count,
                if s.count == 1 { "" } else { "s" },
                window(s.first.ts, s.last.ts)
            ));
            sug.push("Add TiKV disk capacity (the new index needs roughly rows × index key size × replicas) or free space on the full stores, then re-run the DDL.".to_string());
            sug.push("Next: `SELECT store_id, address, capacity, available FROM information_schema.tikv_store_status`.".to_string());
            ev.add(&s.first);
            ev.add(&s.last);
            (
                format!(
                    "{}: a TiKV store ran out of disk during ingest",
                    capitalize(&job_label(job))
                ),
                Some(s.text.clone()),
            )
        }
        Resource::IngestMemory { alloc, error } => {
            let mut where_ = String::new();
            if let Some(a) = alloc {
                where_ = format!(" on {}", a.instance);
                let (usage, quota) = match &*a.detail {
                    Detail::Memory { usage, quota, .. } => (*usage, *quota),
                    _ => (None, None),
                };
                let index = match &*a.detail {
                    Detail::Memory {
                        index_id: Some(i), ..
                    } => format!(" for index ID {i}"),
                    _ => String::new(),
                };
                parts.push(match (usage, quota) {
                    (Some(u), Some(q)) if q > 0 => format!(
                        "At {} on {} the ingest backend could not allocate memory{index} (`allocate memory failed`): it already used {u} bytes ({}) of its {q}-byte quota ({}), {:.1}%.",
                        hms(a.ts),
                        a.instance,
                        gib(u),
                        gib(q),
                        u as f64 * 100.0 / q as f64
                    ),
                    _ => format!(
                        "At {} on {} the ingest backend could not allocate memory{index} (`allocate memory failed`).",
                        hms(a.ts),
                        a.instance
                    ),
                });
                ev.add(&a.evidence);
            }
            if let Some(s) = error {
                parts.push(format!(
                    "The job failed with `{}` ({} line{}, {}).",
                    s.text,
                    s.count,
                    if s.count == 1 { "" } else { "s" },
                    window(s.first.ts, s.last.ts)
                ));
                ev.add(&s.first);
                ev.add(&s.last);
            }
            parts.push("TiDB gives ingest half of the instance's memory; each concurrent writer and engine takes its share, so a wide index, many reorg workers or several ADD INDEX at once exhaust it. It is a capacity limit, not a data error: the same settings fail again.".into());
            sug.push("Lower `tidb_ddl_reorg_worker_cnt` and `tidb_ddl_reorg_batch_size`, and do not run several ADD INDEX at once (or give that TiDB more memory), then re-run the DDL.".to_string());
            sug.push("Next: `SELECT @@global.tidb_ddl_reorg_worker_cnt, @@global.tidb_ddl_reorg_batch_size` and `ADMIN SHOW DDL JOBS`.".to_string());
            (
                format!(
                    "{}: the ingest memory quota ran out{where_}",
                    capitalize(&job_label(job))
                ),
                error.map(|s| s.text.clone()),
            )
        }
    };
    let mut f = finding(&META, Some(job.job_id), title);
    if job.rolled_back() {
        parts.push(format!("{}.", capitalize(&rollback_story(job))));
    } else if job.unfinished() {
        parts.push(format!(
            "The job is `{}` at the end of the logs (ErrCount {}).",
            job.outcome, job.max_err_count
        ));
    } else if let Some(fin) = &job.finished {
        parts.push(format!(
            "The job ended `{}` at {}.",
            job.outcome,
            hms(fin.ts)
        ));
    }
    if job.job_type.as_deref() == Some("alter table multi-schema change") && job.rolled_back() {
        parts.push("It is a multi-schema change: the whole ALTER rolled back.".into());
    }
    let (ids, notes) = issues_for(&META, job, error.as_deref(), facts, ctx.version.as_ref());
    parts.extend(notes);
    f.known_issues = ids;
    f.explanation = sentences(&parts);
    f.suggestion = sentences(&sug);
    ev.add_opt(job.rollback.as_ref().map(|r| &r.evidence));
    ev.add_opt(job.finished.as_ref());
    f.evidence = ev.into_sorted();
    f
}
