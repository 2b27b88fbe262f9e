//! Reusable pieces of the pages.

pub mod approve_outcome;
pub mod bulk_deny;
pub mod can_i_preview;
pub mod command_line;
pub mod deny_form;
pub mod download;
pub mod error_panel;
pub mod focus;
pub mod grant_picker;
pub mod picked_grant;
pub mod progress;
pub mod request_details;
pub mod request_row;
pub mod risk_flags;
pub mod subject;
pub mod time;
pub mod title;
