//! The jobs part of the terminal report: each job's story told once.
//!
//! A job with findings is one block: the outcome line, the decisive facts (the error and its
//! class, the ErrCount curve, the DXF task, the rollback, owner moves and restarts, the fault
//! window, the known issue, the last progress of an unfinished job), its findings one line
//! each (severity, code, title), the few evidence lines that prove them, and the suggestion of
//! the lead finding. The facts are read from the job's data in the report, not from the
//! findings' prose: every rule repeats the ErrCount and rollback sentences in its explanation
//! (each must stand alone in JSON, SARIF and JUnit), and three findings of one job used to print
//! them three times. `-v` prints every finding in full instead (explanation, suggestion, every
//! evidence line).
//!
//! A job without findings is its one outcome line; past [`CLEAN_JOBS`] of them the rest are
//! counted (`ddldiag jobs` lists every job), so a bundle of a thousand healthy jobs still fits
//! a screen.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use super::{esc, evidence, finding, plural, truncate, Style};
use crate::event::Evidence;
use crate::model::Timestamp;
use crate::report::lanes::JobLane;
use crate::report::{findings_of, Finding, JobReport, Report, Severity};

/// Jobs without findings listed one line each (unless `verbose`); the rest are counted.
pub const CLEAN_JOBS: usize = 20;

/// Evidence lines shown per job block unless `verbose`.
pub const JOB_EVIDENCE_LINES: usize = 5;

/// Distinct errors named in a job's facts unless `verbose`.
const ERRORS_SHOWN: usize = 2;

/// An unfinished job quiet this long before the end of the logs has its last progress shown.
const QUIET_SECS: i64 = 60;

/// The label column of the facts.
const LABEL_W: usize = 10;

/// Every job, the ones with findings first (most severe first), then findings that name no job
/// of the report.
pub(super) fn jobs(out: &mut String, report: &Report, st: &Style) {
    let lanes: HashMap<(i64, Option<Timestamp>), &JobLane> = report
        .picture
        .jobs
        .iter()
        .map(|l| ((l.job_id, Some(l.first)), l))
        .collect();
    let end_of_logs = report
        .inputs
        .iter()
        .flat_map(|i| &i.files)
        .filter_map(|f| f.last_ts)
        .max();

    if report.jobs.is_empty() {
        out.push_str("No DDL job string in the logs.\n");
    } else {
        let _ = writeln!(
            out,
            "{}",
            st.bold(&format!("DDL jobs ({})", report.jobs.len()))
        );
        // Findings are in severity order; a job's rank is its first finding's position.
        let mut rank: HashMap<i64, usize> = HashMap::new();
        for (i, f) in report.findings.iter().enumerate() {
            if let Some(id) = f.job_id {
                rank.entry(id).or_insert(i);
            }
        }
        // Ids repeat only across stores: the first job of an id carries its findings, as
        // `findings_of` and the other views have it.
        let mut seen = std::collections::HashSet::new();
        let mut judged: Vec<&JobReport> = Vec::new();
        let mut clean: Vec<&JobReport> = Vec::new();
        for j in &report.jobs {
            if rank.contains_key(&j.job_id) && seen.insert(j.job_id) {
                judged.push(j);
            } else {
                clean.push(j);
            }
        }
        judged.sort_by_key(|j| rank[&j.job_id]);
        for j in &judged {
            let lane = lanes.get(&(j.job_id, j.first_seen)).copied();
            let findings: Vec<&Finding> = findings_of(report, j.job_id).collect();
            job_block(out, j, lane, &findings, end_of_logs, st);
            out.push('\n');
        }
        let shown = if st.verbose {
            clean.len()
        } else {
            clean.len().min(CLEAN_JOBS)
        };
        if !clean.is_empty() && !judged.is_empty() {
            let _ = writeln!(
                out,
                "{}",
                st.bold(&format!("Without findings ({})", clean.len()))
            );
        }
        for j in &clean[..shown] {
            out.push_str(&outcome_line(j, st));
        }
        if shown < clean.len() {
            let _ = writeln!(
                out,
                "  … and {} more job{} without findings (`ddldiag jobs` lists every job)",
                clean.len() - shown,
                plural(clean.len() - shown)
            );
        }
        if !clean.is_empty() {
            out.push('\n');
        }
    }

    // Findings about no job, or about a job the report does not list, must not vanish.
    let orphans: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.job_id.is_none_or(|id| report.job(id).is_none()))
        .collect();
    if !orphans.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            st.bold(&format!("Findings without a job ({})", orphans.len()))
        );
        for (i, f) in orphans.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            finding(out, f, st);
        }
        out.push('\n');
    }
    if report.findings.is_empty() {
        out.push_str("No findings.\n");
    }
    // The caller adds the summary after one blank line; ours already ends the last block.
    if out.ends_with("\n\n") {
        out.pop();
    }
}

