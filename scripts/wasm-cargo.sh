#!/usr/bin/env bash
# `cargo` for wasm32 builds. Uses rustup's wasm32 target when installed; otherwise Debian's rustc-web
# toolchain, which ships the standard library as source only, so std is rebuilt for wasm32 (-Zbuild-std).
set -euo pipefail
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then exec cargo "$@"; fi
cmd=$1; shift
export RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/lib/llvm-19/bin/wasm-ld
exec /usr/bin/cargo "$cmd" -Zbuild-std=std,panic_abort "$@"
