//! The speed bound ddldiag is measured against (`bench/run.sh`): read the same bytes through
//! the same decoder and tar reader, and only count newlines.
//!
//! `decode_bound tar.gz FILE` — stream a `.tar.gz` (flate2 + zlib-rs, tar), inflating inner
//! `.gz` members too, counting `\n` in every member.
//! `decode_bound dir DIR` — count `\n` in every file below DIR with memchr.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

fn count_newlines(r: &mut dyn Read) -> std::io::Result<(u64, u64)> {
    let mut buf = vec![0u8; 256 * 1024];
    let (mut bytes, mut lines) = (0u64, 0u64);
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok((bytes, lines));
        }
        bytes += n as u64;
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
    }
}

fn tar_gz(path: &Path) -> std::io::Result<(u64, u64)> {
    let f = std::fs::File::open(path)?;
    let gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(256 * 1024, f));
    let mut ar = tar::Archive::new(gz);
    let (mut bytes, mut lines) = (0, 0);
    for entry in ar.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().to_string();
        let (b, l) = if name.ends_with(".gz") {
            count_newlines(&mut flate2::read::MultiGzDecoder::new(&mut entry))?
        } else {
            count_newlines(&mut entry)?
        };
        bytes += b;
        lines += l;
    }
    Ok((bytes, lines))
}

fn dir(path: &Path) -> std::io::Result<(u64, u64)> {
    let (mut bytes, mut lines) = (0, 0);
    let mut entries: Vec<_> = std::fs::read_dir(path)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        let (b, l) = if p.is_dir() {
            dir(&p)?
        } else {
            count_newlines(&mut std::fs::File::open(&p)?)?
        };
        bytes += b;
        lines += l;
    }
    Ok((bytes, lines))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("tar.gz"), Some(p)) => tar_gz(Path::new(p)),
        (Some("dir"), Some(p)) => dir(Path::new(p)),
        _ => {
            eprintln!("usage: decode_bound tar.gz FILE | decode_bound dir DIR");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok((bytes, lines)) => {
            println!("{bytes} bytes {lines} lines");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("decode_bound: {e}");
            ExitCode::from(1)
        }
    }
}
