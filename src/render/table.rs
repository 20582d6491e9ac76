//! `--format table`: the terminal report, plus the `jobs`, `timeline` and inventory views.
//!
//! The seed case must read as one story on one screen (40 lines at 120 columns): what was read
//! (and whether all of it was), then each job's story told once ([`story`]: outcome, decisive
//! facts, one line per finding, the lines that prove it, the suggestion). So:
//!
//! * the `jobs` view and the inventory are comfy-table tables (many short columns), but the
//!   report's jobs are indented text blocks, because their substance is prose and long raw log
//!   lines that a table cell would wrap into an unreadable column;
//! * evidence is printed `grep -n --heading` style: the file name once, then `line: raw text`.
//!   Display names inside archives (`tidb-0.tar.gz!tidb-0/tidb.log`) are 30+ columns; repeating
//!   them on every line would leave too little room for the message, which is what the reader
//!   needs to see. The heading plus the line number is still `file:line`;
//! * with a known width, raw lines are cut at the terminal edge with `…` (they stay greppable:
//!   the location is exact) and at most [`story::JOB_EVIDENCE_LINES`] lines per job are shown
//!   ([`EVIDENCE_LINES`] per finding without a job); `verbose` shows every line in full;
//! * when every time in the report has the same UTC offset, times are shown without it and the
//!   header says which offset it is, which saves 6 columns in every time cell;
//! * colour (only when asked: the caller applies `--color`/NO_COLOR/TTY rules) marks severity
//!   words, outcomes and the INCOMPLETE banner; nothing else depends on it.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use comfy_table::{
    presets, Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, Table,
};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::event::Evidence;
use crate::model::{rfc3339, Timestamp};
use crate::render::escape;
use crate::report::{
    damage_lines, findings_of, is_incomplete, EventReport, Finding, JobReport, Report, Severity,
};

pub mod story;

/// Evidence lines shown per finding unless `verbose`.
pub const EVIDENCE_LINES: usize = 5;

/// How to lay out the terminal report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// Emit ANSI colour. The caller decides (`--color`, NO_COLOR, TTY); renderers never probe.
    pub color: bool,
    /// Terminal width. `None` (not a terminal): nothing is wrapped or cut.
    pub width: Option<u16>,
    /// Show every evidence line, uncut.
    pub verbose: bool,
}

/// The full report: header, completeness, jobs, findings with evidence, summary line.
pub fn render(report: &Report, opts: &TableOptions) -> String {
    let st = Style::new(report, opts);
    let mut out = String::new();
    header(&mut out, report, &st);
    out.push_str(&super::coverage::block(report, &|t| st.ts(t)));
    bounds(&mut out, report, &st);
    // A task that no job owns is a subject of its own (IMPORT INTO, task-only excerpts); a job's
    // task is already in the job's story.
    let own: Vec<&crate::report::TaskReport> = report
        .tasks
        .iter()
        .filter(|t| t.job_id.is_none_or(|id| report.job(id).is_none()))
        .collect();
    if !own.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "{}", st.bold(&format!("DXF tasks ({})", own.len())));
        out.push_str(&tasks_table(&own, &st).to_string());
        out.push('\n');
    }
    for r in &report.reorgs {
        let _ = writeln!(
            out,
            "A reorg is in progress on {} that no job string names: {} row{} at {}{} ({} `run reorg job` line{}).",
            esc(&r.instance),
            r.last_rows,
            plural(r.last_rows as usize),
            st.ts(r.last.ts.as_ref()),
            if r.lines > 1 {
                format!(", {} rows at {}", r.first_rows, st.ts(r.first.ts.as_ref()))
            } else {
                String::new()
            },
            r.lines,
            plural(r.lines as usize)
        );
    }
    out.push('\n');
    fault_windows(&mut out, report, &st);
    story::jobs(&mut out, report, &st);
    out.push('\n');
    summary_line(&mut out, report, &st);
    out
}

