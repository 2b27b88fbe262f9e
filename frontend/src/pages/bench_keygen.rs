//! A developer page, not linked from the navigation: `/bench/keygen?n=10` times `n` key
//! and CSR generations per algorithm through the product's own code path
//! ([`crate::keys::generate`]: every key in the key worker) and
//! writes the figures as JSON into `<pre id="bench-results">` when it has finished.
//!
//! `algorithms=rsa2048,ecdsa-p256` limits the run to those
//! algorithms (the wire names of `KeyAlgorithm`). Every CSR is
//! inspected (outside the timed span) to prove the timed code made a valid one, and a
//! last probe cancels an RSA-4096 generation once its key search has started.
//! `prestart=1` starts the RSA workers a second before each RSA key is timed, as the
//! request form does when RSA is chosen. `scripts/bench-keygen.sh` reads the JSON.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::Serialize;
use shared::KeyAlgorithm;
use shared::keys::Subject;

use crate::keys::{self, Cancel, KeyGenError, Phase};

/// The figures of one algorithm.
#[derive(Debug, Serialize)]
struct AlgorithmResult {
    algorithm: KeyAlgorithm,
    /// Where the key was made: always `worker` (every key is the key worker's).
    path: &'static str,
    runs_ms: Vec<f64>,
    min_ms: f64,
    median_ms: f64,
    max_ms: f64,
    /// For the worker path: the median time from the call until the worker started
    /// generating (script and WebAssembly loading).
    worker_start_median_ms: Option<f64>,
    /// How many of the CSRs inspected back to the requested subject and algorithm with
    /// a valid self-signature.
    verified: usize,
    /// The last CSR made, for a check outside the browser.
    last_csr_pem: String,
}

/// What the cancel probe saw.
#[derive(Debug, Serialize)]
struct CancelProbe {
    /// `cancelled` when the call returned `KeyGenError::Cancelled`, else what it returned.
    outcome: String,
    /// Milliseconds from cancelling until the call returned.
    return_ms: f64,
}

#[derive(Debug, Serialize)]
struct BenchReport {
    n: usize,
    results: Vec<AlgorithmResult>,
    cancel: Option<CancelProbe>,
    error: Option<String>,
}

