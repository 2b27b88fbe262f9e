//! `kubectl-certdesk`: see the library for what each command does. This only reports
//! failures, as one line on stderr.

use std::process::ExitCode;

use clap::Parser;
use kubectl_certdesk::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Credential(args) => kubectl_certdesk::credential::run(args),
        Command::Import(args) => kubectl_certdesk::import::run(args).map(|imported| {
            println!(
                "Imported {} on {}: the key and certificate are in {} (readable by you only), and {} now runs kubectl-certdesk, which renews the certificate (valid until {}) before it expires.",
                imported.username,
                imported.server,
                imported.store.display(),
                args.kubeconfig.display(),
                imported.not_after
            );
        }),
        Command::Status => kubectl_certdesk::store::dir()
            .and_then(|dir| kubectl_certdesk::store::all(&dir))
            .map(|entries| {
                if entries.is_empty() {
                    println!("No CertDesk credential is stored; import one with `kubectl certdesk import FILE`.");
                }
                for (path, entry) in entries {
                    println!(
                        "{}\t{}\tvalid until {}\trenews at {}\t{}",
                        entry.username,
                        entry.server,
                        entry.not_after,
                        entry.portal,
                        path.display()
                    );
                }
            }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kubectl-certdesk: {error}");
            ExitCode::FAILURE
        }
    }
}
