//! The requester's pages in headless Chromium: the request form's validation messages as
//! a person types, hostile text rendered as text, and the Inspect page's reading of a
//! kubeconfig assembled from a fixed certificate, key and CA.
#![cfg(target_arch = "wasm32")]

use frontend::components::subject::SubjectLine;
use frontend::i18n::I18nContextProvider;
use frontend::pages::inspect::{FindingsView, inspect_text};
use frontend::pages::request::RequestForm;
use leptos::prelude::*;
use leptos_router::components::Router;
use shared::kubeconfig::{Credentials, Kubeconfig};
use shared::{DurationLimits, KeyAlgorithm, PolicyLimits, PortalConfig};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const CA: &str = include_str!("../../shared/tests/fixtures/ca.crt");
const CERT: &str = include_str!("../../shared/tests/fixtures/client.crt");
const KEY: &str = include_str!("../../shared/tests/fixtures/client.key");
const HOSTILE: &str = "<img src=x onerror=alert(1)>";

/// The portal configuration; with `groups_allowed`, the policy offers `dev-team` and `qa`.
fn config(groups_allowed: bool) -> PortalConfig {
    PortalConfig {
        cluster_name: "dev".into(),
        server_url: "https://127.0.0.1:6443".into(),
        ca_bundle_pem: CA.into(),
        key_algorithms: KeyAlgorithm::ALL.to_vec(),
        duration: DurationLimits::default(),
        policy: PolicyLimits {
            allowed_groups: if groups_allowed {
                vec!["dev-team".into(), "qa".into()]
            } else {
                Vec::new()
            },
            ..PolicyLimits::default()
        },
        invite_required: false,
        auto_approve_invites: false,
        auto_approve_renewals: false,
        plugin_downloads: Vec::new(),
        approvers_contact: None,
        oidc: None,
        peers: Vec::new(),
    }
}

/// A fresh element in the page to mount into.
fn container() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document
        .create_element("div")
        .unwrap()
        .dyn_into::<web_sys::HtmlElement>()
        .unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div
}

fn find(root: &web_sys::HtmlElement, testid: &str) -> Option<web_sys::Element> {
    root.query_selector(&format!("[data-testid={testid}]"))
        .unwrap()
}

fn text(root: &web_sys::HtmlElement, testid: &str) -> String {
    find(root, testid)
        .unwrap_or_else(|| panic!("no [data-testid={testid}]"))
        .text_content()
        .unwrap_or_default()
}

/// The values of the group boxes the form offers, in order.
fn group_options(root: &web_sys::HtmlElement) -> Vec<String> {
    let found = root
        .query_selector_all("[data-testid=group-option]")
        .unwrap();
    (0..found.length())
        .filter_map(|i| found.item(i))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|input| input.value())
        .collect()
}

/// Ticks the box of one offered group, as a click would.
async fn tick(root: &web_sys::HtmlElement, group: &str) {
    let found = root
        .query_selector_all("[data-testid=group-option]")
        .unwrap();
    let input = (0..found.length())
        .filter_map(|i| found.item(i))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlInputElement>().ok())
        .find(|input| input.value() == group)
        .unwrap_or_else(|| panic!("no box for {group:?}"));
    input.click();
    settle().await;
}

/// Lets Leptos run the effects a signal change scheduled.
async fn settle() {
    for _ in 0..3 {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            web_sys::window()
                .unwrap()
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
                .unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    }
}

/// Types `value` into a field (an input, a text area or a select) the way a person
/// does: the value changes, then `input` (or `change` for a select) fires.
async fn type_into(root: &web_sys::HtmlElement, testid: &str, value: &str) {
    let element = find(root, testid).unwrap_or_else(|| panic!("no [data-testid={testid}]"));
    let event_name = if let Some(select) = element.dyn_ref::<web_sys::HtmlSelectElement>() {
        select.set_value(value);
        "change"
    } else if let Some(input) = element.dyn_ref::<web_sys::HtmlInputElement>() {
        input.set_value(value);
        "input"
    } else if let Some(area) = element.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        area.set_value(value);
        "input"
    } else {
        panic!("[data-testid={testid}] is not an input, a text area or a select");
    };
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict(event_name, &init).unwrap();
    element.dispatch_event(&event).unwrap();
    settle().await;
}

fn mount_form(groups_allowed: bool) -> web_sys::HtmlElement {
    mount_form_with(config(groups_allowed))
}

