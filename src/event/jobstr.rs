//! The `job="ID:491, Type:add index, State:running, ..."` string (TiDB's `Job.String()`).
//!
//! Layouts seen in real logs (see `../shared/reference/log-variants.md`, "Job string layouts seen",
//! and `tidb-source.md` §3.1):
//!
//! * 2017–18: `ID:, Type:, State:, SchemaState:, SchemaID:, TableID:, RowCount:, ArgLen:` and the
//!   same with a trailing `, Query:<sql>`;
//! * v3.x–v6.x: `... ArgLen:, start time: <go time>, Err:<err>, ErrCount:, SnapshotVersion:`;
//! * v7.x: `..., UniqueWarnings:` (only with a reorg meta); v7.6–v8.3 `..., LocalMode: false`;
//!   v8.4+ `..., Version: v2`; master `..., analyze_state:, stage:`; multi-schema-change sub-jobs
//!   `..., Multi-Schema Change:true, Revertible:true`.
//!
//! The parser is hand-written rather than a regex because it runs on every job line and has to
//! survive every layout above: it splits the string into `key:value` segments on `", "`, except
//! for the two free-text values. `Err:` holds an arbitrary error message (commas and colons
//! included), so it is cut out first between `", Err:"` and the following `", ErrCount:"`;
//! `Query:` is always last, so everything after it is the query. Unknown keys are skipped and
//! missing keys stay `None`, so a new TiDB field does not break old builds of ddldiag.

use serde::Serialize;

/// What a job string says about a job at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, schemars::JsonSchema)]
pub struct JobInfo {
    pub id: i64,
    /// `add index`, `modify column`, ...
    #[schemars(with = "String")]
    pub job_type: Box<str>,
    /// `queueing`, `running`, `rollingback`, `rollback done`, `done`, `synced`, `cancelled`, ...
    #[schemars(with = "String")]
    pub state: Box<str>,
    #[schemars(with = "String")]
    pub schema_state: Box<str>,
    pub schema_id: Option<i64>,
    pub table_id: Option<i64>,
    pub row_count: Option<u64>,
    /// `Err:`; `None` for `<nil>`.
    #[schemars(with = "Option<String>")]
    pub err: Option<Box<str>>,
    pub err_count: Option<u64>,
    /// The SQL text, when an old-format `Query:` tail or a separate `query` field gave it.
    #[schemars(with = "Option<String>")]
    pub query: Option<Box<str>>,
    /// `Multi-Schema Change:true` sub-jobs.
    pub multi_schema_change: bool,
    /// `SnapshotVersion:`, the TSO the reorg reads at (0 until a reorg starts). Lets a reader tell
    /// a restarted reorg (new snapshot) from a resumed one.
    pub snapshot_version: Option<u64>,
    /// `Revertible:` of a multi-schema-change sub-job: `false` means the job can no longer be
    /// rolled back, which changes what a failure means.
    pub revertible: Option<bool>,
}

const ERR_KEY: &str = ", Err:";
const ERR_COUNT_KEY: &str = ", ErrCount:";
const QUERY_KEY: &str = ", Query:";
const SEP: &str = ", ";

/// True when `s` starts like a job string: `ID:<digits>, Type:`.
///
/// Used to find job boundaries in `jobs=` lists and the job string glued to a 2017-style message
/// (`run DDL job ID:34, Type:create table, ...`).
pub fn starts_job(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("ID:") else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && rest[digits..].starts_with(", Type:")
}

