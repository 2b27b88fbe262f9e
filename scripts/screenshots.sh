#!/usr/bin/env bash
# Retakes the README's screenshots (docs/screenshots/*.png): builds the release bundle and
# the backend, starts a local control plane, and runs the screenshot tour
# (e2e/tests/e2e/screenshots.rs) and the Korean pages (e2e/tests/e2e/language.rs) in
# headless Chromium with CERTDESK_SCREENSHOTS set.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
"$CERTDESK_ROOT/scripts/bootstrap.sh"
"$CERTDESK_ROOT/scripts/build-frontend.sh"
cargo build --quiet -p backend --bin certdesk
cluster_dir=$("$CERTDESK_ROOT/scripts/cluster.sh" start)
trap '"$CERTDESK_ROOT/scripts/cluster.sh" stop "$cluster_dir"' EXIT
mkdir -p docs/screenshots
CERTDESK_TEST_CLUSTER="$cluster_dir" CERTDESK_SCREENSHOTS="$CERTDESK_ROOT/docs/screenshots" \
  cargo test --quiet -p e2e --test e2e -- --include-ignored --exact screenshots::every_page_in_its_main_states \
  language::a_korean_browser_gets_korean_and_the_switch_to_english_is_remembered
say "screenshots written to docs/screenshots/"
