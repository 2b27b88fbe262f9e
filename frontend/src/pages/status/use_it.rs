//! How to use the downloaded kubeconfig: the commands a person pastes, which work on a
//! laptop with no `~/.kube/config` yet, leave every file holding a key readable by its
//! owner only, and replace (not keep) an older certificate of the same user when merged.
//! With the credential plugin, first its install and `kubectl certdesk import`.

use leptos::prelude::*;
use shared::PluginDownload;

use crate::components::command_line::{CommandLine, shell_word};

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
    let path = plan.path.clone();
    let steps = commands(&plan);
    let said = |testid: &str| -> &'static str {
        match testid {
            "plugin-install" => {
                "Install the credential plugin, kubectl-certdesk (make sure ~/.local/bin is on your PATH; or build it with cargo install --path cli from CertDesk's source):"
            }
            "plugin-import" => {
                "Hand the key and certificate to the plugin: they move into its store (readable by you only) and the file then runs the plugin, which renews the certificate before it ends:"
            }
            "kubeconfig-protect" => {
                "The file holds your private key: make it readable by you only."
            }
            "kubectl-whoami" => "Check that the cluster knows you:",
            "kubectl-backup" => {
                "To add it to your usual ~/.kube/config, first keep a backup (if you have one):"
            }
            "kubectl-merge" => {
                "then merge the new file into it (it replaces an older certificate of yours; the rest stays, readable by you only):"
            }
            _ => "and switch to it:",
        }
    };
    view! {
        <h3>{if plan.renewed_by_plugin { "Keep it renewed" } else { "Use it" }}</h3>
        <p>"Your browser saves the file as " <code data-testid="saved-path">{path}</code>
           " (if it asked where, use that path instead)."</p>
        {plan.renewed_by_plugin.then(|| view! {
            <p class="muted" data-testid="plugin-offline">
                "Offline, the plugin keeps using the certificate until it ends and says so once an hour; "
                "after that, or when an approver removed your access, kubectl fails with a line naming this portal."
            </p>
        })}
        {steps.into_iter().map(|(testid, command)| view! {
            <p>{said(testid)}</p>
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
