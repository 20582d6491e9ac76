//! Prefixes (and a few suffixes) that collectors and people add around a log line.
//!
//! One row of [`WRAPPERS`] per habit; up to [`MAX_LAYERS`] of them around one line
//! (`   > tidb-1.log:[2024/…` is blanks, a Markdown quote and a grep prefix). A wrapper is
//! removed only when what is inside is a record in one of the [`super::SHAPES`]; otherwise the
//! line comes back unchanged, so a continuation line that happens to look like a prefix is never
//! altered. A wrapper that says where the line came from (a grep prefix's file, a kubectl pod)
//! hands that on as the record's [`Origin`].

use super::{is_bare_record, unified, Origin};

/// Longest pod/container name we look at: Kubernetes names are at most 253 bytes.
const MAX_TOKEN: usize = 253;

/// Longest file path a `grep` prefix may have.
const MAX_PATH: usize = 4096;

/// How many wrappers may sit around one line.
pub const MAX_LAYERS: usize = 3;

/// What is inside a wrapper, and what the wrapper says about where the line came from.
pub type Unwrapped<'a> = (&'a str, Option<Origin<'a>>);

/// One wrapping habit: a row of [`WRAPPERS`].
pub struct Wrapper {
    pub name: &'static str,
    /// A real wrapped line (shortened); the tests unwrap every example.
    pub example: &'static str,
    pub seen: &'static str,
    /// The line inside the wrapper, if `line` starts with this wrapper. `inside` says whether
    /// a candidate inside is a record (behind the remaining layers): a wrapper with several
    /// possible ends (a grep path may hold `:` and `-`) picks the one that is; the others
    /// ignore it (the caller checks their inside).
    pub unwrap: for<'a> fn(&'a str, &dyn Fn(&'a str) -> bool) -> Option<Unwrapped<'a>>,
}

/// Every wrapper, tried in order at each layer.
#[rustfmt::skip]
pub static WRAPPERS: &[Wrapper] = &[
    Wrapper {
        name: "leading blanks",
        example: "    [2019/11/23 14:28:29.001 +00:00] [WARN] [manager.go:281] [\"is not the owner\"]",
        seen: "indented pastes; the log-query tool's print-out (PR #50101)",
        unwrap: blanks,
    },
    Wrapper {
        name: "CI timestamp",
        example: "[2020-07-21T08:37:23.331Z] [2020/07/21 16:37:22.114 +08:00] [ERROR] [ddl.go:523] [\"[ddl] get history DDL job failed, check again\"]",
        seen: "Jenkins timestamper (#18714)",
        unwrap: ci_prefix,
    },
    Wrapper {
        name: "log platform time and pipe",
        example: "2026-05-22 15:37:29 | [2026/05/22 07:37:29.468 +00:00] [ERROR] [task_executor.go:547] [onError] [task-id=5]",
        seen: "a log platform's local time before the line (tidb-68828); also with a tab (#68376)",
        unwrap: platform_prefix,
    },
    Wrapper {
        name: "kubectl / stern",
        example: "wuyelei-tidb-2 tidb [2019/11/23 14:28:29.001 +00:00] [WARN] [manager.go:281] [\"is not the owner\"]",
        seen: "`kubectl logs --prefix`, stern (tidb-operator-1225); the pod names the instance",
        unwrap: kubectl_prefix,
    },
    Wrapper {
        name: "grep / rg",
        example: "tidb-1.log:123:[2024/01/13 19:21:09.480 +08:00] [INFO] [ddl_worker.go:1000] [\"run DDL job\"] [jobID=491]",
        seen: "`grep` over several files, `grep -n`, `rg` (with `-n`, and context lines `file-123-`); the file names the instance",
        unwrap: grep_prefix,
    },
    Wrapper {
        name: "Markdown inline code",
        example: "`[2024/12/19 10:29:11.523 +08:00] [INFO] [backend_mgr.go:85] [\"build ingest backend failed\"]`",
        seen: "lines pasted in backticks (#58437, #65173, #59042, #57670)",
        unwrap: backticks,
    },
    Wrapper {
        name: "Markdown strikethrough",
        example: "~~[2024/12/27 10:00:00.000 +08:00] [INFO] [job_worker.go:447] [\"finish DDL job\"] [jobID=8]~~",
        seen: "a struck-out line (#58807)",
        unwrap: tildes,
    },
    Wrapper {
        name: "Markdown quote",
        example: "> [2024/07/03 14:52:30.646 +00:00] [INFO] [ddl_worker.go:966] [\"[ddl] wait latest schema version changed\"] [ver=43]",
        seen: "lines quoted in issue comments and replies",
        unwrap: blockquote,
    },
];

/// Returns the line without recognised wrappers (or the line itself).
pub fn strip(line: &str) -> &str {
    unwrap(line).0
}

/// Returns the line without recognised wrappers, and where the wrappers say it came from.
pub fn unwrap(line: &str) -> Unwrapped<'_> {
    let b = line.as_bytes();
    // Fast path: an ordinary unified line, checked on its fixed-width header only.
    if b.len() > 1 && b[0] == b'[' && b[1].is_ascii_digit() && unified::header(b).is_some() {
        return (line, None);
    }
    // No recognised wrapper starts with `{`; JSON lines are parsed once, by the caller.
    if b.first() == Some(&b'{') {
        return (line, None);
    }
    peel(line, MAX_LAYERS).unwrap_or((line, None))
}

