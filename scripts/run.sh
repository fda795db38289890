#!/usr/bin/env bash
# Builds the SPA and the server, prepares the SQLite database with demo data, and serves Enrôle.
# ENROLE_LISTEN (default 127.0.0.1:8080) and the other ENROLE_* settings of the README apply.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh"
timed "Building the SPA" cargo run --quiet -p xtask -- build-app
timed "Building the server" cargo build --quiet --bin enrole
enrole="$CARGO_TARGET_DIR/debug/enrole"
"$enrole" migrate
"$enrole" seed-demo
say "Enrôle is starting: open http://${ENROLE_LISTEN:-127.0.0.1:8080}/ (Ctrl-C stops it)"
exec "$enrole" serve
