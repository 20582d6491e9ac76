//! Inputs → log files: archives, directories and stdin, streamed, never extracted to disk.
//!
//! [`walk`] visits every input in a stable order and hands each file it finds to a
//! [`FileSink`] together with a [`FileMeta`] (display name, TiDB instance, kind). Formats are
//! decided by magic bytes, never by names. Damage (a truncated gzip, a corrupt tar header, an
//! unreadable file) stops only the input it is in and is reported in its [`InputOutcome`].
//!
//! Layout, one job per module:
//!
//! * [`sniff`]: container format from magic bytes.
//! * [`classify`]: [`FileKind`] and rotation stamp from a name and a first line.
//! * [`instance`]: the TiDB instance a file belongs to (the naming rules are documented there).
//! * `track`: counting / error-latching / byte-capping readers, for damage reports.
//! * `walker`: one input's state, format dispatch, delivery to the sink, error messages.
//! * `archive`: tar and zip walkers. `dir`: directory walker.
//!
//! What a user gets for odd inputs:
//!
//! * An empty file is a readable file with zero lines: it is handed to the sink (kind from its
//!   name, `Other` if the name says nothing) and the outcome is complete.
//! * An empty archive (empty tar, empty zip, gzipped empty tar) is readable and complete with
//!   `files == 0`; the consumer decides whether "no logs in it" deserves a warning.
//! * `unreadable` is set when there was damage and not a single file reached the sink
//!   (nonexistent path, permission denied, a tar whose first header is corrupt).

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

use flate2::read::MultiGzDecoder;
use serde::Serialize;

mod archive;
pub mod classify;
mod dir;
pub mod instance;
pub mod sniff;
mod track;
mod walker;

pub use track::{Budget, CapExceeded, Capped, Charged};

/// Default of [`SourceOptions::max_decompressed_bytes`]: 64 GiB, about 50 times the largest
/// real bundle we have seen inflated, and a bound on what a compression bomb or an endless
/// stream can cost (a minute of work, not a full disk of time).
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: u64 = 64 << 30;

#[cfg(test)]
mod tests;

/// One command-line input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Path(PathBuf),
    /// `-`: standard input, format sniffed from its first bytes.
    Stdin,
}

impl Input {
    /// How the input is named in reports.
    pub fn display(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Stdin => "-".to_string(),
        }
    }
}

/// What a file is, from its name and first line.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// `tidb.log`, `tidb-0.log`, rotated `tidb-2024-01-13T19-21-09.480.log[.gz]`, or content in TiDB's format.
    TidbLog,
    TikvLog,
    PdLog,
    /// `tidb_slow_query.log`, `tidb-slow.log` (`# Time:` header).
    SlowLog,
    /// `tidb_stderr.log` and friends: Go panics and process output.
    Stderr,
    /// Anything else (configs, metrics, binaries...). Counted, not read.
    Other,
}

/// How the bytes handed to the sink are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Plain,
    /// A (possibly multi-member) gzip stream: a rotated `.log.gz`. The sink decodes it, so that
    /// several such members can be inflated on several cores.
    Gzip,
}

/// Everything known about one log file before its content is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// Index of the input (in command-line order) the file came from.
    pub input_index: usize,
    /// Position of the file among those the walk of its input found (0, 1, ...): the order of
    /// the archive or of the sorted directory. Two tar members may share a name; this keeps
    /// them apart and in archive order.
    pub ordinal: usize,
    /// Display name: the input path, then `!` and the member path for each archive level:
    /// `tidb-0.tar.gz!tidb-0/tidb.log`, `bundle.zip!a/tidb-2024-01-13T19-21-09.480.log.gz`.
    pub name: String,
    /// The TiDB instance the file belongs to (`tidb-0`, `10.0.1.5:4000`, ...).
    pub instance: String,
    pub kind: FileKind,
    pub encoding: Encoding,
    /// The lumberjack rotation stamp from the file name (`2024-01-13T19-21-09.480`); `None` for
    /// the active file. Files of one instance are ordered by it, the active file last.
    pub rotation: Option<String>,
    /// Size in bytes as stored (compressed size for `.gz`), when known.
    pub stored_bytes: Option<u64>,
    /// The file itself on disk, when it is a regular file delivered whole (a plain or `.gz`
    /// file given directly or found in a directory; not an archive member, no byte cap). A
    /// consumer may open it itself and leave `body` unread — that is how several files of a
    /// directory are read on several cores instead of one after the other.
    pub disk_path: Option<PathBuf>,
    /// The input's byte budget: a consumer that inflates a [`Encoding::Gzip`] body charges its
    /// output here ([`Capped::new`]), so the cap holds across all of the input's members.
    pub budget: Arc<Budget>,
}

/// Options of the source layer.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    /// `--name-instance`: name every file's instance this way instead of deriving it.
    pub instance_override: Option<String>,
    /// `--instance`: read only the files of these instances (by the name they get, derived or
    /// given); empty reads every file. The others are counted in
    /// [`InputOutcome::deselected`], never opened.
    pub only_instances: Vec<String>,
    /// How deep archives inside archives are opened (a `.tar.gz` inside a `.zip` is depth 2).
    /// Archives deeper than this are listed in [`InputOutcome::skipped`]; 0 opens none.
    pub max_depth: u32,
    /// Stop an input once this many bytes have come out of decompressors in it (gzip layers,
    /// deflated zip members, `.gz` files inflated by the consumer, summed over all levels),
    /// against compression bombs; and once this many raw bytes were read from it when it is a
    /// stream of unknown length (stdin, a device, a fifo). `None`: no cap.
    pub max_decompressed_bytes: Option<u64>,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            instance_override: None,
            only_instances: Vec::new(),
            max_depth: 3,
            max_decompressed_bytes: Some(DEFAULT_MAX_DECOMPRESSED_BYTES),
        }
    }
}

