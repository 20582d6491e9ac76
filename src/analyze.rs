//! The pipeline: inputs → files → events → timelines, on every core.
//!
//! The source walker runs on the calling thread and only moves bytes: for every file it finds it
//! queues a `Member` and pumps the file's (possibly still gzip-compressed) bytes into that
//! member's bounded channel. Worker threads take members from the queue, inflate them if needed
//! and scan them. So the outer `.tar.gz` is inflated on one core while its members are scanned
//! on the other, and several `.log.gz` members are inflated in parallel. Bounded channels keep
//! memory flat whatever the input size.
//!
//! One large plain file on disk would still be one worker's: it is cut into segments that
//! idle cores scan (`analyze/segment.rs`), with a result identical to the whole-file scan.

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use crate::event::EventKind;
use crate::event::Evidence;
use crate::fault::{FaultCounter, FaultCounts, FaultWindows, Signal};
use crate::model::{Bound, TimeWindow, Timestamp};
use crate::scan::{FileStats, Prefilter, ScanOptions, Scanner, MAX_EVIDENCE_TEXT};
use crate::source::{
    self, Encoding, FileKind, FileMeta, FileSink, Input, InputOutcome, SourceOptions,
};
use crate::timeline::{FileCorrelator, StartKind, TimelineBuilder, Timelines};

mod segment;

/// How busy the run's threads are, so that a worker scanning one big file in segments takes
/// a second core only when no other file is waiting for it.
#[derive(Debug, Default)]
struct Load {
    /// Worker threads (the run's `threads`).
    threads: usize,
    /// Workers scanning a file now.
    busy: std::sync::atomic::AtomicUsize,
    /// Files queued (or being queued) for a worker.
    queued: std::sync::atomic::AtomicUsize,
    /// Segment helper threads running now, over all files.
    helpers: std::sync::atomic::AtomicUsize,
    /// [`Options::segments`], or what the debug hook `DDLDIAG_DEBUG_SEGMENT_BYTES` forces.
    segmenting: Segmenting,
    /// Say on stderr how each segmented file was read (the debug hook, for tests).
    trace: bool,
}

impl Load {
    /// Threads that would idle now: no file is waiting for them.
    fn idle(&self) -> usize {
        use std::sync::atomic::Ordering::Relaxed;
        let used = self.busy.load(Relaxed) + self.queued.load(Relaxed) + self.helpers.load(Relaxed);
        self.threads.saturating_sub(used)
    }
}

/// Bytes per chunk handed from the walker to a worker.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight per member: bounds memory to `threads × QUEUE × CHUNK` plus buffers.
const QUEUE: usize = 8;

/// Most worker threads a run uses, whatever [`Options::threads`] says.
pub const MAX_THREADS: usize = 256;

/// Options of one analysis run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub source: SourceOptions,
    pub scan: ScanOptions,
    /// Worker threads; 0 means one per core; at most [`MAX_THREADS`].
    pub threads: usize,
    /// `--since` / `--until`: only events and fault signals inside this window.
    pub window: TimeWindow,
    /// Counts the bytes read from the inputs as they stream, for a progress display.
    pub progress: Option<Arc<std::sync::atomic::AtomicU64>>,
    /// Keep every DDL event (not only the timelines' bounded selection) in
    /// [`Analysis::events`], for `ddldiag events`. Memory grows with the number of DDL lines.
    pub collect_events: bool,
    /// When one large plain file is cut into segments scanned on several cores
    /// (`analyze/segment.rs`). Hidden: the defaults suit every input; tests force tiny segments.
    #[doc(hidden)]
    pub segments: Segmenting,
}

/// When and how finely a large plain file is scanned in segments (`analyze/segment.rs`).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct Segmenting {
    /// Files smaller than this are scanned whole: below it a second core gains less than the
    /// seams cost.
    pub min_file: u64,
    /// Bytes per segment; `None` picks a size from the file and the thread count.
    pub bytes: Option<u64>,
    /// Scan segments on helper threads even when other workers are busy (tests).
    pub force_helpers: bool,
}

impl Default for Segmenting {
    fn default() -> Self {
        Segmenting {
            min_file: 64 << 20,
            bytes: None,
            force_helpers: false,
        }
    }
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
    /// Fault-signal counts per instance (TiDB, TiKV and PD logs), restarts included.
    pub faults: FaultCounts,
    /// Windows of trouble inferred from `faults` ([`crate::fault::windows`]).
    pub fault_windows: FaultWindows,
    /// Every DDL event in (time, file, line) order when [`Options::collect_events`] is set.
    /// Shared with the report rather than copied: it may be the largest thing in memory.
    pub events: Arc<Vec<crate::event::Exported>>,
    /// The latest record time of every file read: what relative `--since`/`--until` count
    /// back from.
    pub logs_end: Option<Timestamp>,
}

