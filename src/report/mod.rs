//! The report model (DESIGN.md §4, `schema_version` 1): built once from the analysis, the
//! diagnosis and the findings ([`build()`]), then only read.
//!
//! Every renderer (`crate::render`) reads a [`Report`] and nothing else, so what the JSON says
//! and what the terminal, the HTML page or the trace show cannot drift apart. The parts that
//! only some formats show (the picture's lanes, the event stream, the rule docs) are in the
//! report too, outside its JSON.

use serde::Serialize;

use crate::event::{EventKind, Evidence};
pub use crate::model::{ExitCode, FailOn, Finding, JobState, Severity, Timestamp};

pub mod build;
pub mod lanes;

pub use build::{build, judge, judge_drawing, Drawing};
pub use lanes::Picture;

/// Bumped only on breaking changes to the JSON report.
pub const SCHEMA_VERSION: u32 = 1;

/// `tool` section.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// One file read from an input.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FileReport {
    /// `tidb-0.tar.gz!tidb-0/tidb.log`.
    pub name: String,
    pub instance: String,
    pub kind: crate::source::FileKind,
    /// Decoded bytes read.
    pub bytes: u64,
    /// Physical lines: `records + continuations + unparsed`.
    pub lines: u64,
    pub records: u64,
    /// Lines that continue the previous record (hard wraps, stack dumps).
    pub continuations: u64,
    /// Lines that are neither a record nor after one.
    pub unparsed: u64,
    /// Lines longer than the line cap, truncated to it.
    pub truncated_lines: u64,
    #[serde(serialize_with = "crate::model::time::ser_opt")]
    #[schemars(with = "Option<crate::model::time::Rfc3339>")]
    pub first_ts: Option<Timestamp>,
    #[serde(serialize_with = "crate::model::time::ser_opt")]
    #[schemars(with = "Option<crate::model::time::Rfc3339>")]
    pub last_ts: Option<Timestamp>,
    /// False when reading stopped early (damage).
    pub complete: bool,
}

/// One command-line input.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct InputReport {
    pub path: String,
    pub complete: bool,
    /// What was lost and where; `null` when complete. Damage first, then the files in which no
    /// log record was recognised.
    pub error: Option<String>,
    pub files: Vec<FileReport>,
    /// Members skipped on purpose, with the reason.
    pub skipped: Vec<String>,
    /// Intact content in which no log record was recognised ("no TiDB/TiKV/PD log record
    /// recognised in …"), one message per file; also in `error`. Absent when there is none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unrecognised: Vec<String>,
    /// Some of the input broke off (truncated, corrupt, unreadable), as opposed to holding no
    /// record: what the banners call "damaged".
    #[serde(skip)]
    pub damaged: bool,
}

/// One distinct error of a job.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct JobError {
    pub text: String,
    /// `tikv:9005`, when the error carries a `[class:code]` prefix.
    pub code: Option<String>,
    /// `transient`, `permanent` or `unknown`.
    pub class: String,
    pub count: u64,
    #[serde(serialize_with = "crate::model::time::ser_opt")]
    #[schemars(with = "Option<crate::model::time::Rfc3339>")]
    pub first: Option<Timestamp>,
    #[serde(serialize_with = "crate::model::time::ser_opt")]
    #[schemars(with = "Option<crate::model::time::Rfc3339>")]
    pub last: Option<Timestamp>,
}

/// The DXF task of a job.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DistTaskReport {
    pub task_id: Option<i64>,
    pub task_key: Option<String>,
    pub reverted: u64,
    pub not_resumable: u64,
}

/// One event of a job's timeline as reported (repeats folded).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct EventReport {
    pub kind: EventKind,
    #[serde(serialize_with = "crate::model::time::ser_opt")]
    #[schemars(with = "Option<crate::model::time::Rfc3339>")]
    pub ts: Option<Timestamp>,
    // Shared with the event (an `Arc`): a fresh string each was 0.4 KB a job.
    #[schemars(with = "String")]
    pub instance: std::sync::Arc<str>,
    /// Short human summary: `running / write reorganization, ErrCount 511`.
    pub summary: String,
    /// How many consecutive events of this kind this row stands for.
    pub repeat: u64,
    pub evidence: Evidence,
}

