//! The rule catalogue (DESIGN.md §5): one file per rule.
//!
//! A rule reads the job timelines and returns findings with evidence. Its doc comment is the
//! text `ddldiag explain` prints.

use crate::report::{Finding, Severity};
use crate::timeline::Timelines;

/// What every rule knows besides the timelines.
#[derive(Debug, Clone)]
pub struct Context {
    /// TiDB's `tidb_ddl_error_count_limit` (`--error-count-limit`, default 512).
    pub error_count_limit: u64,
    /// A running job with no progress for longer than this is stalled (DDL004).
    pub stall_after: chrono::Duration,
    /// The TiDB version (from the logs, else `--tidb-version`).
    pub tidb_version: Option<String>,
}

impl Default for Context {
    fn default() -> Self {
        Context {
            error_count_limit: 512,
            stall_after: chrono::Duration::minutes(10),
            tidb_version: None,
        }
    }
}

/// The static description of a rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// One line for `ddldiag rules`.
    pub summary: &'static str,
    /// The rule's doc comment: what it detects, why it matters, what to do.
    pub explain: &'static str,
}

/// One rule of the catalogue.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, timelines: &Timelines, ctx: &Context) -> Vec<Finding>;
}

/// Every rule, in code order.
pub fn all() -> &'static [&'static dyn Rule] {
    &[]
}

/// Runs every rule and orders the findings stably: severity (worst first), time, job, rule.
pub fn run_all(timelines: &Timelines, ctx: &Context) -> Vec<Finding> {
    let mut out: Vec<Finding> = all().iter().flat_map(|r| r.check(timelines, ctx)).collect();
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| first_ts(a).cmp(&first_ts(b)))
            .then_with(|| a.job_id.cmp(&b.job_id))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    out
}

fn first_ts(f: &Finding) -> Option<crate::timestamp::Timestamp> {
    f.evidence.iter().filter_map(|e| e.ts).min()
}
