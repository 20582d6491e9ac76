//! Physical lines → records → events, for one file.
//!
//! Every physical line is accounted for: it starts a record, continues the previous record
//! (a stack dump, a hard wrap), or is counted as unparsed. Only lines that pass a cheap
//! literal prefilter ([`Prefilter`]) are parsed in full and turned into events; the others
//! cost a newline search, a header check and one substring scan.

use std::io::{self, Read};
use std::sync::Arc;

use aho_corasick::AhoCorasick;

use crate::event::signal::{Signal, SignalMatcher};
use crate::event::{Event, Evidence};
use crate::model::Timestamp;
use crate::record;

pub mod seam;

/// Lines longer than this are cut to it (and counted): a 100 MB line must not take 100 MB.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;
/// Evidence keeps at most this much of a raw line.
pub const MAX_EVIDENCE_TEXT: usize = 4096;
const READ_CHUNK: usize = 256 * 1024;

/// Options of the scanner.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub max_line: usize,
    /// Parse every record line in full instead of only prefiltered candidates. Slower; the
    /// reports must be identical (a test checks it), so this exists to prove the prefilter safe.
    pub full_parse: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_line: DEFAULT_MAX_LINE,
            full_parse: false,
        }
    }
}

/// Where events go.
pub trait EventSink {
    fn event(&mut self, ev: Event);

    /// A record line that is not a DDL event but carries a fault signal
    /// ([`crate::event::signal::SIGNALS`]). Most sinks ignore these; the analysis counts them.
    fn signal(
        &mut self,
        _sig: &'static Signal,
        _ts: Timestamp,
        _file: &Arc<str>,
        _line: u64,
        _raw: &[u8],
    ) {
    }
}

impl EventSink for Vec<Event> {
    fn event(&mut self, ev: Event) {
        self.push(ev);
    }
}

/// Counts for one file. `records + continuations + unparsed == lines`, always.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileStats {
    pub bytes: u64,
    pub lines: u64,
    pub records: u64,
    pub continuations: u64,
    pub unparsed: u64,
    pub truncated_lines: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    /// NUL bytes dropped at line starts (the hole a copy-truncate rotation leaves at the start
    /// of a log its writer kept appending to). They are in `bytes`, not in any line.
    pub nul_bytes: u64,
    /// The first physical line with content, cut to [`FIRST_LINE_CHARS`] characters: what a
    /// file without a single record is named by ("first line: …").
    pub first_line: Option<String>,
}

/// How much of a file's first line [`FileStats::first_line`] keeps.
pub const FIRST_LINE_CHARS: usize = 120;

/// The cheap test that decides which record lines are parsed in full.
///
/// Every message in [`crate::event::vocab::VOCAB`] contains one of [`ANCHORS`] and every
/// fault-signal literal ([`crate::event::signal::SIGNALS`]) contains one of [`SIGNAL_ANCHORS`] (unit
/// tests check both), so a line the timeline or the fault counter needs is never skipped.
///
/// Only records whose message cannot be read raw come here ([`Scanner::record`]): unified
/// lines, nearly every line of a real log, are decided on their message and searched only for
/// the exact signal literals. So the anchors are chosen to be specific rather than few; both
/// lists together stay within the 64 literals of aho-corasick's SIMD (Teddy) searcher.
pub struct Prefilter {
    /// DDL anchors first, then the signal anchors.
    ac: AhoCorasick,
    /// DDL anchors alone, to look past a signal anchor for a DDL anchor.
    ddl: AhoCorasick,
    n_ddl: usize,
    /// The exact signal literals, consulted only on lines a signal anchor picked.
    signals: SignalMatcher,
    /// For each signal anchor, the signals whose literal contains it, with a searcher for
    /// the literal built once (building one per line was 4% of a scan).
    by_anchor: Vec<Vec<(&'static Signal, memchr::memmem::Finder<'static>)>>,
}

