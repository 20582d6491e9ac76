//! `--format sarif` (in progress).
use super::{Report, RuleDoc};
pub fn render(_report: &Report, _rules: &[RuleDoc]) -> String {
    String::new()
}