/// `Job 491 · add index on sbtest1 · rollingback · 19:21:09.480 – 19:21:11.546 (2s) · tidb-0`.
fn outcome_line(j: &JobReport, st: &Style) -> String {
    let what = match (&j.job_type, &j.table) {
        (Some(t), Some(tb)) => format!("{} on {}", esc(t), esc(tb)),
        (Some(t), None) => esc(t).into_owned(),
        (None, Some(tb)) => format!("(unknown type) on {}", esc(tb)),
        (None, None) => "(unknown type)".to_string(),
    };
    let outcome = st.paint(
        &esc(j.outcome.as_str()),
        match super::outcome_color(j.outcome.as_str()) {
            comfy_table::Color::Green => "1;32",
            comfy_table::Color::Red => "1;31",
            _ => "1;33",
        },
    );
    let span = match (j.first_seen, j.last_seen) {
        (Some(a), Some(b)) => format!(
            " · {} – {} ({})",
            st.ts(Some(&a)),
            st.ts(Some(&b)),
            crate::fault::human_duration((b - a).num_seconds())
        ),
        _ => String::new(),
    };
    let instances = if j.instances.is_empty() {
        String::new()
    } else {
        format!(" · {}", esc(&j.instances.join(", ")))
    };
    let head = st.bold(&format!("Job {}", j.job_id));
    let outcome = if j.outcome.is_finished() {
        outcome
    } else {
        format!("{outcome} at the end of the logs")
    };
    st.wrap(
        &format!("{head} · {what} · {outcome}{span}{instances}"),
        "",
        "    ",
    )
}

fn job_block(
    out: &mut String,
    j: &JobReport,
    lane: Option<&JobLane>,
    findings: &[&Finding],
    end_of_logs: Option<Timestamp>,
    st: &Style,
) {
    out.push_str(&outcome_line(j, st));
    for (label, text) in facts(j, lane, findings, end_of_logs, st) {
        let first = format!("  {label:<LABEL_W$}");
        out.push_str(&st.wrap(&text, &first, &" ".repeat(2 + LABEL_W)));
    }
    if st.verbose {
        for f in findings {
            out.push('\n');
            finding(out, f, st);
        }
        return;
    }
    for f in findings {
        let (word, sgr) = match f.severity {
            Severity::Error => ("ERROR", "1;31"),
            Severity::Warning => ("WARNING", "1;33"),
            Severity::Info => ("INFO", "1;36"),
        };
        let pad = " ".repeat(7 - word.len());
        let first = format!("  {}{pad} {} ", st.paint(word, sgr), st.bold(&esc(&f.rule)));
        let rest = " ".repeat(2 + 8 + f.rule.chars().count() + 1);
        out.push_str(&st.wrap(&esc(&f.title), &first, &rest));
    }
    let (shown, cited) = decisive_evidence(findings);
    if !shown.is_empty() {
        evidence(out, &shown, st);
    }
    if cited > shown.len() {
        let _ = writeln!(
            out,
            "    … {} more line{} cited; -v shows every finding in full",
            cited - shown.len(),
            plural(cited - shown.len())
        );
    }
    if let Some(s) = findings
        .iter()
        .map(|f| f.suggestion.as_str())
        .find(|s| !s.is_empty())
    {
        out.push_str(&st.wrap(&format!("→ {}", esc(s)), "  ", "    "));
    }
}

