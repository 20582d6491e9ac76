//! The report model (DESIGN.md §4) and its renderers.
