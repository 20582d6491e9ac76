//! Helpers every rule uses: evidence sets, durations, the TiDB version, owner changes, and the
//! known-issue text of a finding.

use std::collections::HashSet;

use crate::diagnosis::known_issues::{self, Facts, Version};
use crate::diagnosis::{ErrorSource, JobFacts};
use crate::event::{Event, EventKind, Evidence};
use crate::model::Finding;
use crate::model::{JobState, Timestamp};
use crate::rules::RuleMeta;
use crate::timeline::{ErrorStat, JobTimeline};

/// At most this many evidence lines per finding: enough to prove the verdict, short enough to read.
pub const MAX_EVIDENCE: usize = 12;

/// Formats a duration the way engineers write it: `17m53s`, `1h2m0s`, `4.2s`, `300ms`.
pub fn fmt_duration(d: chrono::Duration) -> String {
    let ms = d.num_milliseconds().max(0);
    if ms < 1000 {
        return format!("{ms}ms");
    }
    if ms < 10_000 {
        return format!("{:.1}s", ms as f64 / 1000.0);
    }
    let s = ms / 1000;
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// A duration as the log wrote it, to the millisecond under a minute (`45.803s`, `850ms`),
/// else as [`fmt_duration`] does.
pub fn fmt_duration_ms(d: chrono::Duration) -> String {
    let ms = d.num_milliseconds().max(0);
    match ms {
        0..=999 => format!("{ms}ms"),
        1000..=59_999 => format!("{}.{:03}s", ms / 1000, ms % 1000),
        _ => fmt_duration(d),
    }
}

/// `19:21:11.461` (the time of day as the log wrote it), or `?` without a time.
pub fn hms(ts: Option<Timestamp>) -> String {
    ts.map_or_else(|| "?".to_string(), |t| t.format("%H:%M:%S%.3f").to_string())
}

/// The span between two evidence lines, when both have times.
pub fn span(a: &Evidence, b: &Evidence) -> Option<chrono::Duration> {
    Some(b.ts? - a.ts?)
}

/// Evidence lines for one finding: deduplicated by (file, line), capped at [`MAX_EVIDENCE`] in
/// the order they were added (add the most important first), returned in time order.
#[derive(Debug, Default)]
pub struct EvidenceSet {
    items: Vec<Evidence>,
    seen: HashSet<(String, u64)>,
}

impl EvidenceSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, e: &Evidence) {
        if self.items.len() >= MAX_EVIDENCE {
            return;
        }
        if self.seen.insert((e.file.to_string(), e.line)) {
            self.items.push(e.clone());
        }
    }

    pub fn add_opt(&mut self, e: Option<&Evidence>) {
        if let Some(e) = e {
            self.add(e);
        }
    }

    /// The first and the last kept event of a kind.
    pub fn add_ends<'a>(&mut self, mut events: impl Iterator<Item = &'a Event>) {
        let first = events.next();
        let last = events.last();
        self.add_opt(first.map(|e| &e.evidence));
        self.add_opt(last.map(|e| &e.evidence));
    }

    pub fn into_sorted(mut self) -> Vec<Evidence> {
        self.items.sort_by(|a, b| {
            a.ts.cmp(&b.ts)
                .then_with(|| a.file.cmp(&b.file))
                .then_with(|| a.line.cmp(&b.line))
        });
        self.items
    }
}

/// The version as a phrase: `TiDB v7.6.0`, or `the TiDB version (unknown)`.
pub fn version_phrase(v: Option<&Version>) -> String {
    v.map_or_else(
        || "the TiDB version (unknown)".to_string(),
        |v| format!("TiDB {v}"),
    )
}

/// A short name for the job: `job 491 (add index on sbtest1)`.
pub fn job_label(job: &JobTimeline) -> String {
    let mut s = format!("job {}", job.job_id);
    match (&job.job_type, &job.table) {
        (Some(ty), Some(tb)) => s.push_str(&format!(" ({ty} on {tb})")),
        (Some(ty), None) => s.push_str(&format!(" ({ty})")),
        (None, Some(tb)) => s.push_str(&format!(" (on {tb})")),
        (None, None) => {}
    }
    s
}

pub use crate::diagnosis::owner::owner_changes;

/// The stat of one error text in a list (exact text first, else the first containing it).
pub fn stat_for<'a>(stats: &'a [ErrorStat], text: &str) -> Option<&'a ErrorStat> {
    stats.iter().find(|s| s.text == text).or_else(|| {
        stats
            .iter()
            .find(|s| s.text.contains(text) || text.contains(&s.text))
    })
}

