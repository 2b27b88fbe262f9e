//! The file tools (`/inspect`, `/bench/keygen`), a bundle of its own.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(frontend::ToolsApp);
}