/// What the prefilter says about a record line.
#[derive(Debug, Clone, Copy)]
pub enum Candidate {
    /// Neither a DDL anchor nor a fault signal: counted only.
    No,
    /// May be a DDL event: parse in full.
    Ddl,
    /// Only a fault signal: the counter needs its time and kind, not a full parse.
    Signal(&'static Signal),
}

/// Literals that every vocabulary message contains at least one of, for the records whose
/// message cannot be read raw (JSON, the old text forms, wrapped lines; see [`Scanner::record`]):
/// specific words of the messages, not words as common as `job`, ` index` or ` failed`, which
/// ordinary lines (`gc job`, `add index` in a schema diff, `run statement failed`) are full of.
/// Each was chosen by how many vocabulary rows it covers against how many other lines of the
/// corpus and of the generated benchmark logs it matches.
pub const ANCHORS: &[&str] = &[
    // `add DDL jobs`, `run DDL job ...`, `finish DDL job`, `DDL job is finished`, ...
    "DDL job",
    // `handle ddl job failed`, `... start to resume the ddl job`.
    "ddl job",
    // `run add index job failed, convert job to rollback`, `run job failed`, ...
    "job failed",
    // `run one job step`, `on next step`, `switch to next step`, `schedule step failed`.
    " step",
    // schema version / all versions / self version (schema sync). The leading space keeps
    // out `schemaVersion=` fields and coprocessor lines' `processed_versions:`.
    " version",
    // `get owner`, `retire owner`, `is not the owner`, `mdl gets lock, update to owner`.
    " owner",
    "etcd-cli",
    "full load",
    "Welcome to TiDB",
    "new domain",
    "signal to exit",
    // `run reorg job done`, `run reorg job wait timeout`.
    "reorg job",
    "backfill",
    // `run add index job`, `start to add table index`, `adjusted add-index task ...`.
    " add ",
    // `lightning import error`, `start import engine`, `cloud import executor ...`.
    "import",
    "ingest",
    // Every DXF message: `task reverted`, `subtask failed`, `taskExecutor met first error`, ...
    "task",
    // `met retryable error`, `meet un-retryable error`.
    "retryable err",
    // `pause the job successfully`, `job paused by user`.
    "pause",
    "onNextStage",
    "onError",
    // `meet error and handle the job later` and its master spelling.
    "job later",
    "generate plan",
    "s3 reader",
    "read all data",
    "allocate memory",
    "close writer",
    "local backend",
    // `resume checkpoint`, `create checkpoint manager failed`.
    "checkpoint",
    // `old running transaction block DDL`.
    "block DDL",
    // `pause user DDL by system successful`.
    "user DDL",
    // `found hotspot file in getFilesReadConcurrency` (global-sort reads).
    "getFilesReadConcurrency",
];

/// Literals that every fault-signal literal contains at least one of (two signals may share
/// one: `TiKV server ` covers both TiKV timeout and busy).
pub const SIGNAL_ANCHORS: &[&str] = &[
    "Region is unavailable",
    "PD server timeout",
    "TiKV server ",
    "backoffer.maxSleep",
    "batchRecvLoop",
    "regions need be refill",
    "timestamp too slow",
    "tso stream",
    "TSO stream",
    "connection aborted",
    "leader ok",
];

impl Default for Prefilter {
    fn default() -> Self {
        Self::new(ANCHORS)
    }
}

impl Prefilter {
    /// `anchors` are the DDL anchors; the fault-signal literals are always added after them, so
    /// that one scan of the line answers both questions.
    pub fn new(anchors: &[&str]) -> Self {
        // Leftmost-first semantics let aho-corasick use its SIMD "packed" (Teddy) searcher;
        // the default (standard) semantics cannot, and scan several times slower.
        fn build<P: AsRef<[u8]>>(pats: &[P]) -> AhoCorasick {
            AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(pats)
                .expect("anchor literals are valid patterns")
        }
        let all: Vec<&str> = anchors.iter().chain(SIGNAL_ANCHORS).copied().collect();
        Prefilter {
            ac: build(&all),
            ddl: build(anchors),
            n_ddl: anchors.len(),
            signals: SignalMatcher::default(),
            by_anchor: SIGNAL_ANCHORS
                .iter()
                .map(|a| {
                    crate::event::signal::SIGNALS
                        .iter()
                        .filter(|s| s.literal.contains(a))
                        .map(|s| (s, memchr::memmem::Finder::new(s.literal.as_bytes())))
                        .collect()
                })
                .collect(),
        }
    }

    pub fn is_candidate(&self, line: &[u8]) -> bool {
        self.ac.is_match(line)
    }

    /// Whether a DDL anchor is in `line`: what makes [`Prefilter::classify`] say `Ddl`.
    pub fn is_ddl_candidate(&self, line: &[u8]) -> bool {
        self.ddl.is_match(line)
    }

    /// One scan for non-matching lines (the vast majority); a line whose leftmost hit is a
    /// signal literal is scanned once more, past that hit, for a DDL anchor.
    pub fn classify(&self, line: &[u8]) -> Candidate {
        let Some(m) = self.ac.find(line) else {
            return Candidate::No;
        };
        let i = m.pattern().as_usize();
        if i < self.n_ddl {
            return Candidate::Ddl;
        }
        // A signal anchor came first: a DDL anchor further on still makes it a DDL line.
        if self.ddl.is_match(&line[m.start() + 1..]) {
            return Candidate::Ddl;
        }
        // Confirm the exact signal literal among the few that contain this anchor.
        match self.by_anchor[i - self.n_ddl]
            .iter()
            .find(|(_, f)| f.find(line).is_some())
        {
            Some((sig, _)) => Candidate::Signal(sig),
            None => Candidate::No,
        }
    }
}

/// Scans one file's decoded bytes.
pub struct Scanner<'p> {
    file: Arc<str>,
    instance: Arc<str>,
    opts: ScanOptions,
    prefilter: &'p Prefilter,
    stats: FileStats,
    /// A record line that may continue on the next physical line (hard wrap): held back
    /// until the next record start, then parsed joined.
    pending: Option<Pending>,
    last_head: Vec<u8>,
    seen_record: bool,
    /// The line terminator, once the file has shown it ([`Scanner::scan`]); `None` until then.
    term: Option<u8>,
    /// A JSON object being read over several lines (`log.format = "json"` logs pretty-printed
    /// by a person or a viewer, #45450).
    json: Option<JsonObject>,
    /// The time and line of the last multi-line JSON record, for `last_ts`.
    last_json: Option<(u64, Timestamp)>,
    /// The line of the record `last_head` holds.
    last_head_line: u64,
    /// The zone of the file's last record that had one: zone-less lines in the same file (Go
    /// std-log lines of an embedded library, written in the same local time) are read in it.
    zone: Option<chrono::FixedOffset>,
    /// The zone text (`" +08:00"`, bytes 24..31) of the last unified header read, and its offset.
    zone_text: Option<([u8; 7], chrono::FixedOffset)>,
    /// For a segment of a file that the next segment continues ([`Scanner::segment_before`]):
    /// the zone the next segment's first line sets before it flushes a held wrapped record.
    next_zone: Option<chrono::FixedOffset>,
}

