//! One large plain file on both cores: cut at seams ([`crate::scan::seam`]) into segments,
//! each scanned by its own [`Scanner`], with a result byte-identical to one scan of the file.
//!
//! The worker that took the file (the coordinator) scans the first segment straight into the
//! file's [`Window`] (and so its correlator and fault counter), then every later segment in
//! order: one that no helper took yet it scans itself, with its line numbers moved by the lines
//! before it; one a helper scanned, it replays from that helper's bounded channel, moving the
//! lines the same way. So the correlator (the store `new domain` opened, task-to-job links) and
//! `--since/--until` see every event in file order, as in the whole-file scan, and a helper that
//! gets far ahead waits on its channel instead of holding a file's worth of events.
//!
//! Helper threads are started only while a core would otherwise idle (no other file waits for
//! a worker), and stop taking segments when one does, so a directory of big files still reads
//! one file per core. Fault signals of a helper's segment are counted there when no window
//! applies (counting is order-free: the counter keeps the earliest samples by time, file and
//! line, and lines are moved before the merge); with a window they are replayed in order, since
//! the window is resolved at the file's first item. Should the merged count have dropped
//! buckets (past [`crate::fault::MAX_BUCKETS`], where the order would matter), the file is read
//! again whole: correctness first.

use std::fs::File;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use super::{interpreted, scanned, Discard, Interpret, Load, Options, Scanned, Window};
use crate::event::Event;
use crate::fault::{FaultCounter, Signal};
use crate::model::Timestamp;
use crate::scan::{seam, EventSink, FileStats, Prefilter, Scanner};
use crate::source::FileMeta;
use crate::timeline::FileCorrelator;

/// Items per message from a helper.
const BATCH: usize = 256;
/// Messages in flight per segment: what a helper may run ahead by.
const QUEUE: usize = 4;
/// Segments per thread when the size is picked automatically: small enough that the last
/// segment does not leave a core idle for long, large enough that seams cost nothing.
const PER_THREAD: u64 = 8;
const MIN_SEGMENT: u64 = 16 << 20;
const MAX_SEGMENT: u64 = 256 << 20;

/// What a helper found in its segment, in file order.
enum Item {
    Event(Box<Event>),
    /// Only when a window applies; else signals are counted in the helper.
    Signal {
        sig: &'static Signal,
        ts: Timestamp,
        line: u64,
        raw: Box<[u8]>,
    },
}

enum Msg {
    Items(Vec<Item>),
    Done {
        stats: FileStats,
        result: io::Result<()>,
        faults: Box<FaultCounter>,
    },
}

/// `Read` over `[off, end)` of a file (`end` `None`: to whatever end the file has by then),
/// by position: the segments of one open file are read at once without a shared cursor.
struct At<'f> {
    f: &'f File,
    off: u64,
    end: Option<u64>,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = match self.end {
            Some(e) => buf
                .len()
                .min(usize::try_from(e.saturating_sub(self.off)).unwrap_or(usize::MAX)),
            None => buf.len(),
        };
        if want == 0 {
            return Ok(0);
        }
        let n = seam::read_at(self.f, &mut buf[..want], self.off)?;
        self.off += n as u64;
        Ok(n)
    }
}

/// A helper's sink: events (and, with a window, signals) go to the coordinator in batches;
/// without a window, signals are counted here.
struct Buffer<'a> {
    tx: SyncSender<Msg>,
    items: Vec<Item>,
    faults: FaultCounter,
    /// No `--since/--until`: signals are counted here, as [`Window`] would count them.
    open: bool,
    file: &'a Arc<str>,
    /// The coordinator stopped listening (an earlier segment failed): nothing more is sent.
    gone: bool,
}

impl Buffer<'_> {
    fn push(&mut self, item: Item) {
        if self.gone {
            return;
        }
        self.items.push(item);
        if self.items.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.items.is_empty() && !self.gone {
            let batch = std::mem::replace(&mut self.items, Vec::with_capacity(BATCH));
            self.gone = self.tx.send(Msg::Items(batch)).is_err();
        }
    }
}

