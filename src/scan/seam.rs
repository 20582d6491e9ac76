//! Where one plain file may be cut into segments that are scanned apart and still give, summed
//! up in file order, exactly what one scan of the whole file gives.
//!
//! A seam is the start of a physical line that
//!
//! * follows an LF, in a file whose lines end with LF (known from its first bytes, see
//!   [`lf_terminated`]): then every LF ends a line in the whole-file scan too, whatever came
//!   before it (an over-long line is dropped up to its LF, a NUL run ends at a line's content);
//! * is a unified record start (`[2024/01/13 19:21:09.480 +08:00] [INFO] ...`, the check
//!   [`crate::record::record_start_body`] makes) whose header carries a zone.
//!
//! Why that is enough for [`Scanner`](super::Scanner) state that crosses the seam:
//!
//! * a wrapped record held back (a hard wrap, a message over several lines) is flushed by the
//!   record start at the seam in the whole-file scan, and by the end of the earlier segment
//!   here, in the zone the seam line sets ([`Scanner::segment_before`](super::Scanner::segment_before));
//! * a JSON object still open is given up by a record start, in both;
//! * the zone zone-less lines are read in is set by the seam line itself, in both: a later
//!   segment never reads a line in a zone it could not know;
//! * a NUL run or an over-long line ends at or before the LF before the seam;
//! * the first and last record times, the first line and the counts are merged in file order by
//!   the caller.
//!
//! A file without such a line near a cut offset is simply not cut there.

use std::fs::File;

use crate::record;

/// Reads at `off` without moving the file's cursor, so that the segments of one open file are
/// read at once: `pread` on Unix, `seek_read` on Windows (which moves the cursor, but no reader
/// of a segmented file uses it).
pub fn read_at(f: &File, buf: &mut [u8], off: u64) -> std::io::Result<usize> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_at(f, buf, off)
    }
    #[cfg(windows)]
    {
        std::os::windows::fs::FileExt::seek_read(f, buf, off)
    }
}

/// How far past a cut offset a seam is looked for before that cut is given up.
pub const SEARCH: u64 = 4 << 20;
/// How much of a file's start must show an LF for the file to count as LF-terminated.
const TERM_PROBE: usize = 64 * 1024;

