//! Record → [`Event`]: the message picks the kind ([`super::vocab`]), the fields fill the rest.
//!
//! TiDB spells the same field many ways across versions and packages (`jobID`, `"job ID"`,
//! `job_id`, `"ddl id"` ...). Every spelling lives in one list in [`keys`], so a new TiDB
//! spelling is one more string, not a new code path.

use std::sync::Arc;

use smallvec::SmallVec;

use super::jobstr::{self, JobInfo};
use super::vocab::{self, Spelling};
use super::{Detail, Event, EventKind, Evidence};
use crate::record::{Origin, Record};

/// Field-name spellings, in priority order (the first key present wins).
pub mod keys {
    /// The job id, in every spelling seen: worker context (`jobID`), index/ingest lines
    /// (`"job ID"`, `"Job ID"`), `DDL job submitted` in v8.5+ (`job_id`), the v4 tracker
    /// (`ddlJobID`), the schema syncer (`"ddl job id"`, `"ddl id"`), dependency lines (`currentJobID`).
    pub const JOB_ID: &[&str] = &[
        "jobID",
        "job ID",
        "Job ID",
        "job_id",
        "ddlJobID",
        "ddl job id",
        "ddl id",
        "currentJobID",
    ];
    /// One job string. `currentJob` is the job string of the dependency lines.
    pub const JOB: &[&str] = &["job", "currentJob"];
    /// A `"; "`-separated list of job strings (`add DDL jobs`).
    pub const JOBS: &[&str] = &["jobs"];
    /// The DXF task id: scheduler/executor context (`task-id`), others.
    pub const TASK_ID: &[&str] = &["task-id", "task_id", "taskID", "task ID"];
    /// The DXF task key: handle (`taskKey`), DDL row-count lines (`task_key`), DDL submission and
    /// master DXF context (`task-key`).
    pub const TASK_KEY: &[&str] = &["taskKey", "task_key", "task-key"];
    /// The DXF task type (`[task-type=backfill]`, `[type=ImportInto]` on task-manager lines).
    pub const TASK_TYPE: &[&str] = &["task-type", "type"];
    /// The error text.
    pub const ERROR: &[&str] = &[
        "error",
        "err",
        "subtask-err",
        "subtaskErr",
        "subtask-errs",
        "task failed error",
    ];
    /// Row counts of progress lines.
    pub const ROWS: &[&str] = &["handled rows", "total added row count", "row count"];
    /// The owner's id on owner lines: `get owner` (`ownerID`), master context (`id`).
    pub const OWNER_ID: &[&str] = &["ownerID", "id"];
    /// The owner-manager context that ends with the instance's own id (v7.5–v8.5):
    /// `"owner info"="[ddl] /tidb/ddl/fg/owner ownerManager <uuid>"`.
    pub const OWNER_INFO: &[&str] = &["owner info", "ownerInfo"];
    /// The SQL of `start DDL job` / `DDL job submitted`.
    pub const QUERY: &[&str] = &["query"];
    /// `Welcome to TiDB.`
    pub const RELEASE_VERSION: &[&str] = &["Release Version"];
    /// `new domain`
    pub const STORE: &[&str] = &["store"];
    /// `index backfill state running`
    pub const TABLE: &[&str] = &["table"];
    pub const INDEX: &[&str] = &["index"];
    pub const INGEST_MODE: &[&str] = &["ingest mode"];
    /// `task state transform` (v7.5/v7.6).
    pub const FROM: &[&str] = &["from"];
    pub const TO: &[&str] = &["to"];
    /// Step switches of the DXF scheduler.
    pub const CURRENT_STEP: &[&str] = &["current-step", "curr-step"];
    pub const NEXT_STEP: &[&str] = &["next-step"];
    /// The object key a global-sort reader opened (`open new s3 reader failed`).
    pub const FILE: &[&str] = &["file"];
    /// `found hotspot file in getFilesReadConcurrency`: the sort file's object key.
    pub const FILENAME: &[&str] = &["filename"];
    /// `schedule task` / `execute one task`.
    pub const STATE: &[&str] = &["state"];
    /// The local sort directory of `create local backend for adding index` (v8.1+):
    /// `<temp-dir>/tmp_ddl-<port>/<job>` names the job (failure-families §1 rule 10).
    pub const SORT_DIR: &[&str] = &["sortDir"];
    /// The backfill worker of `backfill worker exit on error` (`backfill-worker 1, tp merge
    /// temporary index`).
    pub const WORKER: &[&str] = &["worker"];
    /// The index of ingest lines (`["index ID"=13]`).
    pub const INDEX_ID: &[&str] = &["index ID"];
    /// `allocate memory failed`.
    pub const MEMORY_USAGE: &[&str] = &["current memory usage"];
    pub const MEMORY_QUOTA: &[&str] = &["max memory quota"];
    /// `available disk space is less than 10%, cannot use ingest mode`.
    pub const SORT_PATH: &[&str] = &["sort path"];
    pub const USAGE: &[&str] = &["usage"];
    /// `meet error and handle the job later`.
    pub const JOB_STAGE: &[&str] = &["job stage"];
    pub const REGION: &[&str] = &["region"];
    /// `import engine success`.
    pub const IMPORTED_COUNT: &[&str] = &["importedCount"];
    pub const IMPORTED_SIZE: &[&str] = &["importedSize"];
    /// The owner's `someone is not synced`: `instance ip <ip>, port <port>, id <uuid>` (≤v8.1,
    /// master) or the bare `<uuid>` (v8.5).
    pub const SYNC_INFO: &[&str] = &["info"];
    /// The etcd key of a schema version: a failed write (`key`), a lagging version (`ddl`).
    pub const SYNC_KEY: &[&str] = &["key", "ddl"];
    /// The version waited for (`ver`, `latestVer`), written (`value`, `version`) or loaded
    /// (`neededSchemaVersion`, master's `neededVer`).
    pub const SYNC_VERSION: &[&str] = &[
        "ver",
        "latestVer",
        "neededSchemaVersion",
        "neededVer",
        "version",
        "value",
    ];
    /// The version an instance is at.
    pub const SYNC_CURRENT: &[&str] = &[
        "currentVer",
        "oldSchemaVersion",
        "currentSchemaVersion",
        "currVer",
    ];
    /// Durations: the owner's wait (`take time`), a load (`start time` ≤v8.1, `elapsed time`).
    pub const TOOK: &[&str] = &["take time", "elapsed time", "start time"];
    /// `old running transaction block DDL`: the session (`conn ID` in v6.5).
    pub const CONN_ID: &[&str] = &["connection ID", "conn ID"];
    pub const TABLE_ID: &[&str] = &["table ID"];
    /// `old running transaction block DDL`: how long the transaction has been open.
    pub const ELAPSED: &[&str] = &["elapsed time"];
    /// The job that holds the ingest slot (v7.6).
    pub const HOLDER_JOB_ID: &[&str] = &["processing job ID"];
    /// The job string of the job a job depends on.
    pub const DEPENDENT_JOB: &[&str] = &["dependentJob"];
    /// The instance's own id on master's owner lines (`[key=…] [id=<uuid>]`).
    pub const SELF_ID: &[&str] = &["id"];
    /// `resume checkpoint`: the instance that wrote the checkpoint, and the one resuming it.
    pub const PREVIOUS_INSTANCE: &[&str] = &["previous instance"];
    pub const CURRENT_INSTANCE: &[&str] = &["current instance"];
}

