//! Error classification: transient, permanent or unknown, as one table.
//!
//! [`TABLE`] is the single place where ddldiag decides what an error *is*. Each row carries
//! separate facts, because they disagree often enough to matter:
//!
//! * [`ErrorClass`] — whether the error is transient *by nature* (DESIGN.md §5: "a retry could
//!   succeed"). A network partition produces `context deadline exceeded` whether or not the TiDB
//!   version at hand knows to retry it.
//! * [`Retries`] — what the ADD INDEX reorg path of TiDB's DDL job layer decides
//!   (`errorIsRetryable` v7.1–v8.1, `isRetryableJobError` / `isRetryableError` v8.5+, lists
//!   `dbterror.ReorgRetryableErrCodes` and, v8.5+, `ReorgRetryableErrMsgs`), by version. This is
//!   what lets a rule say "TiDB v8.1.0 does not retry this; v8.5.0+ does".
//! * [`Lightning`] — what lightning's `common.IsRetryableError` says. With `Retries` it decides
//!   what the DXF backfill executor does ([`Classified::retried_by`] with [`Path::DxfBackfill`]).
//!
//! MODIFY COLUMN and partition reorganisation consult none of these lists: they retry only
//! `kv.IsTxnRetryableError` errors (and MODIFY COLUMN also `ErrNotOwner`) and convert everything
//! else to rollback ([`Path::ModifyColumn`], [`Path::PartitionReorg`]).
//!
//! Every fact below was read in pingcap/tidb at v6.5.0, v7.1.0, v7.5.0, v7.6.0, v8.1.0, v8.5.0
//! and master 9a5c8821c6 (2026-02-10), plus the patch tags and release branches named where a
//! backport matters; `docs/retry-semantics.md` has the per-version table with `file:line` for
//! each cell. Abbreviations in the row comments:
//!
//! * **RC** = `ReorgRetryableErrCodes`: `util/dbterror/ddl_terror.go:447-466` (v7.1.0, created
//!   by #43782), `pkg/util/dbterror/ddl_terror.go:489-508` (v7.5.0), `:494-516` (v7.5.1),
//!   `:498-520` (v7.6.0), `:500-522` (v8.1.0), `:508-530` (v8.5.0), `:508-531` (v8.5.2),
//!   `:529-552` (master). v6.5.0 has no list: its add-index reorg rolls back only on
//!   `ErrKeyExists` / `ErrCancelledDDLJob` / `ErrCantDecodeRecord` (`ddl/index.go:888`), falls
//!   back from ingest to txn-merge on any other ingest error (`ddl/index.go:810-830`, `:760-769`)
//!   and retries everything else, so every row but [`Retries::Rollback`] is retried there.
//! * **RM** = `ReorgRetryableErrMsgs` (substring of `err.Error()`, checked before the codes):
//!   `pkg/util/dbterror/ddl_terror.go:532-536` (v8.5.0), `:533-537` (v8.5.2), `:554-559`
//!   (master); absent in v8.1.0 and on release-8.1 / release-7.5.
//! * **D** = the decision: `ddl/index.go:948-960` (v7.1.0), `pkg/ddl/index.go:1022-1034`
//!   (v7.5.0), `:1001-1013` (v7.6.0), `:977-989` (v8.1.0), `:1450-1472` (v8.5.0), `:1892-1914`
//!   (master): limit reached → no; (v8.5+) message on RM → yes; a terror → its code on RC
//!   (`terror.ToSQLError`: a class TiDB does not register, such as `Lightning`, `PD`, `Ingest`,
//!   `KV`, and the code 0 of a round-tripped plain error, maps to 1105); any other Go error →
//!   yes ("For the unknown errors, we should retry").
//! * **LT** = lightning `IsRetryableError` / `isSingleRetryableError`:
//!   `br/pkg/lightning/common/retry.go` (v6.5.0 `:61-135`, v7.1.0, v7.5.0 `:61-158`, v7.6.0),
//!   `pkg/lightning/common/retry.go` (v8.1.0 `:64-165`, v8.5.0, master `:72-215`). It matches a
//!   terror only by its ID (v7.5.0 `:70-91`, master `:89-115`); its MySQL-number list
//!   (v7.5.0 `:120-129`) applies to go-sql-driver `*mysql.MySQLError` only, never to the terrors
//!   a DDL job sees.
//! * **MC** = MODIFY COLUMN reorg: `ddl/column.go:832-846` (v6.5.0), `:850-867` (v7.1.0),
//!   `pkg/ddl/column.go:854-873` (v7.5.0), `:862-879` (v7.6.0), `:863-880` (v8.1.0),
//!   `pkg/ddl/modify_column.go:649-666` (v8.5.0), `:1372-1389` (master).
//! * **PR** = partition reorg `doPartitionReorgWork`: `ddl/partition.go:2626-2671` (v7.1.0),
//!   `pkg/ddl/partition.go:3030-3076` (v7.5.0), `:3119` (v7.6.0), `:3182` (v8.1.0), `:3704`
//!   (v8.5.0), `:3718-3776` (master).
//!
//! Matching is ordered and explicit: the first row that matches wins. Rows come in four groups,
//! most specific first: permanent codes, transient codes, permanent texts, transient texts. Codes
//! are looked for anywhere in the text (wrapped errors such as `previous statement: …: [kv:9007]…`
//! keep their inner code), so a generic wrapper like `[ddl:-1]…rpc error: code = Canceled` falls
//! through to the text rows and still finds its transient inner cause.
//!
//! A row's [`Retries`] is what it declares; [`classify`] then applies what TiDB itself looks at:
//! the error's form ([`ErrorForm`]: a `[class:code]` terror or a plain Go error) decides a
//! [`Retries::Unlisted`] row, and a message on RM upgrades a terror from the version that lists it.

use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

use crate::model::version::{includes_fix, Version};

/// Whether retrying could have succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// A retry could succeed: region unavailable, PD timeout, ...
    Transient,
    /// Retrying cannot help: duplicate entry, data too long, user cancel.
    Permanent,
    Unknown,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Transient => "transient",
            ErrorClass::Permanent => "permanent",
            ErrorClass::Unknown => "unknown",
        }
    }
}

/// Whether the ADD INDEX reorg path of TiDB's DDL job layer retries an error (rather than
/// converting the job to rollback), by TiDB version. Independent of [`ErrorClass`].
///
/// This is the decision of `runReorgJobAndHandleErr` / `runIngestReorgJob` (D in the module
/// doc); from v7.5.0 the same function also guards the `run DDL job failed, sleeps a while then
/// retries it.` line (`pkg/ddl/ddl_worker.go:831` v7.5.0, `:981` v7.6.0, `:1016` v8.1.0,
/// `pkg/ddl/job_worker.go:620` v8.5.0, `:693` master). In v6.5.0 / v7.1.0 that line is logged
/// for every failed step (`ddl/ddl_worker.go:885`, `:1016` v6.5.0; `:825` v7.1.0), also when
/// the job was just converted to rollback, so there it proves nothing. A step of a job that is
/// not a reorg is retried whatever the error until the error-count limit cancels it (only if
/// it is rollbackable); MODIFY COLUMN and partition reorg differ: see [`Path`].
///
/// The error-count limit (`ErrCount + 1 >= tidb_ddl_error_count_limit` → not retried) applies on
/// top of every variant and is the caller's to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retries {
    /// On the code list from its creation (v7.1.0) to master; v6.5.0 retried it too (no list).
    Always,
    /// Retried from these releases on. Each entry is the first fixed release of one release
    /// line; the highest entry is where the change landed on master, so every later line has it.
    /// `&["v7.5.1", "v7.6.0"]`: v7.5.1+ on the 7.5 line, v7.6.0 and everything after. Lines
    /// from v7.1 up to the fix do not retry it; v6.5 (no list) does.
    Since(&'static [&'static str]),
    /// Only on master after v8.5 (no release carries it yet).
    Unreleased,
    /// A terror whose code is on no list: an ADD INDEX reorg rolls the job back at the first
    /// occurrence (v7.1+; v6.5 retried it).
    Never,
    /// Rolled back at once in every version by an explicit check that no list can override
    /// (duplicate key, cancel).
    Rollback,
    /// A plain Go error, no `[class:code]` of its own (or the `[ddl:-1]` TiDB wraps one in when
    /// it stores it in the job): "unknown errors should retry" until the error-count limit, in
    /// every version.
    Plain,
    /// Not on any list; decided by the error's form (a plain Go error is retried, a terror is
    /// not), which [`classify`] resolves from the text. Left only when it cannot.
    Unlisted,
}

/// The first line of the retry list (v7.1.0, #43782); before it every add-index error but a
/// few was retried.
fn before_lists(v: &Version) -> bool {
    v.line() < (7, 1)
}

impl Retries {
    /// Whether TiDB `version` retries the error at the DDL layer; `None` when it cannot be told.
    /// Without a version, the v7.1+ behaviour is assumed for [`Retries::Never`].
    pub fn retried_in(self, version: Option<&Version>) -> Option<bool> {
        match self {
            Retries::Rollback => Some(false),
            _ if version.is_some_and(before_lists) => Some(true),
            Retries::Always | Retries::Plain => Some(true),
            Retries::Never => Some(false),
            Retries::Unreleased => version.map(|_| false),
            Retries::Unlisted => None,
            Retries::Since(lines) => includes_fix(version?, lines),
        }
    }

