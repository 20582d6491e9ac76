//! `--format sarif`: SARIF 2.1.0, shaped for GitHub code scanning.
//!
//! What GitHub requires (peers-and-conventions §5.1) and how ddldiag meets it:
//!
//! * `runs[].tool.driver.rules[]` with `id`, `shortDescription`, `fullDescription`, `help` — from
//!   the `rules` parameter ([`RuleDoc`]); a finding whose rule is not in it gets a minimal entry
//!   built from the finding, so `ruleIndex` is always valid. Empty strings do not count as values,
//!   so every text falls back to something non-empty.
//! * `results[]` with `message.text`, one location and `partialFingerprints`. The "artifact" is a
//!   log file inside a tarball (`tidb-0.tar.gz!tidb-0/tidb.log`), not a repository file, so
//!   `upload-sarif` cannot compute fingerprints: ddldiag emits its own ([`fingerprint`]).
//! * The first evidence line is the location; the other lines are `relatedLocations` (capped at
//!   [`MAX_RELATED`]; GitHub shows 100 of at most 1,000).
//! * Damaged inputs are `invocations[0].toolExecutionNotifications` and make
//!   `executionSuccessful` false, so a viewer can tell the analysis is partial.
//!
//! Objects are built with `serde_json::json!`; without serde_json's `preserve_order` feature
//! their keys serialise sorted, so the output is deterministic.

use serde_json::{json, Value};

use crate::report::{is_incomplete, Finding, JobError, JobReport, Report, RuleDoc, Severity};

/// The SARIF schema URI GitHub documents.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where a rule's help lives: its row of the README's rule table (`#ddl001`), at the tag of
/// this version (`v0.1.0`), so the text a link shows is the text this binary was built with.
/// The scheme is `<repository>/blob/v<version>/README.md#<code in lowercase>`; the repository
/// is Cargo.toml's `repository`.
pub const HELP_BASE: &str = concat!(
    env!("CARGO_PKG_REPOSITORY"),
    "/blob/v",
    env!("CARGO_PKG_VERSION"),
    "/README.md"
);

/// The `helpUri` of a rule ([`HELP_BASE`]).
pub fn help_uri(code: &str) -> String {
    format!("{HELP_BASE}#{}", code.to_lowercase())
}

/// At most this many evidence lines per result become `relatedLocations`.
pub const MAX_RELATED: usize = 100;

/// GitHub accepts 25,000 results per run; the rest would be dropped silently, so ddldiag drops
/// them itself and says so in a notification.
pub const MAX_RESULTS: usize = 25_000;

/// The `partialFingerprints` key carrying [`fingerprint`] (versioned: a change to the hashed
/// fields is a new key, so old suppressions do not match new meanings by accident).
pub const FINGERPRINT_KEY: &str = "ddldiagFingerprint/v1";

/// SARIF `level` for a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// FNV-1a, 64 bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
///
/// Written out rather than `std::hash::DefaultHasher`, whose algorithm Rust may change between
/// releases: a fingerprint stored in a suppression file must mean the same thing forever.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The stable identity of a finding across runs: 16 lowercase hex digits of [`fnv1a64`] over
/// `rule \x1f job type \x1f table \x1f error class \x1f error template`, each lowercased and
/// trimmed (table also without backquotes): the fields of [`FindingIdentity`].
///
/// Line numbers, times and job ids are left out on purpose (peers §5.5): job ids differ between
/// CI runs and log lines move, but "DDL001 on an add index of sbtest1 after a transient
/// tikv:9005" is the same problem every time. The error is the job's most frequent one; its
/// template is the `class:code` when the text carries one, else the text with digit runs
/// replaced by `#` (so region and task ids do not split one problem into many).
pub fn fingerprint(report: &Report, finding: &Finding) -> String {
    finding_identity(report, finding).fingerprint()
}

/// What makes two findings "the same problem" in different runs. SARIF hashes it into
/// [`fingerprint`]; `ddldiag diff` compares it field by field, so both agree on what is new.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FindingIdentity {
    /// Rule code, lowercased (`ddl001`).
    pub rule: String,
    /// The job's type, lowercased; empty for a finding without a job.
    pub job_type: String,
    /// The job's table, lowercased, without backquotes.
    pub table: String,
    /// Class of the job's most frequent error (`transient`).
    pub class: String,
    /// Template of that error ([`error_kind`]).
    pub template: String,
}