/// The lines of a JSON object spread over several lines, until its closing `}`. Each line is
/// counted as a non-record line as it comes (most `{` lines are not log records); when the object
/// closes and parses as a record, the counts are corrected: its first line is the record, the
/// others its continuations.
struct JsonObject {
    line_no: u64,
    /// The lines joined with blanks (JSON whitespace; a line break inside a JSON string is
    /// always escaped), so the record quotes as one line.
    text: Vec<u8>,
    /// The first line was counted as unparsed (no record before it) rather than a continuation.
    first_unparsed: bool,
    /// How many of the other lines were counted as unparsed.
    unparsed: u64,
    lines: u64,
}

/// A multi-line JSON object gives up after this many lines.
const MAX_JSON_LINES: u64 = 10_000;

/// True when a non-record line opens a pretty-printed JSON log object: `{` alone, or `{` and
/// the first keys of a TiDB JSON record.
fn opens_json(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t == b"{"
        || (t.first() == Some(&b'{')
            && (memchr::memmem::find(t, b"\"level\"").is_some()
                || memchr::memmem::find(t, b"\"time\"").is_some()))
}

struct Pending {
    line_no: u64,
    /// The record joined from its physical lines (what is parsed).
    text: Vec<u8>,
    /// Length of the first physical line in `text`: evidence quotes only that line, so that
    /// `text` in a report can be grepped for in the original file (DESIGN.md §4).
    first_len: usize,
    /// What goes between the joined lines: nothing for a hard wrap, a line break for a message
    /// that spans lines ([`record::Join`]).
    sep: Option<u8>,
    /// Where the first line's message starts, for a unified record ([`record::record_start_body`]).
    body: Option<usize>,
}

impl<'p> Scanner<'p> {
    pub fn new(
        file: Arc<str>,
        instance: Arc<str>,
        opts: ScanOptions,
        prefilter: &'p Prefilter,
    ) -> Self {
        Scanner {
            file,
            instance,
            opts,
            prefilter,
            stats: FileStats::default(),
            pending: None,
            last_head: Vec::with_capacity(256),
            seen_record: false,
            term: None,
            json: None,
            last_json: None,
            last_head_line: 0,
            zone: None,
            zone_text: None,
            next_zone: None,
        }
    }

    /// A scanner for one segment of a file whose lines are known to end with LF (the first
    /// segment showed it): the terminator is not guessed again from this segment's bytes.
    /// See [`seam`] for why a segment scanned apart gives what the whole-file scan gives.
    pub fn lines_end_with_lf(mut self) -> Self {
        self.term = Some(b'\n');
        self
    }

    /// This scanner reads a segment that ends where the next one starts, at a unified record
    /// start written in `zone`. In the whole-file scan that line sets the zone *before* it
    /// flushes the wrapped record held back from this segment; a zone-less wrapped record is
    /// then read in that zone, so the segment's last flush must be too.
    pub fn segment_before(mut self, zone: chrono::FixedOffset) -> Self {
        self.next_zone = Some(zone);
        self
    }

