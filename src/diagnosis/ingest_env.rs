//! The ingest environment: is the TiDB-local sort directory of a job missing, full, unusable?
//!
//! Ingest sorts KV pairs in `<temp-dir>/tmp_ddl-<port>` on the instance running the backfill
//! (failure-families F8). When that directory is missing, on a full or broken disk, or not
//! writable, the job fails at `SchemaState:none` (the environment check of `pickBackfillType`),
//! cannot build its backend, or waits on a flush that never completes. The errors that say so,
//! confirmed in the TiDB mirror:
//!
//! * `cannot get disk capacity at <dir>: <errno>` — `lightning/common/storage_unix.go`
//!   (`br/pkg/…` ≤v7.6, `pkg/…` v8.1+), unchanged v7.1–master. Up to v7.1.1 and in v7.2.0 a
//!   missing directory gives exactly this plain Go error, retried at the DDL layer (pingcap/tidb
//!   #45456); from v7.1.2 / v7.3.0 (#45457) the check creates the directory first and wraps
//!   failures in `[ddl:8256]`.
//! * `[ddl:8256]Check ingest environment failed: <msg>` — `ErrIngestCheckEnvFailed`,
//!   `ddl/ingest/disk_root.go` `PreCheckUsage` (v7.1.2+, v7.3.0+); `<msg>` is the `mkdir` or
//!   capacity error, or for a nearly full disk `sort path: <dir>, disk usage: <used>/<cap>,
//!   backend usage: <n>, please clean up the disk and retry` (v7.5) / `no enough space in <dir>`
//!   (v7.6+, with the `available disk space is less than 10%, cannot use ingest mode` warning).
//! * `[Lightning:Config:ErrInvalidSortedKVDir]invalid sorted-kv-dir '<dir>' for local backend,
//!   please change the config or delete the path` — `lightning/common/errors.go`, v7.1–master,
//!   on `build ingest backend failed` (`ddl/ingest/message.go`).
//! * OS errors on the sort directory's files (`open <dir>/…: transport endpoint is not
//!   connected`, `no space left on device`, `permission denied`) on ingest lines such as
//!   `close writer error` (`ddl/ingest/message.go`).

use crate::event::{Detail, EventKind, Evidence};
use crate::model::Timestamp;
use crate::timeline::{Cluster, ErrorStat, JobTimeline};

/// What is wrong with the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvCondition {
    /// `no such file or directory`: the directory (or a parent) does not exist.
    Missing,
    /// The disk is full or nearly full (`no space left on device`, `no enough space in`, the
    /// 10% check).
    NoSpace,
    /// The mount is gone or broken (`transport endpoint is not connected`, `input/output
    /// error`, `stale file handle`, `read-only file system`).
    Unusable,
    /// `permission denied`.
    Permission,
    /// The environment check failed for another reason (the error says which).
    CheckFailed,
}

impl EnvCondition {
    /// What is wrong, as a phrase: "does not exist".
    pub fn phrase(self) -> &'static str {
        match self {
            EnvCondition::Missing => "does not exist",
            EnvCondition::NoSpace => "is (nearly) out of disk space",
            EnvCondition::Unusable => "is on a mount that is gone or broken",
            EnvCondition::Permission => "is not writable by tidb-server (permission denied)",
            EnvCondition::CheckFailed => "failed TiDB's ingest environment check",
        }
    }
}

/// The job's ingest-environment failure, as the logs show it.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvFault {
    pub condition: EnvCondition,
    /// The path the error names (`/var/lib/tidb-data/tmp_ddl-4000/617/….sst`).
    pub path: Option<String>,
    /// The TiDB temp-dir's ingest root within it (`/var/lib/tidb-data/tmp_ddl-4000`), when the
    /// path shows it.
    pub sort_root: Option<String>,
    /// The error as logged (the first environment error of the job).
    pub error: String,
    /// The instance whose log holds it (the instance running the backfill).
    pub instance: Option<String>,
    /// The message of the line that first gave it (`build ingest backend failed`).
    pub message: Option<String>,
    /// How many times the job logged it (its `ErrorStat` count).
    pub count: u64,
    pub first: Evidence,
    pub last: Evidence,
    /// The error is known only from the job strings' `Err:` (no line's `error` field gives it).
    pub from_job_string: bool,
    /// The usage TiDB printed for a nearly full disk (`disk usage: 95/100, backend usage: 0`),
    /// and the line that printed it when it is not the error line.
    pub usage: Option<String>,
    pub usage_evidence: Option<Evidence>,
    /// Lines of the same error that name no job (`ingest backfill is not available`, v7.1's
    /// `run DDL job error`), from the same file: the first and the last.
    pub related: Vec<Evidence>,
}

