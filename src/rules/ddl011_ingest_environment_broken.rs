//! DDL011 ingest-environment-broken.

use crate::diagnosis::ingest_env::{EnvCondition, EnvFault};
use crate::diagnosis::JobFacts;
use crate::event::EventKind;
use crate::model::{Finding, JobState};
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

declare_rule! {
    /// ## What it does
    /// Flags a job whose ingest environment is broken: the TiDB-local sort directory
    /// (`<temp-dir>/tmp_ddl-<port>`) is missing, on a full disk, not writable, or on a mount that
    /// is gone. The errors that say so: `cannot get disk capacity at <dir>: …` (often only in the
    /// job string's `Err:`, ErrCount growing at `SchemaState:none`), `[ddl:8256]Check ingest
    /// environment failed: …`, `available disk space is less than 10%, cannot use ingest mode`,
    /// `build ingest backend failed` with `invalid sorted-kv-dir '<dir>'`, and OS errors on the
    /// directory's files (`close writer error` … `transport endpoint is not connected`). One
    /// occurrence is enough; the job need not be unfinished.
    ///
    /// ## Why is this bad?
    /// Ingest sorts the new index's KV pairs in that directory on the instance running the
    /// backfill. Without it the job retries forever at `SchemaState:none` (a plain Go error
    /// before v7.1.2 / v7.3.0), is cancelled by the environment check (`[ddl:8256]`), fails to
    /// build its backend, or waits forever on a flush into a dead mount. It is a problem of that
    /// TiDB host, not of TiKV, PD or the data, and no retry budget fixes it.
    ///
    /// ## What to do
    /// Create the directory (or fix `temp-dir` in the TiDB config), free space or point
    /// `temp-dir` at a bigger local disk (`tidb_ddl_disk_quota` bounds what ingest uses), or fix
    /// the mount and restart that tidb-server. A job that was retrying continues by itself; a
    /// cancelled or failed one must be re-run. Next: `SELECT @@global.tidb_ddl_disk_quota`,
    /// `ADMIN SHOW DDL JOBS`.
    ///
    /// ## Example
    /// Job 150 logs `Err:[ddl:-1]cannot get disk capacity at /tmp/tidb/tmp_ddl-4000: no such file
    /// or directory, ErrCount:5` at `SchemaState:none`: the directory was removed.
    pub struct IngestEnvironmentBroken {
        code: "DDL011",
        name: "ingest-environment-broken",
        severity: Error,
        summary: "The ingest temp dir is missing, full, unusable or unmounted; the ingest environment check failed",
        replaces: ["DDL004", "DDL006", "DDL007", "DDL008"],
    }
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    t.jobs
        .iter()
        .filter_map(|job| {
            let facts = ctx.of(job);
            let env = facts.ingest_env.as_ref()?;
            Some(build(job, env, facts, ctx))
        })
        .collect()
}

/// The directory as the finding names it: the ingest root, and the full path when it is deeper.
fn dir_phrase(env: &EnvFault) -> String {
    match (&env.sort_root, &env.path) {
        (Some(root), Some(p)) if p != root => format!("{root} (at {p})"),
        (Some(root), _) => root.clone(),
        (None, Some(p)) => p.clone(),
        (None, None) => "the ingest sort directory".to_string(),
    }
}

