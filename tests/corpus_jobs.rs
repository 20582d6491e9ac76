//! Walks `../shared/corpus`: every case's `case.json` names jobs and the state they ended in;
//! ddldiag must find each job with that state. A new case folder is covered without new code.

use std::collections::BTreeMap;
use std::path::Path;

use ddldiag::analyze::{self, Options};
use ddldiag::source::Input;
use ddldiag::timeline::JobTimeline;
use serde_json::Value;

mod common;

/// Store UUIDs in the order a file opens them (`"new domain"` lines): the case files' `store_epoch`.
fn store_epochs(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().filter(|l| l.contains("[\"new domain\"]")) {
        if let Some(i) = line.find("[store=") {
            let id: String = line[i + 7..].chars().take_while(|c| *c != ']').collect();
            if out.last() != Some(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// What an issue's free-text `observed_outcome` says about the final state, when it says it plainly.
fn issue_expectation(observed: &str) -> Option<&'static str> {
    let o = observed.to_ascii_lowercase();
    if o.starts_with("stuck running") {
        Some("running")
    } else if o.starts_with("success (synced)") {
        Some("synced")
    } else {
        None
    }
}

#[test]
fn corpus_jobs_have_their_recorded_final_state() {
    let cases = common::corpus_cases("corpus_jobs_have_their_recorded_final_state");
    let (mut checked, mut right) = (0usize, 0usize);
    let mut failures: Vec<String> = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let meta: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("case.json")).unwrap())
                .unwrap();
        let a = analyze::run(&[Input::Path(case.clone())], &Options::default())
            .expect("no worker panicked");
        assert!(
            a.complete(),
            "{name}: input not read completely: {:?}",
            a.outcomes
        );
        let by_id: BTreeMap<i64, Vec<&JobTimeline>> =
            a.timelines.jobs.iter().fold(BTreeMap::new(), |mut m, j| {
                m.entry(j.job_id).or_insert_with(Vec::new).push(j);
                m
            });
        let mut check = |id: i64, want: &str, candidates: Vec<&JobTimeline>, what: String| {
            checked += 1;
            match candidates.as_slice() {
                [j] if j.outcome == want => right += 1,
                [j] => failures.push(format!(
                    "{name}: job {id}{what}: want {want}, got {}",
                    j.outcome
                )),
                [] => failures.push(format!("{name}: job {id}{what}: not found")),
                many => failures.push(format!("{name}: job {id}{what}: {} candidates", many.len())),
            }
        };
        if let Some(jobs) = meta.get("jobs").and_then(Value::as_array) {
            for job in jobs {
                let id = job["job_id"].as_i64().unwrap();
                let want = job["final_state"].as_str().unwrap();
                let all = by_id.get(&id).cloned().unwrap_or_default();
                let candidates = match job.get("store_epoch").and_then(Value::as_u64) {
                    Some(epoch) => {
                        let file = match job.get("log_file").and_then(Value::as_str) {
                            Some(f) => case.join(f),
                            None => case.join("tidb.log"),
                        };
                        let stores = store_epochs(&file);
                        let store = stores.get(epoch as usize - 1).cloned();
                        all.into_iter()
                            .filter(|j| j.store.as_deref() == store.as_deref())
                            .collect()
                    }
                    None => all,
                };
                let what = job
                    .get("store_epoch")
                    .map(|e| format!(" (store epoch {e})"))
                    .unwrap_or_default();
                check(id, want, candidates, what);
            }
        } else if let (Some(ids), Some(want)) = (
            meta.get("job_ids").and_then(Value::as_array),
            meta.get("observed_outcome")
                .and_then(Value::as_str)
                .and_then(issue_expectation),
        ) {
            let text: String = std::fs::read_dir(case)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "log"))
                .map(|p| std::fs::read_to_string(p).unwrap_or_default())
                .collect();
            for id in ids.iter().filter_map(Value::as_i64) {
                // An excerpt that never names the job cannot be held to it.
                if !text.contains(&id.to_string()) {
                    continue;
                }
                check(
                    id,
                    want,
                    by_id.get(&id).cloned().unwrap_or_default(),
                    String::new(),
                );
            }
        }
    }
    println!(
        "corpus: {right}/{checked} jobs with the recorded final state, {} cases",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} corpus jobs wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
