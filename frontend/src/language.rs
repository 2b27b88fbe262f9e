//! Which language the portal speaks: the browser's preferred languages at first
//! (`navigator.languages`, read by leptos_i18n), then the person's choice from the
//! switch in the header, remembered in this browser (`localStorage`) for every page of
//! the three apps. leptos_i18n keeps `<html lang>` in step.

use leptos::prelude::*;

use leptos_i18n::Locale as _;

use crate::i18n::{Locale, t, use_i18n};

/// Where the choice is kept (this origin's `localStorage`; never sent anywhere).
pub const STORAGE_KEY: &str = "certdesk.language";

/// The locale of a language tag as the switch writes it (`en`, `ko`), if the portal
/// speaks it.
pub fn locale_of(tag: &str) -> Option<Locale> {
    Locale::get_all()
        .iter()
        .copied()
        .find(|locale| locale.as_str() == tag)
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The language chosen earlier in this browser, if any.
pub fn remembered() -> Option<Locale> {
    let tag = storage()?.get_item(STORAGE_KEY).ok().flatten()?;
    locale_of(&tag)
}

/// Speaks the language chosen earlier in this browser (over the browser's preference);
/// placed first inside the i18n context. It sets it from an effect: the context's own
/// effect, which runs first, sets the browser's preference.
#[component]
pub fn Remembered() -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| {
        if let Some(locale) = remembered() {
            i18n.set_locale(locale);
        }
    });
}

/// The language switch: a labelled `<select>` naming each language in itself (with its
/// `lang`), which changes every string at once and is remembered for the next visit.
#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let choose = move |ev: leptos::ev::Event| {
        let Some(locale) = locale_of(&event_target_value(&ev)) else {
            return;
        };
        i18n.set_locale(locale);
        if let Some(storage) = storage() {
            let _ = storage.set_item(STORAGE_KEY, locale.as_str());
        }
    };
    let options = Locale::get_all()
        .iter()
        .copied()
        .map(|locale| {
            let tag = locale.as_str();
            view! {
                <option value=tag lang=tag selected=move || i18n.get_locale() == locale>
                    {name(locale)}
                </option>
            }
        })
        .collect_view();
    view! {
        <label class="language">
            <span>{t!(i18n, language.label)}</span>
            <select data-testid="language-select" on:change=choose>{options}</select>
        </label>
    }
}