impl Analysis {
    /// True when every input and every file was read to its end, and every file that should
    /// hold log records held some.
    pub fn complete(&self) -> bool {
        self.outcomes.iter().all(|o| o.complete) && self.files.iter().all(|f| f.error.is_none())
    }

    /// The usage problems of the inputs (a missing or unreadable path, a directory without log
    /// files), one line each naming the path: the command line reports these instead of a
    /// report.
    pub fn usage_problems(&self) -> Vec<&str> {
        self.outcomes
            .iter()
            .filter_map(|o| o.usage.as_deref())
            .collect()
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
    body: Body,
}

/// Where a worker gets a member's bytes.
enum Body {
    /// From the walker, chunk by chunk (archive members, stdin). Emptied buffers go back
    /// through `recycle` so the walker reuses them.
    Chunks {
        rx: Receiver<Chunk>,
        recycle: mpsc::Sender<Vec<u8>>,
    },
    /// From the file on disk, opened by the worker: files of a directory are read in parallel.
    Disk(std::path::PathBuf),
}

/// `Read` over the chunks of one member.
struct ChannelReader {
    rx: Receiver<Chunk>,
    cur: Vec<u8>,
    pos: usize,
    recycle: mpsc::Sender<Vec<u8>>,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            match self.rx.recv() {
                Ok(Chunk::Data(d)) => {
                    let done = std::mem::replace(&mut self.cur, d);
                    if done.capacity() >= CHUNK {
                        let _ = self.recycle.send(done);
                    }
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

/// What one worker has read so far, merged file by file.
#[derive(Default)]
struct Partial {
    builder: TimelineBuilder,
    faults: FaultCounts,
    events: Vec<crate::event::Exported>,
    files: Vec<FileResult>,
    /// What panicked while this worker scanned (a bug): the run must not produce a report.
    panics: Vec<String>,
    /// Files whose items wait for the logs' end (a relative `--since`/`--until`).
    deferred: Vec<Scanned>,
}

/// A worker or walker thread panicked: the analysis would be missing data, so there is none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("internal error (a bug in ddldiag, please report it): {what} panicked: {message}")]
pub struct Panicked {
    /// `scanning tidb-0.tar.gz!tidb-0/tidb.log`, `reading input tidb-0.tar.gz`.
    pub what: String,
    pub message: String,
}

/// Tells each `Welcome to TiDB` line's kind ([`StartKind`]): a restart when the instance logged
/// before it, graceful when the previous process logged `got signal to exit` or resigned the DDL
/// owner after the instance's previous start.
/// Whether some job was running (first seen before, last seen after) at a moment, answered in
/// O(log jobs): asking every job for every start was quadratic.
struct Running {
    /// (first seen, the latest last-seen of the jobs first seen up to then), by first seen.
    spans: Vec<(Timestamp, Timestamp)>,
}

impl Running {
    fn new(jobs: &[crate::timeline::JobTimeline]) -> Self {
        let mut v: Vec<(Timestamp, Timestamp)> = jobs
            .iter()
            .filter_map(|j| Some((j.first_seen?, j.last_seen?)))
            .collect();
        v.sort_unstable();
        let mut reach: Option<Timestamp> = None;
        for (_, last) in &mut v {
            let r = reach.map_or(*last, |r| r.max(*last));
            reach = Some(r);
            *last = r;
        }
        Running { spans: v }
    }

    fn at(&self, ts: Timestamp) -> bool {
        let n = self.spans.partition_point(|(first, _)| *first < ts);
        n > 0 && self.spans[n - 1].1 > ts
    }
}

fn classify_starts(t: &mut Timelines, files: &[FileResult]) {
    let mut first_line: std::collections::HashMap<&str, Timestamp> =
        std::collections::HashMap::new();
    for f in files {
        if let Some(ts) = f.stats.first_ts {
            first_line
                .entry(f.meta.instance.as_str())
                .and_modify(|t| *t = (*t).min(ts))
                .or_insert(ts);
        }
    }
    let mut order: Vec<usize> = (0..t.cluster.starts.len()).collect();
    order.sort_by_key(|&i| t.cluster.starts[i].evidence.ts);
    let mut previous: std::collections::HashMap<String, Timestamp> =
        std::collections::HashMap::new();
    for i in order {
        let s = &t.cluster.starts[i];
        let Some(ts) = s.evidence.ts else { continue };
        let earlier = first_line.get(s.instance.as_str()).is_some_and(|f| *f < ts);
        let since = previous.get(&s.instance).copied();
        let graceful = t.cluster.owner_events.iter().any(|e| {
            &*e.instance == s.instance.as_str()
                && (e.kind == EventKind::ServerStop
                    || (e.kind == EventKind::OwnerRetired && e.message.starts_with("resign")))
                && e.ts
                    .is_some_and(|et| et < ts && since.is_none_or(|p| et > p))
        });
        previous.insert(s.instance.clone(), ts);
        t.cluster.starts[i].kind = if earlier {
            StartKind::Restart { graceful }
        } else {
            StartKind::First
        };
    }
}

/// The text of a panic payload.
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

/// A reader that fails once with the error that kept a file from opening.
struct FailedRead(Option<io::Error>);

impl Read for FailedRead {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(self
            .0
            .take()
            .unwrap_or_else(|| io::Error::other("unreadable")))
    }
}

/// The walker's sink: queues each file and pumps its bytes to whichever worker takes it.
struct Pump {
    work: Option<SyncSender<Member>>,
    load: Arc<Load>,
    progress: Option<Arc<std::sync::atomic::AtomicU64>>,
    /// Emptied buffers coming back from workers. Reusing them avoids a fresh 256 KiB
    /// allocation (an mmap, page faults and zeroing) per chunk: ~10% of a scan, measured.
    spare: Receiver<Vec<u8>>,
    recycle: mpsc::Sender<Vec<u8>>,
}

impl Pump {
    fn new(
        work: SyncSender<Member>,
        load: Arc<Load>,
        progress: Option<Arc<std::sync::atomic::AtomicU64>>,
    ) -> Self {
        let (recycle, spare) = mpsc::channel();
        Pump {
            work: Some(work),
            load,
            progress,
            spare,
            recycle,
        }
    }

    /// A buffer of `CHUNK` initialised bytes, reused when one came back.
    fn buffer(&self) -> Vec<u8> {
        match self.spare.try_recv() {
            Ok(mut b) => {
                // Recycled buffers were full chunks: this zeroes nothing in the common case.
                b.resize(CHUNK, 0);
                b
            }
            Err(_) => vec![0u8; CHUNK],
        }
    }
}

impl FileSink for Pump {
    fn file(&mut self, meta: FileMeta, body: &mut dyn Read) -> io::Result<()> {
        let work = self.work.as_ref().expect("pump used after close");
        // Counted down by the worker that takes it (or here, if none will).
        self.load
            .queued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let unqueue = || {
            self.load
                .queued
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed)
        };
        if let Some(path) = meta.disk_path.clone() {
            // The worker opens the file itself; the body is left unread.
            if let (Some(p), Some(n)) = (&self.progress, meta.stored_bytes) {
                p.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            }
            let member = Member {
                meta,
                body: Body::Disk(path),
            };
            return work.send(member).map_err(|_| {
                unqueue();
                io::Error::other("workers stopped")
            });
        }
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let member = Member {
            meta,
            body: Body::Chunks {
                rx,
                recycle: self.recycle.clone(),
            },
        };
        if work.send(member).is_err() {
            unqueue();
            return Err(io::Error::other("workers stopped"));
        }
        loop {
            let mut buf = self.buffer();
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
            if let Some(p) = &self.progress {
                p.fetch_add(filled as u64, std::sync::atomic::Ordering::Relaxed);
            }
            if tx.send(Chunk::Data(buf)).is_err() {
                return Ok(()); // the worker gave up on this file (it says why)
            }
        }
    }
}

/// What a file is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Interpret {
    /// DDL events for the timeline, and fault signals (TiDB logs).
    Full,
    /// Fault signals only (TiKV and PD logs: their lines never describe a DDL job).
    Signals,
    /// Counted, not interpreted.
    Nothing,
}

fn interpreted(kind: FileKind) -> Interpret {
    match kind {
        FileKind::TidbLog => Interpret::Full,
        FileKind::TikvLog | FileKind::PdLog => Interpret::Signals,
        _ => Interpret::Nothing,
    }
}

/// Filters events and signals by `--since/--until` before they reach the correlator and the
/// fault counter. `sink.corr` is `None` for files read for signals only.
///
/// A wall-clock bound (no offset) is resolved at the file's first timestamped item, in that
/// item's offset: the log's own. A relative bound (`-1h`) counts back from the logs' end, which
/// only the end of the whole run knows, so items it cannot decide yet are held in file order
/// ([`Window::held`]) and decided in [`finish_held`]. What is held is bounded by what the window
/// asks for: an item older than the relative span before the file's own latest time is already
/// outside (the logs' end is at least that late) and is dropped from the front as the file
/// advances; with only a relative `--until`, the front that is certainly inside goes on at
/// once. Only DDL events and fault signals are held, never lines.
struct Window<'a> {
    sink: Deliver<'a>,
    bounds: TimeWindow,
    /// The absolute bounds, once the file's offset is known (relative ones stay `None`).
    resolved: Option<(Option<Timestamp>, Option<Timestamp>)>,
    /// Items waiting for the logs' end, in file order.
    held: std::collections::VecDeque<Held>,
    /// The latest time seen in this file: the logs' end is at least this.
    latest: Option<Timestamp>,
}

