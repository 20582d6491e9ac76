//! Issue 14: no false clean exit, no panic, no injection, bounded collections, the input never
//! overwritten. Each test drives the real binary on inputs it builds in a temp dir, and failed
//! before the fix it is named after.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{analyze, fixture, physical_lines, seed_log};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ddldiag");

fn ddldiag(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("killed by a signal (a crash?)")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The seed log with every line passed through `f` (1-based line number, line).
fn seed_map(f: impl Fn(usize, &str) -> String) -> Vec<u8> {
    let seed = String::from_utf8(seed_log()).unwrap();
    let mut out = String::new();
    for (i, l) in seed.lines().enumerate() {
        out.push_str(&f(i + 1, l));
        out.push('\n');
    }
    out.into_bytes()
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, data).unwrap();
    p
}

/// A tar of `(raw member name, content)`; names are copied byte for byte into the header.
fn tar_raw(members: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. Line endings from what is seen
// ---------------------------------------------------------------------------------------------

/// A first line longer than one read (256 KiB) with a CR in it made the whole LF file split
/// on CR: 26 lines became 2, job 491 and its findings vanished, and the gate exited 0.
#[test]
fn a_cr_in_a_long_first_line_does_not_make_an_lf_file_cr_terminated() {
    let d = tempfile::tempdir().unwrap();
    let mut data = b"[2024/01/13 19:21:09.000 +08:00] [INFO] [x.go:1] [\"junk\"] [v=".to_vec();
    data.extend(std::iter::repeat_n(b'a', 100_000));
    data.push(b'\r');
    data.extend(std::iter::repeat_n(b'b', 200_000));
    data.extend_from_slice(b"]\n");
    data.extend(seed_log());
    let p = write(d.path(), "tidb.log", &data);
    let run = analyze(&[&p], &[], None);
    let f = run.files()[0].clone();
    assert_eq!(f["lines"].as_u64(), Some(physical_lines(&data)), "{f}");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.findings().contains(&("DDL001".to_string(), 491)),
        "{:?}",
        run.findings()
    );
    // A file with no LF at all is still split on CR, wherever its reads end.
    let cr: Vec<u8> = seed_log()
        .iter()
        .map(|&b| if b == b'\n' { b'\r' } else { b })
        .collect();
    let p = write(d.path(), "cr/tidb.log", &cr);
    let run = analyze(&[&p], &["--max-line-bytes", "1024"], None);
    assert_eq!(run.files()[0]["lines"], 25, "{}", run.report);
    assert_eq!(run.code, 1);
}

/// `--max-line-bytes` below the 256 KiB read buffer was not honoured, and a line of exactly
/// the cap counted as truncated.
#[test]
fn the_line_cap_is_honoured_and_a_line_of_exactly_the_cap_is_whole() {
    let d = tempfile::tempdir().unwrap();
    let record = |len: usize| {
        let mut l = b"[2024/01/13 19:21:09.000 +08:00] [INFO] [x.go:1] [v=".to_vec();
        l.resize(len - 1, b'x');
        l.push(b']');
        l
    };
    for (line_len, truncated) in [(1024, 0), (1025, 1), (5000, 1), (100, 0)] {
        let mut data = record(line_len);
        data.push(b'\n');
        data.extend(seed_log());
        let p = write(d.path(), &format!("{line_len}/tidb.log"), &data);
        let run = analyze(&[&p], &["--max-line-bytes", "1024"], None);
        let f = run.files()[0].clone();
        assert_eq!(f["truncated_lines"], truncated, "{line_len}: {f}");
        assert_eq!(f["lines"], 26, "{line_len}: {f}");
        assert_eq!(run.code, 1, "{line_len}");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Terminal escape injection
// ---------------------------------------------------------------------------------------------

/// The seed with TiDB-escaped (`\u001b`) control sequences in a table name and an error, and
/// a raw ESC in a line: a window title, a screen clear and an OSC 8 hyperlink.
fn escaping_seed() -> Vec<u8> {
    seed_map(|n, l| {
        let l = l
            .replace(
                "[table=sbtest1]",
                r#"[table="sb\u001b]0;pwned\u0007\u001b[2Jt"]"#,
            )
            .replace(
                "Region is unavailable\"]",
                "Region is unavailable\\u001b]8;;http://e.vil\\u0007\"]",
            );
        if n == 5 {
            format!("{l} [raw=\"\x1b[2J\x1b]0;title\x07\"]")
        } else {
            l
        }
    })
}

/// Every ESC in `s` starts a colour (SGR) sequence, and nothing else is a control character
/// but the newline.
fn only_colours(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            0x1b => {
                let params = b[i + 2..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit() || **c == b';')
                    .count();
                if b.get(i + 1) != Some(&b'[') || b.get(i + 2 + params) != Some(&b'm') {
                    return false;
                }
                i += 3 + params;
            }
            b'\n' => i += 1,
            c if c < 0x20 || c == 0x7f => return false,
            _ => i += 1,
        }
    }
    !s.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c))
}

