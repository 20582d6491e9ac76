//! `--format markdown`: ready to paste into a GitHub issue.
//!
//! GitHub rejects issue bodies over 65,536 characters, so the document is kept under
//! [`MAX_CHARS`] (60,000, leaving room for the reporter's own words). The budget is spent in
//! order of value: header and completeness (at most [`MAX_LOST_LINES`] damage lines), the job
//! table (at most [`MAX_JOB_ROWS`] rows and [`MAX_JOBS_CHARS`]), the fault windows (at most
//! [`MAX_WINDOW_ROWS`] rows and [`MAX_WINDOW_CHARS`]), every finding's text, then evidence lines
//! finding by finding. Whatever does not fit is counted and said explicitly ("… N more evidence
//! lines omitted"), never dropped silently.
//!
//! Text from the logs goes through [`escape`]: in inline code, or as prose with its Markdown
//! punctuation escaped, so a table name or an error message cannot become a link, an image, a
//! mention or emphasis in the pasted issue.
//!
//! Evidence goes in `<details>` blocks (collapsed: the issue stays readable) inside fenced code
//! blocks in `grep -n` form, `file:line: raw text`. The fence is longer than any backtick run in
//! the lines, so a log line cannot end it. Each line is cut at [`MAX_LINE_CHARS`].

use std::fmt::Write as _;

use crate::model::rfc3339;
use crate::render::escape;
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
/// Characters the job table may take; rows past it are counted.
pub const MAX_JOBS_CHARS: usize = 20_000;
/// Fault windows listed, and the characters their table may take: a flapping cluster has
/// thousands of windows, and they must not crowd out the findings.
pub const MAX_WINDOW_ROWS: usize = 50;
pub const MAX_WINDOW_CHARS: usize = 8_000;
/// Damage lines in the INCOMPLETE banner; the rest are counted.
pub const MAX_LOST_LINES: usize = 20;

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
        doc.push(&format!(
            "> [!WARNING]\n> **INCOMPLETE**: {}; this report covers only what could be read.\n",
            inline(reason, 500)
        ));
        let lost = crate::report::damage_lines(report);
        for l in lost.iter().take(MAX_LOST_LINES) {
            doc.push(&format!("> - lost: {}\n", inline(l, 500)));
        }
        if lost.len() > MAX_LOST_LINES {
            doc.push(&format!(
                "> - … {} more damaged inputs or files (`--format json` lists them)\n",
                lost.len() - MAX_LOST_LINES
            ));
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
    let start = doc.chars;
    let mut shown = 0usize;
    for j in report.jobs.iter().take(MAX_JOB_ROWS) {
        let rules: std::collections::BTreeSet<&str> = crate::report::findings_of(report, j.job_id)
            .map(|f| f.rule.as_str())
            .collect();
        let row = format!(
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
        );
        if doc.chars - start + count(&row) > MAX_JOBS_CHARS {
            break;
        }
        doc.push(&row);
        shown += 1;
    }
    if report.jobs.len() > shown {
        doc.push(&format!(
            "\n… {} more jobs omitted.\n",
            report.jobs.len() - shown
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
        "\n#### {sev} · {} {}{job}\n\n",
        inline(&f.rule, 50),
        code(&f.name)
    );
    // The finding's own issue references stay links; anything else that GitHub would link
    // is log text and is quoted.
    let trusted: Vec<&str> = f
        .known_issues
        .iter()
        .map(String::as_str)
        .filter(|k| is_issue_ref(k))
        .collect();
    let prose = |t: &str, max| {
        let mut out = escape::markdown_prose_trusting(&cap(t, max), &trusted);
        if count(t) > max {
            out.push('…');
        }
        out
    };
    let _ = writeln!(h, "**{}**\n", prose(&f.title, 2_000));
    if !f.explanation.is_empty() {
        let _ = writeln!(h, "{}\n", prose(&f.explanation, 4_000));
    }
    if !f.suggestion.is_empty() {
        let _ = writeln!(h, "**Suggestion:** {}\n", prose(&f.suggestion, 4_000));
    }
    if !f.known_issues.is_empty() {
        let links: Vec<String> = f.known_issues.iter().map(|k| issue_ref(k)).collect();
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
    let start = doc.chars;
    let mut shown = 0usize;
    for w in cluster.iter().take(MAX_WINDOW_ROWS) {
        let kinds = w.kinds_summary();
        let row = format!(
            "| {} | {} | {} | {} |\n",
            cell(&rfc3339(&w.start)),
            cell(&rfc3339(&w.end)),
            cell(&w.instances.join(", ")),
            cell(&kinds)
        );
        if doc.chars - start + count(&row) > MAX_WINDOW_CHARS {
            break;
        }
        doc.push(&row);
        shown += 1;
    }
    if cluster.len() > shown {
        doc.push(&format!(
            "\n… {} more fault windows omitted; `ddldiag analyze --format json` lists them.\n",
            cluster.len() - shown
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
            // Inside a fenced block nothing renders; control characters are made visible so
            // that none reaches the page, and a newline in a member name cannot end the fence.
            let text = escape::terminal(&e.text).into_owned();
            let cut = if count(&text) > MAX_LINE_CHARS {
                text.chars().take(MAX_LINE_CHARS).collect::<String>() + " …"
            } else {
                text
            };
            format!("{}:{}: {}\n", escape::terminal(&e.file), e.line, cut)
        })
        .collect();
    let longest_ticks = lines
        .iter()
        .map(|l| escape::max_run(l, '`'))
        .max()
        .unwrap_or(0);
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

/// Report text that may quote the logs, as one line of Markdown prose that renders as the text
/// itself ([`escape::markdown_prose`]), capped at `max` characters.
fn inline(t: &str, max: usize) -> String {
    let mut out = escape::markdown_prose(&cap(t, max));
    if count(t) > max {
        out.push('…');
    }
    out
}

/// The first `max` characters of `t`.
fn cap(t: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match t.char_indices().nth(max) {
        Some((i, _)) => std::borrow::Cow::Borrowed(&t[..i]),
        None => std::borrow::Cow::Borrowed(t),
    }
}

/// A table cell: inline prose (which escapes `|`).
fn cell(t: &str) -> String {
    inline(t, 200)
}

/// Inline code for a log-derived value, safe inside a table cell ([`escape::markdown_code`]).
fn code(t: &str) -> String {
    escape::markdown_code(&cap(t, 300))
}

/// A known-issue reference from ddldiag's own table (`pingcap/tidb#50417`), left for GitHub to
/// link; anything else in that field is quoted as code.
fn issue_ref(k: &str) -> String {
    if is_issue_ref(k) {
        k.to_string()
    } else {
        code(k)
    }
}

/// `owner/repo#123`, nothing else.
fn is_issue_ref(k: &str) -> bool {
    k.split_once('#').is_some_and(|(repo, n)| {
        !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && repo.split('/').count() == 2
            && repo
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'))
    })
}

fn s(n: usize) -> &'static str {
    crate::report::plural(n as u64)
}