/// Turns one record into the events it means; empty when its message is not in the vocabulary.
///
/// Usually one event. `add DDL jobs` lines carry a batch (`jobs="<job>; <job>; "`) and give one
/// event per job, each with its own `job_id` and `job`, so the return type is a `SmallVec` that
/// stays on the stack in the common case. `evidence` is cloned for every extra event.
///
/// `job_id` comes from, in order: a job-id field ([`keys::JOB_ID`]), the job string's `ID:`, then
/// a DXF task key `ddl/backfill/<id>[/<seq>]` (also `<keyspace>/ddl/backfill/<id>`).
pub fn to_event(rec: &Record<'_>, instance: &Arc<str>, evidence: Evidence) -> SmallVec<[Event; 1]> {
    let mut out = SmallVec::new();
    let (message, _category) = rec.message_and_category();
    let Some((spelling, message_job_id)) = vocab::lookup_with_job(&message) else {
        return out;
    };

    let field = |keys: &[&str]| rec.field_any(keys).map(|t| t.get().into_owned());

    // Job strings: a `job=` field, a `jobs=` list, or (2017) the message tail.
    let mut jobs: SmallVec<[JobInfo; 1]> = SmallVec::new();
    if let Some(j) = rec
        .field_any(keys::JOB)
        .and_then(|t| jobstr::parse(&t.get()))
    {
        jobs.push(j);
    } else if let Some(list) = rec.field_any(keys::JOBS) {
        jobs.extend(jobstr::parse_list(&list.get()));
    } else if let Some((_, inline)) = vocab::split_inline_job(&message) {
        jobs.extend(jobstr::parse(inline));
    }
    let query = field(keys::QUERY);
    if let Some(q) = &query {
        for j in jobs.iter_mut().filter(|j| j.query.is_none()) {
            j.query = Some(q.as_str().into());
        }
    }

    let field_job_id = rec
        .field_any(keys::JOB_ID)
        .and_then(|t| parse_int(&t.get()));
    // A per-job schema-version key (`/tidb/ddl/all_schema_by_job_versions/<job>/<uuid>`) names
    // the job the write or the lag is about.
    let sync_key_job_id = is_sync_kind(spelling.kind)
        .then(|| field(keys::SYNC_KEY))
        .flatten()
        .and_then(|k| sync_key(&k).0);
    let task_key = field(keys::TASK_KEY);
    let key_job_id = task_key.as_deref().and_then(job_id_from_task_key);
    let sort_dir_job_id = rec
        .field_any(keys::SORT_DIR)
        .and_then(|t| job_id_from_sort_dir(&t.get()));

    // A line that names its own source (a grep prefix over several files, a log platform's
    // export of a whole cluster) belongs to that instance, not to the file's.
    let instance = match rec.origin {
        Some(Origin::Instance(i)) => Arc::from(i),
        Some(Origin::File(path)) => crate::source::instance::from_pasted_path(path)
            .map_or_else(|| Arc::clone(instance), Arc::from),
        None => Arc::clone(instance),
    };
    let template = Event {
        kind: spelling.kind,
        ts: Some(rec.ts),
        instance,
        job_id: None,
        job: None,
        task_id: rec
            .field_any(keys::TASK_ID)
            .and_then(|t| parse_int(&t.get())),
        task_type: (task_key.is_some() || rec.field_any(keys::TASK_ID).is_some())
            .then(|| field(keys::TASK_TYPE))
            .flatten()
            .map(String::into_boxed_str),
        task_key: task_key.map(String::into_boxed_str),
        error: field(keys::ERROR).map(String::into_boxed_str),
        rows: rec
            .field_any(keys::ROWS)
            .and_then(|t| t.get().trim().parse().ok()),
        message: if *message == *spelling.message {
            std::borrow::Cow::Borrowed(spelling.message)
        } else {
            std::borrow::Cow::Owned(message.to_string())
        },
        detail: detail(spelling, rec, query).into(),
        evidence,
    };

    if jobs.len() > 1 {
        // A batch: each job is its own event; a job-id field would name only one of them.
        for j in jobs {
            let mut ev = template.clone();
            ev.job_id = Some(j.id);
            ev.job = Some(Box::new(j));
            out.push(ev);
        }
        return out;
    }
    let mut ev = template;
    let job = jobs.pop();
    ev.job_id = field_job_id
        .or(job.as_ref().map(|j| j.id))
        .or(message_job_id)
        .or(key_job_id)
        .or(sync_key_job_id)
        .or(sort_dir_job_id);
    ev.job = job.map(Box::new);
    out.push(ev);
    out
}

