//! The portal configuration (`GET /api/v1/config`), fetched once for the app and shared
//! by its pages through the context; a page shown on its own (a component test) fetches
//! it itself.

use leptos::prelude::*;
use shared::{ApiError, PortalConfig};

/// The portal configuration, loading or loaded.
pub type Config = LocalResource<Result<PortalConfig, ApiError>>;

#[derive(Clone, Copy)]
struct Shared(Config);

/// Starts the app's one fetch of the configuration (in the app's root component).
pub fn provide() {
    provide_context(Shared(LocalResource::new(crate::api::config)));
}

/// The app's configuration.
pub fn use_config() -> Config {
    use_context::<Shared>()
        .map(|shared| shared.0)
        .unwrap_or_else(|| LocalResource::new(crate::api::config))
}
