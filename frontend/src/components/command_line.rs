//! A command to paste into a terminal, with a button that copies it.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{t, t_string, use_i18n};

/// One shell command in a `<pre>`, and "Copy" beside it; `testid` names the `<pre>`
/// (the button is `<testid>-copy`).
#[component]
pub fn CommandLine(command: String, testid: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let copied = RwSignal::new(None::<bool>);
    let text = StoredValue::new(command.clone());
    let copy = move |_| {
        let Some(clipboard) = web_sys::window().map(|w| w.navigator().clipboard()) else {
            copied.set(Some(false));
            return;
        };
        let promise = clipboard.write_text(&text.get_value());
        spawn_local(async move {
            let done = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
            copied.try_set(Some(done));
        });
    };
    view! {
        <div class="command">
            <pre data-testid=testid>{command}</pre>
            <button type="button" class="secondary copy" data-testid=format!("{testid}-copy")
                on:click=copy>{t!(i18n, command.copy)}</button>
            <span class="muted copy-result" role="status">{move || match copied.get() {
                Some(true) => t_string!(i18n, command.copied),
                Some(false) => t_string!(i18n, command.not_copied),
                None => "",
            }}</span>
        </div>
    }
}

/// `word` as one POSIX shell word: as it is when it holds only characters no shell
/// treats specially, else in single quotes (a `'` inside written `'\''`). Usernames,
/// namespaces and cluster names go through this before they land in a command a
/// person pastes into a terminal.
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%_+=:,./-".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn hostile_words_stay_one_quoted_word() {
        assert_eq!(shell_word("minjun@prod"), "minjun@prod");
        assert_eq!(shell_word("team-a"), "team-a");
        assert_eq!(shell_word("a$(curl x|sh)"), "'a$(curl x|sh)'");
        assert_eq!(shell_word("it's; rm -rf ~"), r"'it'\''s; rm -rf ~'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("`id`\nnext"), "'`id`\nnext'");
    }
}
