//! Upstream issues a finding can match, by TiDB version.
//!
//! [`ISSUES`] is data: the issue, what it looks like (which rule fired, which error family, what
//! else the job shows), which releases are affected and which release fixed it. A rule asks
//! [`matching`] for the issues its finding fits and gets back [`Match`]es that say how sure the
//! version check is.
//!
//! Policy (kept in one place, [`Match::note`]): a finding lists an issue in `known_issues` only when
//! the detected TiDB version is affected ([`Affected::Yes`]) or cannot be told apart
//! ([`Affected::Unknown`]: no version in the logs, a dev build of the fixing release, or a release
//! string that pre-GA builds also carried). `known_issues` holds plain `pingcap/tidb#N` strings;
//! the nuance ("possibly … (version unknown)") goes into the explanation. A version that has the
//! fix never names the issue.

use crate::diagnosis::errclass::matching_row;
pub use crate::model::version::{includes_fix, Version};
use crate::timeline::JobTimeline;

/// How sure the version check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affected {
    Yes,
    No,
    /// No version, a dev build of the fixing release, or an ambiguous release string.
    Unknown,
}

/// What else, besides the rule and the error, the job must show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Nothing,
    /// The job's DXF task was reverted (`task reverted` lines).
    DistTaskReverted,
    /// The job ran through the distributed execution framework.
    DistTask,
    /// The job's DXF backfill used global sort (a merge-sort or cloud-import step).
    GlobalSort,
    /// A backfill worker merging the job's temporary index failed (`backfill worker exit on
    /// error` [worker=`… tp merge temporary index`]).
    MergeTempIndex,
    /// The job did not use a DXF task (local ingest / txn backfill).
    NoDistTask,
    /// The owner changed or a TiDB restarted while the job ran.
    OwnerChange,
    /// The owner changed or a TiDB restarted while the job ran, and the job had no DXF task.
    OwnerChangeNoDistTask,
    /// The job ended up (or stayed) in `rollingback`.
    StuckRollingBack,
    /// TiDB's DDL layer did not retry the job's error (no `sleeps a while then retries it.`
    /// line): for issues whose fix puts the error on a retry list, a log that shows the retries
    /// already happening is not that issue.
    NotRetried,
    /// The owner waited on the metadata-lock path (per-job schema-version keys).
    MdlOn,
    /// The owner waited on the path without the metadata lock (per-instance keys).
    MdlOff,
}

/// One upstream issue.
#[derive(Debug, Clone, Copy)]
pub struct KnownIssue {
    /// `pingcap/tidb#50417`.
    pub id: &'static str,
    pub title: &'static str,
    /// Rules whose findings this issue can explain.
    pub rules: &'static [&'static str],
    /// Error families ([`crate::diagnosis::errclass::ClassRow::family`]) or lowercase substrings of the
    /// causing error; empty = any error.
    pub errors: &'static [&'static str],
    pub needs: Needs,
    /// First affected release, when known; older versions are then not affected.
    pub affected_since: Option<&'static str>,
    /// First fixed release per release line (see [`includes_fix`]); empty = not fixed in any release.
    pub fixed_in: &'static [&'static str],
    /// Release strings that builds without the fix also reported (pre-GA builds tagged with the
    /// final version): for those the check says [`Affected::Unknown`].
    pub ambiguous: &'static [&'static str],
    /// The fix (PRs) or its status, for the explanation.
    pub fix: &'static str,
    /// Human summary of the affected range: "v7.5.x, v7.6.0 pre-GA".
    pub affects: &'static str,
}

