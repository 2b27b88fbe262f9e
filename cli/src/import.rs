//! `kubectl certdesk import FILE`: adopts a kubeconfig CertDesk gave out. Its key and
//! certificate move into the plugin's store, and its user entry becomes the exec form
//! that runs this plugin; everything else in the file is kept. The file is rewritten
//! whole (temporary file, rename) and left readable by its owner only.

use std::path::Path;

use base64::Engine as _;
use serde_json::{Value, json};
use shared::kubeconfig::Kubeconfig;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::args::ImportArgs;
use crate::error::{Error, Result};
use crate::store::{self, Entry, VERSION};

/// The exec entry that runs this plugin for `username`, renewing at `portal` (the
/// same entry the portal's plugin kubeconfig holds: `shared::kubeconfig::ExecConfig`).
pub fn exec_entry(portal: &str, username: &str) -> Value {
    json!({ "exec": shared::kubeconfig::ExecConfig::certdesk(portal, username) })
}

/// What was imported, for the message.
#[derive(Debug)]
pub struct Imported {
    /// The user.
    pub username: String,
    /// The API server.
    pub server: String,
    /// Where the key and certificate now are.
    pub store: std::path::PathBuf,
    /// When the certificate expires (the plugin renews it before).
    pub not_after: OffsetDateTime,
}

/// Runs `import`.
pub fn run(args: &ImportArgs) -> Result<Imported> {
    let path = &args.kubeconfig;
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?);
    let mut config = Kubeconfig::from_yaml(&text).map_err(|e| Error::file(path, e))?;
    if let Some(context) = &args.context {
        config.current_context = context.clone();
    }
    let context = config
        .current()
        .ok_or_else(|| Error::file(path, "has no current context (pass --context NAME)"))?
        .clone();
    let user = config
        .current_user()
        .ok_or_else(|| Error::file(path, format!("names no user {:?}", context.context.user)))?;
    let cluster = config.current_cluster().ok_or_else(|| {
        Error::file(
            path,
            format!("names no cluster {:?}", context.context.cluster),
        )
    })?;
    let certificate_pem = user
        .user
        .certificate_pem()
        .map_err(|e| Error::file(path, e))?
        .ok_or_else(|| {
            Error::file(
                path,
                format!(
                    "the user {:?} holds no client certificate (already imported?)",
                    user.name
                ),
            )
        })?;
    let private_key_pem = user
        .user
        .private_key_pem()
        .map_err(|e| Error::file(path, e))?
        .ok_or_else(|| {
            Error::file(
                path,
                format!("the user {:?} holds no private key", user.name),
            )
        })?;
    let certificate = shared::inspect::inspect_certificate(&certificate_pem)
        .map_err(|e| Error::file(path, format!("the client certificate cannot be read: {e}")))?;
    let username = certificate
        .common_name
        .clone()
        .ok_or_else(|| Error::file(path, "the client certificate names no user"))?;
    if !shared::inspect::public_key_matches(&certificate, &private_key_pem).unwrap_or(false) {
        return Err(Error::file(
            path,
            "the private key is not the client certificate's",
        ));
    }
    let portal = args.portal.clone().ok_or_else(|| {
        Error::Usage(
            "pass --portal with CertDesk's address (the portal's issued page shows the command)"
                .to_owned(),
        )
    })?;
    let portal_ca_pem = match &args.portal_ca {
        Some(file) => Some(std::fs::read_to_string(file).map_err(|e| Error::file(file, e))?),
        None => None,
    };
    // Refuses a bad portal address before anything changes.
    crate::portal::Portal::new(&portal, portal_ca_pem.as_deref())?;
    let ca_pem = match &cluster.cluster.certificate_authority_data {
        Some(data) => String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|_| Error::file(path, "certificate-authority-data is not base64"))?,
        )
        .map_err(|_| Error::file(path, "certificate-authority-data is not PEM"))?,
        None => String::new(),
    };
    let server = cluster.cluster.server.clone();
    let entry = Entry {
        version: VERSION,
        portal: portal.clone(),
        portal_ca_pem,
        server: server.clone(),
        ca_pem: ca_pem.clone(),
        username: username.clone(),
        certificate_pem,
        private_key_pem,
        not_before: certificate.not_before,
        not_after: certificate.not_after,
        issued: store::issued_estimate(
            certificate.not_before,
            certificate.not_after,
            time::OffsetDateTime::now_utc(),
        ),
        warned: None,
    };
    let store_path = store::path_for(&store::dir()?, &server, &ca_pem, &username);
    store::write(&store_path, &entry)?;
    rewrite(path, &text, &user.name, &portal, &username)?;
    Ok(Imported {
        username,
        server,
        store: store_path,
        not_after: certificate.not_after,
    })
}

/// Rewrites the kubeconfig with `user_name`'s entry in the exec form, everything else
/// as it was.
fn rewrite(path: &Path, text: &str, user_name: &str, portal: &str, username: &str) -> Result<()> {
    let mut document: Value = serde_saphyr::from_str(text).map_err(|e| Error::file(path, e))?;
    let users = document
        .get_mut("users")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| Error::file(path, "has no users"))?;
    let entry = users
        .iter_mut()
        .find(|u| u.get("name").and_then(Value::as_str) == Some(user_name))
        .ok_or_else(|| Error::file(path, format!("has no user {user_name:?}")))?;
    entry["user"] = exec_entry(portal, username);
    let yaml = shared::kubeconfig::document_to_yaml(&document).map_err(|e| Error::file(path, e))?;
    let temporary = path.with_extension(format!("certdesk-{}.tmp", std::process::id()));
    let written = (|| {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all(yaml.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(|e| Error::file(path, e))
}
