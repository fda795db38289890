#!/usr/bin/env bash
# Hostile input: schemathesis (PyPI, pinned) against the live server's OpenAPI document, every check, in five runs:
#   1. public       — the operations that need no session;
#   2. professional — the professional's space, with a professional's session (pre-registered, validated by the
#      gestionnaire and e-CPS activated through the real flow: codes read from the email and SMS files the server
#      writes; see scripts/schemathesis_sessions.py);
#   3. gestionnaire — the gestionnaire operations, with the demo gestionnaire's session;
#   4., 5. each sign-out, with a second session of its own: signing out would end the session of runs 2 and 3.
# The gestionnaire's password operation uses a one-time link, not the session: it runs in the public run.
# In runs 2 to 5 the check ignored_auth also sends each request without the session and expects 401. Stateful
# testing follows the OpenAPI links. Fails on any failure, any server error, any warning that means the run did not
# test what it should (schemathesis.toml), or a panic in the server log. Runs $ENROLE_BIN when set (scripts/test.sh: the binary its tests built), else builds the
# debug `enrole` binary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

SCHEMATHESIS_VERSION=4.32.5
# Test cases per operation and phase: bounds the whole step to a couple of minutes on 2 cores.
MAX_EXAMPLES=${ENROLE_SCHEMATHESIS_MAX_EXAMPLES:-60}

if [ -n "${ENROLE_BIN:-}" ]; then
  enrole=$ENROLE_BIN
else
  timed "Building the server" cargo build --quiet --bin enrole
  enrole="$CARGO_TARGET_DIR/debug/enrole"
fi

# Our own virtual environment with the pinned version (python3-venv is a separate Debian package).
venv="$CARGO_TARGET_DIR/schemathesis-venv"
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
  say "Installing schemathesis $SCHEMATHESIS_VERSION (PyPI)"
  rm -rf "$venv"
  python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; rm -rf "$venv"; python3 -m venv "$venv"; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

work=$(mktemp -d /tmp/enrole-schemathesis.XXXXXX)
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT INT TERM

port=$(free_port)
base="http://127.0.0.1:$port"
# schemathesis (requests) and curl go straight to the loopback server, whatever proxy the environment names.
export no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}" NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
export ENROLE_DATABASE_URL="sqlite://$work/enrole.sqlite?mode=rwc"
export ENROLE_LISTEN="127.0.0.1:$port"
export ENROLE_PUBLIC_URL="$base"
export ENROLE_OUTBOX_DIR="$work/outbox"
export ENROLE_SITE_DIR="$work/dist"
export ENROLE_LOG=warn
# Throttles stay on but out of reach: schemathesis sends thousands of requests from one address.
export ENROLE_RATE_LIMIT_SUBMISSIONS_PER_HOUR=1000000
export ENROLE_RATE_LIMIT_DOCUMENTS_PER_HOUR=1000000
export ENROLE_RATE_LIMIT_ECPS_PER_HOUR=1000000
export ENROLE_ECPS_SENDS_PER_QUARTER_HOUR=1000000
export ENROLE_SIGN_IN_SLOWDOWN_MS=0
export ENROLE_SIGN_IN_LOCK_AFTER=1000000
export ENROLE_SIGN_IN_LOCK_AFTER_PER_ADDRESS=1000000
# The professional's contact change needs a recent sign-in: recent enough for the whole run.
export ENROLE_ECPS_RECENT_SIGN_IN_SECS=3600

mkdir -p "$ENROLE_SITE_DIR"
"$enrole" migrate >/dev/null
seeded=$("$enrole" seed-demo)
token=$(grep -oE '/gestion/mot-de-passe/[0-9a-f]{64}' <<<"$seeded" | head -n 1 | sed 's#.*/##')
[ -n "$token" ] || die "seed-demo printed no password link"

"$enrole" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; die "the server did not start"; }
  sleep 0.1
done

eval "$(python3 "$ROOT/scripts/schemathesis_sessions.py" "$base" "$ENROLE_OUTBOX_DIR" "$token")"
[ -n "${GESTION_SESSION:-}" ] && [ -n "${PRO_SESSION:-}" ] && [ -n "${GESTION_SIGN_OUT_SESSION:-}" ] &&
  [ -n "${PRO_SIGN_OUT_SESSION:-}" ] || die "the sessions could not be opened"

# The session goes in as the document's security scheme `session` (schemathesis.toml), so that schemathesis also
# checks that the server refuses what it sends without it (check ignored_auth); the public run's cookie names no
# session. The expected statuses of the rules JSON Schema cannot express are in schemathesis.toml too.
failed=()
run() {
  local name=$1 session=$2; shift 2
  local start=$SECONDS
  say "schemathesis: $name"
  # From the temporary directory: schemathesis keeps a cache (.schemathesis/) in its working directory. `timed`
  # would hide a failure behind `||`: each run's status is kept by hand.
  (cd "$work" && ENROLE_SCHEMATHESIS_SESSION=$session "$venv/bin/schemathesis" \
    --config-file "$ROOT/scripts/schemathesis.toml" run "$base/api/v1/openapi.json" \
    --checks all --max-examples "$MAX_EXAMPLES" --seed 1 --workers 2 \
    --header "Origin: $base" --header "X-Enrole-Csrf: 1" \
    --report junit --report-dir "$work/reports-$name" \
    "$@") || failed+=("$name")
  printf '    (schemathesis %s: %ss)\n' "$name" $((SECONDS - start))
}
# Public: the operations that need no session (those that do are checked without one by ignored_auth below).
run public no-session --exclude-path-regex '^/api/v1/(gestion/|espace/|auth/(me|sign-out)$)'
# The professional runs before the gestionnaire, whose run may correct that professional's contact or close their
# situations. No OpenAPI link joins the professional's operations: no stateful phase there.
run professional "$PRO_SESSION" --phases examples,coverage,fuzzing \
  --include-path-regex '^/api/v1/espace/' --exclude-path /api/v1/espace/sign-out
run gestionnaire "$GESTION_SESSION" --include-path-regex '^/api/v1/(gestion/|auth/me$)'
# Signing out ends the session: each sign-out gets a session of its own, opened for it.
run professional-sign-out "$PRO_SIGN_OUT_SESSION" --phases examples,coverage,fuzzing \
  --include-path /api/v1/espace/sign-out
run gestionnaire-sign-out "$GESTION_SIGN_OUT_SESSION" --phases examples,coverage,fuzzing \
  --include-path /api/v1/auth/sign-out
# Those sessions did end (the sign-out worked at least once, and not only its refusals).
for check in "auth/me $GESTION_SIGN_OUT_SESSION" "espace/profil $PRO_SIGN_OUT_SESSION"; do
  read -r path session <<<"$check"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: enrole_session=$session" "$base/api/v1/$path")
  [ "$code" = 401 ] || { warn "the session signed out by schemathesis still answers $code on /api/v1/$path"; failed+=(sign-out); }
done

stop_server
if grep -Eq 'panicked' "$work/server.log"; then
  grep -E -A5 'panicked' "$work/server.log" >&2 || true
  die "the server panicked during the schemathesis runs"
fi
[ ${#failed[@]} -eq 0 ] || die "schemathesis found failures in the run(s): ${failed[*]} (see above)"
say "schemathesis: no failure, no server error"
