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

/// The per-input budget of decompressed bytes (`SourceOptions::max_decompressed_bytes`).
#[derive(Debug)]
pub(crate) struct Budget {
    used: Cell<u64>,
    cap: Option<u64>,
    exceeded: Cell<bool>,
}

impl Budget {
    pub(crate) fn new(cap: Option<u64>) -> Rc<Budget> {
        Rc::new(Budget {
            used: Cell::new(0),
            cap,
            exceeded: Cell::new(false),
        })
    }

    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded.get()
    }

    pub(crate) fn cap(&self) -> Option<u64> {
        self.cap
    }
}

/// The error a [`Capped`] reader returns once the budget is spent.
#[derive(Debug)]
pub(crate) struct CapExceeded(pub u64);

impl fmt::Display for CapExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "more than {} bytes decompressed from this input (--max-decompressed-bytes); \
             stopped reading it (a compression bomb?)",
            self.0
        )
    }
}

impl std::error::Error for CapExceeded {}

/// Charges every byte a decompressor produces to the input's [`Budget`].
pub(crate) struct Capped<R> {
    inner: R,
    budget: Rc<Budget>,
}

impl<R> Capped<R> {
    pub(crate) fn new(inner: R, budget: Rc<Budget>) -> Self {
        Capped { inner, budget }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let over = |cap| io::Error::other(CapExceeded(cap));
        if let (true, Some(cap)) = (self.budget.exceeded(), self.budget.cap) {
            return Err(over(cap));
        }
        let n = self.inner.read(buf)?;
        let used = self.budget.used.get().saturating_add(n as u64);
        self.budget.used.set(used);
        match self.budget.cap {
            Some(cap) if used > cap => {
                self.budget.exceeded.set(true);
                Err(over(cap))
            }
            _ => Ok(n),
        }
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
