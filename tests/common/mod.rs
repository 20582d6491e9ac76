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

/// The seed log: `tidb-0/tidb.log` of `fixtures/seed-50417/tidb-0.tar.gz` (25 lines).
pub fn seed_log() -> Vec<u8> {
    let bytes = std::fs::read(fixture("seed-50417/tidb-0.tar.gz")).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path_bytes().ends_with(b"tidb.log") {
            let mut s = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut s).unwrap();
            return s;
        }
    }
    panic!("no tidb.log in the seed bundle")
}

/// Where the shared corpus is looked for: `$DDLDIAG_CORPUS` when set (relative to the
/// repository root), else `../shared/corpus` next to the checkout, where CI lays it.
pub fn corpus_path() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    match std::env::var_os("DDLDIAG_CORPUS") {
        Some(p) if !p.is_empty() => root.join(p),
        _ => root.join("../shared/corpus"),
    }
}

/// True when running under CI (`CI` set, as CI does with `CI=true`; `false` and `0` are not CI).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The corpus folder for `test`, the one gate for every test that reads the corpus.
///
/// Without it, under CI the test fails, naming the missing path: a corpus test that passes
/// having checked nothing is a false green. Elsewhere it says loudly on stderr that `test`
/// skipped and what it checked instead (`without`: "nothing", "only the fixtures", ...), and
/// returns `None`.
pub fn corpus_or_skip(test: &str, without: &str) -> Option<PathBuf> {
    let dir = corpus_path();
    if dir.is_dir() {
        return Some(dir);
    }
    let shown = dir.display();
    if in_ci() {
        panic!(
            "../shared/corpus not found (looked at {shown}; DDLDIAG_CORPUS overrides it): \
             {test} needs the corpus, and CI is set, so it fails rather than pass having \
             checked {without}"
        );
    }
    eprintln!(
        "SKIPPED: ../shared/corpus not found next to the checkout (looked at {shown}); \
         {test} checked {without}"
    );
    None
}

/// The corpus case folders (those with a `case.json`), sorted, for `test`; empty when the
/// corpus is missing outside CI ([`corpus_or_skip`]). A corpus without cases fails.
pub fn corpus_cases(test: &str) -> Vec<PathBuf> {
    let Some(root) = corpus_or_skip(test, "nothing") else {
        return Vec::new();
    };
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    cases.sort();
    assert!(
        !cases.is_empty(),
        "no case folders (with a case.json) under {}",
        root.display()
    );
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

/// The seed every property test starts from unless `PROPTEST_RNG_SEED` says otherwise.
pub const PROPTEST_SEED: u64 = 0x5eed_0005_0417;

/// `PROPTEST_CASES` when set, else `default`: how a longer run is asked for.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default)
}

/// Settings for every property test here: `cases` cases from a fixed seed, so each run (CI's
/// and a developer's) tries the same inputs and a failure reproduces; `PROPTEST_RNG_SEED=N`
/// explores other ones. A failing case is kept in `regressions` (a path from the repository
/// root, by convention `proptest-regressions/<test file>.txt`; commit it) and replayed first.
pub fn proptest_config(regressions: &'static str, cases: u32) -> proptest::test_runner::Config {
    use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};
    // `Config::default()` has already read the PROPTEST_* variables.
    let mut c = Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        ..Config::default()
    };
    if c.rng_seed == RngSeed::Random {
        c.rng_seed = RngSeed::Fixed(PROPTEST_SEED);
    }
    c
}
