//! End-to-end tests of the source layer through [`walk`] / [`walk_reader`], with archives built
//! in memory by the `tar`, `flate2` and `zip` writers and a sink that records what it got.

use std::io::{self, Cursor, Read, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

use super::*;

const L1: &str = "[2024/01/13 19:21:09.480 +08:00] [INFO] [handle.go:186] [\"task not resumable\"] [taskKey=ddl/backfill/491]\n";
const L2: &str = "[2024/01/13 19:21:09.790 +08:00] [WARN] [ddl_worker.go:1118] [\"run DDL job error\"] [jobID=491]\n";
const ROT: &str = "2024-01-13T19-21-09.480";

/// What the test sink saw for one file.
#[derive(Debug)]
struct Got {
    meta: FileMeta,
    /// Decoded bytes (as far as they could be read).
    data: Vec<u8>,
    err: Option<String>,
}

impl Got {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

#[derive(Default)]
struct Rec {
    got: Vec<Got>,
    /// Fail (without reading) on files whose name ends with this.
    fail_on: Option<&'static str>,
    /// Read at most this many bytes of each body, then return Ok.
    read_at_most: Option<usize>,
}

impl FileSink for Rec {
    fn file(&mut self, meta: FileMeta, body: &mut dyn Read) -> io::Result<()> {
        if self.fail_on.is_some_and(|s| meta.name.ends_with(s)) {
            self.got.push(Got {
                meta,
                data: Vec::new(),
                err: Some("sink refused".into()),
            });
            return Err(io::Error::other("sink refused"));
        }
        let mut data = Vec::new();
        let mut r = decode(&meta, Box::new(body));
        let res = match self.read_at_most {
            Some(n) => r.take(n as u64).read_to_end(&mut data).map(|_| ()),
            None => r.read_to_end(&mut data).map(|_| ()),
        };
        let err = res.as_ref().err().map(|e| e.to_string());
        self.got.push(Got { meta, data, err });
        res
    }
}

impl Rec {
    fn names(&self) -> Vec<&str> {
        self.got.iter().map(|g| g.meta.name.as_str()).collect()
    }
}

fn opts() -> SourceOptions {
    SourceOptions::default()
}

fn walk_paths(paths: &[&Path], o: &SourceOptions) -> (Vec<InputOutcome>, Rec) {
    let inputs: Vec<Input> = paths.iter().map(|p| Input::Path(p.to_path_buf())).collect();
    let mut rec = Rec::default();
    let out = walk(&inputs, o, &mut rec);
    (out, rec)
}

fn walk_one(p: &Path) -> (InputOutcome, Rec) {
    let (mut out, rec) = walk_paths(&[p], &opts());
    (out.remove(0), rec)
}

fn walk_bytes(bytes: &[u8], o: &SourceOptions) -> (InputOutcome, Rec) {
    let mut rec = Rec::default();
    let out = walk_reader(0, &mut Cursor::new(bytes.to_vec()), o, &mut rec);
    (out, rec)
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

enum Entry<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
    Special(&'a str, tar::EntryType),
}

fn tar(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        match e {
            Entry::File(p, d) => {
                h.set_size(d.len() as u64);
                b.append_data(&mut h, p, *d).unwrap();
            }
            Entry::Dir(p) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                b.append_data(&mut h, p, io::empty()).unwrap();
            }
            Entry::Symlink(p, t) | Entry::HardLink(p, t) => {
                let ty = if matches!(e, Entry::Symlink(..)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                };
                h.set_entry_type(ty);
                h.set_size(0);
                b.append_link(&mut h, p, t).unwrap();
            }
            Entry::Special(p, ty) => {
                h.set_entry_type(*ty);
                h.set_size(0);
                b.append_data(&mut h, p, io::empty()).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        let o = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        w.start_file(*name, o).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn write(dir: &Path, rel: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, data).unwrap();
    p
}

fn rotated(prefix: &str) -> String {
    format!("{prefix}-{ROT}.log.gz")
}

// ---------------------------------------------------------------- shapes

#[test]
fn plain_file() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "tidb-1.log", format!("{L1}{L2}").as_bytes());
    let (out, rec) = walk_one(&p);
    assert!(
        out.complete && !out.unreadable && out.errors.is_empty(),
        "{out:?}"
    );
    assert_eq!(out.files, 1);
    let g = &rec.got[0];
    assert_eq!(g.meta.name, p.display().to_string());
    assert_eq!(g.meta.instance, "tidb-1");
    assert_eq!(g.meta.kind, FileKind::TidbLog);
    assert_eq!(g.meta.encoding, Encoding::Plain);
    assert_eq!(g.meta.rotation, None);
    assert_eq!(g.meta.stored_bytes, Some((L1.len() + L2.len()) as u64));
    assert_eq!(g.text(), format!("{L1}{L2}"));
}

#[test]
fn seed_bundle() {
    let p = Path::new("fixtures/seed-50417/tidb-0.tar.gz");
    let (out, rec) = walk_one(p);
    assert!(out.complete, "{out:?}");
    assert_eq!(
        rec.names(),
        ["fixtures/seed-50417/tidb-0.tar.gz!tidb-0/tidb.log"]
    );
    let g = &rec.got[0];
    assert_eq!(g.meta.instance, "tidb-0");
    assert_eq!(g.meta.kind, FileKind::TidbLog);
    assert_eq!(g.text().lines().count(), 25);
    assert_eq!(g.meta.input_index, 0);
}

#[test]
fn tar_gz_with_rotated_gz_members() {
    let r1 = gz(L1.as_bytes());
    let r2 = gz(L2.as_bytes());
    let t = tar(&[
        Entry::Dir("tidb-0/"),
        Entry::File(&format!("tidb-0/{}", rotated("tidb")), &r1),
        Entry::File("tidb-0/tidb-2024-01-13T20-00-00.000.log.gz", &r2),
        Entry::File("tidb-0/tidb.log", L2.as_bytes()),
        Entry::File("tidb-0/tidb.toml", b"[log]\n"),
    ]);
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "bundle.tgz", &gz(&t));
    let (out, rec) = walk_one(&p);
    assert!(out.complete, "{out:?}");
    assert_eq!(rec.got.len(), 4);
    let g = &rec.got[0];
    assert_eq!(g.meta.encoding, Encoding::Gzip);
    assert_eq!(g.meta.rotation.as_deref(), Some(ROT));
    assert_eq!(g.meta.kind, FileKind::TidbLog);
    assert_eq!(g.meta.stored_bytes, Some(r1.len() as u64));
    assert_eq!(g.text(), L1);
    assert!(g
        .meta
        .name
        .ends_with("bundle.tgz!tidb-0/tidb-2024-01-13T19-21-09.480.log.gz"));
    assert_eq!(rec.got[2].meta.rotation, None);
    assert_eq!(rec.got[2].meta.encoding, Encoding::Plain);
    assert_eq!(rec.got[3].meta.kind, FileKind::Other);
    for g in &rec.got {
        assert_eq!(g.meta.instance, "tidb-0");
    }
}

#[test]
fn plain_tar_and_tar_on_stdin() {
    let t = tar(&[Entry::File("tidb-2/tidb.log", L1.as_bytes())]);
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "x.tar", &t);
    let (out, rec) = walk_one(&p);
    assert!(out.complete);
    assert_eq!(rec.got[0].text(), L1);
    assert_eq!(rec.got[0].meta.instance, "tidb-2");

    let (out, rec) = walk_bytes(&gz(&t), &opts());
    assert!(out.complete, "{out:?}");
    assert_eq!(out.path, "-");
    assert_eq!(rec.names(), ["-!tidb-2/tidb.log"]);
    assert_eq!(rec.got[0].meta.instance, "tidb-2");
}

