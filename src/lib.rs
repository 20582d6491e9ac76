//! ddldiag — explains why a TiDB DDL job failed or hung, from the logs the cluster left behind.
//!
//! Data flows one way, and each stage uses only the ones before it (`tests/layering.rs` fails on
//! an edge that runs backwards):
//!
//! ```text
//! model (shared types; uses nothing)
//! source ─> record ─> event ─> scan ─> timeline + fault ─> analyze ─> diagnosis ─> rules ─> report ─> render ─> diff ─> cli
//! ```
//!
//! * [`model`]: times, TiDB versions, job states, severities, evidence, findings, exit codes.
//! * [`source`] opens every input (archives, directories, stdin), names each log file and its
//!   TiDB instance, and hands the bytes of each file to a scanner, never extracting to disk.
//! * [`record`] parses one line (the unified format and its JSON / legacy / export variants).
//! * [`event`] turns a record into a typed DDL/DXF event through a data table of message
//!   spellings, and holds the fault-signal literals.
//! * [`scan`] splits a byte stream into physical lines, counts every one of them (record,
//!   continuation or unparsed), prefilters cheaply and fully parses only candidate lines.
//! * [`timeline`] folds events into one bounded timeline per DDL job and per DXF task.
//! * [`fault`] infers windows of cluster trouble from TiDB, TiKV and PD log lines.
//! * [`analyze`] runs the whole read over all inputs on every core.
//! * [`diagnosis`] computes each job's facts once (cause, error class, retries, source, owners).
//! * [`rules`] turns timelines and facts into findings with evidence; one file per rule.
//! * [`report`] is the report model, built once; [`render`] writes it in each format.
//! * [`diff`] compares two runs; [`cli`] is the command line.

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
