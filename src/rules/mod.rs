//! The rule catalogue (DESIGN.md §5): one file per rule.