#[test]
fn multi_member_gz() {
    let mut two = gz(L1.as_bytes());
    two.extend(gz(L2.as_bytes()));
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), &rotated("tidb"), &two);
    let (out, rec) = walk_one(&p);
    assert!(out.complete);
    let g = &rec.got[0];
    assert_eq!(g.meta.encoding, Encoding::Gzip);
    assert_eq!(g.meta.rotation.as_deref(), Some(ROT));
    assert_eq!(g.meta.instance, "tidb");
    assert_eq!(g.text(), format!("{L1}{L2}"));
    assert_eq!(g.meta.stored_bytes, Some(two.len() as u64));
}

#[test]
fn gz_with_log_content_and_no_useful_name_on_stdin() {
    let (out, rec) = walk_bytes(&gz(L1.as_bytes()), &opts());
    assert!(out.complete);
    assert_eq!(
        rec.got[0].meta.kind,
        FileKind::TidbLog,
        "sniffed from the inflated first line"
    );
    assert_eq!(rec.got[0].meta.instance, "stdin");
    assert_eq!(rec.got[0].meta.name, "-");
}

#[test]
fn zip_on_disk_and_on_stdin() {
    let rot = gz(L1.as_bytes());
    let rname = format!("b/{}", rotated("tidb"));
    let z = zip(&[
        ("b/tidb.log", L2.as_bytes()),
        (&rname, &rot),
        (
            "b/tikv.log",
            b"[2024/01/13 19:21:09.480 +08:00] [INFO] [lib.rs:1] [\"x\"]\n",
        ),
        ("b/metrics.json", b"{}"),
    ]);
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "bundle.zip", &z);
    let (out, rec) = walk_one(&p);
    assert!(out.complete, "{out:?}");
    let kinds: Vec<_> = rec
        .got
        .iter()
        .map(|g| (g.meta.kind, g.meta.encoding))
        .collect();
    assert_eq!(
        kinds,
        [
            (FileKind::TidbLog, Encoding::Plain),
            (FileKind::TidbLog, Encoding::Gzip),
            (FileKind::TikvLog, Encoding::Plain),
            (FileKind::Other, Encoding::Plain)
        ]
    );
    assert_eq!(rec.got[1].text(), L1);
    assert_eq!(rec.got[0].meta.instance, "b");
    assert_eq!(rec.got[1].meta.instance, "b");
    assert!(rec.got[0].meta.name.ends_with("bundle.zip!b/tidb.log"));

    let (out, rec2) = walk_bytes(&z, &opts());
    assert!(out.complete, "{out:?}");
    assert_eq!(rec2.got.len(), 4);
    assert_eq!(rec2.got[1].text(), L1);
    assert_eq!(rec2.got[1].meta.name, format!("-!{rname}"));
}

#[test]
fn json_and_crlf_logs() {
    let json = "{\"time\":\"2024/01/13 19:21:09.480 +08:00\",\"level\":\"INFO\",\"caller\":\"handle.go:186\",\"message\":\"task not resumable\",\"taskKey\":\"ddl/backfill/491\"}\n";
    let crlf = L1.replace('\n', "\r\n");
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a/output.log", json.as_bytes());
    write(d.path(), "a/crlf.txt", crlf.as_bytes());
    let (out, rec) = walk_one(d.path());
    assert!(out.complete);
    assert_eq!(rec.got.len(), 2);
    assert!(
        rec.got.iter().all(|g| g.meta.kind == FileKind::TidbLog),
        "{:?}",
        rec.got
    );
    assert_eq!(
        rec.got[0].text(),
        crlf,
        "bytes are passed through untouched"
    );
}