/// The job's decisive facts as (label, text), from its data in the report.
fn facts(
    j: &JobReport,
    lane: Option<&JobLane>,
    findings: &[&Finding],
    end_of_logs: Option<Timestamp>,
    st: &Style,
) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = Vec::new();
    if let Some(q) = &j.query {
        let q = esc(q);
        let q = match (st.verbose, st.width) {
            (false, Some(w)) => truncate(&q, w.saturating_sub(2 + LABEL_W)),
            _ => q.into_owned(),
        };
        v.push(("query", q));
    }
    let shown = if st.verbose {
        j.errors.len()
    } else {
        j.errors.len().min(ERRORS_SHOWN)
    };
    for e in &j.errors[..shown] {
        let when = match (e.first, e.last) {
            (Some(a), Some(b)) if a != b => {
                format!(", {} – {}", st.ts(Some(&a)), st.ts(Some(&b)))
            }
            (Some(a), _) => format!(", at {}", st.ts(Some(&a))),
            _ => String::new(),
        };
        v.push((
            "error",
            format!("{} ({}) ×{}{when}", esc(&e.text), esc(&e.class), e.count),
        ));
    }
    if shown < j.errors.len() {
        v.push((
            "",
            format!("… {} more distinct errors", j.errors.len() - shown),
        ));
    }
    // ErrCount 0 throughout says nothing: the job never failed an attempt.
    if let Some(text) = lane
        .filter(|_| j.max_err_count > 0)
        .and_then(|l| err_count_curve(l, st))
    {
        v.push(("ErrCount", text));
    } else if j.max_err_count > 0 {
        v.push(("ErrCount", format!("{} at most", j.max_err_count)));
    }
    if let Some(dt) = &j.dist_task {
        let name = match (&dt.task_key, dt.task_id) {
            (Some(k), Some(id)) => format!("{} (id {id})", esc(k)),
            (Some(k), None) => esc(k).into_owned(),
            (None, Some(id)) => format!("id {id}"),
            (None, None) => "(unnamed)".to_string(),
        };
        let mut parts = Vec::new();
        if dt.reverted > 0 {
            parts.push(format!("reverted {}×", dt.reverted));
        }
        if dt.not_resumable > 0 {
            parts.push(format!("not resumable {}×", dt.not_resumable));
        }
        let tail = if parts.is_empty() {
            String::new()
        } else {
            format!(": {}", parts.join(", "))
        };
        v.push(("DXF task", format!("{name}{tail}")));
    }
    match (&j.backfill_mode, j.rows) {
        (Some(m), Some(r)) => v.push(("backfill", format!("{}, {r} rows", esc(m)))),
        (Some(m), None) => v.push(("backfill", esc(m).into_owned())),
        (None, Some(r)) => v.push(("backfill", format!("{r} rows"))),
        (None, None) => {}
    }
    if let Some(r) = lane.and_then(|l| l.rollback.as_ref()) {
        let count = r
            .err_count
            .map(|n| format!(" (ErrCount {n})"))
            .unwrap_or_default();
        v.push((
            "rollback",
            format!("converted at {}{count}", st.ts(Some(&r.ts))),
        ));
    }
    if let Some(l) = lane {
        for (restart, label, prefix) in
            [(false, "owner", "owner "), (true, "restart", "restart of ")]
        {
            let changes: Vec<String> = l
                .changes
                .iter()
                .filter(|c| c.restart == restart)
                .map(|c| {
                    let what = c.label.strip_prefix(prefix).unwrap_or(&c.label);
                    format!("{} at {}", esc(what), st.ts(Some(&c.ts)))
                })
                .collect();
            if !changes.is_empty() {
                v.push((label, changes.join("; ")));
            }
        }
        // An unfinished job's last progress matters when the logs go on without it: the
        // stall. Seconds before the end of the logs are just where the logs were cut.
        if let (true, Some(p), Some(e)) = (l.unfinished, l.last_progress, end_of_logs) {
            let quiet = (e - p).num_seconds();
            if quiet >= QUIET_SECS {
                v.push((
                    "progress",
                    format!(
                        "none since {}; the logs go on {} after it",
                        st.ts(Some(&p)),
                        crate::fault::human_duration(quiet)
                    ),
                ));
            }
        }
    }
    if let Some(fc) = findings.iter().find_map(|f| f.fault_overlap.as_ref()) {
        v.push(("fault", esc(&fc.note).into_owned()));
    }
    let mut issues: Vec<&str> = Vec::new();
    for f in findings {
        for k in &f.known_issues {
            if !issues.contains(&k.as_str()) {
                issues.push(k);
            }
        }
    }
    for id in issues {
        let text = findings
            .iter()
            .find_map(|f| known_issue_sentence(&f.explanation, id))
            .unwrap_or(id);
        v.push(("known", esc(text).into_owned()));
    }
    v
}

