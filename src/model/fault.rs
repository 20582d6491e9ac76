//! The kinds of cluster trouble the fault stage reports.

use serde::Serialize;

/// What kind of trouble a signal reports. Ordered so that reports list kinds stably.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// A region had no reachable leader within the backoff budget (`[tikv:9005]`).
    RegionUnavailable,
    /// A client-go backoffer ran out of budget (`regionMiss`, `tikvRPC`, `pdRPC`, ...).
    BackoffExhausted,
    /// TiDB lost its gRPC stream to a TiKV store, or marked the store's regions stale.
    StoreUnreachable,
    /// TiKV's raft client lost the connection to a peer store.
    PeerUnreachable,
    /// TiKV answered "server is busy" or timed out.
    TikvBusy,
    /// PD timed out (`[tikv:9001]`).
    PdTimeout,
    /// Getting a timestamp from PD was slow or its stream broke.
    Tso,
    /// A PD member won the leader election (so the previous leader went away).
    PdLeaderChange,
    /// A TiDB process (re)started (`Welcome to TiDB`).
    Restart,
}

impl FaultKind {
    /// Every kind, in declaration order: `ALL[k as usize] == k` (a test checks it).
    pub const ALL: [FaultKind; 9] = [
        FaultKind::RegionUnavailable,
        FaultKind::BackoffExhausted,
        FaultKind::StoreUnreachable,
        FaultKind::PeerUnreachable,
        FaultKind::TikvBusy,
        FaultKind::PdTimeout,
        FaultKind::Tso,
        FaultKind::PdLeaderChange,
        FaultKind::Restart,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::RegionUnavailable => "region_unavailable",
            FaultKind::BackoffExhausted => "backoff_exhausted",
            FaultKind::StoreUnreachable => "store_unreachable",
            FaultKind::PeerUnreachable => "peer_unreachable",
            FaultKind::TikvBusy => "tikv_busy",
            FaultKind::PdTimeout => "pd_timeout",
            FaultKind::Tso => "tso",
            FaultKind::PdLeaderChange => "pd_leader_change",
            FaultKind::Restart => "restart",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_indexed_by_kind() {
        for (i, k) in FaultKind::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
        }
        // A kind added to the enum but not to `ALL` would be past its end.
        assert_eq!(FaultKind::Restart as usize + 1, FaultKind::ALL.len());
    }
}
