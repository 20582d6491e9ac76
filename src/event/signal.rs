//! The fault-signal vocabulary: log lines that say "the cluster around the job is in trouble".
//!
//! One row per literal. Every literal was confirmed in the upstream source with the `search`
//! tool (stored copies of the public repositories) before it went in; the row names the repository
//! and file, and how it was confirmed (`read_file` = the file was opened at that commit and the
//! literal read in the logging or error-definition call; `find_string` = an exact-string hit whose
//! excerpt is the logging call itself). A literal that could not be confirmed is not here, however
//! plausible it looks: a wrong literal silently finds nothing, which reads as "no fault".
//!
//! These literals are matched anywhere in a record's message *or* fields (of a unified record,
//! after its header: time, level, logger and caller are never searched), because the most
//! useful ones are error texts (`Region is unavailable`) that TiDB prints inside `error=` fields
//! of many different messages.

pub use crate::model::FaultKind;

/// Which component writes the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// TiDB, including the TiKV client (client-go) and PD client it embeds.
    Tidb,
    Tikv,
    Pd,
}

/// One confirmed literal.
#[derive(Debug, Clone, Copy)]
pub struct Signal {
    /// Matched byte-for-byte (case-sensitive) anywhere in the record line after a unified
    /// header.
    pub literal: &'static str,
    pub kind: FaultKind,
    pub component: Component,
    /// `repo path` of the code that writes it.
    pub source: &'static str,
    /// How the literal was confirmed.
    pub confirmed: &'static str,
}

macro_rules! sig {
    ($lit:expr, $kind:ident, $comp:ident, $src:expr, $how:expr) => {
        Signal {
            literal: $lit,
            kind: FaultKind::$kind,
            component: Component::$comp,
            source: $src,
            confirmed: $how,
        }
    };
}

/// Every fault signal. `Welcome to TiDB` (restarts) is not here: it is already an event in the
/// DDL vocabulary ([`crate::event::EventKind::ServerStart`]) and reaches the windows from
/// the timeline's `Cluster::starts`.
#[rustfmt::skip]
pub static SIGNALS: &[Signal] = &[
    // --- TiDB error texts (pkg/errno/errname.go: `mysql.Message(...)` of the TiKV/PD class) ---
    sig!("Region is unavailable", RegionUnavailable, Tidb,
         "pingcap/tidb pkg/errno/errname.go (ErrRegionUnavailable, 9005)",
         "read_file @0131899b"),
    sig!("PD server timeout", PdTimeout, Tidb,
         "pingcap/tidb pkg/errno/errname.go (ErrPDServerTimeout, 9001)",
         "read_file @0131899b"),
    sig!("TiKV server timeout", TikvBusy, Tidb,
         "pingcap/tidb pkg/errno/errname.go (ErrTiKVServerTimeout, 9002)",
         "read_file @0131899b"),
    sig!("TiKV server is busy", TikvBusy, Tidb,
         "pingcap/tidb pkg/errno/errname.go (ErrTiKVServerBusy, 9003)",
         "read_file @0131899b"),
    // --- client-go (the TiKV client inside TiDB) ---
    // WARN "<cfg> backoffer.maxSleep <n>ms is exceeded, errors: ..." where <cfg> is the backoff
    // type: regionMiss, tikvRPC, pdRPC, tikvServerBusy, ... (the line's first word).
    sig!("backoffer.maxSleep", BackoffExhausted, Tidb,
         "tikv/client-go config/retry/backoff.go (Backoffer.BackoffWithCfgAndMaxSleep)",
         "read_file @07a228f3"),
    sig!("batchRecvLoop fails when receiving", StoreUnreachable, Tidb,
         "tikv/client-go internal/client/client_batch.go (batchRecvLoop; INFO, DEBUG in newest)",
         "read_file @061155b2"),
    sig!("mark store's regions need be refill", StoreUnreachable, Tidb,
         "tikv/client-go internal/locate/region_cache.go, region_request.go (invalidateReplicaStore)",
         "find_string: logging calls in 10 versions"),
    sig!("get timestamp too slow", Tso, Tidb,
         "tikv/client-go oracle/oracles/pd.go (pdOracle.getTimestamp); also tikv/pd server/grpc_service.go",
         "find_string: logging calls"),
    // --- PD client (inside TiDB) ---
    sig!("create tso stream error", Tso, Tidb,
         "tikv/pd client/tso_dispatcher.go, client/clients/tso/dispatcher.go (`[pd]`/`[tso] create tso stream error`)",
         "find_string: logging calls"),
    sig!("create TSO stream failed", Tso, Tidb,
         "tikv/pd client/errs/errno.go (ErrClientCreateTSOStream)",
         "find_string: error definition"),
    // --- TiKV ---
    sig!("connection aborted", PeerUnreachable, Tikv,
         "tikv/tikv src/server/raft_client.rs (RaftCall::clean_up, then report_unreachable)",
         "find_string: logging calls in 4 versions"),
    // --- PD ---
    sig!("campaign pd leader ok", PdLeaderChange, Pd,
         "tikv/pd server/server.go (campaignLeader)",
         "find_string: logging call"),
    sig!("campaign PD leader ok", PdLeaderChange, Pd,
         "tikv/pd server/server.go (campaignLeader, newer spelling)",
         "find_string: PD log excerpts (server.go:1717/1732)"),
];