/// `510 at 19:21:10.807 → 511 at 19:21:11.139`: the points the timeline holds (first, last,
/// and the count between), never a point the logs do not show.
fn err_count_curve(l: &JobLane, st: &Style) -> Option<String> {
    let (first, last) = (l.err_counts.first()?, l.err_counts.last()?);
    if l.err_counts.len() == 1 {
        return Some(format!("{} at {}", first.1, st.ts(Some(&first.0))));
    }
    let between = match l.err_counts.len() - 2 {
        0 => String::new(),
        n => format!(" ({n} point{} between)", plural(n)),
    };
    Some(format!(
        "{} at {} → {} at {}{between}",
        first.1,
        st.ts(Some(&first.0)),
        last.1,
        st.ts(Some(&last.0))
    ))
}

/// The sentence of an explanation that describes a known issue: `pingcap/tidb#50417 (version
/// unknown): …` from the rule's `Possibly pingcap/tidb#50417 …` sentence.
fn known_issue_sentence<'a>(explanation: &'a str, id: &str) -> Option<&'a str> {
    let at = explanation.find(&format!("Possibly {id}"))? + "Possibly ".len();
    let rest = &explanation[at..];
    // A sentence ends at ". " before a capital letter, or at the end of the text.
    let end = rest
        .match_indices(". ")
        .find(|(i, _)| {
            rest[i + 2..]
                .chars()
                .next()
                .is_some_and(|c| c.is_uppercase())
        })
        .map(|(i, _)| i + 1)
        .unwrap_or(rest.len());
    Some(rest[..end].trim_end_matches('.'))
}

/// The evidence lines that prove a job's findings, at most [`JOB_EVIDENCE_LINES`], in file and
/// line order, and how many distinct lines the findings cite in all.
///
/// Each finding first gets the line it shares with the most other findings (the crux of the
/// story: the rollback, the ErrCount step), then the rest of the budget goes to the most shared
/// lines, earlier first. Every finding keeps at least one proof on screen while the budget
/// lasts.
fn decisive_evidence(findings: &[&Finding]) -> (Vec<Evidence>, usize) {
    let mut cites: BTreeMap<(&str, u64), (usize, &Evidence)> = BTreeMap::new();
    for f in findings {
        for e in &f.evidence {
            cites.entry((&e.file, e.line)).or_insert((0, e)).0 += 1;
        }
    }
    let score = |e: &Evidence| cites.get(&(&*e.file, e.line)).map_or(0, |c| c.0);
    let mut picked: Vec<(&str, u64)> = Vec::new();
    for f in findings {
        if picked.len() >= JOB_EVIDENCE_LINES {
            break;
        }
        if f.evidence
            .iter()
            .any(|e| picked.contains(&(&*e.file, e.line)))
        {
            continue;
        }
        // Most shared, then earliest (max_by_key keeps the last of equals: iterate reversed).
        if let Some(e) = f.evidence.iter().rev().max_by_key(|e| score(e)) {
            picked.push((&e.file, e.line));
        }
    }
    let mut rest: Vec<(usize, (&str, u64))> = cites
        .iter()
        .filter(|(k, _)| !picked.contains(k))
        .map(|(k, c)| (c.0, *k))
        .collect();
    rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, k) in rest {
        if picked.len() >= JOB_EVIDENCE_LINES {
            break;
        }
        picked.push(k);
    }
    picked.sort();
    let shown = picked.iter().map(|k| cites[k].1.clone()).collect();
    (shown, cites.len())
}
