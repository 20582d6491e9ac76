//! Property tests for the record parser.
//!
//! * nothing panics, whatever the bytes;
//! * `is_record_start` (the hot-path check) agrees with `parse_line` on arbitrary bytes, on
//!   real lines with random damage, and on lines assembled from valid and invalid header parts;
//! * text written with pingcap/log's quoting rules (`quote_if_needed`) reads back unchanged.
//!
//! 2,000 cases per property by default (CI has two cores), from a fixed seed; set
//! `PROPTEST_CASES` for long runs and `PROPTEST_RNG_SEED` for other cases. Failures are kept in
//! `proptest-regressions/record_props.txt` and replayed first.

mod common;

use ddldiag::record::quote::quote_if_needed;
use ddldiag::record::{is_record_start, parse_line, record_start_body, unified};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    common::proptest_config(
        "proptest-regressions/record_props.txt",
        common::proptest_cases(2_000),
    )
}

/// Real lines of every accepted shape (from the corpus and the reference notes).
const SAMPLES: &[&str] = &[
    r#"[2024/01/13 19:21:09.782 +08:00] [ERROR] [handle.go:92] ["task reverted"] [task-id=210029] [error="[tikv:9005]Region is unavailable"]"#,
    r#"[2023/12/25 11:18:48.986 +00:00] [INFO] [index.go:888] ["index backfill state running"] [category=ddl] ["job ID"=125] [table=xxx] ["ingest mode"=true] [index=p_id]"#,
    r#"[2024/12/17 15:58:19.639 +08:00] [INFO] [domain.go:353] ["diff load InfoSchema success"] [isV2=true] ["elapsed time"=3.135794ms] [phyTblIDs="[110]"] [diffTypes="[\"add index\"]"]"#,
    r#"[2020/08/12 16:12:07.317 +08:00] [WARN] [session.go:1040] ["run statement failed"] [session="{\n  \"currDBName\": \"\",\n  \"id\": 0\n}"]"#,
    r#"[2021/08/29 20:12:05.404 +05:30] [ERROR] [http_status.go:363] ["grpc server error"] []"#,
    r#"[2020/08/12 16:12:07.318 +08:00] [INFO] [session.go:2121] ["CRUCIAL OPERATION"] [conn=0] [cur_db=] [sql="CREATE DATABASE IF NOT EXISTS test"] [user=]"#,
    r#"[2025/05/13 08:02:08.118 +08:00] [Warn] [util.go:299] ["[ddl] etcd-cli put kv failed"] [value=1217027] [error="context deadline exceeded"]"#,
    r#"[2021/08/29 20:09:05.397 +05:30] [INFO] [domain.go:156] ["full load InfoSchema success"] ["start time"=869.828µs]"#,
    r#"wuyelei-tidb-2 tidb [2019/11/23 14:28:29.001 +00:00] [WARN] [manager.go:281] ["is not the owner"] ["owner info"="[ddl] /tidb/ddl/fg/owner ownerManager 1f2b"]"#,
    r#"2026-05-22 15:37:29 | [2026/05/22 07:37:29.468 +00:00] [ERROR] [task_executor.go:547] [onError] [task-id=5] [error="index info not found: 1"]"#,
    r#"[2020-07-21T08:37:23.331Z] [2020/07/21 16:37:22.114 +08:00] [ERROR] [ddl.go:523] ["[ddl] get history DDL job failed, check again"] [component="ddl tracker"]"#,
    r#"{"level":"ERROR","time":"2023/07/18 09:33:51.968 +00:00","caller":"ddl_worker.go:942","message":"[ddl] run DDL job error","jobID":125,"error":"x\n\ty"}"#,
    "2018/01/24 07:00:41.857 domain.go:596: [error] [stats] update stats info fail: [tikv:9002]TiKV server timeout",
    "2019/07/18 11:04:29.314 INFO mod.rs:28: Welcome to TiKV.",
    "[2024/07/15 13:27:19.208 +00:00] [INFO] [peer.rs:458] [] [peer_id=3] [ts=2024/01/13 19:21:09.480 +08:00]",
    "[2024/01/13 19:21:09.480 +08:00] [INFO] [dxf.scheduler] [scheduler.go:10] [m] [k=v]",
    // The shapes and wrappers of issue 13 (fixtures/shapes/).
    "2017/08/03 23:37:35 ddl.go:419: [info] [ddl] start DDL job ID:34, Type:create table, State:none, SchemaState:none, SchemaID:29, TableID:33, RowCount:0, ArgLen:1, Query:",
    r#"2024-11-26 14:55:27 (UTC+08:00)TiDB 172.16.6.95:4604[job_worker.go:784] ["run DDL job"] [category=ddl] [jobID=5512]"#,
    r#"  2024/01/05 00:56:20.483 tidb 127.0.0.1:4001 INFO [session.go:3884] ["CRUCIAL OPERATION"] [conn=2] "#,
    "2025/12/23 06:09:15 background error: creating object 000012: no such file or directory",
    r#"2025/12/29 23:14:16.363 +08:00] [ERROR] [handle.go:143] ["task failed"] [task-id=30001]"#,
    r#"tidb-1.log:123:[2024/01/13 19:21:09.480 +08:00] [INFO] [ddl_worker.go:1000] ["run DDL job"] [jobID=491]"#,
    r#"logs/tidb-0/tidb.log-124-[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [m]"#,
    r#"`[2024/12/19 10:29:11.523 +08:00] [INFO] [backend_mgr.go:85] ["build ingest backend failed"]`"#,
    r#"   > ~~[2024/12/27 10:00:00.000 +08:00] [INFO] [job_worker.go:447] ["finish DDL job"] [jobID=8]~~"#,
    // Messages the scanner's raw read must get right or leave to the parser.
    r#"[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] ["[ddl-ingest] say \"hi\""] [k=v]"#,
    r#"[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [k=v] ["run DDL job"] [jobID=1]"#,
    "[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [run DDL job] \t ",
    r#"[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [a]b] [c]"#,
];

