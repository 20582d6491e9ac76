//! The vocabulary: every TiDB message spelling ddldiag understands, as data.
//!
//! One row per spelling. Messages are matched exactly, after removing an old-style `[ddl] `
//! category prefix (see [`crate::record::Record::message_and_category`]): before v7.1 TiDB wrote
//! `"[ddl] run DDL job"`, later `"run DDL job"` with `[category=ddl]`, so one row covers both.
//!
//! Where the rows come from: `../shared/reference/messages.tsv` (literal messages extracted from
//! the TiDB source at v7.5.0, v7.6.0, v8.1.0, v8.5.0 and master), `tidb-source.md` §4, and the
//! real logs under `../shared/corpus` (v1.0 – v6.x spellings). The `tests` module checks every
//! row against those files so that a typo cannot slip in; rows confirmed elsewhere are in its
//! allow-list with the place they were confirmed.
//!
//! `versions` says where the spelling was *seen* (source tags or real logs), not a proven range:
//! `v4.0–v6.x` means "in real logs of those versions, `[ddl] `-prefixed". Every row was also
//! searched for as an exact Go string literal (bare, `[ddl] `- or `[ddl-ingest] `-prefixed) in
//! the TiDB source at v6.1.0, v6.5.0, v7.1.0, v7.5.0, v7.6.0, v8.1.0, v8.5.0 and master
//! (2026-02); where that found it at more tags than a row said, the range was widened (a bound
//! below v6.1 comes from older sources or logs). The three `lightning` task messages (`schedule
//! step failed`, `execute task failed`, `execute task step failed`) are not literals: TiDB
//! writes `BeginTask(…, "schedule step")` and lightning's logger appends ` failed`.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::jobstr;
use super::EventKind;
use crate::model::JobState;

/// One spelling of one event.
#[derive(Debug, Clone)]
pub struct Spelling {
    /// The message text without any `[ddl] ` prefix. Pre-2019 messages carry values inside the
    /// text; their rows name them with placeholders: `{job}` (the job id, digits), `{n}` (a
    /// number), `{any}` (a word without blanks). See [`match_template`].
    pub message: &'static str,
    pub kind: EventKind,
    /// The TiDB versions that write this spelling, as found in the source or in real logs.
    pub versions: &'static str,
    /// Where TiDB writes it (file in the TiDB source tree), to check the row against the source.
    pub source: &'static str,
    /// The state the job is known to be in when TiDB writes this message, for messages whose
    /// line carries no job string (`DDL job is finished` is written only once the job is
    /// `synced`, on the instance that submitted it, which need not be the owner).
    pub reached: Option<JobState>,
}

macro_rules! row {
    ($msg:expr, $kind:ident, $ver:expr, $src:expr) => {
        Spelling {
            message: $msg,
            kind: EventKind::$kind,
            versions: $ver,
            source: $src,
            reached: None,
        }
    };
    ($msg:expr, $kind:ident, $ver:expr, $src:expr, reached = $state:ident) => {
        Spelling {
            message: $msg,
            kind: EventKind::$kind,
            versions: $ver,
            source: $src,
            reached: Some(JobState::$state),
        }
    };
}

