//! Which component an error came from.
//!
//! Advice is addressed to the component that produced the error (failure-families §1 rule 5):
//! "check TiKV and PD health" only for errors TiKV or PD produced, never for an owner change,
//! object storage, TiDB's own temp dir, a GC life time or the data. The table is checked in
//! order; the first row that matches wins, so the specific rows (GC, storage) come before the
//! generic TiKV ones that their texts would also match.

/// Where an error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorSource {
    /// A TiKV region, leader, store or server error (`[tikv:9005]`, `ServerIsBusy`, ...).
    Tikv,
    /// PD or its timestamp oracle (`[tikv:9001]PD server timeout`, TSO stream errors).
    Pd,
    /// The GC safe point passed the job's snapshot (`[tikv:9006]`): TiKV reports it, but the
    /// cause is the GC life time, not TiKV's health.
    GcLifeTime,
    /// Object storage of global sort / IMPORT INTO (S3, GCS, Azure).
    ExternalStorage,
    /// TiDB itself: its shutdown or owner change (`context canceled`), its ingest backend, a
    /// cancel it issued.
    Tidb,
    /// The data the DDL works on (duplicate keys, values that do not fit).
    Data,
}

impl ErrorSource {
    /// Whether checking TiKV / PD health is advice that fits.
    pub fn is_tikv_or_pd(self) -> bool {
        matches!(self, ErrorSource::Tikv | ErrorSource::Pd)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorSource::Tikv => "TiKV",
            ErrorSource::Pd => "PD",
            ErrorSource::GcLifeTime => "the GC life time",
            ErrorSource::ExternalStorage => "external storage",
            ErrorSource::Tidb => "TiDB itself",
            ErrorSource::Data => "the data",
        }
    }
}

/// (case-insensitive substring, source), first match wins.
const SOURCES: &[(&str, ErrorSource)] = &[
    // GC first: `[tikv:9006]` is a TiKV code, but the remedy is the GC life time.
    ("[tikv:9006]", ErrorSource::GcLifeTime),
    (
        "gc life time is shorter than transaction duration",
        ErrorSource::GcLifeTime,
    ),
    // Object storage: AWS SDK / Azure / GCS errors and URLs.
    ("operation error s3", ErrorSource::ExternalStorage),
    ("s3://", ErrorSource::ExternalStorage),
    ("gcs://", ErrorSource::ExternalStorage),
    ("gs://", ErrorSource::ExternalStorage),
    ("azblob", ErrorSource::ExternalStorage),
    ("storage.googleapis.com", ErrorSource::ExternalStorage),
    ("amazonaws.com", ErrorSource::ExternalStorage),
    ("retry quota exceeded", ErrorSource::ExternalStorage),
    // The data.
    ("[kv:1062]", ErrorSource::Data),
    ("duplicate entry", ErrorSource::Data),
    ("[types:", ErrorSource::Data),
    ("data too long", ErrorSource::Data),
    ("data truncated", ErrorSource::Data),
    ("incorrect", ErrorSource::Data),
    ("out of range", ErrorSource::Data),
    // PD / TSO.
    ("[tikv:9001]", ErrorSource::Pd),
    ("pd server timeout", ErrorSource::Pd),
    ("tso", ErrorSource::Pd),
    // TiKV.
    ("[tikv:9", ErrorSource::Tikv),
    ("region is unavailable", ErrorSource::Tikv),
    ("not leader", ErrorSource::Tikv),
    ("notleader", ErrorSource::Tikv),
    ("epoch not match", ErrorSource::Tikv),
    ("epochnotmatch", ErrorSource::Tikv),
    ("region not found", ErrorSource::Tikv),
    ("regionnotfound", ErrorSource::Tikv),
    ("server is busy", ErrorSource::Tikv),
    ("serverisbusy", ErrorSource::Tikv),
    ("tikv server timeout", ErrorSource::Tikv),
    ("disk full", ErrorSource::Tikv),
    ("diskfull", ErrorSource::Tikv),
    ("stale command", ErrorSource::Tikv),
    // TiDB itself.
    ("context canceled", ErrorSource::Tidb),
    ("[ddl:8214]", ErrorSource::Tidb),
    ("backend is closed", ErrorSource::Tidb),
    ("temp-dir", ErrorSource::Tidb),
    ("sort path", ErrorSource::Tidb),
];

/// The component an error text came from; `None` when the text does not say (a bare
/// `context deadline exceeded` could be any of them).
pub fn source_of(text: &str) -> Option<ErrorSource> {
    let lower = text.to_ascii_lowercase();
    SOURCES
        .iter()
        .find(|(needle, _)| lower.contains(needle))
        .map(|(_, s)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_of_real_error_texts() {
        use ErrorSource::*;
        for (text, want) in [
            ("[tikv:9005]Region is unavailable", Some(Tikv)),
            ("[tikv:9001]PD server timeout: ", Some(Pd)),
            ("[tikv:9006]GC life time is shorter than transaction duration, transaction starts at 2024-01-01 00:00:00", Some(GcLifeTime)),
            ("operation error S3: GetObject, failed to get rate limit token, retry quota exceeded", Some(ExternalStorage)),
            ("[kv:1062]Duplicate entry '1' for key 't.idx'", Some(Data)),
            ("[types:1406]Data too long for column 'c' at row 1", Some(Data)),
            ("context canceled", Some(Tidb)),
            ("context deadline exceeded", None),
        ] {
            assert_eq!(source_of(text), want, "{text}");
        }
    }
}
