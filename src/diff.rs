//! `ddldiag diff GOOD... -- BAD...`: what got worse between two runs of the same test.
//!
//! Both sides are analysed exactly like `analyze` (same pipeline, same rules) into a [`Report`];
//! this module compares the two reports. Nothing here reads logs.
//!
//! Identity across runs never uses ids, lines or times, because they all differ between two runs
//! of the same test:
//!
//! * **jobs** are matched by [`JobKey`]: job type, table and [`normalize_query`] of the query.
//!   When several jobs of one run share a key (a test that recreates the same table), they are
//!   paired in report order: the first with the first, and so on; the rest are `new` or `gone`;
//! * **findings** by [`FindingIdentity`], the very fields SARIF's fingerprint hashes, so a
//!   finding `diff` calls new is one a code-scanning UI also shows as new;
//! * **error kinds** by [`error_kind`] (`tikv:9005`, else the text with digit runs as `#`), and
//!   fault-window kinds by [`FaultKind`].
//!
//! Comparisons are by presence, not by count: a finding or error kind is new when BAD has it and
//! GOOD has none of it. Counts are reported so that a reader can judge "more of the same".

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use comfy_table::{presets, Attribute, Cell, Color, Table};
use serde::Serialize;

use crate::fault::FaultKind;
use crate::model::{ExitCode, JobState};
use crate::render::sarif::{error_kind, finding_identity, FindingIdentity};
use crate::report::{is_incomplete, nothing_read, FailOn, Report, Severity, SeverityCounts};

/// Bumped only on breaking changes to the diff JSON.
pub const DIFF_SCHEMA_VERSION: u32 = 1;

/// The job did what it was asked to (`synced`, `done`).
fn succeeded(outcome: &JobState) -> bool {
    outcome.is_success()
}

/// The whole diff (`ddldiag diff --format json`).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DiffReport {
    pub schema_version: u32,
    pub tool: crate::report::Tool,
    pub good: SideSummary,
    pub bad: SideSummary,
    /// Every job of either run, matched across runs; unchanged jobs included.
    pub jobs: Vec<JobDiff>,
    /// Findings whose identity BAD has and GOOD has not.
    pub new_findings: Vec<FindingDiff>,
    /// Findings whose identity GOOD had and BAD has not.
    pub fixed_findings: Vec<FindingDiff>,
    /// Job error kinds seen in BAD and not in GOOD.
    pub new_errors: Vec<ErrorKindDiff>,
    /// Fault-window kinds (cluster windows) seen in BAD and not in GOOD.
    pub new_fault_kinds: Vec<FaultKindDiff>,
    pub summary: DiffSummary,
}

/// One side of the comparison, as read.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SideSummary {
    pub inputs: Vec<SideInput>,
    /// False when any input of this side was damaged: the comparison is partial.
    pub complete: bool,
    /// False when not a byte of this side could be read.
    pub readable: bool,
    pub jobs: u64,
    pub findings: SeverityCounts,
}

/// One input path of a side.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SideInput {
    pub path: String,
    pub complete: bool,
    /// What was lost and where; `null` when complete.
    pub error: Option<String>,
}

/// How a matched job's outcome moved from GOOD to BAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The job succeeded in GOOD and not in BAD.
    Worse,
    /// Only in BAD.
    New,
    /// Only in GOOD.
    Gone,
    /// Both unsuccessful, with different outcomes (`rollingback` → `rollback done`).
    Changed,
    /// The job failed in GOOD and succeeded in BAD.
    Better,
    /// The same outcome on both sides.
    Same,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Worse => "worse",
            Change::New => "new",
            Change::Gone => "gone",
            Change::Changed => "changed",
            Change::Better => "better",
            Change::Same => "same",
        }
    }
}

/// What identifies a job across runs (ids differ between runs).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
pub struct JobKey {
    /// Lowercased job type (`add index`).
    #[serde(rename = "type")]
    pub job_type: String,
    /// Lowercased table, without backquotes. Digits are kept: `sbtest1` is not `sbtest2`.
    pub table: String,
    /// [`normalize_query`] of the query; empty when the logs name none.
    pub query: String,
}