/// Where admitted items go.
struct Deliver<'a> {
    corr: Option<&'a mut FileCorrelator>,
    collected: Option<&'a mut Vec<crate::event::Exported>>,
    faults: &'a mut FaultCounter,
}

impl Deliver<'_> {
    fn deliver(&mut self, item: Held) {
        match item {
            Held::Event(ev) => {
                if let Some(c) = self.corr.as_deref_mut() {
                    if let Some(v) = self.collected.as_deref_mut() {
                        v.push(crate::event::Exported::of(&ev));
                    }
                    crate::scan::EventSink::event(c, *ev);
                }
            }
            Held::Signal { kind, ts, evidence } => self.faults.add(kind, ts, || evidence),
        }
    }
}

/// An event or a fault signal that passed the window, or waits for the logs' end to decide.
enum Held {
    Event(Box<crate::event::Event>),
    Signal {
        kind: crate::fault::FaultKind,
        ts: Timestamp,
        evidence: Evidence,
    },
}

impl Held {
    fn ts(&self) -> Option<Timestamp> {
        match self {
            Held::Event(e) => e.ts,
            Held::Signal { ts, .. } => Some(*ts),
        }
    }
}

impl<'a> Window<'a> {
    /// A file's window over its sinks: the correlator only for a TiDB log, the export only
    /// when the run collects events.
    fn new(
        how: Interpret,
        opts: &Options,
        corr: &'a mut FileCorrelator,
        collected: &'a mut Vec<crate::event::Exported>,
        faults: &'a mut FaultCounter,
    ) -> Self {
        Window {
            sink: Deliver {
                corr: (how == Interpret::Full).then_some(corr),
                collected: opts.collect_events.then_some(collected),
                faults,
            },
            bounds: opts.window,
            resolved: None,
            held: std::collections::VecDeque::new(),
            latest: None,
        }
    }
    /// False when an absolute bound excludes `ts`; resolves wall-clock bounds on first use.
    fn inside_absolute(&mut self, ts: Timestamp) -> bool {
        let bounds = self.bounds;
        let (since, until) = *self
            .resolved
            .get_or_insert_with(|| bounds.resolve(*ts.offset(), None));
        !(since.is_some_and(|s| ts < s) || until.is_some_and(|u| ts > u))
    }