/// `ddldiag jobs`: one row per job, with the completeness banner when it applies.
pub fn render_jobs(report: &Report, opts: &TableOptions) -> String {
    let st = Style::new(report, opts);
    let mut out = String::new();
    banner(&mut out, report, &st);
    if report.jobs.is_empty() {
        out.push_str("No DDL jobs found in the logs.\n");
        return out;
    }
    out.push_str(&jobs_table(report, &st, true).to_string());
    out.push('\n');
    let _ = writeln!(
        out,
        "{} job{}{}",
        report.jobs.len(),
        plural(report.jobs.len()),
        st.offset_note()
    );
    out
}

/// Per-file inventory: what was read from where, and how much of it parsed.
pub fn render_inventory(report: &Report, opts: &TableOptions) -> String {
    let st = Style::new(report, opts);
    let mut out = String::new();
    banner(&mut out, report, &st);
    // The file name is the one long value: it shares its cell with the instance and kind so
    // that the numeric columns never wrap, and only the name does.
    let mut t = st.table();
    t.set_header(vec![
        "File (instance, kind)",
        "Bytes",
        "Lines",
        "Records",
        "Cont.",
        "Unparsed",
        "First ts",
        "Last ts",
    ]);
    for c in 1..=7 {
        if let Some(col) = t.column_mut(c) {
            if c <= 5 {
                col.set_cell_alignment(CellAlignment::Right);
            }
            col.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    let mut files = 0usize;
    for input in &report.inputs {
        for f in &input.files {
            files += 1;
            let mut name = format!(
                "{}\n({}, {})",
                esc(&f.name),
                esc(&f.instance),
                kind_word(&f.kind)
            );
            if !f.complete {
                name.push_str(" INCOMPLETE");
            }
            let name_cell = if f.complete {
                Cell::new(name)
            } else {
                st.cell_fg(name, Color::Red)
            };
            t.add_row(vec![
                name_cell,
                Cell::new(f.bytes),
                Cell::new(f.lines),
                Cell::new(f.records),
                Cell::new(f.continuations),
                Cell::new(f.unparsed),
                Cell::new(st.ts(f.first_ts.as_ref())),
                Cell::new(st.ts(f.last_ts.as_ref())),
            ]);
        }
    }
    if files == 0 {
        out.push_str("No files were read.\n");
    } else {
        out.push_str(&t.to_string());
        out.push('\n');
    }
    for input in &report.inputs {
        for s in &input.skipped {
            let _ = writeln!(out, "skipped in {}: {}", esc(&input.path), esc(s));
        }
    }
    let _ = writeln!(
        out,
        "{} input{}, {} file{}{}",
        report.inputs.len(),
        plural(report.inputs.len()),
        files,
        plural(files),
        st.offset_note()
    );
    out
}

/// `ddldiag timeline --job ID`: one job's events in order, repeats folded (`×510`).
///
/// The model already folds repeats ([`EventReport::repeat`]); consecutive rows that are still
/// identical (same kind, instance and summary) are folded again here, so a timeline never shows
/// the same line 500 times whatever the builder did.
pub fn render_timeline(job: &JobReport, opts: &TableOptions) -> String {
    let st = Style::for_times(job_times(job), opts);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        st.bold(&format!(
            "Job {} {} on {}: {}, max ErrCount {}",
            job.job_id,
            esc(job.job_type.as_deref().unwrap_or("(unknown type)")),
            esc(job.table.as_deref().unwrap_or("(unknown table)")),
            esc(job.outcome.as_str()),
            job.max_err_count
        ))
    );
    if let Some(q) = &job.query {
        let _ = writeln!(out, "Query: {}", esc(q));
    }
    if let Some(dt) = &job.dist_task {
        let _ = writeln!(
            out,
            "DXF task: {} {} (reverted {}, not resumable {})",
            dt.task_id
                .map(|i| i.to_string())
                .unwrap_or_else(|| "?".into()),
            esc(dt.task_key.as_deref().unwrap_or("")),
            dt.reverted,
            dt.not_resumable
        );
    }
    let folded = fold(&job.events);
    if folded.is_empty() {
        out.push_str("No events.\n");
        return out;
    }
    // Each instance usually has one log file per job: then the file is named once, below the
    // table, and the last column holds only the line number.
    let mut files_of: std::collections::BTreeMap<&str, BTreeSet<&str>> = Default::default();
    for (e, _) in &folded {
        files_of
            .entry(&e.instance)
            .or_default()
            .insert(&e.evidence.file);
    }
    let one_file = files_of.values().all(|f| f.len() == 1);
    let mut t = st.table();
    t.set_header(vec![
        "Time",
        "Instance",
        "Event",
        "Summary",
        "×",
        if one_file { "Line" } else { "Where" },
    ]);
    if let Some(col) = t.column_mut(4) {
        col.set_cell_alignment(CellAlignment::Right);
    }
    for c in [0, 2, 4, 5] {
        if let Some(col) = t.column_mut(c) {
            col.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    for (e, repeat) in &folded {
        let mut summary = esc(&e.summary).into_owned();
        if st.verbose {
            summary.push('\n');
            summary.push_str(&esc(&e.evidence.text));
        }
        t.add_row(vec![
            Cell::new(st.ts(e.ts.as_ref())),
            Cell::new(esc(&e.instance)),
            Cell::new(kind_word(&e.kind)),
            Cell::new(summary),
            Cell::new(if *repeat > 1 {
                format!("×{repeat}")
            } else {
                String::new()
            }),
            Cell::new(if one_file {
                e.evidence.line.to_string()
            } else {
                format!("{}:{}", esc(&e.evidence.file), e.evidence.line)
            }),
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    if one_file {
        for (instance, files) in &files_of {
            for f in files {
                let _ = writeln!(out, "{}: lines of {}", esc(instance), esc(f));
            }
        }
    }
    let total: u64 = folded.iter().map(|(_, n)| n).sum();
    let _ = writeln!(
        out,
        "{} events in {} rows{}",
        total,
        folded.len(),
        st.offset_note()
    );
    out
}

/// Consecutive identical events folded into one row with the summed repeat count.
fn fold(events: &[EventReport]) -> Vec<(&EventReport, u64)> {
    let mut out: Vec<(&EventReport, u64)> = Vec::new();
    for e in events {
        match out.last_mut() {
            Some((prev, n))
                if prev.kind == e.kind
                    && prev.instance == e.instance
                    && prev.summary == e.summary =>
            {
                *n += e.repeat.max(1);
            }
            _ => out.push((e, e.repeat.max(1))),
        }
    }
    out
}

fn header(out: &mut String, report: &Report, st: &Style) {
    let (files, lines, bytes) = crate::report::read_totals(report);
    let mut head = format!("{} {}", report.tool.name, report.tool.version);
    if let Some(v) = &report.summary.tidb_version {
        let _ = write!(head, " · TiDB {}", esc(v));
    }
    let _ = writeln!(out, "{}", st.bold(&head));
    let _ = writeln!(
        out,
        "Read {} input{}, {} file{}, {} lines ({}){}",
        report.inputs.len(),
        plural(report.inputs.len()),
        files,
        plural(files),
        lines,
        human_bytes(bytes),
        st.offset_note()
    );
    for i in &report.inputs {
        let state = if i.complete {
            "complete".to_string()
        } else {
            st.paint("INCOMPLETE", "1;31")
        };
        let _ = writeln!(
            out,
            "  {} ({} file{}, {})",
            esc(&i.path),
            i.files.len(),
            plural(i.files.len()),
            state
        );
    }
    banner(out, report, st);
}

/// The INCOMPLETE banner: never let a partial report look like a clean one.
fn banner(out: &mut String, report: &Report, st: &Style) {
    let Some(reason) = crate::report::incomplete_reason(report) else {
        return;
    };
    let _ = writeln!(
        out,
        "{}",
        st.paint(
            &format!("INCOMPLETE: {reason}; this report covers only what could be read."),
            "1;31"
        )
    );
    for l in damage_lines(report) {
        out.push_str(&st.wrap(&format!("lost: {}", esc(&l)), "  ", "    "));
    }
}

/// The DXF tasks no job owns.
fn tasks_table(tasks: &[&crate::report::TaskReport], st: &Style) -> Table {
    let mut t = st.table();
    t.set_header(vec![
        "Task",
        "Type",
        "Job",
        "State",
        "First seen",
        "Last seen",
        "Errors",
    ]);
    for task in tasks {
        let name = match (&task.task_key, task.task_id) {
            (Some(k), Some(id)) => format!("{k} (id {id})"),
            (Some(k), None) => k.clone(),
            (None, Some(id)) => format!("id {id}"),
            (None, None) => "-".to_string(),
        };
        let errors = task
            .errors
            .iter()
            .take(2)
            .map(|e| format!("{} ×{}", truncate(&e.text, 60), e.count))
            .collect::<Vec<_>>()
            .join("; ");
        t.add_row(vec![
            Cell::new(truncate(&name, usize::MAX)),
            Cell::new(truncate(
                task.task_type.as_deref().unwrap_or("-"),
                usize::MAX,
            )),
            Cell::new(task.job_id.map_or("-".to_string(), |j| j.to_string())),
            Cell::new(truncate(task.state.as_deref().unwrap_or("-"), usize::MAX)),
            Cell::new(st.ts(task.first_seen.as_ref())),
            Cell::new(st.ts(task.last_seen.as_ref())),
            Cell::new(truncate(
                if errors.is_empty() { "-" } else { &errors },
                usize::MAX,
            )),
        ]);
    }
    t
}

/// The jobs table of the `jobs` view. `rules` adds a column with the rule codes that fired for
/// each job.
fn jobs_table(report: &Report, st: &Style, rules: bool) -> Table {
    let mut t = st.table();
    let mut head = vec![
        "Job",
        "Type",
        "Table",
        "Outcome",
        "First seen",
        "Last seen",
        "ErrCount",
        "Instances",
    ];
    if rules {
        head.push("Rules");
    }
    t.set_header(head);
    for c in [0, 6] {
        if let Some(col) = t.column_mut(c) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    // Ids, outcomes, times and counts are unreadable when wrapped; names and lists wrap fine.
    for c in [0, 3, 4, 5, 6] {
        if let Some(col) = t.column_mut(c) {
            col.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    // Headers must not break inside a word ("Instan/ces"): give the wrapping columns at least
    // their header's width.
    for (c, w) in [(1, 5), (2, 7), (7, 9)] {
        if let Some(col) = t.column_mut(c) {
            col.set_constraint(ColumnConstraint::LowerBoundary(comfy_table::Width::Fixed(
                w + 2,
            )));
        }
    }
    // Rule codes are six characters: one per line is narrow and still readable.
    if let Some(col) = t.column_mut(8) {
        col.set_constraint(ColumnConstraint::Absolute(comfy_table::Width::Fixed(8)));
    }
    for j in &report.jobs {
        let mut row = vec![
            Cell::new(j.job_id),
            Cell::new(esc(j.job_type.as_deref().unwrap_or("?"))),
            Cell::new(esc(j.table.as_deref().unwrap_or("?"))),
            st.cell_fg(
                esc(j.outcome.as_str()).into_owned(),
                outcome_color(j.outcome.as_str()),
            ),
            Cell::new(st.ts(j.first_seen.as_ref())),
            Cell::new(st.ts(j.last_seen.as_ref())),
            Cell::new(j.max_err_count),
            Cell::new(esc(&j.instances.join(", "))),
        ];
        if rules {
            let codes: BTreeSet<&str> = findings_of(report, j.job_id)
                .map(|f| f.rule.as_str())
                .collect();
            let codes = codes.into_iter().collect::<Vec<_>>().join(" ");
            row.push(Cell::new(if codes.is_empty() {
                "-".to_string()
            } else {
                codes
            }));
        }
        t.add_row(row);
    }
    t
}

pub(super) fn outcome_color(outcome: &str) -> Color {
    match outcome {
        "synced" | "done" => Color::Green,
        o if o.contains("rollback") || o.contains("cancel") || o.contains("fail") => Color::Red,
        _ => Color::Yellow,
    }
}

pub(super) fn finding(out: &mut String, f: &Finding, st: &Style) {
    let sev = match f.severity {
        Severity::Error => st.paint("ERROR", "1;31"),
        Severity::Warning => st.paint("WARNING", "1;33"),
        Severity::Info => st.paint("INFO", "1;36"),
    };
    let job = f.job_id.map(|j| format!(" · job {j}")).unwrap_or_default();
    let _ = writeln!(
        out,
        "{sev} {} {}{job}",
        st.bold(&esc(&f.rule)),
        esc(&f.name)
    );
    out.push_str(&st.wrap(&st.bold(&esc(&f.title)), "  ", "  "));
    if !f.explanation.is_empty() {
        out.push_str(&st.wrap(&esc(&f.explanation), "  ", "  "));
    }
    if !f.suggestion.is_empty() {
        out.push_str(&st.wrap(&format!("→ {}", esc(&f.suggestion)), "  ", "    "));
    }
    if !f.known_issues.is_empty() {
        out.push_str(&st.wrap(
            &format!("Known issues: {}", esc(&f.known_issues.join(", "))),
            "  ",
            "    ",
        ));
    }
    if let Some(fc) = &f.fault_overlap {
        out.push_str(&st.wrap(&format!("Fault: {}", esc(&fc.note)), "  ", "    "));
    }
    evidence(out, &f.evidence, st);
}

/// What the memory bounds left out, so that a count that looks small is known to be capped;
/// nothing when nothing was (every real bundle).
fn bounds(out: &mut String, report: &Report, st: &Style) {
    let mut lines: Vec<String> = report
        .summary
        .dropped
        .iter()
        .map(|(what, n)| format!("cluster: {n} {}", what.replace('_', " ")))
        .collect();
    let jobs: Vec<&JobReport> = report
        .jobs
        .iter()
        .filter(|j| !j.dropped.is_empty())
        .collect();
    for j in jobs.iter().take(5) {
        let parts: Vec<String> = j
            .dropped
            .iter()
            .map(|(w, n)| format!("{n} {}", w.replace('_', " ")))
            .collect();
        lines.push(format!("job {}: {}", j.job_id, parts.join(", ")));
    }
    if jobs.len() > 5 {
        lines.push(format!("… and {} more jobs", jobs.len() - 5));
    }
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        st.bold("Bounded (more than a real job logs; left out and counted):")
    );
    for l in lines {
        out.push_str(&st.wrap(&esc(&l), "  ", "    "));
    }
}

/// Cluster fault windows, one line each; nothing at all when there are none.
fn fault_windows(out: &mut String, report: &Report, st: &Style) {
    let cluster = report.cluster_windows();
    if cluster.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        st.bold(&format!("Fault windows ({})", cluster.len()))
    );
    for w in cluster {
        let kinds = w.kinds_summary();
        let line = format!(
            "{} – {} ({}) on {}: {}",
            st.ts(Some(&w.start)),
            st.ts(Some(&w.end)),
            crate::fault::human_duration(w.duration_secs.round() as i64),
            esc(&w.instances.join(", ")),
            kinds
        );
        out.push_str(&st.wrap(&line, "  ", "    "));
    }
    out.push('\n');
}

pub(super) fn evidence(out: &mut String, ev: &[Evidence], st: &Style) {
    if ev.is_empty() {
        return;
    }
    let shown = if st.verbose {
        ev.len()
    } else {
        ev.len().min(EVIDENCE_LINES)
    };
    let num_w = ev[..shown]
        .iter()
        .map(|e| e.line.to_string().len())
        .max()
        .unwrap_or(1);
    let mut last_file: Option<&str> = None;
    for e in &ev[..shown] {
        if last_file != Some(&*e.file) {
            let _ = writeln!(out, "  {}", st.paint(&esc(&e.file), "2"));
            last_file = Some(&e.file);
        }
        let prefix = format!("    {:>num_w$}: ", e.line);
        let text = esc(&e.text);
        let text = match (st.verbose, st.width) {
            (false, Some(w)) => truncate(&text, w.saturating_sub(prefix.len())),
            _ => text.into_owned(),
        };
        let _ = writeln!(out, "{prefix}{text}");
    }
    if shown < ev.len() {
        let _ = writeln!(
            out,
            "    … {} more evidence lines (--verbose shows all)",
            ev.len() - shown
        );
    }
}

fn summary_line(out: &mut String, report: &Report, st: &Style) {
    let c = &report.summary.findings;
    let total = c.error + c.warning + c.info;
    let mut s = format!(
        "Summary: {} job{}, {} finding{} ({} error, {} warning, {} info)",
        report.summary.jobs,
        plural(report.summary.jobs as usize),
        total,
        plural(total as usize),
        c.error,
        c.warning,
        c.info
    );
    if is_incomplete(report) {
        s.push_str(", INCOMPLETE input");
    }
    let _ = write!(s, " → exit {}", report.summary.exit_code);
    let _ = writeln!(out, "{}", st.bold(&s));
}

/// Layout decisions shared by every view.
pub(super) struct Style {
    color: bool,
    pub(super) width: Option<usize>,
    pub(super) verbose: bool,
    /// `Some("+08:00")` when every time shown has this offset, so cells can drop it.
    common_offset: Option<String>,
    /// `Some("2024-01-13")` when, besides, every time is on this date: cells show the time only.
    common_date: Option<String>,
}

impl Style {
    fn new(report: &Report, opts: &TableOptions) -> Style {
        let times = report
            .jobs
            .iter()
            .flat_map(job_times)
            .chain(
                report
                    .inputs
                    .iter()
                    .flat_map(|i| &i.files)
                    .flat_map(|f| [f.first_ts, f.last_ts]),
            )
            .collect::<Vec<_>>();
        Style::for_times(times, opts)
    }

    fn for_times(times: Vec<Option<Timestamp>>, opts: &TableOptions) -> Style {
        let times: Vec<Option<String>> = times.iter().map(|t| t.as_ref().map(rfc3339)).collect();
        let offsets: BTreeSet<&str> = times
            .iter()
            .flatten()
            .filter_map(|t| split_offset(t).map(|(_, o)| o))
            .collect();
        let common_offset =
            (offsets.len() == 1).then(|| offsets.into_iter().next().unwrap().to_string());
        let dates: BTreeSet<&str> = times.iter().flatten().filter_map(|t| t.get(..10)).collect();
        let common_date = (common_offset.is_some() && dates.len() == 1)
            .then(|| dates.into_iter().next().unwrap().to_string());
        Style {
            color: opts.color,
            width: opts.width.map(usize::from),
            verbose: opts.verbose,
            common_offset,
            common_date,
        }
    }

    pub(super) fn offset_note(&self) -> String {
        match (&self.common_date, &self.common_offset) {
            (Some(d), Some(o)) => format!("; times are {d} {o}"),
            (None, Some(o)) => format!("; times are {o}"),
            _ => String::new(),
        }
    }

    /// `2024-01-13T19:21:09.480+08:00` → `19:21:09.480` when the date and offset are common to
    /// the whole view (and said once in its header), else `2024-01-13 19:21:09.480` when only the
    /// offset is, else the RFC 3339 text with a space for the `T`.
    pub(super) fn ts(&self, ts: Option<&Timestamp>) -> String {
        let Some(ts) = ts else { return "-".into() };
        let ts = &rfc3339(ts);
        let shown = match (split_offset(ts), &self.common_offset) {
            (Some((base, off)), Some(common)) if off == common => base,
            _ => ts,
        };
        match (&self.common_date, shown.get(..11)) {
            (Some(d), Some(head)) if head.starts_with(d.as_str()) && shown != ts => {
                shown[11..].to_string()
            }
            _ => shown.replacen('T', " ", 1),
        }
    }

    fn table(&self) -> Table {
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED).force_no_tty();
        if self.color {
            t.enforce_styling();
        }
        if let Some(w) = self.width {
            t.set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(w.min(u16::MAX as usize) as u16);
        }
        t
    }

    fn cell_fg(&self, text: String, c: Color) -> Cell {
        let cell = Cell::new(text);
        if self.color {
            cell.fg(c).add_attribute(Attribute::Bold)
        } else {
            cell
        }
    }

    pub(super) fn paint(&self, s: &str, sgr: &str) -> String {
        if self.color {
            format!("\x1b[{sgr}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub(super) fn bold(&self, s: &str) -> String {
        self.paint(s, "1")
    }

    /// Word-wraps `text` to the width (no wrapping without one), first line after `first`, the
    /// rest after `rest`. Always ends with a newline.
    ///
    /// textwrap measures display width (wide characters, and none for the ANSI colour this
    /// module adds), never splits at a hyphen (`dist-task-reverted-…` is a name), and breaks a
    /// word only when it alone is wider than the line (a long SQL literal).
    pub(super) fn wrap(&self, text: &str, first: &str, rest: &str) -> String {
        let Some(width) = self.width else {
            return format!("{first}{text}\n");
        };
        let opts = textwrap::Options::new(width.max(rest.len() + 20))
            .initial_indent(first)
            .subsequent_indent(rest)
            .word_splitter(textwrap::WordSplitter::NoHyphenation)
            .break_words(true);
        let mut out = textwrap::fill(text, opts);
        out.push('\n');
        out
    }
}

fn job_times(job: &JobReport) -> Vec<Option<Timestamp>> {
    let mut v = vec![job.first_seen, job.last_seen];
    v.extend(job.events.iter().map(|e| e.ts));
    v
}

/// Splits `…+08:00` / `…Z` into the local time and the offset.
fn split_offset(ts: &str) -> Option<(&str, &str)> {
    if let Some(base) = ts.strip_suffix('Z') {
        return Some((base, "Z"));
    }
    let b = ts.as_bytes();
    if b.len() > 6 && matches!(b[b.len() - 6], b'+' | b'-') && b[b.len() - 3] == b':' {
        let (base, off) = ts.split_at(ts.len() - 6);
        return Some((base, off));
    }
    None
}

/// Cuts `s` to at most `max` display columns, ending with `…` when cut, after making its
/// control characters visible ([`esc`]; idempotent, so escaped text may be passed again).
pub(crate) fn truncate(s: &str, max: usize) -> String {
    let s = esc(s);
    if s.width() <= max {
        return s.into_owned();
    }
    let mut out = String::new();
    let mut w = 0;
    let budget = max.saturating_sub(1);
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > budget {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// A log-derived value, for the terminal ([`escape::terminal`]).
pub(super) fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    escape::terminal(s)
}

fn kind_word<T: serde::Serialize>(kind: &T) -> String {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".into(),
    }
}

pub(super) fn plural(n: usize) -> &'static str {
    crate::report::plural(n as u64)
}

fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_respects_width_and_controls() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(truncate(&esc("a\x1b[2Jb"), 10), "a\\x1b[2Jb");
        assert_eq!(truncate("表表表", 4), "表…");
    }
}
