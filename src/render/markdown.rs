//! `--format markdown`: ready to paste into a GitHub issue.
//!
//! GitHub rejects issue bodies over 65,536 characters, so the document is kept under
//! [`MAX_CHARS`] (60,000, leaving room for the reporter's own words). The budget is spent in
//! order of value: header and completeness, the job table (at most [`MAX_JOB_ROWS`] rows), every
//! finding's text, then evidence lines finding by finding. Whatever does not fit is counted and
//! said explicitly ("… N more evidence lines omitted"), never dropped silently.
//!
//! Evidence goes in `<details>` blocks (collapsed: the issue stays readable) inside fenced code
//! blocks in `grep -n` form, `file:line: raw text`. The fence is longer than any backtick run in
//! the lines, so a log line cannot end it. Each line is cut at [`MAX_LINE_CHARS`].

use std::fmt::Write as _;

use crate::model::rfc3339;
use crate::report::{is_incomplete, Finding, Report, Severity};

/// Upper bound of the whole document, in characters (GitHub's limit is 65,536).
pub const MAX_CHARS: usize = 60_000;
/// Jobs listed in the table; the rest are counted.
pub const MAX_JOB_ROWS: usize = 100;
/// An evidence line longer than this is cut (the location still finds the full line).
pub const MAX_LINE_CHARS: usize = 1_000;
/// Evidence lines per finding; the rest are counted as omitted.
pub const MAX_EVIDENCE_PER_FINDING: usize = 20;
/// Room kept for the closing lines and the omission notes.
const RESERVE: usize = 1_000;

/// The Markdown document, with a trailing newline.
pub fn render(report: &Report) -> String {
    let mut doc = Doc {
        s: String::new(),
        chars: 0,
    };
    head(&mut doc, report);
    jobs(&mut doc, report);
    fault_windows(&mut doc, report);

    // Findings in report order (worst first), each with its evidence, until the budget runs
    // out. At most [`MAX_EVIDENCE_PER_FINDING`] lines each, so that one finding with thousands of
    // lines cannot crowd out the ones after it.
    let mut findings_omitted = 0usize;
    let mut evidence_omitted = 0usize;
    if !report.findings.is_empty() {
        doc.push(&format!("\n### Findings ({})\n", report.findings.len()));
    }
    for f in &report.findings {
        let head = finding_head(f);
        if findings_omitted > 0 || doc.chars + count(&head) + RESERVE > MAX_CHARS {
            findings_omitted += 1;
            evidence_omitted += f.evidence.len();
            continue;
        }
        doc.push(&head);
        let mut budget = MAX_CHARS.saturating_sub(doc.chars + RESERVE);
        let (block, omitted) = evidence_block(f, &mut budget);
        doc.push(&block);
        evidence_omitted += omitted;
    }

    if findings_omitted > 0 {
        doc.push(&format!(
            "\n> **… {findings_omitted} more findings omitted** to stay under GitHub's issue size limit; \
             run `ddldiag analyze --format json` for all of them.\n"
        ));
    }
    if evidence_omitted > 0 {
        doc.push(&format!(
            "\n> **… {evidence_omitted} more evidence lines omitted** to stay under GitHub's issue size limit; \
             run `ddldiag analyze --format json` for all of them.\n"
        ));
    }
    let c = &report.summary.findings;
    doc.push(&format!(
        "\n---\n<sub>{} {} · {} error, {} warning, {} info · exit {}{}</sub>\n",
        report.tool.name,
        report.tool.version,
        c.error,
        c.warning,
        c.info,
        report.summary.exit_code,
        if is_incomplete(report) {
            " · **report incomplete**"
        } else {
            ""
        }
    ));
    doc.s
}

struct Doc {
    s: String,
    chars: usize,
}

impl Doc {
    fn push(&mut self, t: &str) {
        self.chars += count(t);
        self.s.push_str(t);
    }
}

fn count(s: &str) -> usize {
    s.chars().count()
}

