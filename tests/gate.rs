//! Nothing judged is not clean (DESIGN.md §3, docs/contract.md): inputs without a TiDB log, a
//! `--job` not in the logs and a window holding no line exit 2 with one line saying what was
//! found instead, and no report; every run ends with a one-line summary on stderr.

use std::path::PathBuf;

use assert_cmd::Command;

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

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], inputs: &[PathBuf]) -> Run {
    let out = ddldiag().args(args).args(inputs).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The case the issue found: a bundle of TiKV and PD logs passed as clean.
#[test]
fn no_tidb_log_exits_2_naming_what_was_found() {
    let dir = tempfile::tempdir().unwrap();
    let tikv = std::fs::read(fixture("fault-window/tikv-1/tikv.log")).unwrap();
    for name in ["tikv-0.log", "tikv-1.log", "tikv-2.log"] {
        std::fs::write(dir.path().join(name), &tikv).unwrap();
    }
    std::fs::write(
        dir.path().join("pd.log"),
        "[2024/01/13 19:00:00.000 +08:00] [INFO] [server.go:1] [\"PD started\"]\n",
    )
    .unwrap();
    for cmd in ["analyze", "jobs", "events"] {
        let r = run(&[cmd], &[dir.path().to_path_buf()]);
        assert_eq!(r.code, 2, "{cmd}: {}", r.stderr);
        assert!(
            r.stdout.is_empty(),
            "{cmd}: a report was written: {}",
            r.stdout
        );
        assert_eq!(
            r.stderr,
            "ddldiag: no TiDB log among the inputs (only TiKV logs (3 files) and PD logs \
             (1 file)): DDL jobs are judged from tidb.log, so nothing was judged; add the TiDB \
             instances' logs\n",
            "{cmd}"
        );
    }
    // With -o nothing is written either: a CI step must not upload a clean-looking report.
    let out = dir.path().join("r.json");
    let r = run(
        &["analyze", "-o", out.to_str().unwrap()],
        &[dir.path().join("tikv-0.log")],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!out.exists());
}

/// A TiDB log without a DDL job is judged (nothing happened): still exit 0.
#[test]
fn a_tidb_log_without_jobs_is_judged_clean() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("tidb.log");
    std::fs::write(
        &log,
        "[2024/01/13 19:00:00.000 +08:00] [INFO] [printer.go:1] [\"Welcome to TiDB.\"]\n",
    )
    .unwrap();
    let r = run(&["analyze", "--format", "json"], &[log]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "ddldiag: 0 jobs, 0 findings (0 error, 0 warning, 0 info), exit 0\n"
    );
}

