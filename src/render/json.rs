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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::{damaged_report, sample_report};

    #[test]
    fn snapshot_sample() {
        insta::assert_snapshot!(render(&sample_report()));
    }

    #[test]
    fn deterministic() {
        assert_eq!(render(&sample_report()), render(&sample_report()));
    }

    /// The DESIGN §4 core names are a contract with other people's scripts.
    #[test]
    fn keeps_design_field_names() {
        let v: serde_json::Value = serde_json::from_str(&render(&sample_report())).unwrap();
        for k in [
            "schema_version",
            "tool",
            "inputs",
            "jobs",
            "findings",
            "summary",
        ] {
            assert!(v.get(k).is_some(), "top-level {k}");
        }
        assert_eq!(v["schema_version"], 1);
        let input = &v["inputs"][0];
        for k in ["path", "complete", "error", "files"] {
            assert!(input.get(k).is_some(), "inputs[].{k}");
        }
        let file = &input["files"][0];
        for k in [
            "name", "instance", "bytes", "lines", "records", "unparsed", "first_ts", "last_ts",
        ] {
            assert!(file.get(k).is_some(), "files[].{k}");
        }
        let job = &v["jobs"][0];
        for k in [
            "job_id",
            "type",
            "table",
            "query",
            "outcome",
            "first_seen",
            "last_seen",
            "max_err_count",
            "errors",
            "dist_task",
            "instances",
            "events",
        ] {
            assert!(job.get(k).is_some(), "jobs[].{k}");
        }
        for k in ["text", "code", "class", "count", "first", "last"] {
            assert!(job["errors"][0].get(k).is_some(), "errors[].{k}");
        }
        assert_eq!(job["dist_task"]["task_id"], 210029);
        assert_eq!(job["dist_task"]["task_key"], "ddl/backfill/491");
        let f = &v["findings"][0];
        for k in [
            "rule",
            "name",
            "severity",
            "job_id",
            "title",
            "explanation",
            "suggestion",
            "known_issues",
            "evidence",
        ] {
            assert!(f.get(k).is_some(), "findings[].{k}");
        }
        for k in ["file", "line", "ts", "text"] {
            assert!(f["evidence"][0].get(k).is_some(), "evidence[].{k}");
        }
        assert_eq!(f["evidence"][0]["ts"], "2024-01-13T19:21:09.790+08:00");
        for k in ["error", "warning", "info"] {
            assert!(
                v["summary"]["findings"].get(k).is_some(),
                "summary.findings.{k}"
            );
        }
        assert_eq!(v["summary"]["exit_code"], 1);
        assert_eq!(v["summary"]["jobs"], 1);
    }

    fn validate(report: &crate::report::Report) {
        let schema: serde_json::Value =
            serde_json::from_str(&crate::render::schema::json_schema()).unwrap();
        let compiled = jsonschema::JSONSchema::compile(&schema).expect("schema compiles");
        let instance: serde_json::Value = serde_json::from_str(&render(report)).unwrap();
        if let Err(errors) = compiled.validate(&instance) {
            let msgs: Vec<String> = errors
                .map(|e| format!("{} at {}", e, e.instance_path))
                .collect();
            panic!("report does not match its schema:\n{}", msgs.join("\n"));
        };
    }

    #[test]
    fn validates_against_generated_schema() {
        validate(&sample_report());
        validate(&damaged_report());
    }

    #[test]
    fn schema_rejects_a_broken_report() {
        let schema: serde_json::Value =
            serde_json::from_str(&crate::render::schema::json_schema()).unwrap();
        let compiled = jsonschema::JSONSchema::compile(&schema).unwrap();
        let mut instance: serde_json::Value =
            serde_json::from_str(&render(&sample_report())).unwrap();
        instance["findings"][0]["severity"] = "critical".into();
        assert!(
            !compiled.is_valid(&instance),
            "an unknown severity must not validate"
        );
    }
}
