//! No input makes the decoders or the policy panic.

use std::sync::OnceLock;

use base64::Engine as _;
use proptest::prelude::*;
use shared::inspect::{inspect_certificate, inspect_csr, inspect_csr_der};
use shared::keys::{Subject, generate};
use shared::policy::{check, check_subject};
use shared::{KeyAlgorithm, PolicyLimits};

fn valid_csr_der() -> &'static [u8] {
    static DER: OnceLock<Vec<u8>> = OnceLock::new();
    DER.get_or_init(|| {
        let subject = Subject {
            username: "minjun".into(),
            groups: vec!["dev-team".into(), "ops".into()],
        };
        let pem_text = generate(KeyAlgorithm::EcdsaP256, &subject).unwrap().csr_pem;
        pem::parse(pem_text).unwrap().into_contents()
    })
}

fn framed(label: &str, body: &[u8]) -> String {
    pem::encode(&pem::Pem::new(label, body))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = inspect_csr(&text);
        let _ = inspect_certificate(&text);
        let _ = inspect_csr_der(&bytes);
        let _ = shared::inspect::inspect_certificate_der(&bytes);
        // Random bytes inside valid PEM framing reach the DER parsers.
        let _ = inspect_csr(&framed("CERTIFICATE REQUEST", &bytes));
        let _ = inspect_certificate(&framed("CERTIFICATE", &bytes));
        let _ = inspect_certificate(&base64::engine::general_purpose::STANDARD.encode(&bytes));
    }

    #[test]
    fn random_strings_never_panic(text in ".{0,512}") {
        let _ = inspect_csr(&text);
        let _ = inspect_certificate(&text);
        let _ = check_subject(&text, std::slice::from_ref(&text), &test_limits(), &shared::names::NameIndex::new());
    }

    #[test]
    fn a_mutated_csr_never_panics_and_never_verifies_a_changed_signed_part(
        mutations in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4)
    ) {
        let mut der = valid_csr_der().to_vec();
        for (index, xor) in &mutations {
            let at = index.index(der.len());
            der[at] ^= xor;
        }
        if let Ok(info) = inspect_csr_der(&der) {
            // Whatever still decodes has a verified signature over what it shows.
            let _ = check(&info, &test_limits(), &KeyAlgorithm::ALL, &shared::names::NameIndex::new());
            prop_assert_eq!(info.common_name.as_str(), "minjun");
            prop_assert_eq!(info.organizations, ["dev-team", "ops"]);
        }
        let _ = inspect_csr(&framed("CERTIFICATE REQUEST", &der));
    }
}

/// The default policy, with the groups these tests' CSRs ask for offered.
fn test_limits() -> PolicyLimits {
    PolicyLimits {
        allowed_groups: vec!["dev-team".to_owned(), "qa".to_owned()],
        ..PolicyLimits::default()
    }
}