    fn admit(&mut self, item: Held) {
        let Some(ts) = item.ts() else {
            // Without a time it is inside whatever the window; behind held items it waits.
            if self.held.is_empty() {
                self.sink.deliver(item);
            } else {
                self.held.push_back(item);
            }
            return;
        };
        if !self.inside_absolute(ts) {
            return;
        }
        if !self.bounds.is_relative() {
            self.sink.deliver(item);
            return;
        }
        self.latest = Some(self.latest.map_or(ts, |l| l.max(ts)));
        self.held.push_back(item);
        self.drain_front();
    }

    /// Decides the held front while the file's latest time already decides it.
    fn drain_front(&mut self) {
        let Some(latest) = self.latest else { return };
        let relative = |b: Option<Bound>| match b {
            Some(Bound::BeforeEnd(d)) => Some(d),
            _ => None,
        };
        let (since, until) = (relative(self.bounds.since), relative(self.bounds.until));
        while let Some(front) = self.held.front() {
            let deliver = match (front.ts(), since) {
                // The end is at least `latest`, so the bound is at least latest − d.
                (Some(t), Some(d)) if t < latest - d => false,
                // Only a relative until: at or before latest − d it is inside whatever the end.
                (Some(t), None) if until.is_some_and(|d| t <= latest - d) => true,
                (None, _) => true,
                _ => break,
            };
            let item = self.held.pop_front().expect("a front");
            if deliver {
                self.sink.deliver(item);
            }
        }
    }
}