fn agrees(bytes: &[u8]) -> Result<(), TestCaseError> {
    let lossy = String::from_utf8_lossy(bytes);
    let start = is_record_start(bytes);
    let parsed = parse_line(&lossy);
    prop_assert_eq!(start, parsed.is_some(), "line: {:?}", lossy);
    // The scanner's raw read of a unified message (it decides on it whether to parse the line
    // at all) gives the parser's message whenever it claims to know it.
    if let Some((_, Some(body))) = record_start_body(bytes) {
        let parsed = parsed.expect("a unified header parses");
        let message = parsed.message.get();
        match unified::raw_message_or_head(bytes, body) {
            Some(unified::RawMessage::Whole(raw)) => {
                if let Ok(raw) = std::str::from_utf8(raw) {
                    prop_assert_eq!(&*message, raw, "line: {:?}", lossy);
                }
            }
            // The text before the first escape is where the decoded message starts.
            Some(unified::RawMessage::Head(head)) => {
                if let Ok(head) = std::str::from_utf8(head) {
                    prop_assert!(message.starts_with(head), "line: {:?}", lossy);
                }
            }
            None => {}
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, u8),
    Delete(usize),
    Replace(usize, u8),
    Truncate(usize),
}

/// Bytes that matter to the grammar, plus anything.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(b"[] =\"\\/:.+-0123456789 \r\n\t{}|TZ<>".to_vec()),
        1 => any::<u8>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), interesting_byte()).prop_map(|(p, b)| Edit::Insert(p, b)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), interesting_byte()).prop_map(|(p, b)| Edit::Replace(p, b)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut l: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = l.len().max(1);
        match *e {
            Edit::Insert(p, b) => l.insert(p % (l.len() + 1), b),
            Edit::Delete(p) if !l.is_empty() => {
                l.remove(p % n);
            }
            Edit::Replace(p, b) if !l.is_empty() => l[p % n] = b,
            Edit::Truncate(p) => l.truncate(p % (l.len() + 1)),
            _ => {}
        }
    }
    l
}

