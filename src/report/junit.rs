//! `--format junit` (in progress).
use super::{FailOn, Report};
pub fn render(_report: &Report, _fail_on: FailOn) -> String {
    String::new()
}