/// The evidence of a fault-signal line: made only when the counter keeps the line.
fn signal_evidence(file: &Arc<str>, line: u64, ts: Timestamp, raw: &[u8]) -> Evidence {
    Evidence {
        file: file.clone(),
        line,
        ts: Some(ts),
        text: Arc::from(crate::scan::truncate_str(
            &String::from_utf8_lossy(raw),
            MAX_EVIDENCE_TEXT,
        )),
    }
}

impl crate::scan::EventSink for Window<'_> {
    fn event(&mut self, ev: crate::event::Event) {
        self.admit(Held::Event(Box::new(ev)));
    }

    fn signal(
        &mut self,
        sig: &'static Signal,
        ts: Timestamp,
        file: &Arc<str>,
        line: u64,
        raw: &[u8],
    ) {
        let evidence = || signal_evidence(file, line, ts, raw);
        if !self.bounds.is_relative() {
            // The common path: no evidence text is made unless the counter keeps it.
            if self.inside_absolute(ts) {
                self.sink.faults.add(sig.kind, ts, evidence);
            }
            return;
        }
        self.admit(Held::Signal {
            kind: sig.kind,
            ts,
            evidence: evidence(),
        });
    }
}

/// One file as scanned: its result and what it contributes, its correlator still open while
/// items wait for the logs' end ([`Scanned::held`]).
struct Scanned {
    file: FileResult,
    corr: FileCorrelator,
    faults: FaultCounter,
    events: Vec<crate::event::Exported>,
    held: Vec<Held>,
}

/// What one file contributes to the run, once nothing of it waits any longer.
type Contribution = (
    FileResult,
    TimelineBuilder,
    FaultCounter,
    Vec<crate::event::Exported>,
);

impl Scanned {
    fn close(self) -> Contribution {
        let mut builder = self.corr.builder;
        builder.saw_time(self.file.stats.last_ts);
        (self.file, builder, self.faults, self.events)
    }
}

/// Decides the items a file held for a relative bound, now that the logs' `end` is known, in
/// the order the file had them, and closes the file's correlator.
fn finish_held(
    mut s: Scanned,
    window: &TimeWindow,
    end: Option<Timestamp>,
    collect: bool,
) -> Contribution {
    let held = std::mem::take(&mut s.held);
    {
        let is_tidb = interpreted(s.file.meta.kind) == Interpret::Full;
        let mut d = Deliver {
            corr: is_tidb.then_some(&mut s.corr),
            collected: collect.then_some(&mut s.events),
            faults: &mut s.faults,
        };
        for item in held {
            let keep = item.ts().is_none_or(|ts| {
                let (since, until) = window.resolve(*ts.offset(), end);
                !(since.is_some_and(|x| ts < x) || until.is_some_and(|x| ts > x))
            });
            if keep {
                d.deliver(item);
            }
        }
    }
    s.close()
}

fn process(member: Member, opts: &Options, prefilter: &Prefilter, load: &Load) -> Scanned {
    let Member { meta, body } = member;
    // Debug builds only: the tests make a worker panic on a chosen file to prove that a panic
    // ends the run with an internal error rather than a report missing that file.
    if cfg!(debug_assertions)
        && std::env::var("DDLDIAG_DEBUG_PANIC_ON")
            .is_ok_and(|v| !v.is_empty() && meta.name.contains(&v))
    {
        panic!("injected by DDLDIAG_DEBUG_PANIC_ON");
    }
    let raw: Box<dyn Read> = match body {
        Body::Chunks { rx, recycle } => Box::new(ChannelReader {
            rx,
            cur: Vec::new(),
            pos: 0,
            recycle,
        }),
        Body::Disk(path) => match std::fs::File::open(&path) {
            // A large plain file may be read on several cores; else (or when that would not
            // give exactly the whole-file scan's result) it is read here, from its start.
            Ok(f) if meta.encoding == Encoding::Plain => {
                match segment::scan(&meta, f, opts, prefilter, load) {
                    Ok(done) => return done,
                    Err(f) => Box::new(f),
                }
            }
            Ok(f) => Box::new(f),
            Err(e) => Box::new(FailedRead(Some(e))),
        },
    };
    let mut reader: Box<dyn Read> = match meta.encoding {
        Encoding::Plain => Box::new(raw),
        // Charged to the input's budget: a bomb split over many `.gz` members is one bomb.
        Encoding::Gzip => Box::new(source::Capped::new(
            flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(CHUNK, raw)),
            meta.budget.clone(),
        )),
    };
    let file: Arc<str> = Arc::from(meta.name.as_str());
    let instance: Arc<str> = Arc::from(meta.instance.as_str());
    let mut corr = FileCorrelator::new();
    let mut faults = FaultCounter::default();
    let mut collected = Vec::new();
    let scanner = Scanner::new(file, instance, opts.scan.clone(), prefilter);
    let how = interpreted(meta.kind);
    let mut discard = Discard;
    let mut window = Window::new(how, opts, &mut corr, &mut collected, &mut faults);
    let sink: &mut dyn crate::scan::EventSink = if how == Interpret::Nothing {
        &mut discard
    } else {
        &mut window
    };
    let (stats, result) = scanner.scan(&mut reader, sink);
    let held: Vec<Held> = std::mem::take(&mut window.held).into();
    drop(window);
    // Drain what the walker still sends so it never blocks on a member nobody reads.
    drop(reader);
    scanned(meta, stats, result, corr, faults, collected, held)
}

