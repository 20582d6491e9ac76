//! A DDL job's state, in TiDB's own words.
//!
//! TiDB's `model.JobState` prints as one of a fixed set of words (`pkg/meta/model/job.go`,
//! `JobState.String`, the same set since v4.0 with `queueing`, `pausing` and `paused` added in
//! v6.x–v7.x). The logs carry these words in job strings (`State:running`); the report keeps
//! them verbatim. Anything else a log holds is kept as [`JobState::Other`] rather than guessed.

use std::fmt;

/// TiDB's `JobState`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobState {
    /// `none`: the job string of a job not yet picked up (a v4.0–v6.x spelling of queued).
    None,
    /// `queueing`: submitted, waiting for a worker.
    Queueing,
    /// `running`.
    Running,
    /// `rollingback`: TiDB is undoing the job after an error or a cancel.
    RollingBack,
    /// `rollback done`: the rollback finished (final once synced).
    RollbackDone,
    /// `done`: the job's work finished, the schema version is not yet synced.
    Done,
    /// `cancelling`: a cancel was requested.
    Cancelling,
    /// `cancelled`: final.
    Cancelled,
    /// `synced`: final, success.
    Synced,
    /// `pausing`: a pause was requested.
    Pausing,
    /// `paused`.
    Paused,
    /// A word TiDB does not write in any version we know of, kept verbatim.
    Other(Box<str>),
}

impl JobState {
    /// Every known word with its state, in TiDB's order.
    const WORDS: [(&'static str, JobState); 11] = [
        ("none", JobState::None),
        ("queueing", JobState::Queueing),
        ("running", JobState::Running),
        ("rollingback", JobState::RollingBack),
        ("rollback done", JobState::RollbackDone),
        ("done", JobState::Done),
        ("cancelling", JobState::Cancelling),
        ("cancelled", JobState::Cancelled),
        ("synced", JobState::Synced),
        ("pausing", JobState::Pausing),
        ("paused", JobState::Paused),
    ];

    /// Words older TiDB versions print for a state that has a newer word: TiDB 1.0's
    /// `JobRollback` printed `rollback` (renamed `rollingback` in 2017).
    const OLD_WORDS: [(&'static str, JobState); 1] = [("rollback", JobState::RollingBack)];

    /// The state a word names (exact, as TiDB prints it, in any version).
    pub fn parse(word: &str) -> JobState {
        Self::WORDS
            .iter()
            .chain(&Self::OLD_WORDS)
            .find(|(w, _)| *w == word)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| JobState::Other(word.into()))
    }

    /// The state as a job's outcome: TiDB's words only (DESIGN.md §4), so `none` (how v4.0–v6.x
    /// print a job nobody has picked up yet) is `queueing`, and a word TiDB never writes (a line
    /// cut inside `State:runn`) is no outcome at all.
    pub fn as_outcome(&self) -> Option<JobState> {
        match self {
            JobState::None => Some(JobState::Queueing),
            JobState::Other(_) => None,
            s => Some(s.clone()),
        }
    }

    /// TiDB's word for the state.
    pub fn as_str(&self) -> &str {
        match self {
            JobState::Other(w) => w,
            known => Self::WORDS
                .iter()
                .find(|(_, s)| s == known)
                .map_or("", |(w, _)| w),
        }
    }

    /// Nothing happens to the job after these: `synced`, `rollback done`, `cancelled`.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            JobState::Synced | JobState::RollbackDone | JobState::Cancelled
        )
    }

    /// The job's work is finished (it may still wait for the schema sync): the final states and
    /// `done`.
    pub fn is_finished(&self) -> bool {
        self.is_final() || *self == JobState::Done
    }

    /// The job succeeded: `synced` or `done`.
    pub fn is_success(&self) -> bool {
        matches!(self, JobState::Synced | JobState::Done)
    }

    /// The job is being undone or was undone: `rollingback`, `rollback done`, `cancelling`,
    /// `cancelled`.
    pub fn is_rollback(&self) -> bool {
        matches!(
            self,
            JobState::RollingBack
                | JobState::RollbackDone
                | JobState::Cancelling
                | JobState::Cancelled
        )
    }
}

impl Default for JobState {
    /// A job whose logs end before it finished is `running` unless a job string said otherwise.
    fn default() -> Self {
        JobState::Running
    }
}

/// `state == "rollback done"`: compares TiDB's word.
impl PartialEq<&str> for JobState {
    fn eq(&self, word: &&str) -> bool {
        self.as_str() == *word
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for JobState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl schemars::JsonSchema for JobState {
    fn schema_name() -> String {
        String::schema_name()
    }
    fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        String::json_schema(gen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for (w, s) in JobState::WORDS {
            assert_eq!(JobState::parse(w), s);
            assert_eq!(s.as_str(), w);
        }
        assert_eq!(
            JobState::parse("delete only"),
            JobState::Other("delete only".into())
        );
        assert_eq!(JobState::parse("delete only").to_string(), "delete only");
        assert_eq!(JobState::parse("rollback"), JobState::RollingBack);
        assert_eq!(JobState::parse("rollback").as_str(), "rollingback");
    }

    #[test]
    fn outcomes_are_tidb_words_never_none() {
        assert_eq!(JobState::None.as_outcome(), Some(JobState::Queueing));
        assert_eq!(JobState::Other("runn".into()).as_outcome(), None);
        assert_eq!(JobState::Running.as_outcome(), Some(JobState::Running));
    }

    #[test]
    fn classes() {
        assert!(JobState::Synced.is_final() && JobState::Synced.is_success());
        assert!(!JobState::Done.is_final() && JobState::Done.is_finished());
        assert!(JobState::Cancelling.is_rollback() && !JobState::Cancelling.is_finished());
        assert!(!JobState::Paused.is_finished() && !JobState::Running.is_rollback());
        assert!(!JobState::Other("x".into()).is_finished());
    }
}