/// A line assembled from header parts that are each valid or subtly not.
fn assembled_line() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(vec![
        "",
        "",
        "",
        "  ",
        "pod c ",
        "a b c ",
        "[2020-07-21T08:37:23.331Z] ",
        "2026-05-22 15:37:29 | ",
        "\t",
        "tidb-1.log:",
        "tidb-1.log:12:",
        "tidb.log-13-",
        "12:",
        "`",
        "> ",
        "~~",
        "\0",
    ]);
    let ts = prop::sample::select(vec![
        "2024/01/13 19:21:09.480 +08:00",
        "2024/02/29 23:59:59.999 -05:00",
        "2023/02/29 19:21:09.480 +08:00",
        "2024/01/13 19:21:09.480 08:00",
        "2024/01/13 19:21:09.48 +08:00",
        "2024-01-13 19:21:09.480 +08:00",
    ]);
    let level = prop::sample::select(vec![
        "INFO", "Info", "warn", "WARNING", "DPANIC", "", "NOTICE", "INFO ",
    ]);
    let logger = prop::sample::select(vec!["", "", "[ddl] ", "[a b] ", "[\"x\"] "]);
    let caller = prop::sample::select(vec![
        "x.go:1",
        "<unknown>",
        "peer.rs:458",
        "x.go",
        ":1",
        "x.go:",
        "<unknown",
    ]);
    let body = prop::sample::select(vec![
        "",
        " [m]",
        " [\"m\"] [k=v]",
        " [k=\"v",
        " [",
        "x",
        " []",
        " [a=b] [c]",
    ]);
    (prefix, ts, level, logger, caller, body)
        .prop_map(|(p, t, l, g, c, b)| format!("{p}[{t}] [{l}] {g}[{c}]{b}"))
}

/// Text with every byte class the quoting rules care about.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::char::range('a', 'z'),
            1 => prop::sample::select(vec![']', '[', '"', '=', ' ', '\n', '\t', '\r', '\\', '/', '\u{1}', '\u{7f}', 'µ', '中', '😀', ':', ',', '{', '}']),
            1 => any::<char>(),
        ],
        0..24,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic_and_agree(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        agrees(&bytes)?;
    }

    #[test]
    fn bracket_digit_bytes_agree(bytes in prop::collection::vec(interesting_byte(), 0..120)) {
        let mut l = b"[2".to_vec();
        l.extend(bytes);
        agrees(&l)?;
    }

    #[test]
    fn mutated_real_lines_agree(i in 0..SAMPLES.len(), edits in prop::collection::vec(edit(), 1..6)) {
        let l = apply(SAMPLES[i].as_bytes().to_vec(), &edits);
        agrees(&l)?;
    }

    #[test]
    fn assembled_lines_agree(l in assembled_line()) {
        agrees(l.as_bytes())?;
    }

    #[test]
    fn quoted_text_round_trips(
        msg in text(),
        fields in prop::collection::vec((text(), text()), 0..8),
        crlf in any::<bool>(),
    ) {
        let mut line = format!("[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [{}]", quote_if_needed(&msg));
        for (k, v) in &fields {
            line.push_str(&format!(" [{}={}]", quote_if_needed(k), quote_if_needed(v)));
        }
        if crlf {
            line.push('\r');
        }
        prop_assert!(is_record_start(line.as_bytes()));
        let r = parse_line(&line).expect("a record");
        prop_assert_eq!(r.message.get(), msg.as_str(), "line: {}", line);
        prop_assert_eq!(r.fields.len(), fields.len(), "line: {}", line);
        for (f, (k, v)) in r.fields.iter().zip(&fields) {
            prop_assert_eq!(f.key.get(), k.as_str(), "line: {}", line);
            prop_assert_eq!(f.value.get(), v.as_str(), "line: {}", line);
        }
    }
}
