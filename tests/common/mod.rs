//! Helpers shared by the integration tests (the robustness tests of issue #6, the rule
//! fixtures): running the binary, reading its JSON report, and counting lines independently of
//! ddldiag's scanner.
#![allow(dead_code)] // each test crate uses a different subset

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
}

/// The shared corpus next to the repository, when it exists (CI checks it out there).
pub fn corpus_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    d.is_dir().then_some(d)
}

/// The corpus case folders (those with a `case.json`), sorted; empty without the corpus.
pub fn corpus_cases() -> Vec<PathBuf> {
    let Some(root) = corpus_dir() else {
        eprintln!("../shared/corpus not found: skipped");
        return Vec::new();
    };
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    cases.sort();
    cases
}

/// Every regular file under `dir`, sorted, symlinks not followed.
pub fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let ft = std::fs::symlink_metadata(&p).unwrap().file_type();
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A run of the real binary.
pub struct Run {
    pub code: i32,
    pub report: Value,
    pub stderr: String,
}

impl Run {
    /// `inputs[i]`.
    pub fn input(&self, i: usize) -> &Value {
        &self.report["inputs"][i]
    }

    /// The input's error text ("" when complete).
    pub fn error(&self, i: usize) -> String {
        self.input(i)["error"].as_str().unwrap_or("").to_string()
    }

    pub fn files(&self) -> Vec<&Value> {
        self.report["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|i| i["files"].as_array().unwrap().iter())
            .collect()
    }

    /// `(rule, job_id)` of every finding, sorted.
    pub fn findings(&self) -> Vec<(String, i64)> {
        let mut v: Vec<(String, i64)> = self.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["job_id"].as_i64().unwrap_or(-1),
                )
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }

    pub fn rules(&self) -> Vec<String> {
        let mut v: Vec<String> = self.findings().into_iter().map(|(r, _)| r).collect();
        v.dedup();
        v
    }

    /// Bytes read over all files.
    pub fn bytes_read(&self) -> u64 {
        self.files()
            .iter()
            .map(|f| f["bytes"].as_u64().unwrap())
            .sum()
    }
}

/// Runs `ddldiag analyze --format json [extra] inputs...`, with `stdin` if given.
pub fn analyze(inputs: &[&Path], extra: &[&str], stdin: Option<Vec<u8>>) -> Run {
    run_analyze(None, inputs, extra, stdin)
}

/// [`analyze`] from the directory `cwd`, so that relative input paths (and therefore the file
/// names in the report) do not depend on where the repository is checked out.
pub fn analyze_in(cwd: &Path, inputs: &[&Path], extra: &[&str]) -> Run {
    run_analyze(Some(cwd), inputs, extra, None)
}

fn run_analyze(
    cwd: Option<&Path>,
    inputs: &[&Path],
    extra: &[&str],
    stdin: Option<Vec<u8>>,
) -> Run {
    let mut c = Command::cargo_bin("ddldiag").unwrap();
    if let Some(dir) = cwd {
        c.current_dir(dir);
    }
    c.env_remove("NO_COLOR")
        .args(["analyze", "--format", "json"])
        .args(extra)
        .args(inputs);
    if let Some(s) = stdin {
        c.arg("-").write_stdin(s);
    }
    let out = c.output().unwrap();
    let code = out.status.code().expect("killed by a signal (a crash?)");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "ddldiag panicked on {inputs:?}: {stderr}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("no JSON report on {inputs:?} (exit {code}): {e}\nstderr: {stderr}")
    });
    Run {
        code,
        report,
        stderr,
    }
}

/// Physical lines as a reader of the file would count them: one per `\n`, plus one for a
/// last line without one. Independent of ddldiag's scanner on purpose.
pub fn physical_lines(data: &[u8]) -> u64 {
    let nl = data.iter().filter(|&&b| b == b'\n').count() as u64;
    nl + u64::from(!data.is_empty() && !data.ends_with(b"\n"))
}

/// Reads `r` until it ends or fails; returns what came out before that.
pub fn read_partial(mut r: impl std::io::Read) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}
