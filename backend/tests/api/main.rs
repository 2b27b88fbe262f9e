//! The backend's HTTP behaviour, through the router (no socket) and the real binary.

mod admin_list;
mod assets;
mod bounds;
mod check;
mod cli;
mod cluster_flow;
mod config;
mod escalation;
mod helpers;
mod identity;
mod lifecycle;
mod notifications;
mod openapi;
mod overload;
mod policy_rules;
mod recovery;
mod requests;
mod shutdown;
mod tls_client;
mod transport;
mod webhook;
mod webhook_hardening;
