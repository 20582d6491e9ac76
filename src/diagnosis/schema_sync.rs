//! The owner's wait for a schema version: whom it waits for, and what that instance logged.
//!
//! After each schema change the DDL owner waits until every TiDB reports the new version in etcd
//! (`syncer check all versions, someone is not synced`). With the metadata lock on, each
//! instance writes one key per job (`/tidb/ddl/all_schema_by_job_versions/<job>/<uuid>`) once no
//! old transaction holds the table; with it off, one key per instance
//! (`/tidb/ddl/all_schema_versions/<uuid>`). This module finds, once per job (and once for the
//! owner's job-less waits), the instances the owner names, the file whose log is theirs, and
//! their failed writes (`etcd-cli put kv failed`, `update self version failed`), so that DDL009,
//! DDL010 and DDL025 speak of the same wait.

use std::collections::BTreeMap;

use crate::event::{Event, EventKind, Evidence};
use crate::model::Timestamp;
use crate::timeline::{JobTimeline, Timelines};

/// A failed write this long before the owner's first line can still be why it waits.
const WRITE_BEFORE_WAIT_SECS: i64 = 120;

/// One instance the owner waits for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Laggard {
    /// Its DDL id (`<uuid>`), when the owner's line names it.
    pub node: Option<String>,
    /// `ip:port` from the owner's `info`.
    pub address: Option<String>,
    /// The file instance whose log is that node's, when a line ties them (an owner line's own
    /// id, or a schema-version key the instance wrote).
    pub instance: Option<String>,
    /// How many kept owner lines name it.
    pub lines: u64,
    /// Its failed schema-version writes (by its id, or on its file instance), in time order.
    pub failed_writes: Vec<Event>,
}

/// The owner's latest wait for a schema version (one job's, or a job-less one).
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaWait {
    /// The job the owner's lines name (with the metadata lock on), or the job tied to a
    /// job-less wait.
    pub job_id: Option<i64>,
    /// True when the owner's lines name no job and the job was tied by elimination.
    pub job_inferred: bool,
    /// `Some(true)`: per-job keys (metadata lock on); `Some(false)`: per-instance keys.
    pub mdl: Option<bool>,
    /// The version waited for.
    pub version: Option<i64>,
    /// The message of the owner's lines (`syncer check all versions, someone is not synced`, …).
    pub message: String,
    /// The owner's first and last `… not synced` lines of this wait, and how many there were.
    pub first: Evidence,
    pub last: Evidence,
    pub count: u64,
    /// The instances named, most lines first.
    pub laggards: Vec<Laggard>,
    /// Failed writes of the waited-for version by instances the owner does not name (a log
    /// that holds another instance's failure, or an id the owner spells differently).
    pub other_writes: Vec<Event>,
    /// The line that ended the wait (`wait latest schema version changed …` / `wait schema
    /// version synced success`, or the job's next state change), when one did.
    pub ended: Option<Evidence>,
}

impl SchemaWait {
    /// The wait's length from its first to its last line (or to the line that ended it).
    pub fn span(&self) -> Option<chrono::Duration> {
        let end = self.ended.as_ref().unwrap_or(&self.last);
        Some(end.ts? - self.first.ts?)
    }

    /// True when some failed write is tied to the wait.
    pub fn has_failed_write(&self) -> bool {
        self.laggards.iter().any(|l| !l.failed_writes.is_empty()) || !self.other_writes.is_empty()
    }
}

/// What every job's wait is computed from: the instance ↔ id map and every failed write.
#[derive(Debug, Clone, Default)]
pub struct SyncIndex {
    /// DDL id → file instance.
    pub node_instance: BTreeMap<String, String>,
    /// Every kept `SchemaVersionUpdateFailed` event of the logs, in time order.
    pub failed_writes: Vec<Event>,
}

