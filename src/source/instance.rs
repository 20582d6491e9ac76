//! Which TiDB instance a file belongs to, from where it was found.
//!
//! The rules, first match wins (`--instance` overrides them all, see [`super::SourceOptions`]):
//!
//! 1. **tiup / Clinic layout**: a path component `<component>-<port>` (`tidb-4000`,
//!    `tikv-20160`: a known component name, a dash, a 4–5 digit port) with a host component (`10.0.1.5`,
//!    `db1.example.com`, an IPv6 address) at most 6 levels above it →
//!    `<host>:<port>` (`10.0.1.5:4000`, `[fd00::1]:4000`), the way TiDB itself names instances.
//!    Without a host above it, the component itself (`tidb-4000`).
//! 2. **Instance in the file name**: a stem ending in `-N`/`_N` (`tidb-1.log`,
//!    `tidb-1-2024-01-13T19-21-09.480.log.gz`) → the stem (`tidb-1`).
//! 3. **Directory inside the input**: the nearest directory (or nested archive) above the file
//!    inside the input that is not a generic name like `log`, `logs`, `tidb`, `*-deploy`:
//!    `tidb-0.tar.gz!tidb-0/tidb.log` → `tidb-0`, k8s Clinic `logs/basic-tidb-0/tidb.log` →
//!    `basic-tidb-0`.
//! 4. **The input's own name**, archive extensions stripped: `tidb-0.tar.gz` → `tidb-0`, a
//!    directory `case/tidb-2/` → `tidb-2`, a file `/var/log/tidb/tidb.log` → `tidb`.
//! 5. `stdin` for `-`.
//!
//! Directories *above* the input as typed are only used by rule 1 (so `/home/me/tidb.log` is
//! `tidb`, not `me`). Rotation stamps are stripped before any rule looks at a name, so a
//! rotated file always lands in the same instance as the active one next to it.

use std::path::{Component, Path};
use std::sync::LazyLock;

use regex::Regex;

use super::classify::stem;

/// tiup's `<component>-<port>` directories; only known component names, so that a folder like
/// `seed-50417` or `case-1234` is not taken for one.
static COMPONENT_PORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(tidb|tikv|pd|tiflash|ticdc|cdc|tiproxy|tso|scheduling|pump|drainer|dm-master|dm-worker|tikv-cdc)-(\d{4,5})$",
    )
    .unwrap()
});
static IPV4: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{1,3}(\.\d{1,3}){3}$").unwrap());
static IPV6: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[?[0-9A-Fa-f]*(:[0-9A-Fa-f]*){2,7}\]?$").unwrap());
/// Dotted host names whose last label starts with a letter (`v1.2` is not a host).
static HOSTNAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z][A-Za-z0-9-]*$")
        .unwrap()
});
static NUMBERED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[-_]\d+$").unwrap());

/// How far above `tidb-4000` a host component may be (`<host>/<deploy path...>/tidb-4000`).
const MAX_DEPLOY_DEPTH: usize = 6;

/// What the instance is derived from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin<'a> {
    /// The input path as typed; `None` for stdin.
    pub input: Option<&'a Path>,
    /// True when the input *is* the file (not an archive or directory holding it).
    pub input_is_file: bool,
    /// Directory components (and nested archive names, extensions stripped) between the input
    /// and the file.
    pub inside: &'a [String],
    /// The file's own name (last component); empty for plain stdin.
    pub file_name: &'a str,
}

pub(crate) fn derive(o: Origin<'_>) -> String {
    let mut outer: Vec<String> = match o.input {
        Some(p) => p
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect(),
        None => Vec::new(),
    };
    if o.input_is_file {
        outer.pop();
    } else if let Some(last) = outer.last_mut() {
        *last = strip_archive_ext(last).to_string();
    }
    let chain: Vec<&str> = outer.iter().chain(o.inside).map(String::as_str).collect();

    if let Some(i) = host_port(&chain) {
        return i;
    }
    let file_stem = stem(o.file_name);
    if NUMBERED.is_match(&file_stem) {
        return file_stem;
    }
    if let Some(d) = o.inside.iter().rev().find(|d| !is_generic(d)) {
        return d.clone();
    }
    if o.input_is_file || outer.is_empty() && o.input.is_some() {
        if !file_stem.is_empty() {
            return file_stem;
        }
    } else if let Some(last) = outer.last() {
        return last.clone();
    }
    if file_stem.is_empty() {
        "stdin".to_string()
    } else {
        file_stem
    }
}

