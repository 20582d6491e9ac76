//! The raw line that proves something.

use std::sync::Arc;

use serde::Serialize;

use super::time::Timestamp;

/// The raw line that proves an event: where it is and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Evidence {
    /// Display name of the file: `tidb-0.tar.gz!tidb-0/tidb.log`.
    pub file: Arc<str>,
    /// 1-based physical line number in that file.
    pub line: u64,
    /// The record's time, RFC 3339 with the log's offset.
    #[serde(serialize_with = "super::time::ser_opt")]
    #[schemars(with = "Option<crate::model::time::Rfc3339>")]
    pub ts: Option<Timestamp>,
    /// The raw line, so that a reader can grep for it (capped at a few KiB).
    // Shared (`Arc`): a job's timeline keeps the same line as the first and last of several
    // things, and a copy each was most of a job's memory.
    #[schemars(with = "String")]
    pub text: Arc<str>,
}
