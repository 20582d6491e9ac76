//! The failure-family catalogue on the real corpus (issue 12's table): each row names a case of
//! `../shared/corpus`, the rule an expert expects on it, and the values the finding must name
//! (the blocker: an instance, a path, a task, an issue). Rows are added as rules land; each must
//! hold. Without the corpus the test fails under CI and says it skipped elsewhere.

mod common;

use std::path::PathBuf;

/// (case, rule, strings the finding's title + explanation + suggestion + known issues must hold).
const EXPECTED: &[(&str, &str, &[&str])] = &[
    // Rows are added by the rules that diagnose them.
    // DDL011: the temp dir and what is wrong with it; 45456's error is only in the job string.
    (
        "issue-45456",
        "DDL011",
        &[
            "/tmp/tidb/tmp_ddl-4000",
            "does not exist",
            "The job string's `Err:` reads `[ddl:-1]cannot get disk capacity at /tmp/tidb/tmp_ddl-4000: no such file or directory`",
            "ErrCount 5",
            "pingcap/tidb#45456",
        ],
    ),
    (
        "issue-58437",
        "DDL011",
        &[
            "/var/lib/tidb-data/tmp_ddl-4000",
            "/var/lib/tidb-data/tmp_ddl-4000/687",
            "`build ingest backend failed`",
            "invalid sorted-kv-dir",
            "does not exist",
        ],
    ),
    (
        "issue-62469",
        "DDL011",
        &[
            "/var/lib/tidb-data/tmp_ddl-4000",
            "transport endpoint is not connected",
            "a mount that is gone or broken",
            "restart that tidb-server",
        ],
    ),
    // DDL014: the writer's `memory used up` was swallowed; check the index.
    (
        "issue-53792",
        "DDL014",
        &[
            "ADMIN CHECK INDEX",
            "[ddl:8247]Ingest failed: memory used up",
            "index ID 13",
            "`finish a index ingest task`",
            "pingcap/tidb#53792",
        ],
    ),
    // DDL026: the phase timings of the one executor's log.
    (
        "issue-54147",
        "DDL026",
        &[
            "read-index step finished at 15:39:56.628",
            "58s",
            "15:40:01.163",
            "15:40:42.945",
            "41s",
            "33,361,333 KVs",
            "DXF with global sort",
        ],
    ),
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