    /// A short phrase: "retried by TiDB's DDL layer since v7.5.1 / v7.6.0".
    pub fn describe(self) -> String {
        match self {
            Retries::Always => "retried by TiDB's DDL layer in every version".into(),
            Retries::Since(lines) => {
                format!("retried by TiDB's DDL layer since {}", lines.join(" / "))
            }
            Retries::Unreleased => "retried by TiDB's DDL layer only on master after v8.5".into(),
            Retries::Never => "not retried by TiDB's DDL layer: the job rolls back at once".into(),
            Retries::Rollback => "rolled back by TiDB's DDL layer at once in every version".into(),
            Retries::Plain => {
                "a plain Go error, which TiDB's DDL layer retries until the error-count limit"
                    .into()
            }
            Retries::Unlisted => "not on TiDB's retry lists".into(),
        }
    }

    /// The one of `self` (the row) and `msg` (a message-list entry) that retries from the
    /// earlier release: TiDB accepts either.
    fn or_message(self, msg: Retries) -> Retries {
        match (self, msg) {
            (Retries::Rollback | Retries::Always | Retries::Plain, _) => self,
            (Retries::Since(row), Retries::Since(m)) => {
                let first = m.iter().filter_map(|s| Version::parse(s)).min();
                match first.map(|f| includes_fix(&f, row)) {
                    Some(Some(true)) => self,
                    _ => msg,
                }
            }
            (Retries::Since(_), _) => self,
            (Retries::Never | Retries::Unlisted | Retries::Unreleased, m) => m,
        }
    }
}

/// What lightning's `common.IsRetryableError` (LT in the module doc) says of an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lightning {
    /// Retryable in every version (v6.5.0..master).
    Yes,
    /// Not retryable: on none of its tables.
    No,
    /// Retryable from these releases on (same convention as [`Retries::Since`]).
    Since(&'static [&'static str]),
    /// Retryable before these releases, excluded from them on.
    Until(&'static [&'static str]),
    /// Retryable only on master after v8.5.
    Unreleased,
    /// Not retryable, but `IsContextCanceledError` (context canceled, gRPC `Canceled`, AWS
    /// `RequestCanceled`): the DXF executor treats it as a graceful shutdown and leaves the
    /// subtask alone (`br/pkg/lightning/log/log.go:181-194` v7.5.0,
    /// `pkg/lightning/log/log.go:192-220` master).
    Canceled,
}

impl Lightning {
    /// Whether lightning in `version` retries it; `None` when it cannot be told.
    pub fn retried_in(self, version: Option<&Version>) -> Option<bool> {
        match self {
            Lightning::Yes => Some(true),
            Lightning::No | Lightning::Canceled => Some(false),
            Lightning::Since(lines) => includes_fix(version?, lines),
            Lightning::Until(lines) => includes_fix(version?, lines).map(|fixed| !fixed),
            Lightning::Unreleased => version.map(|_| false),
        }
    }
}

/// A layer of TiDB that decides whether an error is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// ADD INDEX reorg at the DDL job layer: [`Classified::retries`].
    AddIndex,
    /// The MODIFY COLUMN row reorg (`run modify column job failed, convert job to rollback`): only
    /// `kv.IsTxnRetryableError` (`[kv:9007]`, `[kv:8005]`, `[kv:8022]`) and, from v7.1.0,
    /// `[ddl:8201]` are retried; everything else rolls back, whatever the lists say (MC). On
    /// master the index-recreating stage of MODIFY COLUMN (#63970) runs the ADD INDEX path.
    ModifyColumn,
    /// REORGANIZE / COALESCE / REMOVE PARTITIONING reorg (`reorg partition job failed, convert
    /// job to rollback`): only `kv.IsTxnRetryableError` errors are retried (PR).
    PartitionReorg,
    /// The DXF backfill executor (`subtask failed` vs `meet retryable error`): v7.1 fails the
    /// subtask on every error; v7.5–v8.1 retries lightning's errors and terrors on RC (a plain Go
    /// error fails the subtask); v8.5+ adds RM and every plain Go error. v7.5.x applies this only
    /// inside a subtask: errors around it fail the subtask unconditionally (#50429 is in v7.6.0+).
    DxfBackfill,
}

/// Whether an error text is a TiDB terror (`[class:code]…`, printed by `pingcap/errors`) or a
/// plain Go error; TiDB's retry decision differs for the two (D in the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorForm {
    /// No `[class:code]` tag, or the `[ddl:-1]` that `toTError` gives a plain error when it is
    /// stored in the job (`pkg/ddl/ddl_worker.go:1168-1177` v7.5.0, `pkg/ddl/job_worker.go:1123-1132`
    /// master): the live error was a plain Go error.
    Plain,
    /// A leading `[class:code]` (including `[0]…`, a plain error round-tripped through a DXF task,
    /// `pkg/disttask/framework/storage/task_table.go:788-797` v7.5.0), or a tag inside the text
    /// (`errors.Cause` reaches the wrapped terror).
    Terror,
}

