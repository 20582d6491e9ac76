//! Fault windows end to end: the `fixtures/fault-window` bundle holds the #50417 seed log preceded
//! by a ~2.5-minute owner↔TiKV partition (TiDB-side client-go lines and TiKV `connection aborted`
//! lines), built by `fixtures/make_fault_window.sh` from confirmed signal messages only.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
}

fn json(args: &[&str], input: &str) -> Value {
    let out = Command::cargo_bin("ddldiag")
        .unwrap()
        .args(["analyze", "--format", "json", "--fail-on", "never"])
        .args(args)
        .arg(fixture(input))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn cluster(r: &Value) -> Vec<&Value> {
    r["fault_windows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["scope"] == "cluster")
        .collect()
}

#[test]
fn partition_becomes_one_cluster_window() {
    let r = json(&[], "fault-window");
    let c = cluster(&r);
    assert_eq!(c.len(), 1, "{:#}", r["fault_windows"]);
    let w = c[0];
    assert_eq!(w["start"], "2024-01-13T19:03:40.118+08:00");
    assert_eq!(w["end"], "2024-01-13T19:06:12.390+08:00");
    assert_eq!(w["instances"], serde_json::json!(["tidb-0", "tikv-1"]));
    let kinds: Vec<&str> = w["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    for k in [
        "store_unreachable",
        "peer_unreachable",
        "backoff_exhausted",
        "tso",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    // The job's own `Region is unavailable` lines are DDL events, not signals: only the one
    // non-DDL line (`scan region failed`) counts.
    let region = w["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "region_unavailable")
        .unwrap();
    assert_eq!(region["count"], 1);
    // Per-instance windows are there too, with evidence lines that name file and line.
    let inst: Vec<&Value> = r["fault_windows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["scope"] == "instance")
        .collect();
    assert_eq!(inst.len(), 2);
    assert!(inst
        .iter()
        .all(|w| w["evidence"].as_array().is_some_and(|e| !e.is_empty())));
}

#[test]
fn findings_say_how_long_after_the_fault_the_job_gave_up() {
    let r = json(&[], "fault-window");
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "DDL001")
        .unwrap();
    let fo = &f["fault_overlap"];
    assert_eq!(fo["job_gave_up"], "2024-01-13T19:21:11.461+08:00");
    assert_eq!(fo["gave_up_after_window_secs"], 899);
    assert_eq!(
        fo["note"],
        "the fault window on tidb-0, tikv-1 ended at 19:06:12; the job kept retrying until 19:21:11 (15m after)"
    );
}

#[test]
fn seed_alone_has_no_window_and_no_overlap_field() {
    let r = json(&[], "seed-50417/tidb-0.tar.gz");
    assert_eq!(r["fault_windows"], serde_json::json!([]));
    for f in r["findings"].as_array().unwrap() {
        assert!(f.get("fault_overlap").is_none(), "{f:#}");
    }
}

#[test]
fn until_cuts_signals_too() {
    let r = json(&["--until", "2024-01-13T19:04:00+08:00"], "fault-window");
    let c = cluster(&r);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["end"], "2024-01-13T19:03:41.530+08:00");
}

#[test]
fn report_with_windows_matches_the_schema() {
    let r = json(&[], "fault-window");
    let schema = Command::cargo_bin("ddldiag")
        .unwrap()
        .arg("schema")
        .output()
        .unwrap();
    let schema: Value = serde_json::from_slice(&schema.stdout).unwrap();
    let compiled = jsonschema::JSONSchema::compile(&schema).unwrap();
    if let Err(errs) = compiled.validate(&r) {
        let msgs: Vec<String> = errs
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        panic!("{}", msgs.join("\n"));
    };
}

#[test]
fn table_and_markdown_show_windows_briefly() {
    for fmt in ["table", "markdown"] {
        let out = Command::cargo_bin("ddldiag")
            .unwrap()
            .args(["analyze", "--color", "never", "--format", fmt])
            .arg(fixture("fault-window"))
            .output()
            .unwrap();
        // Markdown escapes the punctuation of report prose (`\(15m after\)`): compare the
        // text it renders to.
        let s = String::from_utf8_lossy(&out.stdout).replace('\\', "");
        assert!(s.contains("Fault windows (1)"), "{fmt}");
        assert!(s.contains("(15m after)"), "{fmt}");
    }
}
