#!/usr/bin/env bash
# Supply chain: known vulnerabilities with cargo-audit against the offline RustSec snapshot (ENROLE_ADVISORY_DB,
# default ../shared/advisory-db beside the repository: the live database is not reachable here), then licences,
# banned or duplicate crates and sources with cargo-deny (deny.toml). Installs both tools from crates.io once.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

command -v cargo-audit >/dev/null 2>&1 || timed "Installing cargo-audit" cargo install --locked --quiet cargo-audit@0.22.2
command -v cargo-deny >/dev/null 2>&1 || timed "Installing cargo-deny" cargo install --locked --quiet cargo-deny@0.20.2

db="${ENROLE_ADVISORY_DB:-$ROOT/../shared/advisory-db}"
if [ -d "$db/crates" ]; then
  # An advisory we accept is listed, with the reason, in .cargo/audit.toml (read by cargo-audit).
  timed "cargo audit (RustSec snapshot)" cargo audit --db "$db" --no-fetch --deny warnings
else
  warn "no RustSec snapshot at $db (set ENROLE_ADVISORY_DB): known vulnerabilities NOT checked"
fi
timed "cargo deny (licences, bans, sources)" cargo deny --log-level error check licenses bans sources
say "Supply chain checked"
