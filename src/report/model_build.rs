//! Building the report model from timelines and findings.
