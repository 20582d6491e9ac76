//! `ddldiag diff GOOD... -- BAD...` end to end (issue #7, part 3).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
}

fn diff(args: &[&std::ffi::OsStr]) -> (Option<i32>, String, String) {
    let out = Command::cargo_bin("ddldiag")
        .unwrap()
        .arg("diff")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `diff --format json GOOD -- BAD`: exit code and the parsed report.
fn diff_json(good: &Path, bad: &Path) -> (Option<i32>, Value) {
    let (code, out, err) = diff(&[
        "--format".as_ref(),
        "json".as_ref(),
        "-q".as_ref(),
        good.as_os_str(),
        "--".as_ref(),
        bad.as_os_str(),
    ]);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v)
}

fn rules(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

#[test]
fn clean_run_vs_seed_is_worse() {
    let (code, d) = diff_json(
        &fixture("clean-v6.1.0"),
        &fixture("seed-50417/tidb-0.tar.gz"),
    );
    assert_eq!(code, Some(1));
    assert_eq!(d["summary"]["exit_code"], 1);
    let mut new = rules(&d["new_findings"]);
    new.sort();
    assert_eq!(new, vec!["DDL001", "DDL002", "DDL003"]);
    assert!(rules(&d["fixed_findings"]).is_empty());
    let errors: Vec<&str> = d["new_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(errors, vec!["tikv:9005"]);
    // The seed's add index is new and did not succeed: a regression.
    let job = d["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["bad_job_id"] == 491)
        .unwrap();
    assert_eq!(job["change"], "new");
    assert_eq!(job["regression"], true);
    assert_eq!(d["good"]["complete"], true);
    assert_eq!(d["bad"]["complete"], true);
}

#[test]
fn clean_run_vs_seed_table() {
    let (code, out, _) = diff(&[
        "--color".as_ref(),
        "never".as_ref(),
        fixture("clean-v6.1.0").as_os_str(),
        "--".as_ref(),
        fixture("seed-50417/tidb-0.tar.gz").as_os_str(),
    ]);
    assert_eq!(code, Some(1));
    for want in ["New findings in BAD (3)", "DDL001", "tikv:9005", "→ exit 1"] {
        assert!(out.contains(want), "{want:?} missing:\n{out}");
    }
}

#[test]
fn same_bundle_on_both_sides_is_not_worse() {
    let seed = fixture("seed-50417/tidb-0.tar.gz");
    let (code, d) = diff_json(&seed, &seed);
    assert_eq!(code, Some(0));
    assert!(d["new_findings"].as_array().unwrap().is_empty());
    assert!(d["fixed_findings"].as_array().unwrap().is_empty());
    assert!(d["new_errors"].as_array().unwrap().is_empty());
    assert!(d["new_fault_kinds"].as_array().unwrap().is_empty());
    assert!(d["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|j| j["change"] == "same"));
    // Also with the strictest gate: findings present on both sides are not new.
    let (code, _, _) = diff(&[
        "--fail-on".as_ref(),
        "info".as_ref(),
        seed.as_os_str(),
        "--".as_ref(),
        seed.as_os_str(),
    ]);
    assert_eq!(code, Some(0));
}

const JOB: &str = "Type:add index, SchemaID:2, RowCount:0, ArgLen:0, Err:<nil>, ErrCount:0";

/// One `alter table t add index i(c)` job with id `id` that ends `synced` or rolls back on a
/// duplicate entry.
fn tiny_log(dir: &Path, id: i64, query: &str, synced: bool) {
    let job = |state: &str, schema: &str| {
        format!("ID:{id}, {JOB}, State:{state}, SchemaState:{schema}, TableID:90, start time: 2024-05-01 10:00:00.1 +0000 UTC, SnapshotVersion:1")
    };
    let mut lines = vec![
        format!(
            r#"[2024/05/01 10:00:00.100 +00:00] [INFO] [ddl.go:1188] ["start DDL job"] [category=ddl] [job="{}"] [query="{query}"]"#,
            job("queueing", "none")
        ),
        format!(
            r#"[2024/05/01 10:00:00.200 +00:00] [INFO] [ddl_worker.go:1156] ["run DDL job"] [worker="worker 2, tp add index"] [category=ddl] [jobID={id}] [job="{}"]"#,
            job("running", "write reorganization")
        ),
    ];
    if synced {
        lines.push(format!(r#"[2024/05/01 10:00:01.000 +00:00] [INFO] [ddl_worker.go:610] ["finish DDL job"] [worker="worker 2, tp add index"] [category=ddl] [jobID={id}] [job="{}"]"#, job("synced", "public")));
    } else {
        lines.push(format!(r#"[2024/05/01 10:00:00.900 +00:00] [WARN] [index.go:1087] ["import index duplicate key, convert job to rollback"] [category=ddl] [job="{}"] [error="[kv:1062]Duplicate entry '7' for key 't.i'"]"#, job("running", "write reorganization")));
        lines.push(format!(r#"[2024/05/01 10:00:01.000 +00:00] [INFO] [ddl_worker.go:610] ["finish DDL job"] [worker="worker 2, tp add index"] [category=ddl] [jobID={id}] [job="{}"]"#, job("rollback done", "none")));
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("tidb.log"), lines.join("\n") + "\n").unwrap();
}

#[test]
fn same_statement_with_other_ids_is_matched() {
    let tmp = tempfile::tempdir().unwrap();
    let (good, bad) = (tmp.path().join("good"), tmp.path().join("bad"));
    tiny_log(&good, 100, "alter table t add index i(c)", true);
    // Another id, and the spelling a different client would send.
    tiny_log(&bad, 205, "ALTER TABLE `t`  ADD INDEX i(c);", false);
    let (code, d) = diff_json(&good, &bad);
    assert_eq!(code, Some(1));
    let jobs = d["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let j = &jobs[0];
    assert_eq!(j["key"]["query"], "alter table t add index i(c)");
    assert_eq!(j["good_job_id"], 100);
    assert_eq!(j["bad_job_id"], 205);
    assert_eq!(j["good_outcome"], "synced");
    assert_eq!(j["bad_outcome"], "rollback done");
    assert_eq!(j["change"], "worse");
    assert_eq!(j["regression"], true);
    assert_eq!(rules(&d["new_findings"]), vec!["DDL006"]);
    assert_eq!(d["new_errors"][0]["kind"], "kv:1062");
    assert_eq!(d["summary"]["jobs"]["worse"], 1);

    // The other way round it is better, and DDL006 is fixed: not worse, exit 0.
    let (code, d) = diff_json(&bad, &good);
    assert_eq!(code, Some(0));
    assert_eq!(d["jobs"][0]["change"], "better");
    assert_eq!(rules(&d["fixed_findings"]), vec!["DDL006"]);

    // `--fail-on never`: the diff is a report only.
    let (code, _, _) = diff(&[
        "--fail-on".as_ref(),
        "never".as_ref(),
        good.as_os_str(),
        "--".as_ref(),
        bad.as_os_str(),
    ]);
    assert_eq!(code, Some(0));
}

#[test]
fn damaged_side_exits_3() {
    let truncated = fixture("inputs/truncated.tar.gz");
    let seed = fixture("seed-50417/tidb-0.tar.gz");
    let (code, d) = diff_json(&seed, &truncated);
    assert_eq!(code, Some(3));
    assert_eq!(d["bad"]["complete"], false);
    assert_eq!(d["summary"]["complete"], false);
    let (code, d) = diff_json(&truncated, &seed);
    assert_eq!(code, Some(3), "damage wins on the GOOD side too");
    assert_eq!(d["good"]["complete"], false);
}

#[test]
fn usage_errors_exit_2() {
    let seed = fixture("seed-50417/tidb-0.tar.gz");
    // No `--`: clap cannot tell GOOD from BAD.
    let (code, _, err) = diff(&[seed.as_os_str(), seed.as_os_str()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("-- <BAD>"), "{err}");
    // An empty side.
    let (code, _, _) = diff(&[seed.as_os_str(), "--".as_ref()]);
    assert_eq!(code, Some(2));
    let (code, _, _) = diff(&["--".as_ref(), seed.as_os_str()]);
    assert_eq!(code, Some(2));
    // Formats diff does not write.
    let (code, _, err) = diff(&[
        "--format".as_ref(),
        "sarif".as_ref(),
        seed.as_os_str(),
        "--".as_ref(),
        seed.as_os_str(),
    ]);
    assert_eq!(code, Some(2));
    // clap refuses it, listing the two formats diff writes.
    assert!(err.contains("[possible values: table, json]"), "{err}");
    // Nothing readable on one side.
    let (code, _, _) = diff(&[
        "-q".as_ref(),
        seed.as_os_str(),
        "--".as_ref(),
        "/nonexistent/ddldiag-diff".as_ref(),
    ]);
    assert_eq!(code, Some(2));
}

#[test]
fn output_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("diff.json");
    let seed = fixture("seed-50417/tidb-0.tar.gz");
    let (code, stdout, _) = diff(&[
        "--format".as_ref(),
        "json".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
        seed.as_os_str(),
        "--".as_ref(),
        seed.as_os_str(),
    ]);
    assert_eq!(code, Some(0));
    assert!(stdout.is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(v["schema_version"], 1);
}

#[test]
fn fault_window_kinds_new_in_bad() {
    let (code, d) = diff_json(&fixture("clean-v6.1.0"), &fixture("fault-window"));
    assert_eq!(code, Some(1));
    let kinds: Vec<&str> = d["new_fault_kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"peer_unreachable"), "{kinds:?}");
    // Same bundle both sides: no fault kind is new.
    let (code, d) = diff_json(&fixture("fault-window"), &fixture("fault-window"));
    assert_eq!(code, Some(0));
    assert!(d["new_fault_kinds"].as_array().unwrap().is_empty());
}
