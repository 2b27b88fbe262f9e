//! What the request form says about a rule a field breaks, in the page's language. In
//! English the shared policy's own sentence (which names the limit, the prefix, the
//! pattern); in another language the catalogue's sentence for the rule's code.

use shared::PortalConfig;
use shared::policy::{Field, Violation, ViolationCode};

use crate::components::request_row::I18n;
use crate::components::time;
use crate::i18n::t_string;
use crate::language::{fill, is_english};

/// Why the lifetime field cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub enum LifetimeProblem {
    /// Not a whole number.
    NotANumber,
    /// Past what fits in seconds.
    FarTooLong,
    /// Outside the operator's range.
    Outside(Violation),
}

/// A broken rule in words.
pub fn violation_words(i18n: I18n, violation: &Violation) -> String {
    if is_english(i18n) {
        return violation.message.clone();
    }
    use ViolationCode as C;
    let said = match violation.code {
        C::UsernameEmpty => t_string!(i18n, rules.username_empty),
        C::UsernameTooLong => t_string!(i18n, rules.username_too_long),
        C::UsernameControlChars => t_string!(i18n, rules.username_control_chars),
        C::UsernameInvisibleChars => t_string!(i18n, rules.username_invisible_chars),
        C::UsernameSurroundingSpace => t_string!(i18n, rules.username_surrounding_space),
        C::UsernameSystemPrefix => t_string!(i18n, rules.username_system_prefix),
        C::UsernameReservedPrefix => t_string!(i18n, rules.username_reserved_prefix),
        C::UsernamePattern => t_string!(i18n, rules.username_pattern),
        C::UsernameLooksLike => t_string!(i18n, rules.username_looks_like),
        C::GroupsNotAllowed => t_string!(i18n, rules.groups_not_allowed),
        C::GroupNotAllowed => t_string!(i18n, rules.group_not_allowed),
        C::TooManyGroups => t_string!(i18n, rules.too_many_groups),
        C::GroupEmpty => t_string!(i18n, rules.group_empty),
        C::GroupTooLong => t_string!(i18n, rules.group_too_long),
        C::GroupControlChars => t_string!(i18n, rules.group_control_chars),
        C::GroupInvisibleChars => t_string!(i18n, rules.group_invisible_chars),
        C::GroupSurroundingSpace => t_string!(i18n, rules.group_surrounding_space),
        C::GroupSystem => t_string!(i18n, rules.group_system),
        C::GroupAdmin => t_string!(i18n, rules.group_admin),
        C::GroupLooksLike => t_string!(i18n, rules.group_looks_like),
        C::KeyTooWeak => t_string!(i18n, rules.key_too_weak),
        C::KeyAlgorithmNotAllowed => t_string!(i18n, rules.key_algorithm_not_allowed),
        C::ExtensionNotAllowed => t_string!(i18n, rules.extension_not_allowed),
        C::SubjectAttributeNotAllowed => t_string!(i18n, rules.subject_attribute_not_allowed),
        C::DurationTooShort => t_string!(i18n, rules.duration_too_short),
        C::DurationTooLong => t_string!(i18n, rules.duration_too_long),
        _ => t_string!(i18n, rules.other),
    };
    let number = match &violation.field {
        Some(Field::Group { index }) => (index + 1).to_string(),
        _ => String::new(),
    };
    fill(said, &[("number", &number)])
}

/// What is wrong with the lifetime, with the range the operator allows.
pub fn lifetime_words(i18n: I18n, problem: &LifetimeProblem, config: &PortalConfig) -> String {
    match problem {
        LifetimeProblem::NotANumber => t_string!(i18n, rules.lifetime_not_a_number).to_owned(),
        LifetimeProblem::FarTooLong => t_string!(i18n, rules.lifetime_far_too_long).to_owned(),
        LifetimeProblem::Outside(violation) => {
            let locale = i18n.get_locale();
            let words =
                |seconds: u32| time::lifetime_words(leptos_i18n::Locale::as_str(locale), seconds);
            let allowed = fill(
                t_string!(i18n, rules.lifetime_allowed),
                &[
                    ("min", &words(config.duration.min_seconds)),
                    ("max", &words(config.duration.max_seconds)),
                ],
            );
            format!("{} {allowed}", violation_words(i18n, violation))
        }
    }
}