#[test]
#[cfg(unix)]
fn clinic_directory_layout_sorted() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("clinic");
    write(
        &root,
        "diag-x/10.0.1.5/tidb-deploy/tidb-4000/log/tidb.log",
        L1.as_bytes(),
    );
    write(
        &root,
        &format!(
            "diag-x/10.0.1.5/tidb-deploy/tidb-4000/log/{}",
            rotated("tidb")
        ),
        &gz(L2.as_bytes()),
    );
    write(
        &root,
        "diag-x/10.0.1.5/tidb-deploy/tidb-4000/log/tidb_stderr.log",
        b"",
    );
    write(
        &root,
        "diag-x/10.0.1.6/tikv-deploy/tikv-20160/log/tikv.log",
        b"",
    );
    write(
        &root,
        "diag-x/10.0.1.5/tidb-deploy/tidb-4000/conf/tidb.toml",
        b"",
    );
    std::os::unix::fs::symlink("/etc", root.join("diag-x/escape")).unwrap();
    let (out, rec) = walk_one(&root);
    assert!(out.complete, "{out:?}");
    let rel: Vec<String> = rec
        .names()
        .iter()
        .map(|n| {
            n.strip_prefix(&format!("{}/", root.display()))
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        rel,
        [
            "diag-x/10.0.1.5/tidb-deploy/tidb-4000/conf/tidb.toml",
            "diag-x/10.0.1.5/tidb-deploy/tidb-4000/log/tidb-2024-01-13T19-21-09.480.log.gz",
            "diag-x/10.0.1.5/tidb-deploy/tidb-4000/log/tidb.log",
            "diag-x/10.0.1.5/tidb-deploy/tidb-4000/log/tidb_stderr.log",
            "diag-x/10.0.1.6/tikv-deploy/tikv-20160/log/tikv.log",
        ]
    );
    let inst: Vec<&str> = rec.got.iter().map(|g| g.meta.instance.as_str()).collect();
    assert_eq!(
        inst,
        [
            "10.0.1.5:4000",
            "10.0.1.5:4000",
            "10.0.1.5:4000",
            "10.0.1.5:4000",
            "10.0.1.6:20160"
        ]
    );
    assert_eq!(rec.got[3].meta.kind, FileKind::Stderr);
    assert_eq!(out.skipped.len(), 1);
    assert!(
        out.skipped[0].contains("escape: symlink: not followed"),
        "{:?}",
        out.skipped
    );
}

#[test]
fn k8s_clinic_layout_and_override() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "logs/basic-tidb-0/tidb.log", L1.as_bytes());
    write(d.path(), "logs/basic-tidb-1/tidb.log", L1.as_bytes());
    let (_, rec) = walk_one(d.path());
    let inst: Vec<&str> = rec.got.iter().map(|g| g.meta.instance.as_str()).collect();
    assert_eq!(inst, ["basic-tidb-0", "basic-tidb-1"]);

    let o = SourceOptions {
        instance_override: Some("mine".into()),
        ..opts()
    };
    let (_, rec) = walk_paths(&[d.path()], &o);
    assert!(rec.got.iter().all(|g| g.meta.instance == "mine"));
}

#[test]
#[cfg(unix)]
fn fifo_in_directory_is_skipped_not_opened() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "tidb.log", L1.as_bytes());
    let fifo = d.path().join("pipe.log");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        return; // no mkfifo here: nothing to test
    }
    let (out, rec) = walk_one(d.path());
    assert!(out.complete);
    assert_eq!(rec.got.len(), 1);
    assert!(
        out.skipped[0].contains("pipe.log: not a regular file"),
        "{:?}",
        out.skipped
    );
}

#[test]
fn nested_archives_and_depth() {
    let inner = gz(&tar(&[Entry::File("tidb-5/tidb.log", L1.as_bytes())]));
    let z = zip(&[("nested/tidb-5.tar.gz", &inner), ("top.log", L2.as_bytes())]);
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "all.zip", &z);

    let (out, rec) = walk_one(&p);
    assert!(out.complete, "{out:?}");
    assert!(
        rec.got[0]
            .meta
            .name
            .ends_with("all.zip!nested/tidb-5.tar.gz!tidb-5/tidb.log"),
        "{:?}",
        rec.names()
    );
    assert_eq!(rec.got[0].meta.instance, "tidb-5");
    assert_eq!(rec.got[0].text(), L1);

    let o = SourceOptions {
        max_depth: 1,
        ..opts()
    };
    let (out, rec) = walk_paths(&[&p], &o);
    // Not opened means not read: the input is incomplete (issue #6), the rest still walked.
    assert!(!out[0].complete && !out[0].unreadable);
    assert_eq!(rec.got.len(), 1, "only top.log");
    assert!(out[0].errors[0]
        .contains("nested/tidb-5.tar.gz: archive nested 2 deep, deeper than max_depth 1"));

    // A zip inside a tar, inside a zip (depth 3): streamed from inside the tar.
    let z3 = zip(&[(
        "in.tar",
        &tar(&[Entry::File(
            "x/deep.zip",
            &zip(&[("tidb.log", L1.as_bytes())]),
        )]),
    )]);
    let p3 = write(d.path(), "three.zip", &z3);
    let (out, rec) = walk_one(&p3);
    assert!(out.complete, "{out:?}");
    assert!(rec.got[0]
        .meta
        .name
        .ends_with("three.zip!in.tar!x/deep.zip!tidb.log"));
    assert_eq!(rec.got[0].meta.instance, "deep");
    let o = SourceOptions {
        max_depth: 2,
        ..opts()
    };
    let (out, rec) = walk_paths(&[&p3], &o);
    assert!(rec.got.is_empty());
    assert!(
        out[0].errors[0].contains("in.tar!x/deep.zip") && out[0].unreadable,
        "{:?}",
        out[0].errors
    );

    let o = SourceOptions {
        max_depth: 0,
        ..opts()
    };
    let (out, rec) = walk_paths(&[&p3], &o);
    assert!(rec.got.is_empty() && out[0].unreadable && out[0].errors.len() == 1);
}

