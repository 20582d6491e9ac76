//! Install and shell integration: completion scripts the shells accept, a man page `man`
//! renders, and (behind `DDLDIAG_SLOW_TESTS=1`) a real `cargo install` into a temporary root.

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;

fn ddldiag() -> Command {
    Command::cargo_bin("ddldiag").unwrap()
}

fn stdout(args: &[&str]) -> String {
    let o = ddldiag().args(args).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn have(tool: &str) -> bool {
    Std::new(tool).arg("--version").output().is_ok()
}

const SUBCOMMANDS: &[&str] = &[
    "analyze",
    "jobs",
    "timeline",
    "events",
    "rules",
    "explain",
    "schema",
    "diff",
    "completions",
    "man",
    "lnav-format",
];

/// Every shell's script names every subcommand, in the form that shell loads.
#[test]
fn completion_scripts_name_every_subcommand() {
    for (shell, marker) in [
        ("bash", "complete -F _ddldiag"),
        ("zsh", "#compdef ddldiag"),
        ("fish", "complete -c ddldiag"),
        ("elvish", "edit:completion:arg-completer[ddldiag]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let s = stdout(&["completions", shell]);
        assert!(s.contains(marker), "{shell}: no {marker:?}");
        for sub in SUBCOMMANDS {
            assert!(s.contains(sub), "{shell}: {sub} missing");
        }
    }
    let o = ddldiag().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// bash loads the script and completes a subcommand and a command's own formats.
#[test]
fn bash_completes_subcommands_and_formats() {
    if !have("bash") {
        eprintln!("SKIPPED: bash is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("ddldiag.bash");
    std::fs::write(&script, stdout(&["completions", "bash"])).unwrap();
    let probe = format!(
        r#"source {}
COMP_WORDS=(ddldiag ana); COMP_CWORD=1; _ddldiag ddldiag ana ddldiag; echo "sub: ${{COMPREPLY[*]}}"
COMP_WORDS=(ddldiag jobs --format ''); COMP_CWORD=3; _ddldiag ddldiag '' --format; echo "jobs: ${{COMPREPLY[*]}}"
COMP_WORDS=(ddldiag events --format ''); COMP_CWORD=3; _ddldiag ddldiag '' --format; echo "events: ${{COMPREPLY[*]}}""#,
        script.display()
    );
    let o = Std::new("bash").arg("-c").arg(probe).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("sub: analyze\n"), "{out}");
    assert!(out.contains("jobs: table json\n"), "{out}");
    assert!(out.contains("events: jsonl trace\n"), "{out}");
}

/// The page is roff that `man -l` renders without a warning, with every subcommand and the
/// exit codes; a subcommand's page has its options.
#[test]
fn man_page_renders() {
    let page = stdout(&["man"]);
    assert!(
        page.starts_with(".ie \\n(.g") || page.contains(".TH ddldiag 1"),
        "{page}"
    );
    for sub in SUBCOMMANDS {
        assert!(
            page.contains(&format!("ddldiag\\-{}(1)", sub.replace('-', "\\-"))),
            "{sub}"
        );
    }
    let analyze = stdout(&["man", "analyze"]);
    assert!(analyze.contains(".TH ddldiag-analyze 1"), "{analyze}");
    assert!(analyze.contains("\\-\\-fail\\-on"), "{analyze}");
    let o = ddldiag().args(["man", "nope"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    if !have("man") {
        eprintln!("SKIPPED: man is not installed; the roff was checked as text only");
        return;
    }
    for (name, roff) in [("main", &page), ("analyze", &analyze)] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ddldiag.1");
        std::fs::write(&file, roff).unwrap();
        let o = Std::new("man")
            .env("MANWIDTH", "80")
            .args(["--warnings", "-l"])
            .arg(&file)
            .env("MANPAGER", "cat")
            .output()
            .unwrap();
        // Bold and underline come as overstrikes (`N\x08N`) when the pager is cat.
        let raw = String::from_utf8_lossy(&o.stdout);
        let mut text = String::new();
        for c in raw.chars() {
            if c == '\x08' {
                text.pop();
            } else {
                text.push(c);
            }
        }
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{name}: {err}");
        assert!(err.trim().is_empty(), "{name}: man warned: {err}");
        if name == "main" {
            assert!(text.contains("Exit codes (the CI gate)"), "{text}");
            assert!(text.contains("nothing judged"), "{text}");
        } else {
            assert!(text.contains("--fail-on"), "{text}");
        }
    }
}

/// `cargo install --path .` into a temporary root, with its own target dir: nothing in
/// CARGO_HOME's bin is touched, and the installed binary runs the seed. A debug build of every
/// dependency from scratch takes minutes on two cores, so it runs only with
/// `DDLDIAG_SLOW_TESTS=1` (offline: the dependencies must already be in the cargo cache).
#[test]
fn cargo_install_into_a_temporary_root() {
    if std::env::var_os("DDLDIAG_SLOW_TESTS").is_none_or(|v| v != "1") {
        eprintln!("SKIPPED: set DDLDIAG_SLOW_TESTS=1 to run `cargo install` (minutes)");
        return;
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let home_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|h| h.join("bin").join("ddldiag"));
    let before = home_bin
        .as_ref()
        .and_then(|p| std::fs::metadata(p).ok()?.modified().ok());
    let started = std::time::Instant::now();
    let o = Std::new(cargo)
        .args(["install", "--debug", "--offline", "--locked", "--path"])
        .arg(manifest)
        .arg("--root")
        .arg(&root)
        .env("CARGO_TARGET_DIR", tmp.path().join("target"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    eprintln!("cargo install took {:.0?}", started.elapsed());
    let bin = root.join("bin").join("ddldiag");
    let v = Std::new(&bin).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&v.stdout),
        format!("ddldiag {}\n", env!("CARGO_PKG_VERSION"))
    );
    let run = Std::new(&bin)
        .args(["analyze", "--format", "json"])
        .arg(manifest.join("fixtures/seed-50417/tidb-0.tar.gz"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let after = home_bin
        .as_ref()
        .and_then(|p| std::fs::metadata(p).ok()?.modified().ok());
    assert_eq!(before, after, "CARGO_HOME/bin/ddldiag was touched");
}