/// A file's result once its last line is read.
fn scanned(
    meta: FileMeta,
    stats: FileStats,
    result: io::Result<()>,
    corr: FileCorrelator,
    faults: FaultCounter,
    events: Vec<crate::event::Exported>,
    held: Vec<Held>,
) -> Scanned {
    let error = result.err().map(|e| {
        format!(
            "{}: {} (after {} decoded bytes, {} lines)",
            meta.name, e, stats.bytes, stats.lines
        )
    });
    let stores = corr.stores_seen();
    Scanned {
        file: FileResult {
            meta,
            stats,
            error,
            stores,
        },
        corr,
        faults,
        events,
        held,
    }
}

struct Discard;

impl crate::scan::EventSink for Discard {
    fn event(&mut self, _ev: crate::event::Event) {}
}

/// Reads every input and builds the job timelines.
///
/// # Errors
/// [`Panicked`] when a worker or walker thread panicked (a bug): the data it held would be
/// missing, so no analysis is returned at all.
pub fn run(inputs: &[Input], opts: &Options) -> Result<Analysis, Panicked> {
    // Bounded for library callers as `--threads` is for the command line: each worker is a
    // thread with its own buffers, and spawning thousands aborts the process.
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    }
    .min(MAX_THREADS);
    let prefilter = Prefilter::default();
    let mut load = Load {
        threads,
        segmenting: opts.segments.clone(),
        ..Load::default()
    };
    // Debug builds only: the tests cut every plain file into segments of a few KiB, scanned
    // on helper threads whatever the load, to prove the result identical to `--threads 1`.
    if cfg!(debug_assertions) {
        if let Some(n) = std::env::var("DDLDIAG_DEBUG_SEGMENT_BYTES")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            load.segmenting = Segmenting {
                min_file: 0,
                bytes: Some(n),
                force_helpers: true,
            };
            load.trace = true;
        }
    }
    let load = Arc::new(load);
    let (work_tx, work_rx) = mpsc::sync_channel::<Member>(threads);
    let work_rx = Mutex::new(work_rx);
    let next_input = std::sync::atomic::AtomicUsize::new(0);
    let (outcomes, results, panics) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    // Each file's timelines and fault counts are merged as soon as it is
                    // scanned, so memory follows the number of jobs and workers, not files.
                    let mut part = Partial::default();
                    loop {
                        let next = work_rx.lock().map(|rx| rx.recv());
                        match next {
                            Ok(Ok(member)) => {
                                use std::sync::atomic::Ordering::Relaxed;
                                load.queued.fetch_sub(1, Relaxed);
                                load.busy.fetch_add(1, Relaxed);
                                // A panic is caught so that this worker keeps draining the
                                // queue (the walkers never block on a dead consumer) and the
                                // run ends with an internal error instead of a partial report.
                                let name = member.meta.name.clone();
                                let run = std::panic::AssertUnwindSafe(|| {
                                    process(member, opts, &prefilter, &load)
                                });
                                let done = std::panic::catch_unwind(run);
                                load.busy.fetch_sub(1, Relaxed);
                                match done {
                                    Ok(s) if !s.held.is_empty() => part.deferred.push(s),
                                    Ok(s) => {
                                        let (f, b, c, e) = s.close();
                                        part.builder.merge(b);
                                        part.faults.add_counter(&f.meta.instance, c);
                                        part.events.extend(e);
                                        part.files.push(f);
                                    }
                                    Err(p) => part
                                        .panics
                                        .push(format!("scanning {name}: {}", panic_message(&*p))),
                                }
                            }
                            _ => break,
                        }
                    }
                    part
                })
            })
            .collect();
        // One walker per input, up to one per core: each inflates its own outer archive.
        let walkers: Vec<_> = (0..threads.min(inputs.len()).max(1))
            .map(|_| {
                let work_tx = work_tx.clone();
                let next_input = &next_input;
                let load = load.clone();
                s.spawn(move || {
                    let mut pump = Pump::new(work_tx, load, opts.progress.clone());
                    let mut outcomes = Vec::new();
                    let mut panics = Vec::new();
                    loop {
                        let i = next_input.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(input) = inputs.get(i) else { break };
                        let walk = std::panic::AssertUnwindSafe(|| {
                            source::walk_one(i, input, &opts.source, &mut pump)
                        });
                        match std::panic::catch_unwind(walk) {
                            Ok(o) => outcomes.push((i, o)),
                            Err(p) => panics.push(format!(
                                "reading input {}: {}",
                                input.display(),
                                panic_message(&*p)
                            )),
                        }
                    }
                    (outcomes, panics)
                })
            })
            .collect();
        drop(work_tx); // workers stop when every walker's sender is gone and the queue drains
        let mut panics = Vec::new();
        let mut outcomes: Vec<(usize, InputOutcome)> = Vec::new();
        for w in walkers {
            match w.join() {
                Ok((o, p)) => {
                    outcomes.extend(o);
                    panics.extend(p);
                }
                Err(p) => panics.push(format!("a walker: {}", panic_message(&*p))),
            }
        }
        outcomes.sort_by_key(|(i, _)| *i);
        let outcomes: Vec<InputOutcome> = outcomes.into_iter().map(|(_, o)| o).collect();
        let mut parts: Vec<Partial> = Vec::new();
        for w in workers {
            match w.join() {
                Ok(mut p) => {
                    panics.append(&mut p.panics);
                    parts.push(p);
                }
                Err(p) => panics.push(format!("a worker: {}", panic_message(&*p))),
            }
        }
        (outcomes, parts, panics)
    });
    if let Some(first) = panics.first() {
        let (what, message) = first.split_once(": ").unwrap_or((first.as_str(), ""));
        return Err(Panicked {
            what: what.to_string(),
            message: message.to_string(),
        });
    }
    let mut builder = TimelineBuilder::new();
    let mut faults = FaultCounts::default();
    let mut files = Vec::new();
    // Sized once: growing it by doubling would hold up to twice the events at the moment of
    // each reallocation, and the export may hold millions.
    let mut events = Vec::with_capacity(results.iter().map(|p| p.events.len()).sum());
    // The logs' end, for relative bounds: the latest record time of every file read.
    let end = results
        .iter()
        .flat_map(|p| {
            p.files
                .iter()
                .chain(p.deferred.iter().map(|d| &d.file))
                .filter_map(|f| f.stats.last_ts)
        })
        .max();
    for mut p in results {
        for d in std::mem::take(&mut p.deferred) {
            let (f, b, c, e) = finish_held(d, &opts.window, end, opts.collect_events);
            p.builder.merge(b);
            p.faults.add_counter(&f.meta.instance, c);
            p.events.extend(e);
            p.files.push(f);
        }
        builder.merge(p.builder);
        faults.merge(p.faults);
        events.extend(p.events);
        files.extend(p.files);
    }
    files.sort_by_key(|f| file_order(&f.meta));
    let mut outcomes = outcomes;
    for f in &files {
        if let Some(err) = &f.error {
            if let Some(o) = outcomes.get_mut(f.meta.input_index) {
                o.complete = false;
                // As many as the walker lists (1,000); each damaged file still says so in
                // its own entry of the report.
                if o.errors.len() < 1000 && !o.errors.iter().any(|e| e.contains(&f.meta.name)) {
                    o.errors.push(err.clone());
                }
            }
        }
    }
    for (i, o) in outcomes.iter_mut().enumerate() {
        let mine: Vec<&FileResult> = files.iter().filter(|f| f.meta.input_index == i).collect();
        judge_content(o, &mine);
    }
    let mut timelines = builder.finish();
    classify_starts(&mut timelines, &files);
    // Restarts are DDL-vocabulary events (`Welcome to TiDB`), so they reach the windows from the
    // timeline's cluster facts rather than from the scanner's signal path. A process's first
    // start is no fault, nor is a graceful restart while no job ran (a planned rolling restart
    // between jobs); an abrupt end, or any restart under a running job, is.
    let running = Running::new(&timelines.jobs);
    for s in &timelines.cluster.starts {
        let Some(ts) = s.evidence.ts else { continue };
        let under_a_job = running.at(ts);
        let fault = match s.kind {
            StartKind::First => false,
            StartKind::Restart { graceful } => !graceful || under_a_job,
        };
        if fault {
            let mut c = FaultCounter::default();
            c.add(crate::fault::FaultKind::Restart, ts, || s.evidence.clone());
            faults.add_counter(&s.instance, c);
        }
    }
    let fault_windows = crate::fault::windows(&faults);
    events.sort_by(|a, b| {
        (a.ts, &a.evidence.file, a.evidence.line).cmp(&(b.ts, &b.evidence.file, b.evidence.line))
    });
    Ok(Analysis {
        logs_end: end,
        outcomes,
        files,
        timelines,
        faults,
        fault_windows,
        events: Arc::new(events),
    })
}