#[test]
fn tar_links_and_devices_ignored() {
    let t = tar(&[
        Entry::Symlink("tidb-0/link.log", "/etc/passwd"),
        Entry::HardLink("tidb-0/hard.log", "tidb-0/tidb.log"),
        Entry::Special("tidb-0/dev", tar::EntryType::Char),
        Entry::Special("tidb-0/blk", tar::EntryType::Block),
        Entry::Special("tidb-0/fifo", tar::EntryType::Fifo),
        Entry::File("tidb-0/tidb.log", L1.as_bytes()),
    ]);
    let (out, rec) = walk_bytes(&t, &opts());
    assert!(out.complete, "{out:?}");
    assert_eq!(rec.names(), ["-!tidb-0/tidb.log"]);
    assert_eq!(
        out.skipped,
        [
            "-!tidb-0/link.log: symlink in tar: not followed",
            "-!tidb-0/hard.log: hard link in tar: not followed",
            "-!tidb-0/dev: device entry in tar: ignored",
            "-!tidb-0/blk: device entry in tar: ignored",
            "-!tidb-0/fifo: fifo entry in tar: ignored",
        ]
    );
}

#[test]
fn zip_symlink_skipped() {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    w.add_symlink("l.log", "/etc/passwd", SimpleFileOptions::default())
        .unwrap();
    w.start_file("tidb.log", SimpleFileOptions::default())
        .unwrap();
    w.write_all(L1.as_bytes()).unwrap();
    let z = w.finish().unwrap().into_inner();
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "s.zip", &z);
    let (out, rec) = walk_one(&p);
    assert_eq!(rec.got.len(), 1);
    assert!(
        out.skipped[0].ends_with("s.zip!l.log: symlink in zip: not followed"),
        "{:?}",
        out.skipped
    );
}

// ---------------------------------------------------------------- damage

/// Incompressible-ish text, so that cutting the gzip in half cuts the tar in half.
fn noisy(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let line = format!(
            "[2024/01/13 19:21:09.480 +08:00] [INFO] [x.go:1] [\"{:016x}\"]\n",
            x
        );
        out.extend_from_slice(line.as_bytes());
    }
    out.truncate(n);
    out
}

#[test]
fn truncated_tar_gz_keeps_what_came_before() {
    let (a, b, c) = (noisy(20_000, 1), noisy(20_000, 2), noisy(20_000, 3));
    let t = tar(&[
        Entry::File("tidb-0/a.log", &a),
        Entry::File("tidb-0/b.log", &b),
        Entry::File("tidb-0/c.log", &c),
    ]);
    let z = gz(&t);
    let cut = &z[..z.len() * 5 / 6];
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "cut.tar.gz", cut);
    let (out, rec) = walk_one(&p);
    assert!(!out.complete && !out.unreadable, "{out:?}");
    assert_eq!(rec.got.len(), 3);
    assert_eq!(rec.got[0].data, a);
    assert_eq!(rec.got[1].data, b);
    assert!(rec.got[2].err.is_some() && rec.got[2].data.len() < c.len());
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    let e = &out.errors[0];
    assert!(
        e.starts_with(&format!("{}!tidb-0/c.log: ", p.display())),
        "{e}"
    );
    assert!(
        e.contains(&format!("byte {} of the input", cut.len())),
        "{e}"
    );
    assert!(
        e.contains("of the decompressed tar stream") && e.contains("of member tidb-0/c.log"),
        "{e}"
    );

    // Same bytes on stdin.
    let (out, rec) = walk_bytes(cut, &opts());
    assert!(!out.complete && rec.got.len() == 3);
    assert!(
        out.errors[0].starts_with("-!tidb-0/c.log: "),
        "{:?}",
        out.errors
    );
}

#[test]
fn truncation_found_while_skipping_an_unread_member() {
    // The sink reads only a little of each member; the damage shows up when the walker skips
    // the rest, and is attributed to the input after the last member.
    let t = tar(&[
        Entry::File("a.log", &noisy(100_000, 1)),
        Entry::File("b.log", &noisy(100_000, 2)),
    ]);
    let z = gz(&t);
    let mut rec = Rec {
        read_at_most: Some(10),
        ..Default::default()
    };
    let out = walk_reader(
        0,
        &mut Cursor::new(z[..z.len() * 3 / 4].to_vec()),
        &opts(),
        &mut rec,
    );
    assert!(!out.complete, "{out:?}");
    assert!(
        out.errors[0].starts_with("-: bad tar entry after member b.log:"),
        "{:?}",
        out.errors
    );
}