/// One job, matched across runs.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct JobDiff {
    pub key: JobKey,
    pub good_job_id: Option<i64>,
    pub bad_job_id: Option<i64>,
    /// `null` when the job is only in BAD.
    #[schemars(with = "Option<String>")]
    pub good_outcome: Option<JobState>,
    /// `null` when the job is only in GOOD.
    #[schemars(with = "Option<String>")]
    pub bad_outcome: Option<JobState>,
    pub change: Change,
    /// True when this row makes BAD worse: `worse`, a `new` job that did not succeed, or a job
    /// that succeeded in GOOD and is `gone` from BAD (the run stopped before it).
    pub regression: bool,
}

/// One finding identity, new or fixed.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FindingDiff {
    /// SARIF's `ddldiagFingerprint/v1` for this identity.
    pub fingerprint: String,
    pub rule: String,
    pub name: String,
    /// The highest severity among the findings of this identity on that side.
    pub severity: Severity,
    pub job_type: String,
    pub table: String,
    /// Class and template of the job's most frequent error (`transient`, `tikv:9005`).
    pub error_class: String,
    pub error: String,
    /// How many findings of that side have this identity.
    pub count: u64,
    /// Their job ids on that side.
    pub job_ids: Vec<i64>,
    /// The first one's title.
    pub title: String,
}

/// One job error kind new in BAD.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ErrorKindDiff {
    /// `tikv:9005`, or the text with digit runs as `#`.
    pub kind: String,
    /// `transient`, `permanent` or `unknown`.
    pub class: String,
    /// Occurrences in BAD, summed over its jobs.
    pub count: u64,
    /// BAD jobs that met it.
    pub job_ids: Vec<i64>,
    /// One raw error text, for humans.
    pub example: String,
}

/// One fault-window kind new in BAD.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FaultKindDiff {
    pub kind: FaultKind,
    /// Signal lines of this kind in BAD's cluster windows.
    pub count: u64,
}

/// Counts of job changes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, schemars::JsonSchema)]
pub struct JobChangeCounts {
    pub same: u64,
    pub worse: u64,
    pub better: u64,
    pub changed: u64,
    pub new: u64,
    pub gone: u64,
}

/// `summary` section.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DiffSummary {
    pub jobs: JobChangeCounts,
    /// Job rows with `regression: true`.
    pub regressions: u64,
    pub new_findings: SeverityCounts,
    pub fixed_findings: u64,
    pub new_errors: u64,
    pub new_fault_kinds: u64,
    /// False when either side was damaged.
    pub complete: bool,
    /// The process exit code (see [`exit_code`]).
    pub exit_code: u8,
}

/// Lowercase, backquotes dropped, whitespace collapsed, a trailing `;` dropped, and every digit
/// run replaced by `#`.
///
/// Digits go because test generators put run-specific numbers into statements (`idx_1705142469`,
/// `partition p20240113`), which would make every job of a run look new. The cost is that two
/// statements differing only in a number match; the table (kept with its digits) and the job type
/// are separate parts of the key, so that can only pair jobs of one table.
pub fn normalize_query(q: &str) -> String {
    let mut out = String::with_capacity(q.len());
    let (mut digit, mut space) = (false, false);
    for c in q.trim().trim_end_matches(';').trim_end().chars() {
        if c.is_ascii_digit() {
            if !digit {
                out.push('#');
            }
            (digit, space) = (true, false);
        } else if c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            (digit, space) = (false, true);
        } else if c != '`' {
            out.extend(c.to_lowercase());
            (digit, space) = (false, false);
        }
    }
    out
}

/// The [`JobKey`] of a job.
pub fn job_key(j: &crate::report::JobReport) -> JobKey {
    let norm = |s: Option<&str>| s.unwrap_or("").trim().to_lowercase();
    JobKey {
        job_type: norm(j.job_type.as_deref()),
        table: norm(j.table.as_deref()).replace('`', ""),
        query: j.query.as_deref().map(normalize_query).unwrap_or_default(),
    }
}

