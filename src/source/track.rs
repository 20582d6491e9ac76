//! Readers that remember where they are and what went wrong.
//!
//! Damage has to be reported with a byte offset and attributed to the right archive level,
//! even when the error surfaces inside the sink (which reads the body) or inside the `tar` /
//! `zip` crates. So every stream the source layer builds is wrapped in a [`Tracked`] reader:
//! it counts the bytes that went through it and latches the first error it passed on. After a
//! member, a container asks its own stream "did you fail?" to decide between "the damage was
//! inside that member, go on with the next one" and "my stream is broken, stop this input".

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

/// Shared state of one [`Tracked`] stream.
#[derive(Debug, Default)]
pub(crate) struct Track {
    count: Cell<u64>,
    fault: RefCell<Option<String>>,
}

impl Track {
    pub(crate) fn new() -> Rc<Track> {
        Rc::new(Track::default())
    }

    /// Bytes that went through the stream so far.
    pub(crate) fn count(&self) -> u64 {
        self.count.get()
    }

    /// The first error the stream returned, if any.
    pub(crate) fn fault(&self) -> Option<String> {
        self.fault.borrow().clone()
    }

    pub(crate) fn faulted(&self) -> bool {
        self.fault.borrow().is_some()
    }

    fn latch(&self, e: &io::Error) {
        let mut f = self.fault.borrow_mut();
        if f.is_none() {
            *f = Some(e.to_string());
        }
    }
}

/// Counts bytes read through it and latches the first error.
pub(crate) struct Tracked<R> {
    inner: R,
    track: Rc<Track>,
}

impl<R> Tracked<R> {
    pub(crate) fn new(inner: R, track: Rc<Track>) -> Self {
        Tracked { inner, track }
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.track.count.set(self.track.count.get() + n as u64);
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.track.latch(&e);
                }
                Err(e)
            }
        }
    }
}

/// Seeking is passed through (for `zip::ZipArchive` over a file); the count then means "bytes
/// read", not "position", which is why seekable zips report offsets from the zip's own index.
impl<R: Seek> Seek for Tracked<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// The per-input byte budget (`SourceOptions::max_decompressed_bytes`): bytes that came out of
/// decompressors, and raw bytes read from streams of unknown length (stdin, devices, fifos).
///
/// Shared (`Arc`, atomics) because `.gz` members are inflated by the consumer's worker
/// threads, not by the walker: every decompressor of one input charges the same budget, on
/// whatever thread it runs, so a bomb split over many members is stopped as one.
#[derive(Debug)]
pub struct Budget {
    used: AtomicU64,
    raw: AtomicU64,
    cap: Option<u64>,
    /// 0 while within the cap, else 1 + the [`Charged`] counter that passed it.
    exceeded: AtomicU8,
}

/// One input's budget is one budget: handles compare by identity.
impl PartialEq for Budget {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for Budget {}

impl Budget {
    pub(crate) fn new(cap: Option<u64>) -> Arc<Budget> {
        Arc::new(Budget {
            used: AtomicU64::new(0),
            raw: AtomicU64::new(0),
            cap,
            exceeded: AtomicU8::new(0),
        })
    }

    /// True once a reader of this input went past the cap.
    pub fn exceeded(&self) -> bool {
        self.exceeded.load(Ordering::Relaxed) != 0
    }

    /// Why the budget is spent, once it is.
    pub fn spent(&self) -> Option<CapExceeded> {
        let what = match self.exceeded.load(Ordering::Relaxed) {
            0 => return None,
            1 => Charged::Decompressed,
            _ => Charged::Raw,
        };
        Some(CapExceeded(self.cap.unwrap_or(0), what))
    }

    pub fn cap(&self) -> Option<u64> {
        self.cap
    }

    /// Charges `n` bytes to `counter`; the error once the total passes the cap.
    fn charge(&self, counter: &AtomicU64, n: usize, what: Charged) -> io::Result<()> {
        let Some(cap) = self.cap else { return Ok(()) };
        if let Some(spent) = self.spent() {
            return Err(io::Error::other(spent));
        }
        let _ = cap;
        let used = counter
            .fetch_add(n as u64, Ordering::Relaxed)
            .saturating_add(n as u64);
        if used > cap {
            let code = 1 + u8::from(what == Charged::Raw);
            let _ = self
                .exceeded
                .compare_exchange(0, code, Ordering::Relaxed, Ordering::Relaxed);
            return Err(io::Error::other(CapExceeded(cap, what)));
        }
        Ok(())
    }
}

/// Which of the budget's two counters ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charged {
    Decompressed,
    Raw,
}

