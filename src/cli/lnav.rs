//! `ddldiag lnav-format`: an lnav log format for TiDB's unified log (TiKV and PD write the same
//! header), so lnav shows levels, times, the source file and line, and groups a DDL job's lines
//! by its id (lnav's "operation id").
//!
//! lnav 0.11 reads TiDB lines as level "unknown": its built-in formats know neither the
//! `[2024/01/13 19:21:09.480 +08:00] [INFO] [file.go:N] [message] [k=v]…` header nor its
//! quoting. One pattern does it: the job id is captured by a lookahead at the start of the line
//! from any of the spellings ddldiag reads (`jobID=`, `"job ID"=`, `job_id=`, a job string's
//! `ID:`), so lines without one still match the same pattern.

use crate::event::extract::keys;

/// The lnav format file, as JSON text (install it with `lnav -i FILE`).
pub fn format_json() -> String {
    serde_json::to_string_pretty(&format()).expect("a JSON value") + "\n"
}

fn format() -> serde_json::Value {
    serde_json::json!({
        "$schema": "https://lnav.org/schemas/format-v1.schema.json",
        "tidb_log": {
            "title": "TiDB unified log",
            "description": "TiDB / TiKV / PD unified log format (written by ddldiag lnav-format); the operation id is the DDL job id.",
            "url": "https://github.com/tikv/rfcs/blob/master/text/0018-unified-log-format.md",
            "regex": {
                "std": { "pattern": pattern() }
            },
            "timestamp-format": ["%Y/%m/%d %H:%M:%S.%L %z"],
            "level-field": "level",
            "level": {
                "fatal": "(?i)^(?:fatal|panic)$",
                "critical": "(?i)^dpanic$",
                "error": "(?i)^error$",
                "warning": "(?i)^warn(?:ing)?$",
                "info": "(?i)^info$",
                "debug": "(?i)^debug$"
            },
            "opid-field": "job_id",
            "body-field": "body",
            "value": {
                "level": { "kind": "string", "identifier": true },
                "src_file": { "kind": "string", "identifier": true },
                "src_line": { "kind": "integer", "foreign-key": true },
                "job_id": { "kind": "integer", "identifier": true },
                "fields": { "kind": "string" }
            },
            "sample": [
                { "line": "[2024/01/13 19:21:09.480 +08:00] [INFO] [ddl_worker.go:989] [\"run DDL job\"] [worker=\"worker 1, tp add index\"] [category=ddl] [jobID=491] [conn=2199023255951] [job=\"ID:491, Type:add index, State:running, SchemaState:write reorganization, SchemaID:2, TableID:106, RowCount:0, ArgLen:0, start time: 2024-01-13 19:20:58.33 +0800 CST, Err:<nil>, ErrCount:0, SnapshotVersion:0\"]", "level": "info" },
                { "line": "[2024/01/13 19:21:11.461 +08:00] [WARN] [index.go:1087] [\"run add index job failed, convert job to rollback\"] [category=ddl] [job=\"ID:491, Type:add index, State:running, SchemaState:write reorganization, SchemaID:2, TableID:106, RowCount:0, ArgLen:0, start time: 2024-01-13 19:20:58.33 +0800 CST, Err:[tikv:9005]Region is unavailable, ErrCount:511, SnapshotVersion:0\"] [error=\"[tikv:9005]Region is unavailable\"]", "level": "warning" },
                { "line": "[2024/01/13 19:00:00.000 +08:00] [Info] [server.go:100] [hello]" }
            ]
        }
    })
}

/// `^` + an optional lookahead capturing the job id + the header, message and fields.
fn pattern() -> String {
    format!("^(?=(?:.*?{})?){}", job_id(), header())
}

/// `"job ID"=130`, `jobID=491`, `job="ID:491, …"`, `taskKey=ddl/backfill/491`: a key ddldiag
/// reads the job id from (quoted when it has a space) and `=`, a job string's `ID:`, or the
/// task key of a DDL job's DXF task; then the id.
fn job_id() -> String {
    let mut alt: Vec<String> = keys::JOB_ID
        .iter()
        .map(|k| {
            let k = regex::escape(k);
            if k.contains(' ') {
                format!("\"{k}\"=")
            } else {
                format!("\\b{k}=")
            }
        })
        .collect();
    alt.push("\\bjob=\"ID:".to_string());
    // A DXF task of a DDL job is keyed `ddl/backfill/<job id>`.
    let task_keys: Vec<String> = keys::TASK_KEY.iter().map(|k| regex::escape(k)).collect();
    alt.push(format!("\\b(?:{})=\"?ddl/backfill/", task_keys.join("|")));
    format!(r"(?:{})(?<job_id>\d+)", alt.join("|"))
}

/// `[time] [LEVEL] [file.go:N] [message]` and the `[k=v]` fields after it. The message is a
/// quoted string (with `\"` escapes) or a bare word without `]`.
fn header() -> &'static str {
    r#"\[(?<timestamp>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\.\d{3} [+-]\d{2}:\d{2})\] \[(?<level>[A-Za-z]+)\] \[(?<src_file>[^\]:]+):(?<src_line>\d+)\] \[(?<body>"(?:[^"\\]|\\.)*"|[^\]]*)\](?<fields>.*)$"#
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two halves are plain regexes (the regex crate has no lookahead, lnav's PCRE2 has):
    /// the header matches every sample, the job-id part finds the id in each spelling.
    #[test]
    fn samples_match_and_name_the_job() {
        let head = regex::Regex::new(&format!("^{}", header())).unwrap();
        let job = regex::Regex::new(&job_id()).unwrap();
        let v = format();
        let samples = v["tidb_log"]["sample"].as_array().unwrap();
        for s in samples {
            let line = s["line"].as_str().unwrap();
            assert!(head.is_match(line), "{line}");
        }
        let id = |line: &str| job.captures(line).map(|c| c["job_id"].to_string());
        assert_eq!(
            id(samples[0]["line"].as_str().unwrap()).as_deref(),
            Some("491")
        );
        assert_eq!(
            id(samples[1]["line"].as_str().unwrap()).as_deref(),
            Some("491")
        );
        assert_eq!(id(samples[2]["line"].as_str().unwrap()), None);
        assert_eq!(
            id(r#"["job ID"=130] ["index ID"=13]"#).as_deref(),
            Some("130")
        );
        assert_eq!(id("[ddlJobID=7]").as_deref(), Some("7"));
        assert_eq!(id("[taskKey=ddl/backfill/491]").as_deref(), Some("491"));
        assert_eq!(id(r#"[task-key="ddl/backfill/12"]"#).as_deref(), Some("12"));
        assert_eq!(pattern().matches("(?<job_id>").count(), 1);
    }
}
