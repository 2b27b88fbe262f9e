//! `cargo fuzz run csr`: see `harness::csr`.
#![no_main]

#[path = "../../tests/fuzzing/harness.rs"]
#[allow(dead_code)]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::csr(data));
