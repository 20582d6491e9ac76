//! Generated input at scale (issue #6, items 3 and 4).
//!
//! * The job-string and record parsers on arbitrary and mutated text: never panic.
//! * The whole pipeline (`analyze::run` → rules → `report::exit_code`, in process so that
//!   thousands of cases fit in CI) on generated bundles: random mixes of real seed and corpus
//!   lines, junk, hard-wrapped and stack-dump lines, LF or CRLF, packed as plain / gz / tar.gz /
//!   zip, sometimes cut short. Properties: no panic; exit code in {0,1,2,3}; a cut compressed
//!   bundle never exits 0 or 1; `records + continuations + unparsed == lines` per file, and
//!   `lines` is the physical line count of what was packed; every finding has an evidence line
//!   whose text is the physical line at `line` of the named file; for plain inputs, the
//!   report with `full_parse` is identical (prefilter safety, issue #5 item 4).
//! * Nothing lost: over every corpus file and fixture, the report's per-file line count equals
//!   the physical line count computed here, and the three kinds add up to it.
//!
//! Default: 2,000 pipeline cases plus 4,000 parser cases. `DDLDIAG_LONG=1` runs 100,000
//! pipeline cases and 100,000 of each parser property (or set `DDLDIAG_CASES`). Cases come
//! from a fixed seed (`PROPTEST_RNG_SEED` for others); failures are kept in
//! `proptest-regressions/generated.txt` and replayed first.

mod common;

use std::io::{Cursor, Write};
use std::path::Path;
use std::sync::OnceLock;

use common::{corpus_or_skip, fixture, physical_lines, walk_files};
use ddldiag::analyze;
use ddldiag::diagnosis::Settings;
use ddldiag::report::{self, FailOn};
use ddldiag::source::Input;
use flate2::write::GzEncoder;
use flate2::Compression;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

fn long() -> bool {
    std::env::var_os("DDLDIAG_LONG").is_some_and(|v| !v.is_empty() && v != "0")
}

fn cases(default: u32, long_n: u32) -> u32 {
    std::env::var("DDLDIAG_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if long() { long_n } else { default })
}

/// `n` cases from the fixed seed, failures kept in `proptest-regressions/generated.txt`.
fn runner(n: u32) -> TestRunner {
    TestRunner::new(common::proptest_config(
        "proptest-regressions/generated.txt",
        n,
    ))
}

/// Real lines: the seed's 25 and up to 3,000 from the corpus (TiDB, TiKV, PD).
fn pool() -> &'static Vec<Vec<u8>> {
    static POOL: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let mut out = Vec::new();
        let seed = std::fs::read(fixture("inputs/multi-member.log.gz")).unwrap();
        let text = common::read_partial(flate2::read::MultiGzDecoder::new(&seed[..]));
        out.extend(
            text.split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
        if let Some(dir) = corpus_or_skip(
            "pipeline_on_generated_bundles and record_parser_never_panics",
            "only seed lines",
        ) {
            for f in walk_files(&dir)
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "log"))
            {
                let data = std::fs::read(f).unwrap();
                out.extend(data.split(|&b| b == b'\n').take(150).map(<[u8]>::to_vec));
                if out.len() > 3000 {
                    break;
                }
            }
        }
        out
    })
}

#[derive(Debug, Clone)]
enum Piece {
    Real(usize),
    /// A real line hard-wrapped at a byte offset: two physical lines.
    Wrapped(usize, usize),
    Junk(Vec<u8>),
    Stack(u8),
}

#[derive(Debug, Clone, Copy)]
enum Pack {
    Plain,
    Gz,
    TarGz,
    Zip,
}

#[derive(Debug, Clone)]
struct Case {
    files: Vec<(Vec<Piece>, bool, bool)>, // pieces, CRLF, final newline
    pack: Pack,
    /// Cut the packed bytes at this fraction (per mille) of their length; 1000 = intact.
    cut: u16,
}

