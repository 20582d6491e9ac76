//! A hand-built report mirroring the seed case pingcap/tidb#50417, for renderer tests.
//!
//! The evidence lines are the 25 lines of `fixtures/seed-50417/tidb-0.tar.gz!tidb-0/tidb.log`
//! (copied from `shared/seeds/000_311b34d011cfcff6.txt`); each [`Evidence::line`] is the 1-based
//! line number in that file, so the snapshots point at the real fixture.

use std::sync::Arc;

use super::*;
use crate::event::{EventKind, Evidence};
use crate::source::FileKind;

/// The seed log, byte for byte (25 lines, 4,901 bytes).
pub(crate) const SEED_LOG: &str = r#"[2024/01/13 19:21:09.480 +08:00] [INFO] [handle.go:186] ["task not resumable"] [taskKey=ddl/backfill/491]
[2024/01/13 19:21:09.782 +08:00] [ERROR] [handle.go:92] ["task reverted"] [task-id=210029] [error="[tikv:9005]Region is unavailable"]
[2024/01/13 19:21:09.783 +08:00] [WARN] [index.go:2203] ["cannot get task"] [category=ddl] [task_key=ddl/backfill/491] [error="task not found"]
[2024/01/13 19:21:09.784 +08:00] [WARN] [reorg.go:232] ["run reorg job done"] [category=ddl] ["handled rows"=35232986] [error="[tikv:9005]Region is unavailable"]
[2024/01/13 19:21:09.790 +08:00] [WARN] [ddl_worker.go:1118] ["run DDL job error"] [worker="worker 2, tp add index"] [category=ddl] [jobID=491] [conn=710937990] [error="[tikv:9005]Region is unavailable"]
[2024/01/13 19:21:09.797 +08:00] [INFO] [ddl_worker.go:982] ["run DDL job failed, sleeps a while then retries it."] [worker="worker 2, tp add index"] [category=ddl] [jobID=491] [conn=710937990] [waitTime=1s] [error="[tikv:9005]Region is unavailable"]
[2024/01/13 19:21:10.797 +08:00] [INFO] [ddl_worker.go:1367] ["schema version doesn't change"] [category=ddl]
[2024/01/13 19:21:10.807 +08:00] [INFO] [ddl_worker.go:1156] ["run DDL job"] [worker="worker 3, tp add index"] [category=ddl] [jobID=491] [conn=710937990] [category=ddl] [job="ID:491, Type:add index, State:running, SchemaState:write reorganization, SchemaID:104, TableID:245, RowCount:35232986, ArgLen:0, start time: 2024-01-13 19:03:00.09 +0800 CST, Err:[tikv:9005]Region is unavailable, ErrCount:510, SnapshotVersion:446993211166556275, LocalMode: false, UniqueWarnings:0"]
[2024/01/13 19:21:10.808 +08:00] [INFO] [index.go:888] ["index backfill state running"] [category=ddl] ["job ID"=491] [table=sbtest1] ["ingest mode"=true] [index=index_test_1705143780092]
[2024/01/13 19:21:10.813 +08:00] [INFO] [handle.go:186] ["task not resumable"] [taskKey=ddl/backfill/491]
[2024/01/13 19:21:11.115 +08:00] [ERROR] [handle.go:92] ["task reverted"] [task-id=210029] [error="[tikv:9005]Region is unavailable"]
[2024/01/13 19:21:11.116 +08:00] [WARN] [index.go:2203] ["cannot get task"] [category=ddl] [task_key=ddl/backfill/491] [error="task not found"]
[2024/01/13 19:21:11.116 +08:00] [WARN] [reorg.go:232] ["run reorg job done"] [category=ddl] ["handled rows"=35232986] [error="[tikv:9005]Region is unavailable"]
[2024/01/13 19:21:11.122 +08:00] [WARN] [ddl_worker.go:1118] ["run DDL job error"] [worker="worker 3, tp add index"] [category=ddl] [jobID=491] [conn=710937990] [error="[tikv:9005]Region is unavailable"]
[2024/01/13 19:21:11.129 +08:00] [INFO] [ddl_worker.go:1367] ["schema version doesn't change"] [category=ddl]
[2024/01/13 19:21:11.139 +08:00] [INFO] [ddl_worker.go:1156] ["run DDL job"] [worker="worker 2, tp add index"] [category=ddl] [jobID=491] [conn=710937990] [category=ddl] [job="ID:491, Type:add index, State:running, SchemaState:write reorganization, SchemaID:104, TableID:245, RowCount:35232986, ArgLen:0, start time: 2024-01-13 19:03:00.09 +0800 CST, Err:[tikv:9005]Region is unavailable, ErrCount:511, SnapshotVersion:446993211166556275, LocalMode: false, UniqueWarnings:0"]
[2024/01/13 19:21:11.140 +08:00] [INFO] [index.go:888] ["index backfill state running"] [category=ddl] ["job ID"=491] [table=sbtest1] ["ingest mode"=true] [index=index_test_1705143780092]
[2024/01/13 19:21:11.146 +08:00] [INFO] [handle.go:186] ["task not resumable"] [taskKey=ddl/backfill/491]
[2024/01/13 19:21:11.448 +08:00] [ERROR] [handle.go:92] ["task reverted"] [task-id=210029] [error="[tikv:9005]Region is unavailable"]
[2024/01/13 19:21:11.450 +08:00] [WARN] [index.go:2203] ["cannot get task"] [category=ddl] [task_key=ddl/backfill/491] [error="task not found"]
[2024/01/13 19:21:11.450 +08:00] [WARN] [reorg.go:232] ["run reorg job done"] [category=ddl] ["handled rows"=35232986] [error="[tikv:9005]Region is unavailable"]
[2024/01/13 19:21:11.461 +08:00] [WARN] [index.go:1087] ["run add index job failed, convert job to rollback"] [category=ddl] [job="ID:491, Type:add index, State:running, SchemaState:write reorganization, SchemaID:104, TableID:245, RowCount:35232986, ArgLen:6, start time: 2024-01-13 19:03:00.09 +0800 CST, Err:[tikv:9005]Region is unavailable, ErrCount:511, SnapshotVersion:446993211166556275, LocalMode: false, UniqueWarnings:0"] [error="[tikv:9005]Region is unavailable"]
[2024/01/13 19:21:11.501 +08:00] [WARN] [ddl_worker.go:1118] ["run DDL job error"] [worker="worker 2, tp add index"] [category=ddl] [jobID=491] [conn=710937990] [error="[tikv:9005]Region is unavailable"]
[2024/01/13 19:21:11.511 +08:00] [INFO] [domain.go:272] ["diff load InfoSchema success"] [currentSchemaVersion=436] [neededSchemaVersion=437] ["start time"=1.220424ms] [gotSchemaVersion=437] [phyTblIDs="[245]"] [actionTypes="[7]"] [diffTypes="[\"add index\"]"]
[2024/01/13 19:21:11.546 +08:00] [INFO] [domain.go:873] ["mdl gets lock, update to owner"] [jobID=491] [version=437]
"#;