fn mount_form_with(config: PortalConfig) -> web_sys::HtmlElement {
    // Each test starts without another's draft (the tests share one page's storage).
    frontend::draft::clear();
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! { <I18nContextProvider><Router><RequestForm config /></Router></I18nContextProvider> }
    });
    handle.forget();
    root
}

#[wasm_bindgen_test]
async fn the_form_names_the_rule_each_field_breaks() {
    let root = mount_form(true);
    settle().await;
    assert_eq!(text(&root, "username-error"), "", "no error before typing");
    assert_eq!(
        text(&root, "lifetime-error"),
        "",
        "the default lifetime is valid"
    );

    type_into(&root, "username-input", "minjun").await;
    assert_eq!(text(&root, "username-error"), "");
    type_into(&root, "username-input", "").await;
    assert_eq!(text(&root, "username-error"), "Enter a username.");
    type_into(&root, "username-input", "system:kube-proxy").await;
    assert!(
        text(&root, "username-error").contains("reserved for Kubernetes itself"),
        "{}",
        text(&root, "username-error")
    );
    type_into(&root, "username-input", &"a".repeat(65)).await;
    assert_eq!(
        text(&root, "username-error"),
        "The username has 65 characters; at most 64 are allowed."
    );

    // The groups are exactly the policy's, offered as boxes to tick.
    assert_eq!(group_options(&root), ["dev-team", "qa"]);
    tick(&root, "dev-team").await;
    assert_eq!(text(&root, "groups-error"), "");

    type_into(&root, "lifetime-unit", "60").await;
    type_into(&root, "lifetime-input", "5").await;
    assert!(
        text(&root, "lifetime-error")
            .starts_with("The lifetime must be at least 10 minutes (you asked for 5 minutes)."),
        "{}",
        text(&root, "lifetime-error")
    );
    type_into(&root, "lifetime-unit", "86400").await;
    type_into(&root, "lifetime-input", "400").await;
    assert!(text(&root, "lifetime-error").contains("at most 7 days (you asked for 400 days)"));
    type_into(&root, "lifetime-input", "ten").await;
    assert_eq!(
        text(&root, "lifetime-error"),
        "Enter the lifetime as a whole number."
    );
    type_into(&root, "lifetime-input", "7").await;
    assert_eq!(text(&root, "lifetime-error"), "");
}

#[wasm_bindgen_test]
async fn where_renewals_are_automatic_the_form_offers_a_renewed_certificate_first() {
    let root = mount_form_with(PortalConfig {
        auto_approve_renewals: true,
        ..config(false)
    });
    settle().await;
    let choice = text(&root, "renewal-choice");
    assert!(
        choice.contains("8 hours") && choice.contains("renews by itself"),
        "{choice}"
    );
    let plugin: web_sys::HtmlInputElement =
        find(&root, "renewal-plugin").unwrap().dyn_into().unwrap();
    assert!(plugin.checked(), "keeping it renewed is the default");
    let lifetime = find(&root, "lifetime-input")
        .unwrap()
        .parent_element()
        .unwrap()
        .parent_element()
        .unwrap();
    assert!(lifetime.has_attribute("hidden"), "no lifetime to choose");
    let manual: web_sys::HtmlElement = find(&root, "renewal-manual").unwrap().dyn_into().unwrap();
    manual.click();
    settle().await;
    assert!(
        !lifetime.has_attribute("hidden"),
        "a downloaded certificate's lifetime is chosen"
    );
    // Without automatic renewals there is nothing to choose.
    let plain = mount_form(false);
    settle().await;
    assert!(find(&plain, "renewal-choice").is_none());
}

#[wasm_bindgen_test]
async fn groups_are_not_offered_when_the_operator_allows_none() {
    let root = mount_form(false);
    settle().await;
    assert!(find(&root, "groups-input").is_none());
    assert!(find(&root, "groups-field").is_none());
    assert!(group_options(&root).is_empty());
    assert!(find(&root, "username-input").is_some());
    // P-256 is the default, RSA behind the advanced disclosure.
    let select = find(&root, "algorithm-select").unwrap();
    assert_eq!(
        select
            .dyn_into::<web_sys::HtmlSelectElement>()
            .unwrap()
            .value(),
        "ecdsa-p256"
    );
    assert_eq!(find(&root, "advanced").unwrap().tag_name(), "DETAILS");
}