fn piece() -> impl Strategy<Value = Piece> {
    let n = pool().len();
    prop_oneof![
        6 => (0..n).prop_map(Piece::Real),
        1 => (0..n, 0..400usize).prop_map(|(i, at)| Piece::Wrapped(i, at)),
        1 => proptest::collection::vec(any::<u8>(), 0..80)
            .prop_map(|v| Piece::Junk(v.into_iter().map(|b| if b == b'\n' || b == b'\r' { b' ' } else { b }).collect())),
        1 => (0u8..4).prop_map(Piece::Stack),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let file = (
        proptest::collection::vec(piece(), 0..40),
        any::<bool>(),
        any::<bool>(),
    );
    (
        proptest::collection::vec(file, 1..4),
        prop_oneof![
            Just(Pack::Plain),
            Just(Pack::Gz),
            Just(Pack::TarGz),
            Just(Pack::Zip)
        ],
        prop_oneof![3 => Just(1000u16), 1 => 1u16..1000],
    )
        .prop_map(|(files, pack, cut)| Case { files, pack, cut })
}

fn render(pieces: &[Piece], crlf: bool, final_nl: bool) -> Vec<u8> {
    let p = pool();
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for pc in pieces {
        match pc {
            Piece::Real(i) => lines.push(p[*i].clone()),
            Piece::Wrapped(i, at) => {
                let l = &p[*i];
                let at = (*at).min(l.len());
                lines.push(l[..at].to_vec());
                lines.push(l[at..].to_vec());
            }
            Piece::Junk(j) => lines.push(j.clone()),
            Piece::Stack(k) => lines.push(
                [
                    &b"goroutine 1 [running]:"[..],
                    b"\tgithub.com/pingcap/tidb/ddl.(*worker).runDDLJob(0xc0)",
                    b"panic: runtime error",
                    b"",
                ][*k as usize]
                    .to_vec(),
            ),
        }
    }
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        out.extend_from_slice(l);
        if i + 1 < lines.len() || final_nl {
            out.extend_from_slice(eol);
        }
    }
    out
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Packs the files; returns the bytes, the input's file name and each file's member name.
fn pack(texts: &[Vec<u8>], how: Pack) -> (Vec<u8>, &'static str, Vec<String>) {
    let names: Vec<String> = (0..texts.len())
        .map(|i| format!("tidb-{i}/tidb.log"))
        .collect();
    match how {
        Pack::Plain => (texts[0].clone(), "tidb.log", vec![String::new()]),
        Pack::Gz => (gz(&texts[0]), "tidb.log.gz", vec![String::new()]),
        Pack::TarGz => {
            let mut b = tar::Builder::new(Vec::new());
            for (t, n) in texts.iter().zip(&names) {
                let mut h = tar::Header::new_gnu();
                h.set_size(t.len() as u64);
                h.set_mode(0o644);
                b.append_data(&mut h, n, &t[..]).unwrap();
            }
            (gz(&b.into_inner().unwrap()), "bundle.tar.gz", names)
        }
        Pack::Zip => {
            let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
            for (t, n) in texts.iter().zip(&names) {
                w.start_file(n.as_str(), zip::write::SimpleFileOptions::default())
                    .unwrap();
                w.write_all(t).unwrap();
            }
            (w.finish().unwrap().into_inner(), "bundle.zip", names)
        }
    }
}

fn options(full_parse: bool) -> analyze::Options {
    let mut o = analyze::Options {
        threads: 2,
        ..Default::default()
    };
    o.scan.full_parse = full_parse;
    o
}

/// The pipeline as `ddldiag analyze` runs it, minus rendering.
fn diagnose(inputs: &[Input], full_parse: bool) -> (report::Report, u8) {
    let analysis = analyze::run(inputs, &options(full_parse)).expect("no worker panicked");
    let rep = report::judge(analysis, Settings::default(), FailOn::Error);
    let code = report::exit_code(&rep, FailOn::Error).code();
    (rep, code)
}

/// Physical line `n` (1-based) as the scanner hands it on: terminator and one `\r` removed.
fn physical_line(data: &[u8], n: u64) -> Option<&[u8]> {
    let l = data.split(|&b| b == b'\n').nth(n as usize - 1)?;
    Some(l.strip_suffix(b"\r").unwrap_or(l))
}

fn check_case(dir: &Path, c: &Case) -> Result<(), TestCaseError> {
    let texts: Vec<Vec<u8>> = c
        .files
        .iter()
        .map(|(p, crlf, nl)| render(p, *crlf, *nl))
        .collect();
    let (bytes, name, members) = pack(&texts, c.pack);
    let cut = bytes.len() * c.cut as usize / 1000;
    let damaged = cut < bytes.len() && !matches!(c.pack, Pack::Plain);
    let data = &bytes[..cut];
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    let (rep, code) = diagnose(&[Input::Path(path.clone())], false);
    prop_assert!(code <= 3, "exit {code}");
    if matches!(c.pack, Pack::Plain) {
        // Prefilter safety on generated data too (a quarter of the cases, for time).
        let (full, _) = diagnose(&[Input::Path(path.clone())], true);
        prop_assert!(full == rep, "--full-parse changes the report");
    }
    if damaged {
        prop_assert!(
            code == 2 || code == 3,
            "cut bundle exited {code}: {:?}",
            rep.inputs
        );
    }
    let shown = path.display().to_string();
    for f in rep.inputs.iter().flat_map(|i| &i.files) {
        prop_assert_eq!(f.records + f.continuations + f.unparsed, f.lines, "{:?}", f);
        if !damaged && f.complete {
            let key = f.name.strip_prefix(&shown).unwrap_or(&f.name);
            let key = key.strip_prefix('!').unwrap_or(key);
            let i = members.iter().position(|m| m == key);
            prop_assert!(i.is_some(), "unknown file {}", f.name);
            let text = if matches!(c.pack, Pack::Plain) {
                data
            } else {
                &texts[i.unwrap()][..]
            };
            let want =
                if text.iter().all(|&b| b != b'\n') && text.contains(&b'\r') && !text.is_empty() {
                    // CR-only files are split on CR.
                    text.split(|&b| b == b'\r').count() as u64 - u64::from(text.ends_with(b"\r"))
                } else {
                    physical_lines(text)
                };
            prop_assert_eq!(f.lines, want, "{}", f.name);
        }
    }
    if !damaged {
        for finding in &rep.findings {
            prop_assert!(
                !finding.evidence.is_empty(),
                "{} without evidence",
                finding.rule
            );
            let ok = finding.evidence.iter().any(|e| {
                let key = e.file.strip_prefix(&shown).unwrap_or(&e.file);
                let key = key.strip_prefix('!').unwrap_or(key);
                let Some(i) = members.iter().position(|m| m == key) else {
                    return false;
                };
                let text = if matches!(c.pack, Pack::Plain) {
                    data
                } else {
                    &texts[i][..]
                };
                physical_line(text, e.line).is_some_and(|l| {
                    let l = String::from_utf8_lossy(l);
                    ddldiag::scan::truncate_str(&l, ddldiag::scan::MAX_EVIDENCE_TEXT) == &*e.text
                })
            });
            prop_assert!(
                ok,
                "{}: no evidence line matches its file: {:?}",
                finding.rule,
                finding.evidence
            );
        }
    }
    Ok(())
}

#[test]
fn pipeline_on_generated_bundles() {
    let n = cases(2_000, 100_000);
    let d = tempfile::tempdir().unwrap();
    let t = std::time::Instant::now();
    runner(n)
        .run(&case(), |c| check_case(d.path(), &c))
        .unwrap();
    println!("pipeline: {n} generated bundles in {:?}", t.elapsed());
}

#[test]
fn job_string_parser_never_panics() {
    let n = cases(4_000, 100_000);
    let real = "ID:491, Type:add index, State:running, SchemaState:write reorganization, SchemaID:104, TableID:245, RowCount:35232986, ArgLen:0, start time: 2024-01-13 18:43:51.163 +0800 CST, Err:[tikv:9005]Region is unavailable, ErrCount:511, SnapshotVersion:446964178735808514, UniqueWarnings:0";
    let strat = prop_oneof![
        ".*".prop_map(|s: String| s),
        (0..real.len(), ".{0,12}").prop_map(move |(at, ins): (usize, String)| {
            let mut s = real.to_string();
            let at = (0..=at).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
            s.insert_str(at, &ins);
            s
        }),
        (0..real.len()).prop_map(move |at| real[..at].to_string()),
    ];
    runner(n)
        .run(&strat, |s| {
            let _ = ddldiag::event::jobstr::parse(&s);
            let _ = ddldiag::event::jobstr::parse_list(&format!("{s}; {s}"));
            Ok(())
        })
        .unwrap();
    println!("job strings: {n} cases");
}

#[test]
fn record_parser_never_panics() {
    let n = cases(4_000, 100_000);
    let p = pool();
    let strat = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        (0..p.len(), 0..300usize, any::<u8>()).prop_map(|(i, at, b)| {
            let mut l = p[i].clone();
            let at = at.min(l.len());
            l.insert(at, b);
            l
        }),
        (0..p.len(), 0..300usize).prop_map(|(i, at)| {
            let l = &p[i];
            l[..at.min(l.len())].to_vec()
        }),
    ];
    runner(n)
        .run(&strat, |b| {
            let s = String::from_utf8_lossy(&b);
            let start = ddldiag::record::is_record_start(&b);
            if let Some(r) = ddldiag::record::parse_line(&s) {
                let _ = r.message_and_category();
                prop_assert!(
                    start || !s.starts_with('['),
                    "parsed but not a record start: {s:?}"
                );
            }
            Ok(())
        })
        .unwrap();
    println!("record lines: {n} cases");
}

