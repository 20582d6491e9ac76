//! One line through the record parser (every format and prefix) and the event mapper.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data).into_owned();
    let _ = ddldiag::record::is_record_start(data);
    let Some(rec) = ddldiag::record::parse_line(&line) else {
        return;
    };
    let instance: Arc<str> = Arc::from("tidb-0");
    let evidence = ddldiag::event::Evidence {
        file: Arc::from("f"),
        line: 1,
        ts: Some(rec.ts),
        text: Arc::from(line.as_str()),
    };
    let events = ddldiag::event::to_event(&rec, &instance, evidence);
    for ev in &events {
        let _ = ddldiag::report::build::summarize(ev);
    }
});
