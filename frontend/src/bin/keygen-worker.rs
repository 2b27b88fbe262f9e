//! The Web Worker that generates keys and CSRs off the page's thread (see
//! `frontend::keys`); Trunk builds it as a `data-type="worker"` binary.

fn main() {
    #[cfg(target_arch = "wasm32")]
    frontend::keys::serve_in_worker();
}