/// What an input's files held, once their records are counted: intact content without a
/// single log record is said so ("no TiDB/TiKV/PD log record recognised in <file> (first line:
/// …)"), never called damage; an input with nothing in it at all says that.
///
/// Content without records counts against the input only when nothing else explains it:
///
/// * a file that should hold log records (a TiDB/TiKV/PD log by name or content, or the input
///   itself, as given on the command line or stdin) but holds none is unrecognised: the report
///   does not cover it, so it is incomplete (exit 3);
/// * a stderr log, a slow-query log or a config inside a bundle or directory is explained by
///   what it is: no message;
/// * damage or a usage problem already said why the input could not be read: no second message.
///
/// An archive of only such explained files (no log record anywhere in it) is unrecognised as a
/// whole: it cannot support a verdict, so it must not pass as clean.
fn judge_content(o: &mut InputOutcome, files: &[&FileResult]) {
    if o.usage.is_some() {
        // The command line stops on these before any report (exit 2); for other callers the
        // input is unreadable and says why.
        o.complete = false;
        o.unreadable = true;
        return;
    }
    let (bytes, records) = files
        .iter()
        .fold((0, 0), |(b, r), f| (b + f.stats.bytes, r + f.stats.records));
    if !o.errors.is_empty() {
        return;
    }
    for f in files {
        let expected = crate::source::is_log_kind(f.meta.kind) || f.meta.name == o.path;
        if expected && f.error.is_none() && f.stats.bytes > 0 && f.stats.records == 0 {
            o.unrecognised.push(unrecognised(&f.meta.name, &f.stats));
        }
    }
    if o.unrecognised.is_empty() && bytes > 0 && records == 0 {
        let first = files.iter().find(|f| f.stats.bytes > 0).expect("bytes > 0");
        let n = files.len();
        o.unrecognised.push(format!(
            "{}; none of the {n} file{} in {} is a TiDB/TiKV/PD log",
            unrecognised(&first.meta.name, &first.stats),
            if n == 1 { "" } else { "s" },
            o.path
        ));
    }
    if !o.unrecognised.is_empty() {
        o.complete = false;
    }
    if bytes == 0 && files.is_empty() && !o.deselected.is_empty() {
        // Every file belongs to an instance `--instance` did not ask for: nothing is missing.
        return;
    }
    if bytes == 0 {
        // Intact but empty (an empty archive or file). Said so, and marked unread: the exit
        // code must not call a bundle with no logs in it clean.
        o.errors.push(format!(
            "{}: nothing to read: {} files, 0 bytes of content (an empty archive, \
             directory or file; was the collection cut short?)",
            o.path,
            files.len()
        ));
        o.complete = false;
        o.unreadable = true;
    }
}