#[test]
fn a_job_not_in_the_logs_exits_2_listing_the_jobs_that_are() {
    let r = run(
        &["analyze", "--job", "999"],
        &[fixture("clean-v6.1.0/tidb.log")],
    );
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    // clean-v6.1.0 holds 12 jobs: the first five ids are named.
    assert!(
        r.stderr
            .starts_with("ddldiag: job 999 is not in the logs; they hold 12 jobs: ")
            && r.stderr.ends_with(", … (`ddldiag jobs` lists them)\n")
            && r.stderr.lines().count() == 1,
        "{}",
        r.stderr
    );
    let ids = r
        .stderr
        .split(": ")
        .nth(2)
        .unwrap()
        .split(" (")
        .next()
        .unwrap();
    assert_eq!(ids.split(", ").count(), 6, "{ids}"); // five ids and the ellipsis
                                                     // The job that is there still runs.
    let r = run(
        &["analyze", "--job", "491", "--format", "json"],
        &[fixture("seed-50417/tidb-0.tar.gz")],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
}

#[test]
fn a_window_holding_no_line_exits_2_with_the_logs_range() {
    let seed = fixture("seed-50417/tidb-0.tar.gz");
    let range = "the logs run from 2024-01-13T19:21:09.480+08:00 to 2024-01-13T19:21:11.546+08:00";
    for (args, asked) in [
        (
            &["--since", "2024-01-14"][..],
            "at or after 2024-01-14T00:00:00.000+08:00",
        ),
        (
            &["--until", "2024-01-13T19:00:00+08:00"][..],
            "at or before 2024-01-13T19:00:00.000+08:00",
        ),
        (
            &["--since", "2024-01-13 10:00", "--until", "2024-01-13 11:00"][..],
            "between 2024-01-13T10:00:00.000+08:00 and 2024-01-13T11:00:00.000+08:00",
        ),
    ] {
        let mut a = vec!["analyze"];
        a.extend_from_slice(args);
        let r = run(&a, std::slice::from_ref(&seed));
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty());
        assert_eq!(r.stderr, format!("ddldiag: no log line {asked}: {range}\n"));
    }
    // A window inside the logs is read as before.
    let r = run(
        &[
            "analyze",
            "--format",
            "json",
            "--since",
            "2024-01-13 19:21:10",
        ],
        &[seed],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
}

/// `--since` after `--until` is a usage error before anything is read: the same form in the
/// wrong order, or (once the logs are read) mixed forms that cross.
#[test]
fn since_after_until_is_a_usage_error() {
    let seed = fixture("seed-50417/tidb-0.tar.gz");
    for args in [
        &[
            "--since",
            "2024-01-13T20:00:00+08:00",
            "--until",
            "2024-01-13T19:00:00+08:00",
        ][..],
        &["--since", "2024-01-13 20:00", "--until", "2024-01-13 19:00"][..],
        &["--since", "-1m", "--until", "-2m"][..],
    ] {
        let mut a = vec!["analyze"];
        a.extend_from_slice(args);
        let r = run(&a, &[PathBuf::from("/no/such/input")]);
        // Refused before the (missing) input is even looked at.
        assert_eq!(r.code, 2, "{args:?}");
        assert_eq!(
            r.stderr,
            "ddldiag: --since is later than --until: the window holds nothing\n"
        );
    }
    let r = run(
        &[
            "analyze",
            "--since",
            "2024-01-13T19:21:11+08:00",
            "--until",
            "-2s",
        ],
        &[seed],
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "ddldiag: --since (2024-01-13T19:21:11.000+08:00) is after --until \
         (2024-01-13T19:21:09.546+08:00): the window is empty\n"
    );
}

/// Damage keeps exit 3 (the report says what was lost, which may be the job sought).
#[test]
fn damage_wins_over_nothing_judged() {
    let r = run(
        &["analyze", "--format", "json", "--job", "999"],
        &[fixture("inputs/truncated.tar.gz")],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stdout.contains("\"complete\": false"));
}

/// After every run, one line on stderr: jobs, findings by severity, exit code, where -o wrote.
#[test]
fn every_run_ends_with_a_summary_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.sarif");
    let seed = fixture("seed-50417/tidb-0.tar.gz");
    let r = run(
        &["analyze", "-o", out.to_str().unwrap()],
        std::slice::from_ref(&seed),
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    assert_eq!(
        r.stderr,
        format!(
            "ddldiag: 1 job, 3 findings (2 error, 1 warning, 0 info), exit 1; wrote {} (sarif)\n",
            out.display()
        )
    );
    let r = run(&["jobs", "--format", "json"], std::slice::from_ref(&seed));
    assert_eq!(r.stderr, "ddldiag: 1 job, exit 0\n");
    let r = run(
        &["timeline", "--job", "491", "--format", "json"],
        std::slice::from_ref(&seed),
    );
    assert!(
        r.stderr.starts_with("ddldiag: job 491, ") && r.stderr.ends_with(" events, exit 0\n"),
        "{}",
        r.stderr
    );
    let r = run(&["events"], std::slice::from_ref(&seed));
    assert_eq!(r.stderr, "ddldiag: 22 events, exit 0\n");
    assert_eq!(r.stdout.lines().count(), 22);
    let r = run(
        &["analyze", "--format", "json"],
        &[fixture("inputs/truncated.tar.gz")],
    );
    assert!(
        r.stderr
            .lines()
            .last()
            .unwrap()
            .ends_with(", INCOMPLETE input, exit 3"),
        "{}",
        r.stderr
    );
    // -q: nothing on stderr.
    let r = run(&["analyze", "-q", "--format", "json"], &[seed]);
    assert_eq!((r.code, r.stderr.as_str()), (1, ""));
}
