//! Physical lines → records → events, for one file.
