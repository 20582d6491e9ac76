//! Events → one bounded timeline per DDL job, merged across instances.
