//! Error classification: transient, permanent or unknown, as one table.
//!
//! [`TABLE`] is the single place where ddldiag decides what an error *is*. Each row carries two
//! separate facts, because they disagree often enough to matter:
//!
//! * [`ErrorClass`] — whether the error is transient *by nature* (DESIGN.md §5: "a retry could
//!   succeed"). A network partition produces `context deadline exceeded` whether or not the TiDB
//!   version at hand knows to retry it.
//! * [`Retries`] — whether TiDB's DDL layer (`isRetryableJobError` / `errorIsRetryable`, list
//!   `dbterror.ReorgRetryableErrCodes` / `ReorgRetryableErrMsgs`) retries it, by version. This is
//!   what lets a rule say "TiDB v8.1.0 does not retry this; v8.5.0+ does".
//!
//! Matching is ordered and explicit: the first row that matches wins. Rows come in four groups,
//! most specific first: permanent codes, transient codes, permanent texts, transient texts. Codes
//! are looked for anywhere in the text (wrapped errors such as `previous statement: …: [kv:9007]…`
//! keep their inner code), so a generic wrapper like `[ddl:-1]…rpc error: code = Canceled` falls
//! through to the text rows and still finds its transient inner cause.

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

/// Whether TiDB's DDL job layer retries an error (rather than converting the job to rollback),
/// by TiDB version. Independent of [`ErrorClass`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retries {
    /// Retried (until the error-count limit) in every version ddldiag knows (v7.5+).
    Always,
    /// Retried from these releases on. Each entry is the first fixed release of one release
    /// line; the highest entry is where the change landed on master, so every later line has it.
    /// `&["v7.5.1", "v7.6.0"]`: v7.5.1+ on the 7.5 line, v7.6.0 and everything after.
    Since(&'static [&'static str]),
    /// Only on master after v8.5 (no release carries it yet).
    Unreleased,
    /// Never retried by the DDL layer: the job is rolled back at the first occurrence.
    Never,
    /// Not a listed error: a plain Go error is retried by the DDL layer until the error-count
    /// limit; a `[class:code]` error with an unlisted code is not (TiDB §2.1 steps 3–4).
    Unlisted,
}

impl Retries {
    /// Whether TiDB `version` retries the error at the DDL layer; `None` when it cannot be told.
    pub fn retried_in(self, version: Option<&Version>) -> Option<bool> {
        match self {
            Retries::Always => Some(true),
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
            Retries::Unlisted => "not on TiDB's retry lists".into(),
        }
    }
}

/// How a row recognises an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// A `[class:code]` tag anywhere in the text, compared case-insensitively. `*:9005` matches
    /// the numeric code under any class (TiDB itself ignores the class: `ToSQLError(e).Code`).
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
    /// What TiDB's DDL layer does with it, by version.
    pub retries: Retries,
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
    /// What TiDB's DDL layer does with it; `None` when no row matched.
    pub retries: Option<Retries>,
}

use ErrorClass::{Permanent as P, Transient as T};
use Pattern::{Code, Regex as Re, Text};

const fn row(
    pattern: Pattern,
    class: ErrorClass,
    family: &'static str,
    reason: &'static str,
    retries: Retries,
) -> ClassRow {
    ClassRow {
        pattern,
        class,
        family,
        reason,
        retries,
    }
}

const DDL_LIST: &str = "on dbterror.ReorgRetryableErrCodes, the list TiDB's DDL layer retries";
const V751_V760: Retries = Retries::Since(&["v7.5.1", "v7.6.0"]);

