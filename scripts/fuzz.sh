#!/usr/bin/env bash
# Fuzzes every parser of `shared` with cargo-fuzz (libFuzzer, nightly toolchain), each target for a bounded time.
# Not part of the test command. Usage: ./scripts/fuzz.sh [seconds per target, default 60] [target…]
# A crash leaves its input in fuzz/artifacts/<target>/; turn it into a unit or proptest case in shared/ (the
# regression stays in the test command) before fixing the parser.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

seconds=${1:-60}
shift || true
TOOLCHAIN=${ENROLE_FUZZ_TOOLCHAIN:-nightly}
rustup run "$TOOLCHAIN" rustc --version >/dev/null 2>&1 || die "cargo-fuzz needs a nightly toolchain (rustup toolchain install nightly)"
if ! cargo fuzz --version >/dev/null 2>&1; then
  say "Installing cargo-fuzz 0.13.2 from crates.io"
  cargo install --locked cargo-fuzz@0.13.2
fi

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cd fuzz && cargo "+$TOOLCHAIN" fuzz list)
export CARGO_TARGET_DIR="$ROOT/fuzz/target"
failed=()
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  say "Fuzzing $target for ${seconds}s"
  log="fuzz/target/$target.log"
  mkdir -p fuzz/target
  if (cd fuzz && cargo "+$TOOLCHAIN" fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1) >"$log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" | tr '\n' ' '; echo
  else
    tail -n 40 "$log"
    failed+=("$target")
  fi
done
[ ${#failed[@]} -eq 0 ] || die "failed: ${failed[*]} (logs in fuzz/target/<target>.log, crashing inputs under fuzz/artifacts/)"
say "No crash in ${#targets[@]} targets (${seconds}s each)"
