//! The damage matrix (issue #6): every way a bundle arrives broken, run through the real binary.
//!
//! Each row states the exit code it must get and why. Damaged rows must exit 3 (2 when not a
//! byte of any file could be read), name the input, the member and a byte offset, and still
//! report every finding the intact part supports. Intact rows (an ignored link, a `.gz` name on
//! plain text) exit as their content says. The matrix is printed (`--nocapture`) so it can be
//! quoted in the closing note.
//!
//! "Supported by the intact part" is computed without ddldiag's source layer: the damaged bytes
//! are unpacked here with flate2, a hand-written tar header reader and the zip crate's stream
//! reader, each read until it fails; a finding of the undamaged bundle whose evidence lines all
//! lie in the complete lines recovered that way must still be reported.

mod common;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use common::{analyze, fixture, read_partial, Run};
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

/// One row's verdict, for the printed matrix.
struct Matrix {
    rows: Vec<String>,
    failures: Vec<String>,
}

impl Matrix {
    fn row(&mut self, name: &str, run: &Run, problems: Vec<String>) {
        let err = run
            .report
            .get("inputs")
            .and_then(|i| i.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|i| i["error"].as_str())
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .unwrap_or_default();
        let short: String = err.chars().take(160).collect();
        self.rows.push(format!(
            "{:<58} exit {}  files {:>2}  findings {:<22} {}",
            name,
            run.code,
            run.files().len(),
            run.rules().join(","),
            if short.is_empty() {
                "-".to_string()
            } else {
                short
            }
        ));
        for p in problems {
            self.failures.push(format!("{name}: {p}"));
        }
    }
}

/// Checks shared by every damaged row: exit 2/3 (2 exactly when no byte was read), the report
/// is marked incomplete, and the message names the input, a byte offset and (when something
/// inside an archive was reached) a member.
fn damaged(run: &Run, input: usize, shown: &str, archive: bool) -> Vec<String> {
    let mut p = Vec::new();
    let want = if run.bytes_read() == 0 { 2 } else { 3 };
    if run.code != want {
        p.push(format!(
            "exit {} but {want} expected ({} bytes read)",
            run.code,
            run.bytes_read()
        ));
    }
    if run.report["summary"]["complete"] != false {
        p.push("summary.complete is not false".into());
    }
    let err = run.error(input);
    if !err.contains(shown) {
        p.push(format!("error does not name the input {shown}: {err:?}"));
    }
    let offset = regex::Regex::new(r"byte \d+|\d+ decoded bytes|0 bytes of content").unwrap();
    if !offset.is_match(&err) {
        p.push(format!("error names no byte offset: {err:?}"));
    }
    // A member can be named once one was reached (a cut inside the first tar header leaves
    // only the input itself to name).
    let in_member = run
        .files()
        .iter()
        .any(|f| f["name"].as_str().unwrap().contains('!'));
    if archive && in_member && !(err.contains('!') || err.contains("member")) {
        p.push(format!("error names no member: {err:?}"));
    }
    p
}

fn intact(run: &Run, code: i32) -> Vec<String> {
    let mut p = Vec::new();
    if run.code != code {
        p.push(format!("exit {} but {code} expected", run.code));
    }
    if run.report["summary"]["complete"] != true {
        p.push(format!("not complete: {}", run.error(0)));
    }
    p
}