/// "no TiDB/TiKV/PD log record recognised in <name> (first line: "…"; N lines, read to byte B)".
fn unrecognised(name: &str, st: &FileStats) -> String {
    let first = match &st.first_line {
        Some(l) => format!("first line: \"{}\"", escape_controls(l)),
        None if st.nul_bytes > 0 => format!("only NUL bytes ({})", st.nul_bytes),
        None => "only blank lines".to_string(),
    };
    format!(
        "no TiDB/TiKV/PD log record recognised in {name} ({first}; {} line{}, read to byte {})",
        st.lines,
        if st.lines == 1 { "" } else { "s" },
        st.bytes
    )
}

/// A line from an unknown file, made safe for a terminal and for one-line messages: control
/// characters (escape sequences, NULs, tabs) are written as escapes, and long lines are cut.
fn escape_controls(s: &str) -> String {
    const SHOWN: usize = 80;
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == SHOWN {
            out.push('…');
            break;
        }
        match c {
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

/// Rotated files by their stamp, the active file (no stamp) last; files of the same name (two
/// tar members) in the order the walk found them, whichever worker finished first.
fn file_order(m: &FileMeta) -> (usize, String, bool, Option<String>, String, usize) {
    (
        m.input_index,
        m.instance.clone(),
        m.rotation.is_none(),
        m.rotation.clone(),
        m.name.clone(),
        m.ordinal,
    )
}
