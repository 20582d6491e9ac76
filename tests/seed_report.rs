//! The report on the real seed bundle, end to end through the binary, in every format.
//!
//! Snapshots live in `tests/snapshots/`; each was read against the 25 seed lines by hand (job
//! 491, ErrCount 510 → 511, task 210029 reverted three times, rollback on line 22). The JSON is
//! also validated against the schema that `ddldiag schema` prints.

use assert_cmd::Command;

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::cargo_bin("ddldiag")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

const SEED: &str = "fixtures/seed-50417/tidb-0.tar.gz";

#[test]
fn seed_json_matches_schema_and_snapshot() {
    let (code, json) = run(&["analyze", "--format", "json", SEED]);
    assert_eq!(code, Some(1));
    let (_, schema) = run(&["schema"]);
    let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
    let compiled = jsonschema::JSONSchema::compile(&schema).expect("schema compiles");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    if let Err(errors) = compiled.validate(&report) {
        let msgs: Vec<String> = errors
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        panic!(
            "seed report does not match the schema:\n{}",
            msgs.join("\n")
        );
    }
    assert_eq!(report["summary"]["exit_code"], 1);
    insta::assert_snapshot!("seed_json", json);
}

#[test]
fn seed_table_snapshot() {
    let (code, table) = run(&["analyze", "--color", "never", SEED]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!("seed_table", table);
}

#[test]
fn seed_markdown_snapshot() {
    let (_, md) = run(&["analyze", "--format", "markdown", SEED]);
    assert!(md.len() < 60_000);
    insta::assert_snapshot!("seed_markdown", md);
}

#[test]
fn seed_sarif_snapshot() {
    let (_, sarif) = run(&["analyze", "--format", "sarif", SEED]);
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .contains("tidb-0.tar.gz"));
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(!r["partialFingerprints"].as_object().unwrap().is_empty());
    }
    insta::assert_snapshot!("seed_sarif", sarif);
}

#[test]
fn seed_junit_snapshot() {
    let (_, xml) = run(&["analyze", "--format", "junit", SEED]);
    assert!(xml.contains("<failure"));
    insta::assert_snapshot!("seed_junit", xml);
}

#[test]
fn seed_timeline_snapshot() {
    let (code, t) = run(&["timeline", "--job", "491", "--color", "never", SEED]);
    assert_eq!(code, Some(0));
    insta::assert_snapshot!("seed_timeline", t);
}
