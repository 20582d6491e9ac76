//! TiDB's JSON log format (`log.format = "json"`): one object per line with the keys `time`
//! (same layout as the unified header), `level`, `caller` and `message`; every other key is a
//! field.
//!
//! The object is read with our own map visitor rather than into a `serde_json::Map`, because
//! that map sorts its keys unless the crate-wide `preserve_order` feature is on (which would
//! change every other module's JSON output). The visitor keeps document order and duplicates,
//! and borrows strings that have no escapes straight from the line.
//!
//! Pretty-printed objects spread over several lines (#45450) are not records line by line; the
//! scanner joins the lines of such an object and parses the whole ([`crate::scan`]).

use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use smallvec::SmallVec;

use super::{Field, Format, Level, Record, Text};
use crate::model::Timestamp;
use crate::record::time::parse_json_time;

/// A JSON value as read from the line: a string borrowed when it had no escapes, or anything
/// else decoded.
enum Val<'a> {
    Borrowed(&'a str),
    Decoded(Value),
}

impl<'a> Val<'a> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Val::Borrowed(s) => Some(s),
            Val::Decoded(Value::String(s)) => Some(s),
            Val::Decoded(_) => None,
        }
    }

    /// As field text: strings as they are, anything else as compact JSON.
    fn into_text(self) -> Text<'a> {
        match self {
            Val::Borrowed(s) => Text::Raw(s),
            Val::Decoded(Value::String(s)) => Text::Owned(s),
            Val::Decoded(other) => Text::Owned(other.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Val<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Val<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Val<'de>, E> {
                Ok(Val::Borrowed(s))
            }
            fn visit_str<E>(self, s: &str) -> Result<Val<'de>, E> {
                Ok(Val::Decoded(Value::String(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Val<'de>, E> {
                Ok(Val::Decoded(Value::String(s)))
            }
            fn visit_bool<E>(self, b: bool) -> Result<Val<'de>, E> {
                Ok(Val::Decoded(Value::Bool(b)))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Val<'de>, E> {
                Ok(Val::Decoded(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Val<'de>, E> {
                Ok(Val::Decoded(n.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Val<'de>, E> {
                serde_json::Number::from_f64(n)
                    .map(|n| Val::Decoded(Value::Number(n)))
                    .ok_or_else(|| E::custom("non-finite number"))
            }
            fn visit_unit<E>(self) -> Result<Val<'de>, E> {
                Ok(Val::Decoded(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Val<'de>, A::Error> {
                Value::deserialize(SeqAccessDeserializer::new(seq)).map(Val::Decoded)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Val<'de>, A::Error> {
                Value::deserialize(MapAccessDeserializer::new(map)).map(Val::Decoded)
            }
        }
        d.deserialize_any(V)
    }
}

/// A whole line's object, already split into header and fields.
struct Obj<'a> {
    ts: Option<Timestamp>,
    level: Option<Level>,
    caller: Option<&'a str>,
    message: Option<Text<'a>>,
    fields: SmallVec<[Field<'a>; 12]>,
}

impl<'de> Deserialize<'de> for Obj<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Obj<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Obj<'de>, A::Error> {
                let mut o = Obj {
                    ts: None,
                    level: None,
                    caller: None,
                    message: None,
                    fields: SmallVec::new(),
                };
                while let Some(key) = map.next_key::<Val<'de>>()? {
                    let value: Val<'de> = map.next_value()?;
                    // The first string `time`/`level`/`caller` and the first `message` form
                    // the header; anything else, repeats included, stays a field.
                    match (key.as_str().unwrap_or_default(), &value) {
                        ("time", v) if o.ts.is_none() && v.as_str().is_some() => {
                            let t = parse_json_time(v.as_str().unwrap_or_default());
                            o.ts = Some(t.ok_or_else(|| A::Error::custom("bad time"))?);
                        }
                        ("level", v) if o.level.is_none() && v.as_str().is_some() => {
                            let l = Level::parse(v.as_str().unwrap_or_default());
                            o.level = Some(l.ok_or_else(|| A::Error::custom("bad level"))?);
                        }
                        // `Record::source` borrows; a caller with escapes (never seen) stays a field.
                        ("caller", Val::Borrowed(s)) if o.caller.is_none() => o.caller = Some(s),
                        ("message", _) if o.message.is_none() => {
                            o.message = Some(value.into_text())
                        }
                        _ => o.fields.push(Field {
                            key: key.into_text(),
                            value: value.into_text(),
                        }),
                    }
                }
                Ok(o)
            }
        }
        d.deserialize_map(V)
    }
}