/// Complete lines recoverable from (possibly damaged) bytes, per file, keyed like ddldiag
/// names files after the input: "" for the input itself, `member`, `member!inner`.
fn recover(bytes: &[u8], key: &str, out: &mut HashMap<String, u64>) {
    let join = |name: &str| {
        if key.is_empty() {
            name.to_string()
        } else {
            format!("{key}!{name}")
        }
    };
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let data = read_partial(MultiGzDecoder::new(bytes));
        recover(&data, key, out);
    } else if bytes.len() >= 512 && &bytes[257..262] == b"ustar" {
        let mut off = 0;
        while off + 512 <= bytes.len() {
            let h = &bytes[off..off + 512];
            if h.iter().all(|&b| b == 0) {
                break;
            }
            let name_end = h[..100].iter().position(|&b| b == 0).unwrap_or(100);
            let name = String::from_utf8_lossy(&h[..name_end]).into_owned();
            let size_field = String::from_utf8_lossy(&h[124..136]);
            let size =
                u64::from_str_radix(size_field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
                    .unwrap_or(0) as usize;
            let start = off + 512;
            if matches!(h[156], b'0' | 0) {
                let end = (start + size).min(bytes.len());
                recover(&bytes[start.min(end)..end], &join(&name), out);
            }
            off = start + size.div_ceil(512) * 512;
        }
    } else if bytes.starts_with(b"PK\x03\x04") {
        let mut cur = Cursor::new(bytes);
        while let Ok(Some(mut f)) = zip::read::read_zipfile_from_stream(&mut cur) {
            let name = f.name().to_string();
            let data = read_partial(&mut f);
            drop(f);
            recover(&data, &join(&name), out);
        }
    } else {
        let complete = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        out.insert(key.to_string(), complete);
    }
}

/// The member part of an evidence file name (`input!member` → `member`, `input` → "").
fn member_key<'a>(file: &'a str, input: &str) -> &'a str {
    file.strip_prefix(input)
        .map(|r| r.strip_prefix('!').unwrap_or(r))
        .unwrap_or(file)
}

/// Findings of `full` (the undamaged run) whose evidence lies wholly in recovered lines, and
/// that `cut` fails to report.
fn lost_findings(
    full: &Run,
    full_input: &str,
    cut: &Run,
    recovered: &HashMap<String, u64>,
) -> Vec<String> {
    let got = cut.findings();
    let mut lost = Vec::new();
    for f in full.report["findings"].as_array().unwrap() {
        let supported = f["evidence"].as_array().unwrap().iter().all(|e| {
            let key = member_key(e["file"].as_str().unwrap(), full_input);
            recovered
                .get(key)
                .is_some_and(|&n| e["line"].as_u64().unwrap() <= n)
        });
        let id = (
            f["rule"].as_str().unwrap().to_string(),
            f["job_id"].as_i64().unwrap_or(-1),
        );
        if supported && !got.contains(&id) {
            lost.push(format!(
                "{} for job {} is supported by the intact part but not reported",
                id.0, id.1
            ));
        }
    }
    lost
}

fn write(dir: &Path, rel: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, data).unwrap();
    p
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    MultiGzDecoder::new(data).read_to_end(&mut out).unwrap();
    out
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn seed_text() -> Vec<u8> {
    let mut ar = tar::Archive::new(MultiGzDecoder::new(
        std::fs::File::open(fixture("seed-50417/tidb-0.tar.gz")).unwrap(),
    ));
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path_bytes().ends_with(b"tidb.log") {
            let mut s = Vec::new();
            e.read_to_end(&mut s).unwrap();
            assert_eq!(common::physical_lines(&s), 25);
            return s;
        }
    }
    panic!("no tidb.log in the seed bundle")
}

