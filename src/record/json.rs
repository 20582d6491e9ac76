//! TiDB's JSON log format (`log.format = "json"`).

use super::Record;

pub fn parse(_line: &str) -> Option<Record<'_>> {
    None
}
