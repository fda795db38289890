#!/usr/bin/env bash
# `cargo` for wasm32 builds. The standard library is rebuilt from source for size: `optimize_for_size` picks std's
# smaller algorithms, and panics abort at once (`panic=immediate-abort`) instead of formatting a message, which drops
# core's formatting code from the bundle (the form's wasm: 161.8 -> 142.8 kB brotli). Rebuilding std needs nightly
# cargo flags, enabled on this stable toolchain by RUSTC_BOOTSTRAP (the compiler stays the pinned stable one).
# Uses rustup's toolchain with its wasm32 target and rust-src when installed; without rust-src, rustup's prebuilt
# std (larger bundles, with a note); without the target, Debian's rustc-web toolchain and its std source.
set -euo pipefail
cmd=$1; shift
size_flags=(-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size)
flags_var=CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS
with_immediate_abort="${!flags_var:-} -Zunstable-options -Cpanic=immediate-abort"
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  if rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
    export RUSTC_BOOTSTRAP=1 "$flags_var=$with_immediate_abort"
    exec cargo "$cmd" "${size_flags[@]}" "$@"
  fi
  echo "note: rustup's rust-src is not installed: std is not rebuilt for size (larger wasm)" >&2
  exec cargo "$cmd" "$@"
fi
export "$flags_var=$with_immediate_abort"
export RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/lib/llvm-19/bin/wasm-ld
exec /usr/bin/cargo "$cmd" "${size_flags[@]}" "$@"
