//! How to use the downloaded kubeconfig: the commands a person pastes, which work on a
//! laptop with no `~/.kube/config` yet, leave every file holding a key readable by its
//! owner only, and replace (not keep) an older certificate of the same user when merged.
//! With the credential plugin, first its install and `kubectl certdesk import`.

use leptos::prelude::*;
use shared::PluginDownload;

use crate::components::command_line::{CommandLine, shell_word};
use crate::i18n::{t, t_string, use_i18n};

/// What the commands are about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseItPlan {
    /// The downloaded kubeconfig's path, as the browser saves it.
    pub path: String,
    /// The kubeconfig's context (`<user>@<cluster>`).
    pub context: String,
    /// The portal's own address (where the plugin renews).
    pub portal: String,
    /// The plugin build this page offers, if the portal serves one.
    pub plugin: Option<PluginDownload>,
    /// Whether the certificate is one the plugin keeps renewed.
    pub renewed_by_plugin: bool,
}

/// The commands, in order, with their test ids.
pub fn commands(plan: &UseItPlan) -> Vec<(&'static str, String)> {
    let path = &plan.path;
    let mut steps = Vec::new();
    if plan.renewed_by_plugin {
        if let Some(plugin) = &plan.plugin {
            steps.push((
                "plugin-install",
                format!(
                    "mkdir -p ~/.local/bin && curl -fsSLo ~/.local/bin/kubectl-certdesk {} && echo \"{}  $HOME/.local/bin/kubectl-certdesk\" | sha256sum -c - && chmod 755 ~/.local/bin/kubectl-certdesk",
                    shell_word(&format!("{}/downloads/{}", plan.portal, plugin.file)),
                    plugin.sha256.chars().filter(char::is_ascii_hexdigit).collect::<String>()
                ),
            ));
        }
        steps.push((
            "plugin-import",
            format!(
                "kubectl certdesk import {path} --portal {}",
                shell_word(&plan.portal)
            ),
        ));
    } else {
        steps.push(("kubeconfig-protect", format!("chmod 600 {path}")));
    }
    steps.push((
        "kubectl-whoami",
        format!("kubectl --kubeconfig {path} auth whoami"),
    ));
    steps.push((
        "kubectl-backup",
        "[ ! -f ~/.kube/config ] || cp -p ~/.kube/config ~/.kube/config.backup-$(date +%Y%m%d%H%M%S)"
            .to_owned(),
    ));
    // The new file first: kubectl's merge keeps the first of two entries of a name, so
    // an older certificate of the same user is replaced, not kept.
    steps.push((
        "kubectl-merge",
        format!(
            "mkdir -p ~/.kube && (umask 077 && KUBECONFIG={path}:$HOME/.kube/config kubectl config view --flatten > ~/.kube/config.new) && mv ~/.kube/config.new ~/.kube/config"
        ),
    ));
    steps.push((
        "kubectl-switch",
        format!("kubectl config use-context {}", shell_word(&plan.context)),
    ));
    steps
}

/// The "Use it" steps.
#[component]
pub fn UseIt(plan: UseItPlan) -> impl IntoView {
    let i18n = use_i18n();
    let path = plan.path.clone();
    let steps = commands(&plan);
    let said = move |testid: &str| -> &'static str {
        match testid {
            "plugin-install" => t_string!(i18n, use_it.plugin_install),
            "plugin-import" => t_string!(i18n, use_it.plugin_import),
            "kubeconfig-protect" => t_string!(i18n, use_it.protect),
            "kubectl-whoami" => t_string!(i18n, use_it.whoami),
            "kubectl-backup" => t_string!(i18n, use_it.backup),
            "kubectl-merge" => t_string!(i18n, use_it.merge),
            _ => t_string!(i18n, use_it.switch),
        }
    };
    let renewed = plan.renewed_by_plugin;
    view! {
        <h3>{move || if renewed { t_string!(i18n, use_it.heading_renewed) } else { t_string!(i18n, use_it.heading) }}</h3>
        <p>{t!(i18n, use_it.saved_as, <path> = move || view! { <code data-testid="saved-path">{path.clone()}</code> })}</p>
        {renewed.then(|| view! {
            <p class="muted" data-testid="plugin-offline">{t!(i18n, use_it.offline)}</p>
        })}
        {steps.into_iter().map(|(testid, command)| view! {
            <p>{move || said(testid)}</p>
            <CommandLine command testid />
        }).collect_view()}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(renewed_by_plugin: bool) -> UseItPlan {
        UseItPlan {
            path: "~/Downloads/local-minjun-1a2b3c4d.kubeconfig".to_owned(),
            context: "minjun@local".to_owned(),
            portal: "https://certdesk.example.com".to_owned(),
            plugin: Some(PluginDownload {
                platform: "linux-amd64".to_owned(),
                file: "kubectl-certdesk-linux-amd64".to_owned(),
                sha256: "ab".repeat(32),
            }),
            renewed_by_plugin,
        }
    }

    #[test]
    fn the_merge_puts_the_new_file_first_and_writes_for_the_owner_only() {
        let steps = commands(&plan(false));
        let merge = &steps
            .iter()
            .find(|(id, _)| *id == "kubectl-merge")
            .unwrap()
            .1;
        assert!(merge.contains(
            "KUBECONFIG=~/Downloads/local-minjun-1a2b3c4d.kubeconfig:$HOME/.kube/config"
        ));
        assert!(merge.contains("umask 077") && merge.starts_with("mkdir -p ~/.kube"));
        assert_eq!(steps[0].0, "kubeconfig-protect");
    }

    #[test]
    fn the_plugin_path_installs_with_the_checksum_and_imports() {
        let steps = commands(&plan(true));
        assert_eq!(steps[0].0, "plugin-install");
        assert!(steps[0].1.contains(&"ab".repeat(32)) && steps[0].1.contains("sha256sum -c"));
        assert_eq!(
            steps[1].1,
            "kubectl certdesk import ~/Downloads/local-minjun-1a2b3c4d.kubeconfig --portal https://certdesk.example.com"
        );
    }
}
