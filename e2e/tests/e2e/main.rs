//! CertDesk end to end, in one test binary.

mod run_command;