/// The kind-specific `detail` of an event.
fn detail(spelling: &Spelling, rec: &Record<'_>, query: Option<String>) -> Detail {
    let field = |keys: &[&str]| rec.field_any(keys).map(|t| t.get().into_owned());
    let some = |v: Option<String>, f: fn(String) -> Detail| v.map_or(Detail::None, f);
    match spelling.kind {
        EventKind::OwnerElected | EventKind::OwnerRetired => {
            // v7.5–v8.5: the instance's own id ends the `owner info` context value; master
            // writes it as `id`.
            let me = field(keys::OWNER_INFO)
                .and_then(|info| info.rsplit(' ').next().map(str::to_string))
                .filter(|s| !s.is_empty())
                .or_else(|| field(keys::SELF_ID));
            match field(keys::OWNER_ID).or_else(|| me.clone()) {
                Some(id) => Detail::Owner { id, me },
                None => Detail::None,
            }
        }
        kind if is_sync_kind(kind) => {
            let (mut node, mut address) = (None, None);
            if let Some(info) = field(keys::SYNC_INFO) {
                (node, address) = parse_instance_info(&info);
            }
            let key = field(keys::SYNC_KEY);
            if node.is_none() {
                node = key.as_deref().and_then(|k| sync_key(k).1);
            }
            let int = |keys: &[&str]| rec.field_any(keys).and_then(|t| parse_int(&t.get()));
            Detail::SchemaSync(Box::new(crate::event::SchemaSync {
                node,
                address,
                version: int(keys::SYNC_VERSION),
                current: int(keys::SYNC_CURRENT),
                took: field(keys::TOOK).as_deref().and_then(parse_go_duration),
                key,
            }))
        }
        EventKind::MdlHeldByTxn => Detail::MdlHolder {
            conn: field(keys::CONN_ID),
            table_id: rec
                .field_any(keys::TABLE_ID)
                .and_then(|t| parse_int(&t.get())),
            elapsed: field(keys::ELAPSED).as_deref().and_then(parse_go_duration),
        },
        EventKind::IngestSlotTaken => rec
            .field_any(keys::HOLDER_JOB_ID)
            .and_then(|t| parse_int(&t.get()))
            .map_or(Detail::None, Detail::Blocker),
        EventKind::JobDependsOn => field(keys::DEPENDENT_JOB)
            .and_then(|j| jobstr::parse(&j))
            .map_or(Detail::None, |j| Detail::Blocker(j.id)),
        EventKind::ServerStart => some(field(keys::RELEASE_VERSION), Detail::Release),
        EventKind::NewDomain => some(field(keys::STORE), Detail::Store),
        EventKind::JobSubmitted => some(query, |q| Detail::Query(q.into())),
        EventKind::ExternalStorageError => some(field(keys::FILE), Detail::ObjectKey),
        EventKind::GlobalSortRead => some(field(keys::FILENAME), Detail::ObjectKey),
        _ if spelling.reached.is_some() => spelling
            .reached
            .clone()
            .map_or(Detail::None, Detail::Reached),
        EventKind::BackfillStarted if spelling.message == "index backfill state running" => {
            let (table, index, ingest) = (
                field(keys::TABLE),
                field(keys::INDEX),
                field(keys::INGEST_MODE),
            );
            if table.is_none() && index.is_none() && ingest.is_none() {
                Detail::None
            } else {
                Detail::Backfill {
                    table,
                    index,
                    ingest,
                }
            }
        }
        EventKind::TaskStateChange => match (field(keys::FROM), field(keys::TO)) {
            (Some(from), Some(to)) => Detail::TaskTransition { from, to },
            _ => match (field(keys::CURRENT_STEP), field(keys::NEXT_STEP)) {
                (Some(from), Some(to)) => Detail::TaskStep { from, to },
                _ => some(field(keys::STATE), Detail::TaskState),
            },
        },
        EventKind::BackfillError => {
            let (worker, index_id) = (
                field(keys::WORKER),
                field(keys::INDEX_ID).and_then(|v| v.trim().parse().ok()),
            );
            if worker.is_none() && index_id.is_none() {
                Detail::None
            } else {
                Detail::BackfillFailure { worker, index_id }
            }
        }
        EventKind::IngestMemoryExhausted => Detail::Memory {
            usage: field(keys::MEMORY_USAGE).and_then(|v| v.trim().parse().ok()),
            quota: field(keys::MEMORY_QUOTA).and_then(|v| v.trim().parse().ok()),
            index_id: field(keys::INDEX_ID).and_then(|v| v.trim().parse().ok()),
        },
        EventKind::IngestDiskLow => Detail::DiskUsage {
            path: field(keys::SORT_PATH),
            usage: field(keys::USAGE),
        },
        EventKind::IngestRegionRetry => {
            let region = field(keys::REGION);
            Detail::RegionRetry {
                stage: field(keys::JOB_STAGE),
                region: region.as_deref().and_then(region_id),
                stores: region.as_deref().map(store_ids).unwrap_or_default(),
            }
        }
        EventKind::BackfillPhase => match phase_of(spelling.message) {
            Some((phase, end)) => Detail::Phase {
                phase,
                end,
                kvs: field(keys::IMPORTED_COUNT).and_then(|v| v.trim().parse().ok()),
                bytes: field(keys::IMPORTED_SIZE).and_then(|v| v.trim().parse().ok()),
            },
            None => Detail::None,
        },
        EventKind::CheckpointResumed => {
            match (
                field(keys::PREVIOUS_INSTANCE),
                field(keys::CURRENT_INSTANCE),
            ) {
                (Some(previous), Some(current)) => Detail::Checkpoint { previous, current },
                _ => Detail::None,
            }
        }
        _ => Detail::None,
    }
}