#[test]
fn truncated_plain_tar() {
    let t = tar(&[
        Entry::File("a.log", L1.as_bytes()),
        Entry::File("b.log", &noisy(5000, 1)),
    ]);
    let (out, rec) = walk_bytes(&t[..2000], &opts());
    assert!(!out.complete);
    assert_eq!(rec.got.len(), 2);
    assert_eq!(rec.got[0].text(), L1);
    assert!(
        out.errors[0].contains("-!b.log: archive ends inside this member"),
        "{:?}",
        out.errors
    );
}

#[test]
fn truncated_plain_gz_input() {
    let z = gz(&noisy(30_000, 4));
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "tidb.log.gz", &z[..z.len() / 2]);
    let (out, rec) = walk_one(&p);
    assert!(!out.complete && !out.unreadable);
    assert_eq!(rec.got.len(), 1);
    assert!(
        out.errors[0].starts_with(&format!("{}: ", p.display())),
        "{:?}",
        out.errors
    );
}

#[test]
fn corrupt_tar_header() {
    let mut t = tar(&[
        Entry::File("a.log", L1.as_bytes()),
        Entry::File("b.log", L2.as_bytes()),
    ]);
    t[1024 + 148] = b'9'; // the second header's checksum field
    let (out, rec) = walk_bytes(&gz(&t), &opts());
    assert!(!out.complete && !out.unreadable);
    assert_eq!(rec.names(), ["-!a.log"]);
    assert!(
        out.errors[0].starts_with("-: bad tar entry after member a.log:"),
        "{:?}",
        out.errors
    );
    assert!(
        out.errors[0].contains("byte 1536 of the decompressed tar stream"),
        "{:?}",
        out.errors
    );
}

#[test]
fn corrupt_first_tar_header_is_unreadable() {
    let mut t = tar(&[Entry::File("a.log", L1.as_bytes())]);
    t[148] = b'9'; // still `ustar` at 257, so it is a tar, with a bad checksum
    let (out, rec) = walk_bytes(&t, &opts());
    assert!(rec.got.is_empty());
    assert!(!out.complete && out.unreadable, "{out:?}");
    assert!(
        out.errors[0].starts_with("-: bad tar header:"),
        "{:?}",
        out.errors
    );
}

#[test]
fn zip_with_bad_central_directory_falls_back_to_local_headers() {
    let mut z = zip(&[
        ("tidb-0/tidb.log", L1.as_bytes()),
        ("tidb-0/b.log", L2.as_bytes()),
    ]);
    let eocd = z.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
    z.truncate(eocd); // no end-of-central-directory record
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "bad.zip", &z);
    let (out, rec) = walk_one(&p);
    assert!(!out.complete && !out.unreadable, "{out:?}");
    assert_eq!(rec.got.len(), 2);
    assert_eq!(rec.got[0].text(), L1);
    assert!(
        out.errors[0].contains("bad zip central directory"),
        "{:?}",
        out.errors
    );
}

#[test]
fn zip_with_a_corrupt_member_goes_on() {
    let big = noisy(10_000, 7);
    let mut z = zip(&[("a.log", &big), ("b.log", L2.as_bytes())]);
    // Flip bytes in the middle of a.log's deflate data.
    z[200] ^= 0xff;
    z[201] ^= 0xff;
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "c.zip", &z);
    let (out, rec) = walk_one(&p);
    assert!(!out.complete, "{out:?}");
    assert_eq!(rec.got.len(), 2, "b.log is still read");
    assert_eq!(rec.got[1].text(), L2);
    assert!(out.errors[0].contains("c.zip!a.log: "), "{:?}", out.errors);
    assert!(
        out.errors[0].contains("member data from byte 35 of the input"),
        "{:?}",
        out.errors
    );
}

#[test]
fn sink_error_is_attributed_and_the_walk_goes_on() {
    let t = gz(&tar(&[
        Entry::File("a.log", L1.as_bytes()),
        Entry::File("b.log", L2.as_bytes()),
    ]));
    let mut rec = Rec {
        fail_on: Some("a.log"),
        ..Default::default()
    };
    let out = walk_reader(3, &mut Cursor::new(t), &opts(), &mut rec);
    assert_eq!(rec.got.len(), 2);
    assert_eq!(rec.got[1].meta.input_index, 3);
    assert_eq!(out.errors.len(), 1);
    assert!(
        out.errors[0].starts_with("-!a.log: sink refused (at byte"),
        "{:?}",
        out.errors
    );
    assert!(!out.complete && !out.unreadable);
}

#[test]
fn corrupt_gz_member_inside_a_good_tar_goes_on() {
    let mut bad = gz(&noisy(5000, 9));
    let n = bad.len();
    bad.truncate(n / 2);
    let t = tar(&[
        Entry::File(&rotated("tidb"), &bad),
        Entry::File("tidb.log", L1.as_bytes()),
    ]);
    let (out, rec) = walk_bytes(&t, &opts());
    assert_eq!(rec.got.len(), 2);
    assert_eq!(rec.got[1].text(), L1);
    assert_eq!(out.errors.len(), 1);
    assert!(
        out.errors[0].starts_with(&format!("-!{}: ", rotated("tidb"))),
        "{:?}",
        out.errors
    );
}

