//! Folding events into timelines.

use super::Timelines;
use crate::event::Event;

/// Accumulates events (in any order, from any number of files) into [`Timelines`].
#[derive(Debug, Default)]
pub struct TimelineBuilder {}

impl TimelineBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one event.
    pub fn push(&mut self, _ev: Event) {}

    /// Merges another builder (built from other files) into this one.
    pub fn merge(&mut self, _other: TimelineBuilder) {}

    /// Finishes: every job's events in time order, outcome decided.
    pub fn finish(self) -> Timelines {
        Timelines::default()
    }
}
