//! `--format junit`: JUnit XML for CI test reports (GitLab, Jenkins, GitHub test reporters).
//!
//! Shape: `<testsuites name tests failures errors time><testsuite name="ddldiag" tests failures
//! errors skipped time>` (the Jenkins/Surefire xsd, vendored in `tests/schemas/`, has no
//! `testsuites@skipped`) with
//!
//! * one `<testcase classname="ddldiag.job" name="<type> on <table>: <query>">` per job
//!   ([`test_name`]: no job id, so CI history follows the test across runs), with a
//!   `<failure message type>` listing its findings and their evidence when one of them is at or
//!   above the `--fail-on` threshold (findings below it go to `<system-out>`, visible but green);
//! * one `<testcase classname="ddldiag.input" name="input <path>">` per input, with an `<error>`
//!   when the input was damaged, because "we could not read everything" is not a test failure of
//!   the cluster but of the run itself, which is what JUnit's `error` means;
//! * one `<testcase classname="ddldiag.cluster" name="findings without a job">` only when some
//!   finding has no job.
//!
//! The XML is written by hand with a small escaper instead of `quick-junit`/`quick-xml`:
//! quick-junit 0.8 always writes `testsuites@skipped`, which the Jenkins xsd rejects; the
//! shape is fixed and tiny, the only hard part is escaping, and raw log lines can hold bytes that
//! XML 1.0 forbids even as character references (NUL, ESC...). [`escape`] maps those to U+FFFD,
//! which a dependency would not do for us either. `time` is `0`: no wall-clock time enters the
//! report, so the output stays reproducible.

use std::fmt::Write as _;

use crate::report::{FailOn, Finding, Report};

/// Escapes text for XML 1.0 content and attribute values: `& < > " '` as entities, characters
/// XML 1.0 forbids (C0 controls but tab/LF/CR, U+FFFE, U+FFFF) as U+FFFD. In attributes,
/// tab/LF/CR are written as character references so that they survive attribute normalisation.
pub fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' if attribute => {
                let _ = write!(out, "&#{};", c as u32);
            }
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

struct Case {
    classname: &'static str,
    name: String,
    /// `(element, message, type, body)` for `<failure>` or `<error>`.
    outcome: Option<(&'static str, String, String, String)>,
    system_out: Option<String>,
}

fn findings_text(findings: &[&Finding]) -> String {
    let mut s = String::new();
    for f in findings {
        let _ = writeln!(
            s,
            "{} {} {} [{}]",
            f.severity.as_str().to_uppercase(),
            f.rule,
            f.name,
            f.title
        );
        if !f.explanation.is_empty() {
            let _ = writeln!(s, "  {}", f.explanation);
        }
        if !f.suggestion.is_empty() {
            let _ = writeln!(s, "  Suggestion: {}", f.suggestion);
        }
        if !f.known_issues.is_empty() {
            let _ = writeln!(s, "  Known issues: {}", f.known_issues.join(", "));
        }
        for e in &f.evidence {
            let _ = writeln!(s, "  {}:{}: {}", e.file, e.line, e.text);
        }
        s.push('\n');
    }
    s
}

fn case_for(classname: &'static str, name: String, findings: &[&Finding], fail_on: FailOn) -> Case {
    let (failing, passing): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| fail_on.fails(f.severity));
    let outcome = (!failing.is_empty()).then(|| {
        let first = failing[0];
        let message = if failing.len() == 1 {
            format!("{} {}: {}", first.rule, first.name, first.title)
        } else {
            format!(
                "{} {}: {} (and {} more)",
                first.rule,
                first.name,
                first.title,
                failing.len() - 1
            )
        };
        let codes: Vec<&str> = failing.iter().map(|f| f.rule.as_str()).collect();
        ("failure", message, codes.join(","), findings_text(&failing))
    });
    let system_out = (!passing.is_empty()).then(|| findings_text(&passing));
    Case {
        classname,
        name,
        outcome,
        system_out,
    }
}