/// Builds the index once for the whole cluster.
pub fn index(t: &Timelines) -> SyncIndex {
    let mut node_instance = BTreeMap::new();
    for e in &t.cluster.owner_events {
        if let Some(me) = e.detail.me() {
            node_instance
                .entry(me.to_string())
                .or_insert_with(|| e.instance.to_string());
        }
    }
    let mut failed_writes: Vec<Event> = t
        .jobs
        .iter()
        .flat_map(|j| j.events_of(EventKind::SchemaVersionUpdateFailed))
        .chain(
            t.cluster
                .unattributed
                .iter()
                .filter(|e| e.kind == EventKind::SchemaVersionUpdateFailed),
        )
        .cloned()
        .collect();
    failed_writes.sort_by(|a, b| {
        (a.ts, &a.evidence.file, a.evidence.line).cmp(&(b.ts, &b.evidence.file, b.evidence.line))
    });
    failed_writes
        .dedup_by(|a, b| a.evidence.file == b.evidence.file && a.evidence.line == b.evidence.line);
    // An instance that wrote a schema-version key of its own id is that id.
    for e in &failed_writes {
        if let Some(node) = e.detail.sync().and_then(|s| s.node.clone()) {
            node_instance
                .entry(node)
                .or_insert_with(|| e.instance.to_string());
        }
    }
    SyncIndex {
        node_instance,
        failed_writes,
    }
}

fn is_not_synced_line(e: &Event) -> bool {
    e.kind == EventKind::SchemaVersionNotSynced && e.message.contains("not synced")
}

/// Whether an owner line is of the metadata-lock path.
fn mdl_path(e: &Event) -> Option<bool> {
    if e.message.ends_with("someone is not synced")
        || e.message.ends_with("all nodes are not synced")
    {
        return Some(true);
    }
    let key = e.detail.sync()?.key.as_deref()?;
    if key.contains("/all_schema_by_job_versions/") {
        Some(true)
    } else if key.contains("/all_schema_versions/") {
        Some(false)
    } else {
        None
    }
}

/// The owner's latest wait of a job: the `… not synced` lines after the job's last earlier
/// progress, and whether a later line ended it.
pub fn job_wait(job: &JobTimeline, idx: &SyncIndex) -> Option<SchemaWait> {
    let lines: Vec<&Event> = job
        .kept_events()
        .filter(|e| is_not_synced_line(e))
        .collect();
    let last = *lines.last()?;
    // Where this wait began: after the last sync success or state change before its last line.
    let before_last = |ts: Option<Timestamp>| ts.is_some_and(|t| Some(t) < last.ts);
    let began_after = job
        .events_of(EventKind::SchemaVersionSynced)
        .map(|e| e.ts)
        .chain(job.states.iter().map(|s| s.evidence.ts))
        .filter(|t| before_last(*t))
        .max()
        .flatten();
    let this: Vec<&Event> = lines
        .iter()
        .copied()
        .filter(|e| began_after.is_none_or(|b| e.ts.is_some_and(|t| t > b)))
        .collect();
    let this = if this.is_empty() { vec![last] } else { this };
    let ended = job
        .events_of(EventKind::SchemaVersionSynced)
        .map(|e| &e.evidence)
        .chain(job.states.iter().map(|s| &s.evidence))
        .filter(|e| e.ts.is_some() && e.ts > last.ts)
        .min_by_key(|e| e.ts)
        .cloned();
    let total = job
        .count(EventKind::SchemaVersionNotSynced)
        .max(this.len() as u64);
    let mut w = build(&this, idx, Some(job.job_id));
    // Kept lines are bounded; when all of the job's lines are this wait's, the count is exact.
    w.count = if lines.len() == this.len() {
        total
    } else {
        this.len() as u64
    };
    w.ended = ended;
    Some(w)
}

/// The owner's waits that name no job (metadata lock off), one per (instance, version).
pub fn jobless_waits(t: &Timelines, idx: &SyncIndex) -> Vec<SchemaWait> {
    let mut groups: BTreeMap<(Option<String>, Option<i64>), Vec<&Event>> = BTreeMap::new();
    for e in t
        .cluster
        .unattributed
        .iter()
        .filter(|e| is_not_synced_line(e))
    {
        let s = e.detail.sync();
        groups
            .entry((s.and_then(|s| s.node.clone()), s.and_then(|s| s.version)))
            .or_default()
            .push(e);
    }
    groups
        .into_values()
        .map(|lines| build(&lines, idx, None))
        .collect()
}

