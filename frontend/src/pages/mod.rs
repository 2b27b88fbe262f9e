//! One module a route.

pub mod admin;
pub mod bench_keygen;
pub mod home;
pub mod not_found;