/// One DDL job.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct JobReport {
    pub job_id: i64,
    #[serde(rename = "type")]
    pub job_type: Option<String>,
    pub table: Option<String>,
    pub query: Option<String>,
    /// TiDB's own state words; `running` if unfinished at the end of the logs.
    #[schemars(with = "String")]
    pub outcome: JobState,
    #[serde(serialize_with = "crate::model::time::ser_opt")]
    #[schemars(with = "Option<crate::model::time::Rfc3339>")]
    pub first_seen: Option<Timestamp>,
    #[serde(serialize_with = "crate::model::time::ser_opt")]
    #[schemars(with = "Option<crate::model::time::Rfc3339>")]
    pub last_seen: Option<Timestamp>,
    pub max_err_count: u64,
    pub errors: Vec<JobError>,
    pub dist_task: Option<DistTaskReport>,
    pub instances: Vec<String>,
    pub store: Option<String>,
    pub backfill_mode: Option<String>,
    pub rows: Option<u64>,
    pub events: Vec<EventReport>,
    /// What the per-job bounds left out of this job's timeline, with counts (absent when
    /// nothing was): e.g. state events of (state, schema state) pairs past the limit.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub dropped: std::collections::BTreeMap<String, u64>,
}

/// One DXF task (`tasks[]`): IMPORT INTO and add-index backfill tasks, also when no DDL job
/// string is in the logs.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TaskReport {
    pub task_id: Option<i64>,
    pub task_key: Option<String>,
    /// `backfill`, `ImportInto`.
    #[serde(rename = "type")]
    pub task_type: Option<String>,
    /// The DDL job it runs for, when the logs tie it to one.
    pub job_id: Option<i64>,
    /// The last state a line gave.
    pub state: Option<String>,
    /// Step and state transitions in time order.
    pub steps: Vec<String>,
    /// Errors its lines (subtasks, scheduler, storage) carried.
    pub errors: Vec<JobError>,
    #[serde(serialize_with = "crate::model::time::ser_opt")]
    #[schemars(with = "Option<crate::model::time::Rfc3339>")]
    pub first_seen: Option<Timestamp>,
    #[serde(serialize_with = "crate::model::time::ser_opt")]
    #[schemars(with = "Option<crate::model::time::Rfc3339>")]
    pub last_seen: Option<Timestamp>,
    pub instances: Vec<String>,
    /// What the per-task bounds left out, with counts (absent when nothing was).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub dropped: std::collections::BTreeMap<String, u64>,
}

/// Reorg progress that names no job (`reorgs[]`): a reorg runs on that instance even though no
/// job string made it into the logs.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ReorgReport {
    pub instance: String,
    /// Progress lines seen.
    pub lines: u64,
    /// Rows at the first and the last of them.
    pub first_rows: u64,
    pub last_rows: u64,
    pub first: Evidence,
    pub last: Evidence,
}

/// Finding counts by severity.
#[derive(Debug, Clone, PartialEq, Default, Serialize, schemars::JsonSchema)]
pub struct SeverityCounts {
    pub error: u64,
    pub warning: u64,
    pub info: u64,
}

