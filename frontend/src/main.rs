//! The requester's app (`/`, `/requests/:id`): the first page a new colleague loads.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(frontend::RequesterApp);
}
