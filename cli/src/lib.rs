//! `kubectl-certdesk`: a client-go exec credential plugin that keeps a CertDesk client
//! certificate short-lived and renewed, with no browser and no prompt.
//!
//! - `kubectl certdesk import FILE` adopts a kubeconfig CertDesk gave out: its key and
//!   certificate move into the plugin's store ([`store`]: one 0600 file per API server,
//!   CA and user under `$XDG_STATE_HOME/certdesk`), and its user entry becomes the exec
//!   form that runs this plugin ([`import`]).
//! - On every kubectl command ([`credential`]), the plugin answers from the store until
//!   two thirds of the certificate's lifetime have passed; then it makes a new key,
//!   proves possession of the current one through CertDesk's renewal API ([`portal`])
//!   and answers with the new pair once issued. Twenty kubectl processes at once make
//!   one renewal (a lock beside the store entry); a half-written store is never read
//!   (write, fsync, rename).
//! - When renewal is impossible it says so in one line on stderr, naming the portal:
//!   the certificate still valid and CertDesk unreachable, it keeps answering and says
//!   so once an hour; expired or refused, kubectl fails.
#![deny(missing_docs)]

pub mod args;
pub mod credential;
pub mod error;
pub mod import;
pub mod portal;
pub mod store;

pub use error::{Error, Result};