pub(crate) const SEED_FILE: &str = "tidb-0.tar.gz!tidb-0/tidb.log";

/// Evidence for line `n` (1-based) of the seed log.
pub(crate) fn ev(n: u64) -> Evidence {
    let text = SEED_LOG
        .lines()
        .nth(n as usize - 1)
        .expect("seed line")
        .to_string();
    let ts = crate::record::time::parse_unified(&text[1..31]);
    Evidence {
        file: Arc::from(SEED_FILE),
        line: n,
        ts,
        text,
    }
}

fn ts(n: u64) -> Option<String> {
    ev(n).ts.map(|t| crate::model::rfc3339(&t))
}

fn event(n: u64, kind: EventKind, summary: &str) -> EventReport {
    EventReport {
        kind,
        ts: ts(n),
        instance: "tidb-0".into(),
        summary: summary.into(),
        repeat: 1,
        evidence: ev(n),
    }
}

const REGION_ERR: &str = "[tikv:9005]Region is unavailable";

/// The #50417 report: job 491 `add index` on `sbtest1`, rolling back after ErrCount 511 of
/// `[tikv:9005]Region is unavailable`, DXF task 210029 reverted; DDL001, DDL002 (error) and
/// DDL003 (warning).
pub(crate) fn sample_report() -> Report {
    let events = {
        use EventKind::*;
        vec![
            event(1, TaskNotResumable, "task ddl/backfill/491 not resumable"),
            event(
                2,
                TaskReverted,
                "task 210029 reverted: [tikv:9005]Region is unavailable",
            ),
            event(
                3,
                CannotGetTask,
                "cannot get task ddl/backfill/491: task not found",
            ),
            event(
                4,
                ReorgProgress,
                "reorg done, 35232986 rows handled: [tikv:9005]Region is unavailable",
            ),
            event(
                5,
                JobError,
                "run DDL job error: [tikv:9005]Region is unavailable",
            ),
            event(
                6,
                JobRetrySleep,
                "retry in 1s: [tikv:9005]Region is unavailable",
            ),
            event(8, JobRun, "running / write reorganization, ErrCount 510"),
            event(
                9,
                BackfillStarted,
                "index backfill running (ingest) on sbtest1",
            ),
            event(10, TaskNotResumable, "task ddl/backfill/491 not resumable"),
            event(
                11,
                TaskReverted,
                "task 210029 reverted: [tikv:9005]Region is unavailable",
            ),
            event(
                12,
                CannotGetTask,
                "cannot get task ddl/backfill/491: task not found",
            ),
            event(
                13,
                ReorgProgress,
                "reorg done, 35232986 rows handled: [tikv:9005]Region is unavailable",
            ),
            event(
                14,
                JobError,
                "run DDL job error: [tikv:9005]Region is unavailable",
            ),
            event(16, JobRun, "running / write reorganization, ErrCount 511"),
            event(
                17,
                BackfillStarted,
                "index backfill running (ingest) on sbtest1",
            ),
            event(18, TaskNotResumable, "task ddl/backfill/491 not resumable"),
            event(
                19,
                TaskReverted,
                "task 210029 reverted: [tikv:9005]Region is unavailable",
            ),
            event(
                20,
                CannotGetTask,
                "cannot get task ddl/backfill/491: task not found",
            ),
            event(
                21,
                ReorgProgress,
                "reorg done, 35232986 rows handled: [tikv:9005]Region is unavailable",
            ),
            event(
                22,
                ConvertToRollback,
                "convert job to rollback, ErrCount 511: [tikv:9005]Region is unavailable",
            ),
            event(
                23,
                JobError,
                "run DDL job error: [tikv:9005]Region is unavailable",
            ),
            event(25, MdlLock, "mdl lock, schema version 437"),
        ]
    };
    let job = JobReport {
        job_id: 491,
        job_type: Some("add index".into()),
        table: Some("sbtest1".into()),
        query: None,
        outcome: "rollingback".into(),
        first_seen: ts(1),
        last_seen: ts(25),
        max_err_count: 511,
        errors: vec![
            super::JobError {
                text: REGION_ERR.into(),
                code: Some("tikv:9005".into()),
                class: "transient".into(),
                count: 11,
                first: ts(2),
                last: ts(23),
            },
            super::JobError {
                text: "task not found".into(),
                code: None,
                class: "unknown".into(),
                count: 3,
                first: ts(3),
                last: ts(20),
            },
        ],
        dist_task: Some(DistTaskReport {
            task_id: Some(210029),
            task_key: Some("ddl/backfill/491".into()),
            reverted: 3,
            not_resumable: 3,
        }),
        instances: vec!["tidb-0".into()],
        store: None,
        backfill_mode: Some("ingest".into()),
        rows: Some(35232986),
        events,
    };
    let findings = vec![
        Finding {
            rule: "DDL001".into(),
            name: "transient-error-rollback".into(),
            severity: Severity::Error,
            job_id: Some(491),
            title: "add index on sbtest1 was converted to rollback by a transient error".into(),
            explanation: "Job 491 failed 11 times in the logs with [tikv:9005]Region is unavailable, a transient \
                          error that a retry can get past once the region is served again. At 19:21:11.461 \
                          TiDB converted the job to rollback (ErrCount 511) instead of waiting out the fault."
                .into(),
            suggestion: "Check TiKV and PD logs around 19:21 for the fault (network partition, store down). Once \
                         the cluster is healthy, run the ALTER TABLE again; upgrade past the fix for \
                         pingcap/tidb#50417."
                .into(),
            known_issues: vec!["pingcap/tidb#50417".into()],
            evidence: vec![ev(5), ev(16), ev(22)],
            fault_overlap: None,
        },
        Finding {
            rule: "DDL002".into(),
            name: "dist-task-reverted-on-transient-error".into(),
            severity: Severity::Error,
            job_id: Some(491),
            title: "DXF task 210029 (ddl/backfill/491) was reverted on a transient error".into(),
            explanation: "The distributed backfill task was marked not resumable and reverted 3 times, each \
                          time with [tikv:9005]Region is unavailable, which is retryable."
                .into(),
            suggestion: "Look at the DXF scheduler on the DDL owner and the TiKV store that held the region; \
                         see pingcap/tidb#50417."
                .into(),
            known_issues: vec!["pingcap/tidb#50417".into()],
            evidence: vec![ev(1), ev(2), ev(19)],
            fault_overlap: None,
        },
        Finding {
            rule: "DDL003".into(),
            name: "error-count-limit-exhausted".into(),
            severity: Severity::Warning,
            job_id: Some(491),
            title: "ErrCount reached 511 of the 512 limit before the rollback".into(),
            explanation: "The retry budget (tidb_ddl_error_count_limit = 512) ran out during the fault: \
                          ErrCount was 510 at 19:21:10.807 and 511 at 19:21:11.139."
                .into(),
            suggestion: "During planned maintenance or known network trouble, raise \
                         tidb_ddl_error_count_limit or pause the DDL job (ADMIN PAUSE DDL JOBS 491)."
                .into(),
            known_issues: vec![],
            evidence: vec![ev(8), ev(16), ev(22)],
            fault_overlap: None,
        },
    ];
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "ddldiag".into(),
            version: "0.1.0".into(),
        },
        inputs: vec![InputReport {
            path: "fixtures/seed-50417/tidb-0.tar.gz".into(),
            complete: true,
            error: None,
            files: vec![FileReport {
                name: SEED_FILE.into(),
                instance: "tidb-0".into(),
                kind: FileKind::TidbLog,
                bytes: SEED_LOG.len() as u64,
                lines: 25,
                records: 25,
                continuations: 0,
                unparsed: 0,
                truncated_lines: 0,
                first_ts: ts(1),
                last_ts: ts(25),
                complete: true,
            }],
            skipped: vec![],
        }],
        jobs: vec![job],
        findings,
        fault_windows: vec![],
        summary: Summary {
            jobs: 1,
            findings: SeverityCounts {
                error: 2,
                warning: 1,
                info: 0,
            },
            exit_code: 1,
            complete: true,
            tidb_version: Some("v7.6.0".into()),
        },
    }
}

