//! What a file is ([`FileKind`]) and its rotation stamp, from its name and first line.
//!
//! Names come first because they are what operators and tiup/Clinic agree on; content decides
//! when the name says nothing (`output.log`, `-` on stdin, an oddly named member).

use std::sync::LazyLock;

use regex::Regex;

use super::FileKind;

/// lumberjack's rotated name: `<prefix>-2024-01-13T19-21-09.480.log[.gz]`.
static ROTATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.+)-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3})\.log(\.gz)?$").unwrap()
});

/// A log line's time, in any of the layouts TiDB and the tools around it write
/// (`2024/01/13 19:21:09`, `2024-11-26 14:55:27`, `2020-07-21T08:37:23`), wherever it stands in
/// the line (behind a grep, kubectl or CI prefix).
static TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d{4}[/-]\d{2}[/-]\d{2}[ T]\d{2}:\d{2}:\d{2}").unwrap());

/// A caller, `handle.go:186` or `endpoint.rs:780`: the language says TiDB/PD or TiKV.
static CALLER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9_-]\.(go|rs):\d+\b").unwrap());

/// How many lines of the head content sniffing looks at: the first line of a paste is often a
/// heading, a lone time (Grafana) or a `{` (pretty-printed JSON).
const SNIFF_LINES: usize = 20;

/// A file name split into the part that names the log and its rotation stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    /// The name the active file would have: `tidb.log` for `tidb-2024-...480.log.gz`; for other
    /// names, the name without a trailing `.gz`.
    pub active: String,
    pub rotation: Option<String>,
}

pub(crate) fn split_rotation(file_name: &str) -> Name {
    if let Some(c) = ROTATED.captures(file_name) {
        return Name {
            active: format!("{}.log", &c[1]),
            rotation: Some(c[2].to_string()),
        };
    }
    let active = file_name
        .strip_suffix(".gz")
        .unwrap_or(file_name)
        .to_string();
    Name {
        active,
        rotation: None,
    }
}

/// The stem used for instance naming: `tidb-1` for `tidb-1.log` and for
/// `tidb-1-2024-01-13T19-21-09.480.log.gz`, so rotated files and the active one agree.
pub(crate) fn stem(file_name: &str) -> String {
    let active = split_rotation(file_name).active;
    match active.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() => s.to_string(),
        _ => active,
    }
}

/// Kind and rotation of a file named `file_name` (the last path component, may be empty for
/// stdin) whose first (decompressed) bytes are `head`.
pub(crate) fn classify(file_name: &str, head: &[u8]) -> (FileKind, Option<String>) {
    let name = split_rotation(file_name);
    let kind = by_name(&name.active).unwrap_or_else(|| by_content(head));
    (kind, name.rotation)
}

fn by_name(active: &str) -> Option<FileKind> {
    let lower = active.to_ascii_lowercase();
    // Only log-like names: `tidb.toml` or `pd.yaml` are configs, whatever their prefix.
    let log_like = lower.ends_with(".log") || !lower.contains('.');
    if !log_like {
        return None;
    }
    if lower.contains("slow") {
        Some(FileKind::SlowLog)
    } else if lower.contains("stderr") {
        Some(FileKind::Stderr)
    } else if lower.starts_with("tidb") {
        Some(FileKind::TidbLog)
    } else if lower.starts_with("tikv") {
        Some(FileKind::TikvLog)
    } else if lower.starts_with("pd") {
        Some(FileKind::PdLog)
    } else {
        None
    }
}

/// The kind of a file whose name says nothing, from its first lines.
///
/// This is a sniff, not a parse (the record parser comes later in the pipeline and decides what
/// is a record): a line with a log time and a caller makes the file a TiDB log (a TiKV log when
/// the caller is Rust). That covers every shape and wrapper the parser reads without repeating
/// its grammar here. NUL bytes at the start (copy-truncate rotation) are skipped; a head that
/// is nothing but NULs is a TiDB log whose hole is longer than the head, since nothing else
/// leaves such a hole.
fn by_content(head: &[u8]) -> FileKind {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let nuls = head.iter().take_while(|&&b| b == 0).count();
    if nuls > 0 && nuls == head.len() {
        return FileKind::TidbLog;
    }
    let head = &head[nuls..];
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    if lines
        .clone()
        .next()
        .is_some_and(|l| l.starts_with("# Time:"))
    {
        return FileKind::SlowLog;
    }
    // A JSON log names its level among the first keys of its first object (a JSON document
    // that merely mentions a level somewhere is no log).
    let trimmed = text.trim_start();
    if trimmed.starts_with('{')
        && trimmed[..floor_char_boundary(trimmed, 200)].contains("\"level\"")
    {
        return FileKind::TidbLog;
    }
    lines
        .by_ref()
        .take(SNIFF_LINES)
        .find_map(|l| {
            let l = &l[..floor_char_boundary(l, 512)];
            let time = TIME.find(l)?;
            // The time opens the line, or follows a short wrapper (`pod container `,
            // `file.log:12:`, `> `): a few words and no quote, so that prose or a JSON
            // document that quotes a log line is not taken for a log.
            let before = &l[..time.start()];
            if before.contains('"') || before.split_whitespace().count() > 3 {
                return None;
            }
            let after = &l[time.end()..];
            let caller = CALLER.captures(&after[..floor_char_boundary(after, 200)])?;
            Some(if &caller[1] == "rs" {
                FileKind::TikvLog
            } else {
                FileKind::TidbLog
            })
        })
        .unwrap_or(FileKind::Other)
}