#[test]
fn terminal_views_and_stderr_show_control_characters_visibly() {
    let d = tempfile::tempdir().unwrap();
    let log = escaping_seed();
    // The member name carries an ESC too; a second, truncated bundle makes a warning that
    // names its member on stderr.
    let bundle = gz(&tar_raw(&[(b"tidb-0/\x1b[2Jtidb.log", &log)]));
    let p = write(d.path(), "tidb-0.tar.gz", &bundle);
    let cut = gz(&tar_raw(&[(b"tidb-1/\x1b]0;x\x07tidb.log", &log)]));
    let cut = write(d.path(), "tidb-1.tar.gz", &cut[..cut.len() - 40]);
    let (p, cut) = (p.to_str().unwrap(), cut.to_str().unwrap());
    let views: Vec<Vec<&str>> = vec![
        vec!["analyze", "--color", "never", p, cut],
        vec!["analyze", "--color", "always", p, cut],
        vec!["analyze", "-v", "--color", "never", p, cut],
        vec!["analyze", "-v", "--color", "always", p, cut],
        vec!["jobs", "--color", "never", p, cut],
        vec!["jobs", "--color", "always", p, cut],
        vec!["timeline", "--job", "491", "-v", "--color", "never", p, cut],
        vec!["timeline", "--job", "491", "--color", "always", p, cut],
        vec!["diff", "--color", "never", p, "--", cut],
        vec!["diff", "--color", "always", cut, "--", p],
    ];
    for args in views {
        let out = ddldiag(&args);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(!stdout.is_empty(), "{args:?}: {stderr}");
        assert!(only_colours(&stdout), "{args:?}:\n{stdout}");
        if args.contains(&"never") {
            assert!(!stdout.contains('\x1b'), "{args:?}:\n{stdout}");
        }
        assert!(
            !stderr.contains('\x1b') && !stderr.contains('\x07'),
            "{args:?}: {stderr}"
        );
        // What was there is still shown, visibly.
        if args[0] == "analyze" || args[0] == "jobs" {
            assert!(
                stdout.contains(r"sb\x1b]0;pwned\x07\x1b[2Jt"),
                "{args:?}:\n{stdout}"
            );
        }
    }
    let out = ddldiag(&["analyze", "--color", "never", p, cut]);
    assert!(
        text(&out.stderr).contains(r"tidb-1/\x1b]0;x\x07tidb.log"),
        "{}",
        text(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// 3. -o never overwrites an input; reports are written whole or not at all
// ---------------------------------------------------------------------------------------------

#[test]
fn output_that_is_one_of_the_inputs_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let bundle = std::fs::read(fixture("seed-50417/tidb-0.tar.gz")).unwrap();
    let b = write(d.path(), "b.tar.gz", &bundle);
    let link = d.path().join("hard.tar.gz");
    std::fs::hard_link(&b, &link).unwrap();
    let dotted = format!("{}/./b.tar.gz", d.path().display());
    for (out_path, inputs) in [
        (b.to_str().unwrap(), vec![b.to_str().unwrap()]),
        (link.to_str().unwrap(), vec![b.to_str().unwrap()]),
        (dotted.as_str(), vec![b.to_str().unwrap()]),
    ] {
        let mut args = vec!["analyze", "--format", "json", "-o", out_path];
        args.extend(&inputs);
        let out = ddldiag(&args);
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("is the input"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(
            std::fs::read(&b).unwrap(),
            bundle,
            "{args:?} changed the bundle"
        );
    }
    // diff checks both sides.
    let b_s = b.to_str().unwrap();
    let out = ddldiag(&[
        "diff",
        "-o",
        b_s,
        fixture("clean-v6.1.0").to_str().unwrap(),
        "--",
        b_s,
    ]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&b).unwrap(), bundle);
    // A new file, or another existing one, is fine.
    let r = d.path().join("report.json");
    let out = ddldiag(&[
        "analyze",
        "--format",
        "json",
        "-o",
        r.to_str().unwrap(),
        b_s,
    ]);
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
    let _: Value = serde_json::from_slice(&std::fs::read(&r).unwrap()).unwrap();
}

/// A write that fails half way (here: a file-size limit of 4 KiB, as a full disk would) left a
/// partial report in place of the old one.
#[test]
fn a_failed_write_leaves_the_old_report_and_no_partial_file() {
    let d = tempfile::tempdir().unwrap();
    let r = write(d.path(), "report.json", b"old report\n");
    let seed = fixture("seed-50417/tidb-0.tar.gz");
    let script = format!(
        "trap '' XFSZ; ulimit -f 4; exec '{BIN}' analyze --format json -o '{}' '{}'",
        r.display(),
        seed.display()
    );
    let out = Command::new("bash").args(["-c", &script]).output().unwrap();
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot write"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&r).unwrap(), b"old report\n");
    let left: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "temporary file left behind: {left:?}");
}

// ---------------------------------------------------------------------------------------------
// 5. Panics and aborts
// ---------------------------------------------------------------------------------------------

/// Notes on a stderr that cannot be written (`2>/dev/full`, `2>&1 | head -1`) made the process
/// exit 101 "failed printing to stderr" instead of with its verdict.
#[test]
fn an_unwritable_stderr_does_not_change_the_exit_code() {
    let truncated = fixture("inputs/truncated.tar.gz");
    let args = ["analyze", "--format", "json", truncated.to_str().unwrap()];
    let full = Command::new(BIN)
        .args(args)
        .stderr(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(full.code(), Some(3));
    // A pipe whose reader is gone.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let closed = Command::new(BIN)
        .args(args)
        .stderr(writer)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(closed.code(), Some(3));
    // Usage errors too.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let missing = Command::new(BIN)
        .args(["analyze", "/nonexistent/tidb.log"])
        .stderr(writer)
        .status()
        .unwrap();
    assert_eq!(missing.code(), Some(2));
}

/// A directory ~1,900 levels deep overflowed the walker thread's stack (exit 134).
#[test]
fn a_very_deep_directory_is_walked() {
    let d = tempfile::tempdir().unwrap();
    let mut p = d.path().join("logs");
    // 1,990 levels: as deep as the path length limit (4,096) allows with one-letter names.
    for _ in 0..((4000 - p.as_os_str().len()) / 2) {
        p.push("a");
    }
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(p.join("tidb.log"), seed_log()).unwrap();
    let root = d.path().join("logs");
    let run = analyze(&[&root], &[], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.findings().contains(&("DDL001".to_string(), 491)));
}

/// `--stall-minutes 9223372036854775807` panicked in chrono (101), `--threads 20000` aborted
/// spawning threads (134), `--threads 0` meant "one per core" by accident of a default.
#[test]
fn out_of_range_options_are_usage_errors() {
    let seed = fixture("seed-50417/tidb-0.tar.gz");
    let seed = seed.to_str().unwrap();
    for bad in [
        vec!["--threads", "20000"],
        vec!["--threads", "257"],
        vec!["--threads", "0"],
        vec!["--stall-minutes", "9223372036854775807"],
        vec!["--stall-minutes", "600000"],
        vec!["--stall-minutes", "-1"],
        vec!["--max-line-bytes", "0"],
        vec!["--max-line-bytes", "9999999999999"],
    ] {
        let mut args = vec!["analyze"];
        args.extend(&bad);
        args.push(seed);
        let out = ddldiag(&args);
        assert_eq!(code(&out), 2, "{bad:?}: {}", text(&out.stderr));
        assert!(!text(&out.stderr).contains("panicked"));
    }
    for good in [
        vec!["--threads", "256"],
        vec!["--threads", "1"],
        vec!["--stall-minutes", "527040"],
    ] {
        let mut args = vec!["analyze", "--format", "json"];
        args.extend(&good);
        args.push(seed);
        assert_eq!(code(&ddldiag(&args)), 1, "{good:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Caps on bytes: decompressed, raw from endless streams, overlapping zip entries
// ---------------------------------------------------------------------------------------------

/// `/dev/zero` never ended, even with `--max-decompressed-bytes`: only decompressed bytes were
/// counted.
#[test]
fn an_endless_input_stops_at_the_byte_cap() {
    let mut child = Command::new(BIN)
        .args([
            "analyze",
            "--format",
            "json",
            "--max-decompressed-bytes",
            "20000000",
            "/dev/zero",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed().as_secs() > 120 {
            child.kill().unwrap();
            panic!("/dev/zero was still being read after 2 minutes");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(3), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let err = report["inputs"][0]["error"].as_str().unwrap();
    assert!(err.contains("more than 20000000 bytes read"), "{err}");
}

/// Without a default cap, a compression bomb took whatever it inflated to. The default is
/// 64 GiB, shown in the help and overridable.
#[test]
fn the_decompression_cap_has_a_default() {
    let out = ddldiag(&["analyze", "--help"]);
    let help = text(&out.stdout);
    assert!(help.contains("[default: 68719476736]"), "{help}");
}

/// A zip whose central directory points two entries at the same bytes (the "overlapping
/// files" zip bomb: 311 KB gave 10.5 GB of work) exited 0.
#[test]
fn overlapping_zip_entries_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file("tidb-0/tidb.log", o).unwrap();
    z.write_all(&seed_log()).unwrap();
    z.start_file("tidb-1/tidb.log", o).unwrap();
    z.write_all(&seed_log()).unwrap();
    let mut bytes = z.finish().unwrap().into_inner();
    // Point the second central directory entry at the first entry's local header.
    let cd: Vec<usize> = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x01\x02")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(cd.len(), 2);
    bytes[cd[1] + 42..cd[1] + 46].copy_from_slice(&0u32.to_le_bytes());
    let p = write(d.path(), "bomb.zip", &bytes);
    let run = analyze(&[&p], &[], None);
    assert_eq!(run.code, 3, "{}", run.report);
    assert!(run.error(0).contains("overlaps"), "{}", run.error(0));
    // The first entry is still read.
    assert!(run.findings().contains(&("DDL001".to_string(), 491)));
}

// ---------------------------------------------------------------------------------------------
// 6. Markdown and HTML
// ---------------------------------------------------------------------------------------------

/// Log text in finding prose rendered as links, images (a tracking pixel), @mentions and
/// emphasis in the pasted issue.
#[test]
fn markdown_log_text_cannot_render_as_markup() {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    let log = seed_map(|_, l| {
        l.replace(
            "[table=sbtest1]",
            r#"[table="[x](http://e.vil) ![p](http://t.example/p.gif) @admin *em* _u_ <img src=x> #12"]"#,
        )
        .replace(
            "Region is unavailable\"]",
            "Region is unavailable [y](http://e.vil/2) @team **b**\"]",
        )
    });
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "tidb.log", &log);
    let out = ddldiag(&["analyze", "--format", "markdown", p.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    let md = text(&out.stdout);
    assert!(md.contains("Region is unavailable"), "{md}");
    let mut in_block = false;
    for ev in Parser::new_ext(&md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match &ev {
            Event::Start(Tag::CodeBlock(_)) => in_block = true,
            Event::End(pulldown_cmark::TagEnd::CodeBlock) => in_block = false,
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => {
                panic!("a link or image to {dest_url} in:\n{md}")
            }
            Event::Start(Tag::Emphasis) | Event::Start(Tag::Strikethrough) => {
                panic!("emphasis from the logs in:\n{md}")
            }
            Event::InlineHtml(h) if !h.starts_with("<sub>") && !h.starts_with("</sub>") => {
                panic!("raw HTML {h} in:\n{md}")
            }
            Event::Text(t) if !in_block => {
                assert!(!t.contains("http"), "bare URL {t:?} outside code in:\n{md}");
                assert!(!t.contains('@'), "mention {t:?} outside code in:\n{md}");
                assert!(!t.contains("#12"), "reference {t:?} outside code in:\n{md}");
            }
            _ => {}
        }
    }
}

/// The fault-window table had no size budget: 2,000 windows made 189k characters, and every
/// finding was "omitted".
#[test]
fn markdown_stays_under_60000_characters_with_2000_fault_windows() {
    let mut log = seed_log();
    // One region-unavailable line every 2 minutes: windows never merge (30 s gap).
    for i in 0..2000u32 {
        let t = chrono::NaiveDate::from_ymd_opt(2024, 1, 12)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            + chrono::Duration::minutes(2 * i64::from(i));
        log.extend(
            format!(
                "[{} +08:00] [WARN] [region_cache.go:1] [\"send request failed\"] [err=\"[tikv:9005]Region is unavailable\"]\n",
                t.format("%Y/%m/%d %H:%M:%S%.3f")
            )
            .bytes(),
        );
    }
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "tidb.log", &log);
    let run = analyze(&[&p], &[], None);
    let windows = run.report["fault_windows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["scope"] == "cluster")
        .count();
    assert!(windows >= 2000, "{windows} windows");
    let out = ddldiag(&["analyze", "--format", "markdown", p.to_str().unwrap()]);
    let md = text(&out.stdout);
    assert!(
        md.chars().count() < 60_000,
        "{} characters",
        md.chars().count()
    );
    assert!(md.contains("more fault windows omitted"), "{md}");
    assert!(md.contains("DDL001"), "the findings were crowded out");
    assert!(
        !md.contains("more findings omitted"),
        "findings were omitted"
    );
}

/// Raw control bytes from the logs were copied into the HTML page.
#[test]
fn html_has_no_raw_control_bytes() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "tidb.log", &escaping_seed());
    let out = ddldiag(&["analyze", "--format", "html", "-v", p.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    let bad: Vec<u8> = out
        .stdout
        .iter()
        .copied()
        .filter(|&b| (b < 0x20 && !matches!(b, b'\n' | b'\t' | b'\r')) || b == 0x7f)
        .collect();
    assert!(bad.is_empty(), "control bytes {bad:?} in the page");
    assert!(text(&out.stdout).contains(r"\x1b"));
}

// ---------------------------------------------------------------------------------------------
// 7. Determinism
// ---------------------------------------------------------------------------------------------

/// Two files disagree on job 7's type and table. Whichever file merged first won (file order
/// with one thread, scheduling with two); the earliest line wins now.
#[test]
fn fields_files_disagree_on_come_from_the_earliest_line() {
    let d = tempfile::tempdir().unwrap();
    let job = |ts: &str, ty: &str, table: &str| {
        format!(
            "[2024/01/13 {ts} +08:00] [INFO] [ddl_worker.go:1156] [\"run DDL job\"] [jobID=7] [job=\"ID:7, Type:{ty}, State:running, SchemaState:none, SchemaID:1, TableID:2, RowCount:0, ArgLen:0, start time: 2024-01-13 10:00:00.000 +0800 CST, Err:<nil>, ErrCount:0, SnapshotVersion:0\"]\n[2024/01/13 {ts} +08:00] [INFO] [index.go:888] [\"index backfill state running\"] [category=ddl] [\"job ID\"=7] [table={table}] [\"ingest mode\"=true] [index=i]\n"
        )
    };
    // `a` (read first) is later in time than `b`.
    let a = write(
        d.path(),
        "tidb-a.log",
        job("10:00:05.000", "add index", "late").as_bytes(),
    );
    let b = write(
        d.path(),
        "tidb-b.log",
        job("10:00:01.000", "add column", "early").as_bytes(),
    );
    let mut seen = Vec::new();
    for threads in ["1", "2", "1", "2"] {
        let run = analyze(&[&a, &b], &["--threads", threads], None);
        let j = &run.report["jobs"][0];
        assert_eq!(j["type"], "add column", "--threads {threads}: {j}");
        assert_eq!(j["table"], "early", "--threads {threads}: {j}");
        seen.push(run.report["jobs"].clone());
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
}

/// Two tar members with the same name swapped places in `inputs[].files` with two threads.
#[test]
fn same_named_tar_members_keep_archive_order() {
    let d = tempfile::tempdir().unwrap();
    let small = seed_log();
    let mut big = Vec::new();
    for _ in 0..400 {
        big.extend_from_slice(&small);
    }
    let t = gz(&tar_raw(&[
        (b"tidb-0/tidb.log", &small),
        (b"tidb-0/tidb.log", &big),
    ]));
    let p = write(d.path(), "tidb-0.tar.gz", &t);
    for _ in 0..4 {
        let run = analyze(&[&p], &["--threads", "2"], None);
        let lines: Vec<u64> = run
            .files()
            .iter()
            .map(|f| f["lines"].as_u64().unwrap())
            .collect();
        assert_eq!(lines, vec![25, 25 * 400]);
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Bounds on per-job and per-instance collections
// ---------------------------------------------------------------------------------------------

/// One job with thousands of distinct `State:` words (a million took 6.2 GiB), thousands of
/// restarts, and more distinct errors than the cap spread over many files (the cap was lost
/// when files merged).
#[test]
fn per_job_and_per_instance_collections_are_bounded_and_say_what_they_dropped() {
    let d = tempfile::tempdir().unwrap();
    let line = |s: u32, state: &str, err: &str| {
        format!(
            "[2024/01/13 10:{:02}:{:02}.000 +08:00] [WARN] [ddl_worker.go:1118] [\"run DDL job error\"] [jobID=9] [job=\"ID:9, Type:add index, State:{state}, SchemaState:none, SchemaID:1, TableID:2, RowCount:0, ArgLen:0, start time: 2024-01-13 10:00:00.000 +0800 CST, Err:<nil>, ErrCount:0, SnapshotVersion:0\"] [error=\"{err}\"]\n",
            s / 60 % 60,
            s % 60
        )
    };
    let mut states = String::new();
    for i in 0..5000 {
        states.push_str(&line(i % 3600, &format!("weird{i}"), "e"));
    }
    for i in 0..3000 {
        states.push_str(&format!(
            "[2024/01/13 11:{:02}:{:02}.{:03} +08:00] [INFO] [printer.go:1] [\"Welcome to TiDB.\"] [\"Release Version\"=v7.6.0]\n",
            i / 60 % 60,
            i % 60,
            i % 1000
        ));
    }
    let mut inputs = vec![write(d.path(), "logs/tidb-0.log", states.as_bytes())];
    // 40 files, each with 20 distinct errors of its own: 800 distinct texts.
    for f in 0..40u32 {
        let mut s = String::new();
        for e in 0..20u32 {
            s.push_str(&line(f * 20 + e, "running", &format!("[kv:1]err {f}-{e}")));
        }
        inputs.push(write(
            d.path(),
            &format!("logs/tidb-{}.log", f + 1),
            s.as_bytes(),
        ));
    }
    let dir = d.path().join("logs");
    for threads in ["1", "2"] {
        let run = analyze(&[&dir], &["--threads", threads, "--fail-on", "never"], None);
        let job = &run.report["jobs"][0];
        let errors = job["errors"].as_array().unwrap();
        assert!(errors.len() <= 33, "{} errors", errors.len());
        let total: u64 = errors.iter().map(|e| e["count"].as_u64().unwrap()).sum();
        assert_eq!(total, 5000 + 800, "counts are kept whole");
        let other = errors
            .iter()
            .find(|e| e["text"] == "(other errors)")
            .unwrap();
        let dropped = &job["dropped"];
        assert_eq!(
            dropped["errors_folded_into_other"], other["count"],
            "{dropped}"
        );
        assert!(
            dropped["state_lines_of_unkept_pairs"]
                .as_u64()
                .is_some_and(|n| n >= 5000 - 128),
            "{dropped}"
        );
        assert!(job["events"].as_array().unwrap().len() < 1000);
        let starts = &run.report["summary"]["dropped"]["server_starts"];
        assert_eq!(
            starts.as_u64(),
            Some(3000 - 1024),
            "{}",
            run.report["summary"]
        );
        // Every kept restart (abrupt: no exit line before it) is a fault signal.
        let restarts: u64 = run.report["fault_windows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["scope"] == "instance")
            .flat_map(|w| w["kinds"].as_array().unwrap().clone())
            .filter(|k| k["kind"] == "restart")
            .map(|k| k["count"].as_u64().unwrap())
            .sum();
        assert_eq!(restarts, 1024, "{}", run.report["fault_windows"]);
        let table = ddldiag(&["analyze", "--color", "never", dir.to_str().unwrap()]);
        assert!(
            text(&table.stdout).contains("Bounded"),
            "{}",
            text(&table.stdout)
        );
    }
    drop(inputs);
}

/// `--format jsonl` held every event twice (the analysis and the report's copy) plus the whole
/// output. An event in memory takes about three times its JSON line (measured: 130 MiB of
/// peak RSS for 37 MiB of output; 228 MiB before), so the bound is 4.5 times the output.
#[test]
fn jsonl_streams_without_holding_the_events_twice() {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        eprintln!("SKIPPED: /usr/bin/time (GNU time) not installed; checked nothing");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let seed = seed_log();
    let mut log = Vec::with_capacity(seed.len() * 4000);
    for _ in 0..4000 {
        log.extend_from_slice(&seed);
    }
    let p = write(d.path(), "tidb.log", &log);
    let out_path = d.path().join("events.jsonl");
    let out = Command::new(time)
        .args(["-f", "RSS_KIB=%M"])
        .arg(BIN)
        .args(["events", "--format", "jsonl", "-o"])
        .arg(&out_path)
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let kib: u64 = text(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("RSS_KIB="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    let written = std::fs::metadata(&out_path).unwrap().len() / 1024;
    println!("events: {written} KiB written, peak RSS {kib} KiB");
    assert!(
        kib < written * 9 / 2,
        "peak RSS {kib} KiB for {written} KiB of output"
    );
}
