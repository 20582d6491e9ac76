//! DDL009 schema-sync-stuck.

use crate::diagnosis::{Laggard, SchemaWait};
use crate::event::Event;
use crate::model::{Finding, JobState, Timestamp};
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a DDL owner that waits for an instance which never reports the new schema version:
    /// the owner repeats `syncer check all versions, someone is not synced` (naming the
    /// instance's id and address, or its etcd key) and the wait has not ended when the logs do.
    /// It names the lagging instance, the log that is its own when a line ties them, and its
    /// failed write of the version to etcd (`etcd-cli put kv failed`, `update self version
    /// failed`). Without such a write it fires only once the owner has waited longer than the
    /// stall threshold (`--stall-minutes`). Jobs that are queued, paused, cancelling or rolling
    /// back are left to the rules for those states.
    ///
    /// ## Why is this bad?
    /// The owner does not move the job to its next schema state until every TiDB reports the
    /// version, so one instance that lost its write to etcd (a PD/etcd timeout under load) holds
    /// the job — and every DDL queued behind it — for as long as it stays silent. In versions
    /// before the fixes of pingcap/tidb#43755 (metadata lock on) and #61210 (metadata lock off)
    /// the failed write was never retried, so the wait lasted until the instance restarted.
    ///
    /// ## What to do
    /// Restart the lagging tidb-server, or fix its connection to PD's etcd; the job proceeds as
    /// soon as it reports. Map the id to an address with `SELECT ddl_id, ip, port FROM
    /// information_schema.tidb_servers_info`, rule out a metadata lock (`SELECT * FROM
    /// mysql.tidb_mdl_view` should be empty) and follow the job with `ADMIN SHOW DDL JOBS`.
    ///
    /// ## Example
    /// From 13:20 the owner logs `someone is not synced` for `instance ip 10.0.1.6, port 4000, id
    /// …0002` and schema version 2452 of job 1305; tidb-1 (id …0002) logged `etcd-cli put kv
    /// failed` for key `/tidb/ddl/all_schema_by_job_versions/1305/…0002` with `context deadline
    /// exceeded` at 13:20:02. At 13:52 the owner still waits.
    pub struct SchemaSyncStuck {
        code: "DDL009",
        name: "schema-sync-stuck",
        severity: Error,
        summary: "The DDL owner waits for an instance that never reports the new schema version",
        replaces: ["DDL004"],
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    let end = t.cluster.end_of_logs;
    let mut out = Vec::new();
    for job in &t.jobs {
        // Queued, paused, cancelling and rolling-back jobs are told by their own rules (§2).
        if !matches!(job.outcome, JobState::Running | JobState::None) {
            continue;
        }
        let Some(w) = ctx.of(job).schema_wait.as_ref() else {
            continue;
        };
        if w.ended.is_some() {
            continue;
        }
        let waited = end.zip(w.first.ts).map(|(e, f)| e - f);
        if w.has_failed_write() || waited.is_some_and(|d| d > ctx.stall_after) {
            out.push(build(Some(job), w, end, ctx));
        }
    }
    for w in &ctx.jobless_waits {
        // Without a job to say the wait is over, only its own lines show how long it lasted.
        if w.has_failed_write() || w.span().is_some_and(|d| d > ctx.stall_after) {
            out.push(build(None, w, end, ctx));
        }
    }
    out
}

/// `instance 5b1e…0002 (10.0.1.6:4000, the log of tidb-1)`.
fn laggard_name(l: &Laggard) -> String {
    let mut s = match &l.node {
        Some(n) => format!("instance {n}"),
        None => "an instance the owner does not name".to_string(),
    };
    let mut extra = Vec::new();
    if let Some(a) = &l.address {
        extra.push(a.clone());
    }
    if let Some(i) = &l.instance {
        extra.push(format!("the log of {i}"));
    }
    if !extra.is_empty() {
        s.push_str(&format!(" ({})", extra.join(", ")));
    }
    s
}

