//! The export form of an event: what `ddldiag events --format jsonl` writes, and nothing more.
//!
//! `events` holds every DDL event of the run until it can sort them by time, so what it holds
//! must be small: a full [`Event`] carries its parsed job string, the message and the typed
//! detail, which the export never writes (cloned for the export, that was two thirds of the
//! command's peak memory).

use std::sync::Arc;

use super::{Event, EventKind, Evidence};
use crate::model::Timestamp;

/// One exported event: the fields of a JSONL line, owned compactly.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub kind: EventKind,
    pub ts: Option<Timestamp>,
    pub instance: Arc<str>,
    pub job_id: Option<i64>,
    pub task_id: Option<i64>,
    pub task_key: Option<Box<str>>,
    pub error: Option<Box<str>>,
    /// [`super::Detail::summary`], computed once.
    pub detail: Option<Box<str>>,
    pub evidence: Evidence,
}

impl Exported {
    pub fn of(e: &Event) -> Exported {
        Exported {
            kind: e.kind,
            ts: e.ts,
            instance: e.instance.clone(),
            job_id: e.job_id,
            task_id: e.task_id,
            task_key: e.task_key.as_deref().map(Box::from),
            error: e.error.as_deref().map(Box::from),
            detail: e.detail.summary().map(String::into_boxed_str),
            evidence: e.evidence.clone(),
        }
    }
}
