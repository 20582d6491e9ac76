//! The report model (DESIGN.md §4, `schema_version` 1) and its renderers.
//!
//! Renderers only read a [`Report`]; nothing else in ddldiag prints to stdout.

use serde::Serialize;

use crate::event::{EventKind, Evidence};

pub mod model_build;

/// Bumped only on breaking changes to the JSON report.
pub const SCHEMA_VERSION: u32 = 1;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One verdict of one rule, with the lines that prove it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    /// Stable rule code, `DDL001`.
    pub rule: String,
    /// Kebab-case rule name, `transient-error-rollback`.
    pub name: String,
    pub severity: Severity,
    pub job_id: Option<i64>,
    /// One line: what happened to this job.
    pub title: String,
    /// In terms of this job: counts, times, the error.
    pub explanation: String,
    /// What to do next.
    pub suggestion: String,
    /// Upstream issues this matches for the detected TiDB version (`pingcap/tidb#50417`).
    pub known_issues: Vec<String>,
    /// The raw lines, in time order.
    pub evidence: Vec<Evidence>,
}

/// `tool` section.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// One file read from an input.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FileReport {
    /// `tidb-0.tar.gz!tidb-0/tidb.log`.
    pub name: String,
    pub instance: String,
    pub kind: crate::source::FileKind,
    /// Decoded bytes read.
    pub bytes: u64,
    /// Physical lines: `records + continuations + unparsed`.
    pub lines: u64,
    pub records: u64,
    /// Lines that continue the previous record (hard wraps, stack dumps).
    pub continuations: u64,
    /// Lines that are neither a record nor after one.
    pub unparsed: u64,
    /// Lines longer than the line cap, truncated to it.
    pub truncated_lines: u64,
    pub first_ts: Option<String>,
    pub last_ts: Option<String>,
    /// False when reading stopped early (damage).
    pub complete: bool,
}

/// One command-line input.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct InputReport {
    pub path: String,
    pub complete: bool,
    /// What was lost and where; `null` when complete.
    pub error: Option<String>,
    pub files: Vec<FileReport>,
    /// Members skipped on purpose, with the reason.
    pub skipped: Vec<String>,
}

/// One distinct error of a job.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct JobError {
    pub text: String,
    /// `tikv:9005`, when the error carries a `[class:code]` prefix.
    pub code: Option<String>,
    /// `transient`, `permanent` or `unknown`.
    pub class: String,
    pub count: u64,
    pub first: Option<String>,
    pub last: Option<String>,
}

/// The DXF task of a job.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DistTaskReport {
    pub task_id: Option<i64>,
    pub task_key: Option<String>,
    pub reverted: u64,
    pub not_resumable: u64,
}

/// One event of a job's timeline as reported (repeats folded).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct EventReport {
    pub kind: EventKind,
    pub ts: Option<String>,
    pub instance: String,
    /// Short human summary: `running / write reorganization, ErrCount 511`.
    pub summary: String,
    /// How many consecutive events of this kind this row stands for.
    pub repeat: u64,
    pub evidence: Evidence,
}

/// One DDL job.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct JobReport {
    pub job_id: i64,
    #[serde(rename = "type")]
    pub job_type: Option<String>,
    pub table: Option<String>,
    pub query: Option<String>,
    /// TiDB's own state words; `running` if unfinished at the end of the logs.
    pub outcome: String,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub max_err_count: u64,
    pub errors: Vec<JobError>,
    pub dist_task: Option<DistTaskReport>,
    pub instances: Vec<String>,
    pub store: Option<String>,
    pub backfill_mode: Option<String>,
    pub rows: Option<u64>,
    pub events: Vec<EventReport>,
}

/// Finding counts by severity.
#[derive(Debug, Clone, PartialEq, Default, Serialize, schemars::JsonSchema)]
pub struct SeverityCounts {
    pub error: u64,
    pub warning: u64,
    pub info: u64,
}

/// `summary` section.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub jobs: u64,
    pub findings: SeverityCounts,
    /// The process exit code this report leads to (DESIGN.md §3).
    pub exit_code: u8,
    /// False when any input was damaged: the report is partial.
    pub complete: bool,
    /// The TiDB version detected from `Welcome to TiDB` lines (or given with `--tidb-version`).
    pub tidb_version: Option<String>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub inputs: Vec<InputReport>,
    pub jobs: Vec<JobReport>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
}
