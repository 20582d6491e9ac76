//! The rule catalogue (DESIGN.md §5): one file per rule.
//!
//! A rule reads the job timelines and returns findings with evidence. Its doc comment is the
//! text `ddldiag explain` prints.

use crate::model::{Finding, Severity};
use crate::timeline::Timelines;

pub mod common;

pub mod ddl001_transient_error_rollback;
pub mod ddl002_dist_task_reverted;
pub mod ddl003_error_count_limit;
pub mod ddl004_job_stalled;
pub mod ddl005_owner_changed;
pub mod ddl006_expected_rollback;
pub mod ddl007_retry_storm;
pub mod ddl008_unclassified_rollback;
pub mod ddl009_schema_sync_stuck;
pub mod ddl010_blocked_by_metadata_lock;
pub mod ddl011_ingest_environment_broken;
pub mod ddl012_resource_exhausted;
pub mod ddl013_tidb_died_mid_job;
pub mod ddl014_index_may_be_inconsistent;
pub mod ddl015_suspicious_duplicate_entry;
pub mod ddl016_dist_task_cannot_plan;
pub mod ddl017_dist_task_retry_loop;
pub mod ddl018_import_into_failed;
pub mod ddl019_tikv_ingest_backpressure;
pub mod ddl020_job_paused;
pub mod ddl021_non_rollbackable_retry_loop;
pub mod ddl022_cancel_stuck;
pub mod ddl023_gc_life_time_too_short;
pub mod ddl024_job_queued;
pub mod ddl025_slow_schema_load;
pub mod ddl026_slow_backfill;
pub mod ddl027_no_ddl_owner;
pub mod ddl028_rollback_after_owner_change;

pub use crate::diagnosis::cause::{root_cause, Cause};

/// Declares a rule: the doc comment is written once and becomes both the struct's rustdoc and
/// `META.explain` (what `ddldiag explain` prints), so the two can never drift apart.
///
/// Emits the unit struct, `pub static META`, and `impl Rule` delegating to the module's
/// `fn check(&Timelines, &Context) -> Vec<Finding>`.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            code: $code:literal,
            name: $rname:literal,
            severity: $sev:ident,
            summary: $summary:literal
            $(, replaces: [$($replaced:literal),* $(,)?])? $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;

        /// The rule's static description.
        pub static META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
            code: $code,
            name: $rname,
            severity: $crate::model::Severity::$sev,
            summary: $summary,
            explain: concat!($($doc, "\n"),*),
            replaces: &[$($($replaced),*)?],
        };

        impl $crate::rules::Rule for $name {
            fn meta(&self) -> &'static $crate::rules::RuleMeta {
                &META
            }
            fn check(
                &self,
                timelines: &$crate::timeline::Timelines,
                ctx: &$crate::rules::Context,
            ) -> Vec<$crate::model::Finding> {
                check(timelines, ctx)
            }
        }
    };
}
pub(crate) use declare_rule;

/// What every rule knows besides the timelines: the settings and each job's facts.
pub use crate::diagnosis::Diagnosis as Context;

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
    /// The generic rules whose finding for the same job this rule's finding replaces (one
    /// failure, one finding: failure-families §2).
    pub replaces: &'static [&'static str],
}

/// One rule of the catalogue.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, timelines: &Timelines, ctx: &Context) -> Vec<Finding>;
}

impl RuleMeta {
    /// `explain` as plain Markdown: rustdoc keeps the space after `///`, this drops it.
    pub fn explain_text(&self) -> String {
        self.explain
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Every rule, in code order: the one registration table.
pub fn all() -> &'static [&'static dyn Rule] {
    static ALL: &[&dyn Rule] = &[
        &ddl001_transient_error_rollback::TransientErrorRollback,
        &ddl002_dist_task_reverted::DistTaskRevertedOnTransientError,
        &ddl003_error_count_limit::ErrorCountLimitExhausted,
        &ddl004_job_stalled::JobStalled,
        &ddl005_owner_changed::OwnerChangedDuringJob,
        &ddl006_expected_rollback::ExpectedRollback,
        &ddl007_retry_storm::RetryStorm,
        &ddl008_unclassified_rollback::UnclassifiedRollback,
        &ddl009_schema_sync_stuck::SchemaSyncStuck,
        &ddl010_blocked_by_metadata_lock::BlockedByMetadataLock,
        &ddl011_ingest_environment_broken::IngestEnvironmentBroken,
        &ddl012_resource_exhausted::ResourceExhausted,
        &ddl013_tidb_died_mid_job::TidbDiedMidJob,
        &ddl014_index_may_be_inconsistent::IndexMayBeInconsistent,
        &ddl015_suspicious_duplicate_entry::SuspiciousDuplicateEntry,
        &ddl016_dist_task_cannot_plan::DistTaskCannotPlan,
        &ddl017_dist_task_retry_loop::DistTaskRetryLoop,
        &ddl018_import_into_failed::ImportIntoFailed,
        &ddl019_tikv_ingest_backpressure::TikvIngestBackpressure,
        &ddl020_job_paused::JobPaused,
        &ddl021_non_rollbackable_retry_loop::NonRollbackableRetryLoop,
        &ddl022_cancel_stuck::CancelStuck,
        &ddl023_gc_life_time_too_short::GcLifeTimeTooShort,
        &ddl024_job_queued::JobQueued,
        &ddl025_slow_schema_load::SlowSchemaLoad,
        &ddl026_slow_backfill::SlowBackfill,
        &ddl027_no_ddl_owner::NoDdlOwner,
        &ddl028_rollback_after_owner_change::RollbackAfterOwnerChange,
    ];
    ALL
}

/// A rule by code (`DDL001`) or name (`transient-error-rollback`), case-insensitive.
pub fn find(code_or_name: &str) -> Option<&'static dyn Rule> {
    let q = code_or_name.trim();
    all().iter().copied().find(|r| {
        let m = r.meta();
        m.code.eq_ignore_ascii_case(q) || m.name.eq_ignore_ascii_case(q)
    })
}

