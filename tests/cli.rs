//! The binary as CI runs it: exit codes (DESIGN.md §3) and output formats.

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
}

fn ddldiag() -> Command {
    let mut c = Command::cargo_bin("ddldiag").unwrap();
    c.env_remove("NO_COLOR");
    c
}

#[test]
fn seed_has_error_findings_exit_1() {
    ddldiag()
        .args(["analyze", "--color", "never"])
        .arg(fixture("seed-50417/tidb-0.tar.gz"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("DDL001"))
        .stdout(predicate::str::contains("491"));
}

#[test]
fn fail_on_never_exits_0() {
    ddldiag()
        .args(["analyze", "--fail-on", "never", "--format", "json"])
        .arg(fixture("seed-50417/tidb-0.tar.gz"))
        .assert()
        .code(0);
}

#[test]
fn clean_log_exits_0() {
    ddldiag()
        .args(["analyze", "--format", "json"])
        .arg(fixture("clean-v6.1.0/tidb.log"))
        .assert()
        .code(0);
}

/// A mistake in the command is not damage: one line on stderr naming the path, exit 2, and
/// no report (DESIGN.md §3).
#[test]
fn missing_input_exits_2() {
    let missing = fixture("does-not-exist.tar.gz");
    let out = ddldiag()
        .args(["analyze"])
        .arg(&missing)
        .arg(fixture("seed-50417/tidb-0.tar.gz"))
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty(), "a report was printed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err,
        format!(
            "ddldiag: {}: no such file or directory\n",
            missing.display()
        )
    );
}

#[test]
fn directory_without_log_files_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tidb.toml"), "[log]\nlevel = \"info\"\n").unwrap();
    std::fs::write(dir.path().join("tidb_stderr.log"), "panic: boom\n").unwrap();
    for cmd in ["analyze", "jobs"] {
        let out = ddldiag()
            .arg(cmd)
            .arg(dir.path())
            .assert()
            .code(2)
            .get_output()
            .clone();
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&dir.path().display().to_string())
                && err.contains(
                    "no TiDB/TiKV/PD log file in this directory (found 1 stderr log, 1 other file)"
                ),
            "{err}"
        );
    }
}

/// Bytes without a single log record are named as such, with their first line (terminal
/// escapes defused), and never called damage; the report is incomplete (exit 3).
#[test]
fn bytes_without_a_record_are_unrecognised_not_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("paste.txt");
    std::fs::write(&junk, "\x1b[2Jhello\tworld\nsecond line\n").unwrap();
    let out = ddldiag()
        .args(["analyze", "--color", "never"])
        .arg(&junk)
        .assert()
        .code(3)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    let want = format!(
        "no TiDB/TiKV/PD log record recognised in {} (first line: \"\\u{{1b}}[2Jhello\\tworld\"; 2 lines, read to byte 28)",
        junk.display()
    );
    assert!(err.contains(&want), "{err}\nwant: {want}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("INCOMPLETE: some input holds no log record ddldiag recognises"),
        "{table}"
    );
    assert!(
        !table.contains("damaged") && !table.contains('\x1b'),
        "{table}"
    );
}

/// A stderr log next to a good log is what it is: it explains its own lack of records.
#[test]
fn a_stderr_log_beside_a_log_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("clean-v6.1.0/tidb.log"),
        dir.path().join("tidb.log"),
    )
    .unwrap();
    std::fs::write(dir.path().join("tidb_stderr.log"), "panic: boom\n").unwrap();
    ddldiag()
        .args(["analyze", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"complete\": true"));
}

#[test]
fn usage_error_exits_2() {
    ddldiag()
        .args(["analyze", "--no-such-flag"])
        .assert()
        .code(2);
    ddldiag().args(["analyze"]).assert().code(2);
}