/// Compares two reports. `exit_code` in the summary is filled for `fail_on`.
pub fn compare(good: &Report, bad: &Report, fail_on: FailOn) -> DiffReport {
    let jobs = match_jobs(good, bad);
    let good_f = findings_by_identity(good);
    let bad_f = findings_by_identity(bad);
    let new_findings: Vec<FindingDiff> = bad_f
        .iter()
        .filter(|(id, _)| !good_f.contains_key(*id))
        .map(|(_, f)| f.clone())
        .collect();
    let fixed_findings: Vec<FindingDiff> = good_f
        .iter()
        .filter(|(id, _)| !bad_f.contains_key(*id))
        .map(|(_, f)| f.clone())
        .collect();

    let good_errors = error_kinds(good);
    let new_errors: Vec<ErrorKindDiff> = error_kinds(bad)
        .into_iter()
        .filter(|(k, _)| !good_errors.contains_key(k))
        .map(|(_, e)| e)
        .collect();
    let good_faults = fault_kinds(good);
    let new_fault_kinds: Vec<FaultKindDiff> = fault_kinds(bad)
        .into_iter()
        .filter(|(k, _)| !good_faults.contains_key(k))
        .map(|(kind, count)| FaultKindDiff { kind, count })
        .collect();

    let mut counts = JobChangeCounts::default();
    for j in &jobs {
        *match j.change {
            Change::Same => &mut counts.same,
            Change::Worse => &mut counts.worse,
            Change::Better => &mut counts.better,
            Change::Changed => &mut counts.changed,
            Change::New => &mut counts.new,
            Change::Gone => &mut counts.gone,
        } += 1;
    }
    let mut new_sev = SeverityCounts::default();
    for f in &new_findings {
        *match f.severity {
            Severity::Error => &mut new_sev.error,
            Severity::Warning => &mut new_sev.warning,
            Severity::Info => &mut new_sev.info,
        } += 1;
    }
    let (good_side, bad_side) = (side(good), side(bad));
    let mut d = DiffReport {
        schema_version: DIFF_SCHEMA_VERSION,
        tool: good.tool.clone(),
        summary: DiffSummary {
            jobs: counts,
            regressions: jobs.iter().filter(|j| j.regression).count() as u64,
            new_findings: new_sev,
            fixed_findings: fixed_findings.len() as u64,
            new_errors: new_errors.len() as u64,
            new_fault_kinds: new_fault_kinds.len() as u64,
            complete: good_side.complete && bad_side.complete,
            exit_code: 0,
        },
        good: good_side,
        bad: bad_side,
        jobs,
        new_findings,
        fixed_findings,
        new_errors,
        new_fault_kinds,
    };
    d.summary.exit_code = exit_code(&d, fail_on).code();
    d
}

/// The process exit code of a diff. First match wins:
///
/// 1. **2**: a side could not be read at all: there is nothing to compare;
/// 2. **3**: a side was damaged. As in `analyze`, damage wins over a verdict: a job "gone" from a
///    truncated BAD may simply be in the part that was lost;
/// 3. **1**: BAD is worse: a new finding at or above `fail_on`, or a job regression
///    ([`JobDiff::regression`]). `--fail-on never` turns both off: the diff is then a report only;
/// 4. **0**: BAD is not worse.
pub fn exit_code(d: &DiffReport, fail_on: FailOn) -> ExitCode {
    if !d.good.readable || !d.bad.readable {
        ExitCode::Usage
    } else if !d.good.complete || !d.bad.complete {
        ExitCode::Damaged
    } else if fail_on != FailOn::Never
        && (d.jobs.iter().any(|j| j.regression)
            || d.new_findings.iter().any(|f| fail_on.fails(f.severity)))
    {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    }
}

