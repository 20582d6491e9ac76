//! Container formats from magic bytes.
//!
//! Names lie (`tidb.log.gz` that is plain text, a `.tar` that is gzipped), so the format of
//! every input and every archive member is decided from its first bytes only. The caller peeks
//! `PEEK` bytes, sniffs them, and chains them back in front of the rest of the stream.

use std::io::{self, Read};

use flate2::read::MultiGzDecoder;

/// How many bytes are peeked from every stream: enough for a tar header (512), for the first
/// few hundred decompressed bytes of a gzip (to see whether it wraps a tar), for the first
/// line of a log (classification), and for a whole empty tar (GNU tar pads to 10 KiB).
pub(crate) const PEEK: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `1f 8b`.
    Gzip,
    /// `PK\x03\x04`: a local file header.
    Zip,
    /// `PK\x05\x06`: an end-of-central-directory record first, i.e. a zip with no entries.
    EmptyZip,
    /// `ustar` at offset 257, or a valid v7 header checksum, or a whole stream of zero blocks
    /// (an empty tar).
    Tar,
    /// Anything else: a file to hand to the sink as is.
    Plain,
}

impl Format {
    pub(crate) fn is_archive(self) -> bool {
        matches!(self, Format::Zip | Format::EmptyZip | Format::Tar)
    }
}

/// Decides the format of a stream from its first bytes; `whole` says `head` is the entire
/// stream (it ended before [`PEEK`] bytes).
pub(crate) fn sniff(head: &[u8], whole: bool) -> Format {
    if head.starts_with(&[0x1f, 0x8b]) {
        Format::Gzip
    } else if head.starts_with(b"PK\x03\x04") {
        Format::Zip
    } else if head.starts_with(b"PK\x05\x06") {
        Format::EmptyZip
    } else if is_tar(head, whole) {
        Format::Tar
    } else {
        Format::Plain
    }
}

fn is_tar(head: &[u8], whole: bool) -> bool {
    if head.len() < 512 {
        return false;
    }
    let block = &head[..512];
    if &block[257..262] == b"ustar" {
        return true;
    }
    // An empty tar is just zero blocks, at least the two that end an archive. Only when the
    // whole stream is seen: a long run of zeros (a preallocated file, a bomb) is not a tar.
    if whole && head.len() >= 1024 && head.len() % 512 == 0 && head.iter().all(|&b| b == 0) {
        return true;
    }
    checksum_ok(block)
}

/// The v7 header checksum: the byte sum of the header with the checksum field read as spaces.
fn checksum_ok(block: &[u8]) -> bool {
    let field = &block[148..156];
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|&b| b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(b))
        .collect();
    if digits.is_empty() || block[0] == 0 {
        return false;
    }
    let Some(stored) = std::str::from_utf8(&digits)
        .ok()
        .and_then(|s| u32::from_str_radix(s, 8).ok())
    else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(b)
            }
        })
        .sum();
    sum == stored
}

/// The first bytes of a stream.
pub(crate) struct Peek {
    pub head: Vec<u8>,
    /// The stream ended within `head`.
    pub whole: bool,
    /// The stream failed right after `head`: the bytes before the damage are still worth
    /// handing on, followed by this error.
    pub err: Option<io::Error>,
}

/// Reads up to `n` bytes, stopping early at end of stream or at an error.
pub(crate) fn read_prefix(r: &mut dyn Read, n: usize) -> Peek {
    let mut head = Vec::with_capacity(n);
    let res = r.take(n as u64).read_to_end(&mut head);
    let whole = res.is_ok() && head.len() < n;
    Peek {
        head,
        whole,
        err: res.err(),
    }
}

/// A reader that fails with a saved error: stands in for a stream that broke during a peek.
pub(crate) struct Failed(pub Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(self
            .0
            .take()
            .unwrap_or_else(|| io::Error::other("stream already failed")))
    }
}

/// Inflates as much of a gzip stream's beginning as `head` allows, up to `limit` bytes.
///
/// Used to look inside a gzip (does it wrap a tar? what is its first line?) without consuming
/// the stream: `head` is the peeked prefix, so the inflation usually ends with an "unexpected
/// end" error, which is expected and ignored: whatever came out before it is returned, with
/// whether the inflated stream ended cleanly before `limit` (it is then complete).
pub(crate) fn gunzip_prefix(head: &[u8], limit: usize) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(limit.min(PEEK));
    let mut d = MultiGzDecoder::new(head).take(limit as u64);
    let mut buf = [0u8; 4096];
    loop {
        match d.read(&mut buf) {
            Ok(0) => return (out.clone(), out.len() < limit),
            Err(_) => return (out, false),
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tar_with(name: &str, data: &[u8]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data).unwrap();
        b.into_inner().unwrap()
    }

    #[test]
    fn magic_bytes() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0], false), Format::Gzip);
        assert_eq!(sniff(b"PK\x03\x04rest", false), Format::Zip);
        assert_eq!(sniff(b"PK\x05\x06rest", true), Format::EmptyZip);
        assert_eq!(sniff(&tar_with("a.log", b"x"), true), Format::Tar);
        assert_eq!(sniff(&[0u8; 1024], true), Format::Tar);
        assert_eq!(sniff(&[0u8; 10240], true), Format::Tar);
        assert_eq!(
            sniff(&[0u8; PEEK], false),
            Format::Plain,
            "zeros going on: not an empty tar"
        );
        assert_eq!(sniff(&[0u8; 600], true), Format::Plain);
        assert_eq!(
            sniff(b"[2024/01/13 19:21:09.480 +08:00] [INFO]", true),
            Format::Plain
        );
        assert_eq!(sniff(b"", true), Format::Plain);
        assert_eq!(sniff(&[0x1f], true), Format::Plain);
    }

    #[test]
    fn v7_tar_without_ustar_magic_by_checksum() {
        let mut t = tar_with("a.log", b"x");
        t[257..265].copy_from_slice(&[0; 8]);
        // Recompute the checksum for the edited header.
        t[148..156].copy_from_slice(b"        ");
        let sum: u32 = t[..512].iter().map(|&b| u32::from(b)).sum();
        t[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        assert_eq!(sniff(&t, true), Format::Tar);
        t[0] ^= 1;
        assert_eq!(sniff(&t, true), Format::Plain);
    }

    #[test]
    fn gunzip_prefix_of_a_partial_stream() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let tar = tar_with("tidb-0/tidb.log", &vec![b'a'; 100_000]);
        e.write_all(&tar).unwrap();
        let gz = e.finish().unwrap();
        let (inner, whole) = gunzip_prefix(&gz[..gz.len().min(200)], 1024);
        assert!(inner.len() >= 512 && !whole, "{}", inner.len());
        assert_eq!(sniff(&inner, whole), Format::Tar);
        assert_eq!(gunzip_prefix(b"not gzip", 10), (vec![], false));
        let small = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(b"abc").unwrap();
            e.finish().unwrap()
        };
        assert_eq!(gunzip_prefix(&small, 10), (b"abc".to_vec(), true));
    }
}