/// Parses a JSON-format line. `None` unless it is a single JSON object with a string `time`
/// in the unified layout (or RFC 3339) and a known `level`; `caller` and `message` may be
/// absent (empty then).
pub fn parse(line: &str) -> Option<Record<'_>> {
    if !line.starts_with('{') {
        return None;
    }
    let o: Obj<'_> = serde_json::from_str(line).ok()?;
    Some(Record {
        ts: o.ts?,
        level: o.level?,
        logger: None,
        source: o.caller.unwrap_or(""),
        message: o.message.unwrap_or(Text::Raw("")),
        fields: o.fields,
        format: Format::Json,
        origin: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rfc3339;

    #[test]
    fn one_line_json_record() {
        // #45450's record, on one line as `log.format = "json"` writes it.
        let l = r#"{"level":"ERROR","time":"2023/07/18 09:33:51.968 +00:00","caller":"ddl_worker.go:942","message":"[ddl] run DDL job error","worker":"worker 5, tp add index","jobID":125,"ok":false,"ids":[1,2],"info":{"a":"b"},"error":"[ddl:8214]Cancelled DDL job","errorVerbose":"x\n\ty"}"#;
        let r = parse(l).unwrap();
        assert_eq!(rfc3339(&r.ts), "2023-07-18T09:33:51.968+00:00");
        assert_eq!(r.level, Level::Error);
        assert_eq!(r.source, "ddl_worker.go:942");
        assert_eq!(r.format, Format::Json);
        assert_eq!(
            r.message_and_category(),
            ("run DDL job error".into(), Some("ddl".into()))
        );
        let keys: Vec<_> = r.fields.iter().map(|f| f.key.get().into_owned()).collect();
        assert_eq!(
            keys,
            [
                "worker",
                "jobID",
                "ok",
                "ids",
                "info",
                "error",
                "errorVerbose"
            ]
        );
        assert!(r.field("worker").unwrap().is("worker 5, tp add index"));
        assert!(r.field("jobID").unwrap().is("125"));
        assert!(r.field("ok").unwrap().is("false"));
        assert!(r.field("ids").unwrap().is("[1,2]"));
        assert!(r.field("info").unwrap().is(r#"{"a":"b"}"#));
        assert!(r.field("errorVerbose").unwrap().is("x\n\ty"));
    }

    #[test]
    fn duplicates_kept_and_lowercase_level() {
        let l = r#"{"time":"2024/01/13 19:21:09.480 +08:00","level":"info","message":"run DDL job","category":"ddl","category":"ddl","level":"x"}"#;
        let r = parse(l).unwrap();
        assert_eq!(r.level, Level::Info);
        assert_eq!(r.source, "");
        assert_eq!(r.fields.len(), 3);
        assert!(r.fields[2].key.is("level"));
    }

    #[test]
    fn not_json_records() {
        assert!(parse(r#"{"level":"INFO"}"#).is_none());
        assert!(parse(r#"{"time":"2024/01/13 19:21:09.480 +08:00","level":"LOUD"}"#).is_none());
        assert!(parse(r#"{"time":"soon","level":"INFO"}"#).is_none());
        assert!(parse(r#"{ "level": "ERROR","#).is_none());
        assert!(parse("[1,2]").is_none());
        assert!(parse(r#"{"time":"2024/01/13 19:21:09.480 +08:00","level":"INFO"} x"#).is_none());
    }
}
