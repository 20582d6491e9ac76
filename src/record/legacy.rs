//! The pre-2019 text form: `2018/01/24 07:00:41.857 domain.go:596: [error] ...`.

use super::Record;

pub fn parse(_line: &str) -> Option<Record<'_>> {
    None
}