/// Rows 1–20 per bundle: the bundle cut at 20 evenly spaced offsets (strictly inside it).
fn truncations(m: &mut Matrix, dir: &Path, rel: &str, via_stdin: bool) {
    let src = fixture(rel);
    let bytes = std::fs::read(&src).unwrap();
    let full = analyze(&[&src], &[], None);
    assert!(full.code == 1, "{rel} intact: {}", full.stderr);
    let full_name = src.display().to_string();
    let file_name = src.file_name().unwrap().to_str().unwrap();
    let archive = !rel.ends_with(".log.gz");
    for i in 1..=20 {
        let at = bytes.len() * i / 21;
        let cut = &bytes[..at];
        let (run, shown) = if via_stdin {
            (analyze(&[], &[], Some(cut.to_vec())), "-".to_string())
        } else {
            let p = write(dir, &format!("cut{i}/{file_name}"), cut);
            (analyze(&[&p], &[], None), p.display().to_string())
        };
        let mut problems = damaged(&run, 0, &shown, archive);
        let mut recovered = HashMap::new();
        recover(cut, "", &mut recovered);
        problems.extend(lost_findings(&full, &full_name, &run, &recovered));
        // The example from the brief, checked on its own: once the seed's "convert job to
        // rollback" line (22) is intact, DDL001 must be there.
        if rel.starts_with("seed")
            && recovered.get("tidb-0/tidb.log").is_some_and(|&n| n >= 23)
            && !run.rules().contains(&"DDL001".to_string())
        {
            problems.push("line 22 intact but no DDL001".into());
        }
        let how = if via_stdin { " on stdin" } else { "" };
        m.row(
            &format!(
                "{rel}{how} cut at {at}/{} ({} lines intact)",
                bytes.len(),
                recovered.values().sum::<u64>()
            ),
            &run,
            problems,
        );
    }
}