fn head(doc: &mut Doc, report: &Report) {
    let c = &report.summary.findings;
    let jobs = report.jobs.len();
    doc.push(&format!(
        "## ddldiag: {} error{}, {} warning{} in {} DDL job{}\n\n",
        c.error,
        s(c.error as usize),
        c.warning,
        s(c.warning as usize),
        jobs,
        s(jobs)
    ));
    if let Some(reason) = crate::report::incomplete_reason(report) {
        doc.push(&format!("> [!WARNING]\n> **INCOMPLETE**: {reason}; this report covers only what could be read.\n"));
        for l in crate::report::damage_lines(report) {
            doc.push(&format!("> - lost: {}\n", inline(&l, 500)));
        }
        doc.push("\n");
    }
    let mut meta = Vec::new();
    if let Some(v) = &report.summary.tidb_version {
        meta.push(format!("TiDB **{}**", inline(v, 100)));
    }
    let (files, lines, _) = crate::report::read_totals(report);
    meta.push(format!(
        "{} input{}, {} file{}, {} lines read",
        report.inputs.len(),
        s(report.inputs.len()),
        files,
        s(files),
        lines
    ));
    doc.push(&format!("{}\n\n", meta.join(" · ")));
    for (n, i) in report.inputs.iter().enumerate() {
        if n == 20 {
            doc.push(&format!("- … {} more inputs\n", report.inputs.len() - 20));
            break;
        }
        let state = if i.complete {
            "complete"
        } else {
            "**incomplete**"
        };
        doc.push(&format!(
            "- {} ({} file{}, {state})\n",
            code(&i.path),
            i.files.len(),
            s(i.files.len())
        ));
    }
}

fn jobs(doc: &mut Doc, report: &Report) {
    if report.jobs.is_empty() {
        doc.push("\nNo DDL jobs found in the logs.\n");
        return;
    }
    doc.push(&format!("\n### DDL jobs ({})\n\n", report.jobs.len()));
    doc.push("| Job | Type | Table | Outcome | First seen | Last seen | Max ErrCount | Instances | Findings |\n");
    doc.push("|---:|---|---|---|---|---|---:|---|---|\n");
    for j in report.jobs.iter().take(MAX_JOB_ROWS) {
        let rules: std::collections::BTreeSet<&str> = crate::report::findings_of(report, j.job_id)
            .map(|f| f.rule.as_str())
            .collect();
        doc.push(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            j.job_id,
            cell(j.job_type.as_deref().unwrap_or("?")),
            j.table.as_deref().map(code).unwrap_or_else(|| "?".into()),
            cell(j.outcome.as_str()),
            cell(j.first_seen.as_ref().map(rfc3339).as_deref().unwrap_or("-")),
            cell(j.last_seen.as_ref().map(rfc3339).as_deref().unwrap_or("-")),
            j.max_err_count,
            cell(&j.instances.join(", ")),
            cell(&rules.into_iter().collect::<Vec<_>>().join(" ")),
        ));
    }
    if report.jobs.len() > MAX_JOB_ROWS {
        doc.push(&format!(
            "\n… {} more jobs omitted.\n",
            report.jobs.len() - MAX_JOB_ROWS
        ));
    }
}

fn finding_head(f: &Finding) -> String {
    let sev = match f.severity {
        Severity::Error => "🔴 error",
        Severity::Warning => "🟠 warning",
        Severity::Info => "🔵 info",
    };
    let job = f.job_id.map(|j| format!(" · job {j}")).unwrap_or_default();
    let mut h = format!(
        "\n#### {sev} · {} `{}`{job}\n\n",
        inline(&f.rule, 50),
        inline(&f.name, 100).replace('`', "'")
    );
    let _ = writeln!(h, "**{}**\n", inline(&f.title, 2_000));
    if !f.explanation.is_empty() {
        let _ = writeln!(h, "{}\n", inline(&f.explanation, 4_000));
    }
    if !f.suggestion.is_empty() {
        let _ = writeln!(h, "**Suggestion:** {}\n", inline(&f.suggestion, 4_000));
    }
    if !f.known_issues.is_empty() {
        let links: Vec<String> = f.known_issues.iter().map(|k| inline(k, 200)).collect();
        let _ = writeln!(h, "**Known issues:** {}\n", links.join(", "));
    }
    if let Some(fc) = &f.fault_overlap {
        let _ = writeln!(h, "**Fault:** {}\n", inline(&fc.note, 1_000));
    }
    h
}