impl FindingIdentity {
    /// The SARIF `partialFingerprints` value (see [`fingerprint`]).
    pub fn fingerprint(&self) -> String {
        let key = [
            self.rule.as_str(),
            &self.job_type,
            &self.table,
            &self.class,
            &self.template,
        ]
        .join("\u{1f}");
        format!("{:016x}", fnv1a64(key.as_bytes()))
    }
}

/// The [`FindingIdentity`] of a finding, looking its job up in the report.
pub fn finding_identity(report: &Report, finding: &Finding) -> FindingIdentity {
    let job = finding.job_id.and_then(|id| report.job(id));
    let norm = |s: Option<&str>| s.unwrap_or("").trim().to_lowercase();
    let (class, template) = job.map(primary_error).unwrap_or_default();
    FindingIdentity {
        rule: finding.rule.trim().to_lowercase(),
        job_type: norm(job.and_then(|j| j.job_type.as_deref())),
        table: norm(job.and_then(|j| j.table.as_deref())).replace('`', ""),
        class,
        template,
    }
}

/// `(class, template)` of the job's most frequent error (ties: first listed).
fn primary_error(job: &JobReport) -> (String, String) {
    let Some(e) = job
        .errors
        .iter()
        .reduce(|best, e| if e.count > best.count { e } else { best })
    else {
        return Default::default();
    };
    (e.class.trim().to_lowercase(), error_kind(e))
}

/// The kind of an error, stable across runs: its `class:code` (`tikv:9005`) when the text
/// carries one, else [`error_template`] of the text.
pub fn error_kind(e: &JobError) -> String {
    match &e.code {
        Some(code) => code.trim().to_lowercase(),
        None => error_template(&e.text),
    }
}

/// Lowercase, digit runs as `#`, whitespace collapsed, at most 120 characters.
pub fn error_template(text: &str) -> String {
    let mut out = String::new();
    let mut prev_digit = false;
    let mut prev_space = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            if !prev_digit {
                out.push('#');
            }
            prev_digit = true;
            prev_space = false;
        } else if c.is_whitespace() {
            if !prev_space {
                out.push(' ');
            }
            prev_space = true;
            prev_digit = false;
        } else {
            out.extend(c.to_lowercase());
            prev_digit = false;
            prev_space = false;
        }
    }
    out.chars().take(120).collect()
}

/// The SARIF log, pretty, with a trailing newline.
pub fn render(report: &Report, rules: &[RuleDoc]) -> String {
    let mut s =
        serde_json::to_string_pretty(&sarif(report, rules)).expect("json values always serialise");
    s.push('\n');
    s
}

/// The SARIF log as a JSON value (for callers that post-process it, and for tests).
pub fn sarif(report: &Report, rules: &[RuleDoc]) -> Value {
    // Rules as given, then rules only findings know about, in first-seen order.
    let mut docs: Vec<RuleDoc> = rules.to_vec();
    for f in &report.findings {
        if !docs.iter().any(|d| d.code == f.rule) {
            docs.push(RuleDoc {
                code: f.rule.clone(),
                name: f.name.clone(),
                severity: f.severity,
                summary: String::new(),
                explain: String::new(),
            });
        }
    }
    let rule_values: Vec<Value> = docs.iter().map(rule_value).collect();

    let mut seen: std::collections::BTreeMap<String, u32> = Default::default();
    let mut arts = Artifacts::new(report);
    let results: Vec<Value> = report
        .findings
        .iter()
        .take(MAX_RESULTS)
        .map(|f| {
            let index = docs
                .iter()
                .position(|d| d.code == f.rule)
                .expect("every finding's rule was added");
            let fp = fingerprint(report, f);
            let n = seen.entry(fp.clone()).or_insert(0);
            *n += 1;
            result_value(&mut arts, report, f, index, &fp, *n)
        })
        .collect();

    let mut notifications: Vec<Value> = Vec::new();
    for l in crate::report::damage_lines(report) {
        notifications.push(json!({
            "level": "error",
            "descriptor": {"id": "input-incomplete"},
            "message": {"text": format!("incomplete input: {l}")},
        }));
    }
    if report.findings.len() > MAX_RESULTS {
        notifications.push(json!({
            "level": "warning",
            "descriptor": {"id": "results-truncated"},
            "message": {"text": format!(
                "{} more findings omitted (GitHub accepts {MAX_RESULTS} results per run); see the JSON report",
                report.findings.len() - MAX_RESULTS
            )},
        }));
    }

    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "rules": rule_values,
            }},
            "invocations": [{
                "executionSuccessful": !is_incomplete(report),
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": arts.bases(),
            "artifacts": arts.list,
            "results": results,
            "properties": {
                "tidbVersion": report.summary.tidb_version,
                "complete": !is_incomplete(report),
            },
        }],
    })
}