/// How a row recognises an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// A `[class:code]` tag anywhere in the text, compared case-insensitively. `*:9005` matches
    /// the numeric code under any class (TiDB maps class + code with `terror.ToSQLError`; for the
    /// class/code pairs TiDB emits this is the same).
    Code(&'static str),
    /// A case-insensitive substring.
    Text(&'static str),
    /// A regex over the original text (for patterns a substring would over-match).
    Regex(&'static str),
}

/// One row of the classification table.
#[derive(Debug, Clone, Copy)]
pub struct ClassRow {
    pub pattern: Pattern,
    pub class: ErrorClass,
    /// A short family name shown in findings: `region-unavailable`.
    pub family: &'static str,
    /// Why: which TiDB list or behaviour the verdict comes from.
    pub reason: &'static str,
    /// What TiDB's DDL layer (ADD INDEX reorg) does with it, by version, as the row declares it.
    pub retries: Retries,
    /// What lightning's retry table says.
    pub lightning: Lightning,
}

/// The verdict on one error text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub class: ErrorClass,
    /// `tikv:9005` when the text starts with a `[class:code]` prefix.
    pub code: Option<String>,
    /// Why: which table row matched.
    pub reason: &'static str,
    /// The matched row's family, `unclassified` when no row matched.
    pub family: &'static str,
    /// What TiDB's DDL layer (ADD INDEX reorg) does with it, resolved for this text's form and
    /// message; `None` when no row matched.
    pub retries: Option<Retries>,
    /// What lightning's retry table says; `None` when no row matched.
    pub lightning: Option<Lightning>,
    /// Terror or plain Go error.
    pub form: ErrorForm,
    /// `kv.IsTxnRetryableError`: a `[kv:9007]`, `[kv:8005]` or `[kv:8022]` in the text.
    pub txn_retryable: bool,
    /// `dbterror.ErrNotOwner`: a `[ddl:8201]` in the text.
    pub not_owner: bool,
}

impl Classified {
    /// Whether `path` in TiDB `version` retries this error; `None` when it cannot be told.
    pub fn retried_by(&self, path: Path, version: Option<&Version>) -> Option<bool> {
        match path {
            Path::AddIndex => self.retries?.retried_in(version),
            // MC: `kv.IsTxnRetryableError(err) || dbterror.ErrNotOwner.Equal(err)` (v7.1.0+;
            // v6.5.0 `ddl/column.go:837` has only the first).
            Path::ModifyColumn => {
                Some(self.txn_retryable || (self.not_owner && !version.is_some_and(before_lists)))
            }
            // PR: `kv.IsTxnRetryableError(err)` only.
            Path::PartitionReorg => Some(self.txn_retryable),
            Path::DxfBackfill => self.dxf_retried(version?),
        }
    }

    fn dxf_retried(&self, v: &Version) -> Option<bool> {
        // v7.1.0 `disttask/framework/scheduler/scheduler.go:143-178`: every error but
        // context.Canceled fails the subtask; no DXF add-index before v7.1.
        if v.line() < (7, 5) {
            return Some(false);
        }
        if let Some(l) = self.lightning {
            if l == Lightning::Canceled || l.retried_in(Some(v)) == Some(true) {
                return Some(true);
            }
        }
        let v85 = (v.line() >= (8, 5)).then_some(());
        match (self.retries, self.form) {
            // v7.5.0 `pkg/disttask/framework/scheduler/scheduler.go:603-612`, v7.6.0
            // `pkg/ddl/backfilling_dist_executor.go:181-194`, v8.1.0 `:209-222`: a terror on RC;
            // v8.5.0 `:225-226` and master `:248-249` call D's `isRetryableError`.
            (Some(r @ (Retries::Always | Retries::Since(_))), _) => r.retried_in(Some(v)),
            (Some(Retries::Plain), _) | (None, ErrorForm::Plain) => Some(v85.is_some()),
            (Some(Retries::Unlisted), _) => None,
            _ => Some(false),
        }
    }
}

use ErrorClass::{Permanent as P, Transient as T, Unknown as U};
use Pattern::{Code, Regex as Re, Text};

const fn row(
    pattern: Pattern,
    class: ErrorClass,
    family: &'static str,
    reason: &'static str,
    retries: Retries,
    lightning: Lightning,
) -> ClassRow {
    ClassRow {
        pattern,
        class,
        family,
        reason,
        retries,
        lightning,
    }
}

const DDL_LIST: &str = "on dbterror.ReorgRetryableErrCodes, the list TiDB's DDL layer retries";
const V751_V760: Retries = Retries::Since(&["v7.5.1", "v7.6.0"]);
const V850: Retries = Retries::Since(&["v8.5.0"]);
use Lightning as L;

/// `ReorgRetryableErrMsgs`, case-sensitive substrings of `err.Error()` as TiDB matches them (RM),
/// with the releases that list them.
const RETRYABLE_MSGS: &[(&str, Retries)] = &[
    // RM v8.5.0 `pkg/util/dbterror/ddl_terror.go:534-535` (#56630, 1352db677c), master :556-557.
    ("context deadline exceeded", V850),
    ("requested lease not found", V850),
    // RM master :558 (#62794, acbcbdfeb1, 2025-08-05); not on release-8.5 (HEAD 2025-11-10).
    (
        "mvcc: required revision has been compacted",
        Retries::Unreleased,
    ),
    // RM on master after the 2026-02-10 mirror (pingcap/tidb 03510c96cc in the search index).
    ("All returned regions have no leaders", Retries::Unreleased),
];

/// The classification table. First match wins; keep the groups in order.
pub static TABLE: &[ClassRow] = &[
    // ---- 1. permanent codes: the data or the user decided, retrying cannot help ----
    // ErrKeyExists. v6.5.0 ddl/index.go:888 rolls back explicitly; v7.1.0+ not on RC, and the
    // ingest path rolls back on it before asking D (pkg/ddl/index.go:1006-1008 v7.5.0, :1434-1436
    // v8.5.0, :1876-1878 master). LT: not on it (v7.5.0 retry.go:70-91).
    row(Code("*:1062"), P, "duplicate-entry", "duplicate key in the data: a UNIQUE index cannot be built (DDL rolls back explicitly)", Retries::Rollback, L::No),
    // types errors of MODIFY COLUMN: MC rolls back on anything but txn errors (all versions);
    // not on RC (v7.1.0..master) nor LT.
    row(Code("*:1406"), P, "data-too-long", "data too long for the new column/index definition", Retries::Never, L::No),
    row(Code("*:1265"), P, "data-truncated", "data truncated by the new column type", Retries::Never, L::No),
    row(Code("*:1292"), P, "incorrect-value", "incorrect / truncated value for the new type", Retries::Never, L::No),
    row(Code("*:1366"), P, "incorrect-value", "incorrect value for the column", Retries::Never, L::No),
    row(Code("*:1264"), P, "out-of-range", "value out of range for the new type", Retries::Never, L::No),
    row(Code("*:1690"), P, "out-of-range", "value out of range", Retries::Never, L::No),
    row(Code("*:1048"), P, "null-value", "NULL in a column becoming NOT NULL", Retries::Never, L::No),
    row(Code("*:1138"), P, "null-value", "invalid use of NULL value", Retries::Never, L::No),
    // ErrCancelledDDLJob. v6.5.0 ddl/index.go:888 explicit; v7.1.0+ not on RC; a cancelling job
    // is converted to rollback before any step runs (pkg/ddl/ddl_worker.go:1000-1003 v7.5.0).
    row(Code("*:8214"), P, "cancelled", "[ddl:8214] Cancelled DDL job: ADMIN CANCEL DDL JOBS, or the *result* of a rollback — look for the error before it", Retries::Rollback, L::No),
    // ErrResourceGroupNotExists (pkg/errno/errname.go:1137 v7.5.0): not on RC v7.1.0..master, not
    // on LT; v8.5+ DXF: a terror, so not retried either.
    row(Code("*:8249"), P, "resource-group", "unknown resource group (#59042): a configuration error, not on any retry list", Retries::Never, L::No),
    // ErrIngestFailed (8247) "Ingest failed: %s" has several causes; only "memory used up"
    // (pkg/ddl/ingest/message.go:67,75 v7.5.0) is the memory quota. Not on RC / LT.
    row(Re(r"(?i)\[[a-z]+:8247\][^\[]*memory used up"), P, "ingest-memory", "ingest memory quota used up: a resource limit, the same settings fail again (not on any retry list)", Retries::Never, L::No),
    // ErrIngestFailed for another cause: "ingest engine not found" (pkg/ddl/ingest/backend.go:121,
    // :172 v7.5.0), "concurrency quota exceeded" (engine_mgr.go:72). Not on RC / LT.
    row(Code("*:8247"), U, "ingest-failed", "[ddl:8247] Ingest failed: TiDB's ingest backend failed (not on any retry list); the text after it says why", Retries::Never, L::No),
    // ErrFoundDuplicateKeys (br/pkg/lightning/common/errors.go:102 v7.5.0): converted to
    // ErrKeyExists before D (pkg/ddl/index.go:1003-1005, :1103-1106 v7.5.0) → rollback.
    row(Code("Lightning:Restore:ErrFoundDuplicateKey"), P, "duplicate-entry", "lightning found duplicate keys while importing the index", Retries::Rollback, L::No),
    // errdef.ErrKVDiskFull, master only (pkg/ingestor/errdef/errors.go:31,
    // pkg/ingestor/ingestcli/ingest_err.go:80-81); class `Ingest` → 1105, not on RC, not on LT.
    // Releases return a plain "non-retryable error: …" instead (region_job.go:748-750 v7.5.0).
    row(Code("Ingest:StoreDiskFull"), P, "disk-full", "TiKV store disk full (lightning: not retryable)", Retries::Never, L::No),
    // ---- 2. transient codes ----
    // RC v7.1.0..master. LT: as a terror only on master (drivererr.ErrPDServerTimeout, master
    // retry.go:113, #65239); v6.5.0..v8.5.x list 9001 only for go-sql-driver errors.
    row(Code("*:9001"), T, "pd-timeout", DDL_LIST, Retries::Always, L::Unreleased),
    // RC v7.1.0..master. LT: drivererr IDs 9002, 9003, 9005, 9010 in every version (v6.5.0
    // retry.go:83-86, v7.5.0 :86-89, master :109-112).
    row(Code("*:9002"), T, "tikv-timeout", DDL_LIST, Retries::Always, L::Yes),
    row(Code("*:9003"), T, "tikv-busy", DDL_LIST, Retries::Always, L::Yes),
    // RC v7.1.0..master; LT: not as a terror.
    row(Code("*:9004"), T, "resolve-lock-timeout", DDL_LIST, Retries::Always, L::No),
    row(Code("*:9005"), T, "region-unavailable", DDL_LIST, Retries::Always, L::Yes),
    // ErrGCTooEarly (master: ErrTxnAbortedByGC, same code, new text "transaction start ts is …
    // txn safe point is …", pkg/errno/errname.go:1181). RC v7.1.0..master; not on LT. A retry
    // reads at a new timestamp: the txn backfill opens a new txn per batch (kv.RunInNewTxn,
    // pkg/ddl/index.go:1904 v7.5.0), the ingest/DXF scan one per task (wrapInBeginRollback,
    // pkg/ddl/index_cop.go:176-187 v7.5.0, :44-69 v8.5.0), ranges at the current version
    // (getValidCurrentVersion); job.SnapshotVer (pkg/ddl/reorg.go:720 v7.5.0) is not a read ts.
    // So a retry can succeed once reads finish inside tidb_gc_life_time; the same start ts on
    // every attempt means the error is re-read (a reverted DXF task), not re-produced.
    row(Code("*:9006"), T, "gc-too-early", "GC life time is shorter than the transaction: on dbterror.ReorgRetryableErrCodes (retried), and every retry reads at a new timestamp, so it can succeed once the reads fit in tidb_gc_life_time", Retries::Always, L::No),
    // RC v7.1.0..master; MC and PR retry [kv:9007]/[kv:8005]/[kv:8022] too (kv.IsTxnRetryableError,
    // pkg/kv/error.go:77-89 v7.5.0). LT: 9007/8005/8022/8027/8028 only as go-sql-driver numbers.
    row(Code("*:9007"), T, "write-conflict", DDL_LIST, Retries::Always, L::No),
    // RC v7.1.0..master; LT: not as a terror.
    row(Code("*:9008"), T, "store-limit", DDL_LIST, Retries::Always, L::No),
    row(Code("*:9010"), T, "stale-command", DDL_LIST, Retries::Always, L::Yes),
    row(Code("*:9011"), T, "max-ts-not-synced", DDL_LIST, Retries::Always, L::No),
    row(Code("*:9012"), T, "tiflash-timeout", DDL_LIST, Retries::Always, L::No),
    row(Code("*:9013"), T, "tiflash-busy", DDL_LIST, Retries::Always, L::No),
    row(Code("*:8027"), T, "schema-out-of-date", DDL_LIST, Retries::Always, L::No),
    row(Code("*:8028"), T, "schema-changed", DDL_LIST, Retries::Always, L::No),
    row(Code("*:8005"), T, "write-conflict", DDL_LIST, Retries::Always, L::No),
    row(Code("*:8022"), T, "txn-retryable", DDL_LIST, Retries::Always, L::No),
    // RC v7.1.0..master; MC retries it from v7.1.0 (ddl/column.go:858), PR does not.
    row(Code("*:8201"), T, "not-owner", DDL_LIST, Retries::Always, L::No),
    // terror.ErrResultUndetermined (pkg/parser/terror/terror.go:266-269). RC from v7.5.1
    // (#49716, ddl_terror.go:515) and v7.6.0 (#49565, :519); absent in v7.1.0..v7.5.0 and on
    // release-7.1. Not on LT.
    row(Code("global:2"), T, "result-undetermined", "ReorgRetryableErrCodes since v7.5.1/v7.6.0 (#49565, issue #49556)", V751_V760, L::No),
    // ErrInvalidSplitRegionRanges, raised by the DDL's own range split (pkg/ddl/backfilling.go:
    // 406-407 v7.5.0, :525-527 v8.5.0) as [ddl:8212], by SPLIT TABLE as [executor:8212]. RC from
    // v8.5.2 (:527, #60479) / master (#59767); absent v7.1.0..v8.5.1, release-7.5, release-8.1.
    row(Code("*:8212"), T, "split-region-failed", "ReorgRetryableErrCodes since v8.5.2 (#59767, issue #59735)", Retries::Since(&["v8.5.2"]), L::No),
    // drivererr.ErrUnknown: on LT as a terror ID in every version (v6.5.0 retry.go:87, v7.5.0
    // :90, master :114); 1105 is not on RC. Retried by the DXF executor, not by the DDL layer.
    row(Code("tikv:1105"), U, "tikv-unknown-error", "[tikv:1105] from the TiKV client: lightning retries it, TiDB's DDL list does not", Retries::Never, L::Yes),
    // 1205 / 1213 as terrors: not on RC. LT's number list (v7.5.0 retry.go:120-129) has 1213
    // in every version and 1205 from v7.5.5 / v8.5.0, but only for go-sql-driver
    // *mysql.MySQLError, never for a terror.
    row(Code("*:1205"), T, "lock-wait-timeout", "lock wait timeout: on no retry list for a TiDB error (lightning's 1205 rule is for MySQL-client errors)", Retries::Never, L::No),
    row(Code("*:1213"), T, "deadlock", "deadlock: on no retry list for a TiDB error (lightning's 1213 rule is for MySQL-client errors)", Retries::Never, L::No),
    // ---- 3. permanent texts ----
    // ErrKeyExists text "Duplicate entry '%s' for key '%s'": as *:1062.
    row(Text("duplicate entry"), P, "duplicate-entry", "duplicate key in the data", Retries::Rollback, L::No),
    // The `import index duplicate key, convert job to rollback` line's words (pkg/ddl/index.go:1007 v7.5.0).
    row(Text("import index duplicate key"), P, "duplicate-entry", "ingest found duplicate keys (DDL rolls back explicitly)", Retries::Rollback, L::No),
    // ErrFoundDuplicateKeys text "found duplicate key '%s', value '%s'": as above.
    row(Text("found duplicate key"), P, "duplicate-entry", "ErrFoundDuplicateKey: duplicate keys in the data", Retries::Rollback, L::No),
    // types error texts: as the codes above.
    row(Text("data too long"), P, "data-too-long", "data too long for the new definition", Retries::Never, L::No),
    row(Text("data truncated"), P, "data-truncated", "data truncated by the new type", Retries::Never, L::No),
    row(Text("truncated incorrect"), P, "incorrect-value", "incorrect value for the new type", Retries::Never, L::No),
    row(Text("incorrect value"), P, "incorrect-value", "incorrect value for the new type", Retries::Never, L::No),
    row(Text("invalid value"), P, "invalid-value", "invalid value for the new definition", Retries::Never, L::No),
    // ErrCancelledDDLJob text "Cancelled DDL job": as *:8214.
    row(Text("cancelled ddl job"), P, "cancelled", "the job was cancelled (user, or the result of a rollback)", Retries::Rollback, L::No),
    // TiKV's DiskSpaceNotEnough inside gRPC `code = Unknown`: LT's Unknown rule retried it until
    // v8.1.0 excluded it (pkg/lightning/common/retry.go:148-152 v8.1.0; absent on release-7.5;
    // v6.5.0..v6.5.2 had no Unknown rule at all). A plain gRPC error, so D retries it.
    row(Text("diskspacenotenough"), P, "disk-full", "TiKV DiskSpaceNotEnough: lightning explicitly does not retry it (v8.1+)", Retries::Unlisted, L::Until(&["v8.1.0"])),
    // Local disk errors are plain Go errors (D retries them); not on LT.
    row(Text("no space left on device"), P, "disk-full", "local disk full (sort dir / temp dir)", Retries::Unlisted, L::No),
    row(Text("disk full"), P, "disk-full", "disk full", Retries::Unlisted, L::No),
    row(Text("disk quota exceeded"), P, "disk-full", "disk quota exceeded", Retries::Unlisted, L::No),
    // ErrResourceGroupNotExists text "Unknown resource group '%-.192s'": as *:8249.
    row(Text("unknown resource group"), P, "resource-group", "unknown resource group (#59042)", Retries::Never, L::No),
    // ErrIngestFailed text "memory used up": as the 8247 memory row.
    row(Text("memory used up"), P, "ingest-memory", "ingest memory quota used up", Retries::Never, L::No),
    // ---- 4. transient texts: region / leader / store ----
    // ErrRegionUnavailable text (pkg/errno/errname.go:1154 v7.5.0): as *:9005.
    row(Text("region is unavailable"), T, "region-unavailable", "TiKV region unavailable (ErrRegionUnavailable text)", Retries::Always, L::Yes),
    // Lightning ErrKVEpochNotMatch "epoch not match" (RFC Lightning:KV:EpochNotMatch,
    // br/pkg/lightning/common/errors.go:79 v7.5.0; Ingest:EpochNotMatch master
    // pkg/ingestor/errdef/errors.go:26): LT ID in every version. Not on RC: as a terror D
    // rolls back (class Lightning/Ingest → 1105); as plain TiKV text D retries.
    row(Text("epoch not match"), T, "epoch-not-match", "region epoch changed (split/merge): lightning ErrKVEpochNotMatch", Retries::Unlisted, L::Yes),
    row(Text("epochnotmatch"), T, "epoch-not-match", "lightning ErrKVEpochNotMatch", Retries::Unlisted, L::Yes),
    // TiKV's "stale epoch" wording: not an LT ID or message.
    row(Text("stale epoch"), T, "epoch-not-match", "region epoch changed", Retries::Unlisted, L::No),
    // RFC codes Lightning:KV:NotLeader (v7.5.0 errors.go:80) / Ingest:NotLeader (master
    // errdef/errors.go:27): always a terror → not on RC (#70026). LT ID in every version.
    row(Text("notleader"), T, "not-leader", "lightning ErrKVNotLeader / ErrNoLeader (DDL does not list it: #70026)", Retries::Unlisted, L::Yes),
    // RFC Lightning:KV:ErrNoLeader (v7.5.0 errors.go:86) / KV:ErrNoLeader (master errdef:25):
    // a terror, not on RC. LT ID from v6.5.6 / v7.1.2 / v7.5.0 (v7.5.0 retry.go:73).
    row(Text("noleader"), T, "not-leader", "lightning ErrNoLeader (DDL does not list it: #70026)", Retries::Unlisted, L::Since(&["v6.5.6", "v7.1.2", "v7.5.0"])),
    // ErrKVNotLeader's message "not leader": LT ID in every version.
    row(Text("not leader"), T, "not-leader", "region leader moved: lightning ErrKVNotLeader", Retries::Unlisted, L::Yes),
    // ErrNoLeader's message on master "region has no leader, region '%d'" (errdef/errors.go:25).
    row(Text("has no leader"), T, "not-leader", "region has no leader: lightning ErrNoLeader", Retries::Unlisted, L::Since(&["v6.5.6", "v7.1.2", "v7.5.0"])),
    // RFC Lightning:KV:RegionNotFound / Ingest:RegionNotFound: a terror, not on RC. LT ID.
    row(Text("regionnotfound"), T, "region-not-found", "lightning ErrKVRegionNotFound (DDL does not list it: #70026)", Retries::Unlisted, L::Yes),
    row(Text("region not found"), T, "region-not-found", "region not found: lightning ErrKVRegionNotFound", Retries::Unlisted, L::Yes),
    // The message of the DDL's own [ddl:8212] (pkg/ddl/backfilling.go:406 v7.5.0): as *:8212.
    row(Text("cannot find region in range"), T, "split-region-failed", "region split raced with a region change (#59735)", Retries::Since(&["v8.5.2"]), L::No),
    // RFC Lightning:KV:ServerIsBusy (v7.5.0 errors.go:81) / Ingest:ServerIsBusy: LT ID; a
    // terror with an unregistered class → D rolls back.
    row(Text("serverisbusy"), T, "tikv-busy", "lightning ErrKVServerIsBusy", Retries::Unlisted, L::Yes),
    row(Text("server is busy"), T, "tikv-busy", "TiKV server is busy", Retries::Unlisted, L::Yes),
    // Lightning ErrKVReadIndexNotReady (v7.5.0 errors.go:83): LT ID.
    row(Text("readindexnotready"), T, "read-index-not-ready", "lightning ErrKVReadIndexNotReady", Retries::Unlisted, L::Yes),
    row(Text("read index not ready"), T, "read-index-not-ready", "lightning ErrKVReadIndexNotReady", Retries::Unlisted, L::Yes),
    // Lightning ErrKVRaftProposalDropped "raft proposal dropped" (errors.go:85): LT ID.
    row(Text("proposal dropped"), T, "raft-proposal-dropped", "lightning ErrKVRaftProposalDropped", Retries::Unlisted, L::Yes),
    // RFC Lightning:KV:ErrKVIngestFailed (errors.go:84): LT ID.
    row(Text("ingestfailed"), T, "ingest-failed", "lightning ErrKVIngestFailed", Retries::Unlisted, L::Yes),
    // ErrTiKVStaleCommand text "TiKV server reports stale command": as *:9010.
    row(Text("stale command"), T, "stale-command", "TiKV stale command", Retries::Always, L::Yes),
    // ---- PD / TSO / etcd ----
    // ErrPDServerTimeout text: as *:9001.
    row(Text("pd server timeout"), T, "pd-timeout", "PD server timeout (ErrPDServerTimeout text)", Retries::Always, L::Unreleased),
    // PD client's `[PD:client:ErrClientCreateTSOStream]create TSO stream failed, %s` (tikv/pd
    // client/errs): class PD → 1105, not on RC v7.1.0..master (#70025); RM upgrades it when
    // the text carries "context deadline exceeded" (v8.5+). Not on LT.
    row(Text("createtsostream"), T, "tso", "PD client could not create the TSO stream (#70025: DDL does not retry it)", Retries::Unlisted, L::No),
    row(Text("tso stream"), T, "tso", "PD TSO stream error", Retries::Unlisted, L::No),
    // client-go getTimestampWithRetry backs off with "get timestamp failed: %v".
    row(Text("get timestamp"), T, "tso", "PD TSO request failed", Retries::Unlisted, L::No),
    // RFC Lightning:PD:ErrCreatePDClient (errors.go:73 v7.5.0): a terror, not on RC. LT ID
    // from v7.5.0 (#48095, retry.go:83); absent in v6.5.x, v7.1.x.
    row(Text("errcreatepdclient"), T, "pd-client", "lightning ErrCreatePDClient (retryable since #48095)", Retries::Unlisted, L::Since(&["v7.5.0"])),
    // etcd "requested lease not found": RM from v8.5.0 (any form); as a plain error D retried
    // it before too. Not on LT.
    row(Text("requested lease not found"), T, "etcd-lease", "ReorgRetryableErrMsgs since v8.5.0 (#56630, issue #56550)", Retries::Unlisted, L::No),
    // etcd "mvcc: required revision has been compacted": RM on master only (#62794).
    row(Text("required revision has been compacted"), T, "etcd-compacted", "ReorgRetryableErrMsgs on master only (#62794)", Retries::Unlisted, L::No),
    row(Text("etcdserver:"), T, "etcd", "etcd request failed (timeout, leader change)", Retries::Unlisted, L::No),
    // client-go region cache "All returned regions have no leaders, limit: %d": RM on master
    // after the 2026-02-10 mirror (search index 03510c96cc); a plain error, so D retries it.
    row(Text("all returned regions have no leaders"), T, "region-no-leader", "PD returned regions without leaders (ReorgRetryableErrMsgs on master only)", Retries::Unlisted, L::No),
    // ---- deadlines, cancellation, network ----
    // RM from v8.5.0 (any form); a plain context.DeadlineExceeded D retried before too. LT:
    // never before master (v7.5.0 retry.go:103); master drops it from the never-list
    // (retry.go:150) and it passes as a net.Error timeout. (gRPC DeadlineExceeded: see below.)
    row(Text("context deadline exceeded"), T, "deadline-exceeded", "context deadline exceeded: on ReorgRetryableErrMsgs since v8.5.0 (#56630, issue #56550), and a plain Go error the DDL layer retries in every version", Retries::Unlisted, L::Unreleased),
    // gRPC status codes: LT v7.5.0 retry.go:136-156 (DeadlineExceeded, Unavailable,
    // ResourceExhausted, Aborted … → yes), v6.5.0 :129-134; plain errors for D.
    row(Text("code = deadlineexceeded"), T, "grpc-deadline", "gRPC DeadlineExceeded: lightning retries it", Retries::Unlisted, L::Yes),
    row(Text("code = unavailable"), T, "grpc-unavailable", "gRPC Unavailable: lightning retries it", Retries::Unlisted, L::Yes),
    // gRPC Canceled: IsContextCanceledError (graceful for the DXF executor).
    row(Text("code = canceled"), T, "grpc-canceled", "gRPC Canceled: a stream torn down by a peer (partition, restart)", Retries::Unlisted, L::Canceled),
    row(Text("code = resourceexhausted"), T, "grpc-resource-exhausted", "gRPC ResourceExhausted: lightning retries it", Retries::Unlisted, L::Yes),
    row(Text("code = aborted"), T, "grpc-aborted", "gRPC Aborted: lightning retries it", Retries::Unlisted, L::Yes),
    // AWS SDK RequestCanceled: IsContextCanceledError (v7.5.0 log.go:190-191, #48639).
    row(Text("requestcanceled"), T, "canceled", "AWS SDK RequestCanceled: graceful shutdown (#48639)", Retries::Unlisted, L::Canceled),
    row(Text("context canceled"), T, "canceled", "context canceled: owner change / shutdown, not a property of the data", Retries::Unlisted, L::Canceled),
    // aws-sdk-go-v2's client-side retry token bucket ("failed to get rate limit token, retry
    // quota exceeded"): only builds between the SDK v2 migration and #65179 (master 2025-12-23,
    // pkg/objstore/s3store/retry.go:45 sets ratelimit.None); v8.5.x uses aws-sdk-go v1. LT:
    // smithy OperationError is none of its types → `meet un-retryable error` (master
    // retry.go:80); plain for D.
    row(Text("retry quota exceeded"), T, "s3-retry-quota", "object storage client ran out of its retry quota (aws-sdk-go-v2 rate limiter, removed by #65179): lightning does not retry it", Retries::Unlisted, L::No),
    // Other S3 operation errors (smithy OperationError): not on LT for the same reason.
    row(Text("operation error s3"), T, "external-storage", "object storage request failed (lightning does not retry S3 operation errors)", Retries::Unlisted, L::No),
    // net errors: LT ECONNREFUSED/ECONNRESET (v7.5.0 retry.go:117; v6.5.0 only a direct
    // *net.OpError, :105-110), EPIPE on master only (:164-165), timeouts (:110-112).
    row(Text("connection refused"), T, "network", "connection refused: lightning retries ECONNREFUSED", Retries::Unlisted, L::Yes),
    row(Text("connection reset"), T, "network", "connection reset: lightning retries ECONNRESET", Retries::Unlisted, L::Yes),
    row(Text("broken pipe"), T, "network", "broken pipe (EPIPE)", Retries::Unlisted, L::Unreleased),
    row(Text("i/o timeout"), T, "network", "network i/o timeout: lightning retries net.Error timeouts", Retries::Unlisted, L::Yes),
    row(Text("dial tcp"), T, "network", "TCP dial failed", Retries::Unlisted, L::No),
    // go-sql-driver ErrInvalidConn / driver.ErrBadConn (v7.5.0 retry.go:105).
    row(Text("invalid connection"), T, "network", "go-sql-driver ErrInvalidConn: lightning retries it", Retries::Unlisted, L::Yes),
    row(Text("bad connection"), T, "network", "driver.ErrBadConn: lightning retries it", Retries::Unlisted, L::Yes),
    // ErrWriteTooSlow (v7.5.0 retry.go:97, :105): from v6.5.6 / v7.1.3 / v7.5.0.
    row(Text("write too slow"), T, "network", "lightning ErrWriteTooSlow", Retries::Unlisted, L::Since(&["v6.5.6", "v7.1.3", "v7.5.0"])),
    // io.EOF: on LT's never-list (v7.5.0 retry.go:103, master :150).
    row(Re(r"(?i)(^|[^a-z])eof($|[^a-z])"), T, "eof", "connection closed mid-stream (EOF)", Retries::Unlisted, L::No),
    // LT message "rate: wait" (#51383): v6.5.9 / v7.1.5 / v7.5.2 / v8.1.0 (v8.1.0 retry.go:45); not
    // in v7.6.0.
    row(Text("rate: wait"), T, "rate-limit", "lightning retries rate limiter waits (v6.5.9+/v7.1.5+/v7.5.2+/v8.1+)", Retries::Unlisted, L::Since(&["v6.5.9", "v7.1.5", "v7.5.2", "v8.1.0"])),
    // LT message "coprocessor task terminated due to exceeding the deadline" (v7.5.0 retry.go:42).
    row(Text("exceeding the deadline"), T, "deadline-exceeded", "coprocessor task deadline: lightning retries it", Retries::Unlisted, L::Yes),
    // ---- transactions / schema / owner ----
    // Texts of kv.ErrWriteConflict / ErrInfoSchemaChanged / ErrInfoSchemaExpired / ErrNotOwner
    // (pkg/errno/errname.go v7.5.0 :1156, :980, :979, :1002): as their codes.
    row(Text("write conflict"), T, "write-conflict", "write conflict (ErrWriteConflict text)", Retries::Always, L::No),
    row(Text("information schema is changed"), T, "schema-changed", "info schema changed (ErrInfoSchemaChanged text)", Retries::Always, L::No),
    row(Text("information schema is out of date"), T, "schema-out-of-date", "info schema out of date (ErrInfoSchemaExpired text)", Retries::Always, L::No),
    row(Text("not a ddl owner"), T, "not-owner", "ErrNotOwner text", Retries::Always, L::No),
    // ErrResultUndetermined text "execution result undetermined": as global:2.
    row(Text("result undetermined"), T, "result-undetermined", "execution result undetermined (#49556)", V751_V760, L::No),
    // ErrLockWaitTimeout / ErrLockDeadlock texts (pkg/errno/errname.go:220, :228): as the codes.
    row(Text("lock wait timeout"), T, "lock-wait-timeout", "lock wait timeout", Retries::Never, L::No),
    row(Text("deadlock"), T, "deadlock", "deadlock", Retries::Never, L::No),
    // kv.TxnRetryableMark "[try again later]" (pkg/kv/error.go:27), appended to the messages of
    // ErrTxnRetryable / ErrWriteConflict / ErrInfoSchemaChanged.
    row(Text("try again later"), T, "retryable", "TiDB marked the error `[try again later]`", Retries::Unlisted, L::No),
];

fn code_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\[([A-Za-z][\w-]*(?::[A-Za-z][\w-]*)*):(-?\d+|[A-Za-z]\w*)\]")
            .expect("code regex")
    })
}