/// Runs every rule and orders the findings stably: severity (worst first), time, job, rule.
pub fn run_all(timelines: &Timelines, ctx: &Context) -> Vec<Finding> {
    let mut out: Vec<Finding> = all()
        .iter()
        .flat_map(|r| r.check(timelines, ctx))
        .map(|mut f| {
            // Every finding of a job carries the job's fault overlap (a diagnosis fact).
            if f.fault_overlap.is_none() {
                f.fault_overlap = f
                    .job_id
                    .and_then(|id| ctx.by_id(id))
                    .and_then(|facts| facts.fault_overlap.as_deref().cloned());
            }
            f
        })
        .collect();
    // One failure, one finding: a specific finding replaces the generic ones for its job.
    let replaced: std::collections::HashSet<(i64, &str)> = out
        .iter()
        .filter_map(|f| Some((f.job_id?, find(&f.rule)?.meta().replaces)))
        .flat_map(|(id, codes)| codes.iter().map(move |c| (id, *c)))
        .collect();
    out.retain(|f| {
        f.job_id
            .is_none_or(|id| !replaced.contains(&(id, f.rule.as_str())))
    });
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| first_ts(a).cmp(&first_ts(b)))
            .then_with(|| a.job_id.cmp(&b.job_id))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    out
}

fn first_ts(f: &Finding) -> Option<crate::model::Timestamp> {
    f.evidence.iter().filter_map(|e| e.ts).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DESIGN.md §5, verbatim: codes, names and severities are a contract.
    const CATALOGUE: &[(&str, &str, Severity)] = &[
        ("DDL001", "transient-error-rollback", Severity::Error),
        (
            "DDL002",
            "dist-task-reverted-on-transient-error",
            Severity::Error,
        ),
        ("DDL003", "error-count-limit-exhausted", Severity::Warning),
        ("DDL004", "job-stalled", Severity::Error),
        ("DDL005", "owner-changed-during-job", Severity::Info),
        ("DDL006", "expected-rollback", Severity::Info),
        ("DDL007", "retry-storm", Severity::Warning),
        ("DDL008", "unclassified-rollback", Severity::Warning),
        ("DDL009", "schema-sync-stuck", Severity::Error),
        ("DDL010", "blocked-by-metadata-lock", Severity::Error),
        ("DDL011", "ingest-environment-broken", Severity::Error),
        ("DDL012", "resource-exhausted", Severity::Error),
        ("DDL013", "tidb-died-mid-job", Severity::Warning),
        ("DDL014", "index-may-be-inconsistent", Severity::Error),
        ("DDL015", "suspicious-duplicate-entry", Severity::Warning),
        ("DDL016", "dist-task-cannot-plan", Severity::Error),
        ("DDL017", "dist-task-retry-loop", Severity::Error),
        ("DDL018", "import-into-failed", Severity::Error),
        ("DDL019", "tikv-ingest-backpressure", Severity::Warning),
        ("DDL020", "job-paused", Severity::Warning),
        ("DDL021", "non-rollbackable-retry-loop", Severity::Error),
        ("DDL022", "cancel-stuck", Severity::Error),
        ("DDL023", "gc-life-time-too-short", Severity::Error),
        ("DDL024", "job-queued", Severity::Info),
        ("DDL025", "slow-schema-load", Severity::Warning),
        ("DDL026", "slow-backfill", Severity::Info),
        ("DDL027", "no-ddl-owner", Severity::Warning),
        ("DDL028", "rollback-after-owner-change", Severity::Error),
    ];

    #[test]
    fn catalogue_matches_design() {
        let got: Vec<_> = all()
            .iter()
            .map(|r| (r.meta().code, r.meta().name, r.meta().severity))
            .collect();
        assert_eq!(got, CATALOGUE);
    }

    #[test]
    fn explain_comes_from_the_doc_comment() {
        for r in all() {
            let text = r.meta().explain_text();
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## What to do",
                "## Example",
            ] {
                assert!(
                    text.lines().any(|l| l == section),
                    "{} lacks {section}",
                    r.meta().code
                );
            }
            assert!(!r.meta().summary.is_empty());
        }
    }

    #[test]
    fn find_by_code_or_name_case_insensitive() {
        assert_eq!(find("DDL001").unwrap().meta().code, "DDL001");
        assert_eq!(find("ddl007").unwrap().meta().code, "DDL007");
        assert_eq!(find("Expected-Rollback").unwrap().meta().code, "DDL006");
        assert_eq!(find(" job-stalled ").unwrap().meta().code, "DDL004");
        assert!(find("DDL999").is_none());
        assert!(find("").is_none());
    }
}
