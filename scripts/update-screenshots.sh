#!/usr/bin/env bash
# Updates the baselines of the visual checks (end2end/tests/visual.spec.ts-snapshots/), on purpose: after a change of
# the look, or of Debian's Chromium. Builds the SPA and the server, then runs only the visual spec with
# --update-snapshots=changed: a page whose rendering stays within the tolerance keeps its file, so `git diff` shows
# the pages that changed. Look at each changed image before committing it. Extra arguments go to Playwright
# (e.g. --project=mobile, or -g "public pages").
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh" --tests
timed "Building the SPA" cargo run --quiet -p xtask -- build-app
timed "Building the server" cargo build --quiet --bin enrole
export ENROLE_BIN="$CARGO_TARGET_DIR/debug/enrole"
cd end2end
timed "Updating the screenshots" npx playwright test tests/visual.spec.ts --update-snapshots=changed "$@"
say "Baselines that changed (review them, then commit):"
git status --short -- tests/visual.spec.ts-snapshots | grep . || echo "    none"
