//! One line through the record parser (every format and prefix) and the event mapper.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let _ = ddldiag::record::is_record_start(data);
    if let Some(rec) = ddldiag::record::parse_line(&line) {
        let instance: Arc<str> = Arc::from("tidb-0");
        let evidence = ddldiag::event::Evidence {
            file: Arc::from("f"),
            line: 1,
            ts: Some(rec.ts),
            text: line.to_string(),
        };
        for ev in ddldiag::event::to_event(&rec, &instance, evidence) {
            let _ = ddldiag::report::build::summarize(&ev);
        }
    }
});
