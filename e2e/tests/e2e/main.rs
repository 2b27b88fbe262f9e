//! CertDesk end to end, in one test binary.

mod keygen;
mod run_command;
