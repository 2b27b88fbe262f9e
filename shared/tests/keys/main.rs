//! Keys, CSRs, certificates and policy, checked against `openssl` as the reference.
//! (Host only: it runs `openssl`; `tests/web.rs` covers the browser.)
#![cfg(not(target_arch = "wasm32"))]

mod certificate;
mod corpus;
mod fuzz;
mod generate;
mod helpers;
mod renewal;
