//! The `job="ID:491, Type:add index, State:running, ..."` string (TiDB's `Job.String()`).

use serde::Serialize;

/// What a job string says about a job at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, schemars::JsonSchema)]
pub struct JobInfo {
    pub id: i64,
    /// `add index`, `modify column`, ...
    pub job_type: String,
    /// `queueing`, `running`, `rollingback`, `rollback done`, `done`, `synced`, `cancelled`, ...
    pub state: String,
    pub schema_state: String,
    pub schema_id: Option<i64>,
    pub table_id: Option<i64>,
    pub row_count: Option<u64>,
    /// `start time:` as TiDB printed it (Go time in the server's zone).
    pub start_time: Option<String>,
    /// `Err:`; `None` for `<nil>`.
    pub err: Option<String>,
    pub err_count: Option<u64>,
    /// The SQL text, when an old-format `Query:` tail or a separate `query` field gave it.
    pub query: Option<String>,
    /// `Multi-Schema Change:true` sub-jobs.
    pub multi_schema_change: bool,
}

/// Parses one job string; `None` when it does not start with `ID:<n>, Type:`.
pub fn parse(_s: &str) -> Option<JobInfo> {
    None
}

/// Parses a `jobs="...; ...; "` list as written by `add DDL jobs`.
pub fn parse_list(s: &str) -> Vec<JobInfo> {
    s.split("; ").filter_map(parse).collect()
}
