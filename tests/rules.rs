//! Every rule of the registry through the real pipeline (scan → events → timelines → rules →
//! report), on small fixture logs instead of hand-built timelines.
//!
//! `fixtures/rules/<CODE>/<case>.log` (or a `<case>/` directory of several instances' logs) is a
//! story in which rule `<CODE>` must fire; a `no-<something>` case is a neighbouring rule's story
//! in which it must not. `fixtures/rules/README.md` says which lines prove each story.
//!
//! For each case the binary runs as `ddldiag analyze --format json fixtures/rules/<CODE>/<case>`
//! from the repository root, so every file name in the output is relative and the snapshots do
//! not depend on the checkout. One snapshot per case, `rules__<CODE>__<case>.snap`, holds the
//! jobs' outcomes, the rules that fired and, for a positive case, that rule's findings with their
//! evidence as `file:line text`. Every number in them was checked against the fixture by hand;
//! regenerate with `INSTA_UPDATE=always cargo test --test rules` and read the diff the same way.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// Every rule code of the registry, as `ddldiag rules` lists them: a new rule needs a
/// fixture directory, and no edit here.
fn registry() -> Vec<String> {
    let out = assert_cmd::Command::cargo_bin("ddldiag")
        .unwrap()
        .arg("rules")
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// The brief for fixtures: small enough to read every line.
const MAX_LINES: usize = 40;
const MIN_LINES: usize = 5;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One fixture: a file `<case>.log` or a directory `<case>/` under `fixtures/rules/<code>/`.
struct Case {
    code: String,
    name: String,
    /// `fixtures/rules/<code>/<case>[.log]`, relative to the repository root.
    rel: PathBuf,
}

impl Case {
    fn negative(&self) -> bool {
        self.name.starts_with("no-")
    }

    fn files(&self) -> Vec<PathBuf> {
        let p = root().join(&self.rel);
        if p.is_dir() {
            common::walk_files(&p)
        } else {
            vec![p]
        }
    }
}

/// Every case, sorted by rule then name.
fn cases() -> Vec<Case> {
    let base = root().join("fixtures/rules");
    let mut out = Vec::new();
    let mut codes: Vec<_> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    codes.sort();
    let registry = registry();
    for dir in codes {
        let code = dir.file_name().unwrap().to_str().unwrap().to_string();
        assert!(
            registry.contains(&code),
            "fixtures/rules/{code}: not a rule code"
        );
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            let file = p.file_name().unwrap().to_str().unwrap().to_string();
            let name = if p.is_dir() {
                file.clone()
            } else {
                file.strip_suffix(".log")
                    .unwrap_or_else(|| panic!("{}: fixtures are .log files", p.display()))
                    .to_string()
            };
            out.push(Case {
                rel: Path::new("fixtures/rules").join(&code).join(&file),
                code: code.clone(),
                name,
            });
        }
    }
    out
}

/// A finding as the snapshot shows it: what a reader checks against the fixture.
fn finding_view(f: &Value) -> Value {
    let evidence: Vec<String> = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{} {}",
                e["file"].as_str().unwrap(),
                e["line"],
                e["text"].as_str().unwrap()
            )
        })
        .collect();
    json!({
        "rule": f["rule"],
        "severity": f["severity"],
        "job_id": f["job_id"],
        "title": f["title"],
        "explanation": f["explanation"],
        "suggestion": f["suggestion"],
        "known_issues": f["known_issues"],
        "evidence": evidence,
    })
}

/// Checks one case and takes its snapshot; panics on the first problem.
fn check(case: &Case) {
    let lines: usize = case
        .files()
        .iter()
        .map(|f| common::physical_lines(&std::fs::read(f).unwrap()) as usize)
        .sum();
    assert!(
        (MIN_LINES..=MAX_LINES).contains(&lines),
        "{}: {lines} lines; keep a fixture between {MIN_LINES} and {MAX_LINES}",
        case.rel.display()
    );

    let run = common::analyze_in(&root(), &[&case.rel], &[]);
    assert_eq!(
        run.error(0),
        "",
        "{}: input not read completely",
        case.rel.display()
    );
    let fired = run.rules();
    let findings = run.report["findings"].as_array().unwrap();

    // Exit code 1 exactly when some finding is an error (DESIGN.md §4), and the report agrees.
    let any_error = findings.iter().any(|f| f["severity"] == "error");
    assert_eq!(
        run.code,
        i32::from(any_error),
        "{}: exit code vs severities {fired:?}",
        case.rel.display()
    );
    assert_eq!(run.report["summary"]["exit_code"], run.code);

    let fires = fired.iter().any(|r| r == &case.code);
    if case.negative() {
        assert!(
            !fires,
            "{}: {} must not fire, fired {fired:?}",
            case.rel.display(),
            case.code
        );
    } else {
        assert!(
            fires,
            "{}: {} must fire, fired {fired:?}",
            case.rel.display(),
            case.code
        );
    }

    let jobs: Vec<Value> = run.report["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            json!({
                "job_id": j["job_id"],
                "outcome": j["outcome"],
                "max_err_count": j["max_err_count"],
            })
        })
        .collect();
    let mut view = json!({
        "fixture": case.rel.to_str().unwrap(),
        "exit_code": run.code,
        "rules_fired": fired,
        "jobs": jobs,
    });
    if !case.negative() {
        view["findings"] = findings
            .iter()
            .filter(|f| f["rule"] == case.code.as_str())
            .map(finding_view)
            .collect();
    }
    insta::assert_json_snapshot!(format!("{}__{}", case.code, case.name), view);
}

#[test]
fn every_rule_has_a_positive_and_a_negative_fixture() {
    let cases = cases();
    for code in registry() {
        let code = code.as_str();
        let of: Vec<&Case> = cases.iter().filter(|c| c.code == code).collect();
        assert!(
            of.iter().any(|c| !c.negative()),
            "{code}: no positive fixture"
        );
        assert!(
            of.iter().any(|c| c.negative()),
            "{code}: no negative (no-*) fixture"
        );
    }
}

#[test]
fn every_fixture_is_in_the_readme() {
    let readme = std::fs::read_to_string(root().join("fixtures/rules/README.md")).unwrap();
    for c in cases() {
        let key = format!(
            "{}/{}",
            c.code,
            c.rel.file_name().unwrap().to_str().unwrap()
        );
        assert!(
            readme.contains(&key),
            "fixtures/rules/README.md does not describe {key}"
        );
    }
}

#[test]
fn rules_on_fixtures() {
    let mut failed = Vec::new();
    for case in cases() {
        if catch_unwind(AssertUnwindSafe(|| check(&case))).is_err() {
            failed.push(case.rel.display().to_string());
        }
    }
    assert!(failed.is_empty(), "failing fixtures: {failed:#?}");
}
