//! The diagnosis defects of the first version, each on the fixture that showed it, through the
//! real binary. Each assertion failed on the version before the fix.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn run(rel: &str) -> Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    common::analyze_in(&root, &[Path::new(rel)], &[]).report
}

fn findings<'a>(r: &'a Value, rule: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

fn text(f: &Value) -> String {
    format!("{} {} {}", f["title"], f["explanation"], f["suggestion"])
}

/// The seed keeps DDL002 + DDL001 + DDL003 with evidence, now with advice that fits the #50417
/// loop: upgrade past the fix, re-run; no budget increase.
#[test]
fn seed_advice_fits_the_re_attach_loop() {
    let r = run("fixtures/seed-50417/tidb-0.tar.gz");
    let mut codes: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    codes.sort();
    assert_eq!(codes, ["DDL001", "DDL002", "DDL003"]);
    for f in r["findings"].as_array().unwrap() {
        assert!(!f["evidence"].as_array().unwrap().is_empty());
        let s = f["suggestion"].as_str().unwrap();
        assert!(!s.contains("SET GLOBAL tidb_ddl_error_count_limit"), "{s}");
    }
    let ddl001 = findings(&r, "DDL001")[0];
    let s = ddl001["suggestion"].as_str().unwrap();
    assert!(
        s.contains("upgrade to a release with the fix (v7.6.0 or later)"),
        "{s}"
    );
    assert!(s.contains("would only prolong the loop"), "{s}");
    assert!(s.contains("Re-run the DDL"), "{s}");
    assert!(s.contains("mysql.tidb_global_task_history WHERE task_key = 'ddl/backfill/491'"));
    let e = ddl001["explanation"].as_str().unwrap();
    assert!(e.contains("no retry could succeed"), "{e}");
}

/// The DDL layer's sleep-and-retry line is ground truth: a v8.1 plain `context deadline exceeded`
/// retried on every attempt is never said to be "not retried".
#[test]
fn a_retried_plain_deadline_is_said_to_be_retried() {
    let r = run("fixtures/rules/DDL001/deadline-retried-v8.1.log");
    let f = findings(&r, "DDL001")[0];
    let t = text(f);
    assert!(
        !t.contains("not retry") && !t.contains("did not retry"),
        "{t}"
    );
    assert!(
        t.contains("retried it (3 `sleeps a while then retries it.` lines)"),
        "{t}"
    );
    // The retry list fix (#56550) is not this job's story: its error was retried already.
    assert!(f["known_issues"].as_array().unwrap().is_empty());
}

/// MODIFY COLUMN retries only transaction conflicts (docs/retry-semantics.md): a region error
/// ends it at once, and it is never said to retry it.
#[test]
fn modify_column_is_not_said_to_retry() {
    let r = run("fixtures/rules/DDL001/modify-column-region-unavailable.log");
    let t = text(findings(&r, "DDL001")[0]);
    assert!(
        t.contains("MODIFY COLUMN's reorg retries only transaction conflicts"),
        "{t}"
    );
    assert!(!t.contains("retries this error"), "{t}");
    assert!(!t.contains("SET GLOBAL"), "{t}");
}

/// `[tikv:9006]` on one snapshot is DDL023, not a transient-error rollback, and gets no TiKV or
/// budget advice.
#[test]
fn gc_too_early_is_not_transient() {
    let r = run("fixtures/rules/DDL023/gc-snapshot-expired.log");
    assert!(findings(&r, "DDL001").is_empty());
    let t = text(findings(&r, "DDL023")[0]);
    assert!(t.contains("tidb_gc_life_time"), "{t}");
    assert!(!t.contains("TiKV and PD") && !t.contains("SET GLOBAL tidb_ddl_error_count_limit"));
}

