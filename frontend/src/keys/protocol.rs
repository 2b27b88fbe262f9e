//! The messages the page and the key-generation workers exchange with `postMessage`,
//! each a JSON text.
//!
//! An RSA key is made by several workers at once: each is asked for a [`Job::Prime`],
//! the page keeps the first two primes that arrive, terminates the other workers and
//! asks one of them to [`Job::Assemble`] the key and its CSR. Any other key is one
//! worker's [`Job::Make`] (so the page's own bundle links no key or CSR code). The page waits for
//! [`WorkerMessage::Ready`] before it sends a job: a message posted before the worker's
//! WebAssembly has loaded would be lost.

use serde::{Deserialize, Serialize};
use shared::KeyAlgorithm;
use shared::keys::GenerationStep;
use zeroize::Zeroizing;

/// Who the key is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The key algorithm.
    pub algorithm: KeyAlgorithm,
    /// The username written as the CSR's common name.
    pub username: String,
    /// The groups written as the CSR's organizations, in order.
    pub groups: Vec<String>,
}

/// What the page asks a worker to do. It has no `Debug`: [`Job::Assemble`] holds the
/// primes, that is the private key.
#[derive(Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Job {
    /// Find one prime for an RSA modulus of `modulus_bits` and send it.
    Prime {
        /// The modulus length (2048, 3072 or 4096).
        modulus_bits: usize,
    },
    /// Make a key of `request.algorithm` (not RSA) and its CSR.
    Make {
        /// Who the key is for, and its algorithm.
        request: Request,
    },
    /// Make the RSA key from these two primes (hex) and the CSR for `request`.
    Assemble {
        /// Who the key is for.
        request: Request,
        /// One prime.
        p: Zeroizing<String>,
        /// The other.
        q: Zeroizing<String>,
    },
}

/// What the worker tells the page. It has no `Debug`: [`WorkerMessage::Done`] holds the
/// private key. Externally tagged (`{"done":{…}}`, `"ready"`): the page reads it in the
/// request form's bundle, and serde's reader for a tag inside the object is several
/// kilobytes larger there.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerMessage {
    /// The worker's WebAssembly has loaded and it listens for a [`Request`].
    Ready,
    /// A prime was found (lower-case hex); the worker waits for its next job.
    Prime {
        /// The prime, wiped from Rust memory on both sides once used.
        prime: Zeroizing<String>,
    },
    /// The worker starts a step.
    Step {
        /// The step that starts.
        step: Step,
    },
    /// The key and CSR are made; the worker has nothing more to say.
    Done {
        /// The algorithm the key was made for.
        algorithm: KeyAlgorithm,
        /// The CSR, PEM-encoded.
        csr_pem: String,
        /// The private key, PKCS#8 PEM; wiped from Rust memory on both sides once used.
        private_key_pem: Zeroizing<String>,
    },
    /// Generation failed (or the request could not be read).
    Failed {
        /// A stable code, such as `key_generation_failed`.
        code: String,
        /// A message for a person.
        message: String,
    },
}

/// A step the worker announces; the wire form of [`GenerationStep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The key pair is being generated.
    GeneratingKey,
    /// The CSR is being built and signed.
    SigningCsr,
}

impl From<GenerationStep> for Step {
    fn from(step: GenerationStep) -> Self {
        match step {
            GenerationStep::GeneratingKey => Self::GeneratingKey,
            GenerationStep::SigningCsr => Self::SigningCsr,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_done_message_round_trips_with_its_key() {
        let text = serde_json::to_string(&WorkerMessage::Done {
            algorithm: KeyAlgorithm::Rsa2048,
            csr_pem: "csr".into(),
            private_key_pem: Zeroizing::new("key".into()),
        })
        .unwrap();
        let Ok(WorkerMessage::Done {
            algorithm,
            csr_pem,
            private_key_pem,
        }) = serde_json::from_str(&text)
        else {
            panic!("not a done message: {text}");
        };
        assert_eq!(algorithm, KeyAlgorithm::Rsa2048);
        assert_eq!(csr_pem, "csr");
        assert_eq!(private_key_pem.as_str(), "key");
    }

    #[test]
    fn steps_and_requests_have_a_stable_wire_form() {
        let step = serde_json::to_string(&WorkerMessage::Step {
            step: Step::SigningCsr,
        })
        .unwrap();
        assert_eq!(step, r#"{"step":{"step":"signing_csr"}}"#);
        let ready = serde_json::to_string(&WorkerMessage::Ready).unwrap();
        assert_eq!(ready, r#""ready""#);
        let job = serde_json::to_string(&Job::Prime { modulus_bits: 2048 }).unwrap();
        assert_eq!(job, r#"{"job":"prime","modulus_bits":2048}"#);
        let job: Job = serde_json::from_str(
            r#"{"job":"assemble","request":{"algorithm":"rsa4096","username":"minjun","groups":["dev"]},"p":"b","q":"d"}"#,
        )
        .unwrap();
        let Job::Assemble { request, p, q } = job else {
            panic!("not an assemble job");
        };
        assert_eq!(request.algorithm, KeyAlgorithm::Rsa4096);
        assert_eq!((p.as_str(), q.as_str()), ("b", "d"));
        let job = serde_json::to_string(&Job::Make {
            request: Request {
                algorithm: KeyAlgorithm::EcdsaP256,
                username: "minjun".into(),
                groups: vec!["dev".into()],
            },
        })
        .unwrap();
        assert_eq!(
            job,
            r#"{"job":"make","request":{"algorithm":"ecdsa-p256","username":"minjun","groups":["dev"]}}"#
        );
    }

    #[test]
    fn a_malformed_message_is_an_error_not_a_panic() {
        for text in [
            "",
            "{}",
            r#"{"done":{}}"#,
            r#"{"bogus":null}"#,
            r#""bogus""#,
            "[1]",
        ] {
            assert!(
                serde_json::from_str::<WorkerMessage>(text).is_err(),
                "{text}"
            );
        }
        for text in [
            "",
            "{}",
            r#"{"job":"prime"}"#,
            r#"{"job":"make"}"#,
            r#"{"job":"generate"}"#,
        ] {
            assert!(serde_json::from_str::<Job>(text).is_err(), "{text}");
        }
    }
}
