//! The pipeline's layering, enforced: every `crate::…` path in `src/` must point at a stage
//! that comes *before* the one it is written in (or at itself).
//!
//! Data flows one way — sources → records → events → scan → timelines and fault counting →
//! analysis → diagnosis facts → rules → report → renderers → diff → cli — and each stage may
//! use only the ones before it, plus `model`, which uses nothing. A later stage reaching back
//! (or two stages using each other) is what turned the first version into a web; this test
//! fails on the first such edge, naming the file and line.

use std::path::{Path, PathBuf};

/// The declared order. Stages on one row may not use each other.
const LAYERS: &[&[&str]] = &[
    &["model"],
    &["source"],
    &["record"],
    &["event"],
    &["scan"],
    &["timeline", "fault"],
    &["analyze"],
    &["diagnosis"],
    &["rules"],
    &["report"],
    &["render"],
    &["diff"],
    &["cli"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&module))
}

/// The top-level module a file under `src/` belongs to (`src/rules/ddl001.rs` → `rules`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Every `crate::<module>` named in code (comments and doc comments are prose, not edges),
/// including the modules inside `use crate::{a, b::c}` groups.
fn edges(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_group = false;
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(p) = rest.find("crate::") {
            let after = &rest[p + "crate::".len()..];
            if let Some(group) = after.strip_prefix('{') {
                in_group = true;
                rest = group;
                continue;
            }
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push((n + 1, name));
            rest = after;
        }
        if in_group {
            // Inside `use crate::{ … }`: each item's first path segment is a module.
            for item in code.split([',', '{', '}']) {
                let item = item.trim().trim_start_matches("use crate::");
                let name: String = item
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != "self" && rank(&name).is_some() {
                    out.push((n + 1, name));
                }
            }
            if code.contains("};") {
                in_group = false;
            }
        }
    }
    out
}

#[test]
fn stages_import_only_earlier_stages() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut bad = Vec::new();
    let mut unknown = Vec::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        if matches!(module.as_str(), "lib" | "main" | "bin") {
            continue; // the crate root declares the modules; binaries use the library's API
        }
        let Some(mine) = rank(&module) else {
            unknown.push(format!("{} (module {module})", file.display()));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for (line, target) in edges(&text) {
            if target == module {
                continue;
            }
            match rank(&target) {
                Some(r) if r < mine => {}
                Some(_) => bad.push(format!(
                    "{}:{line}: {module} uses crate::{target}, which comes at or after it",
                    file.strip_prefix(&src).unwrap().display()
                )),
                None => unknown.push(format!("{}:{line}: crate::{target}", file.display())),
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "modules missing from LAYERS (add each new stage to the declared order):\n{}",
        unknown.join("\n")
    );
    assert!(
        bad.is_empty(),
        "edges against the pipeline order:\n{}",
        bad.join("\n")
    );
}

/// The parser above is itself tested, so that a passing layering test means something.
#[test]
fn edge_parser_sees_paths_and_groups_but_not_comments() {
    let text = "use crate::model::Timestamp;\n\
                // crate::cli in a comment\n\
                /// [`crate::report::Report`] in a doc comment\n\
                use crate::{event::Event, timeline::{JobTimeline, Timelines}};\n\
                let x = crate::fault::windows(&c);\n\
                use crate::{\n    scan::Scanner,\n    source::Input,\n};\n";
    let got: Vec<String> = edges(text).into_iter().map(|(_, m)| m).collect();
    for want in ["model", "event", "timeline", "fault", "scan", "source"] {
        assert!(
            got.contains(&want.to_string()),
            "{want} missing from {got:?}"
        );
    }
    assert!(!got.contains(&"cli".to_string()));
    assert!(!got.contains(&"report".to_string()));
}