#[test]
fn empty_file_and_empty_archives() {
    let d = tempfile::tempdir().unwrap();
    let empty = write(d.path(), "tidb.log", b"");
    let (out, rec) = walk_one(&empty);
    assert!(out.complete && !out.unreadable && out.files == 1);
    assert_eq!(rec.got[0].meta.kind, FileKind::TidbLog);
    assert!(rec.got[0].data.is_empty());

    let empty_tar = tar(&[]);
    let empty_zip = zip(&[]);
    for (name, bytes) in [
        ("e.tar", empty_tar.clone()),
        ("e.tar.gz", gz(&empty_tar)),
        ("e.zip", empty_zip),
    ] {
        let p = write(d.path(), name, &bytes);
        let (out, rec) = walk_one(&p);
        assert!(
            out.complete && !out.unreadable && out.files == 0,
            "{name}: {out:?}"
        );
        assert!(rec.got.is_empty(), "{name}");
        let (out, rec) = walk_bytes(&bytes, &opts());
        assert!(
            out.complete && out.files == 0 && rec.got.is_empty(),
            "{name} on stdin: {out:?}"
        );
    }
    // A zero-byte file named like gzip or zip is damage (those formats are never 0 bytes),
    // on disk and as a tar member.
    for name in [
        "tidb-0.tar.gz",
        "tidb-2024-01-13T19-21-09.480.log.gz",
        "b.ZIP",
        "x.tgz",
    ] {
        let p = write(d.path(), name, b"");
        let (out, rec) = walk_one(&p);
        assert!(out.unreadable && rec.got.is_empty(), "{name}: {out:?}");
        assert!(out.errors[0].contains("only 0 bytes"), "{out:?}");
    }
    // Cut inside the magic number: the same.
    for (name, bytes) in [
        ("t.tar.gz", &b"\x1f"[..]),
        ("b.zip", b"PK"),
        ("b.zip", b"PK\x03"),
    ] {
        let p = write(d.path(), name, bytes);
        let (out, _) = walk_one(&p);
        assert!(out.unreadable, "{name} {bytes:?}: {out:?}");
    }
    // Not a prefix of the magic: plain text under a misleading name, read as such.
    let p = write(d.path(), "t.gz", b"P");
    assert!(walk_one(&p).0.complete);
    let t = tar(&[
        Entry::File("tidb-0/tidb-2024-01-13T19-21-09.480.log.gz", b""),
        Entry::File("tidb-0/tidb.log", L1.as_bytes()),
    ]);
    let (out, rec) = walk_bytes(&t, &opts());
    assert!(!out.complete && rec.got.len() == 1, "{out:?}");
    // An empty gzip is an empty file.
    let (out, rec) = walk_bytes(&gz(b""), &opts());
    assert!(out.complete && rec.got.len() == 1 && rec.got[0].data.is_empty());
    // Empty stdin too.
    let (out, rec) = walk_bytes(b"", &opts());
    assert!(out.complete && rec.got.len() == 1 && rec.got[0].meta.kind == FileKind::Other);
}

#[test]
fn missing_path_is_unreadable_and_others_still_walked() {
    let d = tempfile::tempdir().unwrap();
    let good = write(d.path(), "tidb.log", L1.as_bytes());
    let missing = d.path().join("nope.tar.gz");
    let (out, rec) = walk_paths(&[&missing, &good], &opts());
    assert_eq!(out.len(), 2);
    // A missing path is a mistake in the command, not damage: `usage`, not `errors`.
    assert!(out[0].unreadable && !out[0].complete && out[0].errors.is_empty());
    assert_eq!(
        out[0].usage.as_deref(),
        Some(format!("{}: no such file or directory", missing.display()).as_str())
    );
    assert!(out[1].complete);
    assert_eq!(rec.got.len(), 1);
    assert_eq!(rec.got[0].meta.input_index, 1);
}

#[test]
fn a_directory_without_log_files_is_a_usage_problem() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "conf/tidb.toml", b"[log]\nlevel = \"info\"\n");
    write(d.path(), "tidb_stderr.log", b"panic: x\n");
    let (out, _) = walk_one(d.path());
    assert!(out.errors.is_empty() && !out.complete && out.directory);
    let msg = out.usage.unwrap();
    assert!(
        msg.ends_with(
            "no TiDB/TiKV/PD log file in this directory (found 1 stderr log, 1 other file)"
        ),
        "{msg}"
    );
    let empty = tempfile::tempdir().unwrap();
    let (out, _) = walk_one(empty.path());
    assert!(out.usage.unwrap().ends_with("(it holds no file)"));
    // One log file is enough.
    write(d.path(), "tidb.log", L1.as_bytes());
    let (out, _) = walk_one(d.path());
    assert!(out.complete && out.usage.is_none(), "{out:?}");
}

#[test]
#[cfg(unix)]
fn damage_in_a_directory_stops_only_that_file() {
    let d = tempfile::tempdir().unwrap();
    let z = gz(&noisy(20_000, 5));
    write(
        d.path(),
        "a/tidb-2024-01-13T19-21-09.480.log.gz",
        &z[..z.len() / 2],
    );
    write(d.path(), "b/tidb.log", L1.as_bytes());
    std::os::unix::fs::symlink(d.path().join("gone"), d.path().join("a/dangling.log")).unwrap();
    let locked = write(d.path(), "c/locked.log", L1.as_bytes());
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root can open a mode-000 file: then there is no permission error to see.
    let root = std::fs::File::open(&locked).is_ok();

    let (out, rec) = walk_one(d.path());
    assert!(!out.complete && !out.unreadable, "{out:?}");
    assert!(
        out.errors[0].contains("a/tidb-2024-01-13T19-21-09.480.log.gz: "),
        "{:?}",
        out.errors
    );
    assert!(out.errors[0].contains("of the file"), "{:?}", out.errors);
    assert!(
        out.skipped[0].contains("a/dangling.log: symlink: not followed"),
        "{:?}",
        out.skipped
    );
    assert!(rec.names().iter().any(|n| n.ends_with("b/tidb.log")));
    if root {
        assert_eq!(out.errors.len(), 1);
    } else {
        assert_eq!(out.errors.len(), 2);
        assert!(
            out.errors[1].contains("c/locked.log: cannot open"),
            "{:?}",
            out.errors
        );
    }
}

