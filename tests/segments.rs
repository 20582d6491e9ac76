//! One large plain file read in segments on several cores (issue #16 item 3) must give the
//! report one whole-file scan gives, byte for byte. The debug hook `DDLDIAG_DEBUG_SEGMENT_BYTES`
//! cuts every plain file into segments of that many bytes (no size threshold) and hands every
//! other one to a helper thread, so the fixtures, the corpus and a few logs built around the
//! seams exercise both the replay from a helper and the worker's own scan of a later segment.
//! `--threads 1` is the whole-file scan.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{corpus_or_skip, fixture};

struct Out {
    code: i32,
    stdout: Vec<u8>,
    /// Segments read and segments replayed from helpers, over every file, from the hook's trace.
    segments: u64,
    replayed: u64,
}

fn report(input: &Path, extra: &[&str], segment: Option<u64>) -> Out {
    let mut c = Command::cargo_bin("ddldiag").unwrap();
    c.args([
        "analyze",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--quiet",
    ])
    .args(extra);
    match segment {
        Some(n) => {
            c.args(["--threads", "2"])
                .env("DDLDIAG_DEBUG_SEGMENT_BYTES", n.to_string());
        }
        None => {
            c.args(["--threads", "1"])
                .env_remove("DDLDIAG_DEBUG_SEGMENT_BYTES");
        }
    }
    let out = c.arg(input).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "{}: {stderr}",
        input.display()
    );
    let (mut segments, mut replayed) = (0, 0);
    for l in stderr.lines() {
        // `ddldiag debug: NAME read in N segments, R from helpers`
        if let Some(rest) = l.strip_prefix("ddldiag debug: ") {
            let w: Vec<&str> = rest.split_whitespace().collect();
            let n = w.len();
            segments += w[n - 5].parse::<u64>().unwrap();
            replayed += w[n - 3].parse::<u64>().unwrap();
        }
    }
    Out {
        code: out.status.code().expect("killed by a signal"),
        stdout: out.stdout,
        segments,
        replayed,
    }
}

/// Compares the segmented and the whole-file report of `input`; returns what differed, and
/// the segments read.
fn compare(input: &Path, extra: &[&str], segment: u64) -> (Option<String>, u64, u64) {
    let whole = report(input, extra, None);
    let cut = report(input, extra, Some(segment));
    let differ = (whole.code != cut.code || whole.stdout != cut.stdout).then(|| {
        let a = String::from_utf8_lossy(&whole.stdout);
        let b = String::from_utf8_lossy(&cut.stdout);
        let first = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        format!(
            "{} {extra:?} in segments of {segment} bytes: exit {} vs {}; first differing line {}:\n  whole: {}\n  cut:   {}",
            input.display(),
            whole.code,
            cut.code,
            first + 1,
            a.lines().nth(first).unwrap_or(""),
            b.lines().nth(first).unwrap_or("")
        )
    });
    (differ, cut.segments, cut.replayed)
}

