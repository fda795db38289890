#!/usr/bin/env bash
# The HTTP benchmark (server/benches/http.rs) of a release build, on SQLite then on a throwaway PostgreSQL.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
cargo bench --quiet -p server --bench http
start_postgres
trap stop_postgres EXIT INT TERM
ENROLE_BENCH_DATABASE_URL="$PG_URL" cargo bench --quiet -p server --bench http
