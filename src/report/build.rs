//! Building the report model from an analysis and its findings.

use super::{
    DistTaskReport, EventReport, FileReport, Finding, InputReport, JobError, JobReport,
    ReorgReport, Report, RuleDoc, Severity, SeverityCounts, Summary, TaskReport, Tool,
    SCHEMA_VERSION,
};
use crate::analyze::Analysis;
use crate::diagnosis::errclass;
use crate::diagnosis::Settings;
use crate::event::{Event, EventKind};
use crate::model::FailOn;
use crate::timeline::JobTimeline;

/// The whole judgement of an analysis: each job's facts ([`crate::diagnosis::diagnose`]), every
/// rule ([`crate::rules::run_all`]), and the report built from them ([`build_from`]). This is
/// what `analyze` and `diff` run; `settings.tidb_version` falls back to the version the logs show.
///
/// The analysis is consumed: each job's timeline is turned into its report entry and freed in
/// the same step, so the timelines and the report never both hold every job (with a million jobs
/// that was the run's peak memory, twice what either needs).
pub fn judge(analysis: Analysis, settings: Settings, fail_on: FailOn) -> Report {
    judge_drawing(analysis, settings, fail_on, Drawing::Picture)
}

/// Whether the report carries the picture ([`Report::picture`]): only the table, HTML and trace
/// renderers draw it, and its lanes are about a fifth of a million-job report's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drawing {
    Picture,
    /// `Report::picture` is left empty: for outputs that never draw it (JSON, SARIF, ...).
    NoPicture,
}

/// [`judge`], with the picture drawn or not.
pub fn judge_drawing(
    analysis: Analysis,
    mut settings: Settings,
    fail_on: FailOn,
    drawing: Drawing,
) -> Report {
    if let Some(logged) = analysis.timelines.cluster.tidb_version() {
        settings.tidb_version = Some(logged.to_string());
    }
    let tidb_version = settings.tidb_version.clone();
    let findings = {
        let facts =
            crate::diagnosis::diagnose(&analysis.timelines, &analysis.fault_windows, settings);
        crate::rules::run_all(&analysis.timelines, &facts)
    };
    build_from(analysis, findings, tidb_version, fail_on, drawing)
}

/// [`build_from`] for a caller that keeps the analysis: the jobs' report entries are copies.
pub fn build(
    analysis: &Analysis,
    findings: Vec<Finding>,
    tidb_version: Option<String>,
    fail_on: FailOn,
) -> Report {
    let picture = super::lanes::picture(analysis);
    let jobs = analysis
        .timelines
        .jobs
        .iter()
        .cloned()
        .map(job_report)
        .collect();
    assemble(analysis, jobs, findings, tidb_version, fail_on, picture)
}

/// Assembles the report, once: nothing changes it afterwards. `fail_on` decides its exit code.
pub fn build_from(
    mut analysis: Analysis,
    findings: Vec<Finding>,
    tidb_version: Option<String>,
    fail_on: FailOn,
    drawing: Drawing,
) -> Report {
    // Each job's lane is drawn from its timeline just before the timeline is consumed.
    let mut lanes = super::lanes::Lanes::default();
    let timelines = std::mem::take(&mut analysis.timelines.jobs);
    let mut jobs = Vec::with_capacity(timelines.len());
    for j in timelines {
        if drawing == Drawing::Picture {
            lanes.add(&j, &analysis.timelines.cluster);
        }
        jobs.push(job_report(j));
    }
    let picture = match drawing {
        Drawing::Picture => lanes.finish(&analysis),
        Drawing::NoPicture => super::lanes::Picture::default(),
    };
    assemble(&analysis, jobs, findings, tidb_version, fail_on, picture)
}

/// The report of `analysis`, with `jobs` its jobs' entries in order.
fn assemble(
    analysis: &Analysis,
    mut jobs: Vec<JobReport>,
    findings: Vec<Finding>,
    tidb_version: Option<String>,
    fail_on: FailOn,
    picture: super::lanes::Picture,
) -> Report {
    let fw = &analysis.fault_windows;
    let fault_windows: Vec<crate::fault::FaultWindowReport> = fw
        .instance
        .iter()
        .map(|w| crate::fault::report_window(w, "instance"))
        .chain(
            fw.cluster
                .iter()
                .map(|w| crate::fault::report_window(w, "cluster")),
        )
        .collect();
    let mut inputs: Vec<InputReport> = analysis
        .outcomes
        .iter()
        .map(|o| {
            let lost: Vec<&str> = o
                .usage
                .iter()
                .chain(&o.errors)
                .chain(&o.unrecognised)
                .map(String::as_str)
                .collect();
            InputReport {
                path: o.path.clone(),
                complete: o.complete,
                error: (!lost.is_empty()).then(|| lost.join("; ")),
                files: Vec::new(),
                skipped: o.skipped.clone(),
                unrecognised: o.unrecognised.clone(),
                damaged: !o.errors.is_empty() || o.usage.is_some(),
            }
        })
        .collect();
    for f in &analysis.files {
        let Some(input) = inputs.get_mut(f.meta.input_index) else {
            continue;
        };
        input.files.push(FileReport {
            name: f.meta.name.clone(),
            instance: f.meta.instance.clone(),
            kind: f.meta.kind,
            bytes: f.stats.bytes,
            lines: f.stats.lines,
            records: f.stats.records,
            continuations: f.stats.continuations,
            unparsed: f.stats.unparsed,
            truncated_lines: f.stats.truncated_lines,
            first_ts: f.stats.first_ts,
            last_ts: f.stats.last_ts,
            complete: f.error.is_none(),
        });
    }
    jobs.shrink_to_fit();
    let tasks: Vec<TaskReport> = analysis.timelines.tasks.iter().map(task_report).collect();
    let reorgs: Vec<ReorgReport> = analysis
        .timelines
        .anonymous_reorgs
        .iter()
        .map(|r| ReorgReport {
            instance: r.instance.clone(),
            lines: r.lines,
            first_rows: r.first_rows,
            last_rows: r.last_rows,
            first: r.first.clone(),
            last: r.last.clone(),
        })
        .collect();
    let mut counts = SeverityCounts::default();
    for f in &findings {
        match f.severity {
            Severity::Error => counts.error += 1,
            Severity::Warning => counts.warning += 1,
            Severity::Info => counts.info += 1,
        }
    }
    let index = super::ReportIndex::new(&jobs, &findings);
    let mut report = Report {
        index,
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "ddldiag".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        inputs,
        summary: Summary {
            jobs: jobs.len() as u64,
            findings: counts,
            exit_code: 0,
            complete: analysis.complete(),
            tidb_version,
            dropped: analysis
                .timelines
                .cluster
                .dropped
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
        },
        jobs,
        tasks,
        reorgs,
        findings,
        fault_windows,
        picture,
        events: std::sync::Arc::clone(&analysis.events),
        rules: crate::rules::all()
            .iter()
            .map(|r| RuleDoc::from(r.meta()))
            .collect(),
    };
    report.summary.exit_code = super::exit_code(&report, fail_on).code();
    report
}

