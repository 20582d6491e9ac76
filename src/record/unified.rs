//! The unified log format (RFC 0018 as written by pingcap/log).

use super::Record;

pub fn parse(_line: &str) -> Option<Record<'_>> {
    None
}
