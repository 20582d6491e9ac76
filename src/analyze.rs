//! The pipeline: inputs → files → events → timelines, on every core.
//!
//! The source walker runs on the calling thread and only moves bytes: for every file it finds it
//! queues a [`Member`] and pumps the file's (possibly still gzip-compressed) bytes into that
//! member's bounded channel. Worker threads take members from the queue, inflate them if needed
//! and scan them. So the outer `.tar.gz` is inflated on one core while its members are scanned
//! on the other, and several `.log.gz` members are inflated in parallel. Bounded channels keep
//! memory flat whatever the input size.

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use crate::scan::{FileStats, Prefilter, ScanOptions, Scanner};
use crate::source::{
    self, Encoding, FileKind, FileMeta, FileSink, Input, InputOutcome, SourceOptions,
};
use crate::timeline::{FileCorrelator, TimelineBuilder, Timelines};
use crate::timestamp::Timestamp;

/// Bytes per chunk handed from the walker to a worker.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight per member: bounds memory to `threads × QUEUE × CHUNK` plus buffers.
const QUEUE: usize = 8;

/// Options of one analysis run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub source: SourceOptions,
    pub scan: ScanOptions,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Only events at or after this time.
    pub since: Option<Timestamp>,
    /// Only events at or before this time.
    pub until: Option<Timestamp>,
}

/// One file as read.
#[derive(Debug, Clone)]
pub struct FileResult {
    pub meta: FileMeta,
    pub stats: FileStats,
    /// Why reading stopped early, naming the file and offset.
    pub error: Option<String>,
    /// Distinct stores (`new domain`) the file opened.
    pub stores: u32,
}

/// Everything read from the inputs, before any rule runs.
#[derive(Debug)]
pub struct Analysis {
    pub outcomes: Vec<InputOutcome>,
    /// Files in a stable order: input, instance, rotation (active file last), name.
    pub files: Vec<FileResult>,
    pub timelines: Timelines,
}

impl Analysis {
    /// True when every input and every file was read to its end.
    pub fn complete(&self) -> bool {
        self.outcomes.iter().all(|o| o.complete) && self.files.iter().all(|f| f.error.is_none())
    }

    /// True when not a single byte of any file was read, damaged or not: there is nothing to
    /// judge (same rule as [`crate::report::nothing_read`]).
    pub fn nothing_readable(&self) -> bool {
        self.files.iter().all(|f| f.stats.bytes == 0)
    }
}

enum Chunk {
    Data(Vec<u8>),
    /// The walker could not read further; the message says where.
    Failed(String),
}

struct Member {
    meta: FileMeta,
    chunks: Receiver<Chunk>,
}

/// `Read` over the chunks of one member.
struct ChannelReader {
    rx: Receiver<Chunk>,
    cur: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            match self.rx.recv() {
                Ok(Chunk::Data(d)) => {
                    self.cur = d;
                    self.pos = 0;
                }
                Ok(Chunk::Failed(msg)) => return Err(io::Error::other(msg)),
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.cur.len() - self.pos);
        out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The walker's sink: queues each file and pumps its bytes to whichever worker takes it.
struct Pump {
    work: Option<SyncSender<Member>>,
}

impl FileSink for Pump {
    fn file(&mut self, meta: FileMeta, body: &mut dyn Read) -> io::Result<()> {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let work = self.work.as_ref().expect("pump used after close");
        if work.send(Member { meta, chunks: rx }).is_err() {
            return Err(io::Error::other("workers stopped"));
        }
        loop {
            let mut buf = vec![0u8; CHUNK];
            let mut filled = 0;
            // Fill whole chunks: fewer, larger messages.
            while filled < CHUNK {
                match body.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        buf.truncate(filled);
                        if filled > 0 {
                            let _ = tx.send(Chunk::Data(buf));
                        }
                        let _ = tx.send(Chunk::Failed(e.to_string()));
                        return Err(e);
                    }
                }
            }
            if filled == 0 {
                return Ok(());
            }
            buf.truncate(filled);
            if tx.send(Chunk::Data(buf)).is_err() {
                return Ok(()); // the worker gave up on this file (it says why)
            }
        }
    }
}

/// Whether the timeline wants this file's events (other kinds are counted, not interpreted).
fn interpreted(kind: FileKind) -> bool {
    matches!(kind, FileKind::TidbLog)
}

/// Filters events by `--since/--until` before they reach the correlator.
struct Window<'a> {
    inner: &'a mut FileCorrelator,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
}