/// `summary` section.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub jobs: u64,
    pub findings: SeverityCounts,
    /// The process exit code this report leads to (DESIGN.md §3).
    pub exit_code: u8,
    /// False when any input was damaged: the report is partial.
    pub complete: bool,
    /// The TiDB version detected from `Welcome to TiDB` lines (or given with `--tidb-version`).
    pub tidb_version: Option<String>,
    /// What the cluster-wide bounds left out (e.g. server starts past the per-instance limit),
    /// with counts; absent when nothing was.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub dropped: std::collections::BTreeMap<String, u64>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub inputs: Vec<InputReport>,
    pub jobs: Vec<JobReport>,
    /// DXF tasks (IMPORT INTO, add-index backfill), each tied to its job when one is known.
    pub tasks: Vec<TaskReport>,
    /// Reorg progress lines that no job could be tied to.
    pub reorgs: Vec<ReorgReport>,
    pub findings: Vec<Finding>,
    /// Windows of cluster trouble inferred from TiDB, TiKV and PD log lines: every instance
    /// window (`scope: instance`), then the cluster windows (`scope: cluster`, instance windows
    /// merged across instances). Empty when no fault signal was seen.
    pub fault_windows: Vec<crate::fault::FaultWindowReport>,
    pub summary: Summary,
    /// The lanes of the HTML picture and the trace (not part of the JSON).
    #[serde(skip)]
    pub picture: Picture,
    /// Every DDL event, when the run collected them (`--format jsonl`, `ddldiag events`).
    #[serde(skip)]
    pub events: std::sync::Arc<Vec<crate::event::Exported>>,
    /// The rule catalogue as the renderers show it (SARIF `rules[]`).
    #[serde(skip)]
    pub rules: Vec<RuleDoc>,
    /// Job id → positions in `jobs`, and → positions of its findings in `findings`, built once
    /// by [`build`]: renderers that look jobs and findings up by id stay linear in jobs (1M
    /// jobs × 30k findings was hours).
    #[serde(skip)]
    pub(crate) index: ReportIndex,
}

/// See [`Report::index`].
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ReportIndex {
    // One position inline: an id nearly always names one job, and a `Vec` each was a heap
    // allocation per job of a million-job report.
    jobs: std::collections::HashMap<i64, smallvec::SmallVec<[usize; 1]>>,
    findings: std::collections::HashMap<i64, smallvec::SmallVec<[usize; 1]>>,
}

impl ReportIndex {
    pub(crate) fn new(jobs: &[JobReport], findings: &[Finding]) -> Self {
        let mut ix = ReportIndex {
            jobs: std::collections::HashMap::with_capacity(jobs.len()),
            ..ReportIndex::default()
        };
        for (i, j) in jobs.iter().enumerate() {
            ix.jobs.entry(j.job_id).or_default().push(i);
        }
        for (i, f) in findings.iter().enumerate() {
            if let Some(id) = f.job_id {
                ix.findings.entry(id).or_default().push(i);
            }
        }
        ix
    }
}

/// What a rule is, as the renderers need it (SARIF `rules[]`, `explain` text in Markdown).
///
/// Owned strings rather than `&'static` so that a caller can build it from the rule registry,
/// from a config file or in a test; [`From<&RuleMeta>`](crate::rules::RuleMeta) maps the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDoc {
    /// `DDL001`.
    pub code: String,
    /// `transient-error-rollback`.
    pub name: String,
    /// The rule's default severity (a finding carries its own).
    pub severity: Severity,
    /// One line.
    pub summary: String,
    /// The long text: what it detects, why it matters, what to do.
    pub explain: String,
}

impl From<&crate::rules::RuleMeta> for RuleDoc {
    fn from(m: &crate::rules::RuleMeta) -> Self {
        RuleDoc {
            code: m.code.to_string(),
            name: m.name.to_string(),
            severity: m.severity,
            summary: m.summary.to_string(),
            explain: m.explain.to_string(),
        }
    }
}

/// True when an input, or a file in it, stopped early: the report is partial.
pub fn is_incomplete(report: &Report) -> bool {
    report
        .inputs
        .iter()
        .any(|i| !i.complete || i.files.iter().any(|f| !f.complete))
}

/// True when not a single byte of any file was read: no inputs, every input failed before
/// yielding a byte, or the inputs hold no file with content (an empty archive, an empty
/// directory, an empty log).
///
/// Empty-but-intact inputs count as nothing read (exit 2), not as clean (exit 0): the gate runs
/// unattended on whatever a test left behind, and an empty bundle means the collection failed.
/// "No finding" about logs that do not exist is not a verdict (issue #6).
pub fn nothing_read(report: &Report) -> bool {
    report
        .inputs
        .iter()
        .all(|i| i.files.iter().all(|f| f.bytes == 0))
}

