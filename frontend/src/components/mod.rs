//! Reusable pieces of the pages.

pub mod download;
pub mod error_panel;
pub mod subject;
pub mod time;