/// Every spelling, grouped by lifecycle stage.
#[rustfmt::skip]
pub static VOCAB: &[Spelling] = &[
    // --- job submission (tidb-source.md §4.2) ---
    row!("add DDL jobs", JobSubmitted, "v4.0–master", "ddl/ddl_worker.go (≤v8.1), ddl/job_submitter.go (v8.5+)"),
    row!("start DDL job", JobSubmitted, "v1.0–v8.1", "ddl/ddl.go"),
    row!("DDL job submitted", JobSubmitted, "v8.5–master", "ddl/executor.go"),

    // --- job run (§4.3) ---
    row!("run DDL job", JobRun, "v1.0–v8.5", "ddl/ddl_worker.go (≤v8.1), ddl/job_worker.go (v8.5)"),
    row!("run one job step", JobRun, "master", "ddl/job_worker.go (renamed from `run DDL job`, #58881)"),

    // --- job error / retry ---
    row!("run DDL job error", JobError, "v4.0–master", "ddl/ddl_worker.go, ddl/job_worker.go"),
    row!("run DDL job failed, sleeps a while then retries it.", JobRetrySleep, "v4.0–master", "ddl/ddl_worker.go, ddl/job_worker.go"),
    row!("DDL job error count exceed the limit, cancelling it now", ErrorCountExceeded, "v6.1–master", "ddl/ddl_worker.go, ddl/job_worker.go"),
    row!("rollback DDL job error count exceed the limit, cancelled it now", ErrorCountExceeded, "v6.1–master", "ddl/rollingback.go"),

    // --- conversion to rollback ---
    row!("run add index job failed, convert job to rollback", ConvertToRollback, "v6.1–master (`[ddl] ` prefix ≤v7.1)", "ddl/index.go"),
    row!("run add index job failed, convert job to rollback, RemoveDDLReorgHandle failed", ConvertToRollback, "v6.1–master", "ddl/index.go"),
    row!("run reorg job failed, convert job to rollback", ConvertToRollback, "v7.5–master", "ddl/index.go (ingest, non-DXF path)"),
    row!("import index duplicate key, convert job to rollback", ConvertToRollback, "v6.5–master", "ddl/index.go"),
    row!("run modify column job failed, convert job to rollback", ConvertToRollback, "v4.0–master", "ddl/column.go (≤v8.1), ddl/modify_column.go"),
    row!("reorg partition job failed, convert job to rollback", ConvertToRollback, "v7.1–master", "ddl/partition.go"),
    row!("run add vector index job failed, convert job to rollback", ConvertToRollback, "v8.5", "ddl/index.go"),
    row!("run add columnar index job failed, convert job to rollback", ConvertToRollback, "master", "ddl/index.go"),
    // These two say the job could NOT be converted (the reorg handle removal failed), so the step
    // fails and is retried: a step failure, not a rollback.
    row!("run modify column job failed, RemoveDDLReorgHandle failed, can't convert job to rollback", JobStepFailed, "v6.1–master", "ddl/column.go, ddl/modify_column.go"),
    row!("reorg partition job failed, RemoveDDLReorgHandle failed, can't convert job to rollback", JobStepFailed, "v7.1–master", "ddl/partition.go"),

    // --- cancel ---
    row!("DDL job is cancelled normally", JobCancelled, "v5.2–master", "ddl/ddl_worker.go, ddl/job_worker.go"),
    row!("the DDL job is cancelled normally", JobCancelled, "v6.1–master", "ddl/rollingback.go"),

    // --- finish ---
    row!("finish DDL job", JobFinished, "v1.0–master", "ddl/ddl_worker.go, ddl/job_worker.go"),
    // Logged only when the history job `IsSynced()` (ddl.go `doDDLJob`, executor.go `DoDDLJobWrapper`).
    row!("DDL job is finished", JobClientDone, "v4.0–master", "ddl/ddl.go (≤v8.1), ddl/executor.go", reached = Synced),
    row!("DDL job {job} is finished", JobClientDone, "v1.0–v2.x (pre-2019 format, `[ddl] ` prefix)", "ddl/ddl.go `log.Infof(\"[ddl] DDL job %d is finished\", jobID)`", reached = Synced),
    row!("DDL job is failed", JobClientDone, "v5.2–master", "ddl/ddl.go (≤v8.1), ddl/executor.go"),

    // --- step failures (the job loop could not run or finish a step) ---
    row!("handle ddl job failed", JobStepFailed, "v6.2–v8.5", "ddl/job_table.go, ddl/job_scheduler.go"),
    row!("handle ddl job failed: mark job is processing meet error", JobStepFailed, "v6.5–v8.1", "ddl/job_table.go"),
    row!("handle DDL job failed", JobStepFailed, "v3.0–v6.5", "ddl/ddl_worker.go (start loop, `[ddl] ` prefix)"),
    row!("run job failed", JobStepFailed, "v8.5", "ddl/job_scheduler.go"),
    row!("transit one job step failed", JobStepFailed, "master", "ddl/job_scheduler.go"),
    row!("transit one job step and wait sync failed", JobStepFailed, "master", "ddl/job_scheduler.go"),
    row!("run DDL job failed", JobStepFailed, "v6.1–master", "ddl/rollingback.go (cancelling a job failed)"),

    // --- schema version sync / MDL (§4.4) ---
    row!("wait latest schema version changed(get the metadata lock if tidb_enable_metadata_lock is true)", SchemaVersionSynced, "v6.4–v8.5", "ddl/ddl_worker.go, ddl/schema_version.go"),
    row!("wait latest schema version changed", SchemaVersionSynced, "v4.0–v6.3", "ddl/ddl_worker.go"),
    row!("wait latest schema version {n} changed, take time {any}", SchemaVersionSynced, "v1.0–v2.x (pre-2019 format)", "ddl/ddl_worker.go `waitSchemaChanged`"),
    row!("wait schema version synced success", SchemaVersionSynced, "master", "ddl/schema_version.go"),
    row!("wait latest schema version encounter error", SchemaVersionNotSynced, "v6.5–v8.5", "ddl/ddl_worker.go, ddl/schema_version.go"),
    row!("wait schema version synced encounter error", SchemaVersionNotSynced, "master", "ddl/schema_version.go"),
    row!("syncer check all versions, someone is not synced", SchemaVersionNotSynced, "v4.0–master", "ddl/syncer/syncer.go, ddl/schemaver/syncer.go"),
    row!("syncer check all versions, someone is not synced, continue checking", SchemaVersionNotSynced, "v4.0–master", "ddl/syncer/syncer.go, ddl/schemaver/syncer.go"),
    row!("syncer check all versions, all nodes are not synced", SchemaVersionNotSynced, "v8.5–master", "ddl/schemaver/syncer.go"),
    row!("mdl gets lock, update to owner", MdlLock, "v6.3–v7.6", "domain/domain.go"),
    row!("mdl gets lock, update self version to owner", MdlLock, "v8.0–master", "domain/domain.go, infoschema/issyncer/syncer.go"),
    row!("mdl gets lock, update self version to owner failed", SchemaVersionUpdateFailed, "v8.0–master", "domain/domain.go, infoschema/issyncer/syncer.go"),
    row!("update self version failed", SchemaVersionUpdateFailed, "v6.1–master (issue-43755, issue-61210, source)", "domain/domain.go, infoschema/issyncer/syncer.go"),
    row!("etcd-cli put kv failed", SchemaVersionUpdateFailed, "v6.1–master (`[ddl] ` prefix in v6.5)", "ddl/util/util.go"),
    // INFO every 10 s once the transaction is older than a minute, DEBUG before (v7.1–master);
    // v6.5.0 logs it at DEBUG only, with `conn ID` and no jobID (session/session.go:4150).
    row!("old running transaction block DDL", MdlHeldByTxn, "v6.5–master (INFO past 1m; v6.5 DEBUG only)", "session/session.go (≤v7.1), pkg/session/session.go (v7.5–v8.5), pkg/sessionctx/variable/session.go (master)"),
    // `start time` is the load's duration up to v8.1; `elapsed time` (and `isV2`) from v8.5.
    row!("full load InfoSchema success", SchemaFullLoad, "v6.1–master (`start time` ≤v8.1, `elapsed time` v8.5+)", "domain/domain.go (≤v8.5), infoschema/issyncer/loader.go (master)"),

    // --- waiting for another job ---
    row!("current DDL job depends on other job", JobDependsOn, "v6.1–v8.5 (`[ddl] ` prefix ≤v7.1)", "ddl/ddl_worker.go (≤v8.1), ddl/job_submitter.go (v8.5)"),
    // v7.6 only: a queued ADD INDEX is not picked while another job holds the ingest slot
    // (job_table.go getReorgJob → MarkJobProcessing; logged at most once a minute). v7.1/v7.5
    // spell `ingest backfill is already in use by another DDL job` [job ID=<holder>] and fall
    // back to txn-merge instead of waiting; v8.1+ have no single slot.
    row!("ingest backfill worker is already in used by another DDL job", IngestSlotTaken, "v7.6", "ddl/ingest/backend_mgr.go"),

    // --- owner election (§4.5) ---
    row!("get owner", OwnerElected, "v6.1–master", "owner/manager.go"),
    row!("become owner", OwnerElected, "v8.5–master", "owner/manager.go"),
    row!("start campaign owner", OwnerElected, "v6.1–master", "owner/manager.go"),
    row!("retire owner", OwnerRetired, "v8.5–master", "owner/manager.go"),
    row!("resign ddl owner success", OwnerRetired, "v6.1–v8.1", "owner/manager.go"),
    row!("resign owner success", OwnerRetired, "v8.5–master", "owner/manager.go"),
    row!("is not the owner", OwnerRetired, "v3.0 (issue-operator-1225), v6.1–master", "owner/manager.go"),

    // --- cluster ---
    // pkg/util/signal/signal_posix.go (master, read_file): `logutil.BgLogger().Info("got signal to
    // exit", zap.Stringer("signal", sig))` in SetupSignalHandler.
    row!("got signal to exit", ServerStop, "v6.1–master; master (source); util/signal/signal_posix.go before pkg/", "util/signal/signal_posix.go"),
    row!("Welcome to TiDB.", ServerStart, "v6.1–master; seen v4.0–v5.3 (corpus), v7.6 (#50417), current source", "util/printer/printer.go"),
    row!("new domain", NewDomain, "v6.1–master; seen v4.0–v6.x (corpus)", "session/tidb.go"),

    // --- reorg / backfill, DDL side (§4.6) ---
    row!("run reorg job done", ReorgProgress, "v4.0–master", "ddl/reorg.go"),
    row!("run reorg job wait timeout", ReorgProgress, "v5.2–v8.1", "ddl/reorg.go"),
    row!("index backfill state running", BackfillStarted, "v6.5–master", "ddl/index.go"),
    row!("start to add table index", BackfillStarted, "v4.0–master", "ddl/index.go"),
    // v8.5+ write the message literally as "[ddl] run add index job"; the prefix strip maps it here.
    row!("run add index job", BackfillStarted, "v4.0–master", "ddl/index.go"),
    row!("backfill worker exit on error", BackfillError, "v6.5–master (`[ddl] ` prefix in v7.x, issue-49940)", "ddl/backfilling.go"),
    row!("backfill worker handle batch tasks failed", BackfillError, "v4.0–v6.x", "ddl/backfilling.go (`[ddl] ` prefix)"),
    row!("backfill worker handle tasks failed", BackfillError, "v7.1–v8.1", "ddl/backfilling.go"),
    row!("backfill worker failed", BackfillError, "v6.1–master", "ddl/backfilling.go"),
    row!("lightning import error", BackfillError, "v6.5–v8.1", "ddl/index.go"),

    // --- ingest backend (§4.9). Failures are BackfillError: errors below the job level. ---
    row!("create local backend for adding index", IngestBackend, "v7.1–master", "ddl/ingest/backend_mgr.go"),
    row!("ingest backfill is not available", IngestBackend, "v7.1–master", "ddl/ingest/backend_mgr.go, ddl/index.go"),
    row!("build ingest backend failed", BackfillError, "v7.1–master; seen master 2024-12 (issue-58437)", "ddl/ingest/backend_mgr.go"),
    row!("close writer error", BackfillError, "v6.5–master; seen 2025-07 (issue-62469)", "ddl/ingest/engine.go"),
    row!("build ingest writer context failed", BackfillError, "v7.1–master; seen master 2024-06 (issue-53792)", "ddl/ingest/engine.go"),
    row!("create index ingest worker failed", BackfillError, "v7.5–master; seen master 2024-06 (issue-53792)", "ddl/backfilling_operators.go"),
    row!("resume checkpoint", CheckpointResumed, "v7.1–master", "ddl/ingest/checkpoint.go"),
    row!("create checkpoint manager failed", BackfillError, "v7.1–master", "ddl/ingest/backend_mgr.go, ddl/reorg.go, ddl/backfilling.go"),
    // Confirmed in the TiDB mirror (git grep at each tag): disk_root.go v7.6.0:133, v8.1.0:131,
    // v8.5.0:131, master:170 (v7.5 puts the usage into the `[ddl:8256]` error text instead).
    row!("available disk space is less than 10%, cannot use ingest mode", IngestDiskLow, "v7.6–master", "ddl/ingest/disk_root.go"),
    // message.go LitErrAllocMemFail: `[ddl-ingest] allocate memory failed` v7.1, bare v7.5–master.
    row!("allocate memory failed", IngestMemoryExhausted, "v6.5–master (`[ddl-ingest] ` prefix in v7.1)", "ddl/ingest/message.go"),
    row!("finish a index ingest task", IngestTaskFinished, "v7.5–master", "ddl/backfilling_operators.go (≤v8.5), ddl/ingest/checkpoint.go (master)"),
    row!("meet error and handle the job later", IngestRegionRetry, "v7.1–v8.5", "lightning/backend/local/region_job.go"),
    row!("meet retryable error when ingesting, will handle the job later", IngestRegionRetry, "master", "lightning/backend/local/job_worker.go"),

    // --- backfill phases (DXF executors, lightning import): where each step starts and ends ---
    row!("read index executor init subtask exec env", BackfillPhase, "v7.5–master", "ddl/backfilling_read_index.go"),
    row!("read index executor cleanup subtask exec env", BackfillPhase, "v7.5–master", "ddl/backfilling_read_index.go"),
    row!("merge sort executor init subtask exec env", BackfillPhase, "v7.5–master", "ddl/backfilling_merge_sort.go"),
    row!("merge sort finish subtask", BackfillPhase, "v7.5–master", "ddl/backfilling_merge_sort.go"),
    row!("cloud import executor init subtask exec env", BackfillPhase, "v7.5–master", "ddl/backfilling_import_cloud.go"),
    row!("cloud import executor finish subtask", BackfillPhase, "v7.5–v8.5", "ddl/backfilling_import_cloud.go"),
    row!("merge temp index executor init subtask exec env", BackfillPhase, "master", "ddl/backfilling_merge_temp.go"),
    row!("merge temp index executor finish subtask", BackfillPhase, "master", "ddl/backfilling_merge_temp.go"),
    row!("start import engine", BackfillPhase, "v6.1–master", "lightning/backend/local/local.go"),
    row!("import engine success", BackfillPhase, "v6.1–master", "lightning/backend/local/local.go"),

    // --- DXF, DDL side (§4.6) ---
    row!("adjusted add-index task concurrency", TaskSubmitted, "v7.6–v8.5", "ddl/index.go"),
    row!("adjusted add-index task required slots", TaskSubmitted, "master", "ddl/index.go"),
    row!("cannot get task", CannotGetTask, "v7.6–master", "ddl/index.go"),
    row!("cannot get global task", CannotGetTask, "v7.5", "ddl/index.go"),
    row!("task succeed, start to resume the ddl job", TaskStateChange, "v7.6–master", "ddl/index.go"),

    // --- DXF handle (§4.7) ---
    row!("task not resumable", TaskNotResumable, "v7.5–master", "disttask/framework/handle/handle.go"),
    row!("task reverted", TaskReverted, "v7.6–master", "disttask/framework/handle/handle.go"),
    row!("global task reverted", TaskReverted, "v7.1–v7.5", "disttask/framework/handle/handle.go"),
    row!("task paused", TaskPaused, "v7.6–master", "disttask/framework/handle/handle.go"),
    row!("global task paused", TaskPaused, "v7.5", "disttask/framework/handle/handle.go"),

    // --- pause / resume (failure-families DDL020) ---
    row!("pause user DDL by system successful", JobPaused, "v7.5–master", "ddl/ddl_worker.go (≤v8.1), ddl/job_submitter.go (v8.5+)"),
    row!("pause the job successfully", JobPaused, "v7.5–master", "ddl/job_table.go (≤v8.1), ddl/job_scheduler.go (v8.5+)"),
    row!("job paused by user", JobPaused, "v7.1–master", "ddl/index.go, ddl/reorg.go (≤v8.1)"),
    row!("normal cluster state, resume the job failed", JobResumeFailed, "v7.5–master", "ddl/job_table.go (≤v8.1), ddl/job_scheduler.go (v8.5+)"),
    row!("cannot get task during waiting", CannotGetTask, "v7.6–master", "disttask/framework/handle/handle.go"),
    row!("cannot get global task during waiting", CannotGetTask, "v7.5", "disttask/framework/handle/handle.go"),
    row!("met retryable error", TaskRetryableError, "v7.5–master", "disttask/framework/handle/handle.go (RunWithRetry), scheduler.go (v7.5)"),

    // --- DXF scheduler, owner side (§4.7) ---
    row!("task state transform", TaskStateChange, "v7.5–v7.6", "disttask/framework/dispatcher/dispatcher.go, scheduler/scheduler.go"),
    row!("execute one task", TaskStateChange, "v7.5", "disttask/framework/dispatcher/dispatcher.go"),
    row!("schedule task", TaskStateChange, "v7.6–master", "disttask/framework/scheduler/scheduler.go"),
    row!("onNextStage", TaskStateChange, "v7.5", "disttask/framework/dispatcher/dispatcher.go"),
    row!("on next step", TaskStateChange, "v7.6", "disttask/framework/scheduler/scheduler.go"),
    row!("switch to next step", TaskStateChange, "v8.1–master", "disttask/framework/scheduler/scheduler.go"),
    row!("on next subtasks batch", TaskStateChange, "v7.5–master", "ddl/backfilling_dist_scheduler.go (backfilling_dispatcher.go v7.5), disttask/importinto/scheduler.go (dispatcher.go v7.5)"),
    row!("subtasks encounter errors", SubtasksEncounterErrors, "v7.5–master", "disttask/framework/dispatcher/dispatcher.go, scheduler/scheduler.go"),
    row!("generate plan failed", GeneratePlanFailed, "v7.5–master", "disttask/framework/dispatcher/dispatcher.go, scheduler/scheduler.go"),
    row!("generate part of subtasks failed", GeneratePlanFailed, "v7.5–master", "disttask/framework/dispatcher/dispatcher.go, scheduler/scheduler.go"),

    // --- DXF task executor (§4.8) ---
    row!("onError", SubtaskError, "v7.5–v8.5 (and 2026 builds, issue-68828)", "disttask/framework/scheduler/scheduler.go (v7.5), taskexecutor/task_executor.go"),
    row!("subtask failed", SubtaskError, "v7.5–master", "disttask/framework/scheduler/scheduler.go (v7.5), taskexecutor/task_executor.go"),
    row!("update error to subtask", SubtaskError, "v7.5–v7.6", "disttask/framework/scheduler/manager.go, taskexecutor/manager.go"),
    row!("update error to subtask success", SubtaskError, "v7.5, v8.1–master", "disttask/framework/scheduler/scheduler.go (v7.5), taskexecutor/manager.go"),
    row!("failed one subtask succeed", SubtaskError, "v7.6–v8.5", "disttask/framework/taskexecutor/task_executor.go"),
    row!("taskExecutor met first error", SubtaskError, "v7.6–v8.5", "disttask/framework/taskexecutor/task_executor.go"),
    row!("schedule step failed", SubtaskError, "v7.5", "disttask/framework/scheduler/scheduler.go (lightning BeginTask/End)"),
    row!("execute task failed", SubtaskError, "v7.6", "disttask/framework/taskexecutor/task_executor.go (lightning BeginTask/End)"),
    row!("execute task step failed", SubtaskError, "v8.1–master", "disttask/framework/taskexecutor/task_executor.go (lightning BeginTask/End)"),
    row!("run subtask failed", SubtaskError, "master", "dxf/framework/taskexecutor/task_executor.go"),
    row!("cleanup subtask env", TaskStateChange, "v7.5–master", "disttask/importinto/task_executor.go (scheduler.go v7.5)"),
    row!("meet retryable error", TaskRetryableError, "v7.6–master", "disttask/framework/taskexecutor/task_executor.go"),
    row!("met retryable err", TaskRetryableError, "v7.6–master", "disttask/framework/taskexecutor/manager.go"),
    row!("meet un-retryable error", UnretryableError, "master; seen 2025-12 (issue-65173), master source", "lightning/common/retry.go (IsRetryableError)"),
    row!("open new s3 reader failed", ExternalStorageError, "v6.1–master", "br/pkg/storage/s3.go, ks3.go"),
    row!("found hotspot file in getFilesReadConcurrency", GlobalSortRead, "v7.6–master", "pkg/lightning/backend/external/engine.go"),
    row!("read all data failed", ExternalStorageError, "v7.6–master", "br/pkg/lightning/backend/external/merge_v2.go (v7.6), pkg/lightning/backend/external/merge_v2.go"),
    row!("task manager met error", TaskManagerError, "v7.5–v8.5", "disttask/framework/scheduler/manager.go (v7.5), taskexecutor/manager.go"),
];