/// The known issues a finding fits: the plain ids for `known_issues`, and the sentences for the
/// explanation (see [`known_issues`] for the version policy).
pub fn issues_for(
    meta: &RuleMeta,
    job: &JobTimeline,
    error: Option<&str>,
    facts: &JobFacts,
    version: Option<&Version>,
) -> (Vec<String>, Vec<String>) {
    let facts = Facts {
        rule: meta.code,
        job: Some(job),
        error,
        owner_changed: !facts.owner_changes.is_empty(),
        ddl_retried: facts.retry.retry_lines > 0,
        mdl: None,
    };
    issue_notes(&facts, version)
}

/// The known issues of a finding that is not about an error (a schema-version wait, an owner
/// election): for a schema-version wait (DDL009) the path (`mdl`, metadata lock on or off)
/// picks the issue; `job` is `None` for a job-less finding.
pub fn issues_without_error(
    meta: &RuleMeta,
    job: Option<&JobTimeline>,
    mdl: Option<bool>,
    version: Option<&Version>,
) -> (Vec<String>, Vec<String>) {
    let facts = Facts {
        rule: meta.code,
        job,
        error: None,
        owner_changed: false,
        ddl_retried: false,
        mdl,
    };
    issue_notes(&facts, version)
}

fn issue_notes(facts: &Facts<'_>, version: Option<&Version>) -> (Vec<String>, Vec<String>) {
    let ms = known_issues::matching(facts, version);
    (
        ms.iter().map(|m| m.issue.id.to_string()).collect(),
        ms.iter().map(|m| m.note(version)).collect(),
    )
}

/// A finding with the rule's code, name and severity filled in.
pub fn finding(meta: &RuleMeta, job_id: Option<i64>, title: String) -> Finding {
    Finding {
        rule: meta.code.to_string(),
        name: meta.name.to_string(),
        severity: meta.severity,
        job_id,
        task: None,
        title,
        explanation: String::new(),
        suggestion: String::new(),
        known_issues: Vec::new(),
        evidence: Vec::new(),
        fault_overlap: None,
    }
}