fn build(job: &JobTimeline, env: &EnvFault, facts: &JobFacts, ctx: &Context) -> Finding {
    let dir = env
        .sort_root
        .clone()
        .or_else(|| env.path.clone())
        .unwrap_or_else(|| "the ingest sort directory".to_string());
    let on = env
        .instance
        .as_deref()
        .map(|i| format!(" on {i}"))
        .unwrap_or_default();
    let mut f = finding(
        &META,
        Some(job.job_id),
        format!(
            "{}: the ingest temp dir {dir}{on} {}",
            capitalize(&job_label(job)),
            env.condition.phrase()
        ),
    );

    let mut parts = Vec::new();
    let times = match env.count {
        0 | 1 => format!("at {}", hms(env.first.ts)),
        n => format!(
            "{n} times in these logs, {}",
            window(env.first.ts, env.last.ts)
        ),
    };
    parts.push(if env.from_job_string && !env.related.is_empty() {
        format!(
            "The job string's `Err:` reads `{}` {times} (ErrCount {}); only the job string ties it to the job: the lines that log it as an error name no job.",
            env.error, job.max_err_count
        )
    } else if env.from_job_string {
        format!(
            "The job string's `Err:` reads `{}` {times} (ErrCount {}); no line's error field gives it, so it is the job's error.",
            env.error, job.max_err_count
        )
    } else if env.count <= 1 {
        match env.message.as_deref() {
            Some(m) => format!(
                "At {} the job's `{m}` line gives its error: `{}`.",
                hms(env.first.ts),
                env.error
            ),
            None => format!("The job failed with `{}` {times}.", env.error),
        }
    } else {
        format!("The job failed with `{}` {times}.", env.error)
    });
    parts.push(format!(
        "The directory {}{on} {}.",
        dir_phrase(env),
        env.condition.phrase()
    ));
    parts.push(mechanism(env));
    if let Some(u) = &env.usage {
        parts.push(match crate::diagnosis::ingest_env::usage_percent(u) {
            Some(p) => format!("TiDB measured `{u}` (bytes): {p}."),
            None => format!("TiDB measured `{u}` (bytes)."),
        });
    }
    parts.push(state_story(job, facts));
    let (ids, notes) = issues_for(&META, job, Some(&env.error), facts, ctx.version.as_ref());
    parts.extend(notes);
    f.known_issues = ids;
    f.explanation = sentences(&parts);

    let continues = continues_by_itself(job, env, facts);
    let mut sug = vec![fix_advice(env, &dir, &on, continues)];
    if !continues && job.outcome == JobState::Running && env.condition == EnvCondition::Unusable {
        if job.states.is_empty() {
            // No job string: its state is not known, so the cancel is conditional (§1 rule 4).
            sug.push(format!(
                "If `ADMIN SHOW DDL JOBS` shows it still running and the mount cannot be repaired soon, cancel it and re-run it after the fix: `ADMIN CANCEL DDL JOBS {}`.",
                job.job_id
            ));
        } else {
            sug.extend(cancel_advice(
                job,
                "If the mount cannot be repaired soon, cancel the job and re-run it after the fix",
            ));
        }
    }
    if job.rolled_back() || matches!(job.outcome, JobState::Cancelled | JobState::Cancelling) {
        sug.push(rerun(job, "once the directory is fixed"));
    }
    sug.push(format!(
        "Next: `SELECT @@global.tidb_ddl_disk_quota` and `ADMIN SHOW DDL JOBS 20 WHERE job_id = {}`.",
        job.job_id
    ));
    f.suggestion = sentences(&sug);

    let mut ev = EvidenceSet::new();
    ev.add(&env.first);
    ev.add(&env.last);
    ev.add_opt(env.usage_evidence.as_ref());
    for e in &env.related {
        ev.add(e);
    }
    ev.add_ends(job.events_of(EventKind::JobRetrySleep));
    ev.add_ends(job.events_of(EventKind::ErrorCountExceeded));
    ev.add_ends(job.events_of(EventKind::JobCancelled));
    ev.add_opt(job.rollback.as_ref().map(|r| &r.evidence));
    ev.add_opt(job.finished.as_ref());
    f.evidence = ev.into_sorted();
    f
}

/// What the condition does to an ingest backfill.
fn mechanism(env: &EnvFault) -> String {
    match env.condition {
        EnvCondition::Missing => "Ingest sorts the new index's KV pairs in `<temp-dir>/tmp_ddl-<port>` on the instance running the backfill; without the directory TiDB cannot measure its disk or create the job's sort directory, so the backfill cannot start.".into(),
        EnvCondition::NoSpace => "Ingest needs room for the sorted KV pairs of the whole index in that directory; TiDB refuses ingest when less than 10% of the disk is free and fails writes when it is full.".into(),
        EnvCondition::Unusable => format!(
            "`{}` means the file system holding it is gone or broken (a FUSE or network mount whose daemon died, a detached disk): every read and write there fails, so the ingest cannot flush or import what it sorted.",
            ["transport endpoint is not connected", "input/output error", "stale file handle", "read-only file system"]
                .iter()
                .find(|e| env.error.to_ascii_lowercase().contains(*e))
                .copied()
                .unwrap_or("the error")
        ),
        EnvCondition::Permission => "tidb-server cannot create or write the directory, so the backfill cannot sort its KV pairs there.".into(),
        EnvCondition::CheckFailed => "TiDB checks the directory before it starts an ingest backfill; the check failing ends the attempt.".into(),
    }
}