/// Finds the row for a message, after removing an old-style category prefix (`[ddl] `,
/// `[ddl-ingest] `).
///
/// Also accepts the 2017-era messages that glue the job string to the text
/// (`run DDL job ID:34, Type:create table, ...`): the part before ` ID:<n>, Type:` is looked up;
/// and the rows with placeholders (`DDL job {job} is finished`). Exact matching (not prefix or
/// substring) keeps e.g. `run DDL job` from swallowing `run DDL job error`. The table is hashed
/// once per process.
pub fn lookup(message: &str) -> Option<&'static Spelling> {
    lookup_with_job(message).map(|(s, _)| s)
}

/// [`lookup`], and the job id a placeholder row read out of the message (`DDL job 34 is
/// finished` → 34).
pub fn lookup_with_job(message: &str) -> Option<(&'static Spelling, Option<i64>)> {
    static MAP: OnceLock<HashMap<&'static str, &'static Spelling>> = OnceLock::new();
    let map = MAP.get_or_init(|| {
        VOCAB
            .iter()
            .filter(|s| !is_template(s.message))
            .map(|s| (s.message, s))
            .collect()
    });
    // The rows with placeholders, each with its literal text before the first placeholder.
    static TEMPLATES: OnceLock<Vec<(&'static str, &'static Spelling)>> = OnceLock::new();
    let templates = TEMPLATES.get_or_init(|| {
        VOCAB
            .iter()
            .filter(|s| is_template(s.message))
            .map(|s| (&s.message[..s.message.find('{').unwrap_or(0)], s))
            .collect()
    });
    let m = strip_category(message);
    if let Some(s) = map.get(m) {
        return Some((s, None));
    }
    if let Some(s) = split_inline_job(m).and_then(|(text, _)| map.get(text)) {
        return Some((s, None));
    }
    // Placeholder rows are few (pre-2019 spellings): tried one by one, only when nothing else
    // matched, and only on messages that start with a row's literal text. The scanner asks
    // about the message of nearly every line, so this must cost next to nothing for the rest.
    templates
        .iter()
        .filter(|(head, _)| m.starts_with(head))
        .find_map(|(_, s)| match_template(s.message, m).map(|job| (*s, job)))
}