/// Texts that name TiDB's ingest environment: any error carrying one is an environment error.
const MARKERS: &[&str] = &[
    "cannot get disk capacity at",
    "check ingest environment failed",
    "[ddl:8256]",
    "invalid sorted-kv-dir",
    "errinvalidsortedkvdir",
    "no enough space in",
    "please clean up the disk and retry",
];

/// OS errors (Go's `syscall.Errno` texts) and what they mean for a directory.
const ERRNOS: &[(&str, EnvCondition)] = &[
    ("no such file or directory", EnvCondition::Missing),
    ("no space left on device", EnvCondition::NoSpace),
    ("disk quota exceeded", EnvCondition::NoSpace),
    (
        "transport endpoint is not connected",
        EnvCondition::Unusable,
    ),
    ("input/output error", EnvCondition::Unusable),
    ("stale file handle", EnvCondition::Unusable),
    ("read-only file system", EnvCondition::Unusable),
    ("permission denied", EnvCondition::Permission),
];

/// The condition an error text shows, when it is an ingest-environment error: it names the
/// ingest environment ([`MARKERS`]), or it is an OS error on a local absolute path of this
/// TiDB. An error a remote store returned (`rpc error: … desc = …`, an object-storage URL) is
/// about that store's files, not TiDB's temp dir.
pub fn condition_of(text: &str) -> Option<EnvCondition> {
    let lower = text.to_ascii_lowercase();
    let marked = MARKERS.iter().any(|m| lower.contains(m));
    let errno = ERRNOS
        .iter()
        .find(|(e, _)| lower.contains(e))
        .map(|(_, c)| *c);
    let remote = lower.contains("://") || lower.contains("rpc error") || lower.contains("desc =");
    let local_path = first_path(text).is_some() && !remote;
    if !(marked || (errno.is_some() && local_path)) {
        return None;
    }
    Some(errno.unwrap_or(
        if lower.contains("no enough space in") || lower.contains("please clean up the disk") {
            EnvCondition::NoSpace
        } else {
            EnvCondition::CheckFailed
        },
    ))
}

/// The directory an environment error names: after `cannot get disk capacity at`, `no enough
/// space in`, `sort path:`, inside `invalid sorted-kv-dir '…'`, else the first absolute path.
pub fn path_of(text: &str) -> Option<String> {
    let after = |mark: &str, stop: &[char]| -> Option<String> {
        let p = text.find(mark)? + mark.len();
        let rest = text[p..].trim_start();
        let end = rest.find(|c: char| stop.contains(&c)).unwrap_or(rest.len());
        let s = rest[..end].trim_end_matches(['.', ',']);
        (!s.is_empty()).then(|| s.to_string())
    };
    after("invalid sorted-kv-dir '", &['\''])
        .or_else(|| after("cannot get disk capacity at", &[':', ' ', ',']))
        .or_else(|| after("no enough space in", &[' ', ',', ':']))
        .or_else(|| after("sort path:", &[',', ' ']))
        .or_else(|| first_path(text))
}

/// The first absolute path of a text (up to `:`, a space, a quote or a comma).
fn first_path(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let starts = b == b'/'
            && (i == 0 || matches!(bytes[i - 1], b' ' | b'\'' | b'"' | b'=' | b'('))
            && bytes
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.');
        if starts {
            let rest = &text[i..];
            let end = rest
                .find([':', ' ', '\'', '"', ',', ')'])
                .unwrap_or(rest.len());
            return Some(rest[..end].to_string());
        }
    }
    None
}

