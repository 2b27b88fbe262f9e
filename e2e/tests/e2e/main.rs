//! CertDesk end to end, in one test binary.

mod approver_rights;
mod dangerous;
mod deny;
mod elsewhere;
mod first_visit;
mod flow;
mod grant_picker;
mod identity;
mod journey;
mod keep_renewed;
mod key_algorithms;
mod keygen;
mod lifecycle;
mod list_bulk;
mod list_scale;
mod live_list;
mod notify;
mod oidc;
mod reload;
mod renewal_replaces;
mod replicas;
mod run_command;
mod screenshots;
mod seed_walkthrough;
mod signing;
mod withdraw;