/// Joins sentences, skipping empty ones.
pub fn sentences(parts: &[String]) -> String {
    parts
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

/// "ErrCount climbed from 1 to 511 in 17m53s" (from the first and last curve points).
pub fn err_count_story(job: &JobTimeline) -> Option<String> {
    let first = job.err_counts.first()?;
    let last = job.err_counts.last()?;
    if last.err_count <= first.err_count {
        return Some(format!(
            "ErrCount reached {}",
            job.max_err_count.max(last.err_count)
        ));
    }
    let dur = span(&first.evidence, &last.evidence)
        .map(|d| format!(" in {}", fmt_duration(d)))
        .unwrap_or_default();
    Some(format!(
        "ErrCount climbed from {} at {} to {} at {}{dur}",
        first.err_count,
        hms(first.evidence.ts),
        last.err_count,
        hms(last.evidence.ts)
    ))
}

/// The ErrCount curve as a sentence, only when the job was retried (a curve that moved only
/// because the rollback itself counted the error says nothing about retries).
pub fn retries_story(job: &JobTimeline, facts: &JobFacts) -> Option<String> {
    let retried = facts.retry.retry_lines > 0 || facts.retry.limit_reached;
    err_count_story(job).filter(|_| retried && job.err_counts.len() > 1)
}

/// "the DXF task ddl/backfill/491 (id 210029) was reverted 511 times ('task not resumable' 511 times)".
pub fn dist_story(job: &JobTimeline) -> Option<String> {
    let d = job.dist_task.as_ref()?;
    if d.reverted == 0 && d.not_resumable == 0 {
        return None;
    }
    let name = match (&d.task_key, d.task_id) {
        (Some(k), Some(id)) => format!("{k} (id {id})"),
        (Some(k), None) => k.clone(),
        (None, Some(id)) => format!("id {id}"),
        (None, None) => "of the job".to_string(),
    };
    let mut s = format!(
        "the DXF task {name} was reverted {} time{}",
        d.reverted,
        if d.reverted == 1 { "" } else { "s" }
    );
    if d.not_resumable > 1 {
        s.push_str(&format!(
            " and DDL re-attached to it {} times ('task not resumable'), each time getting the same reverted error back",
            d.not_resumable
        ));
    }
    Some(s)
}

/// "TiDB converted the job to rollback at 19:21:11.461 (ErrCount 511); it ended `rollback done` at 19:21:28.000".
pub fn rollback_story(job: &JobTimeline) -> String {
    let mut s = match &job.rollback {
        Some(r) => {
            let ec = r
                .err_count
                .map(|n| format!(" (ErrCount {n})"))
                .unwrap_or_default();
            format!(
                "TiDB converted the job to rollback at {}{ec}",
                hms(r.evidence.ts)
            )
        }
        None => "the job was rolled back".to_string(),
    };
    match &job.finished {
        Some(f) => s.push_str(&format!("; it ended `{}` at {}", job.outcome, hms(f.ts))),
        None => s.push_str(&format!("; it is `{}` at the end of the logs", job.outcome)),
    }
    s
}

/// The lines that prove a rollback story: the rollback line, the first and last line of the
/// causing error, the ErrCount curve's ends, the first and last task revert, the finish line.
pub fn rollback_evidence(
    job: &JobTimeline,
    cause_text: Option<&str>,
    cause_ev: Option<&Evidence>,
) -> EvidenceSet {
    let mut set = EvidenceSet::new();
    set.add_opt(job.rollback.as_ref().map(|r| &r.evidence));
    set.add_opt(cause_ev);
    if let Some(st) = cause_text.and_then(|t| stat_for(&job.errors, t)) {
        set.add(&st.first);
        set.add(&st.last);
    }
    set.add_opt(job.err_counts.first().map(|p| &p.evidence));
    set.add_opt(job.err_counts.last().map(|p| &p.evidence));
    set.add_ends(job.events_of(EventKind::TaskReverted));
    set.add_ends(job.events_of(EventKind::ErrorCountExceeded));
    set.add_opt(job.finished.as_ref());
    set
}

/// Capitalizes the first letter of a sentence.
pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

// --- Advice, each sentence guarded by the fact that makes it true (failure-families §1) ---

/// `at 19:21:11.461`, or `between 19:03:00.000 and 19:21:11.461`: never a zero-length window.
pub fn window(from: Option<Timestamp>, to: Option<Timestamp>) -> String {
    match (from, to) {
        (Some(a), Some(b)) if a != b => format!("between {} and {}", hms(Some(a)), hms(Some(b))),
        (Some(a), _) | (None, Some(a)) => format!("at {}", hms(Some(a))),
        (None, None) => String::new(),
    }
}

/// "Check TiKV and PD health …" — only for an error TiKV or PD produced (§1 rule 5).
pub fn tikv_pd_check(
    facts: &JobFacts,
    family: &str,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> Option<String> {
    let source = facts.source.filter(|s| s.is_tikv_or_pd())?;
    let when = window(from, to);
    let when = if when.is_empty() {
        String::new()
    } else {
        format!(" {when}")
    };
    Some(format!(
        "Check {} health{when} for the {family} fault (store and region leader changes, network partitions, PD leader changes).",
        match source {
            ErrorSource::Pd => "PD and TSO",
            _ => "TiKV and PD",
        }
    ))
}

/// "If faults of this length are expected, raise the budget …" — only when the limit was reached
/// and a later retry could have succeeded (§1 rule 3).
pub fn budget_advice(facts: &JobFacts) -> Option<String> {
    let r = &facts.retry;
    r.budget_advice_fits().then(|| {
        format!(
            "If faults of this length are expected, raise the retry budget: `SET GLOBAL tidb_ddl_error_count_limit = {}` (now {}).",
            (r.limit.max(1) * 4).max(2048),
            r.limit
        )
    })
}

/// "Upgrade to … for pingcap/tidb#N" for every matched known issue with a fixing release.
pub fn upgrade_advice(ids: &[String]) -> Vec<String> {
    ids.iter()
        .filter_map(|id| {
            let i = crate::diagnosis::known_issues::ISSUES
                .iter()
                .find(|i| i.id == id)
                .filter(|i| !i.fixed_in.is_empty())?;
            Some(format!(
                "For {id}, upgrade to a release with the fix ({} or later).",
                i.fixed_in.join(" / ")
            ))
        })
        .collect()
}

/// `ADMIN CANCEL DDL JOBS <id>` — only for a job that is running now (§1 rule 4): never for a
/// queued or paused job, one already cancelling or rolling back, or a finished one.
pub fn cancel_advice(job: &JobTimeline, why: &str) -> Option<String> {
    matches!(job.outcome, JobState::Running | JobState::None)
        .then(|| format!("{why}: `ADMIN CANCEL DDL JOBS {}`.", job.job_id))
}

/// "Re-run the DDL (`ALTER TABLE …`)".
pub fn rerun(job: &JobTimeline, when: &str) -> String {
    let q = job
        .query
        .as_deref()
        .map(|q| format!(": `{q}`"))
        .unwrap_or_default();
    format!("Re-run the DDL {when}{q}.")
}

/// The statement an expert runs next to see the job as TiDB has it.
pub fn show_job_sql(job: &JobTimeline) -> String {
    format!(
        "Next: `ADMIN SHOW DDL JOBS 20 WHERE job_id = {}`.",
        job.job_id
    )
}

/// The statement that shows a job's DXF task and its error, when it has one.
pub fn task_sql(job: &JobTimeline) -> Option<String> {
    let d = job.dist_task.as_ref()?;
    let cond = match (&d.task_key, d.task_id) {
        (Some(k), _) => format!("task_key = '{k}'"),
        (None, Some(id)) => format!("id = {id}"),
        (None, None) => format!("task_key = 'ddl/backfill/{}'", job.job_id),
    };
    Some(format!(
        "Next: `SELECT id, task_key, state, step, error FROM mysql.tidb_global_task_history WHERE {cond}` (`mysql.tidb_global_task` while it runs)."
    ))
}

/// How many failed attempts the job logged (`run DDL job error` lines), as a phrase, or empty.
pub fn attempts_phrase(job: &JobTimeline) -> String {
    match job.count(EventKind::JobError) {
        0 => String::new(),
        1 => "1 failed attempt (`run DDL job error`)".to_string(),
        n => format!("{n} failed attempts (`run DDL job error`)"),
    }
}

/// What TiDB's DDL layer did with the causing error, from the log (the sleep-and-retry line is
/// ground truth, §1 rule 6), with the retry table only where the log is silent.
pub fn retry_mechanism(job: &JobTimeline, facts: &JobFacts, version: Option<&Version>) -> String {
    let r = &facts.retry;
    let Some(cause) = facts.cause.as_ref() else {
        return String::new();
    };
    let at = r.max_err_count.to_string();
    // Where the job was converted, as the conversion line's job string shows it.
    let converted_at = job
        .rollback
        .as_ref()
        .and_then(|rb| rb.err_count)
        .unwrap_or(r.max_err_count);
    if r.reattach_loop {
        let d = job.dist_task.as_ref();
        let key = d
            .and_then(|d| d.task_key.clone())
            .unwrap_or_else(|| format!("ddl/backfill/{}", job.job_id));
        return format!(
            "Each DDL retry re-attached to DXF task {key} (`task not resumable`, {} times) and read back the error of the already reverted task (`task reverted`, {} times); a reverted task is never resubmitted, so no retry could succeed, and ErrCount climbed to {converted_at} of the limit {}.",
            d.map_or(0, |d| d.not_resumable),
            d.map_or(0, |d| d.reverted),
            r.limit
        );
    }
    if r.modify_column
        && cause
            .classified
            .retried_by(crate::diagnosis::errclass::Path::ModifyColumn, version)
            == Some(false)
    {
        return format!(
            "MODIFY COLUMN's reorg retries only transaction conflicts, not the ADD INDEX retry list, so this {} error ended the job at ErrCount {converted_at}.",
            cause.classified.family
        );
    }
    if r.retry_lines > 0 {
        let lines = match r.retry_lines {
            1 => "1 `sleeps a while then retries it.` line".to_string(),
            n => format!("{n} `sleeps a while then retries it.` lines"),
        };
        let what = if r.cause_retried { "it" } else { "the job" };
        return if r.limit_reached {
            if r.limit_line {
                format!(
                    "TiDB's DDL layer retried {what} ({lines}) until it logged `DDL job error count exceed the limit, cancelling it now` (limit {}; ErrCount reached {at}): the fault outlasted the retry budget.",
                    r.limit
                )
            } else {
                format!(
                    "TiDB's DDL layer retried {what} ({lines}) until ErrCount reached the limit ({converted_at} of {}): the fault outlasted the retry budget.",
                    r.limit
                )
            }
        } else {
            format!(
                "TiDB's DDL layer retried {what} ({lines}), then converted the job to rollback at ErrCount {converted_at}, below the limit ({}).",
                r.limit
            )
        };
    }
    if r.limit_reached {
        return format!(
            "ErrCount reached the limit ({at} of {}), which ended the retries.",
            r.limit
        );
    }
    let mut s = format!(
        "TiDB's DDL layer did not retry it: the job was converted to rollback at ErrCount {converted_at} with no `sleeps a while then retries it.` line."
    );
    if let (Some(crate::diagnosis::errclass::Retries::Since(lines)), Some(v)) =
        (cause.classified.retries, version)
    {
        if crate::model::version::includes_fix(v, lines) == Some(false) {
            s.push_str(&format!(
                " {v} does not have this error on its reorg retry list; it was added in {}.",
                lines.join(" / ")
            ));
        }
    }
    s
}

/// The known issues a DXF-task finding fits, when no job is tied to the task: ids and the
/// explanation's sentences.
pub fn issues_for_task(
    meta: &RuleMeta,
    error: Option<&str>,
    version: Option<&Version>,
) -> (Vec<String>, Vec<String>) {
    let ms = known_issues::matching_task(meta.code, error, version);
    (
        ms.iter().map(|m| m.issue.id.to_string()).collect(),
        ms.iter().map(|m| m.note(version)).collect(),
    )
}

/// The SQL condition that selects a DXF task in `mysql.tidb_global_task(_history)`.
pub fn task_cond(task: &crate::timeline::TaskTimeline) -> String {
    match (&task.task_key, task.task_id) {
        (_, Some(id)) => format!("id = {id}"),
        (Some(k), None) => format!("task_key = '{k}'"),
        (None, None) => "task_key LIKE 'ddl/backfill/%'".to_string(),
    }
}

/// `ddl/backfill/125 (id 10)`, `10`: a DXF task as a finding names it after the word "task".
pub fn task_label(task: &crate::timeline::TaskTimeline) -> String {
    match (&task.task_key, task.task_id) {
        (Some(k), Some(id)) => format!("{k} (id {id})"),
        (Some(k), None) => k.clone(),
        (None, Some(id)) => id.to_string(),
        (None, None) => "(no id)".to_string(),
    }
}

/// `3 times between 11:18:53.397 and 11:20:01.002 (1m7s)`, `once at 11:18:53.397`.
pub fn times_phrase(count: u64, first: &Evidence, last: &Evidence) -> String {
    let n = match count {
        1 => "once".to_string(),
        n => format!("{n} times"),
    };
    let dur = span(first, last)
        .filter(|d| d.num_milliseconds() > 0)
        .map(|d| format!(" ({})", fmt_duration(d)))
        .unwrap_or_default();
    format!("{n} {}{dur}", window(first.ts, last.ts))
}

/// `"open new s3 reader failed" ×3, "subtask failed" ×1`: which messages carried an error, in
/// first-seen order.
pub fn by_message<'a>(evs: impl Iterator<Item = &'a Event>) -> String {
    let mut counts: Vec<(String, u64)> = Vec::new();
    for e in evs {
        match counts.iter_mut().find(|(m, _)| **m == *e.message) {
            Some((_, n)) => *n += 1,
            None => counts.push((e.message.to_string(), 1)),
        }
    }
    counts
        .iter()
        .map(|(m, n)| format!("{m:?} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let d = chrono::Duration::milliseconds;
        assert_eq!(fmt_duration(d(300)), "300ms");
        assert_eq!(fmt_duration(d(4_200)), "4.2s");
        assert_eq!(fmt_duration(d(42_000)), "42s");
        assert_eq!(fmt_duration(d((17 * 60 + 53) * 1000 + 400)), "17m53s");
        assert_eq!(fmt_duration(d(3_720_000)), "1h2m0s");
        assert_eq!(fmt_duration(d(-5)), "0ms");
    }

    #[test]
    fn windows_are_never_zero_length() {
        let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
        let a = t("2024-01-13T19:21:11.461+08:00");
        let b = t("2024-01-13T19:21:12.000+08:00");
        assert_eq!(window(Some(a), Some(a)), "at 19:21:11.461");
        assert_eq!(
            window(Some(a), Some(b)),
            "between 19:21:11.461 and 19:21:12.000"
        );
        assert_eq!(window(None, Some(b)), "at 19:21:12.000");
        assert_eq!(window(None, None), "");
    }
}