impl crate::scan::EventSink for Window<'_> {
    fn event(&mut self, ev: crate::event::Event) {
        if let Some(ts) = ev.ts {
            if self.since.is_some_and(|s| ts < s) || self.until.is_some_and(|u| ts > u) {
                return;
            }
        }
        self.inner.event(ev);
    }
}

fn process(member: Member, opts: &Options, prefilter: &Prefilter) -> (FileResult, TimelineBuilder) {
    let Member { meta, chunks } = member;
    let raw = ChannelReader {
        rx: chunks,
        cur: Vec::new(),
        pos: 0,
    };
    let mut reader: Box<dyn Read> = match meta.encoding {
        Encoding::Plain => Box::new(raw),
        Encoding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(
            io::BufReader::with_capacity(CHUNK, raw),
        )),
    };
    let file: Arc<str> = Arc::from(meta.name.as_str());
    let instance: Arc<str> = Arc::from(meta.instance.as_str());
    let mut corr = FileCorrelator::new();
    let scanner = Scanner::new(file, instance, opts.scan.clone(), prefilter);
    let (stats, result) = if interpreted(meta.kind) {
        let mut sink = Window {
            inner: &mut corr,
            since: opts.since,
            until: opts.until,
        };
        scanner.scan(&mut reader, &mut sink)
    } else {
        scanner.scan(&mut reader, &mut Discard)
    };
    // Drain what the walker still sends so it never blocks on a member nobody reads.
    drop(reader);
    let error = result.err().map(|e| {
        format!(
            "{}: {} (after {} decoded bytes, {} lines)",
            meta.name, e, stats.bytes, stats.lines
        )
    });
    let stores = corr.stores_seen();
    let mut builder = corr.builder;
    builder.saw_time(stats.last_ts);
    (
        FileResult {
            meta,
            stats,
            error,
            stores,
        },
        builder,
    )
}

struct Discard;

impl crate::scan::EventSink for Discard {
    fn event(&mut self, _ev: crate::event::Event) {}
}

/// Reads every input and builds the job timelines.
pub fn run(inputs: &[Input], opts: &Options) -> Analysis {
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let prefilter = Prefilter::default();
    let (work_tx, work_rx) = mpsc::sync_channel::<Member>(threads);
    let work_rx = Mutex::new(work_rx);
    let (outcomes, mut results) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let next = work_rx.lock().map(|rx| rx.recv());
                        match next {
                            Ok(Ok(member)) => out.push(process(member, opts, &prefilter)),
                            _ => break,
                        }
                    }
                    out
                })
            })
            .collect();
        let mut pump = Pump {
            work: Some(work_tx),
        };
        let outcomes = source::walk(inputs, &opts.source, &mut pump);
        pump.work = None; // close the queue: workers stop when it drains
        let results: Vec<(FileResult, TimelineBuilder)> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect();
        (outcomes, results)
    });
    results.sort_by_key(|(f, _)| file_order(&f.meta));
    let mut builder = TimelineBuilder::new();
    let mut files = Vec::with_capacity(results.len());
    for (f, b) in results {
        builder.merge(b);
        files.push(f);
    }
    let mut outcomes = outcomes;
    for f in &files {
        if let Some(err) = &f.error {
            if let Some(o) = outcomes.get_mut(f.meta.input_index) {
                o.complete = false;
                if !o.errors.iter().any(|e| e.contains(&f.meta.name)) {
                    o.errors.push(err.clone());
                }
            }
        }
    }
    for (i, o) in outcomes.iter_mut().enumerate() {
        let mine = files.iter().filter(|f| f.meta.input_index == i);
        let (n, bytes) = mine.fold((0, 0), |(n, b), f| (n + 1, b + f.stats.bytes));
        if bytes == 0 && o.errors.is_empty() {
            // Intact but empty (an empty archive, directory or file). Said so, and marked
            // unread: the exit code must not call a bundle with no logs in it clean.
            o.errors.push(format!(
                "{}: nothing to read: {n} files, 0 bytes of content (an empty archive, \
                 directory or file; was the collection cut short?)",
                o.path
            ));
            o.complete = false;
            o.unreadable = true;
        }
    }
    Analysis {
        outcomes,
        files,
        timelines: builder.finish(),
    }
}

/// Rotated files by their stamp, the active file (no stamp) last.
fn file_order(m: &FileMeta) -> (usize, String, bool, Option<String>, String) {
    (
        m.input_index,
        m.instance.clone(),
        m.rotation.is_none(),
        m.rotation.clone(),
        m.name.clone(),
    )
}
