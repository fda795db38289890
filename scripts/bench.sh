#!/usr/bin/env bash
# The benchmarks of a release build, on SQLite then on a throwaway PostgreSQL: HTTP under load
# (server/benches/http.rs) and one page of the gestionnaire's queue with 10 000 and 1 000 000 requests
# (server/benches/queue.rs).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
cargo bench --quiet -p server --bench http
cargo bench --quiet -p server --bench queue
start_postgres
trap stop_postgres EXIT INT TERM
ENROLE_BENCH_DATABASE_URL="$PG_URL" cargo bench --quiet -p server --bench http
ENROLE_BENCH_DATABASE_URL="$PG_URL" cargo bench --quiet -p server --bench queue