/// What happened to one input.
///
/// Three ways an input can fall short, kept apart because they mean different things to the
/// person who typed the command: `usage` (the command named something that is not a log
/// input: a missing or unreadable path, a directory with no log file; exit 2, no report),
/// `errors` (damage: the bytes broke off; exit 3 with a partial report) and, filled in by the
/// analysis once records are counted, `unrecognised` (intact bytes in which no log record was
/// recognised).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InputOutcome {
    pub path: String,
    /// False when anything in it could not be read (the rest was still analysed).
    pub complete: bool,
    /// Human-readable messages naming the member and byte offset of each problem.
    pub errors: Vec<String>,
    /// Files skipped on purpose (not logs, nesting too deep, links, devices), with the reason.
    pub skipped: Vec<String>,
    /// True when not a single file could be read from it.
    pub unreadable: bool,
    /// How many files were handed to the sink (including `Other` ones and damaged ones).
    pub files: usize,
    /// The input is a directory.
    pub directory: bool,
    /// The command named something that is no log input, one line naming the path: a missing
    /// or unreadable path ([`check`]), a directory without a TiDB/TiKV/PD log file in it.
    pub usage: Option<String>,
    /// Intact content in which no log record was recognised, one message per file ("no
    /// TiDB/TiKV/PD log record recognised in …"), filled in by the analysis. Not damage, but the
    /// report does not cover it, so it is not complete either.
    pub unrecognised: Vec<String>,
    /// Files left unread because `--instance` did not select their instance: instance name →
    /// files (at most [`walker::MAX_NOTES`] names; the rest under `"…"`).
    pub deselected: std::collections::BTreeMap<String, u64>,
}

/// Checks that a path input can be read at all: it exists, and is a directory that can be
/// listed or a file that can be opened. The error is one line naming the path, for the
/// command line to print before any input is read (a typo in one of ten bundle names must
/// not cost reading the other nine first).
pub fn check(input: &Input) -> Result<(), String> {
    let Input::Path(p) = input else {
        return Ok(());
    };
    let shown = p.display();
    let md = std::fs::metadata(p).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => format!("{shown}: no such file or directory"),
        _ => format!("{shown}: cannot read: {e}"),
    })?;
    if md.is_dir() {
        std::fs::read_dir(p).map_err(|e| format!("{shown}: cannot list directory: {e}"))?;
    } else {
        std::fs::File::open(p).map_err(|e| format!("{shown}: cannot open: {e}"))?;
    }
    Ok(())
}

/// True for the kinds that hold TiDB, TiKV or PD log records.
pub fn is_log_kind(kind: FileKind) -> bool {
    matches!(
        kind,
        FileKind::TidbLog | FileKind::TikvLog | FileKind::PdLog
    )
}

impl FileKind {
    /// How the kind is named in messages: `TiDB log`, `stderr log`, `other file`.
    pub fn noun(self) -> &'static str {
        match self {
            FileKind::TidbLog => "TiDB log",
            FileKind::TikvLog => "TiKV log",
            FileKind::PdLog => "PD log",
            FileKind::SlowLog => "slow-query log",
            FileKind::Stderr => "stderr log",
            FileKind::Other => "other file",
        }
    }
}

/// The consumer of log files found by [`walk`].
pub trait FileSink {
    /// Called once per file, in a stable order. `body` yields the file's bytes, still
    /// compressed when `meta.encoding` is [`Encoding::Gzip`]. An error returned here (usually
    /// an error from reading `body`) marks the input incomplete and names this file.
    fn file(&mut self, meta: FileMeta, body: &mut dyn Read) -> io::Result<()>;
}

/// Visits every input and hands every file found to `sink`: one outcome per input, same order.
pub fn walk(inputs: &[Input], opts: &SourceOptions, sink: &mut dyn FileSink) -> Vec<InputOutcome> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| walk_one(i, input, opts, sink))
        .collect()
}

/// Walks the input at position `index` of the command line: what [`walk`] does for each input,
/// exposed so that callers can walk several inputs on several threads.
pub fn walk_one(
    index: usize,
    input: &Input,
    opts: &SourceOptions,
    sink: &mut dyn FileSink,
) -> InputOutcome {
    match input {
        Input::Stdin => walk_reader(index, &mut io::stdin().lock(), opts, sink),
        Input::Path(p) => {
            let mut w = walker::Walker::new(index, input.display(), Some(p.clone()), opts, sink);
            w.path(p);
            w.finish()
        }
    }
}

/// Walks one stream as if it were `-` (standard input): sniffed, then streamed like a file.
/// `walk` uses it for [`Input::Stdin`]; tests and embedders can hand it any reader.
pub fn walk_reader(
    input_index: usize,
    r: &mut dyn Read,
    opts: &SourceOptions,
    sink: &mut dyn FileSink,
) -> InputOutcome {
    let mut w = walker::Walker::new(input_index, Input::Stdin.display(), None, opts, sink);
    w.stream(r);
    w.finish()
}

/// The reader of a file's text, given the body handed to [`FileSink::file`] and its meta.
/// Gzip bodies may hold several members (concatenated `.gz`), hence `MultiGzDecoder`; what it
/// inflates is charged to the input's budget.
pub fn decode<'a>(meta: &FileMeta, r: Box<dyn Read + 'a>) -> Box<dyn Read + 'a> {
    match meta.encoding {
        Encoding::Plain => r,
        Encoding::Gzip => Box::new(Capped::new(MultiGzDecoder::new(r), meta.budget.clone())),
    }
}
