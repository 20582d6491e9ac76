//! The process exit code: the CI gate's verdict (DESIGN.md §3).

/// What a run tells its caller. The numbers are a contract; see [`ExitCode::merge`] for how the
/// verdicts of several parts of a run combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitCode {
    /// 0: everything was read, no finding at or above `--fail-on`.
    Clean,
    /// 1: at least one finding at or above `--fail-on`.
    Findings,
    /// 2: a usage error, or nothing could be read or judged at all.
    Usage,
    /// 3: some input was damaged; the report is partial.
    Damaged,
    /// 101: a bug in ddldiag (a worker panicked); no report was written.
    Internal,
}

impl ExitCode {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Clean => 0,
            ExitCode::Findings => 1,
            ExitCode::Usage => 2,
            ExitCode::Damaged => 3,
            ExitCode::Internal => 101,
        }
    }

    /// How loud a verdict is when several apply: a bug beats everything; "nothing could be
    /// judged" beats damage (there is no partial report to read); damage beats findings (a
    /// verdict drawn from partial logs must never look like a complete one, DESIGN.md §3, the
    /// peers' "errors take precedence over findings" habit); findings beat clean.
    fn rank(self) -> u8 {
        match self {
            ExitCode::Clean => 0,
            ExitCode::Findings => 1,
            ExitCode::Damaged => 2,
            ExitCode::Usage => 3,
            ExitCode::Internal => 4,
        }
    }

    /// The louder of two verdicts (see the private `rank` for the order).
    #[must_use]
    pub fn merge(self, other: ExitCode) -> ExitCode {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c.code())
    }
}

#[cfg(test)]
mod tests {
    use super::ExitCode::*;

    #[test]
    fn numbers_are_the_contract() {
        let got: Vec<u8> = [Clean, Findings, Usage, Damaged, Internal]
            .iter()
            .map(|c| c.code())
            .collect();
        assert_eq!(got, [0, 1, 2, 3, 101]);
    }

    #[test]
    fn merge_takes_the_louder_verdict() {
        let order = [Clean, Findings, Damaged, Usage, Internal];
        for (i, a) in order.iter().enumerate() {
            for (j, b) in order.iter().enumerate() {
                let want = order[i.max(j)];
                assert_eq!(a.merge(*b), want, "{a:?} + {b:?}");
            }
        }
        // Damage is never hidden by findings, in either order.
        assert_eq!(Findings.merge(Damaged), Damaged);
        assert_eq!(Damaged.merge(Findings), Damaged);
    }
}
