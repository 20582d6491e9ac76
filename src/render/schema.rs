//! `ddldiag schema`: the JSON Schema of the report, generated from the Rust types.
//!
//! Generated rather than hand-written so that it cannot drift from what `--format json` emits;
//! a snapshot test makes every change to it visible in review.

use crate::report::Report;

/// The JSON Schema (draft-07, as schemars 0.8 writes it) of [`Report`], pretty, with a trailing newline.
///
/// Strict where a consumer relies on it: `schema_version` is the constant
/// [`SCHEMA_VERSION`](crate::report::SCHEMA_VERSION) (a version-2 report must not validate as
/// version 1), and every time is `"format": "date-time"` (RFC 3339).
pub fn json_schema() -> String {
    let mut schema = schemars::schema_for!(Report);
    if let Some(schemars::schema::Schema::Object(v)) =
        schema.schema.object().properties.get_mut("schema_version")
    {
        v.const_value = Some(serde_json::json!(crate::report::SCHEMA_VERSION));
    }
    let mut s = serde_json::to_string_pretty(&schema).expect("a schema always serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_schema() {
        insta::assert_snapshot!(json_schema());
    }

    #[test]
    fn is_a_draft07_object_schema() {
        let v: serde_json::Value = serde_json::from_str(&json_schema()).unwrap();
        assert_eq!(v["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(v["title"], "Report");
        let required = v["required"].as_array().unwrap();
        for k in [
            "schema_version",
            "tool",
            "inputs",
            "jobs",
            "findings",
            "summary",
        ] {
            assert!(required.iter().any(|r| r == k), "{k} required");
        }
    }
}
