//! The pipeline: inputs → report.