fn children(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn segments_give_the_whole_file_report_on_every_fixture_and_corpus_case() {
    let mut inputs: Vec<PathBuf> = Vec::new();
    for p in children(&fixture("")) {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        match name.as_str() {
            // One input per log shape, rule and damaged input: each its own report.
            "shapes" | "rules" | "inputs" => inputs.extend(children(&p)),
            _ if p.is_dir() => inputs.push(p),
            _ => {}
        }
    }
    if let Some(c) = corpus_or_skip(
        "segments_give_the_whole_file_report_on_every_fixture_and_corpus_case",
        "only the fixtures",
    ) {
        inputs.extend(children(&c).into_iter().filter(|p| p.is_dir()));
    }
    let mut differ = Vec::new();
    let (mut segments, mut replayed) = (0, 0);
    for p in &inputs {
        let (d, s, r) = compare(p, &[], 1500);
        differ.extend(d);
        segments += s;
        replayed += r;
    }
    println!(
        "segments: {} inputs compared, {segments} segments, {replayed} replayed",
        inputs.len()
    );
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    // The hook did cut files, and helpers did scan some of the segments.
    assert!(segments > 2 * inputs.len() as u64 && replayed > 0);
}

/// `[2024/02/20 14:31:SS.mmm ZONE]` for the `i`th line.
fn head(i: usize, zone: &str) -> String {
    format!(
        "[2024/02/20 14:{:02}:{:02}.{:03} {zone}]",
        31 + i / 60_000 % 20,
        i / 1000 % 60,
        i % 1000
    )
}

fn job(id: u32, state: &str, schema_state: &str, err_count: u32) -> String {
    format!(
        "job=\"ID:{id}, Type:add index, State:{state}, SchemaState:{schema_state}, SchemaID:2, TableID:512, RowCount:2752512, ArgLen:0, start time: 2024-02-20 14:20:11.35 +0800 CST, Err:[tikv:9005]Region is unavailable, ErrCount:{err_count}, SnapshotVersion:447893026452308021, LocalMode: false, UniqueWarnings:0\""
    )
}

/// A job's retry loop on `Region is unavailable`, rolled back: events and fault signals on
/// every few lines, with the job strings hard-wrapped at `wrap` bytes when given (a terminal
/// or a person broke the lines).
fn retry_loop(
    out: &mut String,
    n: &mut usize,
    zone: &str,
    id: u32,
    rounds: u32,
    wrap: Option<usize>,
) {
    // `{h}` stands for the line's header time.
    let mut lines = Vec::new();
    for r in 0..rounds {
        lines.push(format!("{{h}} [INFO] [ddl_worker.go:1156] [\"run DDL job\"] [worker=\"worker 1, tp add index\"] [category=ddl] [jobID={id}] [{}]", job(id, "running", "write reorganization", r)));
        lines.push("{h} [WARN] [reorg.go:232] [\"run reorg job done\"] [category=ddl] [\"handled rows\"=2752512] [error=\"[tikv:9005]Region is unavailable\"]".to_string());
        lines.push("{h} [WARN] [session.go:2251] [\"run statement failed\"] [conn=41] [error=\"[tikv:9005]Region is unavailable\"]".to_string());
        lines.push(format!("{{h}} [WARN] [ddl_worker.go:1118] [\"run DDL job error\"] [worker=\"worker 1, tp add index\"] [category=ddl] [jobID={id}] [error=\"[tikv:9005]Region is unavailable\"]"));
    }
    lines.push(format!("{{h}} [WARN] [index.go:1087] [\"run add index job failed, convert job to rollback\"] [category=ddl] [{}] [error=\"[tikv:9005]Region is unavailable\"]", job(id, "running", "write reorganization", rounds)));
    lines.push(format!("{{h}} [INFO] [ddl_worker.go:738] [\"finish DDL job\"] [worker=\"worker 1, tp add index\"] [category=ddl] [jobID={id}] [{}]", job(id, "rollback done", "none", rounds)));
    for line in lines {
        let line = line.replace("{h}", &head(*n, zone));
        *n += 1;
        let l = match wrap {
            Some(w) if line.len() > w && line.contains("job=") => {
                // Never before a `[`: a `[` and a digit would start a record.
                let mut cut = w;
                while line.as_bytes()[cut] == b'[' || !line.is_char_boundary(cut) {
                    cut += 1;
                }
                let (a, b) = line.split_at(cut);
                let mut cut2 = (b.len() / 2).max(1);
                while b.as_bytes()[cut2] == b'[' || !b.is_char_boundary(cut2) {
                    cut2 += 1;
                }
                let (b1, b2) = b.split_at(cut2);
                format!("{a}\n{b1}\n{b2}")
            }
            _ => line,
        };
        out.push_str(&l);
        out.push('\n');
    }
}

/// Ordinary lines that are no event: what a segment is mostly made of.
fn filler(out: &mut String, n: &mut usize, zone: &str, lines: usize) {
    for _ in 0..lines {
        let h = head(*n, zone);
        *n += 1;
        out.push_str(&format!("{h} [INFO] [gc_worker.go:1000] [\"gc job started\"] [uuid=62b4] [safePoint=447893026452308021]\n"));
    }
}

/// The logs built around the seams, by name.
fn seam_cases() -> Vec<(&'static str, String)> {
    let mut cases = Vec::new();
    // A hard-wrapped record across the seam: nearly every job line spans three lines, so
    // cut offsets land inside them.
    let (mut s, mut n) = (String::new(), 0);
    for id in 1..6 {
        retry_loop(&mut s, &mut n, "+08:00", 100 + id, 6, Some(90));
        filler(&mut s, &mut n, "+08:00", 3);
    }
    cases.push(("wrapped.log", s.clone()));
    // The same with CRLF line ends.
    cases.push(("crlf.log", s.replace('\n', "\r\n")));
    // JSON objects across it: pretty-printed records, and an object a record start breaks off.
    let (mut s, mut n) = (String::new(), 0);
    for id in 1..8u32 {
        retry_loop(&mut s, &mut n, "+00:00", 200 + id, 2, None);
        s.push_str(&format!(
            "{{\n  \"level\": \"ERROR\",\n  \"time\": \"2024/02/20 14:40:{:02}.968 +00:00\",\n  \"caller\": \"ddl_worker.go:942\",\n  \"message\": \"[ddl] run DDL job error\",\n  \"jobID\": {},\n  \"error\": \"[tikv:9005]Region is unavailable\"\n}}\n",
            id, 200 + id
        ));
        s.push_str("{\n  \"level\": \"INFO\",\n  \"time\": \"2024/02/20 14:41:00.000 +00:00\",\n");
        filler(&mut s, &mut n, "+00:00", 2);
    }
    cases.push(("json.log", s));
    // Zone-less lines right after a seam: legacy DDL lines and Go std-log lines are read in
    // the zone of the record before them, and the zone changes half-way.
    let (mut s, mut n) = (String::new(), 0);
    for (k, zone) in ["+08:00", "+08:00", "-07:00", "+00:00", "+05:30"]
        .iter()
        .enumerate()
    {
        for i in 0..6 {
            filler(&mut s, &mut n, zone, 1);
            s.push_str(&format!("2024/02/20 14:{:02}:{:02}.104 ddl_worker.go:308: [info] [ddl] run DDL job ID:{}, Type:add index, State:running, SchemaState:write reorganization, SchemaID:1, TableID:47, RowCount:0, ArgLen:4\n", 40 + k, i, 300 + k));
            s.push_str(&format!("2024/02/20 14:{:02}:{:02} background error: creating object 000012: open /tmp/x.sst: no such file or directory\n", 40 + k, i));
        }
        // A zone-less record held back for its continuation lines (a query over several
        // lines) when the zone changes: it is read in the zone the next record brings.
        s.push_str(&format!("2024/02/20 14:{:02}:59.530 ddl.go:419: [info] [ddl] start DDL job ID:{}, Type:add index, State:none, SchemaState:none, SchemaID:1, TableID:47, RowCount:0, ArgLen:4, Query:alter table t\n  add index idx_b(b)\n", 40 + k, 310 + k));
    }
    s.push_str("2024/02/20 15:59:59 background error: the last line has no zone\n");
    cases.push(("zoneless.log", s));
    // A store switch (`new domain`) early in the file governs the jobs later in it: the same
    // job ids under two stores are two clusters' jobs.
    let (mut s, mut n) = (String::new(), 0);
    for store in [
        "11e0380d-e571-45e3-b06a-12ca4793aafd",
        "5a1f9c2e-0000-4bbb-8ccc-123456789abc",
    ] {
        let h = head(n, "+08:00");
        n += 1;
        s.push_str(&format!(
            "{h} [INFO] [tidb.go:71] [\"new domain\"] [store={store}] [\"ddl lease\"=45s]\n"
        ));
        filler(&mut s, &mut n, "+08:00", 40);
        for id in 1..4 {
            retry_loop(&mut s, &mut n, "+08:00", 400 + id, 2, None);
        }
        filler(&mut s, &mut n, "+08:00", 20);
    }
    cases.push(("stores.log", s));
    // Fault-signal lines longer than the evidence a sample keeps, its cut inside a character:
    // replayed from a helper (with a window), only their head travels.
    let (mut s, mut n) = (String::new(), 0);
    retry_loop(&mut s, &mut n, "+08:00", 501, 3, None);
    for pad in 0..4 {
        let h = head(n, "+08:00");
        n += 1;
        let tail = "€".repeat(1400 + pad);
        s.push_str(&format!("{h} [WARN] [session.go:2251] [\"run statement failed\"] [error=\"[tikv:9001]PD server timeout: \"] [sql=\"{}{tail}\"]\n", "é".repeat(pad)));
        filler(&mut s, &mut n, "+08:00", 2);
    }
    cases.push(("long.log", s));
    cases
}

#[test]
fn segments_give_the_whole_file_report_across_every_kind_of_seam() {
    let dir = tempfile::tempdir().unwrap();
    let mut differ = Vec::new();
    for (name, text) in seam_cases() {
        let p = dir.path().join(name);
        std::fs::write(&p, &text).unwrap();
        let size = text.len() as u64;
        // Several sizes, so that the cut offsets fall on different lines of every structure.
        for segment in [211, 700, 1499, 4096] {
            for extra in [
                &[][..],
                &["--since", "40s"][..],
                &["--since", "2024-02-20 14:31:30"][..],
                &["--until", "10s"][..],
            ] {
                let (d, segments, replayed) = compare(&p, extra, segment);
                differ.extend(d);
                // Seams fall only on record starts, so records longer than a segment make
                // fewer segments than the size asks for; never one alone.
                assert!(
                    segments > (size / segment).min(8) / 2 && replayed > 0,
                    "{name} in segments of {segment}: {segments} segments, {replayed} replayed"
                );
            }
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// The seam cases are what they claim: jobs, findings and fault windows, not empty reports
/// that would be identical for nothing.
#[test]
fn seam_cases_hold_what_they_test() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in seam_cases() {
        let p = dir.path().join(name);
        std::fs::write(&p, &text).unwrap();
        let run = common::analyze(&[&p], &["--fail-on", "never", "--threads", "1"], None);
        let jobs = run.report["jobs"].as_array().map_or(0, Vec::len);
        assert!(jobs > 0, "{name}: no job in {}", run.report);
    }
    // The two stores make two jobs of each id.
    let (_, text) = seam_cases()
        .into_iter()
        .find(|c| c.0 == "stores.log")
        .unwrap();
    let p = dir.path().join("stores.log");
    std::fs::write(&p, text).unwrap();
    let run = common::analyze(&[&p], &["--fail-on", "never", "--threads", "1"], None);
    let ids: Vec<i64> = run.report["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|j| j["job_id"].as_i64())
        .collect();
    assert_eq!(ids.iter().filter(|&&i| i == 401).count(), 2, "{ids:?}");
}