/// The known-issue table (tidb-source.md §1.5, peers-and-conventions.md §1.7).
pub static ISSUES: &[KnownIssue] = &[
    KnownIssue {
        id: "pingcap/tidb#50417",
        title: "DXF add index rolled back after a transient TiKV error: the reverted task was retried until the error-count limit",
        rules: &["DDL001", "DDL002", "DDL003"],
        errors: &[],
        needs: Needs::DistTaskReverted,
        affected_since: Some("v7.5.0"),
        fixed_in: &["v7.6.0"],
        ambiguous: &["v7.6.0"],
        fix: "fixed in v7.6.0 GA by #50429, never in v7.5.x",
        affects: "v7.5.x, v7.6.0 pre-GA builds",
    },
    KnownIssue {
        id: "pingcap/tidb#49556",
        title: "txn-merge add index stuck rolling back on `[global:2]execution result undetermined` after an owner partition",
        rules: &["DDL001", "DDL004"],
        errors: &["result-undetermined"],
        needs: Needs::NotRetried,
        affected_since: None,
        fixed_in: &["v7.5.1", "v7.6.0"],
        ambiguous: &[],
        fix: "fixed by #49565 (v7.6.0) and its backport #49716 (v7.5.1): code 2 joined ReorgRetryableErrCodes",
        affects: "up to v7.5.0",
    },
    KnownIssue {
        id: "pingcap/tidb#50435",
        title: "add index always running after PD leader I/O delay (backfill executor Init read table meta through KV)",
        rules: &["DDL004", "DDL007", "DDL016"],
        errors: &["pd-timeout", "backend context not found"],
        needs: Needs::DistTask,
        affected_since: None,
        fixed_in: &["v7.5.1", "v7.6.0"],
        ambiguous: &[],
        fix: "fixed by #50378 (#50497 into v7.6.0, #50452 into v7.5.1)",
        affects: "up to v7.5.0",
    },
    KnownIssue {
        id: "pingcap/tidb#49770",
        title: "global-sort add index cannot finish: the next step's subtasks cannot be generated",
        rules: &["DDL004", "DDL007", "DDL016"],
        errors: &["backend context not found"],
        needs: Needs::DistTask,
        affected_since: None,
        fixed_in: &["v7.5.1", "v7.6.0"],
        ambiguous: &[],
        fix: "fixed by #49866 (v7.6.0; #50114 into v7.5.1)",
        affects: "up to v7.5.0",
    },
    KnownIssue {
        id: "pingcap/tidb#50073",
        title: "DDL job stuck `running` during a cluster rolling restart",
        rules: &["DDL004"],
        errors: &[],
        needs: Needs::OwnerChange,
        affected_since: None,
        fixed_in: &["v7.5.1", "v7.6.0"],
        ambiguous: &[],
        fix: "fixed by #50101 (owner-retire hook cleans the processing-job bookkeeping)",
        affects: "up to v7.5.0",
    },
    KnownIssue {
        id: "pingcap/tidb#52805",
        title: "add index rolled back during a rolling restart (dist task off)",
        rules: &["DDL001", "DDL008", "DDL028"],
        errors: &[],
        needs: Needs::OwnerChangeNoDistTask,
        affected_since: None,
        fixed_in: &["v7.1.6", "v7.5.2", "v8.1.0"],
        ambiguous: &[],
        fix: "fixed by #53134 (context-cancel check before commit)",
        affects: "before v7.1.6 / v7.5.2 / v8.1.0",
    },
    KnownIssue {
        id: "pingcap/tidb#56550",
        title: "add index fails on etcd lease loss / context deadline exceeded",
        rules: &["DDL001"],
        errors: &["deadline-exceeded", "etcd-lease"],
        needs: Needs::NotRetried,
        affected_since: None,
        fixed_in: &["v8.5.0"],
        ambiguous: &[],
        fix: "fixed by #56630 (ReorgRetryableErrMsgs) in v8.5.0; not in v8.1.x / v7.5.x",
        affects: "before v8.5.0",
    },
    KnownIssue {
        id: "pingcap/tidb#59735",
        title: "add index fails on `Failed to split region ranges: cannot find region in range` instead of retrying",
        rules: &["DDL001"],
        errors: &["split-region-failed"],
        needs: Needs::NotRetried,
        affected_since: None,
        fixed_in: &["v8.5.2"],
        ambiguous: &[],
        fix: "fixed by #59767 (8212 retryable), backport #60479 into v8.5.2",
        affects: "before v8.5.2",
    },
    KnownIssue {
        id: "pingcap/tidb#68828",
        title: "stale DXF task meta: `index info not found` retried forever by the backfill executor",
        rules: &["DDL004", "DDL007", "DDL017"],
        errors: &["index info not found"],
        needs: Needs::Nothing,
        affected_since: Some("v8.5.0"),
        fixed_in: &[],
        ambiguous: &[],
        fix: "fix #68842 on master (typed non-retryable error); no release yet",
        affects: "v8.5.0 and later",
    },
    KnownIssue {
        id: "pingcap/tidb#59841",
        title: "IMPORT INTO on global sort: planning the ingest step fails with `invalid kv range` (start key after end key)",
        rules: &["DDL018"],
        errors: &["invalid kv range"],
        needs: Needs::Nothing,
        affected_since: None,
        fixed_in: &[],
        ambiguous: &[],
        fix: "listed as fixed in the v8.5.3 release notes (unconfirmed in source)",
        affects: "master before 2025-03; released versions unconfirmed",
    },
    KnownIssue {
        id: "pingcap/tidb#49537",
        title: "global sort: an impossible read size (`read <n> bytes from external storage, exceed max limit 1073741824`) under S3 latency",
        rules: &["DDL018"],
        errors: &["exceed max limit"],
        needs: Needs::Nothing,
        affected_since: None,
        fixed_in: &[],
        ambiguous: &[],
        fix: "sibling report pingcap/tidb#50451; fixing release unconfirmed",
        affects: "seen on master 2023-12 (v7.6 development)",
    },
    KnownIssue {
        id: "pingcap/tidb#70025",
        title: "fast-reorg (non-dist) add index `rollback done` after one `ErrClientCreateTSOStream` while PD bounced",
        rules: &["DDL001"],
        errors: &["tso"],
        needs: Needs::NoDistTask,
        affected_since: None,
        fixed_in: &[],
        ambiguous: &[],
        fix: "open; no fix released",
        affects: "v7.5 / v8.1 / v8.5",
    },
    KnownIssue {
        id: "pingcap/tidb#70026",
        title: "ingest add index / add primary key rolls back after one `ErrNoLeader` / `ErrKVNotLeader` / `ErrKVRegionNotFound`",
        rules: &["DDL001"],
        errors: &["not-leader", "region-not-found"],
        needs: Needs::Nothing,
        affected_since: None,
        fixed_in: &[],
        ambiguous: &[],
        fix: "open; fix PR #71081 (teaches the DDL classifier this error family) not merged",
        affects: "v7.5 / v8.1 / v8.5",
    },
    KnownIssue {
        id: "pingcap/tidb#48208",
        title: "add index `rollback done` during a partition between the PD leader and the other PDs",
        rules: &["DDL001"],
        errors: &["pd-timeout", "tso", "pd-client"],
        needs: Needs::Nothing,
        affected_since: None,
        fixed_in: &[],
        ambiguous: &[],
        fix: "closed upstream; fixing release not identified",
        affects: "unknown range",
    },
    KnownIssue {
        id: "pingcap/tidb#47476",
        title: "add index rollback failed after a DDL-owner network partition",
        rules: &["DDL004"],
        errors: &[],
        needs: Needs::StuckRollingBack,
        affected_since: None,
        fixed_in: &[],
        ambiguous: &[],
        fix: "closed upstream; fixing release not identified",
        affects: "v7.5",
    },
    KnownIssue {
        id: "pingcap/tidb#48633",
        title: "add index rollback on TiDB failure or rolling restart with global sort (dist task on)",
        rules: &["DDL001", "DDL002"],
        errors: &["canceled", "grpc-canceled"],
        needs: Needs::OwnerChange,
        affected_since: None,
        fixed_in: &["v7.5.0"],
        ambiguous: &[],
        fix: "closed; likely addressed by #48639 / #48339 (in v7.5.0) — inference, no commit names the issue",
        affects: "before v7.5.0",
    },
    KnownIssue {
        id: "pingcap/tidb#43755",
        title: "a failed write of an instance's schema version to etcd (metadata lock on) was never retried: the owner waits forever",
        rules: &["DDL009"],
        errors: &[],
        needs: Needs::MdlOn,
        affected_since: None,
        fixed_in: &["v6.5.3", "v7.1.0"],
        ambiguous: &[],
        fix: "fixed by #43781 (the MDL check loop retries a failed write): v7.1.0 (#43785), v6.5.3 (#43784), master before v7.2.0",
        affects: "before v6.5.3 / v7.1.0",
    },
    KnownIssue {
        id: "pingcap/tidb#61210",
        title: "with the metadata lock off, a failed `update self version` was never retried: the owner waits for that instance forever",
        rules: &["DDL009"],
        errors: &[],
        needs: Needs::MdlOff,
        affected_since: None,
        fixed_in: &["v8.5.3"],
        ambiguous: &[],
        fix: "fixed by #62190 (retry updateSelfVersion) on master and v8.5.3 (#62254); the release-7.5 backport #62255 (2025-07) is in no release this source knows",
        affects: "before v8.5.3, v7.5.x",
    },
    KnownIssue {
        id: "pingcap/tidb#65543",
        title: "after a fast restart no instance becomes DDL owner until the old process's etcd lease expires (about 60 s); DDL waits",
        rules: &["DDL027"],
        errors: &[],
        needs: Needs::Nothing,
        affected_since: None,
        fixed_in: &[],
        ambiguous: &[],
        fix: "fix PR #67017 merged 2026-03 (after the newest source checked here), release not identified",
        affects: "v8.5.4, where it was reported; earlier releases elect the owner the same way",
    },
    KnownIssue {
        id: "pingcap/tidb#41381",
        title: "`DDL reorg element does not exist` on cancel during rollback",
        rules: &["DDL004", "DDL006", "DDL008"],
        errors: &["element does not exist"],
        needs: Needs::Nothing,
        affected_since: None,
        fixed_in: &[],
        ambiguous: &[],
        fix: "closed upstream; fixing release not identified",
        affects: "unknown range",
    },
    KnownIssue {
        id: "pingcap/tidb#45456",
        title: "add index stuck when the ingest temp dir does not exist: `cannot get disk capacity` retried forever at SchemaState none",
        rules: &["DDL011"],
        errors: &["cannot get disk capacity"],
        needs: Needs::Nothing,
        affected_since: Some("v7.1.0"),
        // `PreCheckUsage` creates the directory (`os.MkdirAll`) since #45457: in v7.1.2 (backport
        // #45475) and v7.3.0; v7.1.0, v7.1.1 and v7.2.0 lack it (TiDB mirror, disk_root.go).
        fixed_in: &["v7.1.2", "v7.3.0"],
        ambiguous: &[],
        fix: "fixed by #45457 (v7.3.0) and its backport #45475 (v7.1.2): the check creates the directory first",
        affects: "v7.1.0, v7.1.1, v7.2.0",
    },
    KnownIssue {
        id: "pingcap/tidb#58437",
        title: "add index failed under temp-dir I/O delay: the per-job sort directory could not be created (`invalid sorted-kv-dir`)",
        rules: &["DDL011"],
        errors: &["invalid sorted-kv-dir"],
        needs: Needs::Nothing,
        affected_since: None,
        fixed_in: &[],
        ambiguous: &[],
        fix: "no fix recorded in the project notes",
        affects: "seen on a 2024-12 master build",
    },
    KnownIssue {
        id: "pingcap/tidb#62469",
        title: "add index stuck after disk I/O delay: the temp-dir mount became unusable (`transport endpoint is not connected`) and the ingest flush never completed",
        rules: &["DDL011"],
        errors: &["transport endpoint is not connected"],
        needs: Needs::Nothing,
        affected_since: None,
        fixed_in: &[],
        ambiguous: &[],
        fix: "no fix recorded in the project notes",
        affects: "seen on a 2025-07 build",
    },
    KnownIssue {
        id: "pingcap/tidb#53792",
        title: "multi-schema-change ADD INDEX with ingest: a writer's `memory used up` was not propagated, the job finished with index entries missing",
        rules: &["DDL014"],
        errors: &["memory used up"],
        needs: Needs::Nothing,
        affected_since: None,
        fixed_in: &[],
        ambiguous: &[],
        fix: "no fix recorded in the project notes",
        affects: "seen on a 2024-06 master build (v8.2 development)",
    },
    KnownIssue {
        id: "pingcap/tidb#56161",
        title: "false duplicate entry when adding a unique index: the temporary-index merge mistook a key deleted by a concurrent REPLACE for a duplicate",
        rules: &["DDL015"],
        errors: &["duplicate-entry"],
        needs: Needs::MergeTempIndex,
        affected_since: None,
        // #56162 on master (v8.5.0), backports #56264 (v7.5.4) and #57225 (v7.1.6): TiDB mirror.
        fixed_in: &["v7.1.6", "v7.5.4", "v8.5.0"],
        ambiguous: &[],
        fix: "fixed by #56162 (v8.5.0), backports #56264 (v7.5.4) and #57225 (v7.1.6)",
        affects: "releases before those",
    },
    KnownIssue {
        id: "pingcap/tidb#49233",
        title: "ADD UNIQUE INDEX reports a duplicate entry that the data does not hold after the owner changed and the backfill resumed",
        rules: &["DDL015"],
        errors: &["duplicate-entry"],
        needs: Needs::OwnerChange,
        affected_since: None,
        fixed_in: &[],
        ambiguous: &[],
        fix: "open (referenced by #52993, a fixed-TS fast reorg, in v8.1.0)",
        affects: "unknown range",
    },
    KnownIssue {
        id: "pingcap/tidb#54147",
        title: "ADD INDEX with DXF global sort: unstable performance (the read-index step fetched the actual end key of every range)",
        rules: &["DDL026"],
        errors: &[],
        needs: Needs::GlobalSort,
        affected_since: None,
        // #54143 (closes #54147) on master (v8.5.0), backports #55073 (v8.1.1) and #56748
        // (v7.5.5): TiDB mirror.
        fixed_in: &["v7.5.5", "v8.1.1", "v8.5.0"],
        ambiguous: &[],
        fix: "fixed by #54143 (v8.5.0), backports #55073 (v8.1.1) and #56748 (v7.5.5)",
        affects: "v7.5.0–v7.5.4, v8.1.0",
    },
];