/// Parses one job string; `None` when it does not start with `ID:<n>, Type:`.
///
/// Never panics. Trailing list separators (`"; "`) and surrounding whitespace are ignored.
pub fn parse(s: &str) -> Option<JobInfo> {
    let s = s.trim_start();
    let s = s.trim_end().trim_end_matches(';').trim_end();
    if !starts_job(s) {
        return None;
    }
    let rest = &s[3..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id: i64 = rest[..digits].parse().ok()?;
    let mut info = JobInfo {
        id,
        ..JobInfo::default()
    };

    // Cut the free-text values out first: `Err:` (bounded by `, ErrCount:`) and `Query:` (last).
    let (head, err, tail) = match s.find(ERR_KEY) {
        Some(e) => {
            let after = &s[e + ERR_KEY.len()..];
            match after.find(ERR_COUNT_KEY) {
                // `tail` keeps `ErrCount:...` as its first segment.
                Some(c) => (&s[..e], Some(&after[..c]), &after[c + SEP.len()..]),
                // Truncated line: the error runs to the end.
                None => (&s[..e], Some(after), ""),
            }
        }
        None => (s, None, ""),
    };
    let (head, query) = match head.find(QUERY_KEY) {
        Some(q) => (&head[..q], Some(&head[q + QUERY_KEY.len()..])),
        None => (head, None),
    };

    info.err = err
        .filter(|e| !e.is_empty() && *e != "<nil>")
        .map(Box::from);
    info.query = query
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(Box::from);

    for seg in head.split(SEP).chain(tail.split(SEP)) {
        let Some((key, value)) = seg.split_once(':') else {
            continue;
        };
        // Some keys are written `key: value` (`start time: `, `LocalMode: `, `Version: `).
        let value = value.strip_prefix(' ').unwrap_or(value);
        match key {
            "Type" => info.job_type = value.into(),
            "State" => info.state = value.into(),
            "SchemaState" => info.schema_state = value.into(),
            "SchemaID" => info.schema_id = value.parse().ok(),
            "TableID" => info.table_id = value.parse().ok(),
            "RowCount" => info.row_count = value.parse().ok(),
            "ErrCount" => info.err_count = value.parse().ok(),
            "SnapshotVersion" => info.snapshot_version = value.parse().ok(),
            "Multi-Schema Change" => info.multi_schema_change = value == "true",
            "Revertible" => info.revertible = value.parse().ok(),
            // `start time` is not kept: nothing reads it, the line (the evidence) holds it, and a
            // copy of each kept job string's was 48 bytes a job.
            // ID (already read), ArgLen, LocalMode, Version, UniqueWarnings, analyze_state, stage,
            // and whatever a future TiDB adds.
            _ => {}
        }
    }
    Some(info)
}

/// Parses a `jobs="...; ...; "` list as written by `add DDL jobs` (every job is followed by
/// `"; "`, even in a batch of one).
///
/// Jobs are split at `"; "` only where the next job starts (`"; ID:<n>, Type:"`), so an `Err:`
/// text that happens to contain `"; "` stays inside its job.
pub fn parse_list(s: &str) -> Vec<JobInfo> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut from = 0;
    while let Some(p) = s[from..].find("; ID:") {
        let at = from + p;
        if starts_job(&s[at + 2..]) {
            out.extend(parse(&s[start..at]));
            start = at + 2;
        }
        from = at + 2;
    }
    out.extend(parse(&s[start..]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed line (pingcap/tidb#50417, v7.6.0).
    const V76: &str = "ID:491, Type:add index, State:running, SchemaState:write reorganization, \
        SchemaID:104, TableID:245, RowCount:35232986, ArgLen:0, start time: 2024-01-13 19:03:00.09 \
        +0800 CST, Err:[tikv:9005]Region is unavailable, ErrCount:510, \
        SnapshotVersion:446993211166556275, LocalMode: false, UniqueWarnings:0";

    #[test]
    fn v7_6_local_mode_unique_warnings() {
        let j = parse(V76).unwrap();
        assert_eq!(j.id, 491);
        assert_eq!(&*j.job_type, "add index");
        assert_eq!(&*j.state, "running");
        assert_eq!(&*j.schema_state, "write reorganization");
        assert_eq!(j.schema_id, Some(104));
        assert_eq!(j.table_id, Some(245));
        assert_eq!(j.row_count, Some(35232986));
        assert_eq!(j.err.as_deref(), Some("[tikv:9005]Region is unavailable"));
        assert_eq!(j.err_count, Some(510));
        assert_eq!(j.snapshot_version, Some(446993211166556275));
        assert!(!j.multi_schema_change);
        assert_eq!(j.revertible, None);
        assert_eq!(j.query, None);
    }

    #[test]
    fn v4_to_v6_without_unique_warnings() {
        // corpus: replbug / karu cases (v4.0 – v6.4).
        let j = parse(
            "ID:2, Type:create schema, State:none, SchemaState:none, SchemaID:1, TableID:0, \
             RowCount:0, ArgLen:1, start time: 2020-08-12 16:12:07.318 +0800 CST, Err:<nil>, \
             ErrCount:0, SnapshotVersion:0",
        )
        .unwrap();
        assert_eq!(
            (j.id, &*j.job_type, &*j.state),
            (2, "create schema", "none")
        );
        assert_eq!(j.err, None);
        assert_eq!(j.err_count, Some(0));
        assert_eq!(j.snapshot_version, Some(0));
    }

    #[test]
    fn v7_unique_warnings_and_err_with_colons() {
        // corpus: issue-47407 (v7.x).
        let j = parse(
            "ID:150, Type:add index, State:running, SchemaState:none, SchemaID:2, TableID:148, \
             RowCount:0, ArgLen:0, start time: 2023-07-19 09:36:39.884 +0800 CST, \
             Err:[ddl:-1]cannot get disk capacity at /tmp/tidb/tmp_ddl-4000: no such file or \
             directory, ErrCount:5, SnapshotVersion:0, UniqueWarnings:0",
        )
        .unwrap();
        assert_eq!(
            j.err.as_deref(),
            Some("[ddl:-1]cannot get disk capacity at /tmp/tidb/tmp_ddl-4000: no such file or directory")
        );
        assert_eq!(j.err_count, Some(5));
        assert_eq!(&*j.schema_state, "none");
    }

    #[test]
    fn v8_5_version_v2() {
        // corpus: issue-58344 (v8.5).
        let j = parse(
            "ID:2110, Type:add index, State:running, SchemaState:write reorganization, SchemaID:2, \
             TableID:110, RowCount:0, ArgLen:1, start time: 2024-12-17 15:58:19.614 +0800 CST, \
             Err:<nil>, ErrCount:0, SnapshotVersion:0, Version: v2, UniqueWarnings:0",
        )
        .unwrap();
        assert_eq!(j.id, 2110);
        assert_eq!(j.err, None);
        assert_eq!(j.table_id, Some(110));
    }

    #[test]
    fn master_analyze_state_and_multi_schema_change() {
        // log-variants.md: NextGen 2026 layout; tidb-source.md §3.1: master modify-column tail.
        let j = parse(
            "ID:70, Type:modify column, State:running, SchemaState:write reorganization, \
             SchemaID:2, TableID:68, RowCount:12, ArgLen:0, start time: 2026-01-02 03:04:05.6 \
             +0000 UTC, Err:<nil>, ErrCount:0, SnapshotVersion:1, Version: v2, analyze_state:0, \
             stage:1, UniqueWarnings:0, Multi-Schema Change:true, Revertible:true",
        )
        .unwrap();
        assert!(j.multi_schema_change);
        assert_eq!(j.revertible, Some(true));
        assert_eq!(j.row_count, Some(12));
    }

    #[test]
    fn err_with_commas() {
        // log-variants.md: a gRPC error and a types error inside Err:.
        let j = parse(
            "ID:7, Type:add index, State:rollingback, SchemaState:delete only, SchemaID:1, \
             TableID:5, RowCount:0, ArgLen:0, start time: 2020-01-01 00:00:00 +0000 UTC, \
             Err:[ddl:-1]peer 23, store 1, region 22, epoch conf_ver:1 version:210 : rpc error: \
             code = Canceled desc = CANCELLED, ErrCount:1, SnapshotVersion:0",
        )
        .unwrap();
        assert_eq!(
            j.err.as_deref(),
            Some(
                "[ddl:-1]peer 23, store 1, region 22, epoch conf_ver:1 version:210 : rpc error: \
                 code = Canceled desc = CANCELLED"
            )
        );
        assert_eq!(j.err_count, Some(1));
        assert_eq!(&*j.state, "rollingback");
        assert_eq!(&*j.schema_state, "delete only");

        let j = parse(
            "ID:60, Type:modify column, State:rollback done, SchemaState:none, SchemaID:1, \
             TableID:58, RowCount:0, ArgLen:3, start time: 2022-10-31 12:00:00.1 +0800 CST, \
             Err:[types:1406]Data Too Long, field len 5, data len 9, ErrCount:1, SnapshotVersion:0",
        )
        .unwrap();
        assert_eq!(
            j.err.as_deref(),
            Some("[types:1406]Data Too Long, field len 5, data len 9")
        );
        assert_eq!(&*j.state, "rollback done");
    }

    #[test]
    fn layouts_2017() {
        // #4986 `admin show ddl`.
        let j = parse(
            "ID:46, Type:add index, State:running, SchemaState:write reorganization, SchemaID:1, \
             TableID:33, RowCount:165059980, ArgLen:0",
        )
        .unwrap();
        assert_eq!(
            (j.id, j.row_count, j.err, j.err_count),
            (46, Some(165059980), None, None)
        );

        let j = parse(
            "ID:34, Type:create table, State:none, SchemaState:none, SchemaID:29, TableID:33, \
             RowCount:0, ArgLen:1, Query:create table t (a int, b varchar(10))",
        )
        .unwrap();
        assert_eq!(
            j.query.as_deref(),
            Some("create table t (a int, b varchar(10))")
        );
        assert_eq!(j.table_id, Some(33));

        // The SQL went to the next physical line: an empty query is no query.
        let j = parse(
            "ID:34, Type:create table, State:none, SchemaState:none, SchemaID:29, TableID:33, \
             RowCount:0, ArgLen:1, Query:",
        )
        .unwrap();
        assert_eq!(j.query, None);
    }

    #[test]
    fn rejects_non_jobs_and_tolerates_damage() {
        assert_eq!(parse(""), None);
        assert_eq!(parse("ID:, Type:x"), None);
        assert_eq!(parse("jobId: 471, job type: add index"), None);
        assert_eq!(parse("ID:12 Type:add index"), None);
        let j = parse("ID:12, Type:add index, State:runn").unwrap();
        assert_eq!(&*j.state, "runn");
        assert_eq!(&*j.schema_state, "");
        // Truncated inside Err.
        let j = parse("ID:12, Type:add index, State:running, Err:[tikv:9005]Region is un").unwrap();
        assert_eq!(j.err.as_deref(), Some("[tikv:9005]Region is un"));
        assert_eq!(j.err_count, None);
        // Bad numbers become None.
        let j = parse("ID:12, Type:add index, State:running, SchemaID:x, RowCount:-1").unwrap();
        assert_eq!((j.schema_id, j.row_count), (None, None));
    }

    #[test]
    fn list_of_one_and_many() {
        let one = "ID:2, Type:create schema, State:none, SchemaState:none, SchemaID:1, TableID:0, \
            RowCount:0, ArgLen:1, start time: 2020-08-12 16:12:07.318 +0800 CST, Err:<nil>, \
            ErrCount:0, SnapshotVersion:0; ";
        let v = parse_list(one);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].id, 2);
        assert_eq!(v[0].snapshot_version, Some(0));

        let two = format!(
            "ID:3, Type:create table, State:queueing, SchemaState:none, SchemaID:1, TableID:2, \
             RowCount:0, ArgLen:2, start time: 2022-01-01 00:00:00 +0000 UTC, Err:oops; ID:not a \
             job; still, the error, ErrCount:0, SnapshotVersion:0; {one}"
        );
        let v = parse_list(&two);
        assert_eq!(v.iter().map(|j| j.id).collect::<Vec<_>>(), [3, 2]);
        assert_eq!(
            v[0].err.as_deref(),
            Some("oops; ID:not a job; still, the error")
        );
        assert!(parse_list("").is_empty());
        assert!(parse_list("; ; ").is_empty());
    }

    /// Every job string in the real-log corpus parses with id, type and state.
    #[test]
    fn corpus_job_strings() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
        if !root.is_dir() {
            crate::event::shared_missing("corpus_job_strings", &root);
            return;
        }
        let mut files = Vec::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "log") {
                    files.push(p);
                }
            }
        }
        let (mut singles, mut listed, mut inline) = (0, 0, 0);
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for line in text.lines() {
                // Any quoted value that is a job string: `job=`, `jobs=`, `currentJob=`, `dependentJob=`.
                let mut from = 0;
                while let Some(p) = line[from..].find("=\"ID:") {
                    let eq = from + p;
                    let start = eq + 2;
                    from = start;
                    let is_list = line[..eq].ends_with("jobs");
                    let value = quoted_value(&line[start..]);
                    let jobs = if is_list {
                        parse_list(&value)
                    } else {
                        parse(&value).into_iter().collect()
                    };
                    assert!(!jobs.is_empty(), "{}: no job in {value}", f.display());
                    for j in &jobs {
                        assert!(
                            !j.job_type.is_empty() && !j.state.is_empty(),
                            "{}: incomplete {j:?} from {value}",
                            f.display()
                        );
                        if value.contains(", ErrCount:") {
                            assert!(
                                j.err_count.is_some(),
                                "{}: no ErrCount in {value}",
                                f.display()
                            );
                        }
                    }
                    if is_list {
                        assert_eq!(jobs.len(), value.matches("; ID:").count() + 1, "{value}");
                        listed += jobs.len();
                    } else {
                        singles += 1;
                    }
                }
                // 2017 layout glued to the message: `run DDL job ID:34, Type:...`.
                if let Some(p) = line.find(" ID:") {
                    if !line.contains("job=\"")
                        && !line.contains("jobs=\"")
                        && starts_job(&line[p + 1..])
                    {
                        let j = parse(&line[p + 1..]).unwrap();
                        assert!(!j.job_type.is_empty() && !j.state.is_empty(), "{line}");
                        inline += 1;
                    }
                }
            }
        }
        eprintln!("corpus job strings: {singles} single, {listed} in jobs= lists, {inline} inline");
        assert!(
            singles + listed > 1000,
            "expected the corpus to hold thousands of job strings"
        );
    }

    /// The inside of a quoted value, unescaped (`\"`, `\\`); stops at the closing quote.
    fn quoted_value(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(o) => out.push(o),
                    None => break,
                },
                c => out.push(c),
            }
        }
        out
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn err_text_round_trips(err in "[ -~]{1,80}", count in 0u64..100_000, rows in any::<u64>()) {
                prop_assume!(!err.contains(", ErrCount:") && err != "<nil>" && !err.contains("; ID:"));
                let s = format!(
                    "ID:77, Type:add index, State:running, SchemaState:write reorganization, \
                     SchemaID:1, TableID:2, RowCount:{rows}, ArgLen:0, start time: 2024-01-13 \
                     19:03:00.09 +0800 CST, Err:{err}, ErrCount:{count}, SnapshotVersion:9, \
                     LocalMode: false, UniqueWarnings:0"
                );
                let j = parse(&s).unwrap();
                prop_assert_eq!(j.err.as_deref(), Some(err.as_str()));
                prop_assert_eq!(j.err_count, Some(count));
                prop_assert_eq!(j.row_count, Some(rows));
                prop_assert_eq!(j.snapshot_version, Some(9));
                prop_assert_eq!(&*j.state, "running");
                // Inside a list, with the trailing separator.
                let listed = parse_list(&format!("{s}; {s}; "));
                prop_assert_eq!(listed.len(), 2);
                prop_assert_eq!(listed[1].err.as_deref(), Some(err.as_str()));
            }

            #[test]
            fn never_panics(s in any::<String>()) {
                let _ = parse(&s);
                let _ = parse_list(&s);
                let _ = parse(&format!("ID:1, Type:{s}"));
                let _ = parse_list(&format!("ID:1, Type:{s}; ID:2, Type:{s}"));
            }

            #[test]
            fn never_panics_on_job_like_noise(s in "(ID:[0-9]{0,3}|, |Type:|Err:|ErrCount:|Query:|; |[a-z :;,]){0,40}") {
                let _ = parse(&s);
                let _ = parse_list(&s);
            }
        }
    }
}
