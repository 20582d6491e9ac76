//! The typed vocabulary every stage speaks: times, TiDB versions, job states, severities, rule
//! codes, evidence, findings and exit codes.
//!
//! This module imports nothing else from the crate, so every stage may use it without creating a
//! cycle (the layering test in `tests/layering.rs` holds it to that). Types live here when more
//! than one stage needs them; a type only one stage needs stays in that stage.

pub mod evidence;
pub mod exit;
pub mod fault;
pub mod finding;
pub mod severity;
pub mod state;
pub mod time;
pub mod version;
pub mod window;

pub use evidence::Evidence;
pub use exit::ExitCode;
pub use fault::FaultKind;
pub use finding::{FaultContext, Finding, WindowRef};
pub use severity::{FailOn, Severity};
pub use state::JobState;
pub use time::{rfc3339, Timestamp};
pub use version::Version;
pub use window::{Bound, Window as TimeWindow};
