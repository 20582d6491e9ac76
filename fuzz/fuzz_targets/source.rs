//! Bytes as standard input through the source layer (sniffing, gzip, tar, zip, nesting) with a
//! small byte budget: no panic, and every file handed over can be read to its end or fails.
#![no_main]

use std::io::Read;

use ddldiag::source::{self, FileMeta, FileSink, SourceOptions};
use libfuzzer_sys::fuzz_target;

struct Drain;

impl FileSink for Drain {
    fn file(&mut self, meta: FileMeta, body: &mut dyn Read) -> std::io::Result<()> {
        let mut r = source::decode(&meta, Box::new(body));
        std::io::copy(&mut r, &mut std::io::sink()).map(|_| ())
    }
}

fuzz_target!(|data: &[u8]| {
    let opts = SourceOptions {
        max_decompressed_bytes: Some(4 << 20),
        ..SourceOptions::default()
    };
    let out = source::walk_reader(0, &mut &data[..], &opts, &mut Drain);
    assert_eq!(out.complete, out.errors.is_empty());
});
