//! The failure-family catalogue on the real corpus (issue 12's table): each row names a case of
//! `../shared/corpus`, the rule an expert expects on it, and the values the finding must name
//! (the blocker: an instance, a path, a task, an issue). Rows are added as rules land; each must
//! hold. Without the corpus the test fails under CI and says it skipped elsewhere.

mod common;

use std::path::PathBuf;

/// (case, rule, strings the finding's title + explanation + suggestion + known issues must hold).
const EXPECTED: &[(&str, &str, &[&str])] = &[
    // Rows are added by the rules that diagnose them.
];

#[test]
fn every_catalogue_case_gets_its_diagnosis() {
    let Some(corpus) = common::corpus_or_skip("corpus_catalogue", "nothing") else {
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut broken = Vec::new();
    for (case, rule, must) in EXPECTED {
        let dir = corpus.join(case);
        assert!(dir.is_dir(), "corpus case {case} missing");
        let run = common::analyze_in(&root, &[&dir], &[]);
        let found: Vec<String> = run.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == *rule)
            .map(|f| {
                format!(
                    "{} {} {} {}",
                    f["title"], f["explanation"], f["suggestion"], f["known_issues"]
                )
            })
            .collect();
        if found.is_empty() {
            broken.push(format!(
                "{case}: no {rule}; got {:?}",
                run.report["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["rule"].clone())
                    .collect::<Vec<_>>()
            ));
            continue;
        }
        for m in *must {
            if !found.iter().any(|t| t.contains(m)) {
                broken.push(format!("{case}: {rule} does not name {m:?}: {found:?}"));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
