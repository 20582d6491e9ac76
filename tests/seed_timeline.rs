//! The founding case, pingcap/tidb#50417, read through the library: every fact below was
//! checked by hand against `fixtures/seed-50417/tidb-0.tar.gz!tidb-0/tidb.log` (25 lines).

use std::path::PathBuf;

use ddldiag::analyze::{self, Options};
use ddldiag::event::EventKind;
use ddldiag::model::rfc3339;
use ddldiag::source::Input;

fn seed() -> analyze::Analysis {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed-50417/tidb-0.tar.gz");
    analyze::run(&[Input::Path(path)], &Options::default()).expect("no worker panicked")
}

#[test]
fn every_seed_line_is_a_record() {
    let a = seed();
    assert!(a.complete());
    assert_eq!(a.files.len(), 1);
    let f = &a.files[0];
    assert!(
        f.meta.name.ends_with("tidb-0.tar.gz!tidb-0/tidb.log"),
        "{}",
        f.meta.name
    );
    assert_eq!(f.meta.instance, "tidb-0");
    assert_eq!(
        (
            f.stats.lines,
            f.stats.records,
            f.stats.unparsed,
            f.stats.continuations
        ),
        (25, 25, 0, 0)
    );
    assert_eq!(
        rfc3339(&f.stats.first_ts.unwrap()),
        "2024-01-13T19:21:09.480+08:00"
    );
    assert_eq!(
        rfc3339(&f.stats.last_ts.unwrap()),
        "2024-01-13T19:21:11.546+08:00"
    );
}

#[test]
fn seed_job_491_story() {
    let a = seed();
    let jobs = &a.timelines.jobs;
    assert_eq!(
        jobs.len(),
        1,
        "{:?}",
        jobs.iter().map(|j| j.job_id).collect::<Vec<_>>()
    );
    let j = &jobs[0];
    assert_eq!(j.job_id, 491);
    assert_eq!(j.job_type.as_deref(), Some("add index"));
    // Line 22 converts the job to rollback; no later line finishes it.
    assert_eq!(j.outcome, "rollingback");
    assert_eq!(j.table.as_deref(), Some("sbtest1"));
    assert_eq!(j.index.as_deref(), Some("index_test_1705143780092"));
    assert_eq!(
        j.instances.iter().map(|i| &**i).collect::<Vec<_>>(),
        ["tidb-0"]
    );
    // ErrCount 510 on line 8, 511 on line 16 (and again on the conversion line 22).
    assert_eq!(j.max_err_count, 511);
    let points: Vec<(u64, u64)> = j
        .err_counts
        .iter()
        .map(|p| (p.err_count, p.evidence.line))
        .collect();
    assert_eq!(points, vec![(510, 8), (511, 16)]);
    // The job's own error lines: `run DDL job error` (5, 14, 23) and the conversion (22).
    assert_eq!(j.errors.len(), 1);
    assert_eq!(j.errors[0].text, "[tikv:9005]Region is unavailable");
    assert_eq!(j.errors[0].count, 4);
    assert_eq!((j.errors[0].first.line, j.errors[0].last.line), (5, 23));
    // The DXF task: key from `task not resumable` (1, 10, 18), id from `task reverted` (2, 11, 19).
    let t = j.dist_task.as_ref().expect("dist task");
    assert_eq!(t.task_key.as_deref(), Some("ddl/backfill/491"));
    assert_eq!(t.task_id, Some(210029));
    assert_eq!((t.reverted, t.not_resumable), (3, 3));
    assert_eq!(t.errors[0].text, "[tikv:9005]Region is unavailable");
    assert_eq!(j.count(EventKind::CannotGetTask), 3);
    assert_eq!(j.backfill_mode.as_deref(), Some("dxf"));
    // The rollback point.
    let r = j.rollback.as_ref().expect("rollback point");
    assert_eq!(r.evidence.line, 22);
    assert_eq!(
        rfc3339(&r.evidence.ts.unwrap()),
        "2024-01-13T19:21:11.461+08:00"
    );
    assert_eq!(r.err_count, Some(511));
    assert_eq!(r.error.as_deref(), Some("[tikv:9005]Region is unavailable"));
    assert_eq!(
        r.message,
        "run add index job failed, convert job to rollback"
    );
    // States: running/write reorganization, then rolling back from line 22.
    let states: Vec<(&str, u64)> = j
        .states
        .iter()
        .map(|s| (s.state.as_str(), s.evidence.line))
        .collect();
    assert_eq!(states, vec![("running", 8), ("rollingback", 22)]);
}
