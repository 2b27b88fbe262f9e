//! The backend's HTTP behaviour, through the router (no socket) and the real binary.

mod cli;
mod config;
mod helpers;