/// A catalogue text meant for an attribute or a plain string (an `aria-label`, a
/// `title`) with its values put in: leptos_i18n's `t_string!` cannot interpolate here
/// (that needs its `interpolate_display`, which `load_locales!` does not offer), so such
/// texts write their values as `%{name}`, which the parity test checks like `{{ name }}`.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    // One pass: a value is never read again (a username may hold "%{…}" itself).
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("%{") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let filled = after.split_once('}').and_then(|(name, tail)| {
            let value = values.iter().find(|(n, _)| *n == name.trim())?.1;
            Some((value, tail))
        });
        match filled {
            Some((value, tail)) => {
                out.push_str(value);
                rest = tail;
            }
            None => {
                out.push_str("%{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether the page speaks English (where a server's own English message, which may say
/// more than the catalogue's general one, is shown as it is).
pub fn is_english(i18n: leptos_i18n::I18nContext<Locale>) -> bool {
    i18n.get_locale() == Locale::en
}

/// A language's name in that language, as the switch shows it whatever the page's.
fn name(locale: Locale) -> &'static str {
    match locale {
        Locale::en => "English",
        Locale::ko => "한국어",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    const EN: &str = include_str!("../locales/en.json");
    const KO: &str = include_str!("../locales/ko.json");

    /// Every key of a catalogue (`form.username`), each with the placeholders its text
    /// uses (`{{ name }}` and `<tag>`), which a translation must keep.
    fn entries(catalogue: &Value) -> BTreeSet<(String, Vec<String>)> {
        fn walk(prefix: &str, value: &Value, out: &mut BTreeSet<(String, Vec<String>)>) {
            match value {
                Value::Object(map) => {
                    for (key, value) in map {
                        let path = if prefix.is_empty() {
                            key.clone()
                        } else {
                            format!("{prefix}.{key}")
                        };
                        walk(&path, value, out);
                    }
                }
                Value::String(text) => {
                    out.insert((prefix.to_owned(), placeholders(text)));
                }
                other => {
                    out.insert((prefix.to_owned(), vec![format!("not text: {other}")]));
                }
            }
        }
        let mut out = BTreeSet::new();
        walk("", catalogue, &mut out);
        out
    }

    fn placeholders(text: &str) -> Vec<String> {
        let mut found: Vec<String> = text
            .split("{{")
            .skip(1)
            .filter_map(|rest| {
                rest.split_once("}}")
                    .map(|(name, _)| name.trim().to_owned())
            })
            .chain(text.split("%{").skip(1).filter_map(|rest| {
                rest.split_once('}')
                    .map(|(name, _)| format!("%{{{}}}", name.trim()))
            }))
            .chain(
                text.split('<')
                    .skip(1)
                    .filter(|rest| !rest.starts_with('/'))
                    .filter_map(|rest| rest.split_once('>').map(|(tag, _)| format!("<{tag}>"))),
            )
            .collect();
        found.sort();
        found
    }

    /// What `of` has that `against` lacks or words with other placeholders.
    fn missing(of: &Value, against: &Value) -> Vec<String> {
        let theirs = entries(against);
        entries(of)
            .difference(&theirs)
            .map(|(key, holes)| format!("{key} {holes:?}"))
            .collect()
    }

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("a catalogue is JSON")
    }

    #[test]
    fn both_languages_have_every_key_with_the_same_placeholders() {
        let (en, ko) = (parse(EN), parse(KO));
        assert_eq!(
            missing(&en, &ko),
            Vec::<String>::new(),
            "missing in ko.json"
        );
        assert_eq!(
            missing(&ko, &en),
            Vec::<String>::new(),
            "missing in en.json"
        );
    }

    #[test]
    fn a_key_removed_from_the_korean_catalogue_is_found() {
        let en = parse(EN);
        let mut broken = parse(KO);
        broken["form"]
            .as_object_mut()
            .expect("form is a group")
            .remove("username");
        assert_eq!(missing(&en, &broken), ["form.username []"]);
        let mut reworded = parse(KO);
        reworded["start"]["cluster"] = Value::String("클러스터".to_owned());
        assert_eq!(
            missing(&en, &reworded),
            ["start.cluster [\"<strong>\", \"name\"]"]
        );
    }

    #[test]
    fn fill_puts_each_value_in_its_place_once() {
        assert_eq!(
            super::fill("%{user}: %{user} (%{n})", &[("user", "a%{n}"), ("n", "2")]),
            "a%{n}: a%{n} (2)"
        );
        assert_eq!(placeholders("Remove %{grant}"), ["%{grant}"]);
    }

    /// leptos_i18n 0.6.2 drops a `{{ variable }}` written before a component (`<tag>`)
    /// in the same text: such a value is written as a component instead.
    #[test]
    fn no_variable_comes_before_a_component() {
        fn texts<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
            match value {
                Value::Object(map) => map.values().for_each(|v| texts(v, out)),
                Value::String(text) => out.push(text),
                _ => {}
            }
        }
        for catalogue in [parse(EN), parse(KO)] {
            let mut all = Vec::new();
            texts(&catalogue, &mut all);
            for text in all {
                if let (Some(variable), Some(tag)) = (text.find("{{"), text.find('<')) {
                    assert!(variable > tag, "a variable before a component: {text}");
                }
            }
        }
    }

    #[test]
    fn the_switch_reads_only_the_languages_the_portal_speaks() {
        assert_eq!(super::locale_of("ko"), Some(super::Locale::ko));
        assert_eq!(super::locale_of("en"), Some(super::Locale::en));
        assert_eq!(super::locale_of("fr"), None);
        assert_eq!(super::locale_of("<script>"), None);
    }
}