    /// Reads `r` to the end (or to the first error), scanning every line.
    ///
    /// Returns the counts of what was read and, separately, the read error that stopped it:
    /// a damaged file still yields everything before the damage.
    ///
    /// Lines end at LF (a CR before it is dropped). A file is taken to end its lines with a bare
    /// CR (classic Mac, some Windows tools) only from what is seen: no LF at all in its first
    /// line-cap bytes, or in the whole file when it is shorter, and a CR among them. Until an LF
    /// or that much data has been seen the question stays open, so no read size, first-chunk
    /// boundary or early CR inside a long LF-terminated line can decide it.
    pub fn scan(
        mut self,
        r: &mut dyn Read,
        sink: &mut dyn EventSink,
    ) -> (FileStats, io::Result<()>) {
        let cap = self.opts.max_line.max(1);
        // One line of `cap` bytes and its terminator fit, so a line of exactly the cap is whole.
        let max_buf = READ_CHUNK.max(cap + 1);
        let mut buf = vec![0u8; READ_CHUNK.min(max_buf)];
        let mut start = 0usize; // start of the unfinished line in buf
        let mut end = 0usize; // end of valid data
        let mut pos = 0usize; // where the terminator search resumes
        let mut skipping = false; // inside an over-long line, dropping bytes until its end
        let result = loop {
            // A line that starts with NUL bytes (copy-truncate rotation leaves a hole of them
            // at the start of the file; a crash can leave one mid-file): drop them as they
            // arrive, however many, so that they never fill the line buffer.
            if !skipping && start < end && buf[start] == 0 {
                let run = buf[start..end].iter().take_while(|&&b| b == 0).count();
                self.stats.nul_bytes += run as u64;
                start += run;
            }
            if end == buf.len() {
                if start > 0 {
                    buf.copy_within(start..end, 0);
                    end -= start;
                    pos -= start;
                    start = 0;
                } else {
                    // `end - start <= cap` here (longer lines were cut below), so this grows.
                    let n = (buf.len() * 2).min(max_buf);
                    buf.resize(n, 0);
                }
            }
            let n = match r.read(&mut buf[end..]) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(e),
            };
            self.stats.bytes += n as u64;
            if self.term.is_none() && memchr::memchr(b'\n', &buf[end..end + n]).is_some() {
                self.term = Some(b'\n');
            }
            end += n;
            loop {
                let term = self.term.unwrap_or(b'\n');
                while let Some(i) = memchr::memchr(term, &buf[pos..end]) {
                    let nl = pos + i;
                    if skipping {
                        skipping = false;
                    } else {
                        self.cut_line(&buf[start..nl], sink);
                    }
                    pos = nl + 1;
                    start = pos;
                }
                pos = end;
                if skipping {
                    start = end;
                    pos = end;
                }
                // NULs at the start of the unfinished line are dropped (see the top of the
                // loop) before it can count as over-long.
                if start < end && buf[start] == 0 {
                    let run = buf[start..end].iter().take_while(|&&b| b == 0).count();
                    self.stats.nul_bytes += run as u64;
                    start += run;
                }
                if end - start <= cap {
                    break;
                }
                // An unfinished line longer than the cap. With no LF seen yet and a CR in it,
                // this is a CR-terminated file: split what is held on CR instead of cutting it.
                if self.term.is_none() && memchr::memchr(b'\r', &buf[start..end]).is_some() {
                    self.term = Some(b'\r');
                    pos = start;
                    continue;
                }
                // Keep the first `cap` bytes as the line and drop the rest until its end.
                self.stats.truncated_lines += 1;
                let line = &buf[start..start + cap];
                self.line(line, sink);
                start = end;
                pos = end;
                skipping = true;
                break;
            }
        };
        if self.term.is_none() && memchr::memchr(b'\r', &buf[start..end]).is_some() {
            // The whole file had no LF: its lines end with CR.
            self.term = Some(b'\r');
            let mut pos = start;
            while let Some(i) = memchr::memchr(b'\r', &buf[pos..end]) {
                let line = buf[start..pos + i].to_vec();
                self.cut_line(&line, sink);
                pos += i + 1;
                start = pos;
            }
        }
        if start < end && !skipping {
            let line = buf[start..end].to_vec();
            self.cut_line(&line, sink);
        }
        if let Some(z) = self.next_zone {
            self.zone = Some(z);
        }
        self.flush_pending(sink);
        match self.last_json {
            Some((line, ts)) if line > self.last_head_line => self.stats.last_ts = Some(ts),
            _ => {
                if let Some(ts) = self.last_ts_from_head() {
                    self.stats.last_ts = Some(ts);
                }
            }
        }
        (self.stats, result)
    }

    /// A whole physical line: cut to the line cap (and counted) when longer.
    fn cut_line(&mut self, line: &[u8], sink: &mut dyn EventSink) {
        // In a CR-terminated file an LF after the CR belongs to the terminator.
        let line = if self.term == Some(b'\r') {
            line.strip_prefix(b"\n").unwrap_or(line)
        } else {
            line
        };
        if line.len() > self.opts.max_line {
            self.stats.truncated_lines += 1;
            self.line(&line[..self.opts.max_line], sink);
        } else {
            self.line(line, sink);
        }
    }

    fn last_ts_from_head(&self) -> Option<Timestamp> {
        let s = String::from_utf8_lossy(&self.last_head);
        record::parse_line(&s).map(|r| self.local(&r))
    }

    /// A record's time, a zone-less one read in the zone of the file's records.
    fn local(&self, rec: &record::Record<'_>) -> Timestamp {
        match self.zone {
            Some(z) if rec.format.is_zoneless() => record::time::in_zone(rec.ts, z),
            _ => rec.ts,
        }
    }

    /// Remembers the zone of a record's time, when it has one.
    fn learn_zone(&mut self, rec: &record::Record<'_>) {
        if !rec.format.is_zoneless() {
            self.zone = Some(*rec.ts.offset());
        }
    }

    /// Handles one physical line (terminator removed).
    fn line(&mut self, line: &[u8], sink: &mut dyn EventSink) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // NULs before the line (a short run the read loop did not see whole): not content.
        let nuls = line.iter().take_while(|&&b| b == 0).count();
        self.stats.nul_bytes += nuls as u64;
        let line = &line[nuls..];
        self.stats.lines += 1;
        let line_no = self.stats.lines;
        if self.stats.first_line.is_none() && line.iter().any(|b| !b.is_ascii_whitespace()) {
            let text = String::from_utf8_lossy(&line[..line.len().min(4 * FIRST_LINE_CHARS)]);
            self.stats.first_line = Some(text.chars().take(FIRST_LINE_CHARS).collect());
        }
        if let Some((join, body)) = record::record_start_body(line) {
            // A record inside an unfinished JSON object: it was no object after all.
            self.json = None;
            if line.first() == Some(&b'[') {
                // The zone text of the header, read into an offset only when it changes.
                let text = line.get(24..31);
                if text.is_some() && text == self.zone_text.as_ref().map(|(t, _)| &t[..]) {
                    self.zone = self.zone_text.map(|(_, z)| z);
                } else if let Some(z) = line.get(1..).and_then(record::time::unified_offset) {
                    self.zone = Some(z);
                    self.zone_text = text.and_then(|t| Some((t.try_into().ok()?, z)));
                }
            }
            self.stats.records += 1;
            self.flush_pending(sink);
            if !self.seen_record {
                self.seen_record = true;
                let s = String::from_utf8_lossy(line);
                self.stats.first_ts = record::parse_line(&s).map(|r| {
                    self.learn_zone(&r);
                    self.local(&r)
                });
            }
            // The head is read again only for the file's last record: of a unified line only its
            // header (`body` bytes: the time is all that is read), of others the first 256 bytes.
            self.last_head.clear();
            self.last_head
                .extend_from_slice(&line[..body.unwrap_or(256).min(line.len())]);
            self.last_head_line = line_no;
            let sep = match join {
                record::Join::None => None,
                record::Join::HardWrap => Some(None),
                record::Join::Lines => Some(Some(b'\n')),
            };
            if let Some(sep) = sep {
                self.pending = Some(Pending {
                    line_no,
                    text: line.to_vec(),
                    first_len: line.len(),
                    sep,
                    body,
                });
            } else {
                self.record(line, body, line.len(), line_no, sink);
            }
        } else if self.json_line(line, line_no, sink) {
            // Counted (and, if it closed a JSON record, parsed) there.
        } else if self.seen_record {
            self.stats.continuations += 1;
            if let Some(p) = &mut self.pending {
                // A lone time before the next record (a Grafana export puts each line's time
                // on a line of its own) belongs to that record, not to this one.
                let lone_time = std::str::from_utf8(line).is_ok_and(record::wrapper::is_lone_time);
                let sep = usize::from(p.sep.is_some());
                if !lone_time && p.text.len() + sep + line.len() <= self.opts.max_line {
                    p.text.extend(p.sep);
                    p.text.extend_from_slice(line);
                }
            }
        } else {
            self.stats.unparsed += 1;
        }
    }

    /// A non-record line, as part of a multi-line JSON object: counts it, and when it closes
    /// an object that is a record, re-counts the object's lines and parses it. Returns false
    /// when the line has nothing to do with JSON (the caller counts it).
    fn json_line(&mut self, line: &[u8], line_no: u64, sink: &mut dyn EventSink) -> bool {
        let unparsed = !self.seen_record;
        if self.json.is_none() {
            if self.pending.is_some() || !opens_json(line) {
                return false;
            }
            self.json = Some(JsonObject {
                line_no,
                text: line.trim_ascii().to_vec(),
                first_unparsed: unparsed,
                unparsed: 0,
                lines: 1,
            });
        } else if let Some(obj) = &mut self.json {
            obj.text.push(b' ');
            obj.text.extend_from_slice(line.trim_ascii());
            obj.lines += 1;
            obj.unparsed += u64::from(unparsed);
        }
        if unparsed {
            self.stats.unparsed += 1;
        } else {
            self.stats.continuations += 1;
        }
        let obj = self.json.as_ref().expect("set above");
        let too_big = obj.lines > MAX_JSON_LINES || obj.text.len() > self.opts.max_line;
        let closes = obj.lines > 1 && line.trim_ascii_start().first() == Some(&b'}');
        if too_big {
            self.json = None;
        } else if closes {
            let obj = self.json.take().expect("set above");
            let text = String::from_utf8_lossy(&obj.text);
            if let Some(ts) = record::parse_line(&text).map(|r| r.ts) {
                // The object is a record: its first line starts it, the rest continue it.
                self.stats.records += 1;
                if obj.first_unparsed {
                    self.stats.unparsed -= 1;
                } else {
                    self.stats.continuations -= 1;
                }
                self.stats.unparsed -= obj.unparsed;
                self.stats.continuations += obj.unparsed;
                if !self.seen_record {
                    self.seen_record = true;
                    self.stats.first_ts = Some(ts);
                }
                self.last_json = Some((obj.line_no, ts));
                let text = obj.text;
                self.record(&text, None, text.len(), obj.line_no, sink);
            }
        }
        true
    }

    fn flush_pending(&mut self, sink: &mut dyn EventSink) {
        if let Some(p) = self.pending.take() {
            self.record(&p.text, p.body, p.first_len, p.line_no, sink);
        }
    }

    /// One whole record: parsed in full when `--full-parse` is set or when it may be a DDL
    /// event, only counted as a fault signal when it is one, else nothing.
    ///
    /// A unified record (`body`, where its message starts) is decided on its message, read raw
    /// ([`record::unified::raw_message`]) and looked up in the vocabulary exactly as
    /// [`crate::event::to_event`] would look up the parsed one: a line becomes an event if and
    /// only if its message is a vocabulary row, so a miss needs no parse, only the signal search
    /// the full parse would have made. Other records (JSON, the old text forms, wrapped lines)
    /// and messages the raw read cannot be sure of go through the anchor prefilter.
    fn record(
        &mut self,
        text: &[u8],
        body: Option<usize>,
        first_len: usize,
        line_no: u64,
        sink: &mut dyn EventSink,
    ) {
        if self.opts.full_parse {
            return self.parse(text, body, first_len, line_no, sink);
        }
        let signal = |from| match self.prefilter.signals.find_from(text, from) {
            Some(sig) => Candidate::Signal(sig),
            None => Candidate::No,
        };
        let candidate = match (body, body.and_then(|b| vocab_gate(text, b))) {
            (_, Some(true)) => Candidate::Ddl,
            (Some(b), Some(false)) => signal(b),
            // A message the raw read cannot judge: a DDL anchor anywhere makes it a candidate
            // (as `classify` would), else only the body is searched for a signal.
            (Some(_), None) if self.prefilter.is_ddl_candidate(text) => Candidate::Ddl,
            (Some(b), None) => signal(b),
            (None, _) => self.prefilter.classify(text),
        };
        match candidate {
            Candidate::No => {}
            Candidate::Ddl => self.parse(text, body, first_len, line_no, sink),
            Candidate::Signal(sig) => self.signal_only(sig, text, first_len, line_no, sink),
        }
    }

    /// A line that only carries a fault signal: read its time from the header (falling back to
    /// a full parse for the JSON and legacy formats) and count it. No event, no allocation.
    fn signal_only(
        &mut self,
        sig: &'static Signal,
        line: &[u8],
        first_len: usize,
        line_no: u64,
        sink: &mut dyn EventSink,
    ) {
        // The header time, read in place: most signal lines need nothing else (their text
        // becomes evidence only for the first few of a kind, and the sink decodes it then).
        let quick = line
            .strip_prefix(b"[")
            .and_then(|rest| memchr::memchr(b']', rest).map(|e| &rest[..e]))
            .and_then(crate::record::time::parse_unified_bytes);
        let ts = match quick {
            Some(ts) => ts,
            None => match record::parse_line(&String::from_utf8_lossy(line)) {
                Some(r) => {
                    self.learn_zone(&r);
                    self.local(&r)
                }
                None => return,
            },
        };
        // Evidence quotes the physical line (`first_len` bytes), as the full-parse path does.
        sink.signal(
            sig,
            ts,
            &self.file,
            line_no,
            &line[..first_len.min(line.len())],
        );
    }

    /// Full parse of one record (possibly joined from a hard wrap) → events. The first
    /// `first_len` bytes of `line` are the physical line `line_no`, quoted as evidence.
    ///
    /// `body`, where a unified record's header ends, is where its fault-signal search starts:
    /// the header (time, level, logger, caller) says nothing of the cluster, and caller file
    /// names such as `backoff.go` or `client_batch.go` were a fifth of the searcher's false
    /// candidates. The fast path ([`Scanner::record`]) starts at the same place.
    fn parse(
        &mut self,
        line: &[u8],
        body: Option<usize>,
        first_len: usize,
        line_no: u64,
        sink: &mut dyn EventSink,
    ) {
        let text = String::from_utf8_lossy(line);
        let Some(mut rec) = record::parse_line(&text) else {
            return;
        };
        self.learn_zone(&rec);
        rec.ts = self.local(&rec);
        let raw = if first_len >= line.len() {
            std::borrow::Cow::Borrowed(text.as_ref())
        } else {
            String::from_utf8_lossy(&line[..first_len])
        };
        let evidence = Evidence {
            file: self.file.clone(),
            line: line_no,
            ts: Some(rec.ts),
            text: Arc::from(truncate_str(&raw, MAX_EVIDENCE_TEXT)),
        };
        let mut any = false;
        for ev in crate::event::to_event(&rec, &self.instance, evidence) {
            any = true;
            sink.event(ev);
        }
        // Only lines that are not DDL events count as fault signals: the job's own errors are
        // already on its timeline, and counting them again would make every retry loop look
        // like a cluster fault.
        if !any {
            if let Some(sig) = self.prefilter.signals.find_from(line, body.unwrap_or(0)) {
                sink.signal(
                    sig,
                    rec.ts,
                    &self.file,
                    line_no,
                    &line[..first_len.min(line.len())],
                );
            }
        }
    }
}

