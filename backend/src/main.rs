//! The `certdesk` server and its `check` subcommand. All logic lives in the library;
//! this only reports failures.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let config = backend::config::Config::parse();
    backend::telemetry::init(config.serve.log_format);
    if let Some(backend::config::Command::Check(args)) = &config.command {
        let oidc = match config.oidc.validate() {
            Ok(oidc) => oidc.map(|o| o.config),
            Err(error) => {
                eprintln!("certdesk check: {error}");
                return ExitCode::FAILURE;
            }
        };
        return match backend::check::run(args, oidc.as_ref()).await {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(error) => {
                eprintln!("certdesk check: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    match backend::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line a person can act on; the chain says what failed and why.
            eprintln!("certdesk: {error:#}");
            ExitCode::FAILURE
        }
    }
}
