//! One input from start to finish: the state the archive and directory walkers share.
//!
//! A [`Walker`] owns the [`InputOutcome`] being built, the decompression [`Budget`], and a
//! stack of [`Level`]s: one per stream layer currently open (the input's raw bytes, a gunzipped
//! tar stream, a member being read...). When something fails, the message names the file or
//! member and lists the position in every layer, outermost first:
//!
//! ```text
//! t.tar.gz!tidb-0/tidb.log: unexpected end of file (at byte 1100 of the input, byte 3584 of
//! the decompressed tar stream, byte 2560 of member tidb-0/tidb.log)
//! ```
//!
//! "byte N of the input" is how far into the input's raw bytes the reader had got (through
//! buffers, so within a read buffer of where the damage is); "of the decompressed tar stream"
//! is the position in the gunzipped tar; "of member X" is how much of that member had been
//! read (decompressed bytes for zip members, stored bytes for tar members).

use std::fmt::Display;
use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use super::classify::classify;
use super::instance::{self, strip_archive_ext, Origin};
use super::sniff::{gunzip_prefix, read_prefix, sniff, Failed, Format, Peek, PEEK};
use super::track::{Budget, Capped, Track, Tracked};
use super::{Encoding, FileKind, FileMeta, FileSink, InputOutcome, SourceOptions};

/// Buffer for raw file and stdin reads.
pub(crate) const BUF: usize = 64 * 1024;

/// "This walk could not finish": the reason is already in `errors`. The container that gets
/// it decides whether its own stream is still good (go on) or not (stop too).
#[derive(Debug)]
pub(crate) struct Stopped;

pub(crate) type Walked = Result<(), Stopped>;

/// Where a file or archive is.
#[derive(Debug, Clone)]
pub(crate) struct Loc {
    /// Display name: `input!member!member`.
    pub name: String,
    /// Directories and nested archives between the input and this file (instance naming).
    pub inside: Vec<String>,
    /// Last path component; empty for plain stdin.
    pub file_name: String,
    /// True for the input itself (not a member or a file found in a directory).
    pub top: bool,
}

impl Loc {
    /// The location of members of the archive at `self`.
    pub(crate) fn enter(&self) -> Loc {
        let mut inside = self.inside.clone();
        if !self.top {
            inside.push(strip_archive_ext(&self.file_name).to_string());
        }
        Loc {
            name: self.name.clone(),
            inside,
            file_name: String::new(),
            top: false,
        }
    }

    /// Member `path` of the archive whose [`Loc::enter`] is `self`.
    pub(crate) fn member(&self, path: &str) -> Loc {
        let mut parts: Vec<&str> = path
            .split(['/', '\\'])
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        let file_name = parts.pop().unwrap_or(path).to_string();
        let mut inside = self.inside.clone();
        inside.extend(parts.iter().map(|s| s.to_string()));
        Loc {
            name: format!("{}!{}", self.name, path),
            inside,
            file_name,
            top: false,
        }
    }
}

/// One layer of the stream stack, for error positions.
pub(crate) enum Level {
    /// "byte N of <label>".
    Count(String, Rc<Track>),
    /// A fixed position, e.g. a zip member's data start in a seekable zip.
    Note(String),
}

pub(crate) struct Walker<'a> {
    pub opts: &'a SourceOptions,
    sink: &'a mut dyn FileSink,
    index: usize,
    input_path: Option<PathBuf>,
    pub input_is_dir: bool,
    pub budget: Arc<Budget>,
    levels: Vec<Level>,
    pub out: InputOutcome,
    /// The regular file `open_file` is dispatching (for `FileMeta::disk_path`).
    disk_file: Option<PathBuf>,
    /// Problems and skipped members past [`MAX_NOTES`], counted only.
    more_errors: u64,
    more_skipped: u64,
    /// Files delivered, by kind, for the "directory without log files" message.
    kinds: std::collections::BTreeMap<FileKind, usize>,
}

/// Problems (and, separately, skipped members) listed per input: a tar of a million symlinks
/// or a zip of a million bad entries must not make a million messages. The rest are counted.
pub(crate) const MAX_NOTES: usize = 1000;

impl<'a> Walker<'a> {
    pub(crate) fn new(
        index: usize,
        display: String,
        input_path: Option<PathBuf>,
        opts: &'a SourceOptions,
        sink: &'a mut dyn FileSink,
    ) -> Self {
        Walker {
            opts,
            sink,
            index,
            input_path,
            input_is_dir: false,
            disk_file: None,
            more_errors: 0,
            more_skipped: 0,
            kinds: Default::default(),
            budget: Budget::new(opts.max_decompressed_bytes),
            levels: Vec::new(),
            out: InputOutcome {
                path: display,
                complete: true,
                ..Default::default()
            },
        }
    }