/// The largest char boundary of `s` at or below `i`.
fn floor_char_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use FileKind::*;

    const TIDB: &[u8] =
        b"[2024/01/13 19:21:09.480 +08:00] [INFO] [handle.go:186] [\"task not resumable\"]\n";
    const TIKV: &[u8] = b"[2024/01/13 19:21:09.480 +08:00] [WARN] [endpoint.rs:780] [\"x\"]\n";

    #[test]
    fn names() {
        assert_eq!(classify("tidb.log", b""), (TidbLog, None));
        assert_eq!(classify("tidb-0.log", b""), (TidbLog, None));
        assert_eq!(
            classify("tidb-2024-01-13T19-21-09.480.log.gz", b""),
            (TidbLog, Some("2024-01-13T19-21-09.480".into()))
        );
        assert_eq!(
            classify("tidb-2024-01-13T19-21-09.480.log", b""),
            (TidbLog, Some("2024-01-13T19-21-09.480".into()))
        );
        assert_eq!(classify("tikv.log", b"").0, TikvLog);
        assert_eq!(classify("pd.log", b"").0, PdLog);
        assert_eq!(classify("tidb_slow_query.log", b"").0, SlowLog);
        assert_eq!(classify("tidb-slow.log", b"").0, SlowLog);
        assert_eq!(
            classify("tidb-slow-2024-01-13T19-21-09.480.log", b""),
            (SlowLog, Some("2024-01-13T19-21-09.480".into()))
        );
        assert_eq!(classify("tidb_stderr.log", b"").0, Stderr);
        assert_eq!(classify("tikv_stderr.log", b"").0, Stderr);
        assert_eq!(
            classify("tidb.toml", TIDB).0,
            TidbLog,
            "content still decides for non-log names"
        );
        assert_eq!(classify("tidb.toml", b"[log]\nlevel = \"info\"\n").0, Other);
        assert_eq!(classify("metrics.json", b"{\"a\":1}").0, Other);
    }

    #[test]
    fn content() {
        assert_eq!(classify("output.log", TIDB).0, TidbLog);
        assert_eq!(classify("", TIKV).0, TikvLog);
        assert_eq!(
            classify("x", b"\xef\xbb\xbf# Time: 2024-01-13T19:21:09.480+08:00\n").0,
            SlowLog
        );
        let json = br#"{"time":"2024/01/13 19:21:09.480 +08:00","level":"INFO","caller":"handle.go:186","message":"m"}"#;
        assert_eq!(classify("out.log", json).0, TidbLog);
        assert_eq!(
            classify("", b"2018/01/24 07:00:41.857 domain.go:596: [error] x\n").0,
            TidbLog
        );
        let crlf = b"[2024/01/13 19:21:09.480 +08:00] [INFO] [ddl.go:1] [\"m\"]\r\n";
        assert_eq!(classify("", crlf).0, TidbLog);
        assert_eq!(classify("notes.log", b"hello\n").0, Other);
        // The shapes people paste: a grep prefix, the 2017 format, a log platform's export,
        // a heading before the lines, a run of NULs.
        for head in [
            &b"tidb-1.log:12:[2024/01/13 19:21:09.480 +08:00] [INFO] [ddl.go:1] [m]\n"[..],
            b"2017/08/03 23:37:35 owner_manager.go:176: [info] [ddl] x\n",
            b"2024-11-26 14:55:27 (UTC+08:00)TiDB 172.16.6.95:4604[job_worker.go:784] [\"run DDL job\"]\n",
            b"logs of tidb-0:\n\n[2024/01/13 19:21:09.480 +08:00] [INFO] [ddl.go:1] [m]\n",
            b"\0\0\0\0[2024/01/13 19:21:09.480 +08:00] [INFO] [ddl.go:1] [m]\n",
            &[0u8; 64],
            b"{\n  \"level\": \"ERROR\",\n",
        ] {
            assert_eq!(classify("paste.txt", head).0, TidbLog, "{:?}", String::from_utf8_lossy(head));
        }
        assert_eq!(
            classify(
                "paste.txt",
                b"tikv-1.log:[2024/01/13 19:21:09.480 +08:00] [WARN] [endpoint.rs:780] [x]\n"
            )
            .0,
            TikvLog
        );
        assert_eq!(
            classify("notes.txt", b"at 2024-01-13 19:21:09 it broke\n").0,
            Other
        );
        // A JSON document or prose that quotes a log line is not a log (the corpus' case.json).
        let doc = b"{\n  \"issue\": \"pingcap/tidb#1\",\n  \"notes\": \"the line [2021/08/29 20:49:53.213 +05:30] [INFO] [ddl_worker.go:319] shows it\"\n}\n";
        assert_eq!(classify("case.json", doc).0, Other);
        let prose = b"As you can see in the owner's log at 2021/08/29 20:49:53.213 +05:30 [ddl_worker.go:319] the job\n";
        assert_eq!(classify("notes.txt", prose).0, Other);
        assert_eq!(classify("empty.log", b"").0, Other);
        assert_eq!(classify("", &[0xff, 0xfe, 0, 1]).0, Other);
    }

    #[test]
    fn stems() {
        assert_eq!(stem("tidb.log"), "tidb");
        assert_eq!(stem("tidb-1.log"), "tidb-1");
        assert_eq!(stem("tidb-1-2024-01-13T19-21-09.480.log.gz"), "tidb-1");
        assert_eq!(stem("tidb-2024-01-13T19-21-09.480.log"), "tidb");
        assert_eq!(stem("tidb.log.gz"), "tidb");
        assert_eq!(stem("noext"), "noext");
        assert_eq!(stem(".hidden"), ".hidden");
    }
}