/// The classification table. First match wins; keep the groups in order.
pub static TABLE: &[ClassRow] = &[
    // ---- 1. permanent codes: the data or the user decided, retrying cannot help ----
    row(Code("*:1062"), P, "duplicate-entry", "duplicate key in the data: a UNIQUE index cannot be built (DDL rolls back explicitly)", Retries::Never),
    row(Code("*:1406"), P, "data-too-long", "data too long for the new column/index definition", Retries::Never),
    row(Code("*:1265"), P, "data-truncated", "data truncated by the new column type", Retries::Never),
    row(Code("*:1292"), P, "incorrect-value", "incorrect / truncated value for the new type", Retries::Never),
    row(Code("*:1366"), P, "incorrect-value", "incorrect value for the column", Retries::Never),
    row(Code("*:1264"), P, "out-of-range", "value out of range for the new type", Retries::Never),
    row(Code("*:1690"), P, "out-of-range", "value out of range", Retries::Never),
    row(Code("*:1048"), P, "null-value", "NULL in a column becoming NOT NULL", Retries::Never),
    row(Code("*:1138"), P, "null-value", "invalid use of NULL value", Retries::Never),
    row(Code("*:8214"), P, "cancelled", "[ddl:8214] Cancelled DDL job: ADMIN CANCEL DDL JOBS, or the *result* of a rollback — look for the error before it", Retries::Never),
    row(Code("*:8249"), P, "resource-group", "unknown resource group (#59042): a configuration error, not on any retry list", Retries::Never),
    row(Code("*:8247"), P, "ingest-memory", "ingest memory quota used up: a resource limit, the same settings fail again (not on any retry list)", Retries::Never),
    row(Code("Lightning:Restore:ErrFoundDuplicateKey"), P, "duplicate-entry", "lightning found duplicate keys while importing the index", Retries::Never),
    row(Code("Ingest:StoreDiskFull"), P, "disk-full", "TiKV store disk full (lightning: not retryable)", Retries::Never),
    // ---- 2. transient codes ----
    row(Code("*:9001"), T, "pd-timeout", DDL_LIST, Retries::Always),
    row(Code("*:9002"), T, "tikv-timeout", DDL_LIST, Retries::Always),
    row(Code("*:9003"), T, "tikv-busy", DDL_LIST, Retries::Always),
    row(Code("*:9004"), T, "resolve-lock-timeout", DDL_LIST, Retries::Always),
    row(Code("*:9005"), T, "region-unavailable", DDL_LIST, Retries::Always),
    row(Code("*:9006"), T, "gc-too-early", DDL_LIST, Retries::Always),
    row(Code("*:9007"), T, "write-conflict", DDL_LIST, Retries::Always),
    row(Code("*:9008"), T, "store-limit", DDL_LIST, Retries::Always),
    row(Code("*:9010"), T, "stale-command", DDL_LIST, Retries::Always),
    row(Code("*:9011"), T, "max-ts-not-synced", DDL_LIST, Retries::Always),
    row(Code("*:9012"), T, "tiflash-timeout", DDL_LIST, Retries::Always),
    row(Code("*:9013"), T, "tiflash-busy", DDL_LIST, Retries::Always),
    row(Code("*:8027"), T, "schema-out-of-date", DDL_LIST, Retries::Always),
    row(Code("*:8028"), T, "schema-changed", DDL_LIST, Retries::Always),
    row(Code("*:8005"), T, "write-conflict", DDL_LIST, Retries::Always),
    row(Code("*:8022"), T, "txn-retryable", DDL_LIST, Retries::Always),
    row(Code("*:8201"), T, "not-owner", DDL_LIST, Retries::Always),
    row(Code("global:2"), T, "result-undetermined", "ReorgRetryableErrCodes since v7.5.1/v7.6.0 (#49565, issue #49556)", V751_V760),
    row(Code("*:8212"), T, "split-region-failed", "ReorgRetryableErrCodes since v8.5.2 (#59767, issue #59735)", Retries::Since(&["v8.5.2"])),
    row(Code("*:1205"), T, "lock-wait-timeout", "lock wait timeout: lightning retries it (v7.5.5+/v8.5.0+), the DDL list does not", Retries::Never),
    row(Code("*:1213"), T, "deadlock", "deadlock: lightning retries it, the DDL list does not", Retries::Never),
    // ---- 3. permanent texts ----
    row(Text("duplicate entry"), P, "duplicate-entry", "duplicate key in the data", Retries::Never),
    row(Text("import index duplicate key"), P, "duplicate-entry", "ingest found duplicate keys (DDL rolls back explicitly)", Retries::Never),
    row(Text("found duplicate key"), P, "duplicate-entry", "ErrFoundDuplicateKey: duplicate keys in the data", Retries::Never),
    row(Text("data too long"), P, "data-too-long", "data too long for the new definition", Retries::Never),
    row(Text("data truncated"), P, "data-truncated", "data truncated by the new type", Retries::Never),
    row(Text("truncated incorrect"), P, "incorrect-value", "incorrect value for the new type", Retries::Never),
    row(Text("incorrect value"), P, "incorrect-value", "incorrect value for the new type", Retries::Never),
    row(Text("invalid value"), P, "invalid-value", "invalid value for the new definition", Retries::Never),
    row(Text("cancelled ddl job"), P, "cancelled", "the job was cancelled (user, or the result of a rollback)", Retries::Never),
    row(Text("diskspacenotenough"), P, "disk-full", "TiKV DiskSpaceNotEnough: lightning explicitly does not retry it (v8.1+)", Retries::Never),
    row(Text("no space left on device"), P, "disk-full", "local disk full (sort dir / temp dir)", Retries::Never),
    row(Text("disk full"), P, "disk-full", "disk full", Retries::Never),
    row(Text("disk quota exceeded"), P, "disk-full", "disk quota exceeded", Retries::Never),
    row(Text("unknown resource group"), P, "resource-group", "unknown resource group (#59042)", Retries::Never),
    row(Text("memory used up"), P, "ingest-memory", "ingest memory quota used up", Retries::Never),
    // ---- 4. transient texts: region / leader / store ----
    row(Text("region is unavailable"), T, "region-unavailable", "TiKV region unavailable (ErrRegionUnavailable text)", Retries::Always),
    row(Text("epoch not match"), T, "epoch-not-match", "region epoch changed (split/merge): lightning ErrKVEpochNotMatch", Retries::Unlisted),
    row(Text("epochnotmatch"), T, "epoch-not-match", "lightning ErrKVEpochNotMatch", Retries::Unlisted),
    row(Text("stale epoch"), T, "epoch-not-match", "region epoch changed", Retries::Unlisted),
    row(Text("notleader"), T, "not-leader", "lightning ErrKVNotLeader / ErrNoLeader (DDL does not list it: #70026)", Retries::Never),
    row(Text("noleader"), T, "not-leader", "lightning ErrNoLeader (DDL does not list it: #70026)", Retries::Never),
    row(Text("not leader"), T, "not-leader", "region leader moved: lightning ErrKVNotLeader", Retries::Unlisted),
    row(Text("has no leader"), T, "not-leader", "region has no leader: lightning ErrNoLeader", Retries::Unlisted),
    row(Text("regionnotfound"), T, "region-not-found", "lightning ErrKVRegionNotFound (DDL does not list it: #70026)", Retries::Never),
    row(Text("region not found"), T, "region-not-found", "region not found: lightning ErrKVRegionNotFound", Retries::Unlisted),
    row(Text("cannot find region in range"), T, "split-region-failed", "region split raced with a region change (#59735)", Retries::Since(&["v8.5.2"])),
    row(Text("serverisbusy"), T, "tikv-busy", "lightning ErrKVServerIsBusy", Retries::Unlisted),
    row(Text("server is busy"), T, "tikv-busy", "TiKV server is busy", Retries::Unlisted),
    row(Text("readindexnotready"), T, "read-index-not-ready", "lightning ErrKVReadIndexNotReady", Retries::Unlisted),
    row(Text("read index not ready"), T, "read-index-not-ready", "lightning ErrKVReadIndexNotReady", Retries::Unlisted),
    row(Text("proposal dropped"), T, "raft-proposal-dropped", "lightning ErrKVRaftProposalDropped", Retries::Unlisted),
    row(Text("ingestfailed"), T, "ingest-failed", "lightning ErrKVIngestFailed", Retries::Unlisted),
    row(Text("stale command"), T, "stale-command", "TiKV stale command", Retries::Unlisted),
    // ---- PD / TSO / etcd ----
    row(Text("pd server timeout"), T, "pd-timeout", "PD server timeout (ErrPDServerTimeout text)", Retries::Always),
    row(Text("createtsostream"), T, "tso", "PD client could not create the TSO stream (#70025: DDL does not retry it)", Retries::Never),
    row(Text("tso stream"), T, "tso", "PD TSO stream error", Retries::Unlisted),
    row(Text("get timestamp"), T, "tso", "PD TSO request failed", Retries::Unlisted),
    row(Text("errcreatepdclient"), T, "pd-client", "lightning ErrCreatePDClient (retryable since #48095)", Retries::Unlisted),
    row(Text("requested lease not found"), T, "etcd-lease", "ReorgRetryableErrMsgs since v8.5.0 (#56630, issue #56550)", Retries::Since(&["v8.5.0"])),
    row(Text("required revision has been compacted"), T, "etcd-compacted", "ReorgRetryableErrMsgs on master only (#62794)", Retries::Unreleased),
    row(Text("etcdserver:"), T, "etcd", "etcd request failed (timeout, leader change)", Retries::Unlisted),
    // ---- deadlines, cancellation, network ----
    row(Text("context deadline exceeded"), T, "deadline-exceeded", "ReorgRetryableErrMsgs since v8.5.0 (#56630, issue #56550); lightning never retries it", Retries::Since(&["v8.5.0"])),
    row(Text("code = deadlineexceeded"), T, "grpc-deadline", "gRPC DeadlineExceeded: lightning retries it", Retries::Unlisted),
    row(Text("code = unavailable"), T, "grpc-unavailable", "gRPC Unavailable: lightning retries it", Retries::Unlisted),
    row(Text("code = canceled"), T, "grpc-canceled", "gRPC Canceled: a stream torn down by a peer (partition, restart)", Retries::Unlisted),
    row(Text("code = resourceexhausted"), T, "grpc-resource-exhausted", "gRPC ResourceExhausted: lightning retries it", Retries::Unlisted),
    row(Text("code = aborted"), T, "grpc-aborted", "gRPC Aborted: lightning retries it", Retries::Unlisted),
    row(Text("requestcanceled"), T, "canceled", "AWS SDK RequestCanceled: graceful shutdown (#48639)", Retries::Unlisted),
    row(Text("context canceled"), T, "canceled", "context canceled: owner change / shutdown, not a property of the data", Retries::Unlisted),
    row(Text("connection refused"), T, "network", "connection refused: lightning retries ECONNREFUSED", Retries::Unlisted),
    row(Text("connection reset"), T, "network", "connection reset: lightning retries ECONNRESET", Retries::Unlisted),
    row(Text("broken pipe"), T, "network", "broken pipe (EPIPE)", Retries::Unlisted),
    row(Text("i/o timeout"), T, "network", "network i/o timeout: lightning retries net.Error timeouts", Retries::Unlisted),
    row(Text("dial tcp"), T, "network", "TCP dial failed", Retries::Unlisted),
    row(Text("invalid connection"), T, "network", "go-sql-driver ErrInvalidConn: lightning retries it", Retries::Unlisted),
    row(Text("bad connection"), T, "network", "driver.ErrBadConn: lightning retries it", Retries::Unlisted),
    row(Text("write too slow"), T, "network", "lightning ErrWriteTooSlow", Retries::Unlisted),
    row(Re(r"(?i)(^|[^a-z])eof($|[^a-z])"), T, "eof", "connection closed mid-stream (EOF)", Retries::Unlisted),
    row(Text("rate: wait"), T, "rate-limit", "lightning retries rate limiter waits (v7.5.2+/v8.1+)", Retries::Unlisted),
    row(Text("exceeding the deadline"), T, "deadline-exceeded", "coprocessor task deadline: lightning retries it", Retries::Unlisted),
    // ---- transactions / schema / owner ----
    row(Text("write conflict"), T, "write-conflict", "write conflict (ErrWriteConflict text)", Retries::Always),
    row(Text("information schema is changed"), T, "schema-changed", "info schema changed (ErrInfoSchemaChanged text)", Retries::Always),
    row(Text("information schema is out of date"), T, "schema-out-of-date", "info schema out of date (ErrInfoSchemaExpired text)", Retries::Always),
    row(Text("not a ddl owner"), T, "not-owner", "ErrNotOwner text", Retries::Always),
    row(Text("not the ddl owner"), T, "not-owner", "ErrNotOwner text", Retries::Always),
    row(Text("result undetermined"), T, "result-undetermined", "execution result undetermined (#49556)", V751_V760),
    row(Text("lock wait timeout"), T, "lock-wait-timeout", "lock wait timeout", Retries::Never),
    row(Text("deadlock"), T, "deadlock", "deadlock", Retries::Never),
    row(Text("try again later"), T, "retryable", "TiDB marked the error `[try again later]`", Retries::Unlisted),
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

/// Classifies one error text.
pub fn classify(text: &str) -> Classified {
    let code = leading_code(text);
    match matching_row(text) {
        Some(r) => Classified {
            class: r.class,
            code,
            reason: r.reason,
            family: r.family,
            retries: Some(r.retries),
        },
        None => Classified {
            class: ErrorClass::Unknown,
            code,
            reason: "no table row matched",
            family: "unclassified",
            retries: None,
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
        let deadline = classify("context deadline exceeded").retries.unwrap();
        assert_eq!(deadline.retried_in(Some(&v("v8.1.0"))), Some(false));
        assert_eq!(deadline.retried_in(Some(&v("v8.5.0"))), Some(true));
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

    #[test]
    fn every_regex_row_compiles() {
        for r in TABLE {
            if let Re(p) = r.pattern {
                let _ = compiled(p);
            }
        }
    }
}
