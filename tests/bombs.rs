//! Compression bombs (issue #6): 1 GiB of zeros in about 1 MB, as a `.gz` and as a zip member.
//! Built by streaming zeros through the encoders into temp files (never held in memory, never
//! committed). With `--max-decompressed-bytes` the input stops at the cap, is reported as
//! damaged (exit 3) with a message naming it; without a cap (`DDLDIAG_LONG=1`) the whole GiB
//! streams through in bounded memory.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::analyze;
use flate2::write::GzEncoder;
use flate2::Compression;

const GIB: u64 = 1 << 30;
const CAP: u64 = 64 << 20;

fn zeros(w: &mut dyn Write, n: u64) {
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..n / chunk.len() as u64 {
        w.write_all(&chunk).unwrap();
    }
}

fn gzip_bomb(dir: &Path) -> PathBuf {
    let p = dir.join("tidb-2024-01-13T19-21-09.480.log.gz");
    let f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    let mut e = GzEncoder::new(f, Compression::best());
    zeros(&mut e, GIB);
    e.finish().unwrap().flush().unwrap();
    p
}

fn zip_bomb(dir: &Path) -> PathBuf {
    let p = dir.join("bundle.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    w.start_file("tidb-0/tidb.log", opts).unwrap();
    zeros(&mut w, GIB);
    w.finish().unwrap();
    p
}

fn long() -> bool {
    std::env::var_os("DDLDIAG_LONG").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Peak RSS in KiB of `ddldiag analyze --format json <args> <input>`, via GNU time.
fn peak_rss_kib(args: &[&str], input: &Path) -> Option<(i32, u64)> {
    if !Path::new("/usr/bin/time").exists() {
        return None;
    }
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "RSS_KIB=%M"])
        .arg(assert_cmd::cargo::cargo_bin("ddldiag"))
        .args(["analyze", "--format", "json"])
        .args(args)
        .arg(input)
        .stdout(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let kib = err
        .lines()
        .find_map(|l| l.strip_prefix("RSS_KIB="))?
        .trim()
        .parse()
        .ok()?;
    Some((out.status.code().unwrap_or(-1), kib))
}

fn check_capped(p: &Path) {
    let size = std::fs::metadata(p).unwrap().len();
    let cap = CAP.to_string();
    let run = analyze(&[p], &["--max-decompressed-bytes", &cap], None);
    let err = run.error(0);
    println!(
        "{} ({size} bytes) capped at {cap}: exit {}: {err}",
        p.display(),
        run.code
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(err.contains(&p.display().to_string()), "{err}");
    assert!(
        err.contains(&format!("more than {CAP} bytes decompressed")),
        "{err}"
    );
    assert!(run.stderr.contains("max_decompressed_bytes") || run.stderr.contains("decompressed"));
    let read = run.bytes_read();
    assert!(
        read <= CAP + (4 << 20),
        "read {read} bytes past a cap of {CAP}"
    );
    if let Some((code, kib)) = peak_rss_kib(&["--max-decompressed-bytes", &cap], p) {
        println!("  peak RSS with the cap: {kib} KiB");
        assert_eq!(code, 3);
        assert!(kib < 64 * 1024, "{kib} KiB");
    }
    if long() {
        let run = analyze(&[p], &[], None);
        assert_eq!(run.bytes_read(), GIB, "the whole GiB is read without a cap");
        let t = std::time::Instant::now();
        if let Some((code, kib)) = peak_rss_kib(&[], p) {
            println!(
                "  peak RSS without a cap (whole GiB read): {kib} KiB, exit {code}, {:?}",
                t.elapsed()
            );
            assert!(kib < 64 * 1024, "{kib} KiB");
            assert_eq!(code, 0, "1 GiB of zeros is one truncated line, intact");
        }
    }
}

#[test]
fn gzip_bomb_is_capped_in_bounded_memory() {
    let d = tempfile::tempdir().unwrap();
    let p = gzip_bomb(d.path());
    assert!(std::fs::metadata(&p).unwrap().len() < 2 << 20);
    check_capped(&p);
}

#[test]
fn zip_bomb_is_capped_in_bounded_memory() {
    let d = tempfile::tempdir().unwrap();
    let p = zip_bomb(d.path());
    assert!(std::fs::metadata(&p).unwrap().len() < 2 << 20);
    check_capped(&p);
}
