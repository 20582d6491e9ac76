//! `ddldiag events --format jsonl`: every DDL event, one JSON object per line, for jq, hl or
//! angle-grinder. Flat on purpose (no nesting but `null`s), so `jq 'select(.job_id==491)'` and
//! `jq -r .text` work without knowing the report schema.

use serde::Serialize;

use crate::event::{EventKind, Exported};
use crate::model::rfc3339;

/// One line of the export.
#[derive(Debug, Serialize)]
pub struct EventLine<'a> {
    pub kind: EventKind,
    pub ts: Option<String>,
    pub instance: &'a str,
    pub job_id: Option<i64>,
    pub task_id: Option<i64>,
    pub task_key: Option<&'a str>,
    pub error: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub file: &'a str,
    pub line: u64,
    /// The raw log line (capped like evidence).
    pub text: &'a str,
}

/// One JSON object per line, each line ending in `\n`, in (time, file, line) order.
pub fn jsonl(events: &[Exported]) -> String {
    let mut out = Vec::new();
    write_jsonl(events, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// [`jsonl`], written line by line to `out`.
pub fn write_jsonl(events: &[Exported], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for e in events {
        let l = EventLine {
            kind: e.kind,
            ts: e.ts.as_ref().map(rfc3339),
            instance: &e.instance,
            job_id: e.job_id,
            task_id: e.task_id,
            task_key: e.task_key.as_deref(),
            error: e.error.as_deref(),
            detail: e.detail.as_deref(),
            file: &e.evidence.file,
            line: e.evidence.line,
            text: &e.evidence.text,
        };
        serde_json::to_writer(&mut *out, &l)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
