//! The failure-family catalogue on the real corpus (issue 12's table): each row names a case of
//! `../shared/corpus`, the rule an expert expects on it, and the values the finding must name
//! (the blocker: an instance, a path, a task, an issue). Rows are added as rules land; each must
//! hold. Without the corpus the test fails under CI and says it skipped elsewhere.

mod common;

use std::path::PathBuf;

/// (case, rule, strings the finding's title + explanation + suggestion + known issues must hold).
const EXPECTED: &[(&str, &str, &[&str])] = &[
    // Rows are added by the rules that diagnose them.
    // #43755 (metadata lock on): the owner names f296efb9… (address redacted in the issue);
    // that instance's `etcd-cli put kv failed` of version 173784 for job 130222 and its
    // `update self version failed`, both `context deadline exceeded`.
    (
        "issue-43755",
        "DDL009",
        &[
            "Job 130222",
            "instance f296efb9-ed7c-4d77-b740-0692a2592685",
            "xx.xx.xx.xx:4000",
            "schema version 173784",
            "`etcd-cli put kv failed`",
            "/tidb/ddl/all_schema_by_job_versions/130222/f296efb9-ed7c-4d77-b740-0692a2592685",
            "`update self version failed`",
            "context deadline exceeded",
            "pingcap/tidb#43755",
        ],
    ),
    // #61210 (metadata lock off, no job in the excerpt): the owner waits for 4e3becf5… at
    // 1217026 < 1217027; the failed write of 1217027 in the excerpt is 037a5fde…'s, which the
    // finding must name as a different id, not pass off as the laggard's.
    (
        "issue-61210",
        "DDL009",
        &[
            "instance 4e3becf5-9448-4cd6-9208-d845b0679638",
            "schema version 1217027",
            "With the metadata lock off",
            "instance 037a5fde-1b5e-4ad1-a2a0-dfa583e6bd5e, not the id the owner waits for",
            "`etcd-cli put kv failed`",
            "`update self version failed`",
            "context deadline exceeded",
            "pingcap/tidb#61210",
        ],
    ),
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
    (
        "issue-49770",
        "DDL016",
        &[
            "pingcap/tidb#49770",
            "task 10",
            "job 125",
            "backend context not found",
            "write&ingest",
        ],
    ),
    (
        "issue-68828",
        "DDL017",
        &["pingcap/tidb#68828", "task 5", "index info not found"],
    ),
    (
        "issue-59841",
        "DDL018",
        &[
            "task 30001",
            "invalid kv range",
            "pingcap/tidb#59841",
            "SHOW IMPORT JOBS",
        ],
    ),
    (
        "issue-65173",
        "DDL018",
        &["task 150005", "retry quota", "tidb_cloud_storage_uri"],
    ),
    (
        "issue-48702",
        "DDL018",
        &["task 30001", "open new s3 reader failed"],
    ),
    ("issue-52047", "DDL018", &["task 150006", "RequestCanceled"]),
    (
        "issue-49537",
        "DDL018",
        &["pingcap/tidb#49537", "bug signature", "exceed max limit"],
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

/// Issue 12's "the IMPORT INTO task is listed": (case, the task id the logs name). 59841 and
/// 52047 name it in a `task-id` field; 65173, 48702 and 52884 only in the global-sort object
/// key `<task id>/<subtask id>/…` (`…/150005/150063/data/…`, `30001/30007/data/…`,
/// `90002/30032/data/…`), with no DDL job of that id in the logs.
const TASKS: &[(&str, i64)] = &[
    ("issue-59841", 30001),
    ("issue-52047", 150006),
    ("issue-65173", 150005),
    ("issue-48702", 30001),
    ("issue-52884", 90002),
];

#[test]
fn every_import_task_is_listed() {
    let Some(corpus) = common::corpus_or_skip("corpus_catalogue", "nothing") else {
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for (case, id) in TASKS {
        let run = common::analyze_in(&root, &[&corpus.join(case)], &[]);
        let tasks = run.report["tasks"].as_array().unwrap();
        assert!(
            tasks.iter().any(|t| t["task_id"] == *id),
            "{case}: task {id} not in tasks[]: {tasks:?}"
        );
    }
}

/// Issue 12's "a reorg in progress is recognised": one `run reorg job wait timeout` line each,
/// with its `total added row count` (70008818 and 0), and no job string.
#[test]
fn a_reorg_without_a_job_string_is_recognised() {
    let Some(corpus) = common::corpus_or_skip("corpus_catalogue", "nothing") else {
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for (case, rows) in [("issue-51255", 70008818), ("issue-51445", 0)] {
        let run = common::analyze_in(&root, &[&corpus.join(case)], &[]);
        let reorgs = run.report["reorgs"].as_array().unwrap();
        assert_eq!(reorgs.len(), 1, "{case}: {reorgs:?}");
        assert_eq!(reorgs[0]["last_rows"], rows, "{case}");
        assert_eq!(reorgs[0]["lines"], 1, "{case}");
    }
}