#[test]
fn gz_name_that_is_not_gzip() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "tidb.log.gz", L1.as_bytes());
    let (out, rec) = walk_one(&p);
    assert!(out.complete);
    assert_eq!(rec.got[0].meta.encoding, Encoding::Plain);
    assert_eq!(rec.got[0].meta.kind, FileKind::TidbLog);
    assert_eq!(rec.got[0].text(), L1);
}

#[test]
fn gzip_bomb_stopped_by_the_cap() {
    let bomb = gz(&vec![0u8; 5_000_000]);
    assert!(bomb.len() < 10_000);
    let o = SourceOptions {
        max_decompressed_bytes: Some(1_000_000),
        ..opts()
    };
    // As a plain .gz file: inflated by the sink, which charges the input's budget.
    let (out, rec) = walk_bytes(&bomb, &o);
    assert!(!out.complete, "{out:?}");
    assert_eq!(rec.got[0].meta.encoding, Encoding::Gzip);
    assert!(rec.got[0].data.len() <= 1_000_000);
    assert!(
        out.errors[0].contains("more than 1000000 bytes decompressed"),
        "{:?}",
        out.errors
    );
    // Inside a tar.gz, as a .log.gz member: the whole input stops.
    let t = gz(&tar(&[
        Entry::File("a.log.gz", &bomb),
        Entry::File("b.log", L1.as_bytes()),
    ]));
    let (out, rec) = walk_bytes(&t, &o);
    assert_eq!(rec.got.len(), 1, "b.log is not read after the cap");
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert!(
        out.errors[0].starts_with("-!a.log.gz: more than"),
        "{:?}",
        out.errors
    );
    // A deflated zip member.
    let z = zip(&[("a.log", &vec![b'a'; 5_000_000]), ("b.log", L1.as_bytes())]);
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "bomb.zip", &z);
    let (out, rec) = walk_paths(&[&p], &o);
    assert_eq!(rec.got.len(), 1);
    assert!(
        out[0].errors[0].contains("--max-decompressed-bytes"),
        "{:?}",
        out[0].errors
    );
    // Without a cap, everything is read.
    let (out, rec) = walk_paths(&[&p], &opts());
    assert!(out[0].complete && rec.got[0].data.len() == 5_000_000);
}

