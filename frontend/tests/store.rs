//! The private-key store in headless Chromium's real IndexedDB: a record survives every
//! handle being dropped and the database reopened (what a reload does), deleting
//! forgets it, and the count follows both; the form's own count reads the same
//! records and, where there is no database, makes none.
#![cfg(target_arch = "wasm32")]

use frontend::store::{KeyStore, StoredKey, held_named};
use shared::KeyAlgorithm;
use wasm_bindgen_test::*;
use zeroize::Zeroizing;

wasm_bindgen_test_configure!(run_in_browser);

fn record(id: &str, created_ms: f64) -> StoredKey {
    StoredKey {
        request_id: id.to_owned(),
        private_key_pem: Zeroizing::new(
            "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"
                .to_owned(),
        ),
        algorithm: KeyAlgorithm::EcdsaP256,
        username: "<img src=x onerror=alert(1)>".to_owned(),
        groups: vec!["dev-team".to_owned(), "minjün 🚀".to_owned()],
        created_ms,
        kubeconfig_downloaded: false,
        renewed_by_plugin: false,
        portal: String::new(),
        cluster: "a".to_owned(),
        batch: None,
        part: 0,
    }
}

#[wasm_bindgen_test]
async fn a_key_survives_reopening_the_database_and_delete_forgets_it() {
    let name = format!("certdesk-test-{}", js_sys::Math::random());
    let first = record("req-a", 1_000.0);
    let second = record("req-b", 2_000.0);
    {
        let store = KeyStore::open_named(&name).await.unwrap();
        assert_eq!(store.count().await.unwrap(), 0, "a new store is empty");
        store.put(&first).await.unwrap();
        store.put(&first).await.unwrap();
        store.put(&second).await.unwrap();
        store.close();
    }
    // A new connection, as after a reload: nothing of the first one is left.
    let store = KeyStore::open_named(&name).await.unwrap();
    assert_eq!(store.get("req-a").await.unwrap().as_ref(), Some(&first));
    let listed: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.request_id)
        .collect();
    assert_eq!(listed, ["req-b", "req-a"], "newest first");
    assert_eq!(store.count().await.unwrap(), 2, "one record per request id");

    store.mark_downloaded("req-a").await.unwrap();
    assert!(
        store
            .get("req-a")
            .await
            .unwrap()
            .unwrap()
            .kubeconfig_downloaded
    );

    store.delete("req-a").await.unwrap();
    store.close();
    let store = KeyStore::open_named(&name).await.unwrap();
    assert_eq!(store.get("req-a").await.unwrap(), None);
    assert_eq!(store.get("req-b").await.unwrap().as_ref(), Some(&second));
    assert_eq!(store.get("never-made").await.unwrap(), None);
    assert_eq!(store.count().await.unwrap(), 1);
    store.close();
}

#[wasm_bindgen_test]
async fn the_forms_count_makes_no_database_and_reads_the_stores_records() {
    let name = format!("certdesk-test-{}", js_sys::Math::random());
    assert_eq!(
        held_named(&name).await.unwrap(),
        0,
        "no database: nothing held"
    );
    assert_eq!(held_named(&name).await.unwrap(), 0, "asked again");
    // Had the count made an empty database, this open would find no object store.
    let store = KeyStore::open_named(&name).await.unwrap();
    store.put(&record("req-a", 1_000.0)).await.unwrap();
    store.put(&record("req-b", 2_000.0)).await.unwrap();
    store.close();
    assert_eq!(held_named(&name).await.unwrap(), 2);
    let store = KeyStore::open_named(&name).await.unwrap();
    store.delete("req-b").await.unwrap();
    assert_eq!(
        store.list().await.unwrap().len(),
        1,
        "the store still works"
    );
    store.close();
    assert_eq!(held_named(&name).await.unwrap(), 1);
}
