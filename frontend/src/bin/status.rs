//! A request's status page (`/requests/:id`), a bundle of its own: the request form
//! loads it once the request is sent.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(frontend::StatusApp);
}