/// The literals, for the scanner's prefilter.
pub fn literals() -> impl Iterator<Item = &'static str> {
    SIGNALS.iter().map(|s| s.literal)
}

/// Bytes at the start of a literal that the packed searcher leaves out of its needle.
///
/// Teddy (below) tells candidates by a literal's first four bytes, and `conn` of `connection
/// aborted` is on most TiDB lines (`[conn=…]`, `connInfo=`): on the benchmark's logs it was
/// a false candidate on four lines of five, each verified and refused (without the literal at
/// all, a one-thread scan took 6% less user time). The needle `aborted` starts with bytes no ordinary line has; the skipped prefix is
/// checked before a hit counts.
const NEEDLE_SKIP: &[(&str, usize)] = &[("connection aborted", "connection ".len())];

fn needle_skip(literal: &str) -> usize {
    NEEDLE_SKIP
        .iter()
        .find(|(l, _)| *l == literal)
        .map_or(0, |&(_, n)| n)
}

/// Finds the first signal in a line (leftmost match).
///
/// The scanner asks this of nearly every record line, so it uses aho-corasick's SIMD "packed"
/// (Teddy) searcher directly where the CPU has one: for a dozen literals that is the whole
/// search, and skipping the automaton around it halved the cost per line. The automaton over
/// the whole literals (same leftmost-first answer, a test checks it) is the fallback.
pub struct SignalMatcher {
    packed: Option<aho_corasick::packed::Searcher>,
    ac: aho_corasick::AhoCorasick,
    /// Per literal, [`needle_skip`].
    skip: Vec<usize>,
}

impl Default for SignalMatcher {
    fn default() -> Self {
        let ac = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(literals())
            .expect("signal literals are valid patterns");
        let skip: Vec<usize> = literals().map(needle_skip).collect();
        let packed = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(literals().zip(&skip).map(|(l, &n)| &l[n..]))
            .build();
        SignalMatcher { packed, ac, skip }
    }
}

