//! The whole request form (`/start/`), a bundle of its own: an invite link's form and
//! the choice of clusters, which the first visit's form (`/`) leaves out. An install
//! with peers serves it at `/` too.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(frontend::WholeFormApp);
}