/// A quick "no" before [`lookup_with_job`]: false when no row can match `message` (category
/// prefix already removed), judged by its first bytes. Whatever matches a row starts with the
/// row's literal text (the row itself, the row and an inline job string, or a placeholder
/// row's text before its first placeholder), which is at least four bytes long: so a message
/// that matches starts with the first eight bytes of a row whose literal text has eight, or
/// the first four of a shorter one. Eight bytes where they can be had: on four, `run `
/// (`run statement failed`) and `new ` (`new connection`), on every connection and every
/// failed statement, passed for the `run …` rows and `new domain`: a fifth of the benchmark's
/// lines went on to the hash lookup. The scanner asks this about the message of nearly every line.
pub fn may_match(message: &[u8]) -> bool {
    static HEADS: OnceLock<Heads> = OnceLock::new();
    let heads = HEADS.get_or_init(|| Heads::new(VOCAB.iter().map(|s| s.message)));
    let Some(h4) = message.first_chunk::<4>() else {
        return false;
    };
    let h4 = u64::from(u32::from_le_bytes(*h4));
    match message.first_chunk::<8>() {
        Some(h8) => heads.short.contains(h4) || heads.long.contains(u64::from_le_bytes(*h8)),
        // Too short to tell eight bytes (a message cut at an escape): any row's four.
        None => heads.short.contains(h4) || heads.long_four.contains(h4),
    }
}