/// `a failed write of version 2452 to etcd at 13:20:02.289 on tidb-1 (`etcd-cli put kv failed`,
/// key …, context deadline exceeded)`, for the first and last of a list.
fn writes_story(writes: &[Event]) -> String {
    let first = &writes[0];
    let last = &writes[writes.len() - 1];
    let describe = |e: &Event| {
        let s = e.detail.sync();
        let mut parts = vec![format!("`{}`", e.message)];
        if let Some(k) = s.and_then(|s| s.key.as_deref()) {
            parts.push(format!("key {k}"));
        }
        if let Some(v) = s.and_then(|s| s.version) {
            parts.push(format!("version {v}"));
        }
        if let Some(err) = &e.error {
            parts.push(err.to_string());
        }
        format!("{} on {} ({})", hms(e.ts), e.instance, parts.join(", "))
    };
    let n = writes.len();
    if n == 1 {
        format!("its write failed at {}", describe(first))
    } else {
        format!(
            "{n} failed writes {}: the first at {}, the last at {}",
            window(first.ts, last.ts),
            describe(first),
            describe(last)
        )
    }
}

fn build(
    job: Option<&JobTimeline>,
    w: &SchemaWait,
    end: Option<Timestamp>,
    ctx: &Context,
) -> Finding {
    let version_txt = w
        .version
        .map(|v| format!("schema version {v}"))
        .unwrap_or_else(|| "the new schema version".to_string());
    let main = w.laggards.first();
    let who = main
        .and_then(|l| l.node.clone())
        .map(|n| format!("instance {n}"))
        .unwrap_or_else(|| "an instance".to_string());
    let title = match job {
        Some(j) => format!("Job {} waits for {who} to report {version_txt}", j.job_id),
        None => format!("The DDL owner waits for {who} to report {version_txt}"),
    };
    let mut f = finding(&META, job.map(|j| j.job_id), title);

    let mut parts = Vec::new();
    // The wait: since when, how many lines, whom they name.
    let lines = match w.count {
        1 => "1 owner line".to_string(),
        n => format!("{n} owner lines"),
    };
    let msg = format!("`{}`", w.message);
    let named: Vec<String> = w.laggards.iter().map(laggard_name).collect();
    let subject = match job {
        Some(j) => {
            // The state only when a job string said it.
            let state = j
                .states
                .last()
                .map(|s| format!(" (`{}` / `{}`)", s.state, s.schema_state))
                .unwrap_or_default();
            format!("{}{state}", capitalize(&job_label(j)))
        }
        None => "A schema change".to_string(),
    };
    parts.push(format!(
        "{subject} waits for {version_txt}: {lines} ({msg}) {} name{} {}.",
        window(w.first.ts, w.last.ts),
        if w.count == 1 { "s" } else { "" },
        named.join(" and ")
    ));
    if w.job_inferred {
        parts.push(
            "The owner's lines name no job (the metadata lock is off); this job is the only one running, and its last progress came before the wait began."
                .to_string(),
        );
    }
    match w.mdl {
        Some(true) => parts.push(format!(
            "With the metadata lock on, each instance writes its version of the job to etcd once no transaction of the old version holds the table; the owner does not go on until every instance has written {version_txt}."
        )),
        Some(false) => parts.push(format!(
            "With the metadata lock off, each instance writes the version it has loaded to its own etcd key; the owner does not go on until every key holds {version_txt}."
        )),
        None => {}
    }
    // What the laggards logged.
    let mut any_write = false;
    for l in &w.laggards {
        if l.failed_writes.is_empty() {
            continue;
        }
        any_write = true;
        let who = if w.laggards.len() == 1 {
            "That instance".to_string()
        } else {
            capitalize(&laggard_name(l))
        };
        parts.push(format!(
            "{who} could not publish it: {}.",
            writes_story(&l.failed_writes)
        ));
    }
    if !w.other_writes.is_empty() {
        let ids: Vec<String> = w
            .other_writes
            .iter()
            .filter_map(|e| e.detail.sync().and_then(|s| s.node.clone()))
            .fold(Vec::new(), |mut v, n| {
                if !v.contains(&n) {
                    v.push(n);
                }
                v
            });
        let whose = if ids.is_empty() {
            "a write that names no instance id".to_string()
        } else {
            format!("instance {}", ids.join(", "))
        };
        parts.push(format!(
            "The logs hold a failed write of {version_txt} by {whose}, not the id the owner waits for: {}.",
            writes_story(&w.other_writes)
        ));
    }
    if !any_write {
        match main.and_then(|l| l.instance.as_ref()) {
            Some(i) => parts.push(format!(
                "{i}'s log holds no failed write of its version; a transaction that holds the metadata lock also keeps an instance from reporting (`old running transaction block DDL` is logged at INFO only once the transaction is a minute old)."
            )),
            None if w.other_writes.is_empty() => parts.push(
                "None of the logs read is known to be that instance's (no line ties its id to a file), so why it does not report cannot be seen here: collect that tidb-server's log."
                    .to_string(),
            ),
            None => parts.push(
                "No log read is known to be the waited-for instance's own (no line ties its id to a file)."
                    .to_string(),
            ),
        }
    }
    if let (Some(e), Some(first)) = (end, w.first.ts) {
        let since = job
            .and_then(|j| j.states.last())
            .and_then(|s| s.evidence.ts)
            .filter(|t| *t <= first)
            .unwrap_or(first);
        if e - since >= chrono::Duration::seconds(1) {
            parts.push(format!(
                "The wait has not ended when the logs end at {}: the owner had waited {} by then (since {}).",
                hms(Some(e)),
                fmt_duration(e - since),
                hms(Some(since))
            ));
        } else {
            parts.push(format!(
                "The logs end at {}, with the wait still open; how long it lasted cannot be seen from them.",
                hms(Some(e))
            ));
        }
    }
    let (ids, notes) = issues_without_error(&META, job, w.mdl, ctx.version.as_ref());
    parts.extend(notes);
    f.explanation = sentences(&parts);
    f.known_issues = ids.clone();

    let mut sug = Vec::new();
    let target = main
        .map(|l| match (&l.node, &l.instance) {
            (_, Some(i)) => format!("the lagging tidb-server ({i})"),
            (Some(n), None) => format!("the lagging tidb-server (id {n})"),
            _ => "the lagging tidb-server".to_string(),
        })
        .unwrap_or_else(|| "the lagging tidb-server".to_string());
    sug.push(format!(
        "Restart {target}, or fix its connection to PD's etcd; the job proceeds as soon as it reports {version_txt}."
    ));
    sug.push(
        "Map the id to an address: `SELECT ddl_id, ip, port FROM information_schema.tidb_servers_info`."
            .to_string(),
    );
    if w.mdl != Some(false) {
        sug.push(
            "Rule out a metadata lock: `SELECT * FROM mysql.tidb_mdl_view` should be empty."
                .to_string(),
        );
    }
    sug.extend(upgrade_advice(&ids));
    sug.push(match job {
        Some(j) => show_job_sql(j),
        None => "Next: `ADMIN SHOW DDL JOBS`.".to_string(),
    });
    f.suggestion = sentences(&sug);

    let mut ev = EvidenceSet::new();
    ev.add(&w.first);
    ev.add(&w.last);
    for l in &w.laggards {
        if let (Some(a), Some(b)) = (l.failed_writes.first(), l.failed_writes.last()) {
            ev.add(&a.evidence);
            ev.add(&b.evidence);
        }
    }
    if let (Some(a), Some(b)) = (w.other_writes.first(), w.other_writes.last()) {
        ev.add(&a.evidence);
        ev.add(&b.evidence);
    }
    if let Some(j) = job {
        ev.add_opt(j.states.last().map(|s| &s.evidence));
    }
    f.evidence = ev.into_sorted();
    f
}