/// Runs the benchmark once on load and shows its JSON report.
#[component]
pub fn BenchKeygen() -> impl IntoView {
    crate::components::title::set("Key generation benchmark");
    let query = use_query_map();
    let prestart = query.with_untracked(|q| q.get("prestart").as_deref() == Some("1"));
    let (n, algorithms) = query.with_untracked(|q| {
        let n = q
            .get("n")
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(10)
            .clamp(1, 200);
        let algorithms = q
            .get("algorithms")
            .map(|list| {
                list.split(',')
                    .filter_map(|name| {
                        serde_json::from_value::<KeyAlgorithm>(serde_json::Value::String(
                            name.trim().to_owned(),
                        ))
                        .ok()
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|list| !list.is_empty())
            .unwrap_or_else(|| KeyAlgorithm::ALL.to_vec());
        (n, algorithms)
    });
    let status = RwSignal::new(String::from("Starting…"));
    let report = RwSignal::new(None::<String>);
    leptos::task::spawn_local(async move {
        let report_value = run(n, &algorithms, prestart, status).await;
        let text = serde_json::to_string_pretty(&report_value)
            .unwrap_or_else(|e| format!(r#"{{"error":"cannot encode the report: {e}"}}"#));
        status.set("Finished.".to_owned());
        report.set(Some(text));
    });
    view! {
        <h1>"Key generation benchmark"</h1>
        <p class="muted">"A developer page: " {n} " runs per algorithm."</p>
        <p id="bench-status">{move || status.get()}</p>
        {move || report.get().map(|text| view! { <pre id="bench-results">{text}</pre> })}
    }
}

async fn run(
    n: usize,
    algorithms: &[KeyAlgorithm],
    prestart: bool,
    status: RwSignal<String>,
) -> BenchReport {
    let subject = Subject {
        username: "bench-user".to_owned(),
        groups: vec!["bench-group-a".to_owned(), "bench-group-b".to_owned()],
    };
    let mut results = Vec::new();
    for &algorithm in algorithms {
        match measure(algorithm, n, &subject, prestart, status).await {
            Ok(result) => results.push(result),
            Err(error) => {
                return BenchReport {
                    n,
                    results,
                    cancel: None,
                    error: Some(format!("{}: {error}", algorithm.label())),
                };
            }
        }
    }
    status.set("Cancel probe…".to_owned());
    let cancel = Some(cancel_probe(&subject).await);
    BenchReport {
        n,
        results,
        cancel,
        error: None,
    }
}

async fn measure(
    algorithm: KeyAlgorithm,
    n: usize,
    subject: &Subject,
    prestart: bool,
    status: RwSignal<String>,
) -> Result<AlgorithmResult, KeyGenError> {
    let mut runs_ms = Vec::with_capacity(n);
    let mut worker_starts = Vec::new();
    let mut verified = 0;
    let mut last_csr_pem = String::new();
    for i in 0..n {
        status.set(format!("{} run {} of {n}…", algorithm.label(), i + 1));
        // Let the page paint the status between runs.
        yield_to_browser().await;
        if prestart && algorithm.is_rsa() {
            keys::prestart_rsa_workers();
            crate::api::status_stream::sleep(1000).await;
        }
        let started_generating = std::rc::Rc::new(std::cell::Cell::new(None));
        let seen = std::rc::Rc::clone(&started_generating);
        let start = keys::now_ms();
        let key = keys::generate(
            algorithm,
            subject,
            move |progress| {
                if progress.phase == Phase::GeneratingKey && seen.get().is_none() {
                    seen.set(Some(progress.elapsed_ms));
                }
            },
            &Cancel::new(),
        )
        .await?;
        runs_ms.push(keys::now_ms() - start);
        if algorithm.is_rsa() {
            worker_starts.extend(started_generating.get());
        }
        let matches = shared::inspect::inspect_csr(&key.csr_pem).is_ok_and(|info| {
            info.common_name == subject.username
                && info.organizations == subject.groups
                && info.public_key.key_algorithm() == Some(algorithm)
        });
        verified += usize::from(matches);
        last_csr_pem = key.csr_pem;
    }
    let mut sorted = runs_ms.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(AlgorithmResult {
        algorithm,
        path: "worker",
        min_ms: sorted.first().copied().unwrap_or(f64::NAN),
        median_ms: median(&sorted),
        max_ms: sorted.last().copied().unwrap_or(f64::NAN),
        worker_start_median_ms: (!worker_starts.is_empty()).then(|| {
            worker_starts.sort_by(f64::total_cmp);
            median(&worker_starts)
        }),
        runs_ms,
        verified,
        last_csr_pem,
    })
}

/// Starts an RSA-4096 generation, cancels it as soon as the key search starts, and
/// reports what the call returned.
async fn cancel_probe(subject: &Subject) -> CancelProbe {
    let cancel = Cancel::new();
    let canceller = cancel.clone();
    let cancelled_at = std::rc::Rc::new(std::cell::Cell::new(None));
    let stamp = std::rc::Rc::clone(&cancelled_at);
    let result = keys::generate(
        KeyAlgorithm::Rsa4096,
        subject,
        move |progress| {
            if progress.phase == Phase::GeneratingKey {
                stamp.set(Some(keys::now_ms()));
                canceller.cancel();
            }
        },
        &cancel,
    )
    .await;
    let returned = keys::now_ms();
    CancelProbe {
        outcome: match result {
            Err(KeyGenError::Cancelled) => "cancelled".to_owned(),
            Err(error) => format!("error: {error}"),
            Ok(_) => "finished despite the cancel".to_owned(),
        },
        return_ms: cancelled_at.get().map_or(f64::NAN, |at| returned - at),
    }
}

/// The median of sorted figures.
fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        len if len % 2 == 1 => sorted[len / 2],
        len => (sorted[len / 2 - 1] + sorted[len / 2]) / 2.0,
    }
}

/// Returns to the browser's event loop once, so it can paint and run timers.
async fn yield_to_browser() {
    #[cfg(target_arch = "wasm32")]
    {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let scheduled = web_sys::window().is_some_and(|window| {
                window
                    .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
                    .is_ok()
            });
            if !scheduled {
                let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[1.0, 2.0, 3.0, 4.0]), 2.5);
        assert_eq!(median(&[1.0, 5.0, 9.0]), 5.0);
        assert!(median(&[]).is_nan());
    }
}
