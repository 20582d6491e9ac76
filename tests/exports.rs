//! `ddldiag events --format jsonl` and `--format trace` (on `events` and `analyze`).

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
}

fn run(args: &[&str], input: &str) -> (Option<i32>, String) {
    let out = Command::cargo_bin("ddldiag")
        .unwrap()
        .args(args)
        .arg(fixture(input))
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn every_jsonl_line_parses_and_names_its_line() {
    let (code, out) = run(&["events"], "seed-50417/tidb-0.tar.gz");
    assert_eq!(code, Some(0));
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() >= 20, "{} events", lines.len());
    for v in &lines {
        for k in [
            "kind", "ts", "instance", "job_id", "task_id", "error", "file", "line", "text",
        ] {
            assert!(v.get(k).is_some(), "{k} in {v}");
        }
        assert!(v["line"].as_u64().unwrap() >= 1);
    }
    let ts: Vec<&str> = lines.iter().filter_map(|v| v["ts"].as_str()).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "time order");
    assert!(lines
        .iter()
        .any(|v| v["kind"] == "convert_to_rollback" && v["job_id"] == 491));
    // The same through `analyze --format jsonl --job` (only lines tied to that job).
    let (_, a) = run(
        &["analyze", "--format", "jsonl", "--job", "491"],
        "seed-50417/tidb-0.tar.gz",
    );
    assert!(a.lines().count() >= 10 && a.lines().all(|l| l.contains("\"job_id\":491")));
}

fn check_trace(out: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(out).unwrap();
    let evs = v["traceEvents"].as_array().unwrap().clone();
    assert!(!evs.is_empty());
    for e in &evs {
        let ph = e["ph"].as_str().unwrap();
        assert!(
            e["name"].is_string() && e["pid"].is_u64() && e.get("tid").is_some(),
            "{e}"
        );
        match ph {
            "X" => {
                assert!(e["ts"].as_i64().is_some(), "{e}");
                assert!(e["dur"].as_i64().unwrap() >= 0, "negative duration {e}");
            }
            "i" => assert!(e["ts"].as_i64().is_some() && e["s"].is_string(), "{e}"),
            "M" => assert!(e["args"]["name"].is_string(), "{e}"),
            other => panic!("unexpected ph {other}"),
        }
    }
    evs
}

#[test]
fn trace_has_states_errors_rollback_and_fault_windows() {
    let (code, out) = run(&["events", "--format", "trace"], "fault-window");
    assert_eq!(code, Some(0));
    let evs = check_trace(&out);
    let has = |ph: &str, name: &str| evs.iter().any(|e| e["ph"] == ph && e["name"] == name);
    assert!(has("X", "running / write reorganization"));
    assert!(has("i", "rollback"));
    assert!(has("i", "error"));
    assert!(has("X", "fault window"));
    assert!(evs
        .iter()
        .any(|e| e["ph"] == "M" && e["name"] == "process_name" && e["args"]["name"] == "tikv-1"));
    let (code, out) = run(
        &["analyze", "--format", "trace"],
        "seed-50417/tidb-0.tar.gz",
    );
    assert_eq!(code, Some(1), "analyze keeps its exit code");
    check_trace(&out);
}

#[test]
fn events_refuses_report_formats() {
    let (code, _) = run(&["events", "--format", "sarif"], "seed-50417/tidb-0.tar.gz");
    assert_eq!(code, Some(2));
}