#[test]
fn truncated_bundle_exits_3_and_says_where() {
    let bytes = std::fs::read(fixture("seed-50417/tidb-0.tar.gz")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("tidb-0.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let out = ddldiag()
        .args(["analyze", "--format", "json"])
        .arg(&cut)
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["inputs"][0]["complete"], false);
    let err = report["inputs"][0]["error"].as_str().unwrap();
    assert!(err.contains("tidb-0/tidb.log"), "{err}");
    assert_eq!(report["summary"]["complete"], false);
}

#[test]
fn seed_json_names_the_job_and_evidence() {
    let out = ddldiag()
        .args(["analyze", "--format", "json"])
        .arg(fixture("seed-50417/tidb-0.tar.gz"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let r: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(r["schema_version"], 1);
    let files = r["inputs"][0]["files"].as_array().unwrap();
    assert_eq!(files[0]["lines"], 25);
    assert_eq!(files[0]["records"], 25);
    assert_eq!(files[0]["unparsed"], 0);
    assert_eq!(r["jobs"][0]["job_id"], 491);
    assert_eq!(r["jobs"][0]["outcome"], "rollingback");
    assert_eq!(r["jobs"][0]["max_err_count"], 511);
    assert_eq!(r["jobs"][0]["dist_task"]["task_id"], 210029);
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for want in ["DDL001", "DDL002", "DDL003"] {
        assert!(rules.contains(&want), "{want} missing from {rules:?}");
    }
    for f in r["findings"].as_array().unwrap() {
        let ev = f["evidence"].as_array().unwrap();
        assert!(!ev.is_empty(), "finding without evidence: {f}");
        for e in ev {
            assert!(e["file"]
                .as_str()
                .unwrap()
                .ends_with("tidb-0.tar.gz!tidb-0/tidb.log"));
            assert!(e["line"].as_u64().unwrap() >= 1 && e["line"].as_u64().unwrap() <= 25);
        }
    }
}

#[test]
fn stdin_is_sniffed() {
    let bytes = std::fs::read(fixture("seed-50417/tidb-0.tar.gz")).unwrap();
    ddldiag()
        .args(["jobs", "--format", "json", "-"])
        .write_stdin(bytes)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("491"));
}

#[test]
fn timeline_of_seed_job() {
    ddldiag()
        .args(["timeline", "--job", "491", "--color", "never"])
        .arg(fixture("seed-50417/tidb-0.tar.gz"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("convert"));
    // A job that is not in the logs judged nothing: exit 2 naming the jobs that are.
    ddldiag()
        .args(["timeline", "--job", "7"])
        .arg(fixture("seed-50417/tidb-0.tar.gz"))
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "ddldiag: job 7 is not in the logs; they hold 1 job: 491 (`ddldiag jobs` lists them)\n",
        );
}

#[test]
fn rules_and_explain() {
    ddldiag()
        .arg("rules")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("DDL008"));
    ddldiag()
        .args(["explain", "DDL001"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("transient-error-rollback"));
    ddldiag()
        .args(["explain", "transient-error-rollback"])
        .assert()
        .code(0);
    ddldiag().args(["explain", "DDL999"]).assert().code(2);
}

#[test]
fn schema_is_json() {
    let out = ddldiag()
        .arg("schema")
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(
        v.get("properties").is_some() || v.get("$defs").is_some() || v.get("definitions").is_some()
    );
}

/// A panic in a worker is a bug: the run ends with an internal error and exit 101, and writes
/// no report — never a report silently missing the file that worker was scanning.
/// (`DDLDIAG_DEBUG_PANIC_ON` exists only in debug builds, which is what `cargo test` runs.)
#[test]
fn a_worker_panic_is_an_internal_error_not_a_partial_report() {
    let out = ddldiag()
        .env("DDLDIAG_DEBUG_PANIC_ON", "tidb.log")
        .args(["analyze", "--format", "json"])
        .arg(fixture("seed-50417/tidb-0.tar.gz"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(101));
    assert!(out.stdout.is_empty(), "no report may be written");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ddldiag: internal error") && err.contains("tidb-0/tidb.log"),
        "{err}"
    );
    // Two threads, several members: the other worker's data must not come out alone either.
    let out = ddldiag()
        .env("DDLDIAG_DEBUG_PANIC_ON", "owner-move/tidb-1.log")
        .args(["analyze", "--threads", "2", "--format", "json"])
        .arg(fixture("owner-move"))
        .arg(fixture("seed-50417/tidb-0.tar.gz"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(101));
    assert!(out.stdout.is_empty());
}
