//! Which `--format` each command writes, and the format `-o FILE` implies by its extension.
//!
//! Each subcommand's `--format` takes only the formats it writes, so `jobs --format sarif` is
//! a usage error and `--help` lists only those. `analyze` takes every format the renderers
//! have (a new one appears there by being added to [`Format`]); the views take their few.

use clap::builder::{PossibleValuesParser, TypedValueParser, ValueParser};
use clap::ValueEnum;

use crate::render::Format;

/// `jobs`, `timeline` and `diff`.
pub const VIEW: &[Format] = &[Format::Table, Format::Json];
/// `events`.
pub const EVENTS: &[Format] = &[Format::Jsonl, Format::Trace];

/// A `--format` parser that takes only `allowed` (every format when `None`).
pub fn parser(allowed: Option<&'static [Format]>) -> ValueParser {
    let list: Vec<Format> = match allowed {
        Some(a) => a.to_vec(),
        None => Format::value_variants().to_vec(),
    };
    let values: Vec<clap::builder::PossibleValue> =
        list.iter().filter_map(|f| f.to_possible_value()).collect();
    PossibleValuesParser::new(values)
        .map(|s| Format::from_str(&s, false).expect("a listed format"))
        .into()
}

/// The spelling of a format on the command line.
pub fn name(f: Format) -> String {
    f.to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// The format `-o FILE` implies, from its extension: `.json`, `.md`, `.html`, `.sarif` (or
/// `.sarif.json`), `.xml` (JUnit), `.jsonl`, `.txt` (the table). `None` for any other name.
fn implied(path: &std::path::Path) -> Option<Format> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let ext = name.rsplit_once('.')?.1;
    Some(match ext {
        _ if name.ends_with(".sarif.json") => Format::Sarif,
        "sarif" => Format::Sarif,
        "json" => Format::Json,
        "md" | "markdown" => Format::Markdown,
        "html" | "htm" => Format::Html,
        "xml" => Format::Junit,
        "jsonl" | "ndjson" => Format::Jsonl,
        "txt" => Format::Table,
        _ => return None,
    })
}

/// The format a command writes: `--format` if given, else what `-o`'s extension implies
/// (`.json` is the trace for `events`, which writes no other JSON document), else `default`.
/// An extension naming a format the command does not write is a usage error rather than a
/// file whose content does not match its name.
pub fn choose(
    command: &str,
    given: Option<Format>,
    output: Option<&std::path::PathBuf>,
    allowed: Option<&'static [Format]>,
    default: Format,
) -> Result<Format, String> {
    if let Some(f) = given {
        return Ok(f);
    }
    let Some(out) = output else {
        return Ok(default);
    };
    let Some(mut f) = implied(out) else {
        return Ok(default);
    };
    let takes = |f: Format| allowed.is_none_or(|a| a.contains(&f));
    if f == Format::Json && !takes(f) && takes(Format::Trace) {
        f = Format::Trace;
    }
    if takes(f) {
        return Ok(f);
    }
    let list: Vec<String> = allowed
        .unwrap_or_default()
        .iter()
        .map(|f| name(*f))
        .collect();
    Err(format!(
        "-o {} implies --format {}, which `{command}` does not write (it writes {}); give \
         --format",
        out.display(),
        name(f),
        list.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn extensions() {
        let c =
            |p: &str, allowed| choose("x", None, Some(&PathBuf::from(p)), allowed, Format::Table);
        assert_eq!(c("r.json", None), Ok(Format::Json));
        assert_eq!(c("R.HTML", None), Ok(Format::Html));
        assert_eq!(c("r.md", None), Ok(Format::Markdown));
        assert_eq!(c("r.sarif", None), Ok(Format::Sarif));
        assert_eq!(c("r.sarif.json", None), Ok(Format::Sarif));
        assert_eq!(c("out/r.xml", None), Ok(Format::Junit));
        assert_eq!(c("e.jsonl", None), Ok(Format::Jsonl));
        assert_eq!(c("report", None), Ok(Format::Table));
        assert_eq!(c("r.log", None), Ok(Format::Table));
        assert_eq!(c("t.json", Some(EVENTS)), Ok(Format::Trace));
        let e = c("j.sarif", Some(VIEW)).unwrap_err();
        assert!(e.contains("writes table, json"), "{e}");
        // --format wins over the name.
        assert_eq!(
            choose(
                "x",
                Some(Format::Json),
                Some(&PathBuf::from("r.html")),
                None,
                Format::Table
            ),
            Ok(Format::Json)
        );
    }
}