/// The error a [`Capped`] reader returns once the budget is spent.
#[derive(Debug)]
pub struct CapExceeded(pub u64, pub Charged);

impl fmt::Display for CapExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Charged::Decompressed => write!(
                f,
                "more than {} bytes decompressed from this input (--max-decompressed-bytes); \
                 stopped reading it (a compression bomb?)",
                self.0
            ),
            Charged::Raw => write!(
                f,
                "more than {} bytes read from this stream of unknown length \
                 (--max-decompressed-bytes); stopped reading it (an endless input?)",
                self.0
            ),
        }
    }
}

impl std::error::Error for CapExceeded {}

/// Charges every byte a reader produces to the input's [`Budget`]: a decompressor's output
/// ([`Charged::Decompressed`]) or a stream's raw bytes ([`Charged::Raw`]).
pub struct Capped<R> {
    inner: R,
    budget: Arc<Budget>,
    what: Charged,
}

impl<R> Capped<R> {
    /// A decompressor's output, charged as decompressed bytes.
    pub fn new(inner: R, budget: Arc<Budget>) -> Self {
        Capped {
            inner,
            budget,
            what: Charged::Decompressed,
        }
    }

    /// A raw stream of unknown length, charged as raw bytes.
    pub fn raw(inner: R, budget: Arc<Budget>) -> Self {
        Capped {
            inner,
            budget,
            what: Charged::Raw,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(spent) = self.budget.spent() {
            return Err(io::Error::other(spent));
        }
        let n = self.inner.read(buf)?;
        let counter = match self.what {
            Charged::Decompressed => &self.budget.used,
            Charged::Raw => &self.budget.raw,
        };
        self.budget.charge(counter, n, self.what)?;
        Ok(n)
    }
}

/// Turns "the archive ended inside this member" into an error.
///
/// A tar entry's reader is a `Take` over the archive stream: when a plain (uncompressed) tar is
/// cut short, it just returns `Ok(0)` early and the member would look complete. The header
/// says how long the member is, so a short read is damage; it is latched on the tar stream's
/// [`Track`] because the stream itself has ended.
pub(crate) struct ExactLen<R> {
    inner: R,
    expected: u64,
    got: u64,
    stream: Rc<Track>,
}

impl<R> ExactLen<R> {
    pub(crate) fn new(inner: R, expected: u64, stream: Rc<Track>) -> Self {
        ExactLen {
            inner,
            expected,
            got: 0,
            stream,
        }
    }
}

impl<R: Read> Read for ExactLen<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.got += n as u64;
        if n == 0 && !buf.is_empty() && self.got < self.expected {
            let e = io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "archive ends inside this member: got {} of its {} bytes (truncated)",
                    self.got, self.expected
                ),
            );
            self.stream.latch(&e);
            return Err(e);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracked_counts_and_latches() {
        struct Fails;
        impl Read for Fails {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("boom"))
            }
        }
        let t = Track::new();
        let mut r = Tracked::new(io::Cursor::new(b"hello".to_vec()).chain(Fails), t.clone());
        let mut buf = Vec::new();
        assert!(r.read_to_end(&mut buf).is_err());
        assert_eq!(buf, b"hello");
        assert_eq!(t.count(), 5);
        assert_eq!(t.fault().as_deref(), Some("boom"));
    }

    #[test]
    fn capped_stops_past_the_cap() {
        let b = Budget::new(Some(10));
        let mut r = Capped::new(io::Cursor::new(vec![0u8; 100]), b.clone());
        let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert!(err.to_string().contains("more than 10 bytes"), "{err}");
        assert!(b.exceeded());
    }

    #[test]
    fn exact_len_flags_short_members() {
        let t = Track::new();
        let mut r = ExactLen::new(io::Cursor::new(vec![1u8; 3]), 5, t.clone());
        let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(t.faulted());
        let mut ok = ExactLen::new(io::Cursor::new(vec![1u8; 5]), 5, Track::new());
        assert_eq!(io::copy(&mut ok, &mut io::sink()).unwrap(), 5);
    }
}