/// Whether the message of a unified line (its body starting at `body`) is a vocabulary row:
/// `None` when the message cannot be read without a full parse. The lookup is the one
/// [`crate::event::to_event`] makes: the old-style category prefix removed as
/// [`record::Record::message_and_category`] removes it, then [`vocab::lookup_with_job`] (which
/// removes one more), with [`vocab::may_match`] as a quick "no" on the first bytes.
///
/// A message with escapes is judged on its text before the first escape, which the decoded
/// message starts with: when that already rules out every row (and holds any category prefix
/// whole), the line is no event; otherwise it is parsed.
///
/// [`vocab::lookup_with_job`]: crate::event::vocab::lookup_with_job
/// [`vocab::may_match`]: crate::event::vocab::may_match
fn vocab_gate(line: &[u8], body: usize) -> Option<bool> {
    use crate::event::vocab;
    use record::unified::RawMessage;
    // One category prefix off, as a whole message or as a head that holds all of it.
    fn strip(m: &[u8], whole: bool) -> Option<&[u8]> {
        match record::split_category_bytes(m) {
            Some((_, bare)) => Some(bare),
            // A head that starts with `[` may be cut inside the prefix.
            None if !whole && m.first() == Some(&b'[') => None,
            None => Some(m),
        }
    }
    let (raw, whole) = match record::unified::raw_message_or_head(line, body)? {
        RawMessage::Whole(m) => (m, true),
        RawMessage::Head(h) => (h, false),
    };
    let m = strip(raw, whole)?;
    let bare = strip(m, whole)?;
    if (whole || bare.len() >= 4) && !vocab::may_match(bare) {
        return Some(false);
    }
    if !whole {
        return None;
    }
    let m = std::str::from_utf8(m).ok()?;
    Some(vocab::lookup_with_job(m).is_some())
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub fn truncate_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    &s[..i]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fault-signal literal contains a signal anchor, so no signal line is skipped.
    #[test]
    fn every_signal_literal_has_an_anchor() {
        for sig in crate::event::signal::SIGNALS {
            assert!(
                SIGNAL_ANCHORS.iter().any(|a| sig.literal.contains(a)),
                "add a signal anchor for {:?}",
                sig.literal
            );
        }
    }

    /// Up to 64 literals aho-corasick uses its SIMD (Teddy) searcher; past that, a far slower
    /// one. (Past 32 it is the "fat" Teddy, about half as fast as the slim one, which is why
    /// unified records, nearly every line of a real log, do not go through the prefilter.)
    #[test]
    fn prefilter_stays_within_the_simd_searcher() {
        assert!(ANCHORS.len() + SIGNAL_ANCHORS.len() <= 64);
    }

    /// The prefilter's contract: no vocabulary message can be skipped by the fast path.
    #[test]
    fn every_vocab_message_is_a_candidate() {
        let pf = Prefilter::default();
        // A row with placeholders (`DDL job {job} is finished`) needs its anchor in the literal
        // text, not across a placeholder.
        let missed: Vec<&str> = crate::event::vocab::VOCAB
            .iter()
            .map(|s| s.message)
            .filter(|m| {
                !m.split(['{', '}'])
                    .step_by(2)
                    .any(|part| pf.is_candidate(part.as_bytes()))
            })
            .collect();
        assert!(missed.is_empty(), "add an anchor for: {missed:?}");
    }

    fn scan_bytes(input: &[u8], max_line: usize) -> (FileStats, Vec<Event>) {
        let p = Prefilter::default();
        let opts = ScanOptions {
            max_line,
            full_parse: false,
        };
        let s = Scanner::new(Arc::from("f"), Arc::from("i"), opts, &p);
        let mut events = Vec::new();
        let (stats, r) = s.scan(&mut &input[..], &mut events);
        r.unwrap();
        (stats, events)
    }

    #[test]
    fn every_physical_line_is_counted_once() {
        let input = b"goroutine 1 [running]:\n[2024/01/13 19:21:09.480 +08:00] [INFO] [handle.go:186] [\"task not resumable\"] [taskKey=ddl/backfill/491]\n\tpanic: x\n\n[2024/01/13 19:21:09.482 +08:00] [INFO] [a.go:1] [x]";
        let (st, ev) = scan_bytes(input, DEFAULT_MAX_LINE);
        assert_eq!(
            (st.lines, st.records, st.continuations, st.unparsed),
            (5, 2, 2, 1)
        );
        assert_eq!(st.records + st.continuations + st.unparsed, st.lines);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].evidence.line, 2);
    }

    /// A record hard-wrapped by a person or a terminal is parsed joined, at its first line.
    #[test]
    fn hard_wrapped_record_is_joined_without_a_space() {
        let input = b"[2023/12/25 11:18:48.984 +00:00] [INFO] [ddl_worker.go:1000] [\"run DDL job\"] [jobID=125] [job=\"ID:125, Type:add index, State:running, SchemaState:writ\ne reorganization, SchemaID:2, TableID:12\n3, RowCount:0, ArgLen:0, start time: 2023-12-25 11:18:48.709 +0000 UTC, Err:<nil>, ErrCount:0, SnapshotVersion:0\"]\n";
        let (st, ev) = scan_bytes(input, DEFAULT_MAX_LINE);
        assert_eq!((st.lines, st.records, st.continuations), (3, 1, 2));
        let job = ev[0].job.as_ref().unwrap();
        assert_eq!(&*job.schema_state, "write reorganization");
        assert_eq!(job.table_id, Some(123));
        assert_eq!(ev[0].evidence.line, 1);
    }

    /// A JSON record pretty-printed over several lines (#45450) is one record at its first line.
    #[test]
    fn pretty_printed_json_is_one_record() {
        let input = b"{\n  \"level\": \"ERROR\",\n  \"time\": \"2023/07/18 09:33:51.968 +00:00\",\n  \"caller\": \"ddl_worker.go:942\",\n  \"message\": \"[ddl] run DDL job error\",\n  \"jobID\": 125,\n  \"error\": \"[tikv:9005]Region is unavailable\"\n}\n{\n  \"not\": \"a record\"\n}\n";
        let (st, ev) = scan_bytes(input, DEFAULT_MAX_LINE);
        assert_eq!(
            (st.lines, st.records, st.continuations, st.unparsed),
            (11, 1, 10, 0)
        );
        assert_eq!(ev.len(), 1);
        assert_eq!((ev[0].job_id, ev[0].evidence.line), (Some(125), 1));
        assert_eq!(
            st.first_ts.map(|t| crate::model::rfc3339(&t)).as_deref(),
            Some("2023-07-18T09:33:51.968+00:00")
        );
        assert_eq!(st.first_ts, st.last_ts);
        // Before any record, an object that is not one stays unparsed.
        let (st, _) = scan_bytes(b"{\n  \"a\": 1\n}\n", DEFAULT_MAX_LINE);
        assert_eq!((st.records, st.unparsed), (0, 3));
    }

    /// A Go std-log line (no zone) in a +08:00 log is read at +08:00: its wall clock is the
    /// same local time the records are written in, and the end of the logs must not move by
    /// the zone's offset.
    #[test]
    fn zoneless_lines_take_the_zone_of_the_file() {
        let input = b"[2025/12/23 06:09:14.000 +08:00] [INFO] [a.go:1] [x]\n2025/12/23 06:09:15 background error: creating object 000012\n";
        let (st, _) = scan_bytes(input, DEFAULT_MAX_LINE);
        assert_eq!(st.records, 2);
        assert_eq!(
            st.last_ts.map(|t| crate::model::rfc3339(&t)).as_deref(),
            Some("2025-12-23T06:09:15.000+08:00")
        );
    }

    #[test]
    fn nul_runs_at_line_starts_are_dropped() {
        let mut input = vec![0u8; 3 << 20];
        input.extend_from_slice(b"[2024/01/13 19:21:09.480 +08:00] [INFO] [a.go:1] [x]\n");
        input.extend_from_slice(&[0u8; 10]);
        input.extend_from_slice(b"[2024/01/13 19:21:09.481 +08:00] [INFO] [a.go:1] [y]\n");
        let (st, _) = scan_bytes(&input, 1 << 20);
        assert_eq!((st.lines, st.records, st.truncated_lines), (2, 2, 0));
        assert_eq!(st.nul_bytes, (3 << 20) + 10);
        assert!(st
            .first_line
            .unwrap()
            .starts_with("[2024/01/13 19:21:09.480"));
    }

    #[test]
    fn long_lines_are_cut_and_counted() {
        let mut input = b"[2024/01/13 19:21:09.480 +08:00] [INFO] [a.go:1] [x] [v=".to_vec();
        input.extend(std::iter::repeat_n(b'a', 5 << 20));
        input.extend_from_slice(b"]\n[2024/01/13 19:21:09.481 +08:00] [INFO] [a.go:1] [y]\n");
        let (st, _) = scan_bytes(&input, 1 << 20);
        assert_eq!((st.lines, st.records, st.truncated_lines), (2, 2, 1));
    }

    #[test]
    fn cr_only_files_are_split_on_cr() {
        let input = b"[2024/01/13 19:21:09.480 +08:00] [INFO] [a.go:1] [x]\r[2024/01/13 19:21:09.481 +08:00] [INFO] [a.go:1] [y]\r";
        let (st, _) = scan_bytes(input, DEFAULT_MAX_LINE);
        assert_eq!((st.lines, st.records), (2, 2));
    }

    /// Records what reaches the fault counter.
    #[derive(Default)]
    struct Signals(Vec<(u64, Vec<u8>)>);

    impl EventSink for Signals {
        fn event(&mut self, _ev: Event) {}
        fn signal(
            &mut self,
            _s: &'static Signal,
            _t: Timestamp,
            _f: &Arc<str>,
            line: u64,
            raw: &[u8],
        ) {
            self.0.push((line, raw.to_vec()));
        }
    }

    /// A hard-wrapped signal line is evidence by its first physical line in both modes (found
    /// by the long generated run: the fast path quoted the joined text).
    #[test]
    fn wrapped_signal_line_quotes_its_physical_line() {
        let first = b"[2024/01/12 17:20:56.877 +08:00] [WARN] [session.go:2251] ";
        let mut input = first.to_vec();
        input.extend_from_slice(
            b"\n[\"run statement failed\"] [error=\"[tikv:9001]PD server timeout: \"]\n",
        );
        for full_parse in [false, true] {
            let signals = scan_signals(&input, full_parse);
            assert_eq!(
                signals,
                vec![(1, first.to_vec())],
                "full_parse={full_parse}"
            );
        }
    }

    /// The (line, quoted text) of every signal the scanner reports in `input`.
    fn scan_signals(input: &[u8], full_parse: bool) -> Vec<(u64, Vec<u8>)> {
        let p = Prefilter::default();
        let opts = ScanOptions {
            max_line: DEFAULT_MAX_LINE,
            full_parse,
        };
        let s = Scanner::new(Arc::from("f"), Arc::from("i"), opts, &p);
        let mut sink = Signals::default();
        s.scan(&mut &input[..], &mut sink).1.unwrap();
        sink.0
    }

    /// A unified header is not searched for signals, on either path; the body is, whether the
    /// fast path could read the message raw (lines 1-2) or not (lines 3-4, an escape in it).
    #[test]
    fn signals_are_searched_after_a_unified_header() {
        let input = concat!(
            "[2024/01/12 17:20:56.877 +08:00] [WARN] [backoffer.maxSleep.go:7] [\"ok\"]\n",
            "[2024/01/12 17:20:56.878 +08:00] [WARN] [backoff.go:7] [\"regionMiss backoffer.maxSleep 40000ms is exceeded\"]\n",
            "[2024/01/12 17:20:56.879 +08:00] [WARN] [x.go:7] [\"a \\\"q\\\" b\"] [error=\"PD server timeout\"]\n",
            "[2024/01/12 17:20:56.880 +08:00] [WARN] [backoffer.maxSleep.go:7] [\"a \\\"q\\\" b\"]\n",
        );
        for full_parse in [false, true] {
            let signals = scan_signals(input.as_bytes(), full_parse);
            let lines: Vec<u64> = signals.iter().map(|(l, _)| *l).collect();
            assert_eq!(lines, vec![2, 3], "full_parse={full_parse}");
        }
    }
}