/// A job's test name, the same in every run of the same test: its type, table and query
/// (`add index on sbtest1: alter table sbtest1 add index idx_c (c)`), never its id, which TiDB
/// allocates anew each run — with the id in the name, CI history (GitLab's, Jenkins') saw a new
/// test every run and could never say "failing since". Jobs that share the name in one run are
/// told apart by their order, ` (2)`, ` (3)`, as `ddldiag diff` matches them.
pub fn test_name(j: &crate::report::JobReport) -> String {
    let mut name = j
        .job_type
        .clone()
        .unwrap_or_else(|| "(unknown type)".into());
    if let Some(t) = &j.table {
        name.push_str(" on ");
        name.push_str(t);
    }
    if let Some(q) = &j.query {
        name.push_str(": ");
        let q = q.split_whitespace().collect::<Vec<_>>().join(" ");
        // A CREATE TABLE is a screenful; its start tells tests apart and stays stable.
        match q.char_indices().nth(MAX_QUERY_CHARS) {
            Some((cut, _)) => {
                name.push_str(&q[..cut]);
                name.push('…');
            }
            None => name.push_str(&q),
        }
    }
    name
}

/// Characters of a job's query kept in its test name.
const MAX_QUERY_CHARS: usize = 80;

/// The JUnit XML document, with a trailing newline.
pub fn render(report: &Report, fail_on: FailOn) -> String {
    let mut cases: Vec<Case> = Vec::new();
    let mut names: std::collections::HashMap<String, u32> = Default::default();
    for j in &report.jobs {
        let mut name = test_name(j);
        let n = names.entry(name.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            name = format!("{name} ({n})");
        }
        let findings: Vec<&Finding> = crate::report::findings_of(report, j.job_id).collect();
        cases.push(case_for("ddldiag.job", name, &findings, fail_on));
    }
    // Findings about a job the report does not list (or about no job) must not vanish.
    let orphans: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.job_id.is_none_or(|id| report.job(id).is_none()))
        .collect();
    if !orphans.is_empty() {
        cases.push(case_for(
            "ddldiag.cluster",
            "findings without a job".into(),
            &orphans,
            fail_on,
        ));
    }
    for i in &report.inputs {
        let damaged = crate::report::input_damage_lines(i);
        let outcome = (!damaged.is_empty()).then(|| {
            let message = i
                .error
                .clone()
                .unwrap_or_else(|| "input was damaged; reading stopped early".into());
            (
                "error",
                message,
                "incomplete-input".to_string(),
                damaged.join("\n") + "\n",
            )
        });
        let lines: u64 = i.files.iter().map(|f| f.lines).sum();
        let files = i.files.len();
        let system_out = Some(format!(
            "{files} file{}, {lines} lines read\n",
            if files == 1 { "" } else { "s" }
        ));
        cases.push(Case {
            classname: "ddldiag.input",
            name: format!("input {}", i.path),
            outcome,
            system_out,
        });
    }

    let failures = cases
        .iter()
        .filter(|c| matches!(&c.outcome, Some(("failure", ..))))
        .count();
    let errors = cases
        .iter()
        .filter(|c| matches!(&c.outcome, Some(("error", ..))))
        .count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"ddldiag\" tests=\"{n}\" failures=\"{failures}\" errors=\"{errors}\" time=\"0\">",
        n = cases.len()
    );
    let _ = writeln!(
        x,
        "  <testsuite name=\"ddldiag\" tests=\"{n}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"0\">",
        n = cases.len()
    );
    let _ = writeln!(x, "    <properties>");
    let _ = writeln!(
        x,
        "      <property name=\"ddldiag.version\" value=\"{}\"/>",
        escape(&report.tool.version, true)
    );
    if let Some(v) = &report.summary.tidb_version {
        let _ = writeln!(
            x,
            "      <property name=\"tidb.version\" value=\"{}\"/>",
            escape(v, true)
        );
    }
    let _ = writeln!(
        x,
        "      <property name=\"report.complete\" value=\"{}\"/>",
        !crate::report::is_incomplete(report)
    );
    let _ = writeln!(x, "    </properties>");
    for c in &cases {
        let _ = write!(
            x,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
            escape(c.classname, true),
            escape(&c.name, true)
        );
        if c.outcome.is_none() && c.system_out.is_none() {
            x.push_str("/>\n");
            continue;
        }
        x.push_str(">\n");
        if let Some((elem, message, ty, body)) = &c.outcome {
            let _ = writeln!(
                x,
                "      <{elem} message=\"{}\" type=\"{}\">{}</{elem}>",
                escape(message, true),
                escape(ty, true),
                escape(body, false)
            );
        }
        if let Some(out) = &c.system_out {
            let _ = writeln!(x, "      <system-out>{}</system-out>", escape(out, false));
        }
        x.push_str("    </testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}