impl SignalMatcher {
    /// [`SignalMatcher::find`] in `line[from..]`, for a caller that knows no literal starts
    /// before `from`. (The leftmost match in the tail is then the leftmost in the line.)
    pub fn find_from(&self, line: &[u8], from: usize) -> Option<&'static Signal> {
        self.find(line.get(from..).unwrap_or_default())
    }

    pub fn find(&self, line: &[u8]) -> Option<&'static Signal> {
        let i = match &self.packed {
            Some(p) => self.find_packed(p, line)?,
            None => self.ac.find(line)?.pattern().as_usize(),
        };
        Some(&SIGNALS[i])
    }

    /// The leftmost-first literal, from needles some of which start inside their literal: the
    /// leftmost needle hit whose skipped prefix is there. A literal further left would have
    /// to start inside another's skipped prefix, overlapping it, which no two literals can (a
    /// test checks it).
    fn find_packed(&self, p: &aho_corasick::packed::Searcher, line: &[u8]) -> Option<usize> {
        let mut from = 0;
        loop {
            let m = p.find_in(line, aho_corasick::Span::from(from..line.len()))?;
            let i = m.pattern().as_usize();
            let n = self.skip[i];
            if n == 0 || line[..m.start()].ends_with(&SIGNALS[i].literal.as_bytes()[..n]) {
                return Some(i);
            }
            from = m.start() + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn rows_are_unique_specific_and_sourced() {
        let mut seen = HashSet::new();
        for s in SIGNALS {
            assert!(seen.insert(s.literal), "duplicate {:?}", s.literal);
            assert!(
                s.literal.len() >= 12,
                "too generic an anchor: {:?}",
                s.literal
            );
            assert_eq!(s.literal, s.literal.trim());
            assert!(
                s.source.contains('/') && s.source.contains(' '),
                "source must name repo and file: {:?}",
                s.source
            );
            assert!(
                s.confirmed.starts_with("read_file") || s.confirmed.starts_with("find_string"),
                "{:?}",
                s.confirmed
            );
        }
    }

    #[test]
    fn matcher_finds_signals_in_fields_and_messages() {
        let m = SignalMatcher::default();
        let hit = |l: &str| m.find(l.as_bytes()).map(|s| s.kind);
        assert_eq!(
            hit(
                r#"[2024/01/13 19:03:10.000 +08:00] [WARN] [backoff.go:158] ["regionMiss backoffer.maxSleep 40000ms is exceeded, errors:"]"#
            ),
            Some(FaultKind::BackoffExhausted)
        );
        assert_eq!(
            hit(
                r#"[..] [WARN] [x.go:1] ["some executor failed"] [error="[tikv:9005]Region is unavailable"]"#
            ),
            Some(FaultKind::RegionUnavailable)
        );
        assert_eq!(
            hit(
                r#"[..] [INFO] [region_cache.go:1] ["mark store's regions need be refill"] [id=1]"#
            ),
            Some(FaultKind::StoreUnreachable)
        );
        assert_eq!(
            hit(r#"[..] [ERROR] [raft_client.rs:1] ["connection aborted"] [store_id=4]"#),
            Some(FaultKind::PeerUnreachable)
        );
        assert_eq!(
            hit("[..] [INFO] [x.go:1] [\"diff load InfoSchema success\"]"),
            None
        );
        assert_eq!(
            hit("region unavailable"),
            None,
            "case matters: only confirmed spellings"
        );
    }

    /// The packed searcher and the automaton give the same leftmost-first answer.
    #[test]
    fn packed_and_automaton_agree() {
        let m = SignalMatcher::default();
        let lines = [
            "x TiKV server is busy, TiKV server timeout",
            "Region is unavailable and PD server timeout",
            "campaign PD leader ok; campaign pd leader ok",
            "short",
            "",
            "create tso stream error create TSO stream failed",
            // The needle of `connection aborted` starts inside it (NEEDLE_SKIP).
            "[conn=1] [connInfo=x] aborted connection aborted",
            "connection aborted",
            "xconnection abortedPD server timeout",
            "Region is unavailconnection aborted",
            "connection abortedRegion is unavailable",
            "connection Region is unavailable aborted",
            "onnection aborted aborted",
            "cconnection aborted",
            "PD server timeoutconnection aborted",
        ];
        assert!(m.packed.is_some(), "this machine has the SIMD searcher");
        for l in lines {
            assert_eq!(
                m.find(l.as_bytes()).map(|s| s.literal),
                by_automaton(&m, l),
                "{l:?}"
            );
        }
    }

    fn by_automaton(m: &SignalMatcher, line: &str) -> Option<&'static str> {
        let i = m.ac.find(line.as_bytes())?.pattern().as_usize();
        Some(SIGNALS[i].literal)
    }

    /// Two needles could both match at one place, and a refused hit would hide the other,
    /// only if one were a prefix of the other.
    #[test]
    fn no_needle_is_a_prefix_of_another() {
        let needles: Vec<&str> = literals().map(|l| &l[needle_skip(l)..]).collect();
        for (i, a) in needles.iter().enumerate() {
            assert!(
                a.len() >= 4,
                "a needle needs a four-byte fingerprint: {a:?}"
            );
            for (j, b) in needles.iter().enumerate() {
                assert!(i == j || !b.starts_with(a), "{a:?} / {b:?}");
            }
        }
    }

    /// A literal, a piece of one, or noise.
    fn part() -> impl Strategy<Value = String> {
        let literal = proptest::sample::select(SIGNALS).prop_map(|s| s.literal.to_string());
        let piece =
            (proptest::sample::select(SIGNALS), any::<(usize, usize)>()).prop_map(|(s, (a, b))| {
                let (a, b) = (a % (s.literal.len() + 1), b % (s.literal.len() + 1));
                s.literal[a.min(b)..a.max(b)].to_string()
            });
        prop_oneof![literal, piece, "[a-z =\\[\\]]{0,12}"]
    }

    /// What makes the leftmost needle the leftmost literal ([`SignalMatcher::find_packed`]):
    /// no literal can start inside another's skipped prefix and agree with it where they
    /// overlap (so both be on one line, the later one's needle found first).
    #[test]
    fn no_literal_starts_inside_a_skipped_prefix() {
        for l in literals() {
            for k in 1..needle_skip(l) {
                let tail = &l[k..];
                for other in literals() {
                    assert!(
                        !(tail.starts_with(other) || other.starts_with(tail)),
                        "{other:?} can start inside the skipped prefix of {l:?}"
                    );
                }
            }
        }
        assert!(NEEDLE_SKIP
            .iter()
            .all(|(l, n)| literals().any(|x| x == *l) && *n < l.len()));
    }

    proptest! {
        /// Any mix of literals, their pieces and noise: the packed search with its skipped
        /// prefixes answers as the automaton over the whole literals.
        #[test]
        fn packed_answers_as_the_automaton(parts in proptest::collection::vec(part(), 0..8)) {
            let m = SignalMatcher::default();
            let line = parts.concat();
            prop_assert_eq!(m.find(line.as_bytes()).map(|s| s.literal), by_automaton(&m, &line));
        }
    }

    #[test]
    fn kind_names_match_serde() {
        for s in SIGNALS {
            assert_eq!(
                serde_json::to_value(s.kind).unwrap(),
                serde_json::Value::from(s.kind.as_str())
            );
        }
    }
}