#[wasm_bindgen_test]
async fn hostile_text_is_rendered_as_text() {
    let root = container();
    let long = "x".repeat(500);
    let groups = vec!["a\"\nusers:".to_owned(), long.clone()];
    leptos::mount::mount_to(root.clone(), move || {
        view! { <I18nContextProvider><SubjectLine username=HOSTILE.to_owned() groups /></I18nContextProvider> }
    })
    .forget();
    settle().await;
    assert!(
        root.query_selector("img").unwrap().is_none(),
        "an <img> was created"
    );
    assert_eq!(text(&root, "subject-username"), HOSTILE);
    assert_eq!(
        text(&root, "subject-groups"),
        format!("a\"\nusers:, {long}")
    );

    // The form shows the operator's group names: as text too.
    let mut hostile = config(true);
    hostile.policy.allowed_groups = vec![HOSTILE.to_owned()];
    let form = mount_form_with(hostile);
    settle().await;
    assert!(
        form.query_selector("img").unwrap().is_none(),
        "an <img> was created"
    );
    assert_eq!(group_options(&form), [HOSTILE]);
    assert!(text(&form, "groups-field").contains(HOSTILE));
}

fn kubeconfig_yaml(key: &str) -> String {
    Kubeconfig::for_user(Credentials {
        cluster_name: "dev",
        server_url: "https://127.0.0.1:6443",
        ca_pem: CA,
        certificate_pem: CERT,
        private_key_pem: key,
        username: "minjun",
        namespace: "default",
    })
    .to_yaml()
    .unwrap()
    .to_string()
}

#[wasm_bindgen_test]
async fn a_kubeconfig_made_here_inspects_back_with_its_key_matching() {
    let findings = inspect_text(&kubeconfig_yaml(KEY)).unwrap();
    assert_eq!(findings.key_matches, Some(true));
    assert_eq!(findings.server.as_deref(), Some("https://127.0.0.1:6443"));
    let root = container();
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <I18nContextProvider><FindingsView findings /></I18nContextProvider> },
    )
    .forget();
    settle().await;
    assert_eq!(text(&root, "subject-username"), "minjun");
    assert_eq!(text(&root, "inspect-groups"), "dev-team");
    assert_eq!(text(&root, "inspect-issuer"), "CN=fixture-ca");
    assert_eq!(text(&root, "inspect-key-type"), "ECDSA P-256");
    assert!(text(&root, "inspect-key-match").starts_with("Yes"));
    let fingerprint = shared::inspect::inspect_certificate(CERT)
        .unwrap()
        .sha256_fingerprint;
    assert_eq!(text(&root, "inspect-fingerprint"), fingerprint);

    // Another key: the page says it does not match.
    let subject = shared::keys::Subject {
        username: "other".into(),
        groups: Vec::new(),
    };
    let other = shared::keys::generate(KeyAlgorithm::EcdsaP256, &subject).unwrap();
    let other_pem = other.private_key.pkcs8_pem().to_owned();
    assert_eq!(
        inspect_text(&kubeconfig_yaml(&other_pem))
            .unwrap()
            .key_matches,
        Some(false)
    );
    // A PEM file with certificate and key reads too; junk is an error, not a panic.
    assert_eq!(
        inspect_text(&format!("{KEY}{CERT}")).unwrap().key_matches,
        Some(true)
    );
    assert!(inspect_text("kind: Config\nusers: []\n").is_err());
    assert!(inspect_text("not a kubeconfig: [").is_err());
}

#[wasm_bindgen_test]
async fn what_was_typed_survives_a_reload_but_never_a_key() {
    let root = mount_form(true);
    settle().await;
    type_into(&root, "username-input", "minjun").await;
    type_into(&root, "note-input", "for the payments team").await;
    settle().await;
    let kept = frontend::draft::load().expect("a draft is kept");
    assert_eq!(kept.username, "minjun");
    assert_eq!(kept.note, "for the payments team");
    let stored = web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap()
        .get_item("certdesk.request-draft")
        .unwrap()
        .unwrap();
    assert!(!stored.contains("PRIVATE KEY"), "{stored}");
    // A new form (as after a reload) starts with it.
    let again = container();
    let handle = leptos::mount::mount_to(again.clone(), move || {
        view! { <I18nContextProvider><Router><RequestForm config=config(true) /></Router></I18nContextProvider> }
    });
    handle.forget();
    settle().await;
    let input: web_sys::HtmlInputElement = again
        .query_selector("[data-testid=username-input]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    assert_eq!(input.value(), "minjun");
    frontend::draft::clear();
}
