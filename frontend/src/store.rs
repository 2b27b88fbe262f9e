//! The browser's private-key store: one record per request id in IndexedDB (through
//! `rexie`; the form only counts them, with the browser's own calls: [`held`]), so a
//! reload, a closed tab or a visit tomorrow finds the key the request's certificate
//! will belong to.
//!
//! Records live until the person has downloaded the kubeconfig and chosen to forget the
//! key. Nothing here is ever sent to the server.

use std::fmt;

use serde::{Deserialize, Serialize};
use shared::KeyAlgorithm;
use zeroize::Zeroizing;

/// The IndexedDB database the app uses.
pub const DATABASE: &str = "certdesk";
/// The object store that holds the keys, keyed by request id.
const KEYS: &str = "keys";
/// The database's schema version.
const VERSION: u32 = 1;

/// One request's private key and what the pages need to resume it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredKey {
    /// The request id the server answered with (the store's key).
    pub request_id: String,
    /// The private key, PKCS#8 PEM; wiped from this copy when dropped.
    pub private_key_pem: Zeroizing<String>,
    /// The key's algorithm.
    pub algorithm: KeyAlgorithm,
    /// The username the CSR asked for.
    pub username: String,
    /// The groups the CSR asked for.
    pub groups: Vec<String>,
    /// When the key was made, in milliseconds since the Unix epoch.
    pub created_ms: f64,
    /// Whether the kubeconfig holding this key has been downloaded.
    pub kubeconfig_downloaded: bool,
    /// Whether the requester chose a short certificate the credential plugin keeps
    /// renewed (rather than one downloaded by hand).
    #[serde(default)]
    pub renewed_by_plugin: bool,
    /// The CertDesk the request was sent to: a peer's origin, or empty for this one.
    #[serde(default)]
    pub portal: String,
    /// The cluster's name as its CertDesk gave it (empty in records made before
    /// requests could go to several clusters).
    #[serde(default)]
    pub cluster: String,
    /// The submission this request was one part of, when one form went to several
    /// clusters: every part carries the same value (the page shows them side by side).
    #[serde(default)]
    pub batch: Option<String>,
    /// Its place among the submission's parts (the form's order of the clusters).
    #[serde(default)]
    pub part: u32,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("request_id", &self.request_id)
            .field("private_key_pem", &"<redacted>")
            .field("algorithm", &self.algorithm)
            .field("username", &self.username)
            .field("groups", &self.groups)
            .field("created_ms", &self.created_ms)
            .field("kubeconfig_downloaded", &self.kubeconfig_downloaded)
            .field("renewed_by_plugin", &self.renewed_by_plugin)
            .field("portal", &self.portal)
            .field("cluster", &self.cluster)
            .field("batch", &self.batch)
            .field("part", &self.part)
            .finish()
    }
}

/// Why the key store could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The browser refused IndexedDB (private mode in some browsers, or storage
    /// disabled) or an operation on it failed.
    #[error("this browser's storage (IndexedDB) is not available: {0}")]
    Unavailable(String),
    /// A stored record could not be read back.
    #[error("a stored key record could not be read: {0}")]
    Corrupt(String),
}

impl From<rexie::Error> for StoreError {
    fn from(error: rexie::Error) -> Self {
        Self::Unavailable(error.to_string())
    }
}

/// Result of a key store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open connection to the key store.
pub struct KeyStore {
    db: rexie::Rexie,
}

impl KeyStore {
    /// Opens (creating on first use) the app's key store.
    pub async fn open() -> Result<Self> {
        Self::open_named(DATABASE).await
    }

    /// Opens (creating on first use) a key store in the database `name`; tests use
    /// their own names so they do not touch each other's records.
    pub async fn open_named(name: &str) -> Result<Self> {
        let db = rexie::Rexie::builder(name)
            .version(VERSION)
            .add_object_store(rexie::ObjectStore::new(KEYS).key_path("request_id"))
            .build()
            .await?;
        Ok(Self { db })
    }

    /// Returns every stored record, newest first.
    pub async fn list(&self) -> Result<Vec<StoredKey>> {
        let transaction = self
            .db
            .transaction(&[KEYS], rexie::TransactionMode::ReadOnly)?;
        let values = transaction.store(KEYS)?.get_all(None, None).await?;
        transaction.done().await?;
        let mut records = values
            .into_iter()
            .map(|value| from_js(&value))
            .collect::<Result<Vec<_>>>()?;
        records.sort_by(|a, b| b.created_ms.total_cmp(&a.created_ms));
        Ok(records)
    }

    /// How many records there are (reads none of them).
    pub async fn count(&self) -> Result<u32> {
        let transaction = self
            .db
            .transaction(&[KEYS], rexie::TransactionMode::ReadOnly)?;
        let count = transaction.store(KEYS)?.count(None).await?;
        transaction.done().await?;
        Ok(count)
    }

    /// Returns the record of `request_id`, if this browser has one.
    pub async fn get(&self, request_id: &str) -> Result<Option<StoredKey>> {
        let transaction = self
            .db
            .transaction(&[KEYS], rexie::TransactionMode::ReadOnly)?;
        let value = transaction.store(KEYS)?.get(request_id.into()).await?;
        transaction.done().await?;
        value.as_ref().map(from_js).transpose()
    }