/// The record inside up to `layers` wrappers around `line`, if there is one.
fn peel(line: &str, layers: usize) -> Option<Unwrapped<'_>> {
    if is_bare_record(line) {
        return Some((line, None));
    }
    if layers == 0 {
        return None;
    }
    let deeper = |inner: &str| peel(inner, layers - 1).is_some();
    WRAPPERS.iter().find_map(|w| {
        let (inner, origin) = (w.unwrap)(line, &deeper)?;
        if inner.len() >= line.len() {
            return None;
        }
        let (rec, nested) = peel(inner, layers - 1)?;
        Some((rec, nested.or(origin)))
    })
}

fn blanks<'a>(line: &'a str, _: &dyn Fn(&'a str) -> bool) -> Option<Unwrapped<'a>> {
    let t = line.trim_start_matches([' ', '\t']);
    (t.len() < line.len()).then_some((t, None))
}

/// `[2020-07-21T08:37:23.331Z] `.
fn ci_prefix<'a>(line: &'a str, _: &dyn Fn(&'a str) -> bool) -> Option<Unwrapped<'a>> {
    let b = line.as_bytes();
    if b.first() != Some(&b'[') {
        return None;
    }
    let mut i = 1 + iso_date_time(b.get(1..)?, b'T')?;
    if b.get(i) == Some(&b'Z') {
        i += 1;
    }
    // Every prefix ends at an ASCII byte, so the index is a char boundary.
    (b.get(i..i + 2)? == b"] ").then(|| (&line[i + 2..], None))
}

/// `2026-05-22 15:37:29 | ` (or a tab, or blanks, after the time).
fn platform_prefix<'a>(line: &'a str, _: &dyn Fn(&'a str) -> bool) -> Option<Unwrapped<'a>> {
    let b = line.as_bytes();
    let i = iso_date_time(b, b' ')?;
    let sep = b[i..]
        .iter()
        .take_while(|&&c| matches!(c, b' ' | b'\t' | b'|'))
        .count();
    (sep > 0).then(|| (&line[i + sep..], None))
}

/// True when `line` is nothing but a time (`2026-05-13 09:00:32\t`): a Grafana / Loki export
/// writes each entry's time on a line of its own, before the log line (#68376). Such a line is
/// not a record, and not part of the record before it either.
pub fn is_lone_time(line: &str) -> bool {
    let t = line.trim_end_matches([' ', '\t', '\r']);
    iso_date_time(t.as_bytes(), b' ') == Some(t.len())
        || iso_date_time(t.as_bytes(), b'T') == Some(t.len())
}

/// `YYYY-MM-DD?HH:MM:SS` with `sep` between date and time, and an optional `.fraction`:
/// returns its length.
fn iso_date_time(b: &[u8], sep: u8) -> Option<usize> {
    const SHAPE: &[u8; 19] = b"0000-00-00 00:00:00";
    let head = b.get(..SHAPE.len())?;
    let ok = head.iter().zip(SHAPE).all(|(&c, &s)| match s {
        b'0' => c.is_ascii_digit(),
        b' ' => c == sep,
        _ => c == s,
    });
    if !ok {
        return None;
    }
    let mut i = SHAPE.len();
    if b.get(i) == Some(&b'.') {
        i += 1 + b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    }
    Some(i)
}

/// `<pod> <container> [YYYY/`: two space-free tokens, then a unified header. The pod is the
/// instance.
fn kubectl_prefix<'a>(line: &'a str, _: &dyn Fn(&'a str) -> bool) -> Option<Unwrapped<'a>> {
    let b = line.as_bytes();
    if b.first() == Some(&b'[') {
        return None;
    }
    let window = &b[..b.len().min(2 * MAX_TOKEN + 2)];
    let s1 = memchr::memchr(b' ', window)?;
    let s2 = s1 + 1 + memchr::memchr(b' ', &window[s1 + 1..])?;
    if s1 == 0 || s2 == s1 + 1 || s1 > MAX_TOKEN || s2 - s1 - 1 > MAX_TOKEN {
        return None;
    }
    // Pod and container names are DNS labels (and `_` in some runtimes).
    let name_byte = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_');
    if !b[..s1].iter().all(name_byte) || !b[s1 + 1..s2].iter().all(name_byte) {
        return None;
    }
    let n = s2 + 1;
    let inner = b.get(n..)?;
    let looks_unified = inner.len() > 5
        && inner[0] == b'['
        && inner[1..5].iter().all(u8::is_ascii_digit)
        && inner[5] == b'/';
    looks_unified.then(|| (&line[n..], Some(Origin::Instance(&line[..s1]))))
}

/// `file.log:`, `file.log:123:`, `file.log-123-` (a context line), `123:` / `123-` (`grep -n`
/// on one file). The file, when named, is the origin.
///
/// Paths may contain `-` and `:` themselves (`tidb-0.log`, `C:\logs`), so every `:` and every
/// `-<digits>-` in the first [`MAX_PATH`] blank-free bytes is a candidate end of the prefix; the
/// first candidate followed by a record wins.
fn grep_prefix<'a>(line: &'a str, inside: &dyn Fn(&'a str) -> bool) -> Option<Unwrapped<'a>> {
    /// Candidate prefix ends tried per line: bounds the work on long `a:b:c:…` lines.
    const MAX_CANDIDATES: usize = 8;
    let b = line.as_bytes();
    // `123:` / `123-`: line numbers without a file name.
    if let Some(after) = line_number(b, 0, b':').or_else(|| line_number(b, 0, b'-')) {
        if inside(&line[after..]) {
            return Some((&line[after..], None));
        }
    }
    if matches!(b.first(), None | Some(b'[' | b'{')) {
        return None;
    }
    let end = b
        .iter()
        .take(MAX_PATH)
        .position(|c| c.is_ascii_whitespace() || *c == b'[')
        .unwrap_or(b.len().min(MAX_PATH));
    let mut tried = 0;
    for i in 1..end {
        let after = match b[i] {
            b':' => line_number(b, i + 1, b':').unwrap_or(i + 1),
            b'-' => match line_number(b, i + 1, b'-') {
                Some(a) => a,
                None => continue,
            },
            _ => continue,
        };
        // What follows a prefix starts a record (or another wrapper): `[`, `{`, a digit, a
        // blank, a backtick or a quote mark. Anything else is part of the path.
        let starts_inner = b.get(after).is_some_and(|&c| {
            c.is_ascii_digit() || matches!(c, b'[' | b'{' | b' ' | b'\t' | b'`' | b'>' | b'~')
        });
        if !starts_inner {
            continue;
        }
        tried += 1;
        if tried > MAX_CANDIDATES {
            break;
        }
        if inside(&line[after..]) {
            return Some((&line[after..], Some(Origin::File(&line[..i]))));
        }
    }
    None
}

/// If digits and then `sep` start at `i`, the index after `sep`.
fn line_number(b: &[u8], i: usize, sep: u8) -> Option<usize> {
    let n = b
        .get(i..)?
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    (n > 0 && b.get(i + n) == Some(&sep)).then_some(i + n + 1)
}

/// `` `line` `` (the closing backtick may be missing: a code span cut by the paste).
fn backticks<'a>(line: &'a str, _: &dyn Fn(&'a str) -> bool) -> Option<Unwrapped<'a>> {
    let inner = line.strip_prefix('`')?;
    let inner = inner.trim_end();
    Some((inner.strip_suffix('`').unwrap_or(inner), None))
}

/// `~~line~~` or `~line~`.
fn tildes<'a>(line: &'a str, _: &dyn Fn(&'a str) -> bool) -> Option<Unwrapped<'a>> {
    let inner = line.trim_start_matches('~');
    if inner.len() == line.len() {
        return None;
    }
    Some((inner.trim_end().trim_end_matches('~'), None))
}

/// `> line` (or `>line`).
fn blockquote<'a>(line: &'a str, _: &dyn Fn(&'a str) -> bool) -> Option<Unwrapped<'a>> {
    let inner = line.strip_prefix('>')?;
    Some((inner.strip_prefix(' ').unwrap_or(inner), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNI: &str =
        "[2019/11/23 14:28:29.001 +00:00] [WARN] [manager.go:281] [\"is not the owner\"]";

    #[test]
    fn every_example_unwraps_to_a_record() {
        for w in WRAPPERS {
            let (inner, _) = unwrap(w.example);
            assert!(inner.len() < w.example.len(), "{}: nothing removed", w.name);
            assert!(is_bare_record(inner), "{}: {inner:?}", w.name);
        }
    }

    #[test]
    fn ordinary_lines_come_back_unchanged() {
        assert_eq!(strip(UNI), UNI);
        for l in [
            "goroutine 1 [running]:",
            "\tgithub.com/pingcap/tidb/ddl.(*ddl).Start()",
            "",
            "   ",
            "a b [2019/11/23 x",
            "> not a log",
            "`code`",
            "tidb.log:hello",
            "12:34 lunch",
            "~~~",
        ] {
            assert_eq!(strip(l), l);
        }
    }

    #[test]
    fn kubectl_prefix_from_operator_1225() {
        let l = format!("wuyelei-tidb-2 tidb {UNI}");
        assert_eq!(unwrap(&l), (UNI, Some(Origin::Instance("wuyelei-tidb-2"))));
        // Three tokens is not the kubectl shape.
        let l = format!("a b c {UNI}");
        assert_eq!(strip(&l), l);
    }

    #[test]
    fn ci_and_platform_prefixes() {
        let inner = "[2020/07/21 16:37:22.114 +08:00] [ERROR] [ddl.go:523] [\"[ddl] get history DDL job failed, check again\"] [component=\"ddl tracker\"]";
        let l = format!("[2020-07-21T08:37:23.331Z] {inner}");
        assert_eq!(strip(&l), inner);
        // tidb-68828.
        let inner =
            "[2026/05/22 07:37:29.468 +00:00] [ERROR] [task_executor.go:547] [onError] [task-id=5]";
        let l = format!("2026-05-22 15:37:29 | {inner}");
        assert_eq!(strip(&l), inner);
        let l = format!("2026-05-13 09:00:32\t{inner}");
        assert_eq!(strip(&l), inner);
        // A prefix in front of something that is not a record stays.
        let l = "2026-05-22 15:37:29 | hello";
        assert_eq!(strip(l), l);
        let l = "[2020-07-21T08:37:23.331Z] Finished: FAILURE";
        assert_eq!(strip(l), l);
    }

    #[test]
    fn grep_and_rg_prefixes() {
        let cases = [
            (format!("tidb2-0.log:{UNI}"), Some("tidb2-0.log")),
            (format!("tidb-1.log:123:{UNI}"), Some("tidb-1.log")),
            (
                format!("logs/tidb-0/tidb.log-124-{UNI}"),
                Some("logs/tidb-0/tidb.log"),
            ),
            (
                format!("C:\\logs\\tidb-0.log:7:{UNI}"),
                Some("C:\\logs\\tidb-0.log"),
            ),
            (format!("88:{UNI}"), None),
            (format!("89-{UNI}"), None),
        ];
        for (l, file) in &cases {
            assert_eq!(unwrap(l), (UNI, file.map(Origin::File)), "{l}");
        }
        // A grep prefix before a legacy line.
        let legacy = "2017/08/03 23:37:35 owner_manager.go:176: [info] [ddl] x";
        assert_eq!(
            unwrap(&format!("tidb.log:{legacy}")),
            (legacy, Some(Origin::File("tidb.log")))
        );
    }

    #[test]
    fn markdown_wrappers_and_layers() {
        assert_eq!(strip(&format!("`{UNI}`")), UNI);
        assert_eq!(strip(&format!("`{UNI}")), UNI);
        assert_eq!(strip(&format!("~~{UNI}~~")), UNI);
        assert_eq!(strip(&format!("> {UNI}")), UNI);
        assert_eq!(strip(&format!("   > {UNI}")), UNI);
        assert_eq!(
            unwrap(&format!("> tidb-3.log:{UNI}")),
            (UNI, Some(Origin::File("tidb-3.log")))
        );
        // More layers than allowed: unchanged.
        let l = format!("> > > > {UNI}");
        assert_eq!(strip(&l), l);
    }

    #[test]
    fn lone_times() {
        assert!(is_lone_time("2026-05-13 09:00:32\t"));
        assert!(is_lone_time("2026-05-13T09:00:32.123"));
        assert!(!is_lone_time("2026-05-13 09:00:32 x"));
        assert!(!is_lone_time("create table t (a int)"));
    }

    #[test]
    fn leading_blanks_and_legacy() {
        let l = format!("   {UNI}");
        assert_eq!(strip(&l), UNI);
        let legacy =
            "2018/01/24 07:00:41.857 domain.go:596: [error] [stats] update stats info fail";
        assert_eq!(strip(legacy), legacy);
        let l = format!("\t{legacy}");
        assert_eq!(strip(&l), legacy);
    }
}