impl KnownIssue {
    /// The version check alone.
    pub fn affected(&self, version: Option<&Version>) -> Affected {
        let Some(v) = version else {
            return Affected::Unknown;
        };
        if let Some(since) = self.affected_since.and_then(Version::parse) {
            if v < &since && !(v.is_prerelease() && v.core() == since.core()) {
                return Affected::No;
            }
        }
        if self.fixed_in.is_empty() {
            // Open, or closed with no identified fixing release: the range is a guess.
            return if self.affected_since.is_some() || self.fix.starts_with("open") {
                Affected::Yes
            } else {
                Affected::Unknown
            };
        }
        if v.pre.is_none()
            && self
                .ambiguous
                .iter()
                .filter_map(|a| Version::parse(a))
                .any(|a| a == *v)
        {
            return Affected::Unknown;
        }
        match includes_fix(v, self.fixed_in) {
            Some(true) => Affected::No,
            Some(false) => Affected::Yes,
            None => Affected::Unknown,
        }
    }

    fn error_matches(&self, error: Option<&str>) -> bool {
        if self.errors.is_empty() {
            return true;
        }
        let Some(e) = error else { return false };
        let family = matching_row(e).map(|r| r.family);
        let lower = e.to_ascii_lowercase();
        self.errors
            .iter()
            .any(|p| Some(*p) == family || lower.contains(p))
    }
}