    pub(crate) fn finish(mut self) -> InputOutcome {
        for (list, more, what) in [
            (&mut self.out.errors, self.more_errors, "problems"),
            (&mut self.out.skipped, self.more_skipped, "skipped members"),
        ] {
            if more > 0 {
                list.push(format!(
                    "… and {more} more {what} in this input, not listed"
                ));
            }
        }
        if !self.out.deselected.is_empty() {
            let n: u64 = self.out.deselected.values().sum();
            let names: Vec<String> = self
                .out
                .deselected
                .iter()
                .take(10)
                .map(|(i, n)| format!("{i} ({n})"))
                .collect();
            let more = self.out.deselected.len().saturating_sub(10);
            self.out.skipped.push(format!(
                "{n} file{} of other instances not read (--instance): {}{}",
                if n == 1 { "" } else { "s" },
                names.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        self.out.directory = self.input_is_dir;
        let logs = self
            .kinds
            .iter()
            .filter(|(k, _)| super::is_log_kind(**k))
            .count();
        if self.input_is_dir && logs == 0 && self.out.errors.is_empty() {
            // Not damage: the command pointed at the wrong folder.
            let found = if self.kinds.is_empty() {
                "it holds no file".to_string()
            } else {
                let parts: Vec<String> = self
                    .kinds
                    .iter()
                    .map(|(k, n)| format!("{n} {}{}", k.noun(), if *n == 1 { "" } else { "s" }))
                    .collect();
                format!("found {}", parts.join(", "))
            };
            self.out.usage = Some(format!(
                "{}: no TiDB/TiKV/PD log file in this directory ({found})",
                self.out.path
            ));
        }
        let failed = !self.out.errors.is_empty() || self.out.usage.is_some();
        self.out.complete = !failed;
        self.out.unreadable = failed && self.out.files == 0;
        self.out
    }

    /// Records damage at `name`, with the current position in every open layer.
    pub(crate) fn error(&mut self, name: &str, what: impl Display) {
        if self.out.errors.len() >= MAX_NOTES {
            self.more_errors += 1;
            return;
        }
        let here = self.here();
        let msg = if here.is_empty() {
            format!("{name}: {what}")
        } else {
            format!("{name}: {what} (at {here})")
        };
        self.out.errors.push(msg);
    }

    pub(crate) fn skip(&mut self, name: &str, why: impl Display) {
        if self.out.skipped.len() >= MAX_NOTES {
            self.more_skipped += 1;
            return;
        }
        self.out.skipped.push(format!("{name}: {why}"));
    }

    fn here(&self) -> String {
        let parts: Vec<String> = self
            .levels
            .iter()
            .map(|l| match l {
                Level::Count(label, t) => format!("byte {} of {label}", t.count()),
                Level::Note(n) => n.clone(),
            })
            .collect();
        parts.join(", ")
    }

    pub(crate) fn push(&mut self, l: Level) {
        self.levels.push(l);
    }

    pub(crate) fn pop(&mut self) {
        self.levels.pop();
    }

    /// Whether an archive found at `loc`, `depth` archive levels down, may be opened.
    ///
    /// One that may not is an error, not a skip: its logs were not read, so the report is
    /// partial, and a bundle whose logs all sit too deep must not pass as clean.
    pub(crate) fn may_open(&mut self, loc: &Loc, depth: u32) -> bool {
        if depth < self.opts.max_depth {
            return true;
        }
        let why = format!(
            "archive nested {} deep, deeper than max_depth {}: not opened, its logs were not read",
            depth + 1,
            self.opts.max_depth
        );
        self.error(&loc.name, why);
        false
    }

    /// The stop rule for containers: after a member failed, go on unless the container's own
    /// stream is broken or the decompression budget is spent.
    pub(crate) fn must_stop(&self, res: &Walked, stream: &Track) -> bool {
        res.is_err() && (stream.faulted() || self.budget.exceeded())
    }

    /// Opens a file on disk (the input itself, or a file in a directory input).
    pub(crate) fn open_file(&mut self, path: &Path, loc: &Loc, label: &str) -> Walked {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) => {
                self.error(&loc.name, format_args!("cannot open: {e}"));
                return Err(Stopped);
            }
        };
        let md = file.metadata().ok();
        let regular = md.as_ref().is_some_and(|m| m.is_file());
        let len = md.filter(|m| m.is_file()).map(|m| m.len());
        let track = Track::new();
        self.push(Level::Count(label.to_string(), track.clone()));
        // A device or fifo may never end (`/dev/zero`): its raw bytes are charged to the budget.
        let raw: Box<dyn Read + '_> = if regular {
            Box::new(&file)
        } else {
            Box::new(Capped::raw(&file, self.budget.clone()))
        };
        let mut r = Tracked::new(BufReader::with_capacity(BUF, raw), track);
        let peek = read_prefix(&mut r, PEEK);
        // A zip on disk is read through its central directory (random access).
        if regular && peek.err.is_none() && sniff(&peek.head, peek.whole) == Format::Zip {
            drop(r);
            self.pop();
            if !self.may_open(loc, 0) {
                return Ok(());
            }
            return self.zip_file(loc, &file, 1);
        }
        self.disk_file = regular.then(|| path.to_path_buf());
        let res = self.dispatch_peeked(loc, peek, &mut r, 0, len);
        self.disk_file = None;
        self.pop();
        res
    }

