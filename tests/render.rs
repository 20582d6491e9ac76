//! Every renderer on real fixtures, through the real binary: one snapshot per (view, fixture)
//! worth reading, plus the renderer properties that a snapshot alone does not pin (width,
//! colour, escaping, budgets, schema, fingerprints, thresholds).
//!
//! These replace the renderer unit tests on the hand-built `src/report/testdata.rs` report,
//! which the pipeline could not produce. Every input is a committed fixture or a few lines of
//! the seed log changed on stdin, and every path is relative to the repository root, so the
//! snapshots are the same on every machine (nothing in them depends on the run: there are no
//! durations, clocks or absolute paths to redact). Each snapshot was read against its log by
//! hand; its header names the command that made it.
//!
//! Fixtures: the seed (`seed-50417`, job 491 rolled back after ErrCount 511), its truncated
//! copy (`inputs/truncated.tar.gz`, damaged), `owner-move` (job 612 across two instances),
//! `fault-window` (the seed after a 2.5-minute partition, plus a TiKV log), `clean-v6.1.0`
//! (12 synced v6.1 jobs), `inputs/rotated.tar.gz` (one instance, three files).
//!
//! The binary takes the table width only from a terminal (stdout a tty; no flag or variable
//! sets it), so the width tests run it on a pseudo-terminal made by util-linux `script`, sized
//! with `stty`; through a pipe the table is unbounded.

mod common;

use std::process::Stdio;

use assert_cmd::Command;
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

const SEED: &str = "fixtures/seed-50417/tidb-0.tar.gz";
const DAMAGED: &str = "fixtures/inputs/truncated.tar.gz";
const OWNER_MOVE: &str = "fixtures/owner-move";
const FAULT_WINDOW: &str = "fixtures/fault-window";
const CLEAN: &str = "fixtures/clean-v6.1.0/tidb.log";
const ROTATED: &str = "fixtures/inputs/rotated.tar.gz";
const FIXTURES: [&str; 5] = [SEED, DAMAGED, OWNER_MOVE, FAULT_WINDOW, CLEAN];

/// The report formats of `analyze`.
const FORMATS: [&str; 10] = [
    "table", "json", "markdown", "sarif", "junit", "html", "trace", "jsonl", "github", "gitlab",
];

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `ddldiag ARGS` from the repository root, stdout a pipe, `stdin` fed when given.
fn ddldiag(args: &[&str], stdin: Option<&str>) -> Out {
    let mut c = Command::cargo_bin("ddldiag").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .args(args);
    if let Some(s) = stdin {
        c.write_stdin(s.as_bytes().to_vec());
    }
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "ddldiag {args:?} panicked: {stderr}"
    );
    Out {
        code: out.status.code().expect("killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr,
    }
}

fn run(args: &[&str]) -> Out {
    ddldiag(args, None)
}

/// Runs `ddldiag ARGS`, checks the exit code and snapshots stdout under `name`; the snapshot's
/// description is the command line.
fn snap(name: &str, args: &[&str], code: i32) -> Out {
    let out = run(args);
    assert_eq!(out.code, code, "ddldiag {}: {}", args.join(" "), out.stderr);
    check_snapshot(name, &format!("ddldiag {}", args.join(" ")), &out.stdout);
    out
}

