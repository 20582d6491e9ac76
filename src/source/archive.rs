//! Tar and zip walkers: every member is peeked and dispatched like a file of its own, so
//! `.log.gz` members, nested archives and plain logs are told apart by magic bytes.
//!
//! * Tar is read as a stream (`tar::Archive` over any `Read`). Links, devices and fifos are
//!   never followed, only listed in `skipped`. A member shorter than its header says is damage.
//! * Zip on disk is read through its central directory (`zip::ZipArchive` over `&File`): a bad
//!   member does not stop the others, and a bad central directory falls back to streaming the
//!   local headers. Zip from stdin or nested in another archive is streamed with
//!   `zip::read::read_zipfile_from_stream`, which cannot read members written with a data
//!   descriptor (sizes after the data, as `zip` writes to a pipe): those stop the input.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::rc::Rc;

use tar::EntryType;
use zip::CompressionMethod;

use super::track::{Capped, ExactLen, Track, Tracked};
use super::walker::{Level, Loc, Stopped, Walked, Walker, BUF};

impl Walker<'_> {
    pub(crate) fn tar_stream(
        &mut self,
        cloc: &Loc,
        s: &mut dyn Read,
        track: &Rc<Track>,
        depth: u32,
    ) -> Walked {
        let mut ar = tar::Archive::new(s);
        let entries = match ar.entries() {
            Ok(e) => e,
            Err(e) => {
                self.error(&cloc.name, format_args!("bad tar archive: {e}"));
                return Err(Stopped);
            }
        };
        let mut last: Option<String> = None;
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let what = match &last {
                        Some(m) => format!("bad tar entry after member {m}: {e}"),
                        None => format!("bad tar header: {e}"),
                    };
                    self.error(&cloc.name, what);
                    return Err(Stopped);
                }
            };
            let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let mloc = cloc.member(&path);
            last = Some(path.clone());
            let expected = match entry.header().entry_type() {
                EntryType::Regular | EntryType::Continuous => entry.size(),
                // Sparse members expand past their stored size: no length check.
                EntryType::GNUSparse => 0,
                EntryType::Directory | EntryType::XGlobalHeader => continue,
                EntryType::Symlink => {
                    self.skip(&mloc.name, "symlink in tar: not followed");
                    continue;
                }
                EntryType::Link => {
                    self.skip(&mloc.name, "hard link in tar: not followed");
                    continue;
                }
                EntryType::Char | EntryType::Block => {
                    self.skip(&mloc.name, "device entry in tar: ignored");
                    continue;
                }
                EntryType::Fifo => {
                    self.skip(&mloc.name, "fifo entry in tar: ignored");
                    continue;
                }
                other => {
                    self.skip(
                        &mloc.name,
                        format_args!("tar entry of type {other:?}: ignored"),
                    );
                    continue;
                }
            };
            let size = entry.size();
            let mtrack = Track::new();
            self.push(Level::Count(format!("member {path}"), mtrack.clone()));
            let mut body = Tracked::new(ExactLen::new(entry, expected, track.clone()), mtrack);
            let res = self.dispatch(&mloc, &mut body, depth, Some(size));
            self.pop();
            if self.must_stop(&res, track) {
                return Err(Stopped);
            }
        }
        // The tar reader stops at the end-of-archive blocks and never reads what follows. In a
        // `.tar.gz` that is the end of the deflate stream and the gzip trailer (CRC, length):
        // a bundle cut in its last few bytes would pass as complete. Reading on to the end of
        // the stream makes the decompressor check them.
        let rest = ar.into_inner();
        if let Err(e) = io::copy(rest, &mut io::sink()) {
            let what = match &last {
                Some(m) => format!("damaged after the last tar member {m}: {e}"),
                None => format!("damaged after the end of the tar archive: {e}"),
            };
            self.error(&cloc.name, what);
            return Err(Stopped);
        }
        Ok(())
    }

    pub(crate) fn zip_stream(
        &mut self,
        cloc: &Loc,
        mut s: &mut dyn Read,
        track: &Rc<Track>,
        depth: u32,
    ) -> Walked {
        let mut last: Option<String> = None;
        loop {
            let mut f = match zip::read::read_zipfile_from_stream(&mut s) {
                Ok(None) => break,
                Ok(Some(f)) => f,
                Err(e) => {
                    let hint = match e {
                        zip::result::ZipError::UnsupportedArchive(_) => {
                            " (a zip written to a pipe can't be streamed: pass it as a file)"
                        }
                        _ => "",
                    };
                    let what = match &last {
                        Some(m) => format!("bad zip entry after member {m}: {e}{hint}"),
                        None => format!("bad zip entry: {e}{hint}"),
                    };
                    self.error(&cloc.name, what);
                    return Err(Stopped);
                }
            };
            if f.is_dir() {
                continue;
            }
            let path = f.name().to_string();
            last = Some(path.clone());
            let mloc = cloc.member(&path);
            let size = f.size();
            let res = self.zip_member(&mloc, &path, &mut f, depth, size);
            drop(f);
            if self.must_stop(&res, track) {
                return Err(Stopped);
            }
        }
        self.zip_stream_tail(cloc, s, last.as_deref())
    }

    /// The rest of a streamed zip, once the first central directory header was seen.
    ///
    /// Streaming stops at the central directory, so a zip cut anywhere after its last member's
    /// data would otherwise pass as complete. A whole zip ends with an end-of-central-directory
    /// record (signature `PK\x05\x06`, at least 22 bytes): read to the end and require one.
    fn zip_stream_tail(&mut self, cloc: &Loc, s: &mut dyn Read, last: Option<&str>) -> Walked {
        let after = match last {
            Some(m) => format!(" after member {m}"),
            None => String::new(),
        };
        match bytes_after_last_eocd(s) {
            Ok(Some(n)) if n >= 22 => Ok(()),
            Ok(_) => {
                self.error(
                    &cloc.name,
                    format_args!(
                        "zip central directory cut short{after}: no complete \
                         end-of-central-directory record (truncated)"
                    ),
                );
                Err(Stopped)
            }
            Err(e) => {
                self.error(
                    &cloc.name,
                    format_args!("bad zip central directory{after}: {e}"),
                );
                Err(Stopped)
            }
        }
    }

    /// A zip on disk. `depth` counts this zip.
    pub(crate) fn zip_file(&mut self, loc: &Loc, file: &File, depth: u32) -> Walked {
        let cloc = loc.enter();
        let mut za = match zip::ZipArchive::new(file) {
            Ok(z) => z,
            Err(e) => {
                // The central directory is found by searching back from the end, so "where"
                // is the end of the input.
                let len = file.metadata().map(|m| m.len()).unwrap_or(0);
                self.error(
                    &loc.name,
                    format_args!("bad zip central directory: {e} (searching back from byte {len}, the end of the input); reading the members from their local headers instead"),
                );
                let mut f = file;
                if let Err(e) = f.seek(SeekFrom::Start(0)) {
                    self.error(&loc.name, e);
                    return Err(Stopped);
                }
                let track = Track::new();
                self.push(Level::Count("the input".to_string(), track.clone()));
                let mut s = Tracked::new(BufReader::with_capacity(BUF, f), track.clone());
                let _ = self.zip_stream(&cloc, &mut s, &track, depth);
                self.pop();
                return Err(Stopped);
            }
        };
        let overlapping = overlapping_entries(&mut za);
        let mut failed = false;
        for i in 0..za.len() {
            if let Some(why) = overlapping.get(&i) {
                let listed = za.name_for_index(i).unwrap_or("?").to_string();
                self.error(&cloc.member(&listed).name, why);
                failed = true;
                continue;
            }
            let listed = za
                .name_for_index(i)
                .map(str::to_string)
                .unwrap_or_else(|| format!("#{i}"));
            let mut f = match za.by_index(i) {
                Ok(f) => f,
                Err(e) => {
                    self.error(
                        &cloc.member(&listed).name,
                        format_args!("unreadable zip member: {e}"),
                    );
                    failed = true;
                    continue;
                }
            };
            if f.is_dir() {
                continue;
            }
            let path = f.name().to_string();
            let mloc = cloc.member(&path);
            if f.is_symlink() {
                self.skip(&mloc.name, "symlink in zip: not followed");
                continue;
            }
            self.push(Level::Note(format!(
                "member data from byte {} of the input",
                f.data_start()
            )));
            let size = f.size();
            let res = self.zip_member(&mloc, &path, &mut f, depth, size);
            self.pop();
            if res.is_err() {
                failed = true;
                if self.budget.exceeded() {
                    return Err(Stopped);
                }
            }
        }
        if failed {
            Err(Stopped)
        } else {
            Ok(())
        }
    }

    fn zip_member<R: Read>(
        &mut self,
        mloc: &Loc,
        path: &str,
        f: &mut zip::read::ZipFile<'_, R>,
        depth: u32,
        size: u64,
    ) -> Walked {
        let compressed = f.compression() != CompressionMethod::Stored;
        let inner: Box<dyn Read + '_> = if compressed {
            Box::new(Capped::new(f, self.budget.clone()))
        } else {
            Box::new(f)
        };
        let mtrack = Track::new();
        self.push(Level::Count(format!("member {path}"), mtrack.clone()));
        let mut body = Tracked::new(inner, mtrack);
        let res = self.dispatch(mloc, &mut body, depth, Some(size));
        self.pop();
        res
    }
}