fn side(r: &Report) -> SideSummary {
    let mut findings = SeverityCounts::default();
    for f in &r.findings {
        *match f.severity {
            Severity::Error => &mut findings.error,
            Severity::Warning => &mut findings.warning,
            Severity::Info => &mut findings.info,
        } += 1;
    }
    SideSummary {
        inputs: r
            .inputs
            .iter()
            .map(|i| SideInput {
                path: i.path.clone(),
                complete: i.complete && i.files.iter().all(|f| f.complete),
                error: i.error.clone(),
            })
            .collect(),
        complete: !is_incomplete(r),
        readable: !nothing_read(r),
        jobs: r.jobs.len() as u64,
        findings,
    }
}

/// Pairs the jobs of both runs by key, in report order within a key. Rows come in GOOD's order,
/// then BAD's new jobs in BAD's order.
fn match_jobs(good: &Report, bad: &Report) -> Vec<JobDiff> {
    let mut bad_by_key: BTreeMap<JobKey, std::collections::VecDeque<&crate::report::JobReport>> =
        BTreeMap::new();
    for j in &bad.jobs {
        bad_by_key.entry(job_key(j)).or_default().push_back(j);
    }
    let mut rows = Vec::new();
    for g in &good.jobs {
        let key = job_key(g);
        let b = bad_by_key.get_mut(&key).and_then(|q| q.pop_front());
        let change = match b {
            None => Change::Gone,
            Some(b) if b.outcome == g.outcome => Change::Same,
            Some(b) => match (succeeded(&g.outcome), succeeded(&b.outcome)) {
                (true, false) => Change::Worse,
                (false, true) => Change::Better,
                // `synced` ↔ `done`, or between two unsuccessful outcomes.
                (true, true) => Change::Same,
                (false, false) => Change::Changed,
            },
        };
        rows.push(JobDiff {
            regression: change == Change::Worse
                || (change == Change::Gone && succeeded(&g.outcome)),
            key,
            good_job_id: Some(g.job_id),
            bad_job_id: b.map(|b| b.job_id),
            good_outcome: Some(g.outcome.clone()),
            bad_outcome: b.map(|b| b.outcome.clone()),
            change,
        });
    }
    // Whatever BAD has left is new, in BAD's order.
    let left: BTreeSet<i64> = bad_by_key
        .values()
        .flat_map(|q| q.iter().map(|j| j.job_id))
        .collect();
    for b in bad.jobs.iter().filter(|b| left.contains(&b.job_id)) {
        rows.push(JobDiff {
            key: job_key(b),
            good_job_id: None,
            bad_job_id: Some(b.job_id),
            good_outcome: None,
            bad_outcome: Some(b.outcome.clone()),
            change: Change::New,
            regression: !succeeded(&b.outcome),
        });
    }
    rows
}

/// The findings of a report grouped by identity, in identity order (stable output).
fn findings_by_identity(r: &Report) -> BTreeMap<FindingIdentity, FindingDiff> {
    let mut out: BTreeMap<FindingIdentity, FindingDiff> = BTreeMap::new();
    for f in &r.findings {
        let id = finding_identity(r, f);
        let e = out.entry(id.clone()).or_insert_with(|| FindingDiff {
            fingerprint: id.fingerprint(),
            rule: f.rule.clone(),
            name: f.name.clone(),
            severity: f.severity,
            job_type: id.job_type.clone(),
            table: id.table.clone(),
            error_class: id.class.clone(),
            error: id.template.clone(),
            count: 0,
            job_ids: Vec::new(),
            title: f.title.clone(),
        });
        e.count += 1;
        e.severity = e.severity.max(f.severity);
        if let Some(id) = f.job_id {
            if !e.job_ids.contains(&id) {
                e.job_ids.push(id);
            }
        }
    }
    out
}

/// Every job error kind of a report with its total count.
fn error_kinds(r: &Report) -> BTreeMap<String, ErrorKindDiff> {
    let mut out: BTreeMap<String, ErrorKindDiff> = BTreeMap::new();
    for j in &r.jobs {
        for e in &j.errors {
            let kind = error_kind(e);
            let d = out.entry(kind.clone()).or_insert_with(|| ErrorKindDiff {
                kind,
                class: e.class.clone(),
                count: 0,
                job_ids: Vec::new(),
                example: e.text.clone(),
            });
            // A listed error was met at least once, even where the timeline kept no count.
            d.count += e.count.max(1);
            if !d.job_ids.contains(&j.job_id) {
                d.job_ids.push(j.job_id);
            }
        }
    }
    out
}

