//! Habits from other log tools, through the binary: the `--since`/`--until` forms, `--grep`,
//! `--instance` as a filter (`--name-instance` to name), `lnav-format`, per-command formats,
//! the format `-o` implies, and the colour conventions.

use std::path::PathBuf;

use assert_cmd::Command;

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
}

fn ddldiag() -> Command {
    let mut c = Command::cargo_bin("ddldiag").unwrap();
    for v in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM"] {
        c.env_remove(v);
    }
    c
}

fn out(args: &[&str]) -> (i32, String, String) {
    let o = ddldiag().args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn seed() -> String {
    fixture("seed-50417/tidb-0.tar.gz").display().to_string()
}

fn json(args: &[&str]) -> serde_json::Value {
    let (_, stdout, stderr) = out(args);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stderr}"))
}

/// The report without the parts that name the window itself.
fn verdict(v: &serde_json::Value) -> String {
    serde_json::to_string(&(
        &v["jobs"],
        &v["findings"],
        &v["fault_windows"],
        &v["summary"],
    ))
    .unwrap()
}

/// A relative time counts back from the latest record of all inputs, exactly as the instant it
/// stands for: same events, same findings, same fault windows. The seed ends at 19:21:11.546,
/// fault-window's logs (TiDB and TiKV) at 19:21:11.546 (tidb.log's last line, read by hand).
#[test]
fn relative_times_count_back_from_the_logs_end() {
    let s = seed();
    for (rel, abs) in [
        (
            ["--since", "-1s"],
            ["--since", "2024-01-13T19:21:10.546+08:00"],
        ),
        (
            ["--until", "1s"],
            ["--until", "2024-01-13T19:21:10.546+08:00"],
        ),
    ] {
        let (c1, a, _) = out(&[&["events"][..], &rel, &[&s]].concat());
        let (c2, b, _) = out(&[&["events"][..], &abs, &[&s]].concat());
        assert_eq!((c1, c2), (0, 0));
        assert!(!a.is_empty() && a.lines().count() < 22, "{rel:?}: {a}");
        assert_eq!(a, b, "{rel:?} vs {abs:?}");
    }
    let fw = fixture("fault-window").display().to_string();
    let (_, log, _) = out(&["jobs", "--format", "json", &fw]);
    assert!(log.contains("491") || log.contains("job_id"), "{log}");
    let end = json(&["analyze", "--format", "json", &fw])["inputs"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["last_ts"].as_str())
        .max()
        .unwrap()
        .to_string();
    let end = chrono::DateTime::parse_from_rfc3339(&end).unwrap();
    let at = |d: i64| (end - chrono::Duration::minutes(d)).to_rfc3339();
    for (rel, abs) in [
        (vec!["--since", "-20m"], vec!["--since".to_string(), at(20)]),
        (vec!["--until", "-15m"], vec!["--until".to_string(), at(15)]),
        (
            vec!["--since", "30m", "--until", "10m"],
            vec!["--since".to_string(), at(30), "--until".to_string(), at(10)],
        ),
    ] {
        let a = json(&[&["analyze", "--format", "json"][..], &rel, &[&fw]].concat());
        let abs: Vec<&str> = abs.iter().map(String::as_str).collect();
        let b = json(&[&["analyze", "--format", "json"][..], &abs, &[&fw]].concat());
        assert_eq!(verdict(&a), verdict(&b), "{rel:?} vs {abs:?}");
    }
}