impl EventSink for Buffer<'_> {
    fn event(&mut self, ev: Event) {
        self.push(Item::Event(Box::new(ev)));
    }

    fn signal(
        &mut self,
        sig: &'static Signal,
        ts: Timestamp,
        file: &Arc<str>,
        line: u64,
        raw: &[u8],
    ) {
        if self.open {
            let evidence = || super::signal_evidence(file, line, ts, raw);
            self.faults.add(sig.kind, ts, evidence);
            return;
        }
        debug_assert!(Arc::ptr_eq(file, self.file));
        // Evidence keeps the first MAX_EVIDENCE_TEXT bytes of the line's lossy decoding; a
        // character is at most 4 bytes and decoding never shortens, so these bytes decide them
        // (a line may be a MiB long, and a helper holds a few thousand of these).
        let keep = raw.len().min(crate::scan::MAX_EVIDENCE_TEXT + 4);
        self.push(Item::Signal {
            sig,
            ts,
            line,
            raw: raw[..keep].into(),
        });
    }
}

/// Passes items on with their line numbers moved by the lines before the segment.
struct Offset<'s> {
    base: u64,
    inner: &'s mut dyn EventSink,
}

impl EventSink for Offset<'_> {
    fn event(&mut self, mut ev: Event) {
        ev.evidence.line += self.base;
        self.inner.event(ev);
    }

    fn signal(
        &mut self,
        sig: &'static Signal,
        ts: Timestamp,
        file: &Arc<str>,
        line: u64,
        raw: &[u8],
    ) {
        self.inner.signal(sig, ts, file, line + self.base, raw);
    }
}

/// A segment's counts added to the file's so far, in file order.
fn append(total: &mut FileStats, seg: FileStats) {
    if total.records == 0 {
        total.first_ts = seg.first_ts;
    }
    if seg.records > 0 {
        // Every segment after the first starts with a record: the last one holds the file's
        // last record.
        total.last_ts = seg.last_ts;
    }
    if total.first_line.is_none() {
        total.first_line = seg.first_line;
    }
    total.bytes += seg.bytes;
    total.lines += seg.lines;
    total.records += seg.records;
    total.continuations += seg.continuations;
    total.unparsed += seg.unparsed;
    total.truncated_lines += seg.truncated_lines;
    total.nul_bytes += seg.nul_bytes;
}

/// What every thread reading one file's segments shares.
struct Plan<'a> {
    f: &'a File,
    /// Segment `i` is `[starts[i], starts[i + 1])`, the last one to the end of the file.
    starts: Vec<u64>,
    /// The zone segment `i + 1` starts in.
    zones: Vec<chrono::FixedOffset>,
    opts: &'a Options,
    prefilter: &'a Prefilter,
    load: &'a Load,
    name: Arc<str>,
    instance: Arc<str>,
    how: Interpret,
    open: bool,
    /// The segments nobody took yet, `lo..hi`: the coordinator takes them from the front, in
    /// file order, and scans them straight into the window; helpers take them from the back.
    /// Taking from the back keeps the two out of each other's way: had a helper taken the
    /// next segment in order, the coordinator would wait for it while the helper took the next
    /// one again, and the file would be read on one core after all (measured so).
    left: Mutex<(usize, usize)>,
    stop: AtomicBool,
    senders: Vec<Mutex<Option<SyncSender<Msg>>>>,
    /// Helpers started for this file.
    helpers: AtomicUsize,
}