/// What a rule knows when it asks for matching issues.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub rule: &'static str,
    /// The job, `None` for a job-less finding (then only needs that ask nothing of a job match).
    pub job: Option<&'a JobTimeline>,
    /// The error the finding is about (root cause, repeated error...).
    pub error: Option<&'a str>,
    /// The owner changed or a TiDB restarted while the job ran.
    pub owner_changed: bool,
    /// TiDB's DDL layer retried the job (`sleeps a while then retries it.` lines).
    pub ddl_retried: bool,
    /// The schema-version wait's path: `Some(true)` with the metadata lock, `Some(false)`
    /// without, `None` when the finding is not about such a wait.
    pub mdl: Option<bool>,
}

/// One matched issue, with how sure the version check is.
#[derive(Debug, Clone, Copy)]
pub struct Match {
    pub issue: &'static KnownIssue,
    pub affected: Affected,
}

impl Match {
    /// One sentence for a finding's explanation.
    pub fn note(&self, version: Option<&Version>) -> String {
        let i = self.issue;
        match (self.affected, version) {
            (Affected::Yes, Some(v)) => format!("This matches {} ({}; affects {}; {}). TiDB {v} is affected.", i.id, i.title, i.affects, i.fix),
            (Affected::Yes, None) => format!("This matches {} ({}; affects {}; {}).", i.id, i.title, i.affects, i.fix),
            (Affected::Unknown, None) => format!("Possibly {} (version unknown): {}; affects {}; {}.", i.id, i.title, i.affects, i.fix),
            (Affected::Unknown, Some(v)) => format!(
                "Possibly {} (TiDB {v} cannot be told apart from an affected build): {}; affects {}; {}.",
                i.id, i.title, i.affects, i.fix
            ),
            (Affected::No, _) => String::new(),
        }
    }
}

