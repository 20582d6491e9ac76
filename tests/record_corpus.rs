//! Every line of every real log under `../shared/corpus/*/` must parse into a record.
//!
//! The corpus was cleaned to contain records only (pasted prose and stack dumps removed), so a
//! line that does not parse is a parser bug, not noise. Files are discovered by walking the
//! folder, so a new case needs no code here. Besides "is a record", each unified line is
//! rebuilt from the parsed sections and compared with the original: this catches a body that
//! was silently cut short (the parser is lenient and would not say so otherwise).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

mod common;

use ddldiag::record::{is_record_start, parse_line, wrapper, Format, Record, Text};

/// Counts heap allocations made by the current thread, so that "no allocation for ordinary
/// lines" is checked rather than hoped for (tests run on parallel threads, hence per thread).
struct CountingAlloc;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocs() -> usize {
    ALLOCS.with(|c| c.get())
}

/// Lines known not to be records, as (file name suffix, 1-based line number, reason).
/// Empty: the corpus is clean; keep this list honest if that changes.
const NOT_RECORDS: &[(&str, usize, &str)] = &[];

/// Log files under `dir` whose name matches `want`, sorted for a stable report.
fn log_files(dir: &Path, want: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().and_then(|n| n.to_str()).is_some_and(want) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn section_text(t: &Text<'_>) -> String {
    match t {
        Text::Raw(s) => s.to_string(),
        Text::Quoted(s) => format!("\"{s}\""),
        Text::Owned(s) => s.clone(),
    }
}

/// The body (everything after `[caller]`) as the parsed sections say it was written.
fn rebuild_body(r: &Record<'_>, had_message_section: bool) -> String {
    let mut s = String::new();
    if had_message_section {
        s.push_str(&format!(" [{}]", section_text(&r.message)));
    }
    for f in &r.fields {
        s.push_str(&format!(
            " [{}={}]",
            section_text(&f.key),
            section_text(&f.value)
        ));
    }
    s
}

/// Checks one line; returns a failure description.
fn check_line(line: &str) -> Result<(), String> {
    let Some(r) = parse_line(line) else {
        return Err("not a record".into());
    };
    if !is_record_start(line.as_bytes()) {
        return Err("is_record_start disagrees with parse_line".into());
    }
    if r.format != Format::Unified {
        return Ok(());
    }
    if r.source.is_empty() {
        return Err("empty source".into());
    }
    if r.message.get().is_empty() && r.fields.is_empty() {
        return Err("neither message nor fields".into());
    }
    let inner = wrapper::strip(line).trim_end();
    let caller = format!("[{}]", r.source);
    let at = inner.find(&caller).ok_or("caller not found")? + caller.len();
    // Bare `[]` sections are dropped by the parser (after the message) — drop them here too.
    let body = inner[at..].replace(" []", "");
    let with_msg = rebuild_body(&r, true).replace(" []", "");
    let without_msg = rebuild_body(&r, false).replace(" []", "");
    if body != with_msg && body != without_msg {
        return Err(format!("body not fully parsed\n  rebuilt: {with_msg}"));
    }
    Ok(())
}

fn run(test: &str, want: &dyn Fn(&str) -> bool, what: &str) {
    let Some(dir) = common::corpus_or_skip(test, "nothing") else {
        return;
    };
    let files = log_files(&dir, want);
    assert!(!files.is_empty(), "no {what} files under {}", dir.display());
    let (mut lines, mut records, mut failures) = (0usize, 0usize, Vec::new());
    for f in &files {
        let bytes = fs::read(f).unwrap();
        let name = f.strip_prefix(&dir).unwrap_or(f).display().to_string();
        for (n, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            if raw.is_empty() || raw == b"\r" {
                continue;
            }
            lines += 1;
            let line = String::from_utf8_lossy(raw);
            // The hot-path check must agree with the full parse on every line, record or not.
            let start = is_record_start(raw);
            let parsed = parse_line(&line).is_some();
            if start != parsed {
                failures.push(format!(
                    "{name}:{}: is_record_start={start} parse_line={parsed}\n  {line}",
                    n + 1
                ));
                continue;
            }
            records += usize::from(parsed);
            if NOT_RECORDS
                .iter()
                .any(|(f, l, _)| name.ends_with(f) && *l == n + 1)
            {
                assert!(
                    !parsed,
                    "{name}:{} is listed as not a record but parses",
                    n + 1
                );
                continue;
            }
            if let Err(e) = check_line(&line) {
                failures.push(format!("{name}:{}: {e}\n  {line}", n + 1));
            }
        }
    }
    println!(
        "{what}: {records}/{lines} lines are records ({:.2}%) in {} files",
        100.0 * records as f64 / lines.max(1) as f64,
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} failing lines:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_tidb_corpus_line_is_a_record() {
    run(
        "every_tidb_corpus_line_is_a_record",
        &|n| n.starts_with("tidb") && n.ends_with(".log"),
        "tidb*.log",
    );
}

/// TiKV and PD write the same unified format (TiKV through its own Rust encoder).
#[test]
fn every_tikv_and_pd_corpus_line_is_a_record() {
    run(
        "every_tikv_and_pd_corpus_line_is_a_record",
        &|n| n == "tikv.log" || n == "pd.log",
        "tikv.log/pd.log",
    );
}

fn all_corpus_lines(test: &str) -> Option<Vec<Vec<u8>>> {
    let dir = common::corpus_or_skip(test, "nothing")?;
    let files = log_files(&dir, &|n| n.ends_with(".log"));
    let mut out = Vec::new();
    for f in files {
        let bytes = fs::read(f).unwrap();
        out.extend(
            bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    Some(out)
}

/// Unified lines with at most 12 fields (the inline capacity) must not touch the heap, in
/// either the record-start check or the parse.
#[test]
fn ordinary_lines_do_not_allocate() {
    let Some(lines) = all_corpus_lines("ordinary_lines_do_not_allocate") else {
        return;
    };
    let (mut checked, mut offenders) = (0, Vec::new());
    for raw in &lines {
        let Ok(line) = std::str::from_utf8(raw) else {
            continue;
        };
        let before = allocs();
        let start = is_record_start(raw);
        let rec = parse_line(line);
        let used = allocs() - before;
        let Some(rec) = rec else { continue };
        if !start || rec.format != Format::Unified || rec.fields.len() > 12 {
            continue;
        }
        checked += 1;
        if used != 0 {
            offenders.push(format!("{used} allocations: {line}"));
        }
    }
    println!("{checked} ordinary lines parsed without allocating");
    assert!(checked > 1000);
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}

/// Throughput of `is_record_start` + `parse_line` over ~200 MB of corpus lines repeated.
/// Run with `cargo test --release --test record_corpus -- --ignored --nocapture throughput`.
#[test]
#[ignore]
fn throughput() {
    let Some(lines) = all_corpus_lines("throughput") else {
        return;
    };
    let target: usize = std::env::var("DDLDIAG_BENCH_MB")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(200)
        << 20;
    let mut buf = Vec::with_capacity(target + (1 << 20));
    'fill: loop {
        for l in &lines {
            buf.extend_from_slice(l);
            buf.push(b'\n');
            if buf.len() >= target {
                break 'fill;
            }
        }
    }
    let mb = buf.len() as f64 / (1 << 20) as f64;
    let n_lines = memchr::memchr_iter(b'\n', &buf).count();

    let t = Instant::now();
    let mut starts = 0usize;
    for l in buf.split(|&b| b == b'\n') {
        starts += usize::from(is_record_start(l));
    }
    let check = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let (mut records, mut fields) = (0usize, 0usize);
    for l in buf.split(|&b| b == b'\n') {
        if is_record_start(l) {
            let r = parse_line(std::str::from_utf8(l).unwrap()).unwrap();
            records += 1;
            fields += r.fields.len();
        }
    }
    let both = t.elapsed().as_secs_f64();
    assert_eq!(starts, records);
    println!("input: {mb:.0} MB, {n_lines} lines, {records} records, {fields} fields");
    println!(
        "is_record_start only: {:.1} M lines/s, {:.0} MB/s",
        n_lines as f64 / check / 1e6,
        mb / check
    );
    println!(
        "is_record_start + parse_line: {:.1} M lines/s, {:.0} MB/s",
        n_lines as f64 / both / 1e6,
        mb / both
    );
}
