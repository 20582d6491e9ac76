//! Prefixes that collectors and people add in front of a log line.

/// Returns the line without a recognised wrapper prefix (or the line itself).
pub fn strip(line: &str) -> &str {
    line
}