/// One task as reported: errors classified.
pub fn task_report(t: &crate::timeline::TaskTimeline) -> TaskReport {
    TaskReport {
        task_id: t.task_id,
        task_key: t.task_key.clone(),
        task_type: t.task_type.clone(),
        job_id: t.job_id,
        state: t.state.clone(),
        steps: t.steps.clone(),
        errors: t.errors.iter().map(job_error).collect(),
        first_seen: t.first_seen,
        last_seen: t.last_seen,
        instances: t.instances.clone(),
        dropped: t.dropped.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    }
}

fn job_error(e: &crate::timeline::ErrorStat) -> JobError {
    let c = errclass::classify(&e.text);
    JobError {
        text: e.text.clone(),
        code: c.code,
        class: class_word(c.class).to_string(),
        count: e.count,
        first: e.first.ts,
        last: e.last.ts,
    }
}

/// One job as reported: errors classified, events folded. Takes the timeline so that its texts
/// move into the report rather than being copied.
pub fn job_report(job: JobTimeline) -> JobReport {
    JobReport {
        job_id: job.job_id,
        job_type: job.job_type,
        table: job.table,
        query: job.query.as_deref().map(str::to_string),
        outcome: job.outcome,
        first_seen: job.first_seen,
        last_seen: job.last_seen,
        max_err_count: job.max_err_count,
        errors: job.errors.iter().map(job_error).collect(),
        dist_task: job.dist_task.map(|t| DistTaskReport {
            task_id: t.task_id,
            task_key: t.task_key,
            reverted: t.reverted,
            not_resumable: t.not_resumable,
        }),
        instances: job.instances.iter().map(|i| i.to_string()).collect(),
        store: job.store.as_deref().map(str::to_string),
        backfill_mode: job.backfill_mode,
        rows: job.rows.as_ref().map(|(n, _)| *n),
        events: fold_events(job.events.iter().map(|e| &**e)),
        dropped: job
            .dropped
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
    }
}

fn class_word(c: errclass::ErrorClass) -> &'static str {
    match c {
        errclass::ErrorClass::Transient => "transient",
        errclass::ErrorClass::Permanent => "permanent",
        errclass::ErrorClass::Unknown => "unknown",
    }
}

/// Consecutive events of the same kind and summary become one row with a repeat count.
pub fn fold_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<EventReport> {
    let mut out: Vec<EventReport> = Vec::new();
    for ev in events {
        let summary = summarize(ev);
        if let Some(last) = out.last_mut() {
            if last.kind == ev.kind && last.summary == summary && *last.instance == *ev.instance {
                last.repeat += 1;
                continue;
            }
        }
        out.push(EventReport {
            kind: ev.kind,
            ts: ev.ts,
            instance: std::sync::Arc::clone(&ev.instance),
            summary,
            repeat: 1,
            evidence: ev.evidence.clone(),
        });
    }
    // Kept for the whole run, one per job: no doubling slack.
    out.shrink_to_fit();
    out
}

/// A short human description of an event.
pub fn summarize(ev: &Event) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(j) = &ev.job {
        let mut s = if ev.kind == EventKind::ConvertToRollback {
            // The conversion line still prints the state it converts from.
            format!("{} / {} → rollingback", j.state, j.schema_state)
        } else {
            format!("{} / {}", j.state, j.schema_state)
        };
        if let Some(n) = j.err_count.filter(|n| *n > 0) {
            s.push_str(&format!(", ErrCount {n}"));
        }
        parts.push(s);
    }
    match ev.kind {
        EventKind::TaskReverted
        | EventKind::TaskNotResumable
        | EventKind::TaskSubmitted
        | EventKind::CannotGetTask => {
            if let Some(k) = &ev.task_key {
                parts.push(format!("task {k}"));
            } else if let Some(t) = ev.task_id {
                parts.push(format!("task id {t}"));
            }
        }
        _ => {}
    }
    if let Some(r) = ev.rows {
        parts.push(format!("{r} rows"));
    }
    if let Some(d) = ev.detail.summary() {
        parts.push(d);
    }
    if let Some(e) = &ev.error {
        parts.push(format!("error: {e}"));
    }
    parts.join("; ")
}
