//! How bad a finding is, and which severities fail the gate.

use serde::Serialize;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// `--fail-on`: the lowest severity that makes the exit code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Info,
    /// Findings never fail the run (damaged input still exits 3).
    Never,
}

impl FailOn {
    /// The lowest failing severity; `None` for [`FailOn::Never`].
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }

    /// Whether a finding of this severity is at or above the threshold.
    pub fn fails(self, severity: Severity) -> bool {
        self.threshold().is_some_and(|t| severity >= t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        use Severity::*;
        assert!(Info < Warning && Warning < Error);
        assert!(FailOn::Error.fails(Error) && !FailOn::Error.fails(Warning));
        assert!(FailOn::Warning.fails(Warning) && !FailOn::Warning.fails(Info));
        assert!(FailOn::Info.fails(Info));
        assert!(!FailOn::Never.fails(Error));
    }

    #[test]
    fn fail_on_spellings() {
        use clap::ValueEnum;
        let names: Vec<String> = FailOn::value_variants()
            .iter()
            .map(|v| v.to_possible_value().unwrap().get_name().to_string())
            .collect();
        assert_eq!(names, ["error", "warning", "info", "never"]);
    }
}