/// The issues a finding fits, for the TiDB version at hand (affected or unknown only).
pub fn matching(facts: &Facts<'_>, version: Option<&Version>) -> Vec<Match> {
    let job = facts.job;
    let dist = job.and_then(|j| j.dist_task.as_ref());
    let mode = job.and_then(|j| j.backfill_mode.as_deref());
    ISSUES
        .iter()
        .filter(|i| i.rules.contains(&facts.rule))
        .filter(|i| i.error_matches(facts.error))
        .filter(|i| match i.needs {
            Needs::Nothing => true,
            Needs::DistTaskReverted => dist.is_some_and(|d| d.reverted > 0 || d.not_resumable > 0),
            Needs::DistTask => dist.is_some() || mode.is_some_and(|m| m.starts_with("dxf")),
            Needs::GlobalSort => mode == Some("dxf+global-sort"),
            Needs::MergeTempIndex => job.is_some_and(|j| {
                j.events_of(crate::event::EventKind::BackfillError).any(|e| {
                    matches!(&*e.detail, crate::event::Detail::BackfillFailure { worker: Some(w), .. } if w.contains("merge temporary index"))
                })
            }),
            Needs::NoDistTask => {
                job.is_some() && dist.is_none() && !mode.is_some_and(|m| m.starts_with("dxf"))
            }
            Needs::OwnerChange => facts.owner_changed,
            Needs::OwnerChangeNoDistTask => facts.owner_changed && job.is_some() && dist.is_none(),
            Needs::StuckRollingBack => {
                job.is_some_and(|j| j.outcome == crate::model::JobState::RollingBack)
            }
            Needs::NotRetried => !facts.ddl_retried,
            Needs::MdlOn => facts.mdl == Some(true),
            Needs::MdlOff => facts.mdl == Some(false),
        })
        .map(|i| Match {
            issue: i,
            affected: i.affected(version),
        })
        .filter(|m| m.affected != Affected::No)
        .collect()
}