#[test]
fn never_panics_on_damaged_bytes() {
    let t = tar(&[
        Entry::File("tidb-0/tidb.log", &noisy(3000, 1)),
        Entry::File(&format!("tidb-0/{}", rotated("tidb")), &gz(&noisy(2000, 2))),
        Entry::File("in.zip", &zip(&[("x.log", L1.as_bytes())])),
    ]);
    let samples = [
        gz(&t),
        t.clone(),
        zip(&[("a.log", &noisy(3000, 3)), ("b.tar", &t)]),
    ];
    let d = tempfile::tempdir().unwrap();
    for s in &samples {
        let step = (s.len() / 60).max(1);
        for cut in (0..s.len()).step_by(step) {
            let _ = walk_bytes(&s[..cut], &opts());
            let mut flipped = s.clone();
            flipped[cut] ^= 0x5a;
            let _ = walk_bytes(&flipped, &opts());
            let p = write(d.path(), "f.bin", &flipped);
            let _ = walk_one(&p);
            let p = write(d.path(), "f.bin", &s[..cut]);
            let _ = walk_one(&p);
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Any bytes at all, with a valid magic number in front to reach the archive readers.
    #[test]
    fn never_panics_on_random_bytes(
        magic in proptest::sample::select(vec![&b""[..], b"\x1f\x8b", b"PK\x03\x04", b"PK\x05\x06"]),
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048),
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend(body);
        let (out, _) = walk_bytes(&bytes, &opts());
        proptest::prop_assert!(out.complete || !out.errors.is_empty());
    }
}

// ---------------------------------------------------------------- committed fixtures

fn fixture(name: &str) -> (InputOutcome, Rec) {
    walk_one(&Path::new("fixtures/inputs").join(name))
}

fn summary(rec: &Rec) -> Vec<(String, String, FileKind, Encoding, Option<String>)> {
    rec.got
        .iter()
        .map(|g| {
            let m = &g.meta;
            let short = m
                .name
                .strip_prefix("fixtures/inputs/")
                .unwrap_or(&m.name)
                .to_string();
            (
                short,
                m.instance.clone(),
                m.kind,
                m.encoding,
                m.rotation.clone(),
            )
        })
        .collect()
}

#[test]
fn fixture_rotated_tar_gz() {
    let (out, rec) = fixture("rotated.tar.gz");
    assert!(out.complete, "{out:?}");
    use Encoding::*;
    use FileKind::*;
    let r = |s: &str| Some(s.to_string());
    assert_eq!(
        summary(&rec),
        [
            (
                "rotated.tar.gz!tidb-1/tidb-2024-01-13T19-21-10.808.log.gz".into(),
                "tidb-1".into(),
                TidbLog,
                Gzip,
                r("2024-01-13T19-21-10.808")
            ),
            (
                "rotated.tar.gz!tidb-1/tidb-2024-01-13T19-21-11.140.log.gz".into(),
                "tidb-1".into(),
                TidbLog,
                Gzip,
                r("2024-01-13T19-21-11.140")
            ),
            (
                "rotated.tar.gz!tidb-1/tidb.log".into(),
                "tidb-1".into(),
                TidbLog,
                Plain,
                None
            ),
            (
                "rotated.tar.gz!tidb-1/tidb.toml".into(),
                "tidb-1".into(),
                Other,
                Plain,
                None
            ),
        ]
    );
    let lines: usize = rec.got[..3].iter().map(|g| g.text().lines().count()).sum();
    assert_eq!(lines, 25);
}

#[test]
fn fixture_zips() {
    let (out, rec) = fixture("bundle.zip");
    assert!(out.complete, "{out:?}");
    let s = summary(&rec);
    assert_eq!(s.len(), 3);
    assert!(s.iter().all(|f| f.1 == "tidb-2"));
    assert_eq!(s[0].3, Encoding::Gzip);
    assert_eq!(
        rec.got[0].text().lines().count() + rec.got[1].text().lines().count(),
        25
    );

    let (out, rec) = fixture("nested.zip");
    assert!(out.complete, "{out:?}");
    assert_eq!(
        summary(&rec)[0].0,
        "nested.zip!bundles/tidb-0.tar.gz!tidb-0/tidb.log"
    );
    assert_eq!(summary(&rec)[0].1, "tidb-0");
    assert_eq!(rec.got[0].text().lines().count(), 25);
}

#[test]
fn fixture_clinic_dir() {
    let (out, rec) = fixture("clinic");
    assert!(out.complete && out.skipped.is_empty(), "{out:?}");
    let s = summary(&rec);
    let inst: Vec<(&str, FileKind)> = s.iter().map(|f| (f.1.as_str(), f.2)).collect();
    use FileKind::*;
    assert_eq!(
        inst,
        [
            ("10.0.1.5:4000", Other),
            ("10.0.1.5:4000", TidbLog),
            ("10.0.1.5:4000", TidbLog),
            ("10.0.1.5:4000", Stderr),
            ("10.0.1.6:20160", TikvLog)
        ]
    );
    assert_eq!(s[1].4.as_deref(), Some("2024-01-13T19-21-11.116"));
    assert_eq!(
        rec.got[1].text().lines().count() + rec.got[2].text().lines().count(),
        25
    );
}

#[test]
fn fixture_small_files() {
    let (out, rec) = fixture("json.log");
    assert!(out.complete);
    assert_eq!(
        (rec.got[0].meta.kind, rec.got[0].meta.instance.as_str()),
        (FileKind::TidbLog, "json")
    );
    assert_eq!(rec.got[0].text().lines().count(), 4);

    let (_, rec) = fixture("crlf.log");
    assert_eq!(rec.got[0].meta.kind, FileKind::TidbLog);
    assert!(rec.got[0].text().ends_with("\r\n"));

    let (out, rec) = fixture("multi-member.log.gz");
    assert!(out.complete);
    assert_eq!(rec.got[0].meta.encoding, Encoding::Gzip);
    assert_eq!(rec.got[0].meta.kind, FileKind::TidbLog);
    assert_eq!(rec.got[0].text().lines().count(), 25);

    let (out, rec) = fixture("not-gzip.log.gz");
    assert!(out.complete);
    assert_eq!(rec.got[0].meta.encoding, Encoding::Plain);
    assert_eq!(rec.got[0].text().lines().count(), 3);
}

#[test]
fn fixture_truncated_tar_gz() {
    let (out, rec) = fixture("truncated.tar.gz");
    assert!(!out.complete && !out.unreadable, "{out:?}");
    assert_eq!(rec.got.len(), 1);
    let g = &rec.got[0];
    assert!(g.err.is_some());
    assert!(g.text().lines().count() < 25);
    assert_eq!(out.errors.len(), 1);
    let e = &out.errors[0];
    assert!(
        e.starts_with("fixtures/inputs/truncated.tar.gz!tidb-0/tidb.log: "),
        "{e}"
    );
    assert!(e.contains("byte 540 of the input"), "{e}");
}

/// Regression (issue #6): the tar reader stops at the end-of-archive blocks, so a `.tar.gz`
/// cut inside its last deflate block or gzip trailer used to pass as complete.
#[test]
fn tar_gz_cut_in_its_last_bytes_is_damage() {
    let bytes = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed-50417/tidb-0.tar.gz"),
    )
    .unwrap();
    for cut in 1..=24 {
        let (out, rec) = walk_bytes(&bytes[..bytes.len() - cut], &opts());
        assert!(!out.complete, "cut {cut} bytes from the end: {out:?}");
        assert_eq!(rec.got.len(), 1, "the member itself is still read");
    }
    let (out, _) = walk_bytes(&bytes, &opts());
    assert!(out.complete, "{out:?}");
}

/// Regression (issue #6): streaming a zip stops at the central directory, so a zip on stdin
/// (or nested) cut inside its central directory used to pass as complete.
#[test]
fn streamed_zip_cut_in_its_central_directory_is_damage() {
    let z = zip(&[("tidb-2/tidb.log", L1.as_bytes())]);
    let (out, _) = walk_bytes(&z, &opts());
    assert!(out.complete, "{out:?}");
    let cd = z.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    for end in (cd + 30)..z.len() {
        let (out, rec) = walk_bytes(&z[..end], &opts());
        assert!(!out.complete, "cut at {end} of {}: {out:?}", z.len());
        assert_eq!(rec.got.len(), 1);
        assert!(out.errors[0].contains("central directory"), "{out:?}");
    }
}