/// A time without an offset is the logs' wall clock; a bare date is the whole day.
#[test]
fn wall_clock_times_and_dates_are_in_the_logs_offset() {
    let s = seed();
    let events = |w: &[&str]| out(&[&["events"][..], w, &[&s]].concat()).1;
    let abs = events(&["--since", "2024-01-13T19:21:10.546+08:00"]);
    for w in [
        "2024-01-13 19:21:10.546",
        "2024-01-13T19:21:10.546",
        "2024/01/13 19:21:10.546",
    ] {
        assert_eq!(events(&["--since", w]), abs, "{w}");
    }
    let all = events(&[]);
    assert_eq!(all.lines().count(), 22);
    assert_eq!(
        events(&["--since", "2024-01-13", "--until", "2024-01-13"]),
        all
    );
    // The same wall clock read as UTC would be 8 hours later: past the logs' end.
    let (code, _, err) = out(&["events", "--since", "2024-01-13T19:21:10.546Z", &s]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_bad_time_lists_the_accepted_forms() {
    let (code, stdout, err) = out(&["analyze", "--since", "yesterday", &seed()]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    for form in [
        "accepted forms",
        "RFC 3339",
        "2024-01-13 19:00",
        "a date",
        "-1h",
        "30m",
    ] {
        assert!(err.contains(form), "{form}: {err}");
    }
}

/// `--grep` is literal unless `--regex`: `[tikv:9005]` is a character class as a regex.
#[test]
fn grep_filters_events_and_timeline() {
    let s = seed();
    let (code, lit, _) = out(&["events", "--grep", "[tikv:9005]", &s]);
    assert_eq!(code, 0);
    assert!(!lit.is_empty());
    for l in lit.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(v.to_string().contains("[tikv:9005]"), "{l}");
    }
    let (_, re, _) = out(&["events", "--grep", "[tikv:9005]", "--regex", &s]);
    assert!(re.lines().count() > lit.lines().count());
    let (_, none, err) = out(&["events", "--grep", "no such text", &s]);
    assert!(none.is_empty());
    assert_eq!(err, "ddldiag: 0 events matching --grep, exit 0\n");
    let (code, _, err) = out(&["events", "--grep", "(", "--regex", &s]);
    assert_eq!(code, 2, "{err}");
    let t = json(&[
        "timeline",
        "--job",
        "491",
        "--format",
        "json",
        "--grep",
        "convert job to rollback",
        &s,
    ]);
    let ev = t[0]["events"].as_array().unwrap();
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["evidence"]["line"], 22);
    // --grep is for the views: analyze has no such option.
    let (code, _, _) = out(&["analyze", "--grep", "x", &s]);
    assert_eq!(code, 2);
}

/// owner-move: job 612 starts on tidb-0 and moves to tidb-1 (fixtures/README.md).
#[test]
fn instance_is_a_filter_and_name_instance_names() {
    let dir = fixture("owner-move").display().to_string();
    let both = json(&["jobs", "--format", "json", &dir]);
    assert_eq!(
        both[0]["instances"],
        serde_json::json!(["tidb-0", "tidb-1"])
    );
    let one = json(&["analyze", "--format", "json", "--instance", "tidb-1", &dir]);
    assert_eq!(one["jobs"][0]["instances"], serde_json::json!(["tidb-1"]));
    let files = one["inputs"][0]["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["instance"], "tidb-1");
    assert_eq!(
        one["inputs"][0]["skipped"],
        serde_json::json!(["1 file of other instances not read (--instance): tidb-0 (1)"])
    );
    assert_eq!(one["inputs"][0]["complete"], true);
    let two = json(&[
        "jobs",
        "--format",
        "json",
        "--instance",
        "tidb-0",
        "--instance",
        "tidb-1",
        &dir,
    ]);
    assert_eq!(two, both);
    let (code, stdout, err) = out(&["jobs", "--instance", "tidb-2", &dir]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert_eq!(
        err,
        "ddldiag: --instance tidb-2 matches no file; the inputs hold instances tidb-0 (1 file), tidb-1 (1 file)\n"
    );
    // The old meaning, under its new name: one name for every file.
    let named = json(&["jobs", "--format", "json", "--name-instance", "db", &dir]);
    assert_eq!(named[0]["instances"], serde_json::json!(["db"]));
}

/// The lnav format is JSON with what lnav needs; when lnav is installed, lnav loads it and reads
/// the seed's levels and job ids.
#[test]
fn lnav_format_is_valid_and_lnav_reads_tidb_lines_with_it() {
    let (code, text, _) = out(&["lnav-format"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let f = &v["tidb_log"];
    for key in [
        "title",
        "regex",
        "timestamp-format",
        "level-field",
        "level",
        "opid-field",
        "value",
        "sample",
    ] {
        assert!(!f[key].is_null(), "{key} missing");
    }
    assert_eq!(f["opid-field"], "job_id");
    assert_eq!(f["level-field"], "level");
    let pattern = f["regex"]["std"]["pattern"].as_str().unwrap();
    for group in [
        "timestamp",
        "level",
        "src_file",
        "src_line",
        "body",
        "job_id",
    ] {
        assert!(pattern.contains(&format!("(?<{group}>")), "{group}");
        assert!(
            !f["value"][group].is_null() || group == "timestamp" || group == "body",
            "{group}"
        );
    }
    if std::process::Command::new("lnav")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: lnav is not installed; the format was checked as JSON only");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let fmt = home.path().join("tidb.json");
    std::fs::write(&fmt, &text).unwrap();
    let st = std::process::Command::new("lnav")
        .env("HOME", home.path())
        .arg("-i")
        .arg(&fmt)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let log = home.path().join("tidb.log");
    let seed = std::fs::read(fixture("seed-50417/tidb-0.tar.gz")).unwrap();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&seed[..]));
    let mut body = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().ends_with("tidb.log") {
            std::io::Read::read_to_end(&mut entry, &mut body).unwrap();
        }
    }
    assert!(!body.is_empty());
    std::fs::write(&log, &body).unwrap();
    let q = std::process::Command::new("lnav")
        .env("HOME", home.path())
        .args([
            "-n",
            "-c",
            ";SELECT log_level || ',' || ifnull(log_opid, '') AS r FROM tidb_log",
        ])
        .arg(&log)
        .output()
        .unwrap();
    let rows = String::from_utf8_lossy(&q.stdout);
    let lines: Vec<&str> = rows.lines().skip(1).collect();
    assert_eq!(
        lines.len(),
        25,
        "every seed line is a tidb_log record: {rows}"
    );
    assert!(!rows.contains("unknown"), "{rows}");
    for level in ["info,", "error,", "warning,"] {
        assert!(rows.contains(level), "{level}: {rows}");
    }
    assert!(
        rows.contains(",491"),
        "the job id is the operation id: {rows}"
    );
}

/// Each command takes only its formats; `--help` lists only those.
#[test]
fn each_command_takes_only_its_formats() {
    let s = seed();
    for (cmd, bad) in [
        (&["jobs"][..], "sarif"),
        (&["timeline", "--job", "491"][..], "html"),
        (&["events"][..], "json"),
        (&["diff"][..], "junit"),
    ] {
        let mut a = cmd.to_vec();
        a.extend(["--format", bad, &s]);
        if cmd == ["diff"] {
            a.extend(["--", &s]);
        }
        let (code, stdout, err) = out(&a);
        assert_eq!(code, 2, "{a:?}");
        assert!(stdout.is_empty(), "{a:?}");
        assert!(err.contains(&format!("invalid value '{bad}'")), "{err}");
    }
    let help = |cmd: &str| out(&[cmd, "--help"]).1;
    let formats = |h: &str| -> Vec<String> {
        let from = h.find("--format").unwrap();
        let block = &h[from..h[from..].find("-o, --output").map_or(h.len(), |e| from + e)];
        block
            .lines()
            .filter_map(|l| l.trim().strip_prefix("- "))
            .map(|l| l.split(':').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(formats(&help("jobs")), ["table", "json"]);
    assert_eq!(formats(&help("timeline")), ["table", "json"]);
    assert_eq!(formats(&help("events")), ["jsonl", "trace"]);
    assert_eq!(formats(&help("diff")), ["table", "json"]);
    let all = formats(&help("analyze"));
    for f in ["table", "json", "markdown", "sarif", "junit", "html"] {
        assert!(all.iter().any(|a| a == f), "{f}: {all:?}");
    }
}

/// `-o FILE` without `--format` writes what FILE's name says.
#[test]
fn output_extension_implies_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let s = seed();
    let written = |name: &str, cmd: &[&str]| {
        let p = dir.path().join(name);
        let mut a = cmd.to_vec();
        let ps = p.display().to_string();
        a.extend(["-o", &ps, &s]);
        let (code, _, err) = out(&a);
        assert!(code == 0 || code == 1, "{a:?}: {err}");
        std::fs::read_to_string(&p).unwrap()
    };
    assert!(written("r.html", &["analyze"]).starts_with("<!DOCTYPE html>"));
    let j: serde_json::Value = serde_json::from_str(&written("r.json", &["analyze"])).unwrap();
    assert_eq!(j["schema_version"], 1);
    let sarif: serde_json::Value =
        serde_json::from_str(&written("r.sarif.json", &["analyze"])).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(written("r.sarif", &["analyze"]).contains("\"2.1.0\""));
    assert!(written("r.xml", &["analyze"]).contains("<testsuites"));
    assert!(written("r.md", &["analyze"]).contains("| "));
    assert!(written("r.txt", &["analyze"]).contains("Summary: 1 job"));
    let jobs: serde_json::Value = serde_json::from_str(&written("j.json", &["jobs"])).unwrap();
    assert_eq!(jobs[0]["job_id"], 491);
    let trace: serde_json::Value = serde_json::from_str(&written("t.json", &["events"])).unwrap();
    assert!(
        trace.get("traceEvents").is_some() || trace.is_array(),
        "{trace}"
    );
    assert_eq!(written("e.jsonl", &["events"]).lines().count(), 22);
    // --format wins over the name; a name the command cannot write is refused.
    assert!(written("x.html", &["analyze", "--format", "json"]).starts_with('{'));
    let p = dir.path().join("j.sarif").display().to_string();
    let (code, _, err) = out(&["jobs", "-o", &p, &s]);
    assert_eq!(code, 2);
    assert!(
        err.contains("implies --format sarif, which `jobs` does not write (it writes table, json)"),
        "{err}"
    );
}

/// `--color auto` follows anstream's conventions. Output is a pipe here (no terminal), so only
/// CLICOLOR_FORCE colours it, and NO_COLOR wins even over that.
#[test]
fn colour_conventions() {
    let s = seed();
    let table = |env: &[(&str, &str)], extra: &[&str]| {
        let mut c = ddldiag();
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.args(["analyze"]).args(extra).arg(&s).output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert!(!table(&[], &[]).contains('\x1b'));
    assert!(table(&[("CLICOLOR_FORCE", "1")], &[]).contains("\x1b["));
    assert!(!table(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &[]).contains('\x1b'));
    assert!(!table(&[("CLICOLOR", "0")], &[]).contains('\x1b'));
    assert!(!table(&[("TERM", "dumb")], &[]).contains('\x1b'));
    // Explicit choices win over the environment.
    assert!(table(&[("NO_COLOR", "1")], &["--color", "always"]).contains("\x1b["));
    assert!(!table(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]).contains('\x1b'));
}

/// The default report says what the bundle covers, per instance and component, without -v.
/// fault-window: tidb-0's log runs 19:03:00.094–19:21:11.546 and tikv-1's 19:03:40.118–
/// 19:06:10.741 (first and last lines of each file, read by hand).
#[test]
fn the_default_report_shows_the_coverage() {
    let fw = fixture("fault-window").display().to_string();
    let (code, table, _) = out(&["analyze", "--color", "never", &fw]);
    assert_eq!(code, 1);
    assert!(
        table.contains(
            "Coverage (2 instances)\n  tidb-0  TiDB log 19:03:00.094 → 19:21:11.546 (1 file)\n  \
             tikv-1  TiKV log 19:03:40.118 → 19:06:10.741 (1 file)\n"
        ),
        "{table}"
    );
}