/// Entries whose bytes (local header to end of data) overlap an earlier entry's, by index,
/// with the message that refuses them.
///
/// A zip's members never share bytes. A "non-recursive" zip bomb makes thousands of central
/// directory entries point into one deflate stream, so that a few hundred kilobytes inflate to
/// gigabytes; every entry but the first overlaps another, which the central directory shows
/// without inflating anything. Entries whose extent cannot be read are left to the normal path.
fn overlapping_entries<R: Read + Seek>(
    za: &mut zip::ZipArchive<R>,
) -> std::collections::HashMap<usize, String> {
    let mut spans: Vec<(u64, u64, usize)> = Vec::new();
    for i in 0..za.len() {
        if let Ok(f) = za.by_index_raw(i) {
            let start = f.header_start();
            let end = f.data_start().saturating_add(f.compressed_size());
            spans.push((start, end.max(start), i));
        }
    }
    spans.sort_unstable();
    let mut out = std::collections::HashMap::new();
    let mut reach: Option<(u64, usize)> = None; // furthest end so far, and whose
    for (start, end, i) in spans {
        match reach {
            Some((r, owner)) if start < r => {
                let other = za.name_for_index(owner).unwrap_or("?").to_string();
                out.insert(
                    i,
                    format!(
                        "zip entry overlaps the bytes of entry {other} (from byte {start}): \
                         not read (zip entries never share bytes; a zip bomb?)"
                    ),
                );
            }
            _ => reach = Some((end, i)),
        }
        if let Some((r, _)) = reach.as_mut() {
            *r = (*r).max(end);
        }
    }
    out
}

