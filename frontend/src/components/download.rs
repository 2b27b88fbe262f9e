//! Saving text the app made (a kubeconfig, a key, a certificate) as a file on the
//! person's computer, through a Blob and an object URL: nothing goes over the network.

use wasm_bindgen::JsCast;

/// Offers `text` as a download named `file_name`; returns a message when the browser
/// refused.
pub fn save_text(file_name: &str, text: &str, mime: &str) -> Result<(), String> {
    let failed = |what: &str| format!("The browser could not save the file ({what}).");
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| failed("Blob"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| failed("URL"))?;
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| failed("no document"))?;
    let anchor = document
        .create_element("a")
        .map_err(|_| failed("link"))?
        .dyn_into::<web_sys::HtmlAnchorElement>()
        .map_err(|_| failed("link"))?;
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    // The click has started the download; the URL is no longer needed.
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Returns `text` reduced to characters safe in a file name (`A–Z a–z 0–9 . _ -`), at
/// most 60 of them, so a hostile username cannot make a path.
pub fn file_name_part(text: &str) -> String {
    let part: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    let part = part.trim_matches(|c| c == '.' || c == '-');
    if part.is_empty() {
        "user".to_owned()
    } else {
        part.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::file_name_part;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_name_part("minjun"), "minjun");
        assert_eq!(file_name_part("../../etc/passwd"), "etc-passwd");
        assert_eq!(file_name_part("<img src=x>"), "img-src-x");
        assert_eq!(file_name_part("..."), "user");
        assert_eq!(file_name_part(&"a".repeat(500)).len(), 60);
    }
}