fn non_empty<'a>(candidates: &[&'a str]) -> &'a str {
    candidates
        .iter()
        .copied()
        .find(|s| !s.trim().is_empty())
        .unwrap_or("ddldiag rule")
}

fn rule_value(d: &RuleDoc) -> Value {
    let short = non_empty(&[&d.summary, &d.name, &d.code]);
    let full = non_empty(&[&d.explain, &d.summary, &d.name, &d.code]);
    json!({
        "id": d.code,
        "name": non_empty(&[&d.name, &d.code]),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {
            "text": format!("{full}\n\nRun `ddldiag explain {}` for details.", d.code),
            "markdown": format!("**{} {}**\n\n{full}\n\nRun `ddldiag explain {}` for details.", d.code, d.name, d.code),
        },
        "helpUri": help_uri(&d.code),
        "defaultConfiguration": {"level": level(d.severity)},
        "properties": {
            "tags": ["tidb", "ddl", d.name],
            "precision": "medium",
            "problem.severity": match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "recommendation",
            },
        },
    })
}

/// The run's `artifacts[]` and the `artifactLocation` of each file a result points to.
///
/// Every URI is a relative reference (SARIF §3.4.3; absolute ones drew 24 SARIF1004 errors in
/// the SARIF Multitool): an input given as a relative path is relative to `%SRCROOT%`, the
/// directory ddldiag ran in; an absolute one is relative to `ROOT` (`file:///`). A file inside
/// an archive is a nested artifact (§3.24.2–3): the archive is a top-level artifact, each member
/// an artifact with its `parentIndex`, its path from the archive's root as `uri`
/// (`/tidb-0/tidb.log`) and no `uriBaseId` — what the display name writes as
/// `bundle.tar.gz!tidb-0/tidb.log`.
struct Artifacts<'a> {
    inputs: Vec<&'a str>,
    list: Vec<Value>,
    by_name: std::collections::HashMap<String, usize>,
    bases: std::collections::BTreeSet<&'static str>,
}

impl<'a> Artifacts<'a> {
    fn new(report: &'a Report) -> Self {
        let mut inputs: Vec<&str> = report.inputs.iter().map(|i| i.path.as_str()).collect();
        // Longest first: `a/b.tar.gz` before `a`.
        inputs.sort_by_key(|p| std::cmp::Reverse(p.len()));
        Artifacts {
            inputs,
            list: Vec::new(),
            by_name: Default::default(),
            bases: Default::default(),
        }
    }

    /// A top-level artifact for a path as the command line gave it.
    fn top(&mut self, path: &str) -> (usize, Value) {
        let (base, rel) = match path.strip_prefix('/') {
            Some(rest) => ("ROOT", rest.trim_start_matches('/')),
            None => ("SRCROOT", path),
        };
        self.bases.insert(base);
        let loc = json!({"uri": uri_encode(rel), "uriBaseId": base});
        let i = self.add(path, json!({"location": loc}));
        (
            i,
            json!({"uri": uri_encode(rel), "uriBaseId": base, "index": i}),
        )
    }

    fn add(&mut self, key: &str, artifact: Value) -> usize {
        if let Some(&i) = self.by_name.get(key) {
            return i;
        }
        self.list.push(artifact);
        self.by_name.insert(key.to_string(), self.list.len() - 1);
        self.list.len() - 1
    }

    /// The `artifactLocation` of a file by its display name.
    fn location(&mut self, display: &str) -> Value {
        let archive = self
            .inputs
            .iter()
            .find(|p| {
                display.len() > p.len() + 1
                    && display.starts_with(*p)
                    && display[p.len()..].starts_with('!')
            })
            .copied();
        let Some(input) = archive else {
            return self.top(display).1;
        };
        let (mut parent, mut out) = self.top(input);
        let mut key = input.to_string();
        for member in display[input.len() + 1..].split('!') {
            key.push('!');
            key.push_str(member);
            // §3.24.2: a member's path from the root of its archive, beginning with "/"
            // (`./tidb.log` and `/tidb.log` in a tar are both `/tidb.log`).
            let path = member.trim_start_matches("./").trim_start_matches('/');
            let uri = format!("/{}", uri_encode(path));
            let i = self.add(
                &key,
                json!({"location": {"uri": uri}, "parentIndex": parent}),
            );
            parent = i;
            out = json!({"uri": uri, "index": i});
        }
        out
    }

