//! Prefilter safety (issue #5 item 4): the fast path (only lines with an anchor literal are
//! parsed in full) must not drop a line a timeline or rule needs. For every fixture and every
//! corpus case, `analyze --format json` with and without the hidden `--full-parse` flag must be
//! byte-identical.

mod common;

use std::path::PathBuf;

use assert_cmd::Command;
use common::{corpus_or_skip, fixture};

fn report(input: &std::path::Path, full: bool) -> (i32, Vec<u8>) {
    let mut c = Command::cargo_bin("ddldiag").unwrap();
    c.args(["analyze", "--format", "json", "--fail-on", "never"]);
    if full {
        c.arg("--full-parse");
    }
    let out = c.arg(input).output().unwrap();
    (out.status.code().unwrap(), out.stdout)
}

#[test]
fn full_parse_gives_the_same_report() {
    let mut inputs: Vec<PathBuf> = vec![
        fixture("seed-50417/tidb-0.tar.gz"),
        fixture("clean-v6.1.0/tidb.log"),
        fixture("inputs/clinic"),
    ];
    for e in std::fs::read_dir(fixture("inputs")).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            inputs.push(p);
        }
    }
    if let Some(c) = corpus_or_skip("full_parse_gives_the_same_report", "only the fixtures") {
        let mut cases: Vec<PathBuf> = std::fs::read_dir(c)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        cases.sort();
        inputs.extend(cases);
    }
    let mut differ = Vec::new();
    for p in &inputs {
        let fast = report(p, false);
        let full = report(p, true);
        if fast != full {
            let a = String::from_utf8_lossy(&fast.1);
            let b = String::from_utf8_lossy(&full.1);
            let first = a
                .lines()
                .zip(b.lines())
                .position(|(x, y)| x != y)
                .unwrap_or(0);
            differ.push(format!(
                "{}: exit {} vs {}; first differing line {}:\n  fast: {}\n  full: {}",
                p.display(),
                fast.0,
                full.0,
                first + 1,
                a.lines().nth(first).unwrap_or(""),
                b.lines().nth(first).unwrap_or("")
            ));
        }
    }
    println!("prefilter: {} inputs compared", inputs.len());
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