/// The instance a path pasted in front of a log line names (`grep` over several files prints
/// `tidb-1.log:[2024/…`), by rules 1–3 only: a tiup `<component>-<port>` directory (with its
/// host), a numbered file name, or a telling directory. `None` when the path says nothing about
/// the instance (`tidb.log`): then the line belongs to the file it was found in.
pub fn from_pasted_path(path: &str) -> Option<String> {
    let mut parts: Vec<String> = path
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != "." && !p.ends_with(':'))
        .map(str::to_string)
        .collect();
    let file_name = parts.pop()?;
    let chain: Vec<&str> = parts.iter().map(String::as_str).collect();
    if let Some(i) = host_port(&chain) {
        return Some(i);
    }
    let file_stem = stem(&file_name);
    if NUMBERED.is_match(&file_stem) {
        return Some(file_stem);
    }
    parts.iter().rev().find(|d| !is_generic(d)).cloned()
}

fn host_port(chain: &[&str]) -> Option<String> {
    let (i, port) = chain
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, c)| COMPONENT_PORT.captures(c).map(|m| (i, m[2].to_string())))?;
    let lo = i.saturating_sub(MAX_DEPLOY_DEPTH);
    let host = chain[lo..i]
        .iter()
        .rev()
        .find(|c| IPV4.is_match(c) || IPV6.is_match(c) || HOSTNAME.is_match(c));
    Some(match host {
        Some(h) if IPV6.is_match(h) && !IPV4.is_match(h) => {
            format!(
                "[{}]:{port}",
                h.trim_start_matches('[').trim_end_matches(']')
            )
        }
        Some(h) => format!("{h}:{port}"),
        None => chain[i].to_string(),
    })
}

/// Directory names that say nothing about the instance.
fn is_generic(d: &str) -> bool {
    let l = d.to_ascii_lowercase();
    matches!(
        l.as_str(),
        "" | "."
            | ".."
            | "log"
            | "logs"
            | "deploy"
            | "data"
            | "tidb"
            | "tikv"
            | "pd"
            | "tiflash"
            | "ticdc"
            | "tiproxy"
    ) || l.ends_with("-deploy")
}

