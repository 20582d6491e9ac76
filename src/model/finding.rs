//! One verdict of one rule, with the lines that prove it.

use serde::Serialize;

use super::evidence::Evidence;
use super::fault::FaultKind;
use super::severity::Severity;
use super::time::Timestamp;

/// One verdict of one rule, with the lines that prove it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    /// Stable rule code, `DDL001`.
    pub rule: String,
    /// Kebab-case rule name, `transient-error-rollback`.
    pub name: String,
    pub severity: Severity,
    pub job_id: Option<i64>,
    /// The DXF task the finding is about (`ImportInto/150005`, `ddl/backfill/491`, `task 30001`),
    /// when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
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
    /// The cluster fault windows that overlap the job's error span, and how long after the last
    /// one ended the job gave up. Absent when the finding has no job or no window overlaps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault_overlap: Option<FaultContext>,
}

// A fact about the job, computed once by the diagnosis stage and carried by each of its findings.
/// A finding's relation to the fault windows (`findings[].fault_overlap`).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FaultContext {
    /// Cluster windows overlapping the job's error span (from its first error, less
    /// [`MERGE_GAP_SECS`], to the moment it gave up).
    pub windows: Vec<WindowRef>,
    /// When the job gave up: the rollback conversion, else the finish line, else its last line.
    #[serde(serialize_with = "super::time::ser_opt")]
    #[schemars(with = "Option<crate::model::time::Rfc3339>")]
    pub job_gave_up: Option<Timestamp>,
    /// Seconds from the end of the last overlapping window to `job_gave_up` (negative: the job
    /// gave up while the fault was still going on).
    pub gave_up_after_window_secs: Option<i64>,
    /// One sentence for humans.
    pub note: String,
}

/// A reference to a window.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct WindowRef {
    pub instances: Vec<String>,
    #[serde(serialize_with = "super::time::ser")]
    #[schemars(with = "crate::model::time::Rfc3339")]
    pub start: Timestamp,
    #[serde(serialize_with = "super::time::ser")]
    #[schemars(with = "crate::model::time::Rfc3339")]
    pub end: Timestamp,
    pub kinds: Vec<FaultKind>,
}
