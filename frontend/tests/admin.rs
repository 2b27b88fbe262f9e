//! The approver's components in headless Chromium: hostile strings from a CSR stay inert
//! text, red risk flags are red, the permissions preview, and the deny button's guard.
#![cfg(target_arch = "wasm32")]

use frontend::components::can_i_preview::CanIPreview;
use frontend::components::deny_form::DenyForm;
use frontend::components::request_details::RequestDetails;
use frontend::components::request_row::{RequestRow, age_words, duration_words, lifetime_words};
use frontend::i18n::{I18nContextProvider, Locale, use_i18n};
use frontend::pages::admin::requests::{href_of, query_of};
use leptos::prelude::*;
use leptos_router::params::ParamsMap;
use shared::Phase;
use shared::admin::{Grant, RequestView, Risk, RoleKind, Rule, Severity};
use shared::admin_list::ListQuery;
use shared::admin_preview::{GrantRules, preview};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const IMG: &str = "<img src=x onerror=alert(1)>";
const YAML: &str = "a\"\nusers:";

fn long_name() -> String {
    "n".repeat(500)
}

fn view_of(name: &str, phase: Phase, created: i64) -> RequestView {
    RequestView {
        name: name.to_owned(),
        phase,
        managed: true,
        created_by: Some("system:serviceaccount:certdesk:certdesk".into()),
        created: time::OffsetDateTime::from_unix_timestamp(created).ok(),
        age_seconds: Some(90),
        username: Some("minjun".into()),
        groups: vec!["dev-team".into()],
        key: Some("ECDSA P-256".into()),
        expiration_seconds: Some(30 * 86_400),
        note: None,
        client_address: None,
        user_agent: None,
        decode_error: None,
        risks: Vec::new(),
        invite: None,
        renewal_of: None,
        not_issued: None,
        decision: None,
    }
}

fn hostile() -> RequestView {
    RequestView {
        username: Some(IMG.to_owned()),
        groups: vec![YAML.to_owned(), long_name(), "system:masters".to_owned()],
        note: Some(format!("please {IMG}")),
        user_agent: Some(IMG.to_owned()),
        client_address: Some(YAML.to_owned()),
        risks: vec![
            Risk {
                code: shared::risk::RiskCode::SystemGroup,
                severity: Severity::Red,
                message: "Asks for the Kubernetes system group \"system:masters\".".into(),
            },
            Risk {
                code: shared::risk::RiskCode::LongDuration,
                severity: Severity::Amber,
                message: format!("{IMG} long"),
            },
        ],
        ..view_of("csr-hostile", Phase::Pending, 1_700_000_000)
    }
}

/// A fresh element in the page's body to mount into.
fn container() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div.unchecked_into()
}

fn all(root: &web_sys::HtmlElement, selector: &str) -> Vec<web_sys::Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
        .collect()
}

fn assert_inert(root: &web_sys::HtmlElement) {
    assert!(
        root.query_selector("img").unwrap().is_none(),
        "a CSR's string became an <img> element"
    );
    let text = root.text_content().unwrap();
    assert!(
        text.contains(IMG),
        "the hostile string is not shown as text"
    );
    assert!(
        text.contains(YAML),
        "the YAML-breaking group is not shown as text"
    );
    assert!(
        text.contains(&long_name()),
        "the 500-character group is cut or missing"
    );
}

#[wasm_bindgen_test]
fn a_hostile_csr_in_the_list_row_stays_text() {
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), || {
        view! { <I18nContextProvider><table><tbody><RequestRow view=hostile() /></tbody></table></I18nContextProvider> }
    });
    assert_inert(&root);
    let row = root
        .query_selector("[data-testid=request-row]")
        .unwrap()
        .unwrap();
    assert_eq!(
        row.get_attribute("data-name").as_deref(),
        Some("csr-hostile")
    );
    let link = root
        .query_selector("[data-testid=request-link]")
        .unwrap()
        .unwrap();
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("/admin/requests/csr-hostile")
    );
    assert_eq!(link.text_content().as_deref(), Some(IMG));
}

#[wasm_bindgen_test]
fn a_hostile_csr_in_the_detail_stays_text() {
    let root = container();
    let _mounted = leptos::mount::mount_to(
        root.clone(),
        || view! { <I18nContextProvider><RequestDetails view=hostile() /></I18nContextProvider> },
    );
    assert_inert(&root);
    let username = root
        .query_selector("[data-testid=detail-username]")
        .unwrap()
        .unwrap();
    assert_eq!(username.text_content().as_deref(), Some(IMG));
}

