//! Times as the logs wrote them.
//!
//! A time keeps the offset its log line was written with, so that reports show the operator's
//! local time, while comparisons order instants. Parsing the log's own layouts belongs to the
//! record layer (`record::time`); this module only holds the type and how reports write it.

/// A point in time with the offset the log line was written in.
pub type Timestamp = chrono::DateTime<chrono::FixedOffset>;

/// RFC 3339 with milliseconds and the log's own offset, as used in every report.
pub fn rfc3339(ts: &Timestamp) -> String {
    ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

/// Serde: a [`Timestamp`] as [`rfc3339`] text.
pub fn ser<S: serde::Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(ts))
}

/// Serde: an optional [`Timestamp`] as [`rfc3339`] text or `null`.
pub fn ser_opt<S: serde::Serializer>(ts: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match ts {
        Some(t) => s.serialize_some(&rfc3339(t)),
        None => s.serialize_none(),
    }
}

/// The JSON Schema of a reported time: RFC 3339 text (`"format": "date-time"`), so that a
/// consumer's validator rejects `"yesterday"`. Fields hold a [`Timestamp`] and name this type in
/// `#[schemars(with = …)]`; nothing is ever of this type.
pub struct Rfc3339;

impl schemars::JsonSchema for Rfc3339 {
    fn schema_name() -> String {
        "Rfc3339".to_string()
    }

    fn is_referenceable() -> bool {
        false
    }

    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some("date-time".to_string()),
            ..Default::default()
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_keeps_the_offset_and_milliseconds() {
        let t = chrono::DateTime::parse_from_rfc3339("2024-01-13T19:21:11.461+08:00").unwrap();
        assert_eq!(rfc3339(&t), "2024-01-13T19:21:11.461+08:00");
        let t = chrono::DateTime::parse_from_rfc3339("2024-01-13T19:21:11+05:30").unwrap();
        assert_eq!(rfc3339(&t), "2024-01-13T19:21:11.000+05:30");
    }
}