/// `tidb-0.tar.gz` → `tidb-0`.
pub(crate) fn strip_archive_ext(name: &str) -> &str {
    for ext in [".tar.gz", ".tgz", ".tar", ".zip", ".gz"] {
        if let Some(s) = name.strip_suffix(ext) {
            if !s.is_empty() {
                return s;
            }
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_paths() {
        assert_eq!(from_pasted_path("tidb-1.log").as_deref(), Some("tidb-1"));
        assert_eq!(from_pasted_path("tidb2-0.log").as_deref(), Some("tidb2-0"));
        assert_eq!(
            from_pasted_path("logs/basic-tidb-0/tidb.log").as_deref(),
            Some("basic-tidb-0")
        );
        assert_eq!(
            from_pasted_path("10.0.1.5/tidb-deploy/tidb-4000/log/tidb.log").as_deref(),
            Some("10.0.1.5:4000")
        );
        assert_eq!(
            from_pasted_path("C:\\logs\\tidb-3.log").as_deref(),
            Some("tidb-3")
        );
        assert_eq!(from_pasted_path("tidb.log"), None);
        assert_eq!(from_pasted_path("log/tidb.log"), None);
        assert_eq!(from_pasted_path(""), None);
    }

    fn inst(input: Option<&str>, input_is_file: bool, inside: &[&str], file: &str) -> String {
        let inside: Vec<String> = inside.iter().map(|s| s.to_string()).collect();
        derive(Origin {
            input: input.map(Path::new),
            input_is_file,
            inside: &inside,
            file_name: file,
        })
    }

    #[test]
    fn bundle_named_after_instance() {
        assert_eq!(
            inst(Some("fixtures/x/tidb-0.tar.gz"), false, &[], "tidb.log"),
            "tidb-0"
        );
        assert_eq!(
            inst(Some("tidb-3.zip"), false, &["log"], "tidb.log"),
            "tidb-3"
        );
    }

    #[test]
    fn member_directory() {
        assert_eq!(
            inst(
                Some("fixtures/seed-50417/tidb-0.tar.gz"),
                false,
                &["tidb-0"],
                "tidb.log"
            ),
            "tidb-0"
        );
        assert_eq!(
            inst(Some("bundle.zip"), false, &["tidb-7", "log"], "tidb.log"),
            "tidb-7"
        );
        // A nested archive's name counts as a directory.
        assert_eq!(
            inst(Some("all.zip"), false, &["tidb-5"], "tidb.log"),
            "tidb-5"
        );
    }

    #[test]
    fn clinic_tiup_layout() {
        let inside = ["diag-x", "10.0.1.5", "tidb-deploy", "tidb-4000", "log"];
        assert_eq!(
            inst(Some("fixtures/inputs/clinic"), false, &inside, "tidb.log"),
            "10.0.1.5:4000"
        );
        assert_eq!(
            inst(
                Some("fixtures/inputs/clinic"),
                false,
                &inside,
                "tidb-2024-01-13T19-21-09.480.log.gz"
            ),
            "10.0.1.5:4000"
        );
        // The layout may be in the path as typed.
        assert_eq!(
            inst(
                Some("diag-x/10.0.1.6/tikv-deploy/tikv-20160/log/tikv.log"),
                true,
                &[],
                "tikv.log"
            ),
            "10.0.1.6:20160"
        );
        assert_eq!(
            inst(
                Some("db1.example.com/tidb-4000/log"),
                false,
                &[],
                "tidb.log"
            ),
            "db1.example.com:4000"
        );
        assert_eq!(
            inst(Some("fd00::1/tidb-4000/log"), false, &[], "tidb.log"),
            "[fd00::1]:4000"
        );
        // No host: the component directory itself.
        assert_eq!(
            inst(Some("tidb-deploy/tidb-4000/log"), false, &[], "tidb.log"),
            "tidb-4000"
        );
        // Pod ordinals are not ports, and unknown names are not components.
        assert_eq!(
            inst(
                Some("fixtures/seed-50417/tidb-0.tar.gz"),
                false,
                &[],
                "tidb.log"
            ),
            "tidb-0"
        );
        assert_eq!(
            inst(Some("10.0.1.5"), false, &["tidb-0"], "tidb.log"),
            "tidb-0"
        );
    }

    #[test]
    fn k8s_clinic_layout() {
        assert_eq!(
            inst(Some("diag"), false, &["logs", "basic-tidb-0"], "tidb.log"),
            "basic-tidb-0"
        );
    }

    #[test]
    fn numbered_file_name() {
        assert_eq!(inst(Some("plain"), false, &[], "tidb-1.log"), "tidb-1");
        assert_eq!(
            inst(Some("plain/tidb-1.log"), true, &[], "tidb-1.log"),
            "tidb-1"
        );
        assert_eq!(
            inst(
                Some("plain"),
                false,
                &[],
                "tidb-1-2024-01-13T19-21-09.480.log.gz"
            ),
            "tidb-1"
        );
    }

    #[test]
    fn fallbacks() {
        assert_eq!(
            inst(Some("/var/log/tidb/tidb.log"), true, &[], "tidb.log"),
            "tidb"
        );
        assert_eq!(
            inst(
                Some("/home/me/tidb-2024-01-13T19-21-09.480.log.gz"),
                true,
                &[],
                "tidb-2024-01-13T19-21-09.480.log.gz"
            ),
            "tidb"
        );
        assert_eq!(inst(Some("case/tidb-2/"), false, &[], "tidb.log"), "tidb-2");
        assert_eq!(
            inst(Some("logs.tar.gz"), false, &["log"], "tidb.log"),
            "logs"
        );
        assert_eq!(inst(None, false, &[], ""), "stdin");
        assert_eq!(inst(None, false, &["tidb-0"], "tidb.log"), "tidb-0");
        assert_eq!(inst(None, false, &[], "tidb.log"), "tidb");
        assert_eq!(inst(Some("."), false, &[], "tidb.log"), "tidb");
    }

    #[test]
    fn rotated_and_active_agree() {
        for (inside, input) in [
            (vec![], "logs"),
            (vec!["tidb-0"], "b.tar.gz"),
            (vec!["x", "log"], "d"),
        ] {
            let a = inst(Some(input), false, &inside, "tidb.log");
            let r = inst(
                Some(input),
                false,
                &inside,
                "tidb-2024-01-13T19-21-09.480.log.gz",
            );
            assert_eq!(a, r, "{inside:?} {input}");
        }
    }
}