/// The rows' heads ([`may_match`]).
struct Heads {
    /// First four bytes of the rows whose literal text is shorter than eight.
    short: WordSet,
    /// First eight bytes of the others, and their first four.
    long: WordSet,
    long_four: WordSet,
}

impl Heads {
    fn new<'a>(rows: impl Iterator<Item = &'a str>) -> Self {
        let (mut short, mut long, mut long_four) = (Vec::new(), Vec::new(), Vec::new());
        for m in rows {
            let text = m.split('{').next().unwrap_or(m).as_bytes();
            let four = text
                .first_chunk::<4>()
                .map(|h| u64::from(u32::from_le_bytes(*h)));
            match (text.first_chunk::<8>(), four) {
                (Some(h8), Some(h4)) => {
                    long.push(u64::from_le_bytes(*h8));
                    long_four.push(h4);
                }
                (None, Some(h4)) => short.push(h4),
                // Rows are at least four bytes long (a test checks it).
                (_, None) => {}
            }
        }
        Heads {
            short: WordSet::new(&short),
            long: WordSet::new(&long),
            long_four: WordSet::new(&long_four),
        }
    }
}

/// A set of nonzero words: an open-addressed table at most one eighth full, so that a word
/// not in it (nearly every line's) costs one multiply and one load. A binary search over
/// sorted heads was a chain of dependent loads on every line: a seventh of a scan (perf).
struct WordSet {
    slots: Vec<u64>,
    shift: u32,
}