#[wasm_bindgen_test]
fn red_flags_are_red_and_amber_flags_amber() {
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), || {
        view! { <I18nContextProvider><table><tbody><RequestRow view=hostile() /></tbody></table></I18nContextProvider> }
    });
    // In the list, each flag is a chip with its few words, its message in its title.
    let chips = all(&root, "[data-testid=risk-chip]");
    assert_eq!(chips.len(), 2);
    let red = &chips[0];
    assert_eq!(
        red.get_attribute("data-code").as_deref(),
        Some("system_group")
    );
    assert!(red.class_list().contains("risk-red"));
    assert!(!red.class_list().contains("risk-amber"));
    assert_eq!(red.text_content().as_deref(), Some("system group"));
    assert!(
        red.get_attribute("title")
            .unwrap()
            .contains("system:masters")
    );
    let amber = &chips[1];
    assert!(amber.class_list().contains("risk-amber"));
    assert!(!amber.class_list().contains("risk-red"));
    // The row itself is marked for its worst flag.
    let row = root
        .query_selector("[data-testid=request-row]")
        .unwrap()
        .unwrap();
    assert!(row.class_list().contains("has-red"));
    // On the detail page, in full.
    let detail = container();
    let _shown = leptos::mount::mount_to(
        detail.clone(),
        || view! { <I18nContextProvider><RequestDetails view=hostile() /></I18nContextProvider> },
    );
    let flags = all(&detail, "[data-testid=risk]");
    assert_eq!(flags.len(), 2);
    assert!(flags[0].text_content().unwrap().starts_with("Danger: "));
}

#[wasm_bindgen_test]
fn a_request_without_flags_says_so() {
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), || {
        view! { <I18nContextProvider><table><tbody><RequestRow view=view_of("csr-calm", Phase::Pending, 1) /></tbody></table></I18nContextProvider> }
    });
    assert!(all(&root, "[data-testid=risk-chip]").is_empty());
    assert!(root.query_selector(".has-red").unwrap().is_none());
    assert!(root.query_selector(".has-amber").unwrap().is_none());
}

fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> Rule {
    let strings = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect();
    Rule {
        verbs: strings(verbs),
        api_groups: strings(groups),
        resources: strings(resources),
        ..Rule::default()
    }
}