    /// The parts of the submission `batch`, in the form's order of the clusters.
    pub async fn batch(&self, batch: &str) -> Result<Vec<StoredKey>> {
        let mut parts: Vec<StoredKey> = self
            .list()
            .await?
            .into_iter()
            .filter(|record| record.batch.as_deref() == Some(batch))
            .collect();
        parts.sort_by_key(|record| record.part);
        Ok(parts)
    }

    /// Stores `record`, replacing any record of the same request id.
    pub async fn put(&self, record: &StoredKey) -> Result<()> {
        let value = to_js(record)?;
        let transaction = self
            .db
            .transaction(&[KEYS], rexie::TransactionMode::ReadWrite)?;
        transaction.store(KEYS)?.put(&value, None).await?;
        transaction.done().await?;
        Ok(())
    }

    /// Records that the kubeconfig of `request_id` has been downloaded.
    pub async fn mark_downloaded(&self, request_id: &str) -> Result<()> {
        if let Some(mut record) = self.get(request_id).await? {
            record.kubeconfig_downloaded = true;
            self.put(&record).await?;
        }
        Ok(())
    }

    /// Forgets the record of `request_id` (nothing happens if there is none).
    pub async fn delete(&self, request_id: &str) -> Result<()> {
        let transaction = self
            .db
            .transaction(&[KEYS], rexie::TransactionMode::ReadWrite)?;
        transaction.store(KEYS)?.delete(request_id.into()).await?;
        transaction.done().await?;
        Ok(())
    }

    /// Closes the connection.
    pub fn close(self) {
        self.db.close();
    }
}

/// Runs `op` on a freshly opened store and closes the store whatever `op` returns: the
/// one way the pages reach their keys, so none leaves a connection open.
pub async fn with_store<T>(op: impl AsyncFnOnce(&KeyStore) -> Result<T>) -> Result<T> {
    let store = KeyStore::open().await?;
    let result = op(&store).await;
    store.close();
    result
}

/// How many keys this browser holds: what the first visit's form asks, read through
/// the browser's own IndexedDB calls (no `rexie`, so the form's bundle carries no
/// IndexedDB wrapper) and without making the database when there is none yet (its
/// creation is aborted, so the first real [`KeyStore::open`] still sets up the store).
pub async fn held() -> Result<u32> {
    held_named(DATABASE).await
}

/// [`held`] in the database `name` (tests use their own).
pub async fn held_named(name: &str) -> Result<u32> {
    use wasm_bindgen::JsCast as _;
    let refused = |what: &str| StoreError::Unavailable(what.to_owned());
    let factory = web_sys::window()
        .and_then(|window| window.indexed_db().ok().flatten())
        .ok_or_else(|| refused("this browser offers no IndexedDB"))?;
    let opening = factory.open(name).map_err(|_| refused("opening refused"))?;
    let made_now = std::rc::Rc::new(std::cell::Cell::new(false));
    let on_upgrade = {
        let (opening, made_now) = (opening.clone(), made_now.clone());
        wasm_bindgen::closure::Closure::once_into_js(move || {
            made_now.set(true);
            if let Some(creating) = opening.transaction() {
                let _ = creating.abort();
            }
        })
    };
    opening.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
    let db = match answer(&opening).await {
        Ok(db) => db.unchecked_into::<web_sys::IdbDatabase>(),
        // No database: nothing held (its creation was aborted).
        Err(_) if made_now.get() => return Ok(0),
        Err(_) => return Err(refused("opening failed")),
    };
    opening.set_onupgradeneeded(None);
    let count = async {
        if !db.object_store_names().contains(KEYS) {
            return Ok(0.0);
        }
        let reading = db
            .transaction_with_str(KEYS)
            .and_then(|transaction| transaction.object_store(KEYS))
            .and_then(|keys| keys.count())
            .map_err(|_| refused("reading refused"))?;
        let count = answer(&reading)
            .await
            .map_err(|_| refused("counting failed"))?;
        Ok(count.as_f64().unwrap_or_default())
    }
    .await;
    db.close();
    count.map(|count: f64| count as u32)
}

/// An IndexedDB request's result, once it succeeds.
async fn answer(
    request: &web_sys::IdbRequest,
) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
    let settled = js_sys::Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    wasm_bindgen_futures::JsFuture::from(settled).await?;
    request.result()
}

/// Converts through JSON text (wiped afterwards) rather than a new serde bridge crate.
fn to_js(record: &StoredKey) -> Result<wasm_bindgen::JsValue> {
    let text = Zeroizing::new(
        serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    );
    js_sys::JSON::parse(&text).map_err(|_| StoreError::Corrupt("JSON.parse failed".to_owned()))
}

fn from_js(value: &wasm_bindgen::JsValue) -> Result<StoredKey> {
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .map(Zeroizing::new)
        .ok_or_else(|| StoreError::Corrupt("the record is not JSON".to_owned()))?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))
}
