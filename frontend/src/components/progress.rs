//! The status line of a page that makes a key and sends a request, in its language.

use crate::components::request_row::I18n;
use crate::i18n::t_string;
use crate::keys::{Phase, Step};
use crate::language::fill;

/// What the page is doing, in words.
pub fn progress_words(i18n: I18n, progress: Step) -> String {
    let said = match progress {
        Step::Key(Phase::StartingWorker) => t_string!(i18n, progress.starting),
        Step::Key(Phase::GeneratingKey) => t_string!(i18n, progress.generating),
        Step::Key(Phase::SigningCsr) => t_string!(i18n, progress.signing),
        Step::Key(Phase::Done) => t_string!(i18n, progress.done),
        Step::Sending => t_string!(i18n, progress.sending),
        Step::SendingEach(count) => {
            return fill(
                t_string!(i18n, progress.each),
                &[("count", &count.to_string())],
            );
        }
        Step::Proving => t_string!(i18n, progress.proving),
        Step::SendingRenewal => t_string!(i18n, progress.renewal),
    };
    said.to_owned()
}
