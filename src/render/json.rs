//! `--format json`: the schema_version 1 report (DESIGN.md §4).
//!
//! Stability comes from the model, not from this function: every collection in [`Report`] is a
//! `Vec` in an order the builder chose (no hash maps), and serde writes struct fields in
//! declaration order, so the same report always gives the same bytes.

use crate::report::Report;

/// Pretty JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    // Serialising plain structs of strings and numbers cannot fail; a failure would be a bug in
    // a custom `Serialize`, which a panic reports better than an empty report.
    let mut s = serde_json::to_string_pretty(report).expect("the report model always serialises");
    s.push('\n');
    s
}

/// [`render`], written to `out` as it is serialised: a report of a million jobs is never held
/// as one string.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}
