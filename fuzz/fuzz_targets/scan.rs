//! Bytes through the line scanner with a small line cap: every physical line is accounted for
//! (`records + continuations + unparsed == lines`), whatever the line endings.
#![no_main]

use std::sync::Arc;

use ddldiag::scan::{Prefilter, ScanOptions, Scanner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let prefilter = Prefilter::default();
    for (max_line, full_parse) in [(64, false), (1 << 20, true)] {
        let opts = ScanOptions {
            max_line,
            full_parse,
        };
        let s = Scanner::new(Arc::from("f"), Arc::from("i"), opts, &prefilter);
        let mut events = Vec::new();
        let (stats, res) = s.scan(&mut &data[..], &mut events);
        assert!(res.is_ok());
        assert_eq!(
            stats.records + stats.continuations + stats.unparsed,
            stats.lines
        );
        assert_eq!(stats.bytes, data.len() as u64);
        assert!(stats.truncated_lines <= stats.lines);
        if !data.contains(&b'\r') {
            let lf = data.iter().filter(|&&b| b == b'\n').count() as u64;
            let last = u64::from(!data.is_empty() && !data.ends_with(b"\n"));
            assert_eq!(stats.lines, lf + last);
        }
    }
});
