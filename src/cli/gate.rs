//! Nothing judged is not clean (DESIGN.md §3): the checks that stop a run whose inputs cannot
//! support a verdict, before any report is written, and the one-line summary every run ends
//! with on stderr.
//!
//! A CI gate that exits 0 on the wrong bundle (only TiKV logs), on a `--job` that is not in
//! the logs or on a window past their end would pass green having judged nothing. Each case
//! exits 2 with one line saying what was found instead. They apply only to a complete read:
//! when something was damaged, exit 3 already fails the gate and the report says what was
//! lost, which may be exactly what was sought.

use std::collections::BTreeMap;

use crate::analyze::Analysis;
use crate::model::{rfc3339, ExitCode, TimeWindow, Timestamp};
use crate::report::Report;
use crate::source::FileKind;

/// How many job ids a "not in the logs" message names.
const JOBS_NAMED: usize = 5;

/// The checks that need no job id: the `--instance` selection, a TiDB log among the inputs, a
/// window that holds a line. `Err` is the one-line message (exit 2).
pub fn check(a: &Analysis, window: &TimeWindow, instances: &[String]) -> Result<(), String> {
    check_instances(a, instances)?;
    if !a.complete() {
        return Ok(());
    }
    check_tidb_log(a)?;
    check_window(a, window)
}

/// Every `--instance` names some file: a typo must not silently read nothing of that node.
fn check_instances(a: &Analysis, instances: &[String]) -> Result<(), String> {
    if instances.is_empty() {
        return Ok(());
    }
    let mut found: BTreeMap<&str, u64> = BTreeMap::new();
    for f in &a.files {
        *found.entry(f.meta.instance.as_str()).or_default() += 1;
    }
    for o in &a.outcomes {
        for (i, n) in &o.deselected {
            *found.entry(i.as_str()).or_default() += n;
        }
    }
    let missing: Vec<&str> = instances
        .iter()
        .filter(|i| !a.files.iter().any(|f| &f.meta.instance == *i))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = found
        .iter()
        .take(10)
        .map(|(i, n)| format!("{i} ({n} file{})", plural(*n)))
        .collect();
    let more = found.len().saturating_sub(10);
    Err(format!(
        "--instance {} matches no file; the inputs hold {}{}",
        missing.join(", "),
        if shown.is_empty() {
            "no file".to_string()
        } else {
            format!("instances {}", shown.join(", "))
        },
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    ))
}

/// At least one TiDB log with a record in it: DDL jobs are judged from tidb.log alone.
fn check_tidb_log(a: &Analysis) -> Result<(), String> {
    if a.files
        .iter()
        .any(|f| f.meta.kind == FileKind::TidbLog && f.stats.records > 0)
    {
        return Ok(());
    }
    let mut kinds: BTreeMap<FileKind, u64> = BTreeMap::new();
    for f in &a.files {
        *kinds.entry(f.meta.kind).or_default() += 1;
    }
    let found: Vec<String> = kinds
        .iter()
        .map(|(k, n)| format!("{}s ({n} file{})", k.noun(), plural(*n)))
        .collect();
    let found = match found.len() {
        0 => "no file".to_string(),
        1 => format!("only {}", found[0]),
        _ => {
            let (last, rest) = found.split_last().expect("two or more");
            format!("only {} and {last}", rest.join(", "))
        }
    };
    Err(format!(
        "no TiDB log among the inputs ({found}): DDL jobs are judged from tidb.log, so nothing \
         was judged; add the TiDB instances' logs"
    ))
}

/// The window holds a line of some file, judged by each file's first and last record time
/// (a window that falls in a gap inside one file is not told apart: that needs every line's
/// time, which the scanner reads only for the lines it parses).
fn check_window(a: &Analysis, window: &TimeWindow) -> Result<(), String> {
    if window.is_open() {
        return Ok(());
    }
    let ranges: Vec<(Timestamp, Timestamp)> = a
        .files
        .iter()
        .filter_map(|f| Some((f.stats.first_ts?, f.stats.last_ts?)))
        .collect();
    let Some(&(first0, _)) = ranges.first() else {
        return Ok(());
    };
    let (s, u) = window.resolve(*first0.offset(), a.logs_end);
    if let (Some(s), Some(u)) = (s, u) {
        if s > u {
            // Mixed forms that cross once the logs' end is known (`--since 19:21 --until -1h`).
            return Err(format!(
                "--since ({}) is after --until ({}): the window is empty",
                rfc3339(&s),
                rfc3339(&u)
            ));
        }
    }
    let holds = ranges.iter().any(|&(first, last)| {
        let (s, u) = window.resolve(*first.offset(), a.logs_end);
        !(s.is_some_and(|s| last < s) || u.is_some_and(|u| first > u))
    });
    if holds {
        return Ok(());
    }
    let start = ranges.iter().map(|r| r.0).min().expect("a range");
    let end = ranges.iter().map(|r| r.1).max().expect("a range");
    let asked = match (s, u) {
        (Some(s), Some(u)) => format!("between {} and {}", rfc3339(&s), rfc3339(&u)),
        (Some(s), None) => format!("at or after {}", rfc3339(&s)),
        (None, Some(u)) => format!("at or before {}", rfc3339(&u)),
        (None, None) => "in the window".to_string(),
    };
    Err(format!(
        "no log line {asked}: the logs run from {} to {}",
        rfc3339(&start),
        rfc3339(&end)
    ))
}

/// `--job ID` is in the logs (in the window, when one is given); else which jobs are.
pub fn check_job(a: &Analysis, id: i64, window: &TimeWindow) -> Result<(), String> {
    if !a.complete() || a.timelines.jobs.iter().any(|j| j.job_id == id) {
        return Ok(());
    }
    let mut ids: Vec<i64> = a.timelines.jobs.iter().map(|j| j.job_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let place = if window.is_open() {
        "the logs"
    } else {
        "the logs inside --since/--until"
    };
    if ids.is_empty() {
        return Err(format!("job {id} is not in {place}: they hold no DDL job"));
    }
    let shown: Vec<String> = ids.iter().take(JOBS_NAMED).map(i64::to_string).collect();
    Err(format!(
        "job {id} is not in {place}; they hold {} job{}: {}{} (`ddldiag jobs` lists them)",
        ids.len(),
        plural(ids.len() as u64),
        shown.join(", "),
        if ids.len() > JOBS_NAMED { ", …" } else { "" }
    ))
}

/// The line a run ends with on stderr: what was judged, the exit code, where `-o` wrote.
/// `what` is the command's own count ("3 findings (…)" is added for reports with rules).
pub fn summary(
    report: &Report,
    what: &str,
    with_findings: bool,
    code: ExitCode,
    written: Option<&std::path::Path>,
    format: &str,
) -> String {
    let mut s = format!("ddldiag: {what}");
    if with_findings {
        let c = &report.summary.findings;
        let total = c.error + c.warning + c.info;
        s.push_str(&format!(
            ", {total} finding{} ({} error, {} warning, {} info)",
            plural(total),
            c.error,
            c.warning,
            c.info
        ));
    }
    if crate::report::is_incomplete(report) {
        s.push_str(", INCOMPLETE input");
    }
    s.push_str(&format!(", exit {}", code.code()));
    if let Some(p) = written {
        s.push_str(&format!("; wrote {} ({format})", p.display()));
    }
    s
}

/// "N job(s)".
pub fn jobs(n: usize) -> String {
    format!("{n} job{}", plural(n as u64))
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