/// The process exit code for a report (DESIGN.md §3).
///
/// Precedence, first match wins:
///
/// 1. **2**: no input could be read at all: there is no report worth trusting.
/// 2. **3**: some input was damaged. This wins over findings (1) *and* applies with
///    `--fail-on never`, because DESIGN §3 says a damaged input is never reported as clean, and
///    because the findings themselves are still in the report: a script that sees 3 knows it must
///    read the (partial) report, while a script that saw 1 would have no way to tell that the
///    verdict rests on half the logs. This follows the peers' "errors take precedence over
///    findings" habit (shellcheck, ruff).
/// 3. **1**: at least one finding at or above `fail_on`.
/// 4. **0**: everything read, nothing at or above `fail_on`.
pub fn exit_code(report: &Report, fail_on: FailOn) -> ExitCode {
    if nothing_read(report) {
        ExitCode::Usage
    } else if is_incomplete(report) {
        ExitCode::Damaged
    } else if report.findings.iter().any(|f| fail_on.fails(f.severity)) {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    }
}

/// Findings of one job, in report order.
pub(crate) fn findings_of(report: &Report, job_id: i64) -> impl Iterator<Item = &Finding> {
    report
        .index
        .findings
        .get(&job_id)
        .into_iter()
        .flatten()
        .map(|&i| &report.findings[i])
}

impl Report {
    /// The first job with this id (ids repeat only across stores).
    pub fn job(&self, job_id: i64) -> Option<&JobReport> {
        self.index
            .jobs
            .get(&job_id)
            .and_then(|v| v.first())
            .map(|&i| &self.jobs[i])
    }
}

/// Why the report is incomplete, in words for a banner: "some input was damaged" when bytes
/// broke off anywhere, else "some input holds no log record ddldiag recognises". `None` when
/// the report is complete.
pub fn incomplete_reason(report: &Report) -> Option<&'static str> {
    if !is_incomplete(report) {
        None
    } else if report
        .inputs
        .iter()
        .any(|i| i.damaged || i.files.iter().any(|f| !f.complete))
    {
        Some("some input was damaged")
    } else {
        Some("some input holds no log record ddldiag recognises")
    }
}

/// Everything that was lost, one line per damaged input or file, for banners.
pub(crate) fn damage_lines(report: &Report) -> Vec<String> {
    report.inputs.iter().flat_map(input_damage_lines).collect()
}

/// What was lost from one input: its error, then each file that stopped early.
pub(crate) fn input_damage_lines(i: &InputReport) -> Vec<String> {
    let mut out = Vec::new();
    if !i.complete {
        let what = i
            .error
            .as_deref()
            .unwrap_or("reading stopped early (no detail recorded)");
        out.push(format!("{}: {}", i.path, what));
    }
    for f in i.files.iter().filter(|f| !f.complete) {
        let upto = f
            .last_ts
            .as_ref()
            .map(|t| format!(", last time read {}", crate::model::rfc3339(t)))
            .unwrap_or_default();
        out.push(format!(
            "{}: read {} lines before stopping{}",
            f.name, f.lines, upto
        ));
    }
    out
}

/// Totals over every file read: (files, lines, bytes). The headers of the table and Markdown
/// renderers both show them.
pub fn read_totals(report: &Report) -> (usize, u64, u64) {
    let files = report.inputs.iter().flat_map(|i| &i.files);
    files.fold((0, 0, 0), |(n, l, b), f| (n + 1, l + f.lines, b + f.bytes))
}

impl Report {
    /// The cluster-wide fault windows (instance windows merged), which every renderer shows.
    pub fn cluster_windows(&self) -> Vec<&crate::fault::FaultWindowReport> {
        self.fault_windows
            .iter()
            .filter(|w| w.scope == "cluster")
            .collect()
    }
}

/// `"s"` unless `n` is 1, for counts in prose.
pub(crate) fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
