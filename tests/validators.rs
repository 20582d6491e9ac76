//! Every machine format checked the way its consumer checks it, through the real binary on the
//! fixture logs:
//!
//! * JSON against `ddldiag schema`, strictly: formats validated (`date-time` is RFC 3339), and
//!   `schema_version` a constant, so a version-2 report or `"yesterday"` as a time fails;
//! * SARIF against the official OASIS SARIF 2.1.0 schema (vendored: `tests/schemas/README.md`
//!   says where from), with relative URIs only and a `helpUri` per rule that lands on the
//!   README's rule table;
//! * JUnit against the Jenkins xUnit plugin's JUnit xsd (vendored) with `xmllint --schema`
//!   (libxml2-utils): no Rust crate validates XSD (the `libxml` bindings need the C library and
//!   headers as well), so the check runs where xmllint is installed and prints `SKIPPED` where it
//!   is not, as the browser test does; test names carry no job id;
//! * Markdown through pulldown-cmark with the GitHub extensions (tables, strikethrough);
//! * `--format github` (workflow commands, at most 10 errors and 10 warnings, the step summary)
//!   and `--format gitlab` (Code Quality: required fields, severities, fingerprints that survive
//!   a rerun).
//!
//! Each validator is first shown a document it must reject, so that a validator that accepts
//! anything cannot make these tests pass.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const SEED: &str = "fixtures/seed-50417/tidb-0.tar.gz";
const FIXTURES: [&str; 5] = [
    SEED,
    "fixtures/inputs/truncated.tar.gz",
    "fixtures/owner-move",
    "fixtures/fault-window",
    "fixtures/clean-v6.1.0/tidb.log",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Out {
    code: i32,
    stdout: String,
}

fn ddldiag_env(args: &[&str], stdin: Option<&str>, env: &[(&str, &Path)]) -> Out {
    let mut c = Command::cargo_bin("ddldiag").unwrap();
    c.current_dir(root())
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    if let Some(s) = stdin {
        c.write_stdin(s.as_bytes().to_vec());
    }
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    Out {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8"),
    }
}

fn ddldiag(args: &[&str], stdin: Option<&str>) -> Out {
    ddldiag_env(args, stdin, &[])
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// The seed log with its job and task renumbered: the same failure in another run.
fn seed_as(job: u32, task: u32) -> String {
    String::from_utf8(common::seed_log())
        .unwrap()
        .replace("491", &job.to_string())
        .replace("210029", &task.to_string())
}

/// Twelve seed jobs in one log: 24 error findings (DDL001, DDL002) and 12 warnings (DDL003).
fn twelve_jobs() -> String {
    (0..12).map(|k| seed_as(9001 + k, 300_000 + k)).collect()
}

fn compile(schema: &Value) -> jsonschema::JSONSchema {
    jsonschema::JSONSchema::options()
        .should_validate_formats(true)
        .compile(schema)
        .expect("schema compiles")
}

fn errors(v: &jsonschema::JSONSchema, doc: &Value) -> Vec<String> {
    match v.validate(doc) {
        Ok(()) => Vec::new(),
        Err(e) => e.map(|e| format!("{} at {}", e, e.instance_path)).collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

#[test]
fn json_matches_the_strict_schema() {
    let schema = compile(&json(&ddldiag(&["schema"], None).stdout));
    let mut seed = None;
    for f in FIXTURES {
        let out = ddldiag(&["analyze", "--format", "json", f], None);
        let doc = json(&out.stdout);
        let errs = errors(&schema, &doc);
        assert!(errs.is_empty(), "{f}: {errs:#?}");
        if f == SEED {
            seed = Some(doc);
        }
    }
    let seed = seed.unwrap();
    // What the schema must reject: another schema version, a time that is not RFC 3339.
    let mut v2 = seed.clone();
    v2["schema_version"] = 2.into();
    assert!(
        !errors(&schema, &v2).is_empty(),
        "schema_version 2 accepted"
    );
    for (path, what) in [
        ("/jobs/0/first_seen", "a job's first time"),
        ("/findings/0/evidence/0/ts", "an evidence time"),
        ("/inputs/0/files/0/last_ts", "a file's last time"),
    ] {
        let mut bad = seed.clone();
        *bad.pointer_mut(path).unwrap_or_else(|| panic!("{path}")) = "yesterday".into();
        let errs = errors(&schema, &bad);
        assert!(
            errs.iter().any(|e| e.contains("date-time")),
            "{what} \"yesterday\" accepted: {errs:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// SARIF
// ---------------------------------------------------------------------------------------------

fn sarif_schema() -> jsonschema::JSONSchema {
    let text = std::fs::read_to_string(root().join("tests/schemas/sarif-schema-2.1.0.json"))
        .expect("vendored SARIF schema");
    compile(&json(&text))
}

/// Every `artifactLocation` in a SARIF log, with the path to it.
fn artifact_locations<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{path}/{k}");
                if k == "artifactLocation" || (k == "location" && path.contains("/artifacts/")) {
                    out.push((p.clone(), x));
                }
                artifact_locations(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                artifact_locations(x, format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn sarif_matches_the_official_schema_with_relative_uris_and_help() {
    let schema = sarif_schema();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    // The schema bites: a wrong version and an absolute-only field fail.
    let seed = json(&ddldiag(&["analyze", "--format", "sarif", SEED], None).stdout);
    let mut bad = seed.clone();
    bad["version"] = "2.0.0".into();
    assert!(!errors(&schema, &bad).is_empty(), "version 2.0.0 accepted");
    let mut bad = seed.clone();
    bad["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "not a uri".into();
    assert!(
        !errors(&schema, &bad).is_empty(),
        "a helpUri that is no URI accepted"
    );

    let abs = root().join(SEED);
    let abs = abs.to_str().unwrap();
    let mut inputs: Vec<&str> = FIXTURES.to_vec();
    inputs.push(abs);
    for input in inputs {
        let out = ddldiag(&["analyze", "--format", "sarif", input], None);
        let doc = json(&out.stdout);
        let errs = errors(&schema, &doc);
        assert!(errs.is_empty(), "{input}: {errs:#?}");
        let run = &doc["runs"][0];
        let bases = run["originalUriBaseIds"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let artifacts = run["artifacts"].as_array().cloned().unwrap_or_default();
        let mut locs = Vec::new();
        artifact_locations(&doc, String::new(), &mut locs);
        if !run["results"].as_array().unwrap().is_empty() {
            assert!(!locs.is_empty(), "{input}: no locations");
        }
        for (p, l) in locs {
            let uri = l["uri"]
                .as_str()
                .unwrap_or_else(|| panic!("{input} {p}: no uri"));
            assert!(
                !uri.contains("://") && !uri.starts_with("file:"),
                "{input} {p}: {uri}"
            );
            // A nested artifact (an archive member) has a parent and its path from the
            // archive's root (§3.24.2); anything else is relative to a declared base.
            let index = l["index"].as_u64().map(|i| &artifacts[i as usize]);
            let nested = match (index, p.contains("/artifacts/")) {
                (Some(a), _) => a.get("parentIndex").is_some(),
                (None, true) => {
                    let i: usize = p.split('/').nth(4).unwrap().parse().unwrap();
                    artifacts[i].get("parentIndex").is_some()
                }
                (None, false) => false,
            };
            if nested {
                assert!(
                    l.get("uriBaseId").is_none(),
                    "{input} {p}: nested with a base"
                );
            } else {
                assert!(!uri.starts_with('/'), "{input} {p}: {uri} starts with /");
                let base = l["uriBaseId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{input} {p}"));
                assert!(
                    bases.contains_key(base),
                    "{input} {p}: base {base} undeclared"
                );
            }
            if let Some(a) = index {
                assert_eq!(
                    a["location"]["uri"], l["uri"],
                    "{input} {p}: index and uri agree"
                );
            }
        }
        for r in run["tool"]["driver"]["rules"].as_array().unwrap() {
            let id = r["id"].as_str().unwrap();
            let help = r["helpUri"]
                .as_str()
                .unwrap_or_else(|| panic!("{id}: no helpUri"));
            let anchor = help.rsplit_once('#').unwrap().1;
            assert!(
                help.contains("/blob/v") && help.contains("/README.md#"),
                "{id}: {help}"
            );
            assert!(
                readme.contains(&format!("<a id=\"{anchor}\"></a>{id}")),
                "{id}: README has no anchor {anchor}"
            );
        }
    }
    // The absolute input is relative to `ROOT` (file:///), its member nested in it.
    let doc = json(&ddldiag(&["analyze", "--format", "sarif", abs], None).stdout);
    let run = &doc["runs"][0];
    assert_eq!(run["originalUriBaseIds"]["ROOT"]["uri"], "file:///");
    assert_eq!(run["artifacts"][0]["location"]["uriBaseId"], "ROOT");
    assert_eq!(
        run["artifacts"][0]["location"]["uri"].as_str().unwrap(),
        abs.trim_start_matches('/')
    );
    assert_eq!(run["artifacts"][1]["location"]["uri"], "/tidb-0/tidb.log");
    assert_eq!(run["artifacts"][1]["parentIndex"], 0);
}

// ---------------------------------------------------------------------------------------------
// JUnit
// ---------------------------------------------------------------------------------------------

fn xmllint() -> Option<PathBuf> {
    let ok = std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then(|| PathBuf::from("xmllint"))
}

/// `xmllint --schema` on `xml`: Ok or the validator's complaint.
fn validate_xsd(bin: &Path, xml: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.xml");
    std::fs::write(&p, xml).unwrap();
    let out = std::process::Command::new(bin)
        .args(["--noout", "--schema"])
        .arg(root().join("tests/schemas/jenkins-junit-10.xsd"))
        .arg(&p)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn testcase_names(xml: &str) -> Vec<String> {
    xml.split("<testcase ")
        .skip(1)
        .map(|t| {
            let n = t.split_once(" name=\"").unwrap().1;
            n.split_once('"').unwrap().0.to_string()
        })
        .collect()
}

#[test]
fn junit_matches_the_jenkins_xsd_with_stable_names() {
    let seed = ddldiag(&["analyze", "--format", "junit", SEED], None).stdout;
    assert!(!seed
        .contains("<testsuites name=\"ddldiag\" tests=\"2\" failures=\"1\" errors=\"0\" skipped"));
    // Names: the same DDL in another run (other job and task ids) is the same test.
    let again = ddldiag(
        &["analyze", "--format", "junit", "-"],
        Some(&seed_as(7777, 400_001)),
    )
    .stdout;
    let jobs = |x: &str| -> Vec<String> {
        testcase_names(x)
            .into_iter()
            .filter(|n| !n.starts_with("input "))
            .collect()
    };
    assert_eq!(jobs(&seed), ["add index on sbtest1"]);
    assert_eq!(jobs(&seed), jobs(&again));
    let twelve = ddldiag(&["analyze", "--format", "junit", "-"], Some(&twelve_jobs())).stdout;
    let names = jobs(&twelve);
    assert_eq!(names.len(), 12);
    assert_eq!(names[0], "add index on sbtest1");
    assert_eq!(names[11], "add index on sbtest1 (12)");
    for n in &names {
        assert!(!n.contains("90"), "a job id in {n}");
    }

    let Some(bin) = xmllint() else {
        eprintln!("SKIPPED: xmllint not installed (apt-get install libxml2-utils); the JUnit xsd was not checked");
        return;
    };
    // The validator bites: the attribute the Jenkins xsd does not allow.
    let bad = seed.replacen(
        "<testsuites name=\"ddldiag\"",
        "<testsuites skipped=\"0\" name=\"ddldiag\"",
        1,
    );
    assert!(
        validate_xsd(&bin, &bad).is_err(),
        "testsuites@skipped accepted"
    );
    for f in FIXTURES {
        let x = ddldiag(&["analyze", "--format", "junit", f], None).stdout;
        validate_xsd(&bin, &x).unwrap_or_else(|e| panic!("{f}: {e}\n{x}"));
    }
    validate_xsd(&bin, &twelve).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

/// The events of a GitHub-flavoured Markdown document (tables, strikethrough, task lists).
fn gfm(md: &str) -> Vec<pulldown_cmark::Event<'_>> {
    use pulldown_cmark::{Options, Parser};
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    Parser::new_ext(md, opts).collect()
}

#[test]
fn markdown_parses_as_gfm_with_its_tables() {
    use pulldown_cmark::{Event, Tag};
    for f in FIXTURES {
        let md = ddldiag(&["analyze", "--format", "markdown", f], None).stdout;
        let events = gfm(&md);
        let tables = events
            .iter()
            .filter(|e| matches!(e, Event::Start(Tag::Table(_))))
            .count();
        assert!(tables >= 1, "{f}: the jobs table is a GFM table\n{md}");
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Start(Tag::Heading { .. }))),
            "{f}"
        );
        // Log text never becomes a link or an image, and the only raw HTML is ddldiag's own
        // collapsible evidence.
        for e in &events {
            assert!(
                !matches!(e, Event::Start(Tag::Link { .. } | Tag::Image { .. })),
                "{f}: {e:?}"
            );
            if let Event::Html(h) | Event::InlineHtml(h) = e {
                let h = h.trim();
                assert!(
                    [
                        "<details>",
                        "</details>",
                        "<summary>",
                        "</summary>",
                        "<sub>",
                        "</sub>"
                    ]
                    .iter()
                    .any(|t| h.starts_with(t)),
                    "{f}: raw HTML {h:?}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GitHub workflow commands
// ---------------------------------------------------------------------------------------------

/// (command, properties, message) of each workflow-command line; every line must be one.
fn commands(out: &str) -> Vec<(String, String, String)> {
    out.lines()
        .map(|l| {
            let rest = l
                .strip_prefix("::")
                .unwrap_or_else(|| panic!("not a command: {l}"));
            let (head, msg) = rest.split_once("::").unwrap();
            let (cmd, props) = head.split_once(' ').unwrap_or((head, ""));
            (cmd.to_string(), props.to_string(), msg.to_string())
        })
        .collect()
}

#[test]
fn github_annotations_are_capped_escaped_and_summarised() {
    let seed = ddldiag(&["analyze", "--format", "github", SEED], None);
    assert_eq!(seed.code, 1);
    let c = commands(&seed.stdout);
    let kinds: Vec<&str> = c.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(kinds, ["error", "error", "warning", "notice"]);
    // An archive member is no workspace file: no file=/line=, the location is in the message.
    assert!(
        c[0].1
            .starts_with("title=DDL002 dist-task-reverted-on-transient-error"),
        "{:?}",
        c[0]
    );
    assert!(!c[0].1.contains("file="));
    assert!(c[0]
        .2
        .contains("fixtures/seed-50417/tidb-0.tar.gz!tidb-0/tidb.log:2%0A"));
    assert!(c[3]
        .2
        .starts_with("ddldiag: 1 job, 2 error, 1 warning, 0 info findings → exit 1."));

    // A plain log file is: file= and line= point at the first evidence line.
    let owner = ddldiag(
        &["analyze", "--format", "github", "fixtures/owner-move"],
        None,
    );
    let c = commands(&owner.stdout);
    assert_eq!(c[0].0, "notice");
    assert!(
        c[0].1
            .starts_with("file=fixtures/owner-move/tidb-0.log,line=8,title="),
        "{:?}",
        c[0]
    );

    // 24 errors and 12 warnings: 10 of each, and the notice says 16 were left out.
    let many = ddldiag(
        &["analyze", "--format", "github", "-"],
        Some(&twelve_jobs()),
    );
    let c = commands(&many.stdout);
    assert_eq!(c.iter().filter(|c| c.0 == "error").count(), 10);
    assert_eq!(c.iter().filter(|c| c.0 == "warning").count(), 10);
    let last = c.last().unwrap();
    assert_eq!(last.0, "notice");
    assert!(last.2.contains("12 jobs, 24 error, 12 warning"), "{last:?}");
    assert!(last.2.contains("16 more not annotated"), "{last:?}");

    // Log text cannot end the message, start a command or smuggle a control character.
    let hostile = seed_as(491, 210029).replacen(
        "[taskKey=ddl/backfill/491]",
        "[taskKey=ddl/backfill/491] [x=\"a\\n::error::forged 100%\u{1b}[2J\"]",
        1,
    );
    let out = ddldiag(&["analyze", "--format", "github", "-"], Some(&hostile)).stdout;
    assert!(!out.contains('\u{1b}'));
    assert!(
        !out.lines().any(|l| l.starts_with("::error::forged")),
        "{out}"
    );
    assert_eq!(out.lines().count(), 4, "{out}");

    // Damage is the first error.
    let d = ddldiag(
        &[
            "analyze",
            "--format",
            "github",
            "fixtures/inputs/truncated.tar.gz",
        ],
        None,
    );
    assert_eq!(d.code, 3);
    let c = commands(&d.stdout);
    assert_eq!(c[0].0, "error");
    assert!(
        c[0].1.contains("title=ddldiag%3A incomplete input"),
        "{:?}",
        c[0]
    );
    assert!(c.last().unwrap().2.contains("INCOMPLETE input → exit 3"));
}

#[test]
fn github_step_summary_gets_the_whole_markdown_report_appended() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "# earlier step\n\n").unwrap();
    let out = ddldiag_env(
        &["analyze", "--format", "github", SEED],
        None,
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert_eq!(out.code, 1);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("# earlier step\n\n"),
        "appended, not replaced"
    );
    let md = ddldiag(&["analyze", "--format", "markdown", SEED], None).stdout;
    assert!(
        text.ends_with(&format!("{md}\n")),
        "the whole Markdown report"
    );
    assert!(gfm(&text).iter().any(|e| matches!(
        e,
        pulldown_cmark::Event::Start(pulldown_cmark::Tag::Table(_))
    )));
    // Without the variable nothing is written anywhere but stdout.
    let out = ddldiag(&["analyze", "--format", "github", SEED], None);
    assert!(out.stdout.starts_with("::error "));
}

// ---------------------------------------------------------------------------------------------
// GitLab Code Quality
// ---------------------------------------------------------------------------------------------

#[test]
fn gitlab_code_quality_has_the_fields_gitlab_reads_and_stable_fingerprints() {
    let issues = |args: &[&str], stdin: Option<&str>| -> Vec<Value> {
        let out = ddldiag(args, stdin);
        json(&out.stdout).as_array().expect("an array").clone()
    };
    for f in FIXTURES {
        for i in issues(&["analyze", "--format", "gitlab", f], None) {
            for k in ["description", "check_name", "fingerprint", "severity"] {
                assert!(
                    i[k].as_str().is_some_and(|s| !s.is_empty()),
                    "{f}: {k} in {i}"
                );
            }
            assert!(
                ["info", "minor", "major", "critical", "blocker"]
                    .contains(&i["severity"].as_str().unwrap()),
                "{f}: {i}"
            );
            assert!(i["location"]["path"]
                .as_str()
                .is_some_and(|p| !p.is_empty()));
            assert!(i["location"]["lines"]["begin"]
                .as_u64()
                .is_some_and(|n| n >= 1));
        }
    }
    let seed = issues(&["analyze", "--format", "gitlab", SEED], None);
    let codes: Vec<&str> = seed
        .iter()
        .map(|i| i["check_name"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["DDL002", "DDL001", "DDL003"]);
    let sev: Vec<&str> = seed
        .iter()
        .map(|i| i["severity"].as_str().unwrap())
        .collect();
    assert_eq!(sev, ["critical", "critical", "major"]);
    // The same failure in another run (other job id, task id, and the lines a minute later)
    // has the same fingerprints: GitLab must not call it new.
    let later = seed_as(8123, 210777).replace("19:21:", "19:22:");
    let rerun = issues(&["analyze", "--format", "gitlab", "-"], Some(&later));
    let fp = |v: &[Value]| -> Vec<String> {
        v.iter()
            .map(|i| i["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(fp(&seed), fp(&rerun));
    // Within one run every issue has its own.
    let many = issues(
        &["analyze", "--format", "gitlab", "-"],
        Some(&twelve_jobs()),
    );
    let mut all = fp(&many);
    assert_eq!(all.len(), 36);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 36, "fingerprints collide within a run");
    // Lost input is a blocker.
    let d = issues(
        &[
            "analyze",
            "--format",
            "gitlab",
            "fixtures/inputs/truncated.tar.gz",
        ],
        None,
    );
    assert_eq!(d[0]["severity"], "blocker");
    assert_eq!(d[0]["check_name"], "input-incomplete");
}