#[test]
fn damage_matrix() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let mut m = Matrix {
        rows: Vec::new(),
        failures: Vec::new(),
    };

    // 1. Truncation, every bundle shape.
    for rel in [
        "seed-50417/tidb-0.tar.gz",
        "inputs/rotated.tar.gz",
        "inputs/bundle.zip",
        "inputs/nested.zip",
        "inputs/multi-member.log.gz",
    ] {
        truncations(&mut m, dir, rel, false);
    }
    // A zip on stdin is streamed (no central directory to lean on).
    truncations(&mut m, dir, "inputs/bundle.zip", true);

    let seed_gz = std::fs::read(fixture("seed-50417/tidb-0.tar.gz")).unwrap();
    let seed_tar = gunzip(&seed_gz);
    let seed = seed_text();

    // 2. A flipped byte in a gzip member: the outer .tar.gz stream...
    {
        let mut b = seed_gz.clone();
        let at = b.len() / 2;
        b[at] ^= 0x55;
        let p = write(dir, "flip/tidb-0.tar.gz", &b);
        let run = analyze(&[&p], &[], None);
        let pr = damaged(&run, 0, &p.display().to_string(), true);
        m.row(&format!("flipped byte at {at} of the .tar.gz"), &run, pr);
    }
    // ... and a rotated .log.gz member inside a plain tar: that member is damaged, the tar
    // stream is not, so the other members are still read.
    {
        let rot_tar = gunzip(&std::fs::read(fixture("inputs/rotated.tar.gz")).unwrap());
        let mut b = rot_tar.clone();
        let first_gz = 512 + b[512..].windows(2).position(|w| w == [0x1f, 0x8b]).unwrap();
        b[first_gz + 40] ^= 0x55;
        let p = write(dir, "flip/rotated.tar", &b);
        let run = analyze(&[&p], &[], None);
        let mut pr = damaged(&run, 0, &p.display().to_string(), true);
        if !run
            .error(0)
            .contains("tidb-1/tidb-2024-01-13T19-21-10.808.log.gz")
        {
            pr.push("error does not name the damaged member".into());
        }
        if run.files().len() != 4 {
            pr.push(format!("{} files read, 4 expected", run.files().len()));
        }
        m.row(
            &format!("flipped byte at {} in a .log.gz tar member", first_gz + 40),
            &run,
            pr,
        );
    }

    // 3. Corrupt tar headers: the first (nothing readable) and a later one (the members
    // before it are kept).
    {
        let mut b = seed_tar.clone();
        b[10] ^= 0x20; // name byte: the header checksum no longer matches
        let p = write(dir, "hdr/first.tar", &b);
        let run = analyze(&[&p], &[], None);
        let pr = damaged(&run, 0, &p.display().to_string(), true);
        m.row("corrupt first tar header", &run, pr);

        let rot_tar = gunzip(&std::fs::read(fixture("inputs/rotated.tar.gz")).unwrap());
        // The header of the second regular file (the first entry is the directory).
        let size = |h: &[u8]| {
            usize::from_str_radix(String::from_utf8_lossy(&h[124..135]).trim_matches('\0'), 8)
                .unwrap()
        };
        let mut off = 0;
        let mut regular = 0;
        let second = loop {
            let h = &rot_tar[off..off + 512];
            if h[156] == b'0' {
                regular += 1;
                if regular == 2 {
                    break off;
                }
            }
            off += 512 + size(h).div_ceil(512) * 512;
        };
        let mut b = rot_tar.clone();
        b[second + 148] = b'9'; // not an octal digit: bad checksum field
        let p = write(dir, "hdr/second.tar", &b);
        let run = analyze(&[&p], &[], None);
        let mut pr = damaged(&run, 0, &p.display().to_string(), true);
        if run.files().len() != 1 {
            pr.push(format!(
                "{} files, the first member expected",
                run.files().len()
            ));
        }
        m.row(
            &format!("corrupt second tar header (byte {second})"),
            &run,
            pr,
        );
    }

    // 4. A zip whose central directory is damaged: the members are read from their local
    // headers, so every finding survives, and the input is still marked damaged.
    {
        let mut b = std::fs::read(fixture("inputs/bundle.zip")).unwrap();
        let eocd = b.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
        b[eocd] = b'X';
        let p = write(dir, "cd/bundle.zip", &b);
        let run = analyze(&[&p], &[], None);
        let mut pr = damaged(&run, 0, &p.display().to_string(), true);
        let full = analyze(&[&fixture("inputs/bundle.zip")], &[], None);
        if run.findings() != full.findings() {
            pr.push(format!(
                "findings {:?} != intact {:?}",
                run.findings(),
                full.findings()
            ));
        }
        m.row("zip with a bad end-of-central-directory record", &run, pr);
    }

    // 5. Empty files. A zero-byte log is intact but holds nothing: exit 2 (nothing to judge,
    // never "clean"). A zero-byte .tar.gz is a bundle cut to nothing: damage, exit 2.
    for name in ["empty/tidb.log", "empty/tidb-0.tar.gz"] {
        let p = write(dir, name, b"");
        let run = analyze(&[&p], &[], None);
        let pr = damaged(&run, 0, &p.display().to_string(), false);
        m.row(&format!("empty file {name}"), &run, pr);
    }
    // 6. Empty archives: intact, but no logs in them: exit 2 with a message. (An empty
    // directory is a directory without log files: a usage error, row 11.)
    for (name, bytes) in [
        ("empty/e.tar.gz", gz(&[0u8; 10240])),
        ("empty/e.zip", zip_of(&[])),
    ] {
        let p = write(dir, name, &bytes);
        let run = analyze(&[&p], &[], None);
        let mut pr = Vec::new();
        if run.code != 2 {
            pr.push(format!("exit {} but 2 expected", run.code));
        }
        if !run.error(0).contains("nothing to read") {
            pr.push(format!("no message: {:?}", run.error(0)));
        }
        m.row(&format!("empty archive {name}"), &run, pr);
    }

    // 7. Directories with things that cannot be read as files. Symlinks (dangling or not) and
    // fifos are never followed or opened, by design: listed in `skipped`, the rest is intact,
    // so the exit code is the findings' (1).
    {
        let dd = dir.join("dir1");
        write(&dd, "tidb.log", &seed);
        std::os::unix::fs::symlink("/nonexistent/tidb.log", dd.join("tidb-1.log")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dd.join("tidb-2.log")).unwrap();
        let fifo = dd.join("tidb-3.log");
        let ok = std::process::Command::new("mkfifo").arg(&fifo).status();
        let mut pr = Vec::new();
        let run = analyze(&[&dd], &[], None);
        pr.extend(intact(&run, 1));
        let skipped = run.input(0)["skipped"].as_array().unwrap().len();
        let want = if ok.is_ok_and(|s| s.success()) { 3 } else { 2 };
        if skipped != want {
            pr.push(format!("{skipped} skipped, {want} expected"));
        }
        m.row("dir: dangling symlink, symlink, fifo (skipped)", &run, pr);

        // A damaged file in a directory: only it is lost.
        let dd = dir.join("dir2");
        write(&dd, "tidb.log", &seed);
        let rot = gz(&seed[..seed.len() / 2]);
        write(
            &dd,
            "tidb-2024-01-13T19-21-09.480.log.gz",
            &rot[..rot.len() - 10],
        );
        let run = analyze(&[&dd], &[], None);
        let mut pr = damaged(&run, 0, &dd.display().to_string(), false);
        for r in ["DDL001", "DDL002", "DDL003"] {
            if !run.rules().contains(&r.to_string()) {
                pr.push(format!("{r} from the intact tidb.log lost"));
            }
        }
        m.row("dir: a truncated .log.gz next to a good tidb.log", &run, pr);

        // A file that cannot be read even as root (EIO on read), next to a good bundle.
        let mem = Path::new("/proc/self/mem");
        if mem.exists() {
            let run = analyze(&[&fixture("seed-50417/tidb-0.tar.gz"), mem], &[], None);
            let mut pr = damaged(&run, 1, "/proc/self/mem", false);
            if run.code != 3 || !run.rules().contains(&"DDL001".to_string()) {
                pr.push("the good input's findings must survive, exit 3".into());
            }
            m.row(
                "unreadable file (/proc/self/mem: EIO) + good bundle",
                &run,
                pr,
            );
            let run = analyze(&[mem], &[], None);
            let pr = damaged(&run, 0, "/proc/self/mem", false);
            m.row("unreadable file (/proc/self/mem: EIO) alone", &run, pr);
        }
    }

    // 8. Links and devices inside a tar: ignored, never followed; the tar is intact (1).
    {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(seed.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, "tidb-0/tidb.log", &seed[..]).unwrap();
        for (name, ty, target) in [
            (
                "tidb-0/tidb-1.log",
                tar::EntryType::Symlink,
                Some("/etc/passwd"),
            ),
            (
                "tidb-0/tidb-2.log",
                tar::EntryType::Link,
                Some("tidb-0/tidb.log"),
            ),
            ("tidb-0/tidb-3.log", tar::EntryType::Char, None),
            ("tidb-0/tidb-4.log", tar::EntryType::Block, None),
            ("tidb-0/tidb-5.log", tar::EntryType::Fifo, None),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(0);
            h.set_mode(0o644);
            h.set_entry_type(ty);
            if let Some(t) = target {
                h.set_link_name(t).unwrap();
            }
            b.append_data(&mut h, name, std::io::empty()).unwrap();
        }
        let p = write(dir, "links/tidb-0.tar.gz", &gz(&b.into_inner().unwrap()));
        let run = analyze(&[&p], &[], None);
        let mut pr = intact(&run, 1);
        if run.files().len() != 1 || run.input(0)["skipped"].as_array().unwrap().len() != 5 {
            pr.push(format!(
                "files {:?}, skipped {}",
                run.files().len(),
                run.input(0)["skipped"]
            ));
        }
        if run.files()[0]["lines"] != 25 {
            pr.push("the regular member is not read whole".into());
        }
        m.row(
            "tar with symlink, hard link, char/block device, fifo",
            &run,
            pr,
        );
    }

    // 9. A .gz that is not gzip: the format is sniffed, the plain text is read as it is.
    {
        let run = analyze(&[&fixture("inputs/not-gzip.log.gz")], &[], None);
        let pr = intact(&run, 1);
        m.row(".gz that is plain text (intact)", &run, pr);
        let p = write(
            dir,
            "notgz/tidb-0.tar.gz",
            b"<html>503 Service Unavailable</html>\n",
        );
        let run = analyze(&[&p], &[], None);
        // Not damage by the format rules, but not one log record either: an input that cannot
        // support a verdict must not pass as clean.
        let mut pr = damaged(&run, 0, "notgz/tidb-0.tar.gz", false);
        if !run.error(0).contains("no TiDB/TiKV/PD log record") {
            pr.push(format!("error does not say why: {:?}", run.error(0)));
        }
        if run.files()[0]["unparsed"] != 1 {
            pr.push("the junk line is not counted as unparsed".into());
        }
        m.row(
            ".tar.gz holding an HTML error page (no log record)",
            &run,
            pr,
        );
    }

    // 10. Nested archives beyond the depth limit (3): reported as unread, never clean.
    {
        let z1 = zip_of(&[("bundles/tidb-0.tar.gz", &seed_gz)]);
        let z2 = zip_of(&[("z1.zip", &z1)]);
        let z3 = zip_of(&[("z2.zip", &z2)]);
        let p = write(dir, "deep/z3.zip", &z3);
        let run = analyze(&[&p], &[], None);
        let mut pr = damaged(&run, 0, &p.display().to_string(), true);
        if !run
            .error(0)
            .contains("z3.zip!z2.zip!z1.zip!bundles/tidb-0.tar.gz: archive nested 4 deep")
        {
            pr.push("error does not name the too-deep member".into());
        }
        m.row("tar.gz in zip in zip in zip (depth 4 > 3)", &run, pr);

        let z = zip_of(&[("tidb.log", &seed), ("deeper/z2.zip", &z2)]);
        let p = write(dir, "deep/mixed.zip", &z);
        let run = analyze(&[&p], &[], None);
        let mut pr = damaged(&run, 0, &p.display().to_string(), true);
        if !run.rules().contains(&"DDL001".to_string()) {
            pr.push("the shallow log's DDL001 is lost".into());
        }
        m.row("zip: tidb.log + an archive 4 deep", &run, pr);

        let run = analyze(&[&fixture("inputs/nested.zip")], &[], None);
        let pr = intact(&run, 1);
        m.row("nested.zip (depth 2, within the limit)", &run, pr);
    }

    // 11. Mistakes in the command, not damage: a missing path, an empty directory, a directory
    // without a log file. One line on stderr naming the path, exit 2, no report.
    {
        let empty = dir.join("empty/dir");
        std::fs::create_dir_all(&empty).unwrap();
        let conf = dir.join("conf-only");
        write(&conf, "tidb.toml", b"[log]\nlevel = \"info\"\n");
        for (name, p) in [
            ("missing path", dir.join("no-such.tar.gz")),
            ("empty directory", empty),
            ("directory without a log file", conf),
        ] {
            let out = assert_cmd::Command::cargo_bin("ddldiag")
                .unwrap()
                .args(["analyze", "--format", "json"])
                .arg(&p)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let code = out.status.code().unwrap_or(-1);
            let shown = p.display().to_string();
            let mut pr = Vec::new();
            if code != 2 {
                pr.push(format!("exit {code} but 2 expected"));
            }
            if !out.stdout.is_empty() {
                pr.push("a report was printed".into());
            }
            if stderr.lines().count() != 1 || !stderr.contains(&shown) {
                pr.push(format!("not one line naming {shown}: {stderr:?}"));
            }
            m.rows.push(format!(
                "{:<58} exit {code}  {}",
                format!("usage error: {name}"),
                stderr.trim()
            ));
            m.failures
                .extend(pr.into_iter().map(|p| format!("{name}: {p}")));
        }
    }

    let mut table = String::new();
    writeln!(table, "\ndamage matrix ({} rows):", m.rows.len()).unwrap();
    for r in &m.rows {
        writeln!(table, "  {r}").unwrap();
    }
    println!("{table}");
    assert!(
        m.failures.is_empty(),
        "{} failing rows:\n{}",
        m.failures.len(),
        m.failures.join("\n")
    );
}
