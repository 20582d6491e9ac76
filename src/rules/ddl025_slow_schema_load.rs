//! DDL025 slow-schema-load.

use crate::event::{Event, EventKind};
use crate::model::{Finding, Version};
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

/// An owner's wait for a schema version this long is worth a finding (a normal one takes
/// milliseconds).
const SLOW_WAIT_SECS: i64 = 10;
/// A full load this long, and at least half the wait, can be what the owner waited for.
const SLOW_LOAD_SECS: i64 = 5;
/// A load that ended this soon after the wait ended still counts (clocks of two instances).
const CLOCK_SLACK_SECS: i64 = 5;

declare_rule! {
    /// ## What it does
    /// Flags a schema change whose wait for all instances was long because some instance was
    /// busy with a full InfoSchema load: the owner's `wait latest schema version changed(…)`
    /// (`wait schema version synced success` on master) reports a `take time` of 10 s or more,
    /// and during that wait an instance logged `full load InfoSchema success` with a load time
    /// (`start time` up to v8.1, `elapsed time` from v8.5) of at least 5 s and half the wait,
    /// for the version waited for or a later one. The wait ended: the job moved on, slowly. It
    /// replaces the schema-sync finding (DDL009) for the job.
    ///
    /// ## Why is this bad?
    /// Every schema change waits until every TiDB has loaded the new version. An instance that
    /// rebuilds its whole InfoSchema (after a restart, or when it fell too many versions behind
    /// for a diff load: 100 up to v8.1, 10000 from v8.5) takes as long as the schema is large,
    /// and every DDL step in the cluster waits for it meanwhile.
    ///
    /// ## What to do
    /// Find why that instance did a full load (a restart, a long pause, falling behind) and
    /// keep it from falling behind. With a very large schema, infoschema v2
    /// (`tidb_schema_cache_size` > 0, from v8.1; on by default from v8.5) keeps only part of
    /// the schema in memory. Check it with `SELECT @@global.tidb_schema_cache_size`.
    ///
    /// ## Example
    /// The owner's wait for version 5120 of job 3307 takes 47 s; tidb-2 logs `full load
    /// InfoSchema success` from version 4890 to 5120 in 45.8 s just before the wait ends.
    pub struct SlowSchemaLoad {
        code: "DDL025",
        name: "slow-schema-load",
        severity: Warning,
        summary: "Schema changes wait for slow InfoSchema loads on some instance",
        replaces: ["DDL009"],
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let loads: Vec<&Event> = t
        .cluster
        .unattributed
        .iter()
        .chain(t.jobs.iter().flat_map(|j| j.kept_events()))
        .filter(|e| e.kind == EventKind::SchemaFullLoad)
        .collect();
    if loads.is_empty() {
        return Vec::new();
    }
    t.jobs
        .iter()
        .filter_map(|j| slowest(j, &loads).map(|(w, l)| build(j, w, l, ctx.version.as_ref())))
        .collect()
}

/// The job's longest schema wait that a slow full load explains, with that load.
fn slowest<'a>(job: &'a JobTimeline, loads: &[&'a Event]) -> Option<(&'a Event, &'a Event)> {
    job.events_of(EventKind::SchemaVersionSynced)
        .filter_map(|w| {
            let s = w.detail.sync()?;
            let took = s.took?;
            if took < chrono::Duration::seconds(SLOW_WAIT_SECS) {
                return None;
            }
            let ended = w.ts?;
            let began = ended - took;
            let load = loads
                .iter()
                .copied()
                .filter(|l| {
                    let Some(ls) = l.detail.sync() else {
                        return false;
                    };
                    let (Some(lt), Some(at)) = (ls.took, l.ts) else {
                        return false;
                    };
                    let long = lt >= chrono::Duration::seconds(SLOW_LOAD_SECS) && lt * 2 >= took;
                    let inside =
                        at >= began && at <= ended + chrono::Duration::seconds(CLOCK_SLACK_SECS);
                    let version_fits = match (ls.version, s.version) {
                        (Some(loaded), Some(waited)) => loaded >= waited,
                        _ => true,
                    };
                    long && inside && version_fits
                })
                .max_by_key(|l| l.detail.sync().and_then(|s| s.took))?;
            Some((w, load, took))
        })
        .max_by_key(|(_, _, took)| *took)
        .map(|(w, l, _)| (w, l))
}

fn build(job: &JobTimeline, wait: &Event, load: &Event, version: Option<&Version>) -> Finding {
    let ws = wait.detail.sync().cloned().unwrap_or_default();
    let ls = load.detail.sync().cloned().unwrap_or_default();
    let took = ws.took.unwrap_or_else(chrono::Duration::zero);
    let load_took = ls.took.unwrap_or_else(chrono::Duration::zero);
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "Job {} waited {} for a schema version while {} did a full InfoSchema load of {}",
            job.job_id,
            fmt_duration_ms(took),
            load.instance,
            fmt_duration_ms(load_took)
        ),
    );
    let ver = ws
        .version
        .map(|v| format!("schema version {v}"))
        .unwrap_or_else(|| "a schema version".to_string());
    let mut parts = vec![format!(
        "The owner ({}) waited {} for every instance to load {ver} of {} (`{}` at {}).",
        wait.instance,
        fmt_duration_ms(took),
        job_label(job),
        wait.message,
        hms(wait.ts)
    )];
    let range = match (ls.current, ls.version) {
        (Some(0), Some(b)) => format!(" (its first load, up to version {b})"),
        (Some(a), Some(b)) => format!(" (from version {a} to {b})"),
        (None, Some(b)) => format!(" (up to version {b})"),
        _ => String::new(),
    };
    parts.push(format!(
        "Meanwhile {} rebuilt its whole InfoSchema{range}, which took {} (`full load InfoSchema success` at {}).",
        load.instance,
        fmt_duration_ms(load_took),
        hms(load.ts)
    ));
    let gap = match version {
        Some(v) if v >= &Version::parse("v8.5.0").expect("literal") => "10000",
        Some(_) => "100",
        None => "100 up to v8.1, 10000 from v8.5",
    };
    parts.push(format!(
        "The wait ended and the job went on: the change was slow, not stuck. An instance does a full load after a start or when it is more schema versions behind than a diff load covers ({gap})."
    ));
    f.explanation = sentences(&parts);
    let mut sug = vec![format!(
        "Find why {} did a full load (a restart, a long pause, falling behind) and keep it from falling behind.",
        load.instance
    )];
    match version {
        Some(v) if v < &Version::parse("v8.1.0").expect("literal") => {
            sug.push(format!(
                "With a very large schema, infoschema v2 (`tidb_schema_cache_size` > 0) keeps only part of it in memory; {v} does not have it (from v8.1)."
            ));
            sug.push("Next: `ADMIN SHOW DDL JOBS`.".to_string());
        }
        _ => {
            sug.push(
                "With a very large schema, infoschema v2 (`tidb_schema_cache_size` > 0, from v8.1; on by default from v8.5) keeps only part of it in memory."
                    .to_string(),
            );
            sug.push("Next: `SELECT @@global.tidb_schema_cache_size`.".to_string());
        }
    }
    f.suggestion = sentences(&sug);
    let mut ev = EvidenceSet::new();
    ev.add(&wait.evidence);
    ev.add(&load.evidence);
    f.evidence = ev.into_sorted();
    f
}