/// Fault kinds of the cluster windows with their line counts. Cluster windows are the instance
/// windows merged, so counting only them counts each signal line once.
fn fault_kinds(r: &Report) -> BTreeMap<FaultKind, u64> {
    let mut out = BTreeMap::new();
    for w in r.cluster_windows() {
        for k in &w.kinds {
            *out.entry(k.kind).or_insert(0) += k.count;
        }
    }
    out
}

/// The diff as pretty JSON with a trailing newline.
pub fn render_json(d: &DiffReport) -> String {
    serde_json::to_string_pretty(d).expect("the diff always serialises") + "\n"
}

/// Longest query shown in a table cell; the JSON has it whole.
const QUERY_CELL: usize = 60;

/// The terminal view: the two sides, the jobs that changed (unchanged ones are only counted),
/// new and fixed findings, new error and fault kinds, and a verdict line.
pub fn render_table(d: &DiffReport, color: bool) -> String {
    let paint = |s: &str, sgr: &str| {
        if color {
            format!("\x1b[{sgr}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let table = |head: Vec<&str>| {
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED).force_no_tty();
        if color {
            t.enforce_styling();
        }
        t.set_header(head);
        t
    };
    let fg = |text: String, c: Color| {
        if color {
            Cell::new(text).fg(c).add_attribute(Attribute::Bold)
        } else {
            Cell::new(text)
        }
    };
    let mut out = String::new();
    for (name, s) in [("GOOD", &d.good), ("BAD", &d.bad)] {
        let paths: Vec<String> = s.inputs.iter().map(|i| dash(&i.path)).collect();
        let state = if !s.readable {
            paint(" UNREADABLE", "1;31")
        } else if !s.complete {
            paint(" INCOMPLETE", "1;31")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{:<4} {}: {} job{}, {} finding{} ({} error, {} warning, {} info){state}",
            name,
            paths.join(" "),
            s.jobs,
            plural(s.jobs),
            s.findings.error + s.findings.warning + s.findings.info,
            plural(s.findings.error + s.findings.warning + s.findings.info),
            s.findings.error,
            s.findings.warning,
            s.findings.info,
        );
        for i in s.inputs.iter().filter(|i| !i.complete) {
            let what = i.error.as_deref().unwrap_or("reading stopped early");
            let _ = writeln!(out, "  lost: {}: {}", esc(&i.path), esc(what));
        }
    }
    out.push('\n');

    let c = &d.summary.jobs;
    let listed: Vec<&JobDiff> = d.jobs.iter().filter(|j| j.change != Change::Same).collect();
    let _ = writeln!(
        out,
        "{}",
        paint(
            &format!(
                "Jobs ({} matched unchanged, {} worse, {} better, {} changed, {} new, {} gone)",
                c.same, c.worse, c.better, c.changed, c.new, c.gone
            ),
            "1"
        )
    );
    if !listed.is_empty() {
        let mut t = table(vec![
            "Change", "Type", "Table", "Query", "Good", "Bad", "Job ids",
        ]);
        for j in listed {
            let change = if j.regression {
                fg(j.change.as_str().to_string(), Color::Red)
            } else if j.change == Change::Better {
                fg(j.change.as_str().to_string(), Color::Green)
            } else {
                Cell::new(j.change.as_str())
            };
            let opt = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
            let id = |i: Option<i64>| i.map(|i| i.to_string()).unwrap_or_else(|| "-".into());
            t.add_row(vec![
                change,
                Cell::new(dash(&j.key.job_type)),
                Cell::new(dash(&j.key.table)),
                Cell::new(crate::render::table::truncate(
                    &dash(&j.key.query),
                    QUERY_CELL,
                )),
                Cell::new(dash(&opt(&j
                    .good_outcome
                    .as_ref()
                    .map(JobState::to_string)))),
                Cell::new(dash(&opt(&j.bad_outcome.as_ref().map(JobState::to_string)))),
                Cell::new(format!("{} → {}", id(j.good_job_id), id(j.bad_job_id))),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    out.push('\n');

    for (title, list) in [
        ("New findings in BAD", &d.new_findings),
        ("Fixed findings (in GOOD only)", &d.fixed_findings),
    ] {
        let _ = writeln!(out, "{}", paint(&format!("{title} ({})", list.len()), "1"));
        if list.is_empty() {
            continue;
        }
        let mut t = table(vec![
            "Severity", "Rule", "Type", "Table", "Error", "Jobs", "Title",
        ]);
        for f in list {
            let sev = match f.severity {
                Severity::Error => fg("error".into(), Color::Red),
                Severity::Warning => fg("warning".into(), Color::Yellow),
                Severity::Info => fg("info".into(), Color::Cyan),
            };
            let ids: Vec<String> = f.job_ids.iter().map(i64::to_string).collect();
            t.add_row(vec![
                sev,
                Cell::new(esc(&f.rule)),
                Cell::new(dash(&f.job_type)),
                Cell::new(dash(&f.table)),
                Cell::new(dash(&f.error)),
                Cell::new(dash(&ids.join(" "))),
                Cell::new(crate::render::table::truncate(&esc(&f.title), 80)),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    out.push('\n');

    let _ = writeln!(
        out,
        "{}",
        paint(
            &format!("New error kinds in BAD ({})", d.new_errors.len()),
            "1"
        )
    );
    if !d.new_errors.is_empty() {
        let mut t = table(vec!["Error", "Class", "Count", "Jobs", "Example"]);
        for e in &d.new_errors {
            let ids: Vec<String> = e.job_ids.iter().map(i64::to_string).collect();
            t.add_row(vec![
                Cell::new(esc(&e.kind)),
                Cell::new(esc(&e.class)),
                Cell::new(e.count),
                Cell::new(ids.join(" ")),
                Cell::new(crate::render::table::truncate(&esc(&e.example), 80)),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    if !d.new_fault_kinds.is_empty() {
        let kinds: Vec<String> = d
            .new_fault_kinds
            .iter()
            .map(|k| format!("{} ({})", k.kind.as_str(), k.count))
            .collect();
        let _ = writeln!(
            out,
            "{} {}",
            paint("New fault-window kinds in BAD:", "1"),
            kinds.join(", ")
        );
    }
    out.push('\n');

    let s = &d.summary;
    let verdict = match s.exit_code {
        0 => "BAD is not worse".to_string(),
        1 => format!(
            "BAD is worse: {} job regression{}, {} new finding{} ({} error, {} warning, {} info)",
            s.regressions,
            plural(s.regressions),
            s.new_findings.error + s.new_findings.warning + s.new_findings.info,
            plural(s.new_findings.error + s.new_findings.warning + s.new_findings.info),
            s.new_findings.error,
            s.new_findings.warning,
            s.new_findings.info
        ),
        2 => "nothing to compare: a side could not be read".to_string(),
        _ => "INCOMPLETE: a side was damaged; the comparison is partial".to_string(),
    };
    let _ = writeln!(
        out,
        "{}",
        paint(&format!("Summary: {verdict} → exit {}", s.exit_code), "1")
    );
    out
}

/// A log-derived cell value for the terminal: `-` when empty, control characters visible.
fn dash(s: &str) -> String {
    esc(if s.is_empty() { "-" } else { s }).into_owned()
}

/// A log-derived value for the terminal ([`crate::render::escape::terminal`]).
fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    crate::render::escape::terminal(s)
}

use crate::report::plural;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_query_hides_numbers_case_space_and_quotes() {
        assert_eq!(
            normalize_query("  ALTER TABLE `t`  ADD INDEX idx_1705142469 (c);\n"),
            "alter table t add index idx_# (c)"
        );
        assert_eq!(
            normalize_query("alter table t\n\tadd index i(c)"),
            normalize_query("alter table t add index i(c);")
        );
        assert_eq!(normalize_query(""), "");
    }
}
