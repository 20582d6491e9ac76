//! Error classification: transient, permanent or unknown, as one table.