impl Plan<'_> {
    fn scanner(&self, i: usize) -> Scanner<'_> {
        let mut s = Scanner::new(
            self.name.clone(),
            self.instance.clone(),
            self.opts.scan.clone(),
            self.prefilter,
        );
        if i > 0 {
            s = s.lines_end_with_lf();
        }
        if let Some(z) = self.zones.get(i) {
            s = s.segment_before(*z);
        }
        s
    }

    fn reader(&self, i: usize) -> At<'_> {
        At {
            f: self.f,
            off: self.starts[i],
            end: self.starts.get(i + 1).copied(),
        }
    }

    /// Whether another helper would use a core nothing else waits for.
    fn wants_helper(&self) -> bool {
        let left = self.left.lock().map_or(0, |l| l.1.saturating_sub(l.0));
        if self.load.segmenting.force_helpers {
            return left > 0 && self.helpers.load(Ordering::Relaxed) + 1 < self.load.threads;
        }
        // One segment left is the coordinator's own.
        left >= 2 && self.load.idle() > 0
    }

    /// A segment for a helper: from the back; forced (tests), from the front, so that a
    /// segment the coordinator leaves to the helpers is taken next.
    fn take_back(&self) -> Option<usize> {
        let mut l = self.left.lock().ok()?;
        if l.0 >= l.1 {
            return None;
        }
        if self.load.segmenting.force_helpers {
            l.0 += 1;
            Some(l.0 - 1)
        } else {
            l.1 -= 1;
            Some(l.1)
        }
    }

    /// Whether the coordinator takes segment `i` itself: when nobody took it yet. Forced
    /// (tests), every odd segment is left to the helpers, so that both the replay and the
    /// coordinator's own scan of a later segment are exercised.
    fn take_front(&self, i: usize) -> bool {
        let Ok(mut l) = self.left.lock() else {
            return false;
        };
        let leave = self.load.segmenting.force_helpers && i % 2 == 1;
        if l.0 == i && l.0 < l.1 && !leave {
            l.0 += 1;
            return true;
        }
        false
    }

    /// A helper: takes segments until none is left, or until a file waits for its core.
    fn help(&self) {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
            if !self.load.segmenting.force_helpers {
                let l = self.load;
                let used = l.busy.load(Ordering::Relaxed)
                    + l.queued.load(Ordering::Relaxed)
                    + l.helpers.load(Ordering::Relaxed);
                if used > l.threads {
                    return;
                }
            }
            let Some(i) = self.take_back() else { return };
            let tx = self.senders[i]
                .lock()
                .map(|mut t| t.take())
                .ok()
                .flatten()
                .expect("a segment is taken once");
            let mut sink = Buffer {
                tx,
                items: Vec::with_capacity(BATCH),
                faults: FaultCounter::default(),
                open: self.open,
                file: &self.name,
                gone: false,
            };
            let mut reader = self.reader(i);
            let (stats, result) = if self.how == Interpret::Nothing {
                self.scanner(i).scan(&mut reader, &mut Discard)
            } else {
                self.scanner(i).scan(&mut reader, &mut sink)
            };
            sink.flush();
            let faults = Box::new(std::mem::take(&mut sink.faults));
            let _ = sink.tx.send(Msg::Done {
                stats,
                result,
                faults,
            });
        }
    }
}

/// Counts a helper thread in [`Load::helpers`] while it runs, panics included.
struct Helping<'a>(&'a Load);

