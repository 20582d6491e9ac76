//! Prefixes that collectors and people add in front of a log line.
//!
//! Recognised, one layer deep:
//! * leading blanks (indented pastes, log-query tools);
//! * a CI timestamp `[2020-07-21T08:37:23.331Z] ` (Jenkins timestamper, #18714);
//! * a log platform's local time and pipe `2026-05-22 15:37:29 | ` (tidb-68828);
//! * kubectl/stern `<pod> <container> ` (tidb-operator-1225).
//!
//! A prefix is removed only when what follows is a record in one of the accepted shapes;
//! otherwise the line comes back unchanged, so a continuation line that happens to look like a
//! prefix is never altered.

use super::{is_bare_record, unified};

/// Longest pod/container name we look at: Kubernetes names are at most 253 bytes.
const MAX_TOKEN: usize = 253;

/// Returns the line without a recognised wrapper prefix (or the line itself).
pub fn strip(line: &str) -> &str {
    let b = line.as_bytes();
    // Fast path: an ordinary unified line, checked on its fixed-width header only.
    if b.len() > 1 && b[0] == b'[' && b[1].is_ascii_digit() && unified::header(b).is_some() {
        return line;
    }
    // No recognised prefix starts with `{`; JSON lines are parsed once, by the caller.
    if b.first() == Some(&b'{') {
        return line;
    }
    let t = line.trim_start_matches([' ', '\t']);
    if is_bare_record(t) {
        return t;
    }
    let tb = t.as_bytes();
    let inner = match tb.first() {
        Some(b'[') => ci_prefix(tb),
        Some(c) if c.is_ascii_digit() => platform_prefix(tb).or_else(|| kubectl_prefix(tb)),
        Some(_) => kubectl_prefix(tb),
        None => None,
    };
    match inner {
        // Every prefix ends at an ASCII byte, so `n` is a char boundary.
        Some(n) if is_bare_record(&t[n..]) => &t[n..],
        _ => line,
    }
}

/// `[2020-07-21T08:37:23.331Z] `: returns the prefix length.
fn ci_prefix(b: &[u8]) -> Option<usize> {
    let mut i = 1 + iso_date_time(b.get(1..)?, b'T')?;
    if b.get(i) == Some(&b'Z') {
        i += 1;
    }
    (b.get(i..i + 2)? == b"] ").then_some(i + 2)
}

/// `2026-05-22 15:37:29 | ` (or a tab, or blanks, after the time): returns the prefix length.
fn platform_prefix(b: &[u8]) -> Option<usize> {
    let i = iso_date_time(b, b' ')?;
    let sep = b[i..]
        .iter()
        .take_while(|&&c| matches!(c, b' ' | b'\t' | b'|'))
        .count();
    (sep > 0).then_some(i + sep)
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

/// `<pod> <container> [YYYY/`: two space-free tokens, then a unified header. Returns the
/// prefix length.
fn kubectl_prefix(b: &[u8]) -> Option<usize> {
    let window = &b[..b.len().min(2 * MAX_TOKEN + 2)];
    let s1 = memchr::memchr(b' ', window)?;
    let s2 = s1 + 1 + memchr::memchr(b' ', &window[s1 + 1..])?;
    if s1 == 0 || s2 == s1 + 1 || s1 > MAX_TOKEN || s2 - s1 - 1 > MAX_TOKEN {
        return None;
    }
    let n = s2 + 1;
    let inner = b.get(n..)?;
    let looks_unified = inner.len() > 5
        && inner[0] == b'['
        && inner[1..5].iter().all(u8::is_ascii_digit)
        && inner[5] == b'/';
    looks_unified.then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNI: &str =
        "[2019/11/23 14:28:29.001 +00:00] [WARN] [manager.go:281] [\"is not the owner\"]";

    #[test]
    fn ordinary_lines_come_back_unchanged() {
        assert_eq!(strip(UNI), UNI);
        for l in [
            "goroutine 1 [running]:",
            "\tgithub.com/pingcap/tidb/ddl.(*ddl).Start()",
            "",
            "   ",
            "a b [2019/11/23 x",
        ] {
            assert_eq!(strip(l), l);
        }
    }

    #[test]
    fn kubectl_prefix_from_operator_1225() {
        let l = format!("wuyelei-tidb-2 tidb {UNI}");
        assert_eq!(strip(&l), UNI);
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
