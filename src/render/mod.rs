//! Renderers: each format reads a [`Report`] and nothing else.
//!
//! One module per format; [`render`] is the dispatcher, and writes to an [`io::Write`].

use std::io;

use crate::model::FailOn;
use crate::report::Report;

pub mod coverage;
pub mod escape;
pub mod events;
pub mod github;
pub mod gitlab;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod schema;
pub mod table;
pub mod trace;

pub use table::TableOptions;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human report for a terminal (comfy-table).
    Table,
    /// The schema_version 1 report (`ddldiag schema` prints its JSON Schema).
    Json,
    /// Ready to paste into a GitHub issue (under 60,000 characters).
    Markdown,
    /// SARIF 2.1.0 for code-scanning UIs.
    Sarif,
    /// JUnit XML for CI test reports.
    Junit,
    /// One self-contained HTML page with an SVG timeline (no script, no network).
    Html,
    /// Chrome Trace Event JSON (opens in Perfetto / chrome://tracing).
    Trace,
    /// Every DDL event, one JSON object per line (`ddldiag events`).
    Jsonl,
    /// GitHub Actions workflow commands (annotations); the Markdown report goes to
    /// `$GITHUB_STEP_SUMMARY` when set.
    Github,
    /// GitLab Code Quality report (`artifacts:reports:codequality`).
    Gitlab,
}

/// How to render, besides the report: the terminal's needs and the gate's threshold.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub table: TableOptions,
    /// JUnit: a job's testcase fails when it has a finding at or above this.
    pub fail_on: FailOn,
}

/// The report in one format, as text. Every renderer ends its output with a newline.
pub fn to_string(report: &Report, format: Format, opts: &RenderOptions) -> String {
    match format {
        Format::Table => {
            let mut text = table::render(report, &opts.table);
            if opts.table.verbose {
                text.push('\n');
                text.push_str(&table::render_inventory(report, &opts.table));
            }
            text
        }
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report),
        Format::Sarif => sarif::render(report, &report.rules),
        Format::Junit => junit::render(report, opts.fail_on),
        Format::Html => html::render(report),
        Format::Trace => trace::render(report),
        Format::Jsonl => events::jsonl(&report.events),
        Format::Github => github::render(report),
        Format::Gitlab => gitlab::render(report),
    }
}

/// Writes the report in one format to `out`.
pub fn render(
    report: &Report,
    format: Format,
    opts: &RenderOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    match format {
        // One line per event, written as it is made: the export is never held whole.
        Format::Jsonl => events::write_jsonl(&report.events, out),
        Format::Json => json::write(report, out),
        _ => out.write_all(to_string(report, format, opts).as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--format` spellings are DESIGN.md's.
    #[test]
    fn format_spellings() {
        use clap::ValueEnum;
        let names: Vec<String> = Format::value_variants()
            .iter()
            .map(|v| v.to_possible_value().unwrap().get_name().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "table", "json", "markdown", "sarif", "junit", "html", "trace", "jsonl", "github",
                "gitlab"
            ]
        );
    }
}
