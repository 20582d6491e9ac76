//! Bytes as a log file through the whole pipeline, the rules and every renderer: no panic, and
//! the escaping promises hold (no control character but a colour reaches a terminal view, no
//! raw control byte reaches the HTML, Markdown stays under 60,000 characters).
#![no_main]

use ddldiag::analyze::{self, Options};
use ddldiag::model::FailOn;
use ddldiag::render::{self, Format, RenderOptions, TableOptions};
use ddldiag::source::Input;
use libfuzzer_sys::fuzz_target;

fn only_colours(s: &str) -> bool {
    let plain = ddldiag::render::escape::terminal_output(s, true);
    plain == s
}

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("tidb.log");
    std::fs::write(&p, data).unwrap();
    let opts = Options {
        threads: 1,
        ..Options::default()
    };
    let analysis = analyze::run(&[Input::Path(p)], &opts).expect("no worker panics");
    let settings = ddldiag::diagnosis::Settings {
        error_count_limit: 512,
        stall_after: chrono::Duration::minutes(10),
        tidb_version: None,
    };
    let report = ddldiag::report::judge(&analysis, settings, FailOn::Error);
    for color in [false, true] {
        let ro = RenderOptions {
            table: TableOptions {
                color,
                width: Some(100),
                verbose: true,
            },
            fail_on: FailOn::Error,
        };
        let table = render::to_string(&report, Format::Table, &ro);
        assert!(only_colours(&table), "{table:?}");
        for job in &report.jobs {
            let t = render::table::render_timeline(job, &ro.table);
            assert!(only_colours(&t), "{t:?}");
        }
    }
    let ro = RenderOptions::default();
    let md = render::to_string(&report, Format::Markdown, &ro);
    assert!(md.chars().count() < 60_000);
    let html = render::to_string(&report, Format::Html, &ro);
    assert!(!html
        .bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\n' | b'\t' | b'\r')) || b == 0x7f));
    for f in [
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Trace,
        Format::Jsonl,
    ] {
        let _ = render::to_string(&report, f, &ro);
    }
});