/// The phase a backfill phase line opens or closes: (phase, `true` for its end).
fn phase_of(message: &str) -> Option<(&'static str, bool)> {
    Some(match message {
        "read index executor init subtask exec env" => ("read-index", false),
        "read index executor cleanup subtask exec env" => ("read-index", true),
        "merge sort executor init subtask exec env" => ("merge-sort", false),
        "merge sort finish subtask" => ("merge-sort", true),
        "cloud import executor init subtask exec env" => ("ingest", false),
        "cloud import executor finish subtask" => ("ingest", true),
        "merge temp index executor init subtask exec env" => ("merge-temp-index", false),
        "merge temp index executor finish subtask" => ("merge-temp-index", true),
        "start import engine" => ("import-engine", false),
        "import engine success" => ("import-engine", true),
        _ => return None,
    })
}

/// The region id of a lightning region field: `{ID=2178,startKey=…,peers="…"}`.
fn region_id(region: &str) -> Option<u64> {
    let rest = &region[region.find("ID=")? + 3..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    rest[..digits].parse().ok()
}

/// The store ids of a region field's peers (`peers="id:2179 store_id:1 ,id:2180 store_id:4 "`),
/// sorted and deduplicated.
fn store_ids(region: &str) -> Vec<u64> {
    let mut out: Vec<u64> = region
        .split("store_id:")
        .skip(1)
        .filter_map(|rest| {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            rest[..digits].parse().ok()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The job id at the end of an ingest sort directory: `/tiup/deploy/tmp_ddl-4000/108` → 108
/// (`<temp-dir>/tmp_ddl-<port>/<job>`, backend_mgr.go v8.1+). Other paths name no job.
pub fn job_id_from_sort_dir(path: &str) -> Option<i64> {
    const MARK: &str = "tmp_ddl-";
    let p = path.rfind(MARK)?;
    let rest = &path[p + MARK.len()..];
    let port = rest.bytes().take_while(u8::is_ascii_digit).count();
    let rest = rest[port..].strip_prefix('/')?;
    let rest = rest.trim_end_matches('/');
    (port > 0 && !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
        .then(|| rest.parse().ok())
        .flatten()
}

/// Kinds whose detail is a [`crate::event::SchemaSync`].
fn is_sync_kind(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::SchemaVersionNotSynced
            | EventKind::SchemaVersionSynced
            | EventKind::SchemaVersionUpdateFailed
            | EventKind::MdlLock
            | EventKind::SchemaFullLoad
    )
}

/// The owner's `info`: `instance ip 10.0.1.6, port 4000, id <uuid>` → (uuid, `10.0.1.6:4000`);
/// v8.5 writes the bare uuid.
pub fn parse_instance_info(info: &str) -> (Option<String>, Option<String>) {
    let info = info.trim();
    if !info.starts_with("instance ip ") {
        let bare = (!info.is_empty() && !info.contains(' ')).then(|| info.to_string());
        return (bare, None);
    }
    let part = |name: &str| {
        info.split(", ")
            .find_map(|p| p.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let address = match (part("instance ip "), part("port ")) {
        (Some(ip), Some(port)) => Some(format!("{ip}:{port}")),
        (Some(ip), None) => Some(ip),
        _ => None,
    };
    (part("id "), address)
}

/// A schema-version etcd key → (job, instance id): `/tidb/ddl/all_schema_by_job_versions/<job>/<uuid>`
/// (metadata lock on: one key per job and instance) or `/tidb/ddl/all_schema_versions/<uuid>`
/// (off: one key per instance). Other keys (the global version, owner keys) name neither.
pub fn sync_key(key: &str) -> (Option<i64>, Option<String>) {
    const BY_JOB: &str = "/tidb/ddl/all_schema_by_job_versions/";
    const ALL: &str = "/tidb/ddl/all_schema_versions/";
    let node = |s: &str| {
        let s = s.trim_matches('/');
        (!s.is_empty() && !s.contains('/')).then(|| s.to_string())
    };
    if let Some(p) = key.find(BY_JOB) {
        let rest = &key[p + BY_JOB.len()..];
        let (job, tail) = rest.split_once('/').unwrap_or((rest, ""));
        return (job.parse().ok(), node(tail));
    }
    if let Some(p) = key.find(ALL) {
        return (None, node(&key[p + ALL.len()..]));
    }
    (None, None)
}

/// A Go `time.Duration` as zap writes it: `52.118ms`, `1m5.2s`, `2h0m3s`, `695.998µs`, `0s`.
pub fn parse_go_duration(s: &str) -> Option<chrono::Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total_ns = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let (unit_ns, unit_len) = [
            ("ns", 1.0, 2),
            ("us", 1e3, 2),
            ("µs", 1e3, "µs".len()),
            ("μs", 1e3, "μs".len()),
            ("ms", 1e6, 2),
            ("s", 1e9, 1),
            ("m", 60e9, 1),
            ("h", 3600e9, 1),
        ]
        .iter()
        .find(|(u, _, _)| rest.starts_with(u))
        .map(|(_, ns, len)| (*ns, *len))?;
        total_ns += n * unit_ns;
        rest = &rest[unit_len..];
    }
    Some(chrono::Duration::nanoseconds(total_ns.round() as i64))
}

/// An integer field value; TiDB never quotes ids but be lenient about stray spaces.
fn parse_int(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

/// The job id inside an add-index DXF task key: `ddl/backfill/491`, `ddl/backfill/491/1`
/// (multi-schema change), `ddl/backfill/491/merge` (master), `<keyspace>/ddl/backfill/491`
/// (next-gen). Other task types (`ImportInto/150005`) name no DDL job.
pub fn job_id_from_task_key(key: &str) -> Option<i64> {
    const MARK: &str = "ddl/backfill/";
    let p = key.find(MARK)?;
    if p > 0 && !key[..p].ends_with('/') {
        return None;
    }
    let rest = &key[p + MARK.len()..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || !(rest.len() == digits || rest[digits..].starts_with('/')) {
        return None;
    }
    rest[..digits].parse().ok()
}

/// The `(first, second)` numeric segments before `/data/` in a global-sort object key
/// (`30001/30007/data/…`, `tmp/p10010001/150005/150063/data/…`).
pub fn object_key_ids(s: &str) -> Option<(i64, i64)> {
    let mut from = 0;
    while let Some(p) = s[from..].find("/data/") {
        let head = &s[..from + p];
        let mut segs = head.rsplit(['/', '"', ' ', '=']);
        let b = segs.next().and_then(|x| x.parse().ok());
        let a = segs.next().and_then(|x| x.parse().ok());
        if let (Some(a), Some(b)) = (a, b) {
            return Some((a, b));
        }
        from += p + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Field, Format, Level, Text};

    /// A test-only splitter for unified-format lines (`[ts] [LEVEL] [src] [msg] [k=v]...`), so
    /// these tests do not depend on the real record parser. Quoted parts stay escaped, as the
    /// real parser leaves them.
    fn rec(line: &str) -> Record<'_> {
        let mut parts: Vec<(&str, bool)> = Vec::new();
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'[' {
                i += 1;
                continue;
            }
            let start = i + 1;
            let mut j = start;
            let mut in_q = false;
            while j < b.len() {
                match b[j] {
                    b'\\' if in_q => j += 1,
                    b'"' => in_q = !in_q,
                    b']' if !in_q => break,
                    _ => {}
                }
                j += 1;
            }
            parts.push((&line[start..j.min(line.len())], false));
            i = j + 1;
        }
        let ts = crate::record::time::parse_unified(parts[0].0).unwrap();
        let level = match parts[1].0.to_ascii_uppercase().as_str() {
            "INFO" => Level::Info,
            "WARN" => Level::Warn,
            "ERROR" => Level::Error,
            _ => Level::Debug,
        };
        let mut fields = smallvec::SmallVec::new();
        for (p, _) in &parts[4..] {
            // The key ends at the first `=` outside quotes.
            let mut in_q = false;
            let mut eq = None;
            let pb = p.as_bytes();
            let mut k = 0;
            while k < pb.len() {
                match pb[k] {
                    b'\\' if in_q => k += 1,
                    b'"' => in_q = !in_q,
                    b'=' if !in_q => {
                        eq = Some(k);
                        break;
                    }
                    _ => {}
                }
                k += 1;
            }
            let eq = eq.unwrap();
            fields.push(Field {
                key: unq(&p[..eq]),
                value: unq(&p[eq + 1..]),
            });
        }
        Record {
            ts,
            level,
            logger: None,
            source: parts[2].0,
            message: unq(parts[3].0),
            fields,
            format: Format::Unified,
            origin: None,
        }
    }

    fn unq(s: &str) -> Text<'_> {
        if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
            Text::Quoted(&s[1..s.len() - 1])
        } else {
            Text::Raw(s)
        }
    }

    fn events(line: &str) -> SmallVec<[Event; 1]> {
        let r = rec(line);
        let ev = Evidence {
            file: Arc::from("tidb.log"),
            line: 1,
            ts: Some(r.ts),
            text: line.into(),
        };
        to_event(&r, &Arc::from("tidb-0"), ev)
    }

    fn one(line: &str) -> Event {
        let v = events(line);
        assert_eq!(v.len(), 1, "{line}");
        v.into_iter().next().unwrap()
    }

    /// The seed case's log (pingcap/tidb#50417), read out of the fixture tarball.
    fn seed_text() -> &'static str {
        static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        TEXT.get_or_init(|| {
            use std::io::Read;
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/fixtures/seed-50417/tidb-0.tar.gz"
            );
            let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
            let mut ar = tar::Archive::new(gz);
            let mut entry = ar
                .entries()
                .unwrap()
                .flatten()
                .find(|e| e.path().unwrap().ends_with("tidb.log"))
                .unwrap();
            let mut s = String::new();
            entry.read_to_string(&mut s).unwrap();
            s
        })
    }

    fn seed_lines() -> Vec<&'static str> {
        seed_text()
            .lines()
            .filter(|l| l.starts_with("[20"))
            .collect()
    }

    fn seed(msg: &str, nth: usize) -> Event {
        let needle = format!("[\"{msg}\"]");
        let line = seed_lines()
            .into_iter()
            .filter(|l| l.contains(&needle))
            .nth(nth)
            .unwrap();
        one(line)
    }

    #[test]
    fn seed_task_not_resumable() {
        let e = seed("task not resumable", 0);
        assert_eq!(e.kind, EventKind::TaskNotResumable);
        assert_eq!(e.job_id, Some(491));
        assert_eq!(e.task_key.as_deref(), Some("ddl/backfill/491"));
        assert_eq!(e.task_id, None);
        assert_eq!(&*e.instance, "tidb-0");
    }

    #[test]
    fn seed_task_reverted() {
        let e = seed("task reverted", 0);
        assert_eq!(e.kind, EventKind::TaskReverted);
        assert_eq!(e.task_id, Some(210029));
        assert_eq!(e.job_id, None);
        assert_eq!(e.error.as_deref(), Some("[tikv:9005]Region is unavailable"));
    }

    #[test]
    fn seed_run_ddl_job() {
        let e = seed("run DDL job", 0);
        assert_eq!(e.kind, EventKind::JobRun);
        assert_eq!(e.job_id, Some(491));
        let j = e.job.unwrap();
        assert_eq!(j.err_count, Some(510));
        assert_eq!(j.err.as_deref(), Some("[tikv:9005]Region is unavailable"));
        assert_eq!(&*j.state, "running");
        assert_eq!(
            e.ts.map(|t| crate::model::rfc3339(&t)).as_deref(),
            Some("2024-01-13T19:21:10.807+08:00")
        );
    }

    #[test]
    fn seed_convert_to_rollback() {
        let e = seed("run add index job failed, convert job to rollback", 0);
        assert_eq!(e.kind, EventKind::ConvertToRollback);
        assert_eq!(e.job_id, Some(491));
        assert_eq!(e.job.as_ref().unwrap().err_count, Some(511));
        assert_eq!(e.error.as_deref(), Some("[tikv:9005]Region is unavailable"));
    }

    #[test]
    fn seed_mdl_and_the_rest() {
        let e = seed("mdl gets lock, update to owner", 0);
        assert_eq!((e.kind, e.job_id), (EventKind::MdlLock, Some(491)));

        let e = seed("cannot get task", 0);
        assert_eq!((e.kind, e.job_id), (EventKind::CannotGetTask, Some(491)));
        assert_eq!(e.error.as_deref(), Some("task not found"));

        let e = seed("run reorg job done", 0);
        assert_eq!(
            (e.kind, e.rows, e.job_id),
            (EventKind::ReorgProgress, Some(35232986), None)
        );

        let e = seed("run DDL job error", 0);
        assert_eq!((e.kind, e.job_id), (EventKind::JobError, Some(491)));

        let e = seed("run DDL job failed, sleeps a while then retries it.", 0);
        assert_eq!((e.kind, e.job_id), (EventKind::JobRetrySleep, Some(491)));

        let e = seed("index backfill state running", 0);
        assert_eq!((e.kind, e.job_id), (EventKind::BackfillStarted, Some(491)));
        assert_eq!(
            e.detail.summary().as_deref(),
            Some("table=sbtest1 index=index_test_1705143780092 ingest=true")
        );

        // Every seed line either maps to an event or is one we deliberately ignore.
        let ignored = [
            "schema version doesn't change",
            "diff load InfoSchema success",
        ];
        for l in seed_lines() {
            let v = events(l);
            let r = rec(l);
            let m = r.message_and_category().0.into_owned();
            assert_eq!(v.is_empty(), ignored.contains(&m.as_str()), "{l}");
        }
    }

    #[test]
    fn add_ddl_jobs_gives_one_event_per_job() {
        let v = events(
            r#"[2020/08/12 16:12:07.318 +08:00] [INFO] [ddl_worker.go:261] ["[ddl] add DDL jobs"] ["batch count"=2] [jobs="ID:2, Type:create schema, State:none, SchemaState:none, SchemaID:1, TableID:0, RowCount:0, ArgLen:1, start time: 2020-08-12 16:12:07.318 +0800 CST, Err:<nil>, ErrCount:0, SnapshotVersion:0; ID:3, Type:create table, State:none, SchemaState:none, SchemaID:1, TableID:2, RowCount:0, ArgLen:1, start time: 2020-08-12 16:12:07.318 +0800 CST, Err:<nil>, ErrCount:0, SnapshotVersion:0; "] [table=true]"#,
        );
        assert_eq!(
            v.iter().map(|e| e.job_id).collect::<Vec<_>>(),
            [Some(2), Some(3)]
        );
        assert!(v.iter().all(|e| e.kind == EventKind::JobSubmitted));
        assert_eq!(&*v[1].job.as_ref().unwrap().job_type, "create table");
    }

    #[test]
    fn start_ddl_job_query_and_key_spellings() {
        let e = one(
            r#"[2020/08/12 16:12:07.318 +08:00] [INFO] [ddl.go:545] ["[ddl] start DDL job"] [job="ID:2, Type:create schema, State:none, SchemaState:none, SchemaID:1, TableID:0, RowCount:0, ArgLen:1, start time: 2020-08-12 16:12:07.318 +0800 CST, Err:<nil>, ErrCount:0, SnapshotVersion:0"] [query="CREATE DATABASE IF NOT EXISTS test"]"#,
        );
        assert_eq!((e.kind, e.job_id), (EventKind::JobSubmitted, Some(2)));
        assert_eq!(
            e.detail.summary().as_deref(),
            Some("CREATE DATABASE IF NOT EXISTS test")
        );
        assert_eq!(
            e.job.unwrap().query.as_deref(),
            Some("CREATE DATABASE IF NOT EXISTS test")
        );

        let e = one(
            r#"[2023/05/11 01:25:57.307 +08:00] [INFO] [syncer.go:333] ["[ddl] syncer check all versions, someone is not synced"] [info="instance ip xx.xx.xx.xx, port 4000, id f296efb9"] ["ddl id"=130222] [ver=173784]"#,
        );
        assert_eq!(
            (e.kind, e.job_id),
            (EventKind::SchemaVersionNotSynced, Some(130222))
        );

        let e = one(
            r#"[2024/06/03 19:01:11.451 +08:00] [ERROR] [engine.go:200] ["build ingest writer context failed"] [error="[ddl:8247]Ingest failed: memory used up"] ["job ID"=130] ["index ID"=13] ["worker ID"=18]"#,
        );
        assert_eq!((e.kind, e.job_id), (EventKind::BackfillError, Some(130)));
        assert_eq!(
            e.error.as_deref(),
            Some("[ddl:8247]Ingest failed: memory used up")
        );

        let e = one(
            r#"[2024/01/13 19:03:01.000 +08:00] [INFO] [index.go:2124] ["adjusted add-index task concurrency"] [category=ddl] [worker-cnt=8] [task-concurrency=8] [task-key=ks1/ddl/backfill/491/1]"#,
        );
        assert_eq!((e.kind, e.job_id), (EventKind::TaskSubmitted, Some(491)));
    }

    #[test]
    fn owner_server_domain_and_task_details() {
        let e = one(
            r#"[2024/01/13 18:46:17.819 +08:00] [INFO] [manager.go:364] ["get owner"] ["owner info"="[ddl] /tidb/ddl/fg/owner ownerManager aaa-self"] ["owner key"=/tidb/ddl/fg/owner/1] [ownerID=bbb-owner] [op=none]"#,
        );
        assert_eq!(
            (e.kind, e.detail.summary().as_deref()),
            (EventKind::OwnerElected, Some("bbb-owner"))
        );
        let e = one(
            r#"[2019/11/23 14:28:29.001 +00:00] [WARN] [manager.go:281] ["is not the owner"] ["owner info"="[ddl] /tidb/ddl/fg/owner ownerManager 1f2b2e8c-2e3a"]"#,
        );
        assert_eq!(
            (e.kind, e.detail.summary().as_deref()),
            (EventKind::OwnerRetired, Some("1f2b2e8c-2e3a"))
        );
        let e = one(
            r#"[2020/08/12 16:12:07.282 +08:00] [INFO] [printer.go:42] ["Welcome to TiDB."] ["Release Version"=v7.6.0] [Edition=Community]"#,
        );
        assert_eq!(
            (e.kind, e.detail.summary().as_deref()),
            (EventKind::ServerStart, Some("v7.6.0"))
        );
        let e = one(
            r#"[2020/08/12 16:12:07.310 +08:00] [INFO] [tidb.go:71] ["new domain"] [store=8d19232e] ["ddl lease"=45s]"#,
        );
        assert_eq!(
            (e.kind, e.detail.summary().as_deref()),
            (EventKind::NewDomain, Some("8d19232e"))
        );
        let e = one(
            r#"[2024/01/13 19:10:00.000 +08:00] [INFO] [scheduler.go:300] ["task state transform"] [from=running] [to=reverting]"#,
        );
        assert_eq!(
            (e.kind, e.detail.summary().as_deref()),
            (EventKind::TaskStateChange, Some("running->reverting"))
        );
        let e = one(
            r#"[2025/05/01 00:00:00.000 +00:00] [INFO] [scheduler.go:409] ["switch to next step"] [task-id=7] [task-type=backfill] [current-step=init] [next-step=read-index]"#,
        );
        assert_eq!(
            (e.task_id, e.detail.summary().as_deref()),
            (Some(7), Some("step init->read-index"))
        );
        let e = one(
            r#"[2026/05/22 07:37:29.468 +00:00] [ERROR] [task_executor.go:547] [onError] [keyspaceName=2jfj] [task-id=5] [task-type=backfill] [error="index info not found: 1"]"#,
        );
        assert_eq!((e.kind, e.task_id), (EventKind::SubtaskError, Some(5)));
        assert!(events(r#"[2026/05/22 07:37:29.468 +00:00] [INFO] [domain.go:1] ["diff load InfoSchema success"]"#).is_empty());
    }

    #[test]
    fn schema_sync_details() {
        let e = one(
            r#"[2023/05/11 01:25:54.712 +08:00] [WARN] [util.go:299] ["[ddl] etcd-cli put kv failed"] [key=/tidb/ddl/all_schema_by_job_versions/130222/f296efb9-ed7c] [value=173784] [error="context deadline exceeded"] [retryCnt=0]"#,
        );
        assert_eq!(
            (e.kind, e.job_id),
            (EventKind::SchemaVersionUpdateFailed, Some(130222))
        );
        let s = e.detail.sync().unwrap();
        assert_eq!(
            (s.node.as_deref(), s.version),
            (Some("f296efb9-ed7c"), Some(173784))
        );
        let e = one(
            r#"[2024/05/06 13:20:01.291 +08:00] [INFO] [syncer.go:362] ["syncer check all versions, someone is not synced"] [category=ddl] [info="instance ip 10.0.1.6, port 4000, id 5b1e-0002"] ["ddl job id"=1305] [ver=2452]"#,
        );
        let s = e.detail.sync().unwrap();
        assert_eq!(
            (s.node.as_deref(), s.address.as_deref(), s.version, e.job_id),
            (
                Some("5b1e-0002"),
                Some("10.0.1.6:4000"),
                Some(2452),
                Some(1305)
            )
        );
        let e = one(
            r#"[2025/05/13 08:02:11.951 +08:00] [Info] [syncer.go:352] ["[ddl] syncer check all versions, someone is not synced, continue checking"] [ddl=/tidb/ddl/all_schema_versions/4e3becf5] [currentVer=1217026] [latestVer=1217027]"#,
        );
        let s = e.detail.sync().unwrap();
        assert_eq!(
            (s.node.as_deref(), s.current, s.version, e.job_id),
            (Some("4e3becf5"), Some(1217026), Some(1217027), None)
        );
        let e = one(
            r#"[2024/05/06 13:20:00.215 +08:00] [INFO] [syncer.go:398] ["syncer check all versions, someone is not synced"] [category=ddl] [info=5b1e-0002] ["ddl job id"=7] [ver=9]"#,
        );
        assert_eq!(e.detail.sync().unwrap().node.as_deref(), Some("5b1e-0002"));
        let e = one(
            r#"[2024/06/01 10:00:00.000 +08:00] [INFO] [session.go:4413] ["old running transaction block DDL"] ["table ID"=112] [jobID=120] ["connection ID"=2199023255559] ["elapsed time"=1m10.5s]"#,
        );
        assert_eq!((e.kind, e.job_id), (EventKind::MdlHeldByTxn, Some(120)));
        assert_eq!(
            *e.detail,
            Detail::MdlHolder {
                conn: Some("2199023255559".into()),
                table_id: Some(112),
                elapsed: Some(chrono::Duration::milliseconds(70_500)),
            }
        );
    }

    #[test]
    fn go_durations() {
        let us = |s| parse_go_duration(s).map(|d| d.num_microseconds().unwrap());
        let ms = us;
        assert_eq!(ms("52.118ms"), Some(52_118));
        assert_eq!(ms("1m5.5s"), Some(65_500_000));
        assert_eq!(ms("2h0m3s"), Some(7_203_000_000));
        assert_eq!(
            parse_go_duration("695.998µs").map(|d| d.num_nanoseconds().unwrap()),
            Some(695_998)
        );
        assert_eq!(ms("0s"), Some(0));
        assert_eq!(ms("12"), None);
        assert_eq!(ms(""), None);
        assert_eq!(ms("5x"), None);
    }

    #[test]
    fn task_keys() {
        assert_eq!(job_id_from_task_key("ddl/backfill/491"), Some(491));
        assert_eq!(job_id_from_task_key("ddl/backfill/491/1"), Some(491));
        assert_eq!(job_id_from_task_key("ddl/backfill/491/merge"), Some(491));
        assert_eq!(job_id_from_task_key("ks1/ddl/backfill/491"), Some(491));
        assert_eq!(job_id_from_task_key("xddl/backfill/491"), None);
        assert_eq!(job_id_from_task_key("ddl/backfill/491x"), None);
        assert_eq!(job_id_from_task_key("ddl/backfill/"), None);
        assert_eq!(job_id_from_task_key("ImportInto/150005"), None);
    }

    #[test]
    fn sort_dirs_and_regions() {
        assert_eq!(
            job_id_from_sort_dir("/tiup/deploy/tmp_ddl-4000/108"),
            Some(108)
        );
        assert_eq!(
            job_id_from_sort_dir("/tmp/tidb/tmp_ddl-4000/687/"),
            Some(687)
        );
        assert_eq!(job_id_from_sort_dir("/tmp/tidb/tmp_ddl-4000"), None);
        assert_eq!(
            job_id_from_sort_dir("/tmp/tidb/tmp_ddl-4000/687/x.sst"),
            None
        );
        assert_eq!(job_id_from_sort_dir("/data/108"), None);
        let region = r#"{ID=2178,startKey=7480000000000000ff6c5f69,endKey=7480000000000000ff6c5f72,epoch="conf_ver:5 version:64 ",peers="id:2179 store_id:1 ,id:2180 store_id:4 ,id:2181 store_id:5 "}"#;
        assert_eq!(region_id(region), Some(2178));
        assert_eq!(store_ids(region), vec![1, 4, 5]);
        assert_eq!(store_ids("{ID=1}"), Vec::<u64>::new());
    }

    #[test]
    fn ingest_lines_carry_their_details() {
        let e = one(
            r#"[2024/06/18 15:38:57.834 +08:00] [INFO] [backend_mgr.go:182] ["create local backend for adding index"] [category=ddl-ingest] [sortDir=/tiup/deploy/tmp_ddl-4000/108] [keyspaceName=]"#,
        );
        assert_eq!((e.kind, e.job_id), (EventKind::IngestBackend, Some(108)));
        let e = one(
            r#"[2024/06/18 15:40:42.945 +08:00] [INFO] [local.go:1379] ["import engine success"] [category=ddl-ingest] [uuid=63ee8aff-60c8-5d25-8980-fd5ac91e7f50] [size=4900000000] [kvs=0] [importedSize=4904115951] [importedCount=33361333]"#,
        );
        assert_eq!(
            (e.kind, e.detail.summary().as_deref()),
            (
                EventKind::BackfillPhase,
                Some("import-engine end kvs=33361333 bytes=4904115951")
            )
        );
        let e = one(
            r#"[2024/06/03 19:01:11.451 +08:00] [WARN] [message.go:80] ["allocate memory failed"] ["job ID"=130] ["index ID"=13] ["current memory usage"=8468302240] ["max memory quota"=8589934592]"#,
        );
        assert_eq!(
            (e.kind, e.job_id, &*e.detail),
            (
                EventKind::IngestMemoryExhausted,
                Some(130),
                &Detail::Memory {
                    usage: Some(8468302240),
                    quota: Some(8589934592),
                    index_id: Some(13),
                }
            )
        );
    }
}

#[cfg(test)]
mod object_key_tests {
    use super::object_key_ids;

    #[test]
    fn object_keys() {
        assert_eq!(
            object_key_ids("30001/30007/data/2a79/19"),
            Some((30001, 30007))
        );
        assert_eq!(
            object_key_ids(
                "Post \"http://minio-peer:9000/tmp/p10010001/150005/150063/data/ce00/2?uploads=\""
            ),
            Some((150005, 150063))
        );
        assert_eq!(object_key_ids("context canceled"), None);
    }
}
