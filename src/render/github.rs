//! `--format github`: GitHub Actions workflow commands, one annotation per finding.
//!
//! `::error file=…,line=…,title=…::message` (peers-and-conventions §5.2). GitHub shows at most
//! [`MAX_PER_LEVEL`] error and as many warning annotations per step and drops the rest
//! silently, so ddldiag writes no more than that of each itself, the most severe first (the
//! report's order), and says in a final `::notice` how many it left out and where the rest is
//! (the step summary, when `$GITHUB_STEP_SUMMARY` is set, gets the whole Markdown report:
//! [`append_step_summary`]). Annotations never fail a job; the exit code does.
//!
//! Escaping follows the runner's rules (actions/toolkit `command.ts`): in the message `%`, CR
//! and LF become `%25`, `%0D`, `%0A`; in a property value `:` and `,` also become `%3A` and
//! `%2C`. Before that, log-derived text goes through [`escape::terminal`], since the runner's
//! log is a terminal too: no control character of a log line reaches it, and a newline in a
//! log value cannot start a second workflow command.
//!
//! `file=` and `line=` are given only when the first evidence line is in a plain file (a path
//! the workspace may hold): for an archive member (`bundle.tar.gz!tidb-0/tidb.log`) no
//! workspace file has that line, so the location goes into the message instead.

use std::fmt::Write as _;
use std::io::Write as _;

use crate::render::escape;
use crate::report::{is_incomplete, Finding, Report, Severity};

/// Annotations GitHub shows per level and step.
pub const MAX_PER_LEVEL: usize = 10;

/// Evidence lines named in one annotation's message.
const EVIDENCE_IN_MESSAGE: usize = 3;

/// The message part of a workflow command: `%`, CR, LF escaped.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value (`file=`, `title=`): as [`escape_data`], and `:` and `,` too.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A log-derived value made safe for the runner's log ([`escape::terminal`]).
fn value(s: &str) -> String {
    escape::terminal(s).into_owned()
}

/// The workflow commands, one per line, with a trailing newline.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let mut errors = 0usize;
    let mut warnings = 0usize;
    let mut notices = 0usize;
    let mut left_out = 0usize;
    // Lost input first: a verdict on part of the logs must be the first thing a reader sees.
    for l in crate::report::damage_lines(report) {
        if errors < MAX_PER_LEVEL {
            errors += 1;
            let _ = writeln!(
                out,
                "::error title={}::{}",
                escape_property("ddldiag: incomplete input"),
                escape_data(&value(&l))
            );
        } else {
            left_out += 1;
        }
    }
    for f in &report.findings {
        let (command, used) = match f.severity {
            Severity::Error => ("error", &mut errors),
            Severity::Warning => ("warning", &mut warnings),
            // One notice is kept for the closing summary.
            Severity::Info => ("notice", &mut notices),
        };
        let cap = if f.severity == Severity::Info {
            MAX_PER_LEVEL - 1
        } else {
            MAX_PER_LEVEL
        };
        if *used >= cap {
            left_out += 1;
            continue;
        }
        *used += 1;
        out.push_str(&annotation(command, f));
    }
    let c = &report.summary.findings;
    let mut summary = format!(
        "ddldiag: {} job{}, {} error, {} warning, {} info finding{}",
        report.summary.jobs,
        crate::report::plural(report.summary.jobs),
        c.error,
        c.warning,
        c.info,
        crate::report::plural(c.error + c.warning + c.info),
    );
    if is_incomplete(report) {
        summary.push_str(", INCOMPLETE input");
    }
    let _ = write!(summary, " → exit {}.", report.summary.exit_code);
    if left_out > 0 {
        let _ = write!(
            summary,
            " {left_out} more not annotated (GitHub shows {MAX_PER_LEVEL} per level and step): \
             see the job summary or the JSON report."
        );
    }
    let _ = writeln!(
        out,
        "::notice title={}::{}",
        escape_property("ddldiag summary"),
        escape_data(&summary)
    );
    out
}

fn annotation(command: &str, f: &Finding) -> String {
    let mut props = Vec::new();
    let first = f.evidence.first();
    if let Some(e) = first.filter(|e| !e.file.contains('!')) {
        props.push(format!("file={}", escape_property(&value(&e.file))));
        props.push(format!("line={}", e.line.max(1)));
    }
    let job = f.job_id.map(|j| format!(" · job {j}")).unwrap_or_default();
    props.push(format!(
        "title={}",
        escape_property(&value(&format!("{} {}{job}", f.rule, f.name)))
    ));
    let mut msg = vec![value(&f.title)];
    if let Some(fc) = &f.fault_overlap {
        msg.push(format!("Fault: {}", value(&fc.note)));
    }
    for e in f.evidence.iter().take(EVIDENCE_IN_MESSAGE) {
        msg.push(format!("{}:{}", value(&e.file), e.line));
    }
    if f.evidence.len() > EVIDENCE_IN_MESSAGE {
        msg.push(format!(
            "… {} more evidence lines in the report",
            f.evidence.len() - EVIDENCE_IN_MESSAGE
        ));
    }
    if !f.suggestion.is_empty() {
        msg.push(format!("→ {}", value(&f.suggestion)));
    }
    format!(
        "::{command} {}::{}\n",
        props.join(","),
        escape_data(&msg.join("\n"))
    )
}

/// Appends the whole Markdown report to the step summary file GitHub names in
/// `$GITHUB_STEP_SUMMARY` (the annotations carry only the first findings). Appended, never
/// replaced: earlier steps' summaries are in the same file.
pub fn append_step_summary(report: &Report, path: &std::path::Path) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let md = crate::render::markdown::render(report);
    f.write_all(md.as_bytes())?;
    f.write_all(b"\n")?;
    f.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_runner() {
        assert_eq!(escape_data("50% a\r\nb:c,d"), "50%25 a%0D%0Ab:c,d");
        assert_eq!(escape_property("50% a\nb:c,d"), "50%25 a%0Ab%3Ac%2Cd");
    }
}
