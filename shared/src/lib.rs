//! The types CertDesk's backend and browser app exchange, and the pure logic both run.
//!
//! Nothing here performs I/O or needs an async runtime, so the crate builds for
//! `wasm32-unknown-unknown` and for the host alike.
//!
//! ```
//! use shared::{ApiError, ErrorCode};
//!
//! let body = r#"{"code":"csr_signature_invalid","message":"The CSR's signature does not verify."}"#;
//! let error: ApiError = serde_json::from_str(body).unwrap();
//! assert_eq!(error.code, ErrorCode::CsrSignatureInvalid);
//! assert_eq!(error.code.http_status(), 422);
//! ```
#![deny(missing_docs)]

pub mod admin;
pub mod admin_list;
pub mod admin_preview;
pub mod api;
pub mod decision;
pub mod duration;
pub mod error;
pub mod grant_risk;
pub mod identity;
pub mod inspect;
pub mod invite;
pub mod keys;
pub mod kubeconfig;
pub mod names;
pub mod oidc;
pub mod people;
pub mod policy;
pub mod renewal;
pub mod risk;
pub mod rsa_primes;
pub mod subject;
pub mod support;
pub mod withdrawal;
mod yaml_writer;

pub use api::{
    DurationLimits, KeyAlgorithm, LifetimeCut, Peer, Phase, PluginDownload, PolicyLimits,
    PortalConfig, RequestId, RequestStatus, RequestTicket, SubmitRequest,
};
pub use error::{ApiError, ErrorCode};
pub use inspect::{CertificateInfo, CsrInfo, InspectError, PublicKeyInfo};
pub use keys::{GeneratedKey, KeyError, PrivateKey, Subject};
pub use policy::{Violation, ViolationCode};