/// True when the job keeps retrying and will go on once the directory is fixed.
fn continues_by_itself(job: &JobTimeline, env: &EnvFault, facts: &JobFacts) -> bool {
    job.unfinished()
        && !job.rolled_back()
        && matches!(job.outcome, JobState::Running | JobState::None)
        && env.condition != EnvCondition::Unusable
        && (facts.retry.retry_lines > 0 || job.max_err_count > 0)
}

/// Where the job stands, and whether it will continue by itself.
fn state_story(job: &JobTimeline, facts: &JobFacts) -> String {
    let r = &facts.retry;
    let schema = job
        .states
        .last()
        .map(|s| &*s.schema_state)
        .filter(|s| !s.is_empty());
    if job.states.is_empty() && job.finished.is_none() {
        return "The logs hold no job string for the job, so its state is not known from them."
            .into();
    }
    if let Some(fin) = job
        .finished
        .as_ref()
        .filter(|_| matches!(job.outcome, JobState::Synced | JobState::Done))
    {
        return format!(
            "The job still ended `{}` at {}: the directory was usable again before TiDB gave up on it.",
            job.outcome,
            hms(fin.ts)
        );
    }
    if let Some(fin) = &job.finished {
        let how = if r.limit_line {
            format!(
                "TiDB retried it until ErrCount exceeded the error-count limit ({}), logged `DDL job error count exceed the limit, cancelling it now` and cancelled the job; a larger limit would only have prolonged the loop, since the directory was broken on every attempt",
                r.limit
            )
        } else if facts
            .cause
            .as_ref()
            .is_some_and(|c| crate::diagnosis::errclass::is_cancelled(&c.text))
        {
            format!(
                "it was cancelled at ErrCount {}, far below the limit, with no limit line: a user (or tool) cancelled it while it was failing on the directory",
                r.max_err_count
            )
        } else if job.outcome == JobState::Cancelled && r.max_err_count <= 1 {
            "TiDB's DDL layer does not retry the ingest environment check: it cancelled the job on the first failure".to_string()
        } else {
            "TiDB gave up on it".to_string()
        };
        return format!(
            "{}; it ended `{}` at {}: it does not continue by itself and must be re-run.",
            capitalize(&how),
            job.outcome,
            hms(fin.ts)
        );
    }
    if job.rolled_back() {
        return format!("{}.", capitalize(&rollback_story(job)));
    }
    let at = schema
        .map(|s| format!(" at SchemaState `{s}`"))
        .unwrap_or_default();
    if r.retry_lines > 0 || job.max_err_count > 0 {
        let retried = match r.retry_lines {
            0 => String::new(),
            1 => " (1 `sleeps a while then retries it.` line)".to_string(),
            n => format!(" ({n} `sleeps a while then retries it.` lines)"),
        };
        format!(
            "The job is `{}`{at} at the end of the logs with ErrCount {}: TiDB's DDL layer keeps retrying it{retried}, so it continues by itself once the directory is fixed.",
            job.outcome, job.max_err_count
        )
    } else {
        format!(
            "The job is `{}`{at} at the end of the logs with no later progress: with the directory unusable it waits for writes that cannot complete and does not continue by itself.",
            job.outcome
        )
    }
}

fn fix_advice(env: &EnvFault, dir: &str, on: &str, continues: bool) -> String {
    let then = if continues {
        "; the job then continues by itself"
    } else {
        ""
    };
    match env.condition {
        EnvCondition::Missing => format!(
            "Create {dir}{on} (`mkdir -p {dir}`, writable by the tidb-server user) or point `temp-dir` in that TiDB's config at an existing local directory{then}."
        ),
        EnvCondition::NoSpace => format!(
            "Free space on the disk holding {dir}{on}, or point `temp-dir` at a bigger local SSD (`tidb_ddl_disk_quota` bounds how much ingest uses there){then}."
        ),
        EnvCondition::Unusable => format!(
            "Repair the mount behind {dir}{on} (or point `temp-dir` at a healthy local disk) and restart that tidb-server."
        ),
        EnvCondition::Permission => format!(
            "Make {dir}{on} writable by the tidb-server user, or point `temp-dir` at a directory it owns{then}."
        ),
        EnvCondition::CheckFailed => format!(
            "Fix what the check names for {dir}{on} (its existence, free space, permissions) or point `temp-dir` at a healthy local disk{then}."
        ),
    }
}