/// The issues a finding about a DXF task fits when no job is tied to it: only issues that need
/// nothing of a job, or only that a DXF task ran (the task is one).
pub fn matching_task(rule: &str, error: Option<&str>, version: Option<&Version>) -> Vec<Match> {
    ISSUES
        .iter()
        .filter(|i| i.rules.contains(&rule))
        .filter(|i| i.error_matches(error))
        .filter(|i| matches!(i.needs, Needs::Nothing | Needs::DistTask))
        .map(|i| Match {
            issue: i,
            affected: i.affected(version),
        })
        .filter(|m| m.affected != Affected::No)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn issue(id: &str) -> &'static KnownIssue {
        ISSUES.iter().find(|i| i.id == id).unwrap()
    }

    #[test]
    fn parses_versions() {
        assert_eq!(
            v("v7.6.0"),
            Version {
                major: 7,
                minor: 6,
                patch: 0,
                pre: None
            }
        );
        assert_eq!(v("8.5.4").to_string(), "v8.5.4");
        assert_eq!(v("v8.5.0-alpha").pre.as_deref(), Some("alpha"));
        assert_eq!(
            v("v7.6.0-alpha-123-g2df8bd1").pre.as_deref(),
            Some("alpha-123-g2df8bd1")
        );
        assert_eq!(v("v4.0.0-beta.2-960-g5184a0d70-dirty").minor, 0);
        assert!(Version::parse("None").is_none());
        assert!(Version::parse("").is_none());
        assert!(Version::parse("master").is_none());
    }

    #[test]
    fn orders_versions() {
        assert!(v("v7.5.1") > v("v7.5.0"));
        assert!(v("v7.6.0") > v("v7.5.9"));
        assert!(v("v7.6.0-alpha-123-g2df8bd1") < v("v7.6.0"));
        assert!(v("v7.6.0-alpha-123-g2df8bd1") > v("v7.5.1"));
        assert!(v("v8.5.0-alpha") < v("v8.5.0"));
        assert!(v("v10.0.0") > v("v9.9.9"));
    }

    #[test]
    fn fixes_by_release_line() {
        let lines = &["v7.1.6", "v7.5.2", "v8.1.0"];
        assert_eq!(includes_fix(&v("v7.5.1"), lines), Some(false));
        assert_eq!(includes_fix(&v("v7.5.2"), lines), Some(true));
        assert_eq!(
            includes_fix(&v("v7.6.0"), lines),
            Some(false),
            "7.6 branched before the fix and got no backport"
        );
        assert_eq!(includes_fix(&v("v8.1.0"), lines), Some(true));
        assert_eq!(includes_fix(&v("v8.5.0"), lines), Some(true));
        assert_eq!(includes_fix(&v("v6.5.0"), lines), Some(false));
        assert_eq!(includes_fix(&v("v8.1.0-alpha-3-gabc"), lines), None);
    }

    #[test]
    fn issue_50417_by_version() {
        let i = issue("pingcap/tidb#50417");
        assert_eq!(i.affected(Some(&v("v7.5.0"))), Affected::Yes);
        assert_eq!(
            i.affected(Some(&v("v7.5.6"))),
            Affected::Yes,
            "never backported to 7.5"
        );
        assert_eq!(
            i.affected(Some(&v("v7.6.0-alpha-123-g2df8bd1"))),
            Affected::Unknown
        );
        assert_eq!(
            i.affected(Some(&v("v7.6.0"))),
            Affected::Unknown,
            "the #50417 build itself said v7.6.0"
        );
        assert_eq!(i.affected(Some(&v("v7.6.1"))), Affected::No);
        assert_eq!(i.affected(Some(&v("v8.1.0"))), Affected::No);
        assert_eq!(i.affected(Some(&v("v7.1.0"))), Affected::No);
        assert_eq!(i.affected(None), Affected::Unknown);
    }

    #[test]
    fn other_issues_by_version() {
        assert_eq!(
            issue("pingcap/tidb#49556").affected(Some(&v("v7.5.0"))),
            Affected::Yes
        );
        assert_eq!(
            issue("pingcap/tidb#49556").affected(Some(&v("v7.5.1"))),
            Affected::No
        );
        assert_eq!(
            issue("pingcap/tidb#56550").affected(Some(&v("v8.1.2"))),
            Affected::Yes
        );
        assert_eq!(
            issue("pingcap/tidb#56550").affected(Some(&v("v8.5.0"))),
            Affected::No
        );
        assert_eq!(
            issue("pingcap/tidb#59735").affected(Some(&v("v8.5.1"))),
            Affected::Yes
        );
        assert_eq!(
            issue("pingcap/tidb#59735").affected(Some(&v("v8.5.2"))),
            Affected::No
        );
        assert_eq!(
            issue("pingcap/tidb#52805").affected(Some(&v("v7.6.0"))),
            Affected::Yes
        );
        assert_eq!(
            issue("pingcap/tidb#70026").affected(Some(&v("v8.5.3"))),
            Affected::Yes
        );
        assert_eq!(
            issue("pingcap/tidb#68828").affected(Some(&v("v8.1.0"))),
            Affected::No
        );
        assert_eq!(
            issue("pingcap/tidb#68828").affected(Some(&v("v8.5.1"))),
            Affected::Yes
        );
        assert_eq!(
            issue("pingcap/tidb#48208").affected(Some(&v("v8.5.1"))),
            Affected::Unknown
        );
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut ids: Vec<_> = ISSUES.iter().map(|i| i.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), ISSUES.len());
        for i in ISSUES {
            assert!(i.id.starts_with("pingcap/tidb#"), "{}", i.id);
            for f in i
                .fixed_in
                .iter()
                .chain(i.affected_since.iter())
                .chain(i.ambiguous.iter())
            {
                assert!(Version::parse(f).is_some(), "{f}");
            }
        }
    }
}