/// Item 4: over every corpus file and every fixture, nothing is lost between physical lines
/// and the report's counts.
#[test]
fn nothing_lost_over_corpus_and_fixtures() {
    let mut plain: Vec<std::path::PathBuf> = walk_files(&fixture(""))
        .into_iter()
        .filter(|p| {
            let s = p.to_string_lossy();
            !s.ends_with(".gz")
                && !s.ends_with(".zip")
                && !s.ends_with(".sh")
                && !s.ends_with(".md")
        })
        .collect();
    if let Some(c) = corpus_or_skip("nothing_lost_over_corpus_and_fixtures", "only the fixtures") {
        plain.extend(
            walk_files(&c)
                .into_iter()
                .filter(|p| !p.to_string_lossy().ends_with(".json") && !p.ends_with("README.md")),
        );
    }
    let mut checked = 0;
    for p in &plain {
        let data = std::fs::read(p).unwrap();
        let (rep, _) = diagnose(&[Input::Path(p.clone())], false);
        let f = &rep.inputs[0].files[0];
        assert_eq!(f.lines, physical_lines(&data), "{}", p.display());
        assert_eq!(
            f.records + f.continuations + f.unparsed,
            f.lines,
            "{}",
            p.display()
        );
        assert_eq!(f.bytes, data.len() as u64, "{}", p.display());
        checked += 1;
    }
    // Compressed fixtures: compare with the members unpacked here.
    for (rel, want) in [
        ("seed-50417/tidb-0.tar.gz", vec![25]),
        ("inputs/multi-member.log.gz", vec![25]),
        ("inputs/rotated.tar.gz", vec![9, 8, 8, 2]),
        ("inputs/bundle.zip", vec![9, 16, 2]),
        ("inputs/nested.zip", vec![25]),
    ] {
        let (rep, _) = diagnose(&[Input::Path(fixture(rel))], false);
        let got: Vec<u64> = rep.inputs[0].files.iter().map(|f| f.lines).collect();
        assert_eq!(got, want, "{rel}");
        for f in &rep.inputs[0].files {
            assert_eq!(
                f.records + f.continuations + f.unparsed,
                f.lines,
                "{}",
                f.name
            );
        }
        checked += 1;
    }
    println!("nothing lost: {checked} inputs checked");
    assert!(checked > 10);
}