/// `/var/lib/tidb-data/tmp_ddl-4000/617/x.sst` → `/var/lib/tidb-data/tmp_ddl-4000`.
pub fn sort_root(path: &str) -> Option<String> {
    let p = path.rfind("tmp_ddl-")?;
    let digits = path[p + "tmp_ddl-".len()..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    (digits > 0).then(|| path[..p + "tmp_ddl-".len() + digits].to_string())
}

/// The usage part of a v7.5 environment error: `disk usage: 95/100, backend usage: 0`.
fn usage_in(text: &str) -> Option<String> {
    let p = text.find("disk usage:")?;
    let rest = &text[p..];
    let end = rest.find(", please").unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

/// `96.1% of 2.00 TB used` from TiDB's `disk usage: <used>/<capacity>, …`.
pub fn usage_percent(usage: &str) -> Option<String> {
    let rest = usage.strip_prefix("disk usage: ")?;
    let (used, rest) = rest.split_once('/')?;
    let cap = rest.split(',').next()?.trim();
    let (used, cap): (f64, f64) = (used.trim().parse().ok()?, cap.parse().ok()?);
    (cap > 0.0).then(|| format!("{:.1}% of {:.2} TB used", used * 100.0 / cap, cap / 1e12))
}

/// How close (seconds) the `available disk space is less than 10%` warning must precede the
/// job's environment error to be its usage report (both come from one `PreCheckUsage` call).
const DISK_LOW_WINDOW_SECS: i64 = 5;

/// The job's ingest-environment failure, if its errors (lines or job strings) show one.
pub fn env_fault(job: &JobTimeline, cluster: &Cluster) -> Option<EnvFault> {
    // Earliest environment error first: the first thing that went wrong with the directory.
    let stat: &ErrorStat = job
        .errors
        .iter()
        .filter(|s| condition_of(&s.text).is_some())
        .min_by_key(|s| (s.first.ts, s.first.line))?;
    let condition = condition_of(&stat.text)?;
    let path = path_of(&stat.text);
    let from_job_string = !job.events.iter().any(|e| {
        e.error
            .as_deref()
            .is_some_and(|t| t == stat.text || stat.text.ends_with(t))
    });
    let mut usage = usage_in(&stat.text);
    let mut usage_evidence = None;
    if usage.is_none() && condition == EnvCondition::NoSpace {
        // v7.6+: the usage is on the warning the same check logged just before.
        let near = |ts: Option<Timestamp>| {
            ts.zip(stat.first.ts).is_some_and(|(w, e)| {
                let d = (e - w).num_seconds();
                (0..=DISK_LOW_WINDOW_SECS).contains(&d)
            })
        };
        let warn = job
            .events_of(EventKind::IngestDiskLow)
            .chain(
                cluster
                    .unattributed
                    .iter()
                    .filter(|e| e.kind == EventKind::IngestDiskLow),
            )
            .find(|e| e.evidence.file == stat.first.file && near(e.ts));
        if let Some(w) = warn {
            if let Detail::DiskUsage { usage: u, .. } = &*w.detail {
                usage = u.clone();
            }
            usage_evidence = Some(w.evidence.clone());
        }
    }
    // The same error on lines that name no job (the check's own line; before v7.5 the worker's
    // error and retry lines carry no job id), from the same log.
    let bare = stat.text.strip_prefix("[ddl:-1]").unwrap_or(&stat.text);
    let same: Vec<&Evidence> = cluster
        .unattributed
        .iter()
        .filter(|e| {
            e.evidence.file == stat.first.file
                && e.error
                    .as_deref()
                    .is_some_and(|t| t == stat.text || t == bare)
        })
        .map(|e| &e.evidence)
        .collect();
    let related: Vec<Evidence> = match (same.first(), same.last()) {
        (Some(a), Some(b)) if a.line != b.line => vec![(*a).clone(), (*b).clone()],
        (Some(a), _) => vec![(*a).clone()],
        _ => Vec::new(),
    };
    let line = job
        .events
        .iter()
        .find(|e| e.evidence.file == stat.first.file && e.evidence.line == stat.first.line);
    let message = line.map(|e| e.message.to_string());
    let instance = line
        .map(|e| e.instance.to_string())
        .or_else(|| match &job.instances[..] {
            [only] => Some(only.to_string()),
            _ => None,
        });
    Some(EnvFault {
        condition,
        instance,
        message,
        sort_root: path.as_deref().and_then(sort_root),
        path,
        error: stat.text.clone(),
        count: stat.count,
        first: stat.first.clone(),
        last: stat.last.clone(),
        from_job_string,
        usage,
        usage_evidence,
        related,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_of_real_errors() {
        use EnvCondition::*;
        for (text, want) in [
            // issue-45456 (job string Err)
            ("[ddl:-1]cannot get disk capacity at /tmp/tidb/tmp_ddl-4000: no such file or directory", Some(Missing)),
            // issue-58437
            ("[Lightning:Config:ErrInvalidSortedKVDir]invalid sorted-kv-dir '/var/lib/tidb-data/tmp_ddl-4000/687' for local backend, please change the config or delete the path: mkdir /var/lib/tidb-data/tmp_ddl-4000/687: no such file or directory", Some(Missing)),
            // issue-62469
            ("open /var/lib/tidb-data/tmp_ddl-4000/617/69abe723.sst/1808f446.sst: transport endpoint is not connected", Some(Unusable)),
            ("[ddl:8256]Check ingest environment failed: no enough space in /data/tidb/tmp_ddl-4000", Some(NoSpace)),
            ("[ddl:8256]Check ingest environment failed: sort path: /data/tmp_ddl-4000, disk usage: 95/100, backend usage: 0, please clean up the disk and retry", Some(NoSpace)),
            ("[ddl:8256]Check ingest environment failed: mkdir /data/tmp_ddl-4000: permission denied", Some(Permission)),
            ("[tikv:9005]Region is unavailable", None),
            ("[kv:1062]Duplicate entry '1' for key 't.idx'", None),
            ("open s3://bucket/prefix/1/2/x.sst: no such file or directory", None),
            ("rpc error: code = Unknown desc = DiskSpaceNotEnough", None),
            // TiKV's own file, reported back over gRPC (lightning/common/retry.go's example).
            ("rpc error: code = Unknown desc = EngineTraits(Engine(Status { code: IoError, sub_code: None, sev: NoError, state: \"IO error: No such file or directory: while stat a file for size: /data/tikv/import/63992d9c_write.sst: No such file or directory\" }))", None),
            // A cancel on an ingest line that names the sort dir is not an environment error.
            ("open /data1/tidb-tmp/tmp_ddl-4000/617/a.sst: context canceled", None),
        ] {
            assert_eq!(condition_of(text), want, "{text}");
        }
    }

    #[test]
    fn paths_and_roots() {
        let p = |t: &str| path_of(t);
        assert_eq!(
            p("[ddl:-1]cannot get disk capacity at /tmp/tidb/tmp_ddl-4000: no such file or directory").as_deref(),
            Some("/tmp/tidb/tmp_ddl-4000")
        );
        assert_eq!(
            p("invalid sorted-kv-dir '/var/lib/tidb-data/tmp_ddl-4000/687' for local backend, please change the config or delete the path: mkdir /var/lib/tidb-data/tmp_ddl-4000/687: no such file or directory").as_deref(),
            Some("/var/lib/tidb-data/tmp_ddl-4000/687")
        );
        assert_eq!(
            p("Check ingest environment failed: no enough space in /data/tidb/tmp_ddl-4000")
                .as_deref(),
            Some("/data/tidb/tmp_ddl-4000")
        );
        assert_eq!(
            p("sort path: /data/tmp_ddl-4000, disk usage: 95/100, backend usage: 0, please clean up the disk and retry").as_deref(),
            Some("/data/tmp_ddl-4000")
        );
        assert_eq!(
            p("open /var/lib/tidb-data/tmp_ddl-4000/617/a.sst/b.sst: transport endpoint is not connected").as_deref(),
            Some("/var/lib/tidb-data/tmp_ddl-4000/617/a.sst/b.sst")
        );
        assert_eq!(
            sort_root("/var/lib/tidb-data/tmp_ddl-4000/617/a.sst").as_deref(),
            Some("/var/lib/tidb-data/tmp_ddl-4000")
        );
        assert_eq!(sort_root("/data/sort"), None);
        assert_eq!(
            usage_percent("disk usage: 1852731392000/1999999999999, backend usage: 0").as_deref(),
            Some("92.6% of 2.00 TB used")
        );
        assert_eq!(
            usage_in("sort path: /d/tmp_ddl-4000, disk usage: 95/100, backend usage: 0, please clean up the disk and retry").as_deref(),
            Some("disk usage: 95/100, backend usage: 0")
        );
    }
}
