//! What a bundle covers, per instance: which components' logs it holds and the time range of
//! each, so the default report says whether the bundle can answer the question at all (a TiDB
//! instance whose log starts after the job began, a TiKV missing) without `-v`.
//!
//! Built from [`Report::inputs`] alone, like every renderer's input. At most
//! [`SHOWN`] instances are listed; the rest are counted, and `-v` lists every file.

use std::collections::BTreeMap;

use crate::model::Timestamp;
use crate::report::Report;
use crate::source::FileKind;

/// Instances listed in the default report.
pub const SHOWN: usize = 12;

/// One instance's logs of one kind.
#[derive(Debug, Default)]
struct Span {
    files: usize,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

/// The coverage block: a heading and one line per instance
/// (`  tidb-0  TiDB log 19:21:09.480 → 19:21:11.546 (1 file)`), times written by `ts` (the
/// table's own time style). Empty when no log file was read.
pub fn block(report: &Report, ts: &dyn Fn(Option<&Timestamp>) -> String) -> String {
    let mut by: BTreeMap<&str, BTreeMap<FileKind, Span>> = BTreeMap::new();
    for f in report.inputs.iter().flat_map(|i| &i.files) {
        if !crate::source::is_log_kind(f.kind) {
            continue;
        }
        let s = by
            .entry(f.instance.as_str())
            .or_default()
            .entry(f.kind)
            .or_default();
        s.files += 1;
        s.first = min_opt(s.first, f.first_ts);
        s.last = s.last.max(f.last_ts);
    }
    if by.is_empty() {
        return String::new();
    }
    let width = by
        .keys()
        .take(SHOWN)
        .map(|i| unicode_width::UnicodeWidthStr::width(super::escape::terminal(i).as_ref()))
        .max()
        .unwrap_or(0);
    let mut out = format!(
        "Coverage ({} instance{})\n",
        by.len(),
        if by.len() == 1 { "" } else { "s" }
    );
    for (instance, kinds) in by.iter().take(SHOWN) {
        let name = super::escape::terminal(instance);
        let pad = width - unicode_width::UnicodeWidthStr::width(name.as_ref());
        let parts: Vec<String> = kinds
            .iter()
            .map(|(k, s)| {
                format!(
                    "{} {} → {} ({} file{})",
                    k.noun(),
                    ts(s.first.as_ref()),
                    ts(s.last.as_ref()),
                    s.files,
                    if s.files == 1 { "" } else { "s" }
                )
            })
            .collect();
        out.push_str(&format!("  {name}{:pad$}  {}\n", "", parts.join("; ")));
    }
    if by.len() > SHOWN {
        out.push_str(&format!(
            "  … and {} more instances (-v lists every file)\n",
            by.len() - SHOWN
        ));
    }
    out
}

fn min_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