/// The cluster fault windows as a small table; nothing when there are none.
fn fault_windows(doc: &mut Doc, report: &Report) {
    let cluster = report.cluster_windows();
    if cluster.is_empty() {
        return;
    }
    doc.push(&format!("\n### Fault windows ({})\n\n", cluster.len()));
    doc.push("| Start | End | Instances | Signals |\n|---|---|---|---|\n");
    for w in cluster {
        let kinds = w.kinds_summary();
        doc.push(&format!(
            "| {} | {} | {} | {} |\n",
            cell(&rfc3339(&w.start)),
            cell(&rfc3339(&w.end)),
            cell(&w.instances.join(", ")),
            cell(&kinds)
        ));
    }
}

/// The `<details>` block with as many evidence lines as the budget allows; returns it and the
/// number of lines left out.
fn evidence_block(f: &Finding, budget: &mut usize) -> (String, usize) {
    if f.evidence.is_empty() {
        return (String::new(), 0);
    }
    let lines: Vec<String> = f
        .evidence
        .iter()
        .map(|e| {
            let text: String = e
                .text
                .chars()
                .map(|c| {
                    if c.is_control() && c != '\t' {
                        '�'
                    } else {
                        c
                    }
                })
                .collect();
            let cut = if count(&text) > MAX_LINE_CHARS {
                text.chars().take(MAX_LINE_CHARS).collect::<String>() + " …"
            } else {
                text
            };
            format!("{}:{}: {}\n", e.file, e.line, cut)
        })
        .collect();
    let longest_ticks = lines.iter().map(|l| max_run(l, '`')).max().unwrap_or(0);
    let fence = "`".repeat((longest_ticks + 1).max(3));
    let open = format!(
        "<details><summary>Evidence ({} line{})</summary>\n\n{fence}text\n",
        lines.len(),
        s(lines.len())
    );
    let close = format!("{fence}\n\n</details>\n");
    let frame = count(&open) + count(&close) + 60;
    if *budget < frame {
        return (String::new(), lines.len());
    }
    let mut body = String::new();
    let mut used = frame;
    let mut shown = 0;
    for l in lines.iter().take(MAX_EVIDENCE_PER_FINDING) {
        let n = count(l);
        if used + n > *budget {
            break;
        }
        body.push_str(l);
        used += n;
        shown += 1;
    }
    if shown == 0 {
        return (String::new(), lines.len());
    }
    *budget -= used;
    let omitted = lines.len() - shown;
    let mut out = open;
    out.push_str(&body);
    if omitted > 0 {
        let _ = writeln!(out, "… {omitted} more evidence lines omitted");
    }
    out.push_str(&close);
    (out, omitted)
}

fn max_run(s: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        if c == ch {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

/// Prose from the report, on one logical paragraph: newlines become spaces, control characters
/// go, HTML is neutralised (`<` would open tags in GitHub's renderer), and it is capped.
fn inline(t: &str, max: usize) -> String {
    let mut out = String::new();
    for c in t.chars().take(max) {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    if count(t) > max {
        out.push('…');
    }
    out
}

/// A table cell: inline text with `|` escaped.
fn cell(t: &str) -> String {
    inline(t, 200).replace('|', "\\|")
}

/// Inline code that survives backticks in the value, safe inside a table cell.
fn code(t: &str) -> String {
    let t: String = t
        .chars()
        .take(300)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let ticks = "`".repeat(max_run(&t, '`') + 1);
    let pad = if t.starts_with('`') || t.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{}{pad}{ticks}", t.replace('|', "\\|"))
}

fn s(n: usize) -> &'static str {
    crate::report::plural(n as u64)
}