impl WordSet {
    fn new(words: &[u64]) -> Self {
        let bits = (words.len().max(1) * 8)
            .next_power_of_two()
            .trailing_zeros();
        let mut t = WordSet {
            slots: vec![0; 1 << bits],
            shift: 64 - bits,
        };
        for &w in words {
            // 0 marks an empty slot; no row starts with NUL bytes.
            let mut i = t.slot(w);
            while t.slots[i] != 0 && t.slots[i] != w {
                i = (i + 1) & (t.slots.len() - 1);
            }
            t.slots[i] = w;
        }
        t
    }

    fn slot(&self, w: u64) -> usize {
        (w.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    fn contains(&self, w: u64) -> bool {
        if w == 0 {
            return false;
        }
        let mut i = self.slot(w);
        loop {
            match self.slots[i] {
                0 => return false,
                s if s == w => return true,
                _ => i = (i + 1) & (self.slots.len() - 1),
            }
        }
    }
}

fn is_template(message: &str) -> bool {
    message.contains('{')
}

/// Matches `message` against a row with placeholders; returns the `{job}` value (`None` when
/// the row has none), or `None` when it does not match.
///
/// `{job}` and `{n}` take digits, `{any}` takes a word without blanks; the literal text between
/// them must be exact, and the whole message must be used.
pub fn match_template(template: &str, message: &str) -> Option<Option<i64>> {
    let mut rest = message;
    let mut job = None;
    let mut t = template;
    loop {
        let Some(open) = t.find('{') else {
            return (rest == t).then_some(job);
        };
        rest = rest.strip_prefix(&t[..open])?;
        let close = open + t[open..].find('}')?;
        let hole = &t[open + 1..close];
        t = &t[close + 1..];
        let n = match hole {
            "job" | "n" => rest.bytes().take_while(u8::is_ascii_digit).count(),
            _ => rest
                .bytes()
                .take_while(|b| !b.is_ascii_whitespace())
                .count(),
        };
        if n == 0 {
            return None;
        }
        if hole == "job" {
            job = rest[..n].parse().ok();
        }
        rest = &rest[n..];
    }
}

/// Splits `run DDL job ID:34, Type:...` into the message text and the job string.
pub(crate) fn split_inline_job(message: &str) -> Option<(&str, &str)> {
    // Every ` ID:` is found from its `:` (a `memchr`; a substring search set up per call cost
    // more than the rest of the lookup on the scanner's hot path).
    let b = message.as_bytes();
    memchr::memchr_iter(b':', b)
        .filter(|&c| c >= 3 && &b[c - 3..c] == b" ID")
        .map(|c| c - 3)
        .find(|&at| jobstr::starts_job(&message[at + 1..]))
        .map(|at| (&message[..at], &message[at + 1..]))
}

/// Removes a leading `[category] ` (letters, digits, `-`, `_`), as
/// [`crate::record::Record::message_and_category`] does; `[ddl:8214]...` is an error, not a
/// category, and is kept.
fn strip_category(m: &str) -> &str {
    crate::record::split_category(m).map_or(m, |(_, bare)| bare)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::path::Path;

    /// Rows whose message is in neither messages.tsv nor the corpus, with where each was confirmed.
    const ALLOW: &[(&str, &str)] = &[
        // Not in messages.tsv (logged from the session package): `git grep` of the TiDB mirror,
        // v7.1.0 session/session.go:4323, v7.5.0 pkg/session/session.go:4413, v7.6.0 :4380,
        // v8.1.0 :4412, v8.5.0 :4628, master pkg/sessionctx/variable/session.go:3805 (logFn).
        (
            "old running transaction block DDL",
            "TiDB source v7.1.0–master (RemoveLockDDLJobs)",
        ),
        // Pre-2019 (ngaut/log) spellings, in log-variants.md's vocabulary ("1.0/2.0 (2017-18)
        // pre-zap") and in pingcap/tidb ddl/ddl.go and ddl_worker.go of v1.0 (find_string).
        (
            "DDL job {job} is finished",
            "log-variants.md; pingcap/tidb ddl/ddl.go v1.0 `[ddl] DDL job %d is finished`",
        ),
        (
            "wait latest schema version {n} changed, take time {any}",
            "log-variants.md `[ddl] wait latest schema version N changed, take time <dur>`",
        ),
        // log-variants.md (v5.2/5.3-dev ReplBug logs); pingcap/tidb ddl/ddl_worker.go start loop
        // `logutil.Logger(w.logCtx).Error("[ddl] handle DDL job failed", zap.Error(err))` (find_string).
        (
            "handle DDL job failed",
            "log-variants.md; pingcap/tidb ddl/ddl_worker.go ≤v6.1",
        ),
        // log-variants.md (v4.0/5.x logs); pingcap/tidb ddl/backfilling.go
        // `logutil.BgLogger().Warn("[ddl] backfill worker handle batch tasks failed", ...)` (find_string).
        (
            "backfill worker handle batch tasks failed",
            "log-variants.md; pingcap/tidb ddl/backfilling.go ≤v6.x",
        ),
    ];

    fn shared() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
    }

    /// Messages of messages.tsv (column 4), with any `[ddl] ` prefix removed.
    fn tsv_messages() -> Option<HashSet<String>> {
        let text = std::fs::read_to_string(shared().join("reference/messages.tsv")).ok()?;
        Some(
            text.lines()
                .skip(1)
                .filter_map(|l| l.split('\t').nth(3))
                .map(|m| strip_category(m).to_string())
                .collect(),
        )
    }

    /// All text of the corpus's TiDB logs.
    fn corpus_text() -> Option<String> {
        let root = shared().join("corpus");
        let mut out = String::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).ok()?.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("tidb"))
                {
                    out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).ok()?));
                }
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// [`may_match`] rests on every row being at least four bytes long, placeholder rows
    /// included before their first placeholder.
    #[test]
    fn every_row_is_long_enough_for_may_match() {
        for s in VOCAB {
            let head = s.message.split('{').next().unwrap();
            assert!(head.len() >= 4, "{:?}", s.message);
            // A line that is not UTF-8 is judged on its raw bytes: a row must be ASCII for
            // those to tell the same as the lossily decoded text.
            assert!(s.message.is_ascii(), "{:?}", s.message);
            assert!(may_match(s.message.as_bytes()), "{:?}", s.message);
        }
        assert!(may_match(b"run DDL job ID:34, Type:create table"));
        assert!(may_match(b"DDL job 34 is finished"));
        assert!(!may_match(b"regionMiss backoffer.maxSleep") && !may_match(b"get"));
        // Eight bytes tell these from `run DDL job` and the other `run `/`new ` rows.
        assert!(!may_match(b"run statement failed") && !may_match(b"new connection"));
        // A head cut short at an escape may still be any row.
        assert!(may_match(b"run "));
        // Every row's literal text, cut anywhere from four bytes on, may still match.
        for s in VOCAB {
            let head = s.message.split('{').next().unwrap();
            for n in 4..=head.len() {
                assert!(
                    may_match(&head.as_bytes()[..n]),
                    "{:?} cut at {n}",
                    s.message
                );
            }
        }
    }

    #[test]
    fn messages_are_unique_and_clean() {
        let mut seen = HashSet::new();
        for s in VOCAB {
            assert!(seen.insert(s.message), "duplicate row {:?}", s.message);
            assert_eq!(
                s.message,
                s.message.trim(),
                "stray whitespace in {:?}",
                s.message
            );
            assert_eq!(
                strip_category(s.message),
                s.message,
                "row keeps a category prefix: {:?}",
                s.message
            );
            assert!(
                !s.versions.is_empty() && !s.source.is_empty(),
                "{:?}",
                s.message
            );
        }
    }

    /// Every row's message is confirmed by messages.tsv, by a real log, or by the allow-list.
    #[test]
    fn every_message_is_confirmed() {
        let (Some(tsv), Some(corpus)) = (tsv_messages(), corpus_text()) else {
            crate::event::shared_missing("every_message_is_confirmed", &shared());
            return;
        };
        let mut missing = Vec::new();
        for s in VOCAB {
            let m = s.message;
            let in_corpus = [
                format!("[\"{m}\"]"),
                format!("[\"[ddl] {m}\"]"),
                format!("[{m}]"),
            ]
            .iter()
            .any(|needle| corpus.contains(needle.as_str()));
            let allowed = ALLOW.iter().any(|(a, _)| *a == m);
            if !(tsv.contains(m) || in_corpus || allowed) {
                missing.push(m);
            }
        }
        assert!(
            missing.is_empty(),
            "unconfirmed vocabulary rows (typo?): {missing:#?}"
        );
        for (a, _) in ALLOW {
            assert!(
                VOCAB.iter().any(|s| s.message == *a),
                "stale allow-list entry {a:?}"
            );
        }
    }

    #[test]
    fn lookup_exact_prefixed_and_inline() {
        assert_eq!(lookup("run DDL job").unwrap().kind, EventKind::JobRun);
        assert_eq!(lookup("[ddl] run DDL job").unwrap().kind, EventKind::JobRun);
        assert_eq!(
            lookup("run DDL job error").unwrap().kind,
            EventKind::JobError
        );
        assert_eq!(
            lookup("[ddl] run add index job").unwrap().kind,
            EventKind::BackfillStarted
        );
        assert_eq!(
            lookup("run DDL job ID:34, Type:create table, State:none, SchemaState:none, SchemaID:29, TableID:33, RowCount:0, ArgLen:0")
                .unwrap()
                .kind,
            EventKind::JobRun
        );
        assert_eq!(
            lookup("[ddl] finish DDL job ID:34, Type:create table, State:synced")
                .unwrap()
                .kind,
            EventKind::JobFinished
        );
        assert!(lookup("run DDL jo").is_none());
        // Pre-2019 messages with values in the text.
        let (s, job) = lookup_with_job("[ddl] DDL job 34 is finished").unwrap();
        assert_eq!((s.kind, job), (EventKind::JobClientDone, Some(34)));
        assert_eq!(s.reached, Some(JobState::Synced));
        let (s, job) =
            lookup_with_job("[ddl] wait latest schema version 27 changed, take time 2.01s")
                .unwrap();
        assert_eq!((s.kind, job), (EventKind::SchemaVersionSynced, None));
        assert!(lookup("DDL job x is finished").is_none());
        assert!(lookup("DDL job 34 is finished now").is_none());
        assert!(lookup("diff load InfoSchema success").is_none());
        assert!(lookup("[ddl:8214]Cancelled DDL job").is_none());
        assert!(lookup("").is_none());
        assert!(lookup("run DDL job ID:x").is_none());
    }
}