/// Reads `r` to its end; returns how many bytes follow the start of the last
/// end-of-central-directory signature, `None` if there is none. Constant memory: only the
/// last three bytes of a chunk are carried over, for a signature split across reads.
fn bytes_after_last_eocd(r: &mut dyn Read) -> io::Result<Option<u64>> {
    const SIG: &[u8] = b"PK\x05\x06";
    let mut buf = vec![0u8; 64 * 1024];
    let mut carry = 0usize;
    let mut after: Option<u64> = None;
    loop {
        let n = match r.read(&mut buf[carry..]) {
            Ok(0) => return Ok(after),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let end = carry + n;
        if let Some(a) = after.as_mut() {
            *a += n as u64;
        }
        if let Some(i) = memchr::memmem::rfind(&buf[..end], SIG) {
            after = Some((end - i) as u64);
        }
        carry = end.min(SIG.len() - 1);
        buf.copy_within(end - carry..end, 0);
    }
}

#[cfg(test)]
mod eocd_tests {
    use super::bytes_after_last_eocd;

    #[test]
    fn finds_the_last_signature_even_across_reads() {
        let mut data = vec![7u8; 100_000];
        data.extend_from_slice(b"PK\x05\x06");
        data.extend_from_slice(&[0u8; 18]);
        // One byte per read: the signature is always split.
        struct Slow<'a>(&'a [u8]);
        impl std::io::Read for Slow<'_> {
            fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(b.len()).min(1);
                b[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        assert_eq!(bytes_after_last_eocd(&mut Slow(&data)).unwrap(), Some(22));
        assert_eq!(bytes_after_last_eocd(&mut &data[..]).unwrap(), Some(22));
        assert_eq!(
            bytes_after_last_eocd(&mut &data[..data.len() - 5]).unwrap(),
            Some(17)
        );
        assert_eq!(bytes_after_last_eocd(&mut &data[..1000]).unwrap(), None);
    }
}
