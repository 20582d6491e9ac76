//! Upstream issues a finding can match, by TiDB version.
