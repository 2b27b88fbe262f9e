//! The Kubernetes minors CertDesk supports — the last four, 1.32 to 1.35 — and what
//! differs among them: a cluster outside the range is served all the same, with a
//! message saying so; within it, what a minor spells differently is written its way.

/// The oldest supported minor (`1.32`).
pub const OLDEST_MINOR: u32 = 32;
/// The newest minor CertDesk is tested on (`1.35`).
pub const NEWEST_MINOR: u32 = 35;
/// The first minor whose `AuthenticationConfiguration` is `v1` (before: `v1beta1`).
const AUTHENTICATION_CONFIG_V1: u32 = 34;

/// The minor of an API server's `/version` answer (`"32"`, or `"32+"` as some
/// distributions write it); `None` when it is not a number.
pub fn minor_of(minor: &str) -> Option<u32> {
    minor.trim().trim_end_matches('+').parse().ok()
}

/// What CertDesk says about a cluster of Kubernetes `1.<minor>`: nothing when it is
/// supported, otherwise a sentence for the operator.
pub fn message(minor: u32) -> Option<String> {
    if minor < OLDEST_MINOR {
        Some(format!(
            "Kubernetes 1.{minor} is older than CertDesk supports (1.{OLDEST_MINOR} to 1.{NEWEST_MINOR}): \
             requests are still served, but nothing is tested on it; upgrade the cluster."
        ))
    } else if minor > NEWEST_MINOR {
        Some(format!(
            "Kubernetes 1.{minor} is newer than CertDesk is tested on (1.{OLDEST_MINOR} to 1.{NEWEST_MINOR})."
        ))
    } else {
        None
    }
}

/// The `apiVersion` of the API server's `AuthenticationConfiguration` on `1.<minor>`
/// (the newest when the minor is not known).
pub fn authentication_config_api_version(minor: Option<u32>) -> &'static str {
    match minor {
        Some(minor) if minor < AUTHENTICATION_CONFIG_V1 => "apiserver.config.k8s.io/v1beta1",
        _ => "apiserver.config.k8s.io/v1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minors_are_read_as_distributions_write_them() {
        assert_eq!(minor_of("32"), Some(32));
        assert_eq!(minor_of("30+"), Some(30));
        assert_eq!(minor_of(""), None);
        assert_eq!(minor_of("x"), None);
    }

    #[test]
    fn the_range_is_the_last_four_minors() {
        assert!(message(31).is_some_and(|m| m.contains("older")));
        for minor in 32..=35 {
            assert_eq!(message(minor), None);
        }
        assert!(message(36).is_some_and(|m| m.contains("newer")));
    }

    #[test]
    fn the_authentication_configuration_is_beta_before_1_34() {
        assert!(authentication_config_api_version(Some(32)).ends_with("/v1beta1"));
        assert!(authentication_config_api_version(Some(33)).ends_with("/v1beta1"));
        assert!(authentication_config_api_version(Some(34)).ends_with("/v1"));
        assert!(authentication_config_api_version(None).ends_with("/v1"));
    }
}