/// One wait from its owner lines (at least one, in time order).
fn build(lines: &[&Event], idx: &SyncIndex, job_id: Option<i64>) -> SchemaWait {
    let mut laggards: Vec<Laggard> = Vec::new();
    for e in lines {
        let s = e.detail.sync();
        let node = s.and_then(|s| s.node.clone());
        let address = s.and_then(|s| s.address.clone());
        match laggards.iter_mut().find(|l| l.node == node) {
            Some(l) => {
                l.lines += 1;
                if l.address.is_none() {
                    l.address = address;
                }
            }
            None => laggards.push(Laggard {
                instance: node
                    .as_ref()
                    .and_then(|n| idx.node_instance.get(n).cloned()),
                node,
                address,
                lines: 1,
                failed_writes: Vec::new(),
            }),
        }
    }
    laggards.sort_by_key(|l| std::cmp::Reverse(l.lines));
    let version = lines
        .iter()
        .rev()
        .find_map(|e| e.detail.sync().and_then(|s| s.version));
    let from = lines
        .first()
        .and_then(|e| e.ts)
        .map(|t| t - chrono::Duration::seconds(WRITE_BEFORE_WAIT_SECS));
    let to = lines.last().and_then(|e| e.ts);
    let in_window = |e: &Event| match (e.ts, from, to) {
        (Some(t), Some(a), Some(b)) => t >= a && t <= b,
        _ => false,
    };
    // A write tied to this job (or naming no job) and not to another job.
    let job_fits = |e: &Event| job_id.is_none() || e.job_id.is_none() || e.job_id == job_id;
    let mut used: Vec<(String, u64)> = Vec::new();
    for l in laggards.iter_mut() {
        for e in &idx.failed_writes {
            let wnode = e.detail.sync().and_then(|s| s.node.as_deref());
            let by_node = l.node.is_some() && wnode == l.node.as_deref();
            // `update self version failed` names no id: it is the laggard's when its file is.
            let by_instance =
                wnode.is_none() && l.instance.as_deref() == Some(&*e.instance) && in_window(e);
            let by_job_key = e.job_id.is_some() && e.job_id == job_id;
            if (by_node && (by_job_key || in_window(e) || job_id.is_none()) || by_instance)
                && job_fits(e)
            {
                used.push((e.evidence.file.to_string(), e.evidence.line));
                l.failed_writes.push(e.clone());
            }
        }
    }
    let named: Vec<&str> = laggards.iter().filter_map(|l| l.node.as_deref()).collect();
    let other_writes = idx
        .failed_writes
        .iter()
        .filter(|e| !used.contains(&(e.evidence.file.to_string(), e.evidence.line)))
        .filter(|e| in_window(e) && job_fits(e))
        .filter(|e| {
            let s = e.detail.sync();
            let wnode = s.and_then(|s| s.node.as_deref());
            // Only schema-version writes (a key of the sync paths, or the summary lines that
            // name no key), of the version waited for.
            let schema_write = wnode.is_some() || s.and_then(|s| s.key.as_deref()).is_none();
            let same_version = version.is_some() && s.and_then(|s| s.version) == version;
            schema_write && same_version && wnode.is_none_or(|n| !named.contains(&n))
        })
        .cloned()
        .collect();
    SchemaWait {
        job_id,
        job_inferred: false,
        mdl: lines.iter().find_map(|e| mdl_path(e)),
        version,
        message: lines[lines.len() - 1].message.to_string(),
        first: lines[0].evidence.clone(),
        last: lines[lines.len() - 1].evidence.clone(),
        count: lines.len() as u64,
        laggards,
        other_writes,
        ended: None,
    }
}
