//! The request form (`/`): the first page a new colleague loads, a bundle of its own.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(frontend::RequesterApp);
}