#[wasm_bindgen_test]
fn the_preview_shows_kubectls_table_for_the_chosen_roles() {
    let grants = vec![
        GrantRules {
            grant: Grant {
                kind: RoleKind::Role,
                name: "pod-reader".into(),
                namespace: Some("team-a".into()),
            },
            rules: vec![rule(&["get", "list"], &[""], &["pods"])],
        },
        GrantRules {
            grant: Grant {
                kind: RoleKind::ClusterRole,
                name: "deployer".into(),
                namespace: Some("team-a".into()),
            },
            rules: vec![rule(&["create"], &["apps"], &["deployments"])],
        },
    ];
    let scopes = preview(&grants);
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <I18nContextProvider><CanIPreview scopes=Signal::stored(scopes) /></I18nContextProvider> }
    });
    let headers: Vec<String> = all(&root, "th")
        .iter()
        .map(|h| h.text_content().unwrap())
        .collect();
    assert_eq!(
        headers,
        ["Resources", "Non-Resource URLs", "Resource Names", "Verbs"]
    );
    let rows: Vec<Vec<String>> = all(&root, "[data-testid=can-i-row]")
        .iter()
        .map(|row| {
            let cells = row.query_selector_all("td").unwrap();
            (0..cells.length())
                .map(|i| cells.item(i).unwrap().text_content().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(
        rows,
        [
            ["deployments.apps", "[]", "[]", "[create]"],
            ["pods", "[]", "[]", "[get list]"],
        ]
    );
    assert_eq!(all(&root, "[data-testid=can-i-scope]").len(), 1);
    assert!(root.text_content().unwrap().contains("--namespace team-a"));
}

#[wasm_bindgen_test]
fn no_grant_means_an_empty_preview_with_an_explanation() {
    let root = container();
    let _mounted = leptos::mount::mount_to(root.clone(), || {
        view! { <I18nContextProvider><CanIPreview scopes=Signal::stored(Vec::new()) /></I18nContextProvider> }
    });
    assert!(
        root.query_selector("[data-testid=can-i-empty]")
            .unwrap()
            .is_some()
    );
    assert!(root.query_selector("table").unwrap().is_none());
}

fn type_into(area: &web_sys::HtmlTextAreaElement, text: &str) {
    area.set_value(text);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
    area.dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn deny_is_disabled_until_a_reason_is_typed() {
    let root = container();
    let denied = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let heard = std::sync::Arc::clone(&denied);
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        let reason = RwSignal::new(String::new());
        let on_deny = Callback::new(move |why: String| heard.lock().unwrap().push(why));
        view! { <I18nContextProvider><DenyForm reason busy=Signal::stored(false) on_deny /></I18nContextProvider> }
    });
    let button: web_sys::HtmlButtonElement = root
        .query_selector("[data-testid=deny-button]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    let area: web_sys::HtmlTextAreaElement = root
        .query_selector("[data-testid=deny-reason]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    assert!(button.disabled(), "Deny is enabled with no reason");
    // A label names the field for screen readers.
    let label = root.query_selector("label[for=deny-reason]").unwrap();
    assert!(label.is_some());

    type_into(&area, "   ");
    leptos::task::tick().await;
    assert!(button.disabled(), "a blank reason enabled Deny");
    button.click();
    leptos::task::tick().await;
    assert!(denied.lock().unwrap().is_empty());

    type_into(&area, "  not a team member  ");
    leptos::task::tick().await;
    assert!(!button.disabled(), "Deny stays disabled with a reason");
    button.click();
    leptos::task::tick().await;
    assert_eq!(*denied.lock().unwrap(), ["not a team member"]);
}

/// Lifetimes and ages as the list words them, in English and in Korean (the browser's
/// `Intl` names the units).
#[component]
fn Words(locale: Locale) -> impl IntoView {
    let i18n = use_i18n();
    // After the context's own effect, which sets the browser's language.
    Effect::new(move |_| i18n.set_locale(locale));
    let lifetimes = [
        Some(30 * 86_400),
        Some(86_400 + 12 * 3_600),
        Some(600),
        None,
    ];
    view! {
        {lifetimes.into_iter().map(|l| view! { <p class="word">{move || lifetime_words(i18n, l)}</p> }).collect_view()}
        <p class="word">{move || age_words(i18n, Some(5))}</p>
        <p class="word">{move || age_words(i18n, Some(3 * 3_600 + 59))}</p>
    }
}

#[wasm_bindgen_test]
async fn lifetimes_and_ages_read_as_words() {
    assert_eq!(duration_words(3_600 + 60), "1 hour 1 minute");
    for (locale, expected) in [
        (
            Locale::en,
            [
                "30 days",
                "1 day 12 hours",
                "10 minutes",
                "not set (the signer's maximum)",
                "just now",
                "3 hours ago",
            ],
        ),
        (
            Locale::ko,
            [
                "30일",
                "1일 12시간",
                "10분",
                "지정 안 함 (서명자의 최대값)",
                "방금",
                "3시간 전",
            ],
        ),
    ] {
        let root = container();
        let _mounted = leptos::mount::mount_to(root.clone(), move || {
            view! { <I18nContextProvider><Words locale /></I18nContextProvider> }
        });
        leptos::task::tick().await;
        leptos::task::tick().await;
        let shown: Vec<String> = all(&root, ".word")
            .iter()
            .map(|w| w.text_content().unwrap_or_default())
            .collect();
        assert_eq!(shown, expected, "in {locale:?}");
    }
}

#[wasm_bindgen_test]
fn the_lists_query_lives_in_the_url_and_reads_back() {
    let query = ListQuery {
        phase: Some(Phase::Pending),
        q: Some("min jun&x=1".into()),
        page: Some(3),
        ..ListQuery::default()
    };
    assert_eq!(
        href_of(&query),
        "/admin/requests?phase=Pending&q=min%20jun%26x%3D1&page=3"
    );
    let mut params = ParamsMap::new();
    params.insert("phase", "Pending".to_owned());
    params.insert("q", "min jun&x=1".to_owned());
    params.insert("page", "3".to_owned());
    assert_eq!(query_of(&params), query);
    assert_eq!(href_of(&ListQuery::default()), "/admin/requests");
    // What a person may have typed into the address bar is ignored, not an error.
    let mut junk = ParamsMap::new();
    junk.insert("phase", "Bogus".to_owned());
    junk.insert("page", "0".to_owned());
    junk.insert("q", "  ".to_owned());
    assert_eq!(query_of(&junk), ListQuery::default());
}
