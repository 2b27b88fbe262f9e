//! The form's choice of clusters, shown when the operator listed peers (by the whole
//! form's app, which an install with peers serves at `/`): this cluster and each peer
//! that agrees to be one, the operator's default set ticked to begin with. A peer that
//! is down or does not list this install back is shown, unticked and disabled, with
//! the reason; it holds up no other.

use leptos::prelude::*;
use shared::PortalConfig;

use super::send::SendTo;
use crate::clusters::{Reach, Target};
use crate::i18n::{t, use_i18n};

/// The clusters the form may send to, and which are chosen.
#[derive(Clone, Copy)]
pub struct Choice {
    /// Every cluster, once the peers have answered (this one alone until then).
    pub targets: RwSignal<Vec<Target>>,
    /// The names of the chosen clusters.
    pub chosen: RwSignal<Vec<String>>,
    /// Whether the person changed the choice (the peers' late answers then leave it).
    touched: RwSignal<bool>,
    /// Whether the peers are still being asked.
    pub asking: RwSignal<bool>,
}

impl Choice {
    /// This cluster, chosen (the peers, if any, are asked by [`Choice::ask_peers`]).
    pub fn new(config: &PortalConfig) -> Self {
        let own = Target {
            name: config.cluster_name.clone(),
            portal: String::new(),
            default: true,
            state: Reach::Federated(Box::new(config.clone())),
        };
        Self {
            chosen: RwSignal::new(vec![own.name.clone()]),
            targets: RwSignal::new(vec![own]),
            touched: RwSignal::new(false),
            asking: RwSignal::new(false),
        }
    }

    /// Asks every peer (all at once) and chooses the operator's default set as they
    /// answer, unless the person changed the choice meanwhile. Only the whole form's
    /// app calls it (an invite's request goes to this cluster only).
    pub fn ask_peers(self, config: &PortalConfig) {
        if config.peers.is_empty() {
            return;
        }
        let config = config.clone();
        self.asking.set(true);
        leptos::task::spawn_local(async move {
            let targets = crate::clusters::targets(&config).await;
            if !self.touched.get_untracked() {
                let defaults = targets
                    .iter()
                    .filter(|t| t.default && t.sendable())
                    .map(|t| t.name.clone())
                    .collect();
                self.chosen.try_set(defaults);
            }
            self.targets.try_set(targets);
            self.asking.try_set(false);
        });
    }

    /// What stops the form from being sent, if anything.
    pub fn problem(&self) -> Option<Problem> {
        if self.asking.get() {
            Some(Problem::Asking)
        } else if self.chosen.with(Vec::is_empty) {
            Some(Problem::NoneChosen)
        } else {
            None
        }
    }

    /// The chosen clusters that can be sent to, in the form's order.
    pub fn send_to(&self) -> Vec<SendTo> {
        let chosen = self.chosen.get_untracked();
        self.targets
            .get_untracked()
            .into_iter()
            .filter(|t| t.sendable() && chosen.contains(&t.name))
            .map(|t| SendTo {
                name: t.name,
                portal: t.portal,
            })
            .collect()
    }
}

/// Why the cluster choice cannot be sent yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The peers' answers are still awaited.
    Asking,
    /// No cluster is ticked.
    NoneChosen,
}

/// The checkboxes, one per cluster (only when there is more than one).
#[component]
pub fn ClusterPicker(choice: Choice) -> impl IntoView {
    let i18n = use_i18n();
    let Choice {
        targets,
        chosen,
        touched,
        asking,
    } = choice;
    move || {
        let targets = targets.get();
        (targets.len() > 1 || asking.get()).then(|| {
            let options = targets
                .into_iter()
                .map(|target| {
                    let name = target.name.clone();
                    let label_name = name.clone();
                    let toggled = name.clone();
                    let usable = target.sendable();
                    let why = target.why_not();
                    view! {
                        <label class="choice" data-testid="cluster-choice" data-cluster=label_name>
                            <input type="checkbox" name="clusters" data-testid="cluster-option"
                                value=name.clone() disabled=!usable
                                prop:checked=move || usable && chosen.with(|c| c.contains(&name))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    touched.set(true);
                                    chosen.update(|chosen| {
                                        chosen.retain(|c| *c != toggled);
                                        if on {
                                            chosen.push(toggled.clone());
                                        }
                                    });
                                } />
                            <strong>{target.name.clone()}</strong>
                            {why.map(|why| view! {
                                <span class="muted" data-testid="cluster-unavailable">" — " {why}</span>
                            })}
                        </label>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="field" data-testid="cluster-picker" aria-describedby="clusters-help clusters-error">
                    <legend>{t!(i18n, clusters.legend)}</legend>
                    {options}
                    <p id="clusters-help" class="help">{t!(i18n, clusters.help)}</p>
                    <div id="clusters-error" class="field-error" aria-live="polite" data-testid="clusters-error">
                        {move || choice.problem().map(|problem| view! {
                            <p>{match problem {
                                Problem::Asking => t!(i18n, clusters.asking).into_any(),
                                Problem::NoneChosen => t!(i18n, clusters.none_chosen).into_any(),
                            }}</p>
                        })}
                    </div>
                </fieldset>
            }
        })
    }
}