    /// Peeks at a stream and walks it as whatever it is: an archive to open, or a file.
    pub(crate) fn dispatch(
        &mut self,
        loc: &Loc,
        r: &mut dyn Read,
        depth: u32,
        stored: Option<u64>,
    ) -> Walked {
        let peek = read_prefix(r, PEEK);
        self.dispatch_peeked(loc, peek, r, depth, stored)
    }

    /// [`Walker::dispatch`] once the first bytes are known. `depth` is the number of archive
    /// levels already opened above `r`.
    pub(crate) fn dispatch_peeked(
        &mut self,
        loc: &Loc,
        peek: Peek,
        r: &mut dyn Read,
        depth: u32,
        stored: Option<u64>,
    ) -> Walked {
        let Peek { head, whole, err } = peek;
        if whole && err.is_none() {
            if let Some((format, magic)) = promised_format(&loc.file_name) {
                if head.len() < magic.len() && magic.starts_with(&head) {
                    self.error(
                        &loc.name,
                        format_args!(
                            "only {} bytes, but the name says {format}, which is never this \
                             short: cut inside its magic number?",
                            head.len()
                        ),
                    );
                    return Err(Stopped);
                }
            }
        }
        // If the stream broke during the peek, what was read is still walked, then the error.
        let mut failed = Failed(err);
        let r: &mut dyn Read = if failed.0.is_some() { &mut failed } else { r };
        match sniff(&head, whole) {
            Format::Gzip => {
                let (inner, inner_whole) = gunzip_prefix(&head, PEEK);
                let inner_format = sniff(&inner, inner_whole);
                if inner_format.is_archive() {
                    if !self.may_open(loc, depth) {
                        return Ok(());
                    }
                    let track = Track::new();
                    let label = match inner_format {
                        Format::Tar => "the decompressed tar stream",
                        _ => "the decompressed zip stream",
                    };
                    self.push(Level::Count(label.to_string(), track.clone()));
                    let dec = MultiGzDecoder::new(Cursor::new(head).chain(r));
                    let mut s = Tracked::new(Capped::new(dec, self.budget.clone()), track.clone());
                    let res = self.archive(inner_format, &loc.enter(), &mut s, &track, depth + 1);
                    self.pop();
                    return res;
                }
                // The consumer inflates it (on its own threads), charging `FileMeta::budget`.
                let (kind, rotation) = classify(&loc.file_name, &inner);
                let mut body = Cursor::new(head).chain(r);
                let disk = self.disk_at(depth);
                self.deliver(loc, kind, rotation, Encoding::Gzip, stored, &mut body, disk)
            }
            f if f.is_archive() => {
                if !self.may_open(loc, depth) {
                    return Ok(());
                }
                let track = Track::new();
                let mut s = Tracked::new(Cursor::new(head).chain(r), track.clone());
                self.archive(f, &loc.enter(), &mut s, &track, depth + 1)
            }
            _ => {
                let (kind, rotation) = classify(&loc.file_name, &head);
                let mut body = Cursor::new(head).chain(r);
                let disk = self.disk_at(depth);
                self.deliver(
                    loc,
                    kind,
                    rotation,
                    Encoding::Plain,
                    stored,
                    &mut body,
                    disk,
                )
            }
        }
    }

    /// Walks an archive stream. `depth` counts this archive.
    fn archive(
        &mut self,
        f: Format,
        cloc: &Loc,
        s: &mut dyn Read,
        track: &Rc<Track>,
        depth: u32,
    ) -> Walked {
        match f {
            Format::Tar => self.tar_stream(cloc, s, track, depth),
            Format::Zip => self.zip_stream(cloc, s, track, depth),
            // A zip with no entries: nothing to do.
            _ => Ok(()),
        }
    }

