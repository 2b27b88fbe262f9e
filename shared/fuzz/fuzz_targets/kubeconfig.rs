//! `cargo fuzz run kubeconfig`: see `harness::kubeconfig`.
#![no_main]

#[path = "../../tests/fuzzing/harness.rs"]
#[allow(dead_code)]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::kubeconfig(data));