    /// `run.originalUriBaseIds`: the bases the URIs use.
    fn bases(&self) -> Value {
        let mut m = serde_json::Map::new();
        for b in &self.bases {
            let v = match *b {
                "ROOT" => json!({"uri": "file:///"}),
                _ => json!({"description": {"text":
                    "The directory ddldiag ran in; input paths on its command line are relative to it."}}),
            };
            m.insert(b.to_string(), v);
        }
        Value::Object(m)
    }
}

/// A `location` for one evidence line.
fn location(arts: &mut Artifacts<'_>, file: &str, line: u64, text: Option<&str>) -> Value {
    // GitHub wants start and end line/column; a log line is one whole line.
    let line = line.max(1);
    let mut region = json!({"startLine": line, "startColumn": 1, "endLine": line});
    if let Some(t) = text {
        region["endColumn"] = json!(t.chars().count().max(1) + 1);
        region["snippet"] = json!({"text": t});
    }
    json!({"physicalLocation": {"artifactLocation": arts.location(file), "region": region}})
}

/// Percent-encodes what a URI path may not hold (spaces, `#`, `%`, `?`…), and `:` too, which in
/// a relative reference's first segment would read as a scheme (`C:/logs`, `host:4000/…`).
fn uri_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn result_value(
    arts: &mut Artifacts<'_>,
    report: &Report,
    f: &Finding,
    rule_index: usize,
    fp: &str,
    occurrence: u32,
) -> Value {
    // A finding without evidence still needs a location: the first file read (else the first
    // input), line 1. Rules are expected to always carry evidence; this keeps the file valid.
    let primary = match f.evidence.first() {
        Some(e) => location(arts, &e.file, e.line, Some(&e.text)),
        None => {
            let file = report
                .inputs
                .iter()
                .flat_map(|i| i.files.iter().map(|f| f.name.as_str()))
                .chain(report.inputs.iter().map(|i| i.path.as_str()))
                .next()
                .unwrap_or("ddldiag");
            location(arts, file, 1, None)
        }
    };
    let related: Vec<Value> = f
        .evidence
        .iter()
        .skip(1)
        .take(MAX_RELATED)
        .enumerate()
        .map(|(i, e)| {
            let mut l = location(arts, &e.file, e.line, Some(&e.text));
            l["id"] = json!(i + 1);
            l["message"] = json!({"text": format!("evidence {}: {}:{}", i + 2, e.file, e.line)});
            l
        })
        .collect();
    let mut text = f.title.clone();
    if !f.explanation.is_empty() {
        text.push_str("\n\n");
        text.push_str(&f.explanation);
    }
    if !f.suggestion.is_empty() {
        text.push_str("\n\nSuggestion: ");
        text.push_str(&f.suggestion);
    }
    if text.trim().is_empty() {
        text = format!("{} {}", f.rule, f.name);
    }
    json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": {"text": text},
        "locations": [primary],
        "relatedLocations": related,
        "partialFingerprints": {
            FINGERPRINT_KEY: fp,
            // GitHub reads only this key; ours is semantic, not a line hash, and the occurrence
            // suffix keeps two identical problems in one run apart, as GitHub's own hash does.
            "primaryLocationLineHash": format!("{fp}:{occurrence}"),
        },
        "properties": {
            "jobId": f.job_id,
            "ruleName": f.name,
            "knownIssues": f.known_issues,
            "evidenceLines": f.evidence.len(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_known_vectors() {
        // Reference values of FNV-1a 64 (Fowler/Noll/Vo test suite).
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn error_template_hides_numbers() {
        assert_eq!(
            error_template("region 123 not found,  epoch 9"),
            "region # not found, epoch #"
        );
    }

    #[test]
    fn uri_is_encoded() {
        assert_eq!(uri_encode("a b#c!d/e.log"), "a%20b%23c!d/e.log");
        assert_eq!(uri_encode("host:4000/tidb.log"), "host%3A4000/tidb.log");
    }
}