/// Reads up to `buf.len()` bytes at `off` (fewer only at the end of the file).
fn read_full(f: &File, mut off: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match read_at(f, &mut buf[n..], off) {
            Ok(0) => break,
            Ok(k) => {
                n += k;
                off += k as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// True when the scanner would take `f`'s lines to end with LF from its first read on: an LF
/// within the first bytes, fewer than the line cap (before a line longer than the cap, the
/// scanner cannot have switched to CR).
pub fn lf_terminated(f: &File, max_line: usize) -> bool {
    let mut buf = vec![0u8; TERM_PROBE.min(max_line.max(1))];
    match read_full(f, 0, &mut buf) {
        Ok(n) => memchr::memchr(b'\n', &buf[..n]).is_some(),
        Err(_) => false,
    }
}

/// The first seam at or after `from` and before `limit` (at most [`SEARCH`] bytes on), with
/// the zone its header is written in. Reads only around the offset, never the file, and each
/// byte once (a stack dump of short lines must not cost a read per line).
pub fn find(
    f: &File,
    from: u64,
    limit: u64,
    max_line: usize,
) -> Option<(u64, chrono::FixedOffset)> {
    let limit = limit.min(from.saturating_add(SEARCH));
    // A line starts at `from` when the byte before it is an LF: the search starts there.
    let mut at = from.checked_sub(1)?;
    // Room for an LF and a whole line of the cap after it.
    let mut buf = vec![0u8; (256 * 1024).max(max_line.saturating_add(2))];
    loop {
        if at >= limit {
            return None;
        }
        let n = read_full(f, at, &mut buf).ok()?;
        if n == 0 {
            return None;
        }
        let data = &buf[..n];
        let eof = n < buf.len();
        let mut pos = 0;
        let mut refill = None;
        while let Some(i) = memchr::memchr(b'\n', &data[pos..]) {
            let nl = pos + i;
            let start = nl + 1;
            let start_at = at + start as u64;
            if start_at >= limit {
                return None;
            }
            // The line as the scanner sees it: up to its LF, cut to the cap, CR dropped.
            let rest = &data[start..];
            let line = match memchr::memchr(b'\n', rest) {
                Some(e) => &rest[..e],
                None if rest.len() > max_line || eof => rest,
                None => {
                    // Cut off by the buffer's end: read again from its LF.
                    refill = Some(at + nl as u64);
                    break;
                }
            };
            let line = &line[..line.len().min(max_line)];
            let l = line.strip_suffix(b"\r").unwrap_or(line);
            if l.first() == Some(&b'[') && record::record_start_body(l).is_some() {
                if let Some(z) = l.get(1..).and_then(record::time::unified_offset) {
                    return Some((start_at, z));
                }
            }
            // On to the LF that ends this line, however long it is.
            pos = start;
        }
        if eof && refill.is_none() {
            return None;
        }
        at = refill.unwrap_or(at + n as u64);
    }
}

/// Cut points for a file of `size` bytes, about every `every` bytes: segment starts after 0,
/// increasing, each with the zone of its first line. Empty when none was found.
pub fn plan(f: &File, size: u64, every: u64, max_line: usize) -> Vec<(u64, chrono::FixedOffset)> {
    let every = every.max(1);
    let mut seams = Vec::new();
    let mut target = every;
    while target < size {
        match find(f, target, size, max_line) {
            Some((s, z)) => {
                seams.push((s, z));
                target = s + every;
            }
            None => target += every,
        }
    }
    seams
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(bytes: &[u8]) -> File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    const REC: &[u8] = b"[2024/01/13 19:21:09.480 +08:00] [INFO] [a.go:1] [x]\n";

    #[test]
    fn a_seam_is_a_zoned_unified_record_start_after_an_lf() {
        let mut b = Vec::new();
        b.extend_from_slice(REC);
        b.extend_from_slice(b"\tcontinuation\n2024/01/13 19:21:09 zone-less\n");
        let second = b.len() as u64;
        b.extend_from_slice(REC);
        let f = file(&b);
        // From inside the first record, the continuation and the zone-less line are passed by.
        let (at, z) = find(&f, 3, b.len() as u64, 1 << 20).unwrap();
        assert_eq!(at, second);
        assert_eq!(z.local_minus_utc(), 8 * 3600);
        // A line start is a seam itself.
        assert_eq!(find(&f, second, b.len() as u64, 1 << 20).unwrap().0, second);
        // Past the last record start there is none.
        assert_eq!(find(&f, second + 1, b.len() as u64, 1 << 20), None);
        assert!(lf_terminated(&f, 1 << 20));
        assert!(!lf_terminated(&file(b"[x]\r[y]\r"), 1 << 20));
    }

    /// Past a stack dump longer than the read buffer, and a record cut by the buffer's end.
    #[test]
    fn a_seam_is_found_past_the_read_buffer() {
        let mut b = Vec::new();
        b.extend_from_slice(REC);
        while b.len() < 256 * 1024 - 20 {
            b.extend_from_slice(b"\tat x.go:1\n");
        }
        let second = b.len() as u64;
        b.extend_from_slice(REC);
        let f = file(&b);
        assert_eq!(find(&f, 3, b.len() as u64, 100).unwrap().0, second);
        assert_eq!(find(&f, 3, b.len() as u64, 1 << 20).unwrap().0, second);
        // Not past the limit.
        assert_eq!(find(&f, 3, second, 100), None);
    }

    #[test]
    fn a_line_longer_than_the_cap_is_passed_by() {
        let mut b = Vec::new();
        b.extend_from_slice(REC);
        b.extend(std::iter::repeat_n(b'a', 300));
        b.push(b'\n');
        let second = b.len() as u64;
        b.extend_from_slice(REC);
        let f = file(&b);
        assert_eq!(find(&f, 3, b.len() as u64, 100).unwrap().0, second);
        let p = plan(&f, b.len() as u64, 10, 100);
        assert_eq!(p.iter().map(|s| s.0).collect::<Vec<_>>(), vec![second]);
    }
}
