//! One module a route.

pub mod admin;
pub mod bench_keygen;
pub mod inspect;
pub mod not_found;
pub mod request;
pub mod status;