/// An instance's first `Welcome to TiDB` opens no fault window and is no restart; one
/// hand-over (resign + the new owner's election) is one change.
#[test]
fn a_first_start_is_no_fault_and_a_hand_over_is_one_change() {
    let r = run("fixtures/owner-move");
    assert_eq!(r["fault_windows"].as_array().unwrap().len(), 0);
    let f = findings(&r, "DDL005")[0];
    assert_eq!(f["title"], "Job 612 ran through 1 owner change");
    let e = f["explanation"].as_str().unwrap();
    assert!(
        e.contains("tidb-0 resigned the DDL owner and tidb-1 took over"),
        "{e}"
    );
    assert!(!e.contains("restart"), "{e}");
}

/// A user's ADMIN CANCEL during the reorg goes through `convert job to rollback` too: it is a
/// user cancel (DDL006), not TiDB giving up on the earlier 9005 (DDL001).
#[test]
fn a_user_cancel_after_errors_is_a_user_cancel() {
    let r = run("fixtures/rules/DDL006/user-cancel-after-9005.log");
    assert!(findings(&r, "DDL001").is_empty());
    let t = text(findings(&r, "DDL006")[0]);
    assert!(t.contains("the cancel came from outside"), "{t}");
}

/// One failure, one finding: the IMPORT INTO task's S3 give-up is one finding naming the task.
#[test]
fn one_task_failure_is_one_finding_naming_the_task() {
    let r = run("fixtures/rules/DDL018/unattributed-s3-timeout.log");
    assert!(findings(&r, "DDL002").is_empty());
    let f = findings(&r, "DDL018");
    assert_eq!(f.len(), 1, "{f:?}");
    let t = text(f[0]);
    assert!(t.contains("IMPORT INTO task ImportInto/150005"), "{t}");
    assert!(!t.contains("TiKV"), "{t}");
    let r = run("fixtures/rules/DDL006/unattributed-backfill-duplicate.log");
    assert_eq!(findings(&r, "DDL006").len(), 1);
}

/// A precondition error of a plain DDL is no warning, and `Release Version=None` names no
/// version: `--fail-on warning` stays green.
#[test]
fn precondition_errors_do_not_fail_a_warning_gate() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let run = common::analyze_in(
        &root,
        &[Path::new(
            "fixtures/rules/DDL008/no-schema-precondition.log",
        )],
        &["--fail-on", "warning"],
    );
    assert_eq!(run.code, 0, "{:?}", run.report["findings"]);
    assert!(run.report["summary"]["tidb_version"].is_null());
}

/// An id-less progress line belongs to the job in reorg, never to a queued one; the queued
/// job is told as queued behind the reorg (DDL024, not a stall) and is not cancelled.
#[test]
fn id_less_progress_is_the_reorg_jobs_and_a_queued_job_is_not_cancelled() {
    let r = run("fixtures/rules/DDL024/queued-behind-reorg.log");
    let jobs = r["jobs"].as_array().unwrap();
    let rows = |id: i64| {
        jobs.iter()
            .find(|j| j["job_id"] == id)
            .map(|j| j["rows"].clone())
            .unwrap()
    };
    assert_eq!(rows(6101), 21_600_000);
    assert!(rows(6102).is_null() || rows(6102) == 0);
    assert!(findings(&r, "DDL004").is_empty());
    let f = findings(&r, "DDL024");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["job_id"], 6102);
    let s = f[0]["suggestion"].as_str().unwrap();
    assert!(!s.contains("ADMIN CANCEL DDL JOBS 6102"), "{s}");
    assert!(s.contains("job 6102 starts when job 6101 finishes"), "{s}");
}

/// DDL004 fails the default gate, and its explain names the real option.
#[test]
fn ddl004_is_an_error_and_explains_stall_minutes() {
    let out = assert_cmd::Command::cargo_bin("ddldiag")
        .unwrap()
        .args(["explain", "DDL004"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("default severity: error"), "{text}");
    assert!(text.contains("--stall-minutes") && !text.contains("--stall-after"));
}