/// The sample with its input cut short, as a truncated gzip would leave it.
pub(crate) fn damaged_report() -> Report {
    let mut r = sample_report();
    let input = &mut r.inputs[0];
    input.complete = false;
    input.error =
        Some("gzip stream truncated at compressed byte 1024 inside tidb-0/tidb.log".into());
    let f = &mut input.files[0];
    f.complete = false;
    r.summary.complete = false;
    r.summary.exit_code = 3;
    r
}

#[test]
fn seed_log_matches_fixture() {
    assert_eq!(SEED_LOG.lines().count(), 25);
    assert_eq!(SEED_LOG.len(), 4901);
    assert!(ev(22).text.contains("convert job to rollback"));
    assert_eq!(ts(25).as_deref(), Some("2024-01-13T19:21:11.546+08:00"));
}

/// The embedded copy is the fixture's `tidb-0/tidb.log`, so the line numbers in every snapshot
/// point at real lines.
#[test]
fn seed_log_is_the_fixture_member() {
    use std::io::Read;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/seed-50417/tidb-0.tar.gz"
    );
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
    let mut ar = tar::Archive::new(gz);
    let mut found = false;
    for entry in ar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().to_string_lossy() == "tidb-0/tidb.log" {
            let mut s = String::new();
            entry.read_to_string(&mut s).unwrap();
            assert_eq!(s, SEED_LOG);
            found = true;
        }
    }
    assert!(found, "tidb-0/tidb.log in the fixture");
}
