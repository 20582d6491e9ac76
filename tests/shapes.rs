//! Every log shape people paste or collect parses (issue 13): one fixture per shape under
//! `fixtures/shapes/<shape>/` (built by `fixtures/shapes/make_shapes.py` from real lines), run
//! through the real binary with a relative path, as a user would type it.
//!
//! For each shape: every record line is read as a record (parse rate 100% of its records: the
//! expected counts are the fixture's record lines, counted by hand, and no line is left
//! unparsed but the prose before the first record), the jobs come out with the outcomes the
//! lines say, each job lands on the instance its lines name, and the exit code is the
//! findings'. A second run with `--full-parse` must give the same report (the prefilter may
//! not skip a line any shape needs).

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

struct Shape {
    /// Folder under `fixtures/shapes/`.
    dir: &'static str,
    /// Physical lines, record lines, continuation lines, unparsed lines.
    lines: (u64, u64, u64, u64),
    /// `(job id, outcome)` in report order.
    jobs: &'static [(i64, &'static str)],
    /// The instances of the first job.
    instances: &'static [&'static str],
    /// Exit code with the default `--fail-on error`.
    exit: i32,
}

const SHAPES: &[Shape] = &[
    Shape {
        // TiDB 1.0: no milliseconds; `Query:` then the SQL (tab-indented) on the next lines;
        // old job strings without start time / Err / ErrCount; `DDL job 34 is finished`.
        dir: "legacy-2017",
        lines: (27, 19, 8, 0),
        jobs: &[(34, "synced"), (35, "running"), (36, "queueing")],
        instances: &["legacy-2017"],
        exit: 0,
    },
    Shape {
        // TiDB 1.x/2.0 (2018): milliseconds, `Query:<sql>` on the line, continuing over two
        // tab-indented lines; [info] [warning] [error] [fatal].
        dir: "legacy-2018",
        lines: (25, 23, 2, 0),
        jobs: &[(52, "rollback done"), (53, "synced")],
        instances: &["legacy-2018"],
        exit: 0,
    },
    Shape {
        dir: "platform-export",
        lines: (40, 40, 0, 0),
        jobs: &[(91, "synced"), (93, "synced"), (95, "synced")],
        instances: &["172.16.6.95:4604", "172.16.6.96:4604"],
        exit: 0,
    },
    Shape {
        // `grep 'DDL job' tidb-0.log tidb-1.log`: the file names the instance.
        dir: "grep-files",
        lines: (40, 40, 0, 0),
        jobs: &[
            (228, "synced"),
            (230, "synced"),
            (232, "synced"),
            (234, "synced"),
            (236, "synced"),
            (238, "synced"),
            (245, "synced"),
            (247, "queueing"),
        ],
        instances: &["tidb-0", "tidb-1"],
        exit: 0,
    },
    Shape {
        // `grep -n -A2`: `N:` and `N-` prefixes; the `--` group separators are not records.
        dir: "grep-n",
        lines: (23, 18, 5, 0),
        jobs: &[
            (66, "queueing"),
            (68, "queueing"),
            (70, "queueing"),
            (77, "queueing"),
            (79, "queueing"),
            (81, "queueing"),
        ],
        instances: &["grep-n"],
        exit: 0,
    },
    Shape {
        // `rg -n -B1`: `path:N:` and `path-N-`; the directory in the path names the instance.
        dir: "rg-n",
        lines: (28, 28, 0, 0),
        jobs: &[
            (62, "synced"),
            (64, "synced"),
            (66, "synced"),
            (68, "synced"),
            (70, "synced"),
            (71, "synced"),
            (73, "synced"),
        ],
        instances: &["tidb-0"],
        exit: 0,
    },
    Shape {
        // 20,000 NUL bytes (copy-truncate rotation), then records.
        dir: "nul-prefix",
        lines: (40, 40, 0, 0),
        jobs: &[
            (245, "synced"),
            (247, "synced"),
            (249, "synced"),
            (251, "synced"),
        ],
        instances: &["nul-prefix"],
        exit: 0,
    },
    Shape {
        // v5.2 `["[ddl] ..."]` messages on the instance that submitted the jobs: they end on
        // `["[ddl] DDL job is finished"]` alone; the last one was last seen `State:none`.
        dir: "ddl-prefix",
        lines: (32, 32, 0, 0),
        jobs: &[
            (184, "synced"),
            (186, "synced"),
            (188, "synced"),
            (190, "synced"),
            (192, "queueing"),
        ],
        instances: &["tidb-1"],
        exit: 0,
    },
    Shape {
        // DEBUG to FATAL, upper, title and lower case.
        dir: "levels",
        lines: (36, 36, 0, 0),
        jobs: &[(91, "synced"), (93, "synced"), (95, "synced")],
        instances: &["levels"],
        exit: 0,
    },
    Shape {
        dir: "kubectl",
        lines: (30, 30, 0, 0),
        jobs: &[(228, "synced"), (230, "synced"), (232, "queueing")],
        instances: &["basic-tidb-0", "basic-tidb-1"],
        exit: 0,
    },
    Shape {
        dir: "ci-prefix",
        lines: (30, 30, 0, 0),
        jobs: &[(66, "synced"), (68, "synced"), (70, "queueing")],
        instances: &["ci-prefix"],
        exit: 0,
    },
    Shape {
        dir: "pipe-prefix",
        lines: (30, 30, 0, 0),
        jobs: &[(102, "synced"), (104, "synced")],
        instances: &["pipe-prefix"],
        exit: 0,
    },
    Shape {
        // A lone time line before each record: 25 of them are no records (the first, before
        // any record, is unparsed).
        dir: "grafana",
        lines: (50, 25, 24, 1),
        jobs: &[(78, "synced"), (80, "synced")],
        instances: &["grafana"],
        exit: 0,
    },
    Shape {
        dir: "query-tool",
        lines: (30, 30, 0, 0),
        jobs: &[(75, "synced"), (77, "synced"), (79, "queueing")],
        instances: &["127.0.0.1:4000", "127.0.0.1:4001"],
        exit: 0,
    },
    Shape {
        // Go std-log lines (embedded pebble) between the records are records of their own.
        dir: "go-std",
        lines: (32, 32, 0, 0),
        jobs: &[(91, "synced"), (93, "synced")],
        instances: &["go-std"],
        exit: 0,
    },
    Shape {
        // Backticks, `~~`, `> `, a lost `[`; the comment's prose is not records.
        dir: "markdown",
        lines: (33, 28, 3, 2),
        jobs: &[(78, "synced"), (80, "synced"), (82, "queueing")],
        instances: &["markdown"],
        exit: 0,
    },
    Shape {
        // 16 JSON records pretty-printed over 145 lines.
        dir: "json-pretty",
        lines: (145, 16, 129, 0),
        jobs: &[(62, "synced")],
        instances: &["json-pretty"],
        exit: 0,
    },
    Shape {
        dir: "json-lines",
        lines: (28, 28, 0, 0),
        jobs: &[(64, "synced"), (66, "synced")],
        instances: &["json-lines"],
        exit: 0,
    },
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `ddldiag analyze --format json [extra] fixtures/shapes/<dir>`, from the repository root.
fn analyze(dir: &str, extra: &[&str]) -> (i32, Value) {
    let out = Command::cargo_bin("ddldiag")
        .unwrap()
        .current_dir(root())
        .args(["analyze", "--format", "json"])
        .args(extra)
        .arg(format!("fixtures/shapes/{dir}"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{dir}: no report ({e}): {stderr}"));
    (out.status.code().unwrap(), report)
}

/// The report without what a second run may change (nothing should; times are the logs').
fn comparable(mut r: Value) -> Value {
    r["tool"] = Value::Null;
    r
}

#[test]
fn every_shape_parses() {
    let mut failures = Vec::new();
    let mut table =
        String::from("\nshape             lines records cont unparsed  parse rate  jobs\n");
    let (mut all_lines, mut all_records) = (0, 0);
    for s in SHAPES {
        let (code, r) = analyze(s.dir, &[]);
        let files = r["inputs"][0]["files"].as_array().unwrap();
        assert_eq!(files.len(), 1, "{}", s.dir);
        let f = &files[0];
        let n = |k: &str| f[k].as_u64().unwrap();
        let got = (n("lines"), n("records"), n("continuations"), n("unparsed"));
        let mut problems = Vec::new();
        if f["kind"] != "tidb_log" {
            problems.push(format!("kind {}", f["kind"]));
        }
        if got != s.lines {
            problems.push(format!(
                "lines/records/cont/unparsed {got:?}, want {:?}",
                s.lines
            ));
        }
        let jobs: Vec<(i64, String)> = r["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| {
                (
                    j["job_id"].as_i64().unwrap(),
                    j["outcome"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want: Vec<(i64, String)> = s.jobs.iter().map(|(i, o)| (*i, o.to_string())).collect();
        if jobs != want {
            problems.push(format!("jobs {jobs:?}, want {want:?}"));
        }
        if jobs.iter().any(|(_, o)| o == "none") {
            problems.push("an outcome is `none`".into());
        }
        let inst: Vec<&str> = r["jobs"][0]["instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap())
            .collect();
        if inst != s.instances {
            problems.push(format!("instances {inst:?}, want {:?}", s.instances));
        }
        if code != s.exit || r["summary"]["exit_code"] != s.exit {
            problems.push(format!("exit {code}, want {}", s.exit));
        }
        if r["summary"]["complete"] != true {
            problems.push(format!("incomplete: {}", r["inputs"][0]["error"]));
        }
        let (_, full) = analyze(s.dir, &["--full-parse"]);
        if comparable(full) != comparable(r.clone()) {
            problems.push("--full-parse changes the report".into());
        }
        all_lines += got.0;
        all_records += got.1;
        table.push_str(&format!(
            "{:<17} {:>5} {:>7} {:>4} {:>8}  {:>9.1}%  {}\n",
            s.dir,
            got.0,
            got.1,
            got.2,
            got.3,
            100.0 * got.1 as f64 / s.lines.1.max(1) as f64,
            jobs.len()
        ));
        failures.extend(problems.into_iter().map(|p| format!("{}: {p}", s.dir)));
    }
    table.push_str(&format!(
        "all shapes: {all_records} records in {all_lines} lines, every record line read\n"
    ));
    println!("{table}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every folder under `fixtures/shapes/` is in the table above: a new shape cannot be added
/// without its expectations.
#[test]
fn every_shape_fixture_is_checked() {
    let mut dirs: Vec<String> = std::fs::read_dir(root().join("fixtures/shapes"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = SHAPES.iter().map(|s| s.dir.to_string()).collect();
    listed.sort();
    assert_eq!(dirs, listed);
    for s in SHAPES {
        let dir = root().join("fixtures/shapes").join(s.dir);
        let lines: usize = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                let data = std::fs::read(e.unwrap().path()).unwrap();
                data.iter().filter(|&&b| b == b'\n').count()
            })
            .sum();
        assert!(lines >= 20, "{}: {lines} lines, at least 20 wanted", s.dir);
    }
}

/// The pre-2019 job that went on over SQL lines keeps its SQL (and so its table); the 2018
/// rollback without a cause is the unclassified-rollback warning, which fails `--fail-on
/// warning`.
#[test]
fn pre_2019_details() {
    let (_, r) = analyze("legacy-2017", &[]);
    let job = &r["jobs"][0];
    assert_eq!(job["table"], "sbtest1");
    let q = job["query"].as_str().unwrap();
    assert!(q.starts_with("CREATE TABLE `sbtest1` (\n\t`id`"), "{q:?}");
    assert_eq!(r["jobs"][1]["rows"], 165059);
    let (code, r) = analyze("legacy-2018", &["--fail-on", "warning"]);
    assert_eq!(code, 1);
    assert_eq!(r["findings"][0]["rule"], "DDL008");
    assert_eq!(
        r["jobs"][1]["query"],
        "create table t2 (a int primary key,\n\tb varchar(64),\n\tc datetime)"
    );
}
