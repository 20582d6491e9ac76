//! Timelines across instances and at scale (issue #3).

use std::io::Write;
use std::path::PathBuf;

use ddldiag::analyze::{self, Options};
use ddldiag::event::EventKind;
use ddldiag::source::Input;
use ddldiag::timeline::JobTimeline;

fn run(path: PathBuf) -> analyze::Analysis {
    analyze::run(&[Input::Path(path)], &Options::default()).expect("no worker panicked")
}

/// `fixtures/owner-move`: job 612 starts on tidb-0, whose owner resigns at 10:02:00.050; tidb-1
/// becomes owner, re-attaches to the DXF task once and finishes the job at 10:03:10.500.
#[test]
fn owner_move_gives_one_merged_timeline() {
    let a = run(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/owner-move"));
    assert!(a.complete());
    assert_eq!(a.timelines.jobs.len(), 1);
    let j = &a.timelines.jobs[0];
    assert_eq!(j.job_id, 612);
    assert_eq!(j.outcome, "synced");
    assert_eq!(
        j.instances.iter().map(|i| &**i).collect::<Vec<_>>(),
        ["tidb-0", "tidb-1"]
    );
    assert_eq!(j.table.as_deref(), Some("orders"));
    assert_eq!(
        j.query.as_deref(),
        Some("alter table orders add index idx_c (c)")
    );
    // Events from both files interleave by time: tidb-0 lines 1-6, then tidb-1 lines 3-6.
    let order: Vec<(&str, u64)> = j
        .events
        .iter()
        .map(|e| (&*e.instance, e.evidence.line))
        .collect();
    assert_eq!(
        order,
        vec![
            ("tidb-0", 1),
            ("tidb-0", 2),
            ("tidb-0", 3),
            ("tidb-0", 4),
            ("tidb-0", 5),
            ("tidb-0", 6),
            ("tidb-1", 3),
            ("tidb-1", 4),
            ("tidb-1", 5),
            ("tidb-1", 6)
        ]
    );
    // `run reorg job done` names no job in v7.6; it is the reorg job the instance was running.
    assert_eq!(j.rows.as_ref().map(|r| r.0), Some(2_500_000));
    assert_eq!(j.count(EventKind::TaskNotResumable), 1);
    assert_eq!(a.timelines.cluster.tidb_version(), Some("v7.6.0"));
    // The resign on tidb-0, the election on tidb-1, and tidb-0's `got signal to exit`.
    assert_eq!(a.timelines.cluster.owner_events.len(), 3);
}

/// Writes one add-index job that fails and retries `retries` times, then rolls back.
fn retry_log(retries: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut f =
        std::io::BufWriter::new(std::fs::File::create(dir.path().join("tidb.log")).unwrap());
    let job = |n: u64, state: &str| {
        format!("ID:700, Type:add index, State:{state}, SchemaState:write reorganization, SchemaID:2, TableID:90, RowCount:5, ArgLen:0, start time: 2024-05-01 00:00:00 +0000 UTC, Err:[tikv:9001]PD server timeout: , ErrCount:{n}, SnapshotVersion:1, UniqueWarnings:0")
    };
    let ts = |i: u64| {
        let (h, m, s, ms) = (i / 360_000 % 24, i / 6000 % 60, i / 100 % 60, i % 100 * 10);
        format!("2024/05/01 {h:02}:{m:02}:{s:02}.{ms:03} +00:00")
    };
    for i in 0..retries {
        let t = ts(i);
        writeln!(f, "[{t}] [INFO] [ddl_worker.go:1156] [\"run DDL job\"] [worker=\"worker 2, tp add index\"] [category=ddl] [jobID=700] [job=\"{}\"]", job(i, "running")).unwrap();
        writeln!(f, "[{t}] [WARN] [ddl_worker.go:1118] [\"run DDL job error\"] [worker=\"worker 2, tp add index\"] [category=ddl] [jobID=700] [error=\"[tikv:9001]PD server timeout: \"]").unwrap();
        writeln!(f, "[{t}] [INFO] [ddl_worker.go:982] [\"run DDL job failed, sleeps a while then retries it.\"] [worker=\"worker 2, tp add index\"] [category=ddl] [jobID=700] [waitTime=1s] [error=\"[tikv:9001]PD server timeout: \"]").unwrap();
    }
    writeln!(f, "[{}] [WARN] [index.go:1087] [\"run add index job failed, convert job to rollback\"] [category=ddl] [job=\"{}\"] [error=\"[tikv:9001]PD server timeout: \"]", ts(retries), job(retries, "running")).unwrap();
    drop(f);
    dir
}

fn footprint(j: &JobTimeline) -> (usize, usize, usize, usize) {
    (
        j.events.len(),
        j.err_counts.len(),
        j.errors.len(),
        j.states.len(),
    )
}

/// Memory follows the number of jobs, not the number of lines: a job retried 10,000 times keeps
/// exactly what a job retried 100 times keeps.
#[test]
fn retry_storm_timeline_is_bounded() {
    let small = run(retry_log(100).path().to_path_buf());
    let big = run(retry_log(10_000).path().to_path_buf());
    let (s, b) = (&small.timelines.jobs[0], &big.timelines.jobs[0]);
    assert_eq!(footprint(s), footprint(b));
    assert!(
        b.events.len() <= 3 * 2 * ddldiag::timeline::KEEP_PER_KIND + 4,
        "{}",
        b.events.len()
    );
    // ... while the counts still say what happened.
    assert_eq!(b.count(EventKind::JobError), 10_000);
    assert_eq!(b.count(EventKind::JobRetrySleep), 10_000);
    assert_eq!(b.max_err_count, 10_000);
    assert_eq!(b.errors[0].count, 10_001);
    assert_eq!(b.outcome, "rollingback");
    assert_eq!(b.err_counts.first().unwrap().err_count, 0);
    assert_eq!(b.err_counts.last().unwrap().err_count, 10_000);
}
