//! TiDB release versions and whether a release carries a fix.
//!
//! Known issues and retry lists are facts about releases; this is how a version from a
//! `Welcome to TiDB` line or `--tidb-version` is compared with them.

use std::cmp::Ordering;
use std::fmt;

/// A TiDB release version: `v7.6.0`, `v8.5.0-alpha`, `v7.6.0-alpha-123-g2df8bd1` (a dev build).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// Whatever follows `major.minor.patch` after a `-`: `alpha`, `alpha-123-g2df8bd1`, `beta.2`.
    /// A version with a pre-release part sorts before the release itself.
    pub pre: Option<String>,
}

impl Version {
    /// Parses `v7.6.0`, `7.6.0`, `v8.5.0-alpha`, `v7.6.0-alpha-123-g2df8bd1`, `v4.0.0-beta.2-960-g5184a0d70-dirty`.
    /// `None` for `None`, `master`, empty strings and the like.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        let s = s
            .strip_prefix('v')
            .or_else(|| s.strip_prefix('V'))
            .unwrap_or(s);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p.to_string())),
            None => (s, None),
        };
        let mut it = core.split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next()?.parse().ok()?;
        let patch = it.next().map_or(Some(0), |p| p.parse().ok())?;
        if it.next().is_some() {
            return None;
        }
        Some(Version {
            major,
            minor,
            patch,
            pre: pre.filter(|p| !p.is_empty()),
        })
    }

    /// True for dev / pre-release builds (`-alpha`, `-alpha-123-g…`, `-beta.2`).
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some()
    }

    /// The release line, `(7, 6)` for `v7.6.x`.
    pub fn line(&self) -> (u64, u64) {
        (self.major, self.minor)
    }

    /// `major.minor.patch` without the pre-release part.
    pub fn core(&self) -> (u64, u64, u64) {
        (self.major, self.minor, self.patch)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.core()
            .cmp(&other.core())
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(p) = &self.pre {
            write!(f, "-{p}")?;
        }
        Ok(())
    }
}

/// Whether `v` carries a change that landed in `fixed_in`.
///
/// `fixed_in` lists the first fixed release of each release line; the highest entry is where the
/// change landed on master, so every later line has it, while lines below it have it only when
/// listed (a backport). `Some(true)`/`Some(false)` when certain; `None` for a pre-release of a
/// listed release (a dev build may or may not contain the fix).
pub fn includes_fix(v: &Version, fixed_in: &[&str]) -> Option<bool> {
    let fixes: Vec<Version> = fixed_in.iter().filter_map(|s| Version::parse(s)).collect();
    let newest = fixes.iter().max()?;
    let same_line = fixes.iter().find(|f| f.line() == v.line());
    let target = match same_line {
        Some(f) => f,
        None if v.line() > newest.line() => return Some(true),
        None => return Some(false),
    };
    if v.is_prerelease() && v.core() == target.core() {
        return None;
    }
    Some(v >= target)
}
