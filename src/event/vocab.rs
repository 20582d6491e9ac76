//! The vocabulary: every TiDB message spelling ddldiag understands, as data.
//!
//! One row per spelling. Messages are matched exactly, after removing an old-style `[ddl] `
//! category prefix (see [`crate::record::Record::message_and_category`]).

use super::EventKind;

/// One spelling of one event.
#[derive(Debug, Clone, Copy)]
pub struct Spelling {
    /// The message text without any `[ddl] ` prefix.
    pub message: &'static str,
    pub kind: EventKind,
    /// The TiDB versions that write this spelling, as found in the source or in real logs.
    pub versions: &'static str,
    /// Where TiDB writes it (file in the TiDB source tree), to check the row against the source.
    pub source: &'static str,
}

macro_rules! row {
    ($msg:expr, $kind:ident, $ver:expr, $src:expr) => {
        Spelling {
            message: $msg,
            kind: EventKind::$kind,
            versions: $ver,
            source: $src,
        }
    };
}

/// Every spelling, grouped by lifecycle stage.
pub static VOCAB: &[Spelling] = &[row!(
    "run DDL job",
    JobRun,
    "v4.0–v8.5",
    "ddl_worker.go / job_worker.go"
)];

/// Placeholder until the vocabulary lands.
pub fn to_events(
    _rec: &crate::record::Record<'_>,
    _instance: &std::sync::Arc<str>,
    _ev: super::Evidence,
) -> Vec<super::Event> {
    Vec::new()
}
