//! The browser side of `frontend::keys` in headless Chromium. The test runner serves no
//! Trunk-built worker script, so the worker's own key generation (every key the pages
//! make) is covered end to end by `e2e/tests/e2e/keygen.rs` on the real bundle; here:
//! the code the worker runs (`generate_inline`), cancelling, and a worker that cannot
//! start.
#![cfg(target_arch = "wasm32")]

use frontend::keys::{self, Cancel, KeyGenError, Phase};
use shared::KeyAlgorithm;
use shared::keys::Subject;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn subject() -> Subject {
    Subject {
        username: "minjun".into(),
        groups: vec!["dev-team".into(), "ops".into()],
    }
}

#[wasm_bindgen_test]
async fn an_ecdsa_key_is_made_in_wasm_with_a_csr_that_inspects_back() {
    let phases = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let seen = std::rc::Rc::clone(&phases);
    let key = keys::generate_inline(
        KeyAlgorithm::EcdsaP256,
        &subject(),
        move |p| seen.borrow_mut().push(p.phase),
        &Cancel::new(),
    )
    .unwrap();
    let info = shared::inspect::inspect_csr(&key.csr_pem).unwrap();
    assert_eq!(info.common_name, "minjun");
    assert_eq!(info.organizations, ["dev-team", "ops"]);
    assert_eq!(
        info.public_key.key_algorithm(),
        Some(KeyAlgorithm::EcdsaP256)
    );
    assert_eq!(
        *phases.borrow(),
        [Phase::GeneratingKey, Phase::SigningCsr, Phase::Done]
    );
}

#[wasm_bindgen_test]
async fn a_cancel_while_the_worker_starts_returns_cancelled() {
    let cancel = Cancel::new();
    let canceller = cancel.clone();
    let result = keys::generate(
        KeyAlgorithm::Rsa4096,
        &subject(),
        move |p| {
            if p.phase == Phase::StartingWorker {
                canceller.cancel();
            }
        },
        &cancel,
    )
    .await;
    assert_eq!(result.err(), Some(KeyGenError::Cancelled));
}

#[wasm_bindgen_test]
async fn a_handle_cancelled_beforehand_generates_nothing() {
    let cancel = Cancel::new();
    cancel.cancel();
    let mut heard = false;
    let result =
        keys::generate_inline(KeyAlgorithm::Ed25519, &subject(), |_| heard = true, &cancel);
    assert_eq!(result.err(), Some(KeyGenError::Cancelled));
    assert!(!heard);
    let result = keys::generate(KeyAlgorithm::Rsa2048, &subject(), |_| {}, &cancel).await;
    assert_eq!(result.err(), Some(KeyGenError::Cancelled));
}

#[wasm_bindgen_test]
async fn a_worker_whose_script_is_missing_is_an_error_not_a_hang() {
    // The test runner's server has no /keygen-worker_loader.js.
    for algorithm in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256] {
        let result = keys::generate(algorithm, &subject(), |_| {}, &Cancel::new()).await;
        assert!(
            matches!(
                result,
                Err(KeyGenError::WorkerFailed(_) | KeyGenError::WorkerUnavailable(_))
            ),
            "{algorithm:?}: {:?}",
            result.err()
        );
    }
}

#[wasm_bindgen_test]
async fn one_worker_waits_for_each_key_the_form_will_make_at_once() {
    // Nothing waits until the form starts readying keys: a choice of three clusters
    // made before anyone typed starts no worker.
    keys::top_up_key_workers(3);
    assert_eq!(keys::keys_ready(), 0);
    // Typing with one cluster chosen, then the peers' defaults choosing three.
    keys::prestart_key_workers(1);
    assert_eq!(keys::keys_ready(), 1);
    keys::top_up_key_workers(3);
    assert_eq!(keys::keys_ready(), 3);
    // Those already waiting count: typing again starts none.
    keys::prestart_key_workers(3);
    assert_eq!(keys::keys_ready(), 3);
    // Each key takes one waiting worker (here its script is missing, so it fails) and
    // leaves the others for the keys made beside it.
    for left in (0..3).rev() {
        let made =
            keys::generate(KeyAlgorithm::EcdsaP256, &subject(), |_| {}, &Cancel::new()).await;
        assert!(made.is_err());
        assert_eq!(keys::keys_ready(), left);
    }
}
