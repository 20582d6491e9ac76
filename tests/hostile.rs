//! Hostile lines (issue #6): what a crashed process, a binary dump or a broken shipper leaves in
//! a log. Generated in a temp dir (nothing big is committed) and run through the real binary.
//! Every case: no panic, `records + continuations + unparsed == lines`, bounded memory.

mod common;

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use common::{analyze, fixture, physical_lines, Run};

const SEED_LINE: &str = "[2024/01/13 19:21:09.790 +08:00] [WARN] [ddl_worker.go:1118] [\"run DDL job error\"] [worker=\"worker 2, tp add index\"] [category=ddl] [jobID=491] [conn=710937990] [error=\"[tikv:9005]Region is unavailable\"]";

fn seed_text() -> Vec<u8> {
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
    unreachable!()
}

/// The one file of a one-input run, with the line accounting checked.
fn only_file(run: &Run) -> serde_json::Value {
    let files = run.files();
    assert_eq!(files.len(), 1, "{}", run.report);
    let f = files[0].clone();
    let n = |k: &str| f[k].as_u64().unwrap();
    assert_eq!(
        n("records") + n("continuations") + n("unparsed"),
        n("lines"),
        "accounting broken: {f}"
    );
    f
}

fn run_file(dir: &Path, name: &str, data: &[u8]) -> (Run, serde_json::Value) {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    let t = Instant::now();
    let run = analyze(&[&p], &["--fail-on", "never"], None);
    println!("{name}: exit {} in {:?}", run.code, t.elapsed());
    let f = only_file(&run);
    assert_eq!(
        f["lines"].as_u64().unwrap(),
        physical_lines(data),
        "{name}: {f}"
    );
    (run, f)
}

