#!/usr/bin/env bash
# Runs every test: formatting and lints, unit and property tests, the API integration tests on SQLite and on
# PostgreSQL, schemathesis against the live server's OpenAPI document (scripts/schemathesis.sh), the wasm32 build
# of `shared`, and the Playwright suite in Chromium against the real server.
# Starts a throwaway PostgreSQL cluster on a loopback port unless ENROLE_TEST_PG_URL names one, and stops it
# at the end whatever happened. The mail tests hold a real SMTP conversation with aiosmtpd on loopback.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
started=$SECONDS

"$ROOT/scripts/setup.sh" --tests

trap stop_postgres EXIT INT TERM

timed "Formatting" cargo fmt --all --check
timed "Lints (native)" cargo clippy --quiet --all-targets -- -D warnings
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  timed "Lints (app, wasm32)" cargo clippy --quiet -p app --target wasm32-unknown-unknown -- -D warnings
else
  warn "no rustup wasm32 target (Debian fallback in use): the app is built but not linted"
fi
timed "shared builds for wasm32 without server-only dependencies" \
  "$ROOT/scripts/wasm-cargo.sh" check --quiet -p shared --target wasm32-unknown-unknown
if cargo tree -p shared --target wasm32-unknown-unknown -e normal --prefix none | grep -Eq '^(utoipa|sqlx|tokio|axum|regex) '; then
  die "shared pulls a server-only or heavy dependency into the WASM build"
fi

timed "Unit, property and API tests on SQLite (and the app logic, natively)" cargo test --quiet

if [ -n "${ENROLE_TEST_PG_URL:-}" ]; then
  PG_URL=$ENROLE_TEST_PG_URL
else
  timed "Starting a throwaway PostgreSQL" start_postgres
fi
ENROLE_TEST_DATABASE_URL=$PG_URL timed "API tests on PostgreSQL" cargo test --quiet --test api

# The server binary the tests above built.
export ENROLE_BIN="$CARGO_TARGET_DIR/debug/enrole"
timed "Hostile input: schemathesis against the live server" "$ROOT/scripts/schemathesis.sh"

timed "Building the SPA" cargo run --quiet -p xtask -- build-app
timed "Playwright (Chromium)" bash -c 'cd end2end && npx playwright test'

say "All tests passed in $((SECONDS - started))s"