fn leading_code_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^\s*\[((?:[A-Za-z][\w-]*(?::[A-Za-z][\w-]*)*:)?-?\w+)\]")
            .expect("leading regex")
    })
}

fn compiled(pat: &'static str) -> &'static Regex {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: OnceLock<Mutex<HashMap<&'static str, &'static Regex>>> = OnceLock::new();
    let mut m = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    m.entry(pat)
        .or_insert_with(|| Box::leak(Box::new(Regex::new(pat).expect("table regex"))))
}

/// The `[class:code]` prefix the text starts with (`tikv:9005`, `ddl:-1`, `Lightning:KV:ServerIsBusy`,
/// `0` for a round-tripped non-terror error `[0]…`).
pub fn leading_code(text: &str) -> Option<String> {
    let c = leading_code_re().captures(text)?;
    let code = c.get(1)?.as_str();
    // `[try again later]`-style words are not codes: a code is `class:code` or a bare number.
    (code.contains(':') || code.bytes().all(|b| b.is_ascii_digit() || b == b'-'))
        .then(|| code.to_string())
}

/// Every `[class:code]` tag in the text, in order.
pub fn codes(text: &str) -> Vec<(String, String)> {
    code_re()
        .captures_iter(text)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

fn row_matches(row: &ClassRow, text: &str, lower: &str, tags: &[(String, String)]) -> bool {
    match row.pattern {
        Code(p) => {
            let (class, code) = p.rsplit_once(':').unwrap_or(("*", p));
            tags.iter().any(|(c, n)| {
                n.eq_ignore_ascii_case(code) && (class == "*" || c.eq_ignore_ascii_case(class))
            })
        }
        Text(t) => lower.contains(t),
        Re(r) => compiled(r).is_match(text),
    }
}

/// The first table row matching the text, if any.
pub fn matching_row(text: &str) -> Option<&'static ClassRow> {
    let lower = text.to_ascii_lowercase();
    let tags = codes(text);
    TABLE.iter().find(|r| row_matches(r, text, &lower, &tags))
}

/// Terror or plain Go error, from the text as TiDB printed it.
pub fn form_of(text: &str) -> ErrorForm {
    match leading_code(text) {
        Some(c) if c.eq_ignore_ascii_case("ddl:-1") => ErrorForm::Plain,
        Some(_) => ErrorForm::Terror,
        None if codes(text).is_empty() => ErrorForm::Plain,
        None => ErrorForm::Terror,
    }
}

/// A row's declared [`Retries`] as TiDB decides it for this text: a [`Retries::Unlisted`] row by
/// the error's form, then (a terror) the message list, which D checks before the codes.
fn resolve(declared: Retries, text: &str, form: ErrorForm) -> Retries {
    let r = match (declared, form) {
        (Retries::Unlisted, ErrorForm::Plain) => return Retries::Plain,
        (Retries::Unlisted, ErrorForm::Terror) => Retries::Never,
        (r, _) => r,
    };
    RETRYABLE_MSGS
        .iter()
        .filter(|(m, _)| text.contains(m))
        .fold(r, |acc, (_, m)| acc.or_message(*m))
}

fn has_tag(tags: &[(String, String)], class: &str, code: &str) -> bool {
    tags.iter()
        .any(|(c, n)| c.eq_ignore_ascii_case(class) && n == code)
}

/// Classifies one error text.
pub fn classify(text: &str) -> Classified {
    let code = leading_code(text);
    let tags = codes(text);
    let form = form_of(text);
    let txn_retryable = ["9007", "8005", "8022"]
        .iter()
        .any(|n| has_tag(&tags, "kv", n));
    let not_owner = has_tag(&tags, "ddl", "8201");
    match matching_row(text) {
        Some(r) => Classified {
            class: r.class,
            code,
            reason: r.reason,
            family: r.family,
            retries: Some(resolve(r.retries, text, form)),
            lightning: Some(r.lightning),
            form,
            txn_retryable,
            not_owner,
        },
        None => Classified {
            class: ErrorClass::Unknown,
            code,
            reason: "no table row matched",
            family: "unclassified",
            retries: None,
            lightning: None,
            form,
            txn_retryable,
            not_owner,
        },
    }
}

/// True for the `[ddl:8214]Cancelled DDL job` family: the job's *final* error after a rollback,
/// which hides the error that caused the rollback.
pub fn is_cancelled(text: &str) -> bool {
    matching_row(text).is_some_and(|r| r.family == "cancelled")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(t: &str) -> ErrorClass {
        classify(t).class
    }

    #[test]
    fn leading_codes() {
        assert_eq!(
            leading_code("[tikv:9005]Region is unavailable").as_deref(),
            Some("tikv:9005")
        );
        assert_eq!(
            leading_code("[ddl:-1]cannot get disk capacity").as_deref(),
            Some("ddl:-1")
        );
        assert_eq!(
            leading_code("[Lightning:KV:ServerIsBusy]too many sst files are ingesting").as_deref(),
            Some("Lightning:KV:ServerIsBusy")
        );
        assert_eq!(
            leading_code("[global:2]execution result undetermined").as_deref(),
            Some("global:2")
        );
        assert_eq!(leading_code("[0]some go error").as_deref(), Some("0"));
        assert_eq!(leading_code("[try again later]"), None);
        assert_eq!(leading_code("context deadline exceeded"), None);
        assert_eq!(
            leading_code("previous statement: x: [kv:9007]Write conflict"),
            None
        );
    }

    #[test]
    fn transient_codes_from_the_ddl_list() {
        for t in [
            "[tikv:9005]Region is unavailable",
            "[tikv:9001]PD server timeout: ",
            "[tikv:9001]PD server timeout: start timestamp may fall behind safe point",
            "[tikv:9002]TiKV server timeout",
            "[tikv:9003]TiKV server is busy",
            "[tikv:9004]Resolve lock timeout",
            "[tikv:9006]GC life time is shorter than transaction duration",
            "[kv:9007]Write conflict, txnStartTS=451345876397588480, conflictStartTS=451345876483833857, conflictCommitTS=451345876484096000, key={tableID=71, handle=3} primary=[]byte(nil) [try again later]",
            "[kv:8005]Write conflict, txnStartTS 1 is stale",
            "[kv:8022]Error: KV error safe to retry x",
            "[domain:8027]Information schema is out of date",
            "[domain:8028]Information schema is changed during the execution of the statement(for example, table definition may be updated by other DDL ran in parallel). If you see this error often, try increasing `tidb_max_delta_schema_count`. [try again later]",
            "[ddl:8201]TiDB server is not a DDL owner",
            "[global:2]execution result undetermined",
            "[ddl:8212]Failed to split region ranges: cannot find region in range",
            "[executor:8212]Failed to split region ranges: x",
            "[tikv:1205]Lock wait timeout exceeded; try restarting transaction",
            "[executor:1213]Deadlock found when trying to get lock; try restarting transaction",
        ] {
            assert_eq!(class(t), ErrorClass::Transient, "{t}");
        }
        let c = classify("[tikv:9005]Region is unavailable");
        assert_eq!(c.code.as_deref(), Some("tikv:9005"));
        assert_eq!(c.family, "region-unavailable");
        assert_eq!(c.retries, Some(Retries::Always));
    }

    #[test]
    fn transient_texts() {
        for t in [
            "context deadline exceeded",
            "context canceled",
            "RequestCanceled: request context canceled\ncaused by: context canceled",
            "[ddl:-1]peer 23, store 1, region 22, epoch conf_ver:1 version:210 : rpc error: code = Canceled desc = CANCELLED",
            "rpc error: code = Unavailable desc = connection error",
            "rpc error: code = DeadlineExceeded desc = context deadline exceeded",
            "[Lightning:KV:ServerIsBusy]too many sst files are ingesting",
            "[Lightning:KV:ErrCreateKVClient]create kv client error: context deadline exceeded",
            "[Lightning:KV:NotLeader]not leader",
            "[Ingest:NotLeader]not leader",
            "[KV:ErrNoLeader]region has no leader, region '12'",
            "[Lightning:KV:EpochNotMatch]epoch not match",
            "[Lightning:KV:RegionNotFound]region not found",
            "[PD:client:ErrClientCreateTSOStream]create TSO stream failed, retry timeout",
            "etcdserver: request timed out",
            "requested lease not found",
            "mvcc: required revision has been compacted",
            "dial tcp 10.0.0.1:20160: connect: connection refused",
            "read tcp 10.0.0.1:1->10.0.0.2:2: read: connection reset by peer",
            "unexpected EOF",
            "EOF",
            "operation error S3: CreateMultipartUpload, https response error StatusCode: 0, RequestID: , HostID: , request send failed, Post \"http://minio-peer:9000/tmp/p10010001/150005/150063/data/ce007e32-9238-4cf8-8875-6efb8aa0e849/2?uploads=\": dial tcp 10.233.114.163:9000: i/o timeout\nfailed to get rate limit token, retry quota exceeded, 0 available, 10 requested",
            "PD server timeout%!(EXTRA string=start timestamp may fall behind safe point)",
            "previous statement:  update t set c = 2 where id = 3;: [kv:9007]Write conflict, txnStartTS=451345876397588480, conflictStartTS=451345876483833857, conflictCommitTS=451345876484096000, key={tableID=71, handle=3} primary=[]byte(nil) [try again later]",
        ] {
            assert_eq!(class(t), ErrorClass::Transient, "{t}");
        }
        // The wrapper code is reported, the inner cause decides the class.
        let c = classify(
            "[ddl:-1]peer 23, store 1, region 22 : rpc error: code = Canceled desc = CANCELLED",
        );
        assert_eq!(c.code.as_deref(), Some("ddl:-1"));
        assert_eq!(c.family, "grpc-canceled");
    }

    #[test]
    fn permanent_errors() {
        for t in [
            "[kv:1062]Duplicate entry '%.64s' for key '%.192s'",
            "[kv:1062]Duplicate entry 'gray mistress' for key 'c_string'",
            "[Lightning:Restore:ErrFoundDuplicateKey]found duplicate key",
            "import index duplicate key",
            "[types:1406]Data too long for column 'c' at row 1",
            "[types:1265]Data truncated for column 'c' at row 1",
            "[tikv:1292]Truncated incorrect DOUBLE value: '123abc'",
            "[types:1292]Incorrect datetime value: '0000-00-00'",
            "[tikv:1690]BIGINT UNSIGNED value is out of range in '(8 - 1)'",
            "[ddl:8214]Cancelled DDL job",
            "[tikv:8249]Unknown resource group 'default'",
            "[ddl:8249]Unknown resource group 'rg1'",
            "[ddl:8247]Ingest failed: memory used up",
            "rpc error: code = Unknown desc = DiskSpaceNotEnough",
            "write /tmp/tidb/tmp_ddl-4000/1.sst: no space left on device",
            "[Ingest:StoreDiskFull][Ingest:StoreDiskFull](ingest SST ID 465284884663107690)",
        ] {
            assert_eq!(class(t), ErrorClass::Permanent, "{t}");
        }
    }

    #[test]
    fn unknown_errors() {
        for t in [
            "[ddl:-1]cannot get disk capacity at /tmp/tidb/tmp_ddl-4000: no such file or directory",
            "[ddl:-1]invalid encoded key",
            "index info not found: 1",
            "backend context not found",
            "invalid kv range, startKey: 74800000000000006a5f728000000001714882, endKey: 74800000000000006a5f7280000000003e0ab2",
            "read 3772936486386853641 bytes from external storage, exceed max limit 1073741824",
            "open /var/lib/tidb-data/tmp_ddl-4000/617/a.sst: transport endpoint is not connected",
            "[Lightning:Config:ErrInvalidSortedKVDir]invalid sorted-kv-dir '/var/lib/tidb-data/tmp_ddl-4000/687' for local backend, please change the config or delete the path: mkdir /var/lib/tidb-data/tmp_ddl-4000/687: no such file or directory",
            "[schema:1049]Unknown database 'mysql'",
            "http: Server closed",
            "",
        ] {
            assert_eq!(class(t), ErrorClass::Unknown, "{t}");
        }
        let c = classify("[0]boom");
        assert_eq!(
            (c.class, c.code.as_deref(), c.family),
            (ErrorClass::Unknown, Some("0"), "unclassified")
        );
    }

    #[test]
    fn eof_is_a_word_not_a_substring() {
        assert_eq!(class("thereof"), ErrorClass::Unknown);
        assert_eq!(class("io: read: EOF"), ErrorClass::Transient);
    }

    #[test]
    fn retry_versions() {
        let v = |s: &str| Version::parse(s).unwrap();
        let undetermined = classify("[global:2]execution result undetermined")
            .retries
            .unwrap();
        assert_eq!(undetermined.retried_in(Some(&v("v7.5.0"))), Some(false));
        assert_eq!(undetermined.retried_in(Some(&v("v7.5.1"))), Some(true));
        assert_eq!(undetermined.retried_in(Some(&v("v7.6.0"))), Some(true));
        assert_eq!(undetermined.retried_in(Some(&v("v8.5.0"))), Some(true));
        assert_eq!(undetermined.retried_in(None), None);
        // A plain context.DeadlineExceeded is retried in every version ("unknown errors should
        // retry"); as a terror (round-tripped through a DXF task: `[0]…`) only from v8.5.0 (RM).
        let deadline = classify("context deadline exceeded").retries.unwrap();
        assert_eq!(deadline, Retries::Plain);
        assert_eq!(deadline.retried_in(Some(&v("v8.1.0"))), Some(true));
        let wrapped = classify("[0]context deadline exceeded").retries.unwrap();
        assert_eq!(wrapped.retried_in(Some(&v("v8.1.0"))), Some(false));
        assert_eq!(wrapped.retried_in(Some(&v("v8.5.0"))), Some(true));
        assert_eq!(
            classify("context deadline exceeded").class,
            ErrorClass::Transient
        );
        let split = classify("[ddl:8212]Failed to split region ranges: x")
            .retries
            .unwrap();
        assert_eq!(split.retried_in(Some(&v("v8.5.1"))), Some(false));
        assert_eq!(split.retried_in(Some(&v("v8.5.2"))), Some(true));
        assert_eq!(
            classify("[tikv:9005]Region is unavailable")
                .retries
                .unwrap()
                .retried_in(None),
            Some(true)
        );
    }

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn by(text: &str, path: Path, version: &str) -> Option<bool> {
        classify(text).retried_by(path, Some(&v(version)))
    }

    /// ErrGCTooEarly as pkg/errno/errname.go:1155 (v7.5.0) prints it, and master's
    /// ErrTxnAbortedByGC text (:1181): on ReorgRetryableErrCodes in v7.1.0..master, not on
    /// lightning's table; MODIFY COLUMN rolls back on it.
    #[test]
    fn gc_too_early_is_retried_by_the_ddl_layer_only() {
        for t in [
            "[tikv:9006]GC life time is shorter than transaction duration, transaction starts at 2024-05-20 10:01:02.123 +0800 CST, GC safe point is 2024-05-20 10:11:05.000 +0800 CST",
            "[tikv:9006]GC life time is shorter than transaction duration, transaction start ts is 449947251470336000 (2024-05-20 10:01:02.123 +0800 CST), txn safe point is 449947409326899200 (2024-05-20 10:11:05 +0800 CST)",
        ] {
            let c = classify(t);
            assert_eq!((c.class, c.family), (ErrorClass::Transient, "gc-too-early"), "{t}");
            assert_eq!(c.retries, Some(Retries::Always));
            assert_eq!(c.lightning, Some(Lightning::No));
            assert_eq!(by(t, Path::AddIndex, "v7.1.0"), Some(true));
            assert_eq!(by(t, Path::AddIndex, "v8.1.0"), Some(true));
            assert_eq!(by(t, Path::ModifyColumn, "v8.1.0"), Some(false));
            assert_eq!(by(t, Path::PartitionReorg, "v8.5.0"), Some(false));
            assert_eq!(by(t, Path::DxfBackfill, "v7.5.0"), Some(true));
        }
    }

    /// MODIFY COLUMN retries only kv.IsTxnRetryableError and (v7.1+) ErrNotOwner; partition
    /// reorg only the former. The region error the ADD INDEX path retries rolls them back.
    #[test]
    fn modify_column_and_partition_reorg_ignore_the_retry_list() {
        let region = "[tikv:9005]Region is unavailable";
        assert_eq!(by(region, Path::AddIndex, "v8.1.0"), Some(true));
        assert_eq!(by(region, Path::ModifyColumn, "v8.1.0"), Some(false));
        assert_eq!(by(region, Path::PartitionReorg, "v8.1.0"), Some(false));
        let pd = "[tikv:9001]PD server timeout: start timestamp may fall behind safe point";
        assert_eq!(by(pd, Path::ModifyColumn, "v8.5.0"), Some(false));
        for t in [
            "[kv:9007]Write conflict, txnStartTS=451345876397588480, conflictStartTS=451345876483833857, conflictCommitTS=451345876484096000, key={tableID=71, handle=3} primary=[]byte(nil) [try again later]",
            "[kv:8005]Write conflict, txnStartTS 451345876397588480 is stale",
            "[kv:8022]Error: KV error safe to retry Txn(Mvcc(WriteConflict)) [try again later]",
        ] {
            assert_eq!(by(t, Path::ModifyColumn, "v6.5.0"), Some(true), "{t}");
            assert_eq!(by(t, Path::ModifyColumn, "v8.5.0"), Some(true), "{t}");
            assert_eq!(by(t, Path::PartitionReorg, "v7.5.0"), Some(true), "{t}");
        }
        let owner = "[ddl:8201]TiDB server is not a DDL owner";
        assert_eq!(by(owner, Path::ModifyColumn, "v6.5.0"), Some(false));
        assert_eq!(by(owner, Path::ModifyColumn, "v7.1.0"), Some(true));
        assert_eq!(by(owner, Path::PartitionReorg, "v8.1.0"), Some(false));
        // A data error rolls every path back.
        let long = "[types:1406]Data Too Long, field len 5, data len 9";
        assert_eq!(by(long, Path::ModifyColumn, "v8.1.0"), Some(false));
        assert_eq!(by(long, Path::AddIndex, "v8.1.0"), Some(false));
    }

    /// ErrInvalidSplitRegionRanges as pkg/ddl/backfilling.go:525-527 (v8.5.0) raises it.
    #[test]
    fn split_region_ranges_is_retried_from_v8_5_2() {
        let t = "[ddl:8212]Failed to split region ranges: cannot find region in range [7480000000000000ff6a5f728000000000ff0000010000000000fa, 7480000000000000ff6a5f730000000000fa]";
        let c = classify(t);
        assert_eq!(c.family, "split-region-failed");
        assert_eq!(
            by(t, Path::AddIndex, "v6.5.0"),
            Some(true),
            "no list yet: retried"
        );
        assert_eq!(by(t, Path::AddIndex, "v7.1.0"), Some(false));
        assert_eq!(by(t, Path::AddIndex, "v8.1.0"), Some(false));
        assert_eq!(by(t, Path::AddIndex, "v8.5.1"), Some(false));
        assert_eq!(by(t, Path::AddIndex, "v8.5.2"), Some(true));
        assert_eq!(by(t, Path::DxfBackfill, "v8.5.1"), Some(false));
        assert_eq!(by(t, Path::DxfBackfill, "v8.5.2"), Some(true));
        assert_eq!(
            classify("[executor:8212]Failed to split region ranges: x").family,
            "split-region-failed"
        );
    }

    /// PD client errors (`errors.Normalize(…, RFCCodeText("PD:client:…"))`): class PD is not
    /// registered in TiDB, so ToSQLError gives 1105, off the list; RM rescues a terror whose text
    /// carries "context deadline exceeded" from v8.5.0.
    #[test]
    fn tso_errors_are_terrors_off_the_list() {
        for t in [
            "[PD:client:ErrClientCreateTSOStream]create TSO stream failed, retry timeout",
            "[Lightning:KV:ErrCreateKVClient]create kv client error: [PD:client:ErrClientCreateTSOStream]create TSO stream failed, retry timeout",
        ] {
            let c = classify(t);
            assert_eq!((c.class, c.family, c.form), (ErrorClass::Transient, "tso", ErrorForm::Terror), "{t}");
            assert_eq!(c.retries, Some(Retries::Never), "{t}");
            assert_eq!(by(t, Path::AddIndex, "v8.5.0"), Some(false), "{t}");
            assert_eq!(by(t, Path::AddIndex, "v6.5.0"), Some(true), "{t}");
            assert_eq!(by(t, Path::DxfBackfill, "v8.5.0"), Some(false), "{t}");
        }
        let t = "[PD:client:ErrClientGetTSO]get TSO failed, rpc error: code = DeadlineExceeded desc = context deadline exceeded";
        assert_eq!(by(t, Path::AddIndex, "v8.1.0"), Some(false));
        assert_eq!(by(t, Path::AddIndex, "v8.5.0"), Some(true));
    }

    /// The corpus line of issue-65173 (`meet un-retryable error`, master retry.go:80).
    #[test]
    fn s3_retry_quota_is_not_retried_by_lightning() {
        let t = "operation error S3: CreateMultipartUpload, https response error StatusCode: 0, RequestID: , HostID: , request send failed, Post \"http://minio-peer:9000/tmp/p10010001/150005/150063/data/ce007e32-9238-4cf8-8875-6efb8aa0e849/2?uploads=\": dial tcp 10.233.114.163:9000: i/o timeout\nfailed to get rate limit token, retry quota exceeded, 0 available, 10 requested";
        let c = classify(t);
        assert_eq!(
            (c.class, c.family),
            (ErrorClass::Transient, "s3-retry-quota")
        );
        assert_eq!(
            (c.form, c.lightning),
            (ErrorForm::Plain, Some(Lightning::No))
        );
        // A plain Go error: the DDL layer retries it; the v7.6–v8.1 backfill executor fails the
        // subtask, v8.5+ treats every plain error as retryable.
        assert_eq!(by(t, Path::AddIndex, "v8.1.0"), Some(true));
        assert_eq!(by(t, Path::DxfBackfill, "v8.1.0"), Some(false));
        assert_eq!(by(t, Path::DxfBackfill, "v8.5.0"), Some(true));
        let c = classify("operation error S3: GetObject, https response error StatusCode: 503");
        assert_eq!(c.family, "external-storage");
    }

    #[test]
    fn error_forms() {
        assert_eq!(form_of("context deadline exceeded"), ErrorForm::Plain);
        assert_eq!(
            form_of("[ddl:-1]context deadline exceeded"),
            ErrorForm::Plain
        );
        assert_eq!(form_of("[0]context deadline exceeded"), ErrorForm::Terror);
        assert_eq!(
            form_of("[tikv:9005]Region is unavailable"),
            ErrorForm::Terror
        );
        assert_eq!(
            form_of("previous statement: x: [kv:9007]Write conflict"),
            ErrorForm::Terror
        );
        assert_eq!(
            form_of("rpc error: code = Unavailable desc = connection error"),
            ErrorForm::Plain
        );
    }

    /// Lightning errors are terrors with an RFC class TiDB does not register: the DDL layer
    /// rolls back on them (v7.1+), lightning and so the DXF executor retry them.
    #[test]
    fn lightning_errors_split_the_layers() {
        for t in [
            "[Lightning:KV:ServerIsBusy]too many sst files are ingesting",
            "[Lightning:KV:NotLeader]not leader",
            "[Lightning:KV:EpochNotMatch]epoch not match",
            "[Lightning:KV:RegionNotFound]region not found",
            "[Ingest:NotLeader]not leader",
        ] {
            assert_eq!(by(t, Path::AddIndex, "v6.5.0"), Some(true), "{t}");
            assert_eq!(by(t, Path::AddIndex, "v7.5.0"), Some(false), "{t}");
            assert_eq!(by(t, Path::AddIndex, "v8.5.0"), Some(false), "{t}");
            assert_eq!(by(t, Path::DxfBackfill, "v7.1.0"), Some(false), "{t}");
            assert_eq!(by(t, Path::DxfBackfill, "v7.6.0"), Some(true), "{t}");
        }
        let noleader = "[Lightning:KV:ErrNoLeader]write to tikv with no leader returned, region '12', leader: 0";
        assert_eq!(classify(noleader).family, "not-leader");
        assert_eq!(by(noleader, Path::DxfBackfill, "v7.5.0"), Some(true));
        assert_eq!(
            classify(noleader)
                .lightning
                .unwrap()
                .retried_in(Some(&v("v7.1.1"))),
            Some(false)
        );
        assert_eq!(
            classify(noleader)
                .lightning
                .unwrap()
                .retried_in(Some(&v("v7.1.2"))),
            Some(true)
        );
        // drivererr.ErrUnknown: lightning's ID list, not the DDL list.
        let unknown = "[tikv:1105]Unknown error";
        assert_eq!(by(unknown, Path::AddIndex, "v8.1.0"), Some(false));
        assert_eq!(by(unknown, Path::DxfBackfill, "v8.1.0"), Some(true));
        // A plain TiKV message in a gRPC status: the DDL layer retries it (plain Go error).
        let plain = "rpc error: code = Unknown desc = not leader";
        assert_eq!(by(plain, Path::AddIndex, "v8.1.0"), Some(true));
        // DiskSpaceNotEnough: retried by lightning's Unknown rule until v8.1.0.
        let disk = classify("rpc error: code = Unknown desc = DiskSpaceNotEnough");
        assert_eq!(disk.class, ErrorClass::Permanent);
        assert_eq!(
            disk.lightning.unwrap().retried_in(Some(&v("v7.5.6"))),
            Some(true)
        );
        assert_eq!(
            disk.lightning.unwrap().retried_in(Some(&v("v8.1.0"))),
            Some(false)
        );
    }

    #[test]
    fn duplicate_and_cancel_roll_back_in_every_version() {
        for t in [
            "[kv:1062]Duplicate entry '1' for key 't.idx'",
            "[ddl:8214]Cancelled DDL job",
            "[Lightning:Restore:ErrFoundDuplicateKey]found duplicate key '748000', value '0000'",
        ] {
            for ver in ["v6.5.0", "v7.1.0", "v8.5.0"] {
                assert_eq!(by(t, Path::AddIndex, ver), Some(false), "{t} {ver}");
            }
            assert_eq!(classify(t).retries, Some(Retries::Rollback), "{t}");
        }
    }

    #[test]
    fn result_undetermined_is_not_on_the_7_1_line() {
        let t = "[global:2]execution result undetermined";
        assert_eq!(by(t, Path::AddIndex, "v7.1.6"), Some(false));
        assert_eq!(by(t, Path::AddIndex, "v7.5.0"), Some(false));
        assert_eq!(by(t, Path::AddIndex, "v7.5.1"), Some(true));
        assert_eq!(by(t, Path::DxfBackfill, "v7.5.1"), Some(true));
    }

    /// ErrIngestFailed "Ingest failed: %s": only "memory used up" is the memory quota.
    #[test]
    fn ingest_failed_is_not_always_memory() {
        let mem = classify("[ddl:8247]Ingest failed: memory used up");
        assert_eq!(
            (mem.class, mem.family),
            (ErrorClass::Permanent, "ingest-memory")
        );
        let engine = classify("[ddl:8247]Ingest failed: ingest engine not found");
        assert_eq!(
            (engine.class, engine.family),
            (ErrorClass::Unknown, "ingest-failed")
        );
        assert_eq!(engine.retries, Some(Retries::Never));
    }

    #[test]
    fn message_list_entries() {
        let lease = classify("etcdserver: requested lease not found");
        assert_eq!(
            (lease.family, lease.retries),
            ("etcd-lease", Some(Retries::Plain))
        );
        let t = "[0]etcdserver: requested lease not found";
        assert_eq!(by(t, Path::AddIndex, "v8.1.0"), Some(false));
        assert_eq!(by(t, Path::AddIndex, "v8.5.0"), Some(true));
        let compacted = "[0]etcdserver: mvcc: required revision has been compacted";
        assert_eq!(classify(compacted).family, "etcd-compacted");
        assert_eq!(classify(compacted).retries, Some(Retries::Unreleased));
        let regions = classify("All returned regions have no leaders, limit: 128");
        assert_eq!(
            (regions.family, regions.retries),
            ("region-no-leader", Some(Retries::Plain))
        );
    }

    #[test]
    fn dxf_needs_a_version_and_fails_everything_on_7_1() {
        let c = classify("[tikv:9005]Region is unavailable");
        assert_eq!(c.retried_by(Path::DxfBackfill, None), None);
        assert_eq!(
            by(
                "[tikv:9005]Region is unavailable",
                Path::DxfBackfill,
                "v7.1.0"
            ),
            Some(false)
        );
        assert_eq!(
            by("context canceled", Path::DxfBackfill, "v7.5.0"),
            Some(true)
        );
    }

    #[test]
    fn every_regex_row_compiles() {
        for r in TABLE {
            if let Re(p) = r.pattern {
                let _ = compiled(p);
            }
        }
    }
}