/// Peak RSS of the binary in KiB, from GNU time, when it is installed.
fn peak_rss_kib(args: &[&str], input: &Path) -> Option<u64> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let out = std::process::Command::new(time)
        .args(["-f", "RSS_KIB=%M"])
        .arg(assert_cmd::cargo::cargo_bin("ddldiag"))
        .args(args)
        .arg(input)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines()
        .find_map(|l| l.strip_prefix("RSS_KIB="))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn hundred_megabyte_line_is_cut_and_counted_in_bounded_memory() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("tidb.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    // A record that opens a quoted value and never ends: the hard-wrap path holds it back.
    f.write_all(b"[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [\"run DDL job\"] [job=\"")
        .unwrap();
    let chunk = vec![b'A'; 1 << 20];
    for _ in 0..100 {
        f.write_all(&chunk).unwrap();
    }
    drop(f);
    let len = std::fs::metadata(&p).unwrap().len();
    let run = analyze(&[&p], &[], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let f = only_file(&run);
    assert_eq!(f["bytes"].as_u64().unwrap(), len);
    assert_eq!(f["lines"], 1);
    assert_eq!(f["truncated_lines"], 1);
    // The same with a smaller cap and more lines after it: each long line counted once.
    let mut data = vec![b'x'; 5 << 20];
    data.extend_from_slice(b"\n");
    data.extend_from_slice(SEED_LINE.as_bytes());
    data.extend_from_slice(b"\n");
    data.extend(vec![b'y'; 3 << 20]);
    let p2 = d.path().join("tidb-0.log");
    std::fs::write(&p2, &data).unwrap();
    let run = analyze(&[&p2], &["--max-line-bytes", "65536"], None);
    let f = only_file(&run);
    assert_eq!(
        (f["lines"].as_u64(), f["truncated_lines"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(f["records"], 1, "{f}");

    if let Some(kib) = peak_rss_kib(&["analyze", "--format", "json"], &p) {
        println!("peak RSS on a {len}-byte line: {kib} KiB");
        assert!(kib < 64 * 1024, "peak RSS {kib} KiB on a 100 MB line");
    }
}

#[test]
fn nul_bytes_and_invalid_utf8_do_not_hide_findings() {
    let d = tempfile::tempdir().unwrap();
    let seed = seed_text();
    // Junk lines between the records: NULs, invalid UTF-8, a lone continuation byte, an
    // overlong encoding, a UTF-16 BOM; and NULs / bad bytes inside record values.
    let mut data = Vec::new();
    data.extend_from_slice(b"\0\0\0\0\xff\xfe\x80\xc0\xaf\n");
    for (i, line) in seed.split_inclusive(|&b| b == b'\n').enumerate() {
        data.extend_from_slice(line);
        if i % 5 == 0 {
            data.extend_from_slice(b"\xef\xbb\xbf\0garbage \xed\xa0\x80 surrogate\n");
        }
    }
    data.extend_from_slice(
        b"[2024/01/13 19:21:12.000 +08:00] [INFO] [x.go:1] [\"run DDL job\"] [job=\"ID:491\0\xff\"]\n",
    );
    let (run, f) = run_file(d.path(), "tidb.log", &data);
    assert!(f["unparsed"].as_u64().unwrap() == 1, "{f}");
    for r in ["DDL001", "DDL002", "DDL003"] {
        assert!(
            run.rules().contains(&r.to_string()),
            "{r} lost: {:?}",
            run.rules()
        );
    }
    // All-binary content.
    let junk: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    run_file(d.path(), "junk.log", &junk);
}

#[test]
fn cr_only_and_crlf_line_ends_give_the_same_verdict() {
    let d = tempfile::tempdir().unwrap();
    let seed = seed_text();
    let (lf, f) = run_file(d.path(), "lf.log", &seed);
    assert_eq!(f["lines"], 25);
    let crlf: Vec<u8> = String::from_utf8(seed.clone())
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes();
    let (run, f) = run_file(d.path(), "crlf.log", &crlf);
    assert_eq!(
        (f["lines"].as_u64(), f["records"].as_u64()),
        (Some(25), Some(25))
    );
    assert_eq!(run.findings(), lf.findings());
    let cr: Vec<u8> = seed
        .iter()
        .map(|&b| if b == b'\n' { b'\r' } else { b })
        .collect();
    let p = d.path().join("cr.log");
    std::fs::write(&p, &cr).unwrap();
    let run = analyze(&[&p], &[], None);
    let f = only_file(&run);
    assert_eq!(
        (f["lines"].as_u64(), f["records"].as_u64()),
        (Some(25), Some(25)),
        "{f}"
    );
    assert_eq!(run.findings(), lf.findings());
}

#[test]
fn ten_thousand_fields_and_deep_escapes() {
    let d = tempfile::tempdir().unwrap();
    let mut line = String::from(
        "[2024/01/13 19:21:09.790 +08:00] [WARN] [ddl_worker.go:1118] [\"run DDL job error\"]",
    );
    for i in 0..10_000 {
        line.push_str(&format!(" [f{i}=\"v{i}\"]"));
    }
    line.push_str(" [jobID=491]\n");
    let (_, f) = run_file(d.path(), "fields.log", line.as_bytes());
    assert_eq!(f["records"], 1);

    // Values escaped 12 levels deep (each level doubles the backslashes), a 200,000-byte run
    // of backslashes, and an unterminated quote.
    let mut v = String::from("x");
    for _ in 0..12 {
        v = format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""));
    }
    let mut data = format!(
        "[2024/01/13 19:21:09.790 +08:00] [WARN] [a.go:1] [\"run DDL job error\"] [error={v}] [jobID=491]\n"
    );
    data.push_str(&format!(
        "[2024/01/13 19:21:09.791 +08:00] [WARN] [a.go:1] [\"run DDL job\"] [job=\"{}\"]\n",
        "\\".repeat(200_000)
    ));
    data.push_str(
        "[2024/01/13 19:21:09.792 +08:00] [WARN] [a.go:1] [\"run DDL job\"] [job=\"ID:1, \\\"\n",
    );
    let (_, f) = run_file(d.path(), "escapes.log", data.as_bytes());
    assert_eq!(f["records"], 3, "{f}");
}

#[test]
fn impossible_timestamps_and_missing_offsets() {
    let d = tempfile::tempdir().unwrap();
    let rest = " [WARN] [ddl_worker.go:1118] [\"run DDL job error\"] [jobID=491] [error=\"[tikv:9005]Region is unavailable\"]\n";
    let mut data = String::new();
    for ts in [
        "2024/02/30 19:21:09.790 +08:00",
        "2024/13/01 19:21:09.790 +08:00",
        "2024/01/13 25:61:61.999 +08:00",
        "0000/00/00 00:00:00.000 +00:00",
        "9999/12/31 23:59:59.999 +99:99",
        "2024/01/13 19:21:09.790",
        "2024/01/13 19:21:09.790 Z",
        "2024/01/13 19:21:09 +08:00",
        "2024-01-13T19:21:09.790+08:00",
        "99999999999/01/13 19:21:09.790 +08:00",
        "",
    ] {
        data.push('[');
        data.push_str(ts);
        data.push(']');
        data.push_str(rest);
    }
    data.push_str(SEED_LINE);
    data.push('\n');
    let (run, f) = run_file(d.path(), "tidb.log", data.as_bytes());
    assert!(f["records"].as_u64().unwrap() >= 1, "{f}");
    assert!(run.code == 0, "{}", run.stderr);
}

#[test]
fn ten_million_one_byte_lines() {
    let d = tempfile::tempdir().unwrap();
    let data = b"a\n".repeat(10_000_000);
    let t = Instant::now();
    let (run, f) = run_file(d.path(), "tidb.log", &data);
    assert_eq!(f["lines"], 10_000_000);
    assert_eq!(f["unparsed"], 10_000_000);
    // Read to the end, but not one record: no verdict can rest on it, so it is not clean.
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("no TiDB/TiKV/PD log record"),
        "{}",
        run.stderr
    );
    assert!(t.elapsed().as_secs() < 60, "{:?}", t.elapsed());
    // Empty lines too (a newline-only file).
    let (_, f) = run_file(d.path(), "nl.log", &b"\n".repeat(1_000_000));
    assert_eq!(f["lines"], 1_000_000);
}