    /// The disk file being dispatched, if `depth` says we are at the file itself (not inside
    /// an archive). Its raw bytes are finite (a regular file) and whatever inflates it charges
    /// the shared budget, so the consumer may read it itself.
    fn disk_at(&self, depth: u32) -> Option<PathBuf> {
        (depth == 0).then(|| self.disk_file.clone()).flatten()
    }

    /// Hands one file to the sink and attributes whatever went wrong.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn deliver(
        &mut self,
        loc: &Loc,
        kind: FileKind,
        rotation: Option<String>,
        encoding: Encoding,
        stored_bytes: Option<u64>,
        body: &mut dyn Read,
        disk_path: Option<PathBuf>,
    ) -> Walked {
        *self.kinds.entry(kind).or_default() += 1;
        let instance = self.instance(loc);
        if !self.opts.only_instances.is_empty() && !self.opts.only_instances.contains(&instance) {
            // Not opened, not decompressed: a tar's member is skipped by the next header read.
            let d = &mut self.out.deselected;
            let key = if d.len() < MAX_NOTES || d.contains_key(&instance) {
                instance
            } else {
                "…".to_string()
            };
            *d.entry(key).or_default() += 1;
            return Ok(());
        }
        let meta = FileMeta {
            disk_path,
            input_index: self.index,
            ordinal: self.out.files,
            name: loc.name.clone(),
            instance,
            kind,
            encoding,
            rotation,
            stored_bytes,
            budget: self.budget.clone(),
        };
        self.out.files += 1;
        let res = self.sink.file(meta, body);
        if let Some(spent) = self.budget.spent() {
            self.error(&loc.name, spent);
            return Err(Stopped);
        }
        match res {
            Err(e) => {
                self.error(&loc.name, e);
                Err(Stopped)
            }
            // The sink may have swallowed a read error: the streams remember it.
            Ok(()) => match self.first_fault() {
                Some(f) => {
                    self.error(&loc.name, f);
                    Err(Stopped)
                }
                None => Ok(()),
            },
        }
    }

    fn first_fault(&self) -> Option<String> {
        self.levels.iter().find_map(|l| match l {
            Level::Count(_, t) => t.fault(),
            Level::Note(_) => None,
        })
    }

    fn instance(&self, loc: &Loc) -> String {
        if let Some(i) = &self.opts.instance_override {
            return i.clone();
        }
        instance::derive(Origin {
            input: self.input_path.as_deref(),
            input_is_file: loc.top && !self.input_is_dir,
            inside: &loc.inside,
            file_name: &loc.file_name,
        })
    }

    /// Walks standard input (or any stream standing for it).
    pub(crate) fn stream(&mut self, r: &mut dyn Read) {
        let track = Track::new();
        self.push(Level::Count("the input".to_string(), track.clone()));
        // Standard input has no known length: its raw bytes are charged to the budget.
        let capped = Capped::raw(r, self.budget.clone());
        let mut r = Tracked::new(BufReader::with_capacity(BUF, capped), track);
        let loc = Loc {
            name: "-".to_string(),
            inside: Vec::new(),
            file_name: String::new(),
            top: true,
        };
        let _ = self.dispatch(&loc, &mut r, 0, None);
        self.pop();
    }

    /// Walks a path input: a directory or a file. A path that cannot be read at all is a
    /// usage problem ([`super::check`]), not damage.
    pub(crate) fn path(&mut self, p: &Path) {
        let name = self.out.path.clone();
        if let Err(msg) = super::check(&super::Input::Path(p.to_path_buf())) {
            self.out.usage = Some(msg);
            return;
        }
        match std::fs::metadata(p) {
            Err(e) => self.error(&name, format_args!("cannot read: {e}")),
            Ok(md) if md.is_dir() => {
                self.input_is_dir = true;
                let _ = self.dir(p, &[]);
            }
            Ok(_) => {
                let file_name = p
                    .file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let loc = Loc {
                    name,
                    inside: Vec::new(),
                    file_name,
                    top: true,
                };
                let _ = self.open_file(p, &loc, "the input");
            }
        }
    }
}

/// The compressed format a file name promises, and the start of its magic number.
///
/// Formats are otherwise sniffed, never taken from names. But a file too short to hold a
/// magic number has nothing to sniff: a zero-byte `tidb.tar.gz`, or one holding just `1f`, is
/// a bundle cut inside its first bytes (a full disk), not a tiny log. Such a file (nothing, or
/// a proper prefix of the promised magic) is reported as damage.
fn promised_format(file_name: &str) -> Option<(&'static str, &'static [u8])> {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".gz") || lower.ends_with(".tgz") {
        Some(("gzip", b"\x1f\x8b"))
    } else if lower.ends_with(".zip") {
        Some(("zip", b"PK\x03\x04"))
    } else {
        None
    }
}
