//! Every finding obeys the rules of failure-families.md §1, on every corpus case and fixture.
//!
//! Each check reads the real report (the binary on a real log) and tests a sentence of advice
//! against the fact that makes it true, computed here from the report's own job data and
//! evidence lines, independently of the rules' code:
//! - no `SET GLOBAL tidb_ddl_error_count_limit` unless ErrCount reached the limit and a retry
//!   could have succeeded (rule 3);
//! - no `ADMIN CANCEL DDL JOBS <id>` for a job that is queued, paused, already cancelling or
//!   rolling back, or finished (rule 4);
//! - no TiKV / PD health advice unless an error of the job came from TiKV or PD (rule 5);
//! - no zero-length window "between t and t" (rule 15);
//! - at most one finding per (rule, job), and no evidence line used by two job-less findings of
//!   one rule (rule 1).

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Every fixture input (bundles, logs, directories of one cluster) and every corpus case.
fn inputs() -> Vec<PathBuf> {
    let fx = common::fixture("");
    let mut out: Vec<PathBuf> = vec![
        fx.join("seed-50417/tidb-0.tar.gz"),
        fx.join("owner-move"),
        fx.join("fault-window"),
        fx.join("clean-v6.1.0/tidb.log"),
    ];
    let rules = fx.join("rules");
    for code in sorted_dir(&rules) {
        if code.is_dir() {
            out.extend(
                sorted_dir(&code)
                    .into_iter()
                    .filter(|p| !p.ends_with("README.md")),
            );
        }
    }
    out.extend(common::corpus_cases("finding_guards"));
    out
}

fn sorted_dir(d: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(d)
        .map(|r| r.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// The TiKV / PD errors of rule 5: TiKV's `[tikv:9001]`–`[tikv:9013]` except the GC life time
/// (9006), region / leader / epoch errors, PD and TSO timeouts, server busy, disk full.
fn from_tikv_or_pd(err: &str) -> bool {
    let e = err.to_ascii_lowercase();
    let tikv_code = (9001..=9013)
        .filter(|c| *c != 9006)
        .any(|c| e.contains(&format!("[tikv:{c}]")));
    tikv_code
        || [
            "region is unavailable",
            "not leader",
            "notleader",
            "epoch not match",
            "epochnotmatch",
            "region not found",
            "pd server timeout",
            "tso",
            "server is busy",
            "serverisbusy",
            "disk full",
            "tikv server timeout",
        ]
        .iter()
        .any(|n| e.contains(n))
}

fn job_errors(job: &Value) -> Vec<String> {
    job["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["text"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_finding_obeys_the_rules_of_every_finding() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    let mut broken: Vec<String> = Vec::new();
    let window =
        regex::Regex::new(r"between (\d\d:\d\d:\d\d\.\d\d\d) and (\d\d:\d\d:\d\d\.\d\d\d)")
            .unwrap();
    for input in inputs() {
        let run = common::analyze_in(&root, &[&input], &[]);
        let r = &run.report;
        let jobs: BTreeMap<i64, &Value> = r["jobs"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|j| Some((j["job_id"].as_i64()?, j)))
                    .collect()
            })
            .unwrap_or_default();
        let mut per_rule_job: HashSet<(String, i64)> = HashSet::new();
        let mut jobless_lines: HashSet<(String, String, u64)> = HashSet::new();
        let name = input
            .strip_prefix(&root)
            .unwrap_or(&input)
            .display()
            .to_string();
        for f in r["findings"].as_array().into_iter().flatten() {
            checked += 1;
            let rule = f["rule"].as_str().unwrap_or("").to_string();
            let text = format!(
                "{} {} {}",
                f["title"].as_str().unwrap_or(""),
                f["explanation"].as_str().unwrap_or(""),
                f["suggestion"].as_str().unwrap_or("")
            );
            let sug = f["suggestion"].as_str().unwrap_or("");
            let mut bad = |why: &str| broken.push(format!("{name}: {rule}: {why}"));
            for c in window.captures_iter(&text) {
                if c[1] == c[2] {
                    bad(&format!("zero-length window {}", &c[0]));
                }
            }
            let job = f["job_id"].as_i64().and_then(|id| jobs.get(&id).copied());
            match f["job_id"].as_i64() {
                Some(id) => {
                    if !per_rule_job.insert((rule.clone(), id)) {
                        bad(&format!("two findings for job {id}"));
                    }
                }
                None => {
                    for e in f["evidence"].as_array().into_iter().flatten() {
                        let key = (
                            rule.clone(),
                            e["file"].as_str().unwrap_or("").to_string(),
                            e["line"].as_u64().unwrap_or(0),
                        );
                        if !jobless_lines.insert(key.clone()) {
                            bad(&format!(
                                "line {}:{} in two job-less findings",
                                key.1, key.2
                            ));
                        }
                    }
                }
            }
            let Some(job) = job else { continue };
            let id = job["job_id"].as_i64().unwrap_or(0);
            let outcome = job["outcome"].as_str().unwrap_or("");
            let errors = job_errors(job);
            if sug.contains("SET GLOBAL tidb_ddl_error_count_limit") {
                let max = job["max_err_count"].as_u64().unwrap_or(0);
                let limit_line = f["evidence"].as_array().into_iter().flatten().any(|e| {
                    e["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("error count exceed the limit"))
                });
                if max + 1 < 512 && !limit_line {
                    bad(&format!("limit advice at ErrCount {max}"));
                }
                let reverted_loop = job["dist_task"]["not_resumable"].as_u64().unwrap_or(0) > 1;
                if reverted_loop {
                    bad("limit advice for a re-attach loop on a reverted DXF task");
                }
                if !errors
                    .iter()
                    .any(|e| from_tikv_or_pd(e) || e.contains("deadline exceeded"))
                {
                    bad("limit advice for an error no retry could outlast");
                }
            }
            if sug.contains(&format!("ADMIN CANCEL DDL JOBS {id}"))
                && !matches!(outcome, "running" | "none")
            {
                bad(&format!("ADMIN CANCEL for a job that is `{outcome}`"));
            }
            let tikv_advice =
                sug.contains("TiKV and PD health") || sug.contains("PD and TSO health");
            if tikv_advice && !errors.iter().any(|e| from_tikv_or_pd(e)) {
                bad(&format!("TiKV/PD advice for errors {errors:?}"));
            }
        }
    }
    assert!(checked > 0, "no finding was checked at all");
    assert!(
        broken.is_empty(),
        "{} of {checked} findings break a rule:\n{}",
        broken.len(),
        broken.join("\n")
    );
}