fn check_snapshot(name: &str, command: &str, text: &str) {
    insta::with_settings!({ description => command, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

/// `ddldiag ARGS` with stdout on a pseudo-terminal `cols` columns wide (stderr dropped): what a
/// person at a terminal sees. Returns the exit code and the screen text.
fn on_terminal(cols: u16, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = format!(
        "stty cols {cols} rows 50 -onlcr && exec {}",
        quote(env!("CARGO_BIN_EXE_ddldiag"))
    );
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    line.push_str(" 2>/dev/null");
    let mut c = std::process::Command::new("script");
    c.args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap_or_else(|e| {
        panic!("cannot run util-linux `script` (Debian package bsdutils) for a terminal: {e}")
    });
    let text = String::from_utf8(out.stdout).expect("terminal text is UTF-8");
    (out.status.code().expect("killed by a signal"), text)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The seed log (`tidb-0/tidb.log` of the seed bundle), for variants fed on stdin.
fn seed_log() -> String {
    String::from_utf8(common::seed_log()).unwrap()
}

/// The seed log with line `n` (1-based) changed by `f`.
fn seed_with_line(n: usize, f: impl Fn(&str) -> String) -> String {
    seed_log()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == n {
                f(l) + "\n"
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

/// Seed line 1 (the first evidence line of DDL002 and of every view) carrying markup, fences,
/// XML breakers and a terminal escape.
const HOSTILE: &str = "oops ``` <script>alert(1)</script> & \"q\" ]]></failure> \u{1b}[2J |x|";

/// ... and the table named `t<&>"'x` (seed lines 9 and 17).
fn hostile_seed() -> String {
    seed_with_line(1, |l| {
        format!("{l} [note=\"{}\"]", HOSTILE.replace('"', "\\\""))
    })
    .replace("[table=sbtest1]", r#"[table="t<&>\"'x"]"#)
}

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

/// The seed in every view. Read against the 25 seed lines: job 491 add index on sbtest1,
/// ErrCount 510 (line 8) → 511 (line 16), task 210029 reverted on lines 2, 11 and 19, not
/// resumable on 1, 10 and 18, converted to rollback on line 22, last line 25 at 19:21:11.546.
#[test]
fn seed_snapshots() {
    snap("seed_table", &["analyze", "--color", "never", SEED], 1);
    snap(
        "seed_table_verbose",
        &["analyze", "-v", "--color", "never", SEED],
        1,
    );
    let j = snap("seed_json", &["analyze", "--format", "json", SEED], 1);
    assert_eq!(json(&j.stdout)["summary"]["exit_code"], 1);
    snap(
        "seed_markdown",
        &["analyze", "--format", "markdown", SEED],
        1,
    );
    snap("seed_sarif", &["analyze", "--format", "sarif", SEED], 1);
    snap("seed_junit", &["analyze", "--format", "junit", SEED], 1);
    snap("seed_html", &["analyze", "--format", "html", SEED], 1);
    snap("seed_trace", &["analyze", "--format", "trace", SEED], 1);
    snap("seed_events", &["events", SEED], 0);
    snap("seed_jobs", &["jobs", "--color", "never", SEED], 0);
    snap(
        "seed_timeline",
        &["timeline", "--job", "491", "--color", "never", SEED],
        0,
    );
}

/// The seed table as a 100-column terminal shows it: prose wrapped, evidence cut with `…`.
#[test]
fn seed_table_at_100_columns() {
    let args = ["analyze", "--color", "never", SEED];
    let (code, screen) = on_terminal(100, &args, &[]);
    assert_eq!(code, 1);
    check_snapshot(
        "seed_table_100_cols",
        "ddldiag analyze --color never fixtures/seed-50417/tidb-0.tar.gz (terminal, 100 columns)",
        &screen,
    );
}

/// The truncated seed bundle: 8 lines read, the 8th cut inside its `job=` field.
#[test]
fn damaged_snapshots() {
    snap(
        "damaged_table",
        &["analyze", "--color", "never", DAMAGED],
        3,
    );
    snap(
        "damaged_markdown",
        &["analyze", "--format", "markdown", DAMAGED],
        3,
    );
    snap(
        "damaged_junit_fail_on_warning",
        &[
            "analyze",
            "--format",
            "junit",
            "--fail-on",
            "warning",
            DAMAGED,
        ],
        3,
    );
}

#[test]
fn owner_move_snapshots() {
    snap(
        "owner_move_table",
        &["analyze", "--color", "never", OWNER_MOVE],
        0,
    );
    snap(
        "owner_move_timeline",
        &["timeline", "--job", "612", "--color", "never", OWNER_MOVE],
        0,
    );
}

#[test]
fn fault_window_snapshots() {
    snap(
        "fault_window_table",
        &["analyze", "--color", "never", FAULT_WINDOW],
        1,
    );
    snap(
        "fault_window_trace",
        &["analyze", "--format", "trace", FAULT_WINDOW],
        1,
    );
}

#[test]
fn clean_snapshots() {
    snap("clean_table", &["analyze", "--color", "never", CLEAN], 0);
    snap("clean_junit", &["analyze", "--format", "junit", CLEAN], 0);
}

/// One instance, three files (two rotated): the timeline names file and line on every row.
#[test]
fn rotated_timeline_names_the_file_per_row() {
    let out = snap(
        "rotated_timeline",
        &["timeline", "--job", "491", "--color", "never", ROTATED],
        0,
    );
    assert!(out.stdout.contains("Where"), "{}", out.stdout);
    for at in [
        "rotated.tar.gz!tidb-1/tidb-2024-01-13T19-21-10.808.log.gz:1 ",
        "rotated.tar.gz!tidb-1/tidb-2024-01-13T19-21-11.140.log.gz:1 ",
        "rotated.tar.gz!tidb-1/tidb.log:8 ",
    ] {
        assert!(out.stdout.contains(at), "{at}");
    }
}

// ---------------------------------------------------------------------------------------------
// Table: width, colour, damage, folding, offsets
// ---------------------------------------------------------------------------------------------

/// At 100 columns no line is wider than the terminal, and the story of #50417 is all there.
#[test]
fn table_fits_a_100_column_terminal() {
    let (_, screen) = on_terminal(100, &["analyze", "--color", "never", SEED], &[]);
    for l in screen.lines() {
        assert!(l.width() <= 100, "line wider than 100 ({}): {l}", l.width());
    }
    for needle in [
        "491",
        "add index",
        "sbtest1",
        "rollingback",
        "511",
        "DDL001",
        "DDL002",
        "DDL003",
        "pingcap/tidb#50417",
        "…",
    ] {
        assert!(screen.contains(needle), "missing {needle}");
    }
    // Through a pipe nothing is cut: the whole of line 22 is there.
    let piped = run(&["analyze", "--color", "never", SEED]).stdout;
    assert!(piped.contains("ErrCount:511, SnapshotVersion:446993211166556275, LocalMode: false, UniqueWarnings:0\"] [error=\"[tikv:9005]Region is unavailable\"]"));
    assert!(piped.lines().any(|l| l.width() > 100));

    // `jobs` and the timeline of a multi-file instance do not fit: see the ignored tests below.
    for args in [
        &["timeline", "--job", "491", "--color", "never", SEED][..],
        &["timeline", "--job", "612", "--color", "never", OWNER_MOVE],
        &["analyze", "-v", "--color", "never", FAULT_WINDOW],
    ] {
        assert_fits(100, args);
    }
}

/// Every line of `ddldiag ARGS` on a terminal `cols` wide fits it (`-v` keeps evidence lines
/// whole on purpose).
fn assert_fits(cols: u16, args: &[&str]) {
    let (_, screen) = on_terminal(cols, args, &[]);
    assert!(!screen.is_empty(), "{args:?}");
    for l in screen.lines() {
        let evidence = l.trim_start().split_once(": [20").is_some();
        assert!(
            l.width() <= usize::from(cols) || (args.contains(&"-v") && evidence),
            "{args:?}: line wider than {cols} ({}): {l}",
            l.width()
        );
    }
}

#[test]
#[ignore = "known defect: the jobs table is 101 columns wide at 100 or fewer"]
fn jobs_table_fits_a_100_column_terminal() {
    assert_fits(100, &["jobs", "--color", "never", SEED]);
}

#[test]
#[ignore = "known defect: the Where column is never cut; at 100 columns the table is 128 wide \
            and Instance and Summary are crushed to one letter per line"]
fn timeline_with_where_column_fits_a_100_column_terminal() {
    assert_fits(
        100,
        &["timeline", "--job", "491", "--color", "never", ROTATED],
    );
}

/// The seed's story fits one screen at 120 columns (issue 15: it was 78 lines, the same ErrCount
/// and rollback sentences three times): the job block says each fact once, and each finding is
/// one line. Through a pipe (no width) and with `-v` it is longer on purpose.
#[test]
fn seed_table_fits_one_screen() {
    let (_, screen) = on_terminal(120, &["analyze", "--color", "never", SEED], &[]);
    let lines: Vec<&str> = screen.lines().collect();
    assert!(lines.len() <= 40, "{} lines:\n{screen}", lines.len());
    for l in &lines {
        assert!(l.width() <= 120, "wider than 120 ({}): {l}", l.width());
    }
    // Told once: the ErrCount step and the rollback are facts of the job block, not repeated
    // by each finding; each finding is its code and title.
    assert_eq!(screen.matches("510 at 19:21:10.807").count(), 1, "{screen}");
    assert_eq!(screen.matches("converted at 19:21:11.461").count(), 1);
    assert_eq!(
        screen
            .matches("pingcap/tidb#50417 (version unknown)")
            .count(),
        1
    );
    for code in ["ERROR   DDL002", "ERROR   DDL001", "WARNING DDL003"] {
        assert_eq!(screen.matches(code).count(), 1, "{code}: {screen}");
    }
    // The lines that prove it: the revert (2), the first failed attempt (5), ErrCount 510 (8)
    // and 511 (16), the conversion to rollback (22).
    for n in ["     2: ", "     5: ", "     8: ", "    16: ", "    22: "] {
        assert!(screen.contains(n), "evidence line {n}: {screen}");
    }
    assert!(screen.contains("… 4 more lines cited; -v shows every finding in full"));
    // -v: every explanation and every evidence line of every finding.
    let verbose = run(&["analyze", "-v", "--color", "never", SEED]).stdout;
    assert_eq!(verbose.matches("ErrCount climbed from 510").count(), 3);
    for n in [1, 2, 5, 8, 16, 18, 19, 22, 23] {
        assert!(
            verbose.contains(&format!("\n    {n:>2}: [2024/01/13")),
            "line {n}"
        );
    }
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let never = run(&["analyze", "--color", "never", SEED]).stdout;
    let auto_piped = run(&["analyze", SEED]).stdout;
    assert!(!never.contains('\x1b') && !auto_piped.contains('\x1b'));
    let always = run(&["analyze", "--color", "always", SEED]).stdout;
    assert!(always.contains("\x1b[1;31mERROR\x1b[0m"), "{always}");
    assert!(always.contains("\x1b[1;33mWARNING\x1b[0m"), "{always}");

    let (_, tty) = on_terminal(100, &["analyze", SEED], &[]);
    assert!(tty.contains("\x1b[1;31mERROR\x1b[0m"), "auto on a terminal");
    let (_, no_color) = on_terminal(100, &["analyze", SEED], &[("NO_COLOR", "1")]);
    assert!(!no_color.contains('\x1b'), "NO_COLOR is honoured");
}

#[test]
fn damage_is_loud_in_every_table() {
    let a = run(&["analyze", "--color", "never", DAMAGED]);
    assert_eq!(a.code, 3);
    assert!(a.stdout.contains(
        "INCOMPLETE: some input was damaged; this report covers only what could be read."
    ));
    assert!(a
        .stdout
        .contains("incomplete deflate stream (at byte 540 of the input"));
    assert!(a.stdout.contains("INCOMPLETE input → exit 3"));
    assert!(a.stderr.contains("ddldiag: warning:"), "{}", a.stderr);
    let jobs = run(&["jobs", "--color", "never", DAMAGED]);
    assert_eq!(jobs.code, 3);
    assert!(jobs.stdout.contains("INCOMPLETE"));
    let inventory = run(&["analyze", "-v", "--color", "never", DAMAGED]).stdout;
    let inv = inventory.rsplit_once("File (instance, kind)").unwrap().1;
    assert!(inv.contains("(tidb-0, tidb_log) INCOMPLETE"), "{inventory}");
    let timeline = run(&["timeline", "--job", "491", "--color", "never", DAMAGED]);
    assert_eq!(timeline.code, 3);
}

/// Consecutive identical events are one row with a count.
#[test]
fn timeline_folds_repeats() {
    let line5 = seed_log().lines().nth(4).unwrap().to_string();
    let log: String = (0..5)
        .map(|i| line5.replace("19:21:09.790", &format!("19:21:1{i}.790")) + "\n")
        .collect();
    let out = ddldiag(
        &["timeline", "--job", "491", "--color", "never", "-"],
        Some(&log),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("×5"), "{}", out.stdout);
    assert!(out.stdout.contains("5 events in 1 rows"), "{}", out.stdout);
}

/// A job whose lines carry two offsets shows full times with their offsets, not a shared date.
#[test]
fn mixed_offsets_keep_offsets() {
    let log = seed_with_line(25, |l| {
        l.replace(
            "2024/01/13 19:21:11.546 +08:00",
            "2024/01/13 11:21:11.546 +00:00",
        )
    });
    let out = ddldiag(&["jobs", "--color", "never", "-"], Some(&log));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("2024-01-13 19:21:09.480+08:00"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("2024-01-13 11:21:11.546+00:00")
            || out.stdout.contains("2024-01-13 11:21:11.546Z"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("times are"), "{}", out.stdout);
}

/// A terminal escape in a log line is shown as a visible `\x1b` when the table cuts lines for a
/// terminal.
#[test]
fn control_characters_are_defused_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tidb.log"), hostile_seed()).unwrap();
    let p = dir.path().join("tidb.log");
    // Line 1 is cited by DDL002 only: the default view leaves it out of the job's five lines,
    // `-v` prints it.
    for args in [
        &["analyze", "--color", "never"][..],
        &["analyze", "-v", "--color", "never"],
    ] {
        let mut args = args.to_vec();
        args.push(p.to_str().unwrap());
        let (code, screen) = on_terminal(200, &args, &[]);
        assert_eq!(code, 1);
        assert!(!screen.contains('\x1b'), "{screen}");
        if args.contains(&"-v") {
            assert!(screen.contains("\\x1b[2J"), "{screen}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON and its schema
// ---------------------------------------------------------------------------------------------

fn schema() -> jsonschema::JSONSchema {
    let s = run(&["schema"]);
    assert_eq!(s.code, 0);
    jsonschema::JSONSchema::compile(&json(&s.stdout)).expect("schema compiles")
}

#[test]
fn json_of_every_fixture_matches_the_schema() {
    let compiled = schema();
    for input in FIXTURES.iter().copied().chain([ROTATED]) {
        let report = json(&run(&["analyze", "--format", "json", input]).stdout);
        if let Err(errors) = compiled.validate(&report) {
            let msgs: Vec<String> = errors
                .map(|e| format!("{e} at {}", e.instance_path))
                .collect();
            panic!(
                "{input}: report does not match the schema:\n{}",
                msgs.join("\n")
            );
        };
    }
    // The schema is not vacuous: an unknown severity fails it.
    let mut broken = json(&run(&["analyze", "--format", "json", SEED]).stdout);
    broken["findings"][0]["severity"] = "critical".into();
    assert!(
        !compiled.is_valid(&broken),
        "an unknown severity must not validate"
    );
}

/// The DESIGN §4 names are a contract with other people's scripts.
#[test]
fn json_keeps_design_field_names() {
    let v = json(&run(&["analyze", "--format", "json", SEED]).stdout);
    let has = |o: &Value, keys: &[&str], what: &str| {
        for k in keys {
            assert!(o.get(k).is_some(), "{what}.{k} missing in {o}");
        }
    };
    has(
        &v,
        &[
            "schema_version",
            "tool",
            "inputs",
            "jobs",
            "findings",
            "summary",
        ],
        "top",
    );
    assert_eq!(v["schema_version"], 1);
    has(
        &v["inputs"][0],
        &["path", "complete", "error", "files"],
        "inputs[]",
    );
    has(
        &v["inputs"][0]["files"][0],
        &[
            "name", "instance", "bytes", "lines", "records", "unparsed", "first_ts", "last_ts",
        ],
        "files[]",
    );
    let job = &v["jobs"][0];
    has(
        job,
        &[
            "job_id",
            "type",
            "table",
            "query",
            "outcome",
            "first_seen",
            "last_seen",
            "max_err_count",
            "errors",
            "dist_task",
            "instances",
            "events",
        ],
        "jobs[]",
    );
    has(
        &job["errors"][0],
        &["text", "code", "class", "count", "first", "last"],
        "errors[]",
    );
    assert_eq!(job["dist_task"]["task_id"], 210029);
    assert_eq!(job["dist_task"]["task_key"], "ddl/backfill/491");
    let f = &v["findings"][0];
    has(
        f,
        &[
            "rule",
            "name",
            "severity",
            "job_id",
            "title",
            "explanation",
            "suggestion",
            "known_issues",
            "evidence",
        ],
        "findings[]",
    );
    has(
        &f["evidence"][0],
        &["file", "line", "ts", "text"],
        "evidence[]",
    );
    // Seed line 1 is the first line of DDL002's evidence.
    assert_eq!(f["evidence"][0]["line"], 1);
    assert_eq!(f["evidence"][0]["ts"], "2024-01-13T19:21:09.480+08:00");
    has(
        &v["summary"]["findings"],
        &["error", "warning", "info"],
        "summary.findings",
    );
    assert_eq!(v["summary"]["exit_code"], 1);
    assert_eq!(v["summary"]["jobs"], 1);
}

/// Nothing in any view depends on the run: a second run, on one thread, says the same.
#[test]
fn every_view_is_the_same_on_a_second_run() {
    for input in FIXTURES {
        for format in FORMATS {
            let a = run(&["analyze", "--color", "never", "--format", format, input]).stdout;
            let b = run(&[
                "analyze",
                "--color",
                "never",
                "--threads",
                "1",
                "--format",
                format,
                input,
            ])
            .stdout;
            assert_eq!(a, b, "analyze --format {format} {input}");
            assert!(
                !a.contains(env!("CARGO_MANIFEST_DIR")),
                "absolute path in {format}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

/// Every evidence line of the JSON report, as `file:line`.
fn evidence_total(report: &Value) -> usize {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["evidence"].as_array().unwrap().len())
        .sum()
}

#[test]
fn markdown_of_a_small_report_is_complete() {
    let md = run(&["analyze", "--format", "markdown", SEED]).stdout;
    let report = json(&run(&["analyze", "--format", "json", SEED]).stdout);
    assert!(!md.contains("omitted"), "{md}");
    let shown = md
        .lines()
        .filter(|l| l.starts_with("fixtures/seed-50417/tidb-0.tar.gz!tidb-0/tidb.log:"))
        .count();
    assert_eq!(shown, evidence_total(&report));
    assert!(md.chars().count() < 60_000);
}

/// 300 copies of the seed job (ids 1000–1299): the comment stays under GitHub's 60,000-character
/// budget, says what it left out, and the counts add up.
#[test]
fn markdown_of_a_huge_report_is_capped_and_says_so() {
    let seed = seed_log();
    let log: String = (1000..1300)
        .map(|id| {
            seed.replace("491", &id.to_string())
                .replace("210029", &(300_000 + id).to_string())
        })
        .collect();
    let md = ddldiag(&["analyze", "--format", "markdown", "-"], Some(&log));
    assert_eq!(md.code, 1, "{}", md.stderr);
    let md = md.stdout;
    let report = json(&ddldiag(&["analyze", "--format", "json", "-"], Some(&log)).stdout);
    assert_eq!(report["jobs"].as_array().unwrap().len(), 300);
    let n = md.chars().count();
    assert!(n <= 60_000, "{n} chars");
    assert!(n > 30_000, "budget mostly used: {n}");
    assert!(md.contains("more jobs omitted"), "omitted jobs are said");
    assert!(md.contains("omitted"));
    // Shown + omitted evidence = all evidence of the findings that are shown.
    let shown = md.lines().filter(|l| l.starts_with("-:")).count();
    let omitted: usize = md
        .lines()
        .filter_map(|l| l.strip_prefix("> **… "))
        .filter(|l| l.contains("evidence lines"))
        .map(|l| {
            l.split_whitespace()
                .next()
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert!(shown > 0);
    assert!(shown + omitted <= evidence_total(&report));
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
}

#[test]
fn markdown_fence_in_a_log_line_cannot_break_out() {
    let md = ddldiag(
        &["analyze", "--format", "markdown", "-"],
        Some(&hostile_seed()),
    )
    .stdout;
    assert!(md.contains("````text\n"), "{md}");
    assert!(
        md.contains("oops ``` <script>alert(1)</script>"),
        "raw text kept inside code"
    );
}

// ---------------------------------------------------------------------------------------------
// SARIF
// ---------------------------------------------------------------------------------------------

fn sarif(input: &str, stdin: Option<&str>) -> Value {
    json(&ddldiag(&["analyze", "--format", "sarif", input], stdin).stdout)
}

#[test]
fn sarif_has_what_github_requires() {
    let v = sarif(SEED, None);
    assert_eq!(
        v["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(v["version"], "2.1.0");
    let run0 = &v["runs"][0];
    let driver = &run0["tool"]["driver"];
    assert_eq!(driver["name"], "ddldiag");
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    let catalogue = run(&["rules"]).stdout.lines().count();
    assert_eq!(rules.len(), catalogue, "every rule of `ddldiag rules`");
    let non_empty = |v: &Value, what: &str| {
        let s = v.as_str().unwrap_or_else(|| panic!("{what} missing"));
        assert!(!s.trim().is_empty(), "{what} empty");
    };
    for r in rules {
        non_empty(&r["id"], "rule id");
        non_empty(&r["name"], "rule name");
        non_empty(&r["shortDescription"]["text"], "shortDescription");
        non_empty(&r["fullDescription"]["text"], "fullDescription");
        non_empty(&r["help"]["text"], "help.text");
        non_empty(&r["help"]["markdown"], "help.markdown");
        non_empty(
            &r["defaultConfiguration"]["level"],
            "defaultConfiguration.level",
        );
        assert!(!r["properties"]["tags"].as_array().unwrap().is_empty());
    }
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        non_empty(&r["ruleId"], "ruleId");
        non_empty(&r["message"]["text"], "message.text");
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[idx]["id"], r["ruleId"],
            "ruleIndex points at its rule"
        );
        let locs = r["locations"].as_array().unwrap();
        assert!((1..=10).contains(&locs.len()));
        let pl = &locs[0]["physicalLocation"];
        // The member of the bundle, a nested artifact (`tests/validators.rs` checks the rest).
        assert_eq!(pl["artifactLocation"]["uri"], "/tidb-0/tidb.log");
        let a =
            &v["runs"][0]["artifacts"][pl["artifactLocation"]["index"].as_u64().unwrap() as usize];
        assert_eq!(
            v["runs"][0]["artifacts"][a["parentIndex"].as_u64().unwrap() as usize]["location"]
                ["uri"],
            "fixtures/seed-50417/tidb-0.tar.gz"
        );
        assert!(pl["region"]["startLine"].as_u64().unwrap() >= 1);
        non_empty(
            &r["partialFingerprints"]["ddldiagFingerprint/v1"],
            "fingerprint",
        );
        non_empty(
            &r["partialFingerprints"]["primaryLocationLineHash"],
            "primaryLocationLineHash",
        );
    }
    // DDL002 first: its evidence starts on seed line 1.
    assert_eq!(results[0]["ruleId"], "DDL002");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert_eq!(run0["invocations"][0]["executionSuccessful"], true);
}

fn levels(v: &Value) -> Vec<(String, String)> {
    v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["level"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn sarif_levels_follow_severity() {
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        levels(&sarif(SEED, None)),
        pairs(&[
            ("DDL002", "error"),
            ("DDL001", "error"),
            ("DDL003", "warning")
        ])
    );
    assert_eq!(
        levels(&sarif(OWNER_MOVE, None)),
        pairs(&[("DDL005", "note")])
    );
}

fn fingerprints(v: &Value) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["partialFingerprints"]["ddldiagFingerprint/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    f.sort();
    f
}

/// FNV-1a 64, as the SARIF fingerprint is documented to be.
fn fnv1a64(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf29ce484222325, |h, &c| {
        (h ^ u64::from(c)).wrapping_mul(0x100000001b3)
    })
}

/// The fingerprint is the same problem across runs: not the job id, line numbers, times or
/// error counts, but rule, job type, table and error.
#[test]
fn sarif_fingerprints_are_stable_and_ignore_ids_lines_and_times() {
    assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
    assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
    assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);

    let seed = fingerprints(&sarif(SEED, None));
    assert_eq!(seed.len(), 3);
    assert_eq!(seed, fingerprints(&sarif(SEED, None)), "two runs");
    let ddl001 = &seed.iter().find(|(r, _)| r == "DDL001").unwrap().1;
    // Pinned: a change here breaks every stored suppression; bump the key's /v1 instead.
    assert_eq!(
        *ddl001,
        format!(
            "{:016x}",
            fnv1a64("ddl001\u{1f}add index\u{1f}sbtest1\u{1f}transient\u{1f}tikv:9005".as_bytes())
        )
    );
    assert!(seed.windows(2).all(|w| w[0].1 != w[1].1), "rules differ");

    // The fault-window log is the same job with other lines, times and ErrCount history.
    assert_eq!(fingerprints(&sarif(FAULT_WINDOW, None)), seed);
    // Another job id (and task id).
    let other_id = seed_log().replace("491", "777").replace("210029", "210031");
    assert_eq!(fingerprints(&sarif("-", Some(&other_id))), seed);
    // But another table is another problem.
    let other_table = seed_log().replace("sbtest1", "sbtest2");
    let t = fingerprints(&sarif("-", Some(&other_table)));
    assert_eq!(t.len(), 3);
    let changed = t.iter().zip(&seed).filter(|(a, b)| a.1 != b.1).count();
    assert!(changed > 0, "the table is part of the fingerprint: {t:?}");
}

#[test]
fn sarif_damaged_input_is_a_failed_execution() {
    let v = sarif(DAMAGED, None);
    let inv = &v["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let n = inv["toolExecutionNotifications"].as_array().unwrap();
    assert!(!n.is_empty());
    assert!(n[0]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("incomplete deflate stream"));
}

#[test]
fn sarif_uri_is_percent_encoded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a b#c.log"), common::seed_log()).unwrap();
    let out = Command::cargo_bin("ddldiag")
        .unwrap()
        .current_dir(dir.path())
        .args(["analyze", "--format", "sarif", "a b#c.log"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let uri =
        &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "a%20b%23c.log");
}

// ---------------------------------------------------------------------------------------------
// JUnit
// ---------------------------------------------------------------------------------------------

/// A minimal well-formedness check: every tag closes in order, attributes are quoted, and
/// nothing but the five entities and numeric references appears after `&`.
fn assert_well_formed(xml: &str) {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .expect("XML declaration");
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    let mut roots = 0;
    while let Some(lt) = rest.find('<') {
        check_text(&rest[..lt]);
        let gt = rest[lt..].find('>').expect("unclosed tag") + lt;
        let tag = &rest[lt + 1..gt];
        assert!(!tag.contains('<'), "'<' inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched close");
        } else {
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name = tag.split_whitespace().next().unwrap();
            assert_eq!(
                tag[name.len()..].matches('"').count() % 2,
                0,
                "unbalanced quotes in {tag}"
            );
            check_text(&tag[name.len()..]);
            if stack.is_empty() {
                roots += 1;
            }
            if !self_closing {
                stack.push(name.to_string());
            }
        }
        rest = &rest[gt + 1..];
    }
    assert!(rest.trim().is_empty());
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    assert_eq!(roots, 1);
}

fn check_text(t: &str) {
    for (i, _) in t.match_indices('&') {
        let ent = &t[i..i + t[i..].find(';').expect("entity without ;") + 1];
        let ok = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&ent)
            || (ent.starts_with("&#") && ent[2..ent.len() - 1].chars().all(|c| c.is_ascii_digit()));
        assert!(ok, "bad entity {ent}");
    }
    assert!(
        !t.chars()
            .any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')),
        "control char"
    );
}

fn junit(args: &[&str], stdin: Option<&str>) -> String {
    let mut a = vec!["analyze", "--format", "junit"];
    a.extend_from_slice(args);
    let x = ddldiag(&a, stdin).stdout;
    assert_well_formed(&x);
    x
}

#[test]
fn junit_is_well_formed_and_counted() {
    for input in FIXTURES {
        junit(&[input], None);
    }
    let x = junit(&[SEED], None);
    assert!(x.contains("tests=\"2\" failures=\"1\" errors=\"0\""), "{x}");
    assert!(x.contains("classname=\"ddldiag.job\" name=\"add index on sbtest1\""));
    assert!(x.contains("type=\"DDL002,DDL001\""), "{x}");
    // DDL003 (warning) is below the default error threshold: shown, not failing.
    assert!(x.contains("<system-out>WARNING DDL003"), "{x}");
}

#[test]
fn junit_thresholds() {
    let never = junit(&["--fail-on", "never", SEED], None);
    assert!(never.contains("failures=\"0\""), "{never}");
    let warn = junit(&["--fail-on", "warning", SEED], None);
    assert!(warn.contains("type=\"DDL002,DDL001,DDL003\""), "{warn}");
    let info = junit(&["--fail-on", "info", OWNER_MOVE], None);
    assert!(info.contains("failures=\"1\""), "DDL005 is info: {info}");
    let error = junit(&[OWNER_MOVE], None);
    assert!(error.contains("failures=\"0\""), "{error}");
}

#[test]
fn junit_damaged_input_is_an_error() {
    let x = junit(&["--fail-on", "never", DAMAGED], None);
    assert!(x.contains("errors=\"1\""), "{x}");
    assert!(
        x.contains("<error message=\"fixtures/inputs/truncated.tar.gz!tidb-0/tidb.log: incomplete deflate stream"),
        "{x}"
    );
    assert!(x.contains("type=\"incomplete-input\""));
}

#[test]
fn junit_escapes_hostile_text() {
    let x = junit(&["-"], Some(&hostile_seed()));
    assert!(
        x.contains("name=\"add index on t&lt;&amp;&gt;&quot;&apos;x\""),
        "{x}"
    );
    // The log line holds `\"q\"`; the escape becomes U+FFFD (XML 1.0 has no ESC).
    assert!(
        x.contains(r"oops ``` &lt;script&gt;alert(1)&lt;/script&gt; &amp; \&quot;q\&quot; ]]&gt;&lt;/failure&gt; "),
        "{x}"
    );
    assert!(x.contains("\u{FFFD}[2J |x|"), "{x}");
}

/// A finding tied to no job (an unattributed give-up on a transient error) is still reported.
#[test]
fn junit_keeps_findings_without_a_job() {
    let log = "[2024/01/13 19:21:09.000 +08:00] [WARN] [retry.go:100] [\"meet un-retryable error\"] [error=\"dial tcp minio:9000: i/o timeout\"]\n";
    let x = junit(&["-"], Some(log));
    assert!(x.contains("classname=\"ddldiag.cluster\""), "{x}");
    assert!(x.contains("failures=\"1\""), "{x}");
}

// ---------------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------------

fn assert_self_contained(h: &str, what: &str) {
    assert!(h.starts_with("<!DOCTYPE html>"), "{what}");
    assert!(h.ends_with("</html>\n"), "{what}");
    assert!(
        !h.to_lowercase().contains("<script"),
        "{what}: no script at all"
    );
    assert!(
        !h.contains("http://") && !h.contains("https://"),
        "{what}: no URL"
    );
    assert_eq!(h.matches("<svg").count(), 1, "{what}");
    assert_eq!(h.matches("</svg>").count(), 1, "{what}");
}

#[test]
fn html_is_self_contained_and_draws_the_story() {
    for input in FIXTURES {
        assert_self_contained(&run(&["analyze", "--format", "html", input]).stdout, input);
    }
    let h = run(&["analyze", "--format", "html", SEED]).stdout;
    for code in ["DDL001", "DDL002", "DDL003"] {
        assert!(h.contains(&format!("data-rule=\"{code}\"")), "{code}");
    }
    assert!(h.contains("class=\"rollback\""));
    assert!(h.contains("class=\"errcount\""));
    assert!(h.contains("data-job=\"491\""));
    let fw = run(&["analyze", "--format", "html", FAULT_WINDOW]).stdout;
    assert!(fw.contains("class=\"fault-window\""));
}

/// The picture tells the job's real story (issue 15): bands from its state lines, the ErrCount
/// steps through every point the timeline holds, marks for owner moves, restarts and stalls, an
/// axis broken over idle stretches, a viewBox that scales, and no raw backtick in the prose.
#[test]
fn html_picture_marks_what_happened() {
    let h = run(&["analyze", "--format", "html", SEED]).stdout;
    // Responsive: a viewBox and width 100%, no fixed pixel width.
    assert!(
        h.contains(r#"<svg id="timeline" viewBox="0 0 1200 "#),
        "{h}"
    );
    assert!(h.contains(r#"width="100%""#));
    // Seed lines 8 and 16: running / write reorganization, ErrCount 510 and 511 (two points);
    // line 22: the conversion to rollback.
    assert_eq!(
        h.matches(r#"class="state" data-state="running""#).count(),
        1
    );
    assert_eq!(h.matches(r#"data-state="rollingback""#).count(), 1);
    assert_eq!(h.matches(r#"class="errcount-point""#).count(), 2);
    assert!(h.contains("ErrCount 510 at 19:21:10.807"));
    assert!(h.contains("ErrCount 511 at 19:21:11.139"));
    assert!(h.contains("rollback 19:21:11.461 at ErrCount 511"));
    // Prose code spans are <code>, not backticks; evidence (<pre>) stays verbatim.
    assert!(h.contains("(<code>task not resumable</code>)"));
    let prose: String = h
        .split("<pre>")
        .map(|p| p.split("</pre>").last().unwrap_or(""))
        .collect();
    assert!(!prose.contains('`'), "a raw backtick outside evidence");

    // fault-window: the job string says queueing at 19:03:00 (line 1), the job logs errors from
    // 19:04:12 (line 5) and nothing between 19:04:14 and 19:21:09: the band turns to inferred
    // running at the first error, and the axis breaks over the 17 quiet minutes.
    let fw = run(&["analyze", "--format", "html", FAULT_WINDOW]).stdout;
    assert!(
        fw.contains(r#"class="state inferred" data-state="running""#),
        "{fw}"
    );
    assert!(fw.contains("the job logged an error at 19:04:12.100"));
    assert_eq!(fw.matches(r#"class="axis-break""#).count(), 1);
    assert!(fw.contains("17m quiet"));
    // owner-move: the hand-over at 10:02:00.050 (tidb-0 line 8, tidb-1 line 2).
    let om = run(&["analyze", "--format", "html", OWNER_MOVE]).stdout;
    assert!(om.contains(r#"<g class="owner-move">"#));
    assert!(om.contains("owner tidb-0 → tidb-1 10:02:00.050"));
    // A restart mid-job and a stall.
    let rs = run(&[
        "analyze",
        "--format",
        "html",
        "fixtures/rules/DDL013/restart-mid-job",
    ])
    .stdout;
    assert!(rs.contains(r#"<g class="restart">"#));
    let st = run(&[
        "analyze",
        "--format",
        "html",
        "fixtures/rules/DDL004/rows-stop-v8.1.log",
    ])
    .stdout;
    assert!(
        st.contains(r#"<g class="stall">"#) && st.contains("stalled since"),
        "{st}"
    );
}

#[test]
fn html_escapes_log_text_and_instance_names() {
    let h = ddldiag(
        &[
            "analyze",
            "--format",
            "html",
            "--name-instance",
            "tidb-0 <&>",
            "-",
        ],
        Some(&hostile_seed()),
    )
    .stdout;
    assert_self_contained(&h, "hostile");
    assert!(
        h.contains(r"&lt;script&gt;alert(1)&lt;/script&gt; &amp; \&quot;q\&quot;"),
        "{h}"
    );
    assert!(h.contains("tidb-0 &lt;&amp;&gt;"), "{h}");
}

// ---------------------------------------------------------------------------------------------
// Dispatch, exports, exit codes
// ---------------------------------------------------------------------------------------------

#[test]
fn each_format_is_its_own_renderer_and_ends_with_a_newline() {
    let starts = [
        ("table", "ddldiag 0.1.0"),
        ("json", "{\n  \"schema_version\": 1"),
        ("markdown", "## ddldiag"),
        ("sarif", "{\n  \"$schema\""),
        ("junit", "<?xml"),
        ("html", "<!DOCTYPE html>"),
        ("trace", "{\n  \"displayTimeUnit\""),
        ("jsonl", "{\"kind\":"),
        ("github", "::error "),
        ("gitlab", "[\n  {"),
    ];
    for (format, start) in starts {
        let out = run(&["analyze", "--color", "never", "--format", format, SEED]).stdout;
        assert!(
            out.starts_with(start),
            "{format}: {}",
            &out[..80.min(out.len())]
        );
        assert!(out.ends_with('\n'), "{format}");
    }
    let sarif = run(&["analyze", "--format", "sarif", SEED]).stdout;
    assert!(sarif.contains("\"version\": \"2.1.0\""));
}

/// `events` and `analyze` write the same exports.
#[test]
fn events_and_analyze_exports_agree() {
    for input in FIXTURES {
        let a = run(&["analyze", "--format", "trace", input]).stdout;
        let e = run(&["events", "--format", "trace", input]).stdout;
        assert_eq!(a, e, "trace of {input}");
        let a = run(&["analyze", "--format", "jsonl", input]).stdout;
        let e = run(&["events", input]).stdout;
        assert_eq!(a, e, "jsonl of {input}");
        for l in e.lines() {
            json(l);
        }
    }
}

/// The exit code on real logs: findings against `--fail-on`; damage wins over everything.
#[test]
fn exit_codes_on_real_logs() {
    let cases: &[(&str, &str, i32)] = &[
        (SEED, "error", 1),
        (SEED, "warning", 1),
        (SEED, "info", 1),
        (SEED, "never", 0),
        // DDL005 only (info).
        (OWNER_MOVE, "error", 0),
        (OWNER_MOVE, "warning", 0),
        (OWNER_MOVE, "info", 1),
        (OWNER_MOVE, "never", 0),
        (CLEAN, "info", 0),
        (DAMAGED, "error", 3),
        (DAMAGED, "never", 3),
    ];
    for &(input, fail_on, want) in cases {
        let out = run(&["analyze", "--format", "json", "--fail-on", fail_on, input]);
        assert_eq!(out.code, want, "{input} --fail-on {fail_on}");
        assert_eq!(json(&out.stdout)["summary"]["exit_code"], want);
    }
    // Nothing to judge: an empty log is exit 2, never 0.
    let empty = ddldiag(
        &["analyze", "--format", "json", "--fail-on", "never", "-"],
        Some(""),
    );
    assert_eq!(empty.code, 2);
}
