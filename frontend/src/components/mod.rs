//! Reusable pieces of the pages.

pub mod error_panel;
