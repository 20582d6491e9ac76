//! `--format gitlab`: a GitLab Code Quality report (`artifacts:reports:codequality`).
//!
//! A JSON array of CodeClimate-style issues, the fields GitLab reads: `description`,
//! `check_name` (the rule code), `fingerprint`, `severity` (`info`, `minor`, `major`,
//! `critical`, `blocker`), `location.path` and `location.lines.begin`. The first evidence line
//! is the location, its file as the report names it (give CI relative input paths: GitLab
//! matches `path` against the repository).
//!
//! GitLab tells new issues from old ones by `fingerprint` alone, across pipelines. It is the
//! finding's identity that SARIF and `ddldiag diff` use ([`sarif::finding_identity`]: rule,
//! job type, table, error class and template), never a job id, a time or a line number, which
//! change from run to run; a second finding with the same identity in one run gets `#2`.
//! Lost input is one `blocker` issue per damaged input or file: a verdict on part of the logs.

use serde_json::{json, Value};

use crate::render::sarif::{self, fnv1a64};
use crate::report::{Report, Severity};

/// GitLab's severity for ours.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

/// The Code Quality report, pretty, with a trailing newline.
pub fn render(report: &Report) -> String {
    let mut issues: Vec<Value> = Vec::new();
    let mut seen: std::collections::BTreeMap<String, u32> = Default::default();
    for l in crate::report::damage_lines(report) {
        let path = l.split(": ").next().unwrap_or("").to_string();
        issues.push(json!({
            "type": "issue",
            "description": format!("ddldiag: incomplete input: {l}"),
            "check_name": "input-incomplete",
            "categories": ["Bug Risk"],
            "fingerprint": format!("{:016x}", fnv1a64(format!("input-incomplete\u{1f}{path}").as_bytes())),
            "severity": "blocker",
            "location": {"path": path, "lines": {"begin": 1}},
        }));
    }
    for f in &report.findings {
        let base = sarif::fingerprint(report, f);
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        let fingerprint = if *n == 1 {
            base
        } else {
            format!("{:016x}", fnv1a64(format!("{base}#{n}").as_bytes()))
        };
        let (path, line) = match f.evidence.first() {
            Some(e) => (e.file.to_string(), e.line.max(1)),
            None => (
                report
                    .inputs
                    .first()
                    .map(|i| i.path.clone())
                    .unwrap_or_default(),
                1,
            ),
        };
        let path = path.strip_prefix("./").map(str::to_string).unwrap_or(path);
        let job = f.job_id.map(|j| format!(" (job {j})")).unwrap_or_default();
        let body: Vec<&str> = [f.explanation.as_str(), f.suggestion.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        issues.push(json!({
            "type": "issue",
            "description": format!("{} {}: {}{job}", f.rule, f.name, f.title),
            "content": {"body": body.join("\n\n")},
            "check_name": f.rule,
            "categories": ["Bug Risk"],
            "fingerprint": fingerprint,
            "severity": severity(f.severity),
            "location": {"path": path, "lines": {"begin": line}},
        }));
    }
    let mut s = serde_json::to_string_pretty(&issues).expect("json values always serialise");
    s.push('\n');
    s
}
