//! ddldiag — explains why a TiDB DDL job failed or hung, from the logs the cluster left behind.
//!
//! Data flows one way, as a stream:
//!
//! ```text
//! inputs ─> source ─> scan (lines) ─> record ─> event ─> timeline ─> rules ─> report ─> render
//! ```
//!
//! * [`source`] opens every input (archives, directories, stdin), names each log file and its
//!   TiDB instance, and hands the bytes of each file to a scanner, never extracting to disk.
//! * [`scan`] splits a byte stream into physical lines, counts every one of them (record,
//!   continuation or unparsed), prefilters cheaply and fully parses only candidate lines.
//! * [`record`] parses one line of the TiDB unified log format (and its JSON / legacy variants).
//! * [`event`] turns a record into a typed DDL/DXF event through a data table of message spellings.
//! * [`timeline`] folds events into one bounded timeline per DDL job, merged across instances.
//! * [`fault`] infers windows of cluster trouble from TiDB, TiKV and PD log lines.
//! * [`rules`] reads the timelines and produces findings with evidence.
//! * [`report`] is the report model and its renderers (table, JSON, Markdown, SARIF, JUnit).

pub mod analyze;
pub mod cli;
pub mod diagnosis;
pub mod diff;
pub mod event;
pub mod fault;
pub mod model;
pub mod record;
pub mod render;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod timeline;