impl Drop for Helping<'_> {
    fn drop(&mut self) {
        self.0.helpers.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Replays one helper's segment into `sink`, lines moved by `base`. `None` when the helper
/// vanished without finishing (it panicked: the run ends with an internal error).
fn replay(
    rx: &Receiver<Msg>,
    base: u64,
    name: &Arc<str>,
    sink: &mut dyn EventSink,
    counted: &mut FaultCounter,
) -> Option<(FileStats, io::Result<()>)> {
    for msg in rx.iter() {
        match msg {
            Msg::Items(items) => {
                for item in items {
                    match item {
                        Item::Event(mut ev) => {
                            ev.evidence.line += base;
                            sink.event(*ev);
                        }
                        Item::Signal { sig, ts, line, raw } => {
                            sink.signal(sig, ts, name, line + base, &raw)
                        }
                    }
                }
            }
            Msg::Done {
                stats,
                result,
                mut faults,
            } => {
                faults.shift_lines(base);
                counted.merge(*faults);
                return Some((stats, result));
            }
        }
    }
    None
}

/// Scans `f` in segments when that pays and can be done exactly; else hands the file back,
/// unread from its start, for the whole-file scan.
pub(super) fn scan(
    meta: &FileMeta,
    f: File,
    opts: &Options,
    prefilter: &Prefilter,
    load: &Load,
) -> Result<Scanned, File> {
    let seg = &load.segmenting;
    if load.threads < 2 {
        return Err(f);
    }
    let size = match f.metadata() {
        Ok(m) if m.is_file() && m.len() >= seg.min_file && m.len() > 0 => m.len(),
        _ => return Err(f),
    };
    let max_line = opts.scan.max_line.max(1);
    if !seam::lf_terminated(&f, max_line) {
        return Err(f);
    }
    let every = seg.bytes.unwrap_or_else(|| {
        (size / (load.threads as u64 * PER_THREAD)).clamp(MIN_SEGMENT, MAX_SEGMENT)
    });
    let seams = seam::plan(&f, size, every, max_line);
    if seams.is_empty() {
        return Err(f);
    }
    match scan_segments(meta, &f, seams, opts, prefilter, load) {
        Some(s) => Ok(s),
        None => Err(f),
    }
}

fn scan_segments(
    meta: &FileMeta,
    f: &File,
    seams: Vec<(u64, chrono::FixedOffset)>,
    opts: &Options,
    prefilter: &Prefilter,
    load: &Load,
) -> Option<Scanned> {
    let n = seams.len() + 1;
    let how = interpreted(meta.kind);
    let mut starts = vec![0];
    starts.extend(seams.iter().map(|s| s.0));
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..n)
        .map(|_| {
            let (tx, rx) = mpsc::sync_channel(QUEUE);
            (Mutex::new(Some(tx)), rx)
        })
        .unzip();
    let plan = Plan {
        f,
        starts,
        zones: seams.iter().map(|s| s.1).collect(),
        opts,
        prefilter,
        load,
        name: Arc::from(meta.name.as_str()),
        instance: Arc::from(meta.instance.as_str()),
        how,
        open: opts.window.is_open(),
        left: Mutex::new((1, n)),
        stop: AtomicBool::new(false),
        senders,
        helpers: AtomicUsize::new(0),
    };
    let mut corr = FileCorrelator::new();
    let mut faults = FaultCounter::default();
    let mut counted = FaultCounter::default();
    let mut collected = Vec::new();
    let mut window = Window::new(how, opts, &mut corr, &mut collected, &mut faults);
    let mut stats = FileStats::default();
    let mut result = Ok(());
    let mut replayed = 0usize;
    let mut receivers = Some(receivers);
    let vanished = std::thread::scope(|s| {
        // Dropped when this closure returns, before the scope waits for the helpers: a
        // helper blocked on a full channel then stops waiting.
        let receivers = receivers.take().expect("taken once");
        let plan = &plan;
        let mut vanished = false;
        for (i, rx) in receivers.iter().enumerate() {
            while plan.wants_helper() {
                load.helpers.fetch_add(1, Ordering::Relaxed);
                plan.helpers.fetch_add(1, Ordering::Relaxed);
                s.spawn(move || {
                    let _count = Helping(load);
                    plan.help();
                });
            }
            let base = stats.lines;
            let mine = i == 0 || plan.take_front(i);
            let mut discard = Discard;
            let sink: &mut dyn EventSink = if how == Interpret::Nothing {
                &mut discard
            } else {
                &mut window
            };
            let (st, res) = if mine {
                let mut reader = plan.reader(i);
                plan.scanner(i)
                    .scan(&mut reader, &mut Offset { base, inner: sink })
            } else {
                replayed += 1;
                match replay(rx, base, &plan.name, sink, &mut counted) {
                    Some(done) => done,
                    None => {
                        vanished = true;
                        break;
                    }
                }
            };
            append(&mut stats, st);
            if res.is_err() {
                result = res;
                break;
            }
        }
        plan.stop.store(true, Ordering::Relaxed);
        vanished
    });
    if vanished {
        // Only a panic ends a helper early, and the scope has re-raised it by now.
        unreachable!("a segment helper stopped without a panic");
    }
    let held: Vec<_> = std::mem::take(&mut window.held).into();
    drop(window);
    faults.merge(counted);
    if faults.dropped > 0 {
        // Past the bucket cap the kept buckets depend on the order lines arrive in.
        return None;
    }
    if load.trace {
        eprintln!(
            "ddldiag debug: {} read in {n} segments, {replayed} from helpers",
            meta.name
        );
    }
    Some(scanned(
        meta.clone(),
        stats,
        result,
        corr,
        faults,
        collected,
        held,
    ))
}
