//! The backend's HTTP behaviour, through the router (no socket) and the real binary.

mod cli;
mod cluster_flow;
mod config;
mod helpers;
mod lifecycle;
mod openapi;
mod recovery;
mod requests;
