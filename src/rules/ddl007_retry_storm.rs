//! DDL007 retry-storm.

use crate::diagnosis::errclass::{classify, ErrorClass};
use crate::event::EventKind;
use crate::model::Finding;
use crate::rules::common::*;
use crate::rules::{declare_rule, Context};
use crate::timeline::{JobTimeline, Timelines};

/// How many failed attempts with one transient error make a storm. TiDB sleeps ~1 s between
/// DDL attempts, so 10 attempts is ~10 s of a fault that did not heal at the first retry; fewer
/// is the normal hiccup of a leader transfer.
pub const RETRY_STORM_MIN: u64 = 10;

declare_rule! {
    /// ## What it does
    /// Flags a job that is not rolled back but failed again and again with the same transient
    /// error: at least 10 failed attempts (`run DDL job error`, `run DDL job failed, sleeps a
    /// while then retries it.`, or the DXF executor's `meet retryable error`), the most
    /// frequent transient error accounting for them.
    ///
    /// ## Why is this bad?
    /// Retries are working as designed, but the fault is not going away: each attempt burns
    /// part of the error-count budget (DDL003 is next, then a rollback), and a job that retries
    /// forever blocks the DDL queue. It also points at the component that is sick right now.
    ///
    /// ## What to do
    /// Fix the component the error names (TiKV region / leader, PD, network, external storage)
    /// while the job is still retrying; watch ErrCount against `tidb_ddl_error_count_limit`
    /// and raise it if the fault needs more time.
    ///
    /// ## Example
    /// Job 150 logs `run DDL job failed, sleeps a while then retries it.` with
    /// `[tikv:9001]PD server timeout` 40 times in 45 s and is still `running`.
    pub struct RetryStorm {
        code: "DDL007",
        name: "retry-storm",
        severity: Warning,
        summary: "The same transient error repeated many times for one job without a rollback",
    }
}

fn attempts(job: &JobTimeline) -> u64 {
    [
        EventKind::JobError,
        EventKind::JobRetrySleep,
        EventKind::TaskRetryableError,
    ]
    .into_iter()
    .map(|k| job.count(k))
    .max()
    .unwrap_or(0)
}

fn check(t: &Timelines, ctx: &Context) -> Vec<Finding> {
    t.jobs
        .iter()
        .filter(|j| !j.rolled_back())
        .filter_map(|job| {
            let stat = job.errors.iter().find(|s| s.count >= RETRY_STORM_MIN && classify(&s.text).class == ErrorClass::Transient)?;
            let n = match attempts(job) {
                0 => stat.count,
                n => n.min(stat.count.max(n)),
            };
            if n < RETRY_STORM_MIN {
                return None;
            }
            let c = classify(&stat.text);
            let dur = span(&stat.first, &stat.last).map(|d| format!(" over {}", fmt_duration(d))).unwrap_or_default();
            let mut f = finding(&META, Some(job.job_id), format!("Job {} retried {n} times on a transient error: {}", job.job_id, stat.text));
            let mut parts = vec![format!(
                "{} failed {n} times with {} ({} lines, {}{dur}), a transient error ({}), and is `{}` without a rollback.",
                capitalize(&job_label(job)),
                stat.text,
                stat.count,
                window(stat.first.ts, stat.last.ts),
                c.reason,
                job.outcome
            )];
            let limit = ctx.error_count_limit;
            if limit > 0 && job.max_err_count > 0 {
                parts.push(format!(
                    "ErrCount is at {} of the {limit} TiDB allows; at {} the job is rolled back.",
                    job.max_err_count,
                    limit.saturating_sub(1)
                ));
            }
            if let Some(r) = c.retries {
                let v = ctx.version.clone();
                if r.retried_in(v.as_ref()) == Some(false) && ctx.of(job).retry.retry_lines == 0 {
                    parts.push(format!("{} does not retry this error at the DDL layer ({}): these retries come from a lower layer.", version_phrase(v.as_ref()), r.describe()));
                }
            }
            f.explanation = sentences(&parts);
            let facts = ctx.of(job);
            let mut sug: Vec<String> = Vec::new();
            match crate::diagnosis::source::source_of(&stat.text) {
                Some(s) if s.is_tikv_or_pd() => sug.push(format!(
                    "Fix the {} fault now: check TiKV and PD health {}.",
                    c.family,
                    window(stat.first.ts, stat.last.ts)
                )),
                _ => sug.push(format!("Fix what the {} error names now.", c.family)),
            }
            if limit > 0 && job.max_err_count > 0 && facts.retry.retry_lines > 0 {
                sug.push(format!(
                    "The retries redo the failing work, so the job can still finish if the fault ends before ErrCount reaches {}; if faults of this length are expected, raise `tidb_ddl_error_count_limit` before then.",
                    limit.saturating_sub(1)
                ));
            }
            sug.push(show_job_sql(job));
            f.suggestion = sentences(&sug);
            let mut ev = EvidenceSet::new();
            ev.add(&stat.first);
            ev.add(&stat.last);
            ev.add_ends(job.events_of(EventKind::JobRetrySleep));
            ev.add_opt(job.err_counts.first().map(|p| &p.evidence));
            ev.add_opt(job.err_counts.last().map(|p| &p.evidence));
            f.evidence = ev.into_sorted();
            Some(f)
        })
        .collect()
}
