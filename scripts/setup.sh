#!/usr/bin/env bash
# Installs what building (and, with --tests, testing) Enrôle needs. Idempotent: quick when all is there.
# Only package registries are used (crates.io, npm, Debian), plus rustup's own server for the wasm32 target,
# with Debian's rustc-web as the fallback when that server cannot be reached.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
for_tests=0
[ "${1:-}" = "--tests" ] && for_tests=1

# The wasm32 target: rustup first, Debian's rustc-web toolchain as the fallback (see scripts/wasm-cargo.sh).
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "Installing the Rust wasm32 target"
  if ! rustup target add wasm32-unknown-unknown; then
    warn "rustup could not download the wasm32 target; using Debian's rustc-web instead"
    [ -x /usr/lib/llvm-19/bin/wasm-ld ] && [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src/rust ] ||
      apt_install rustc-web cargo-web rust-web-src lld-19
  fi
fi
# std's source, to rebuild std for size in the wasm build (same server as the target; without it, larger bundles).
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown &&
  ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
  say "Installing the Rust standard library's source (rust-src)"
  rustup component add rust-src || warn "rustup could not download rust-src: the wasm bundles are built larger"
fi

# wasm-bindgen's CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
want=$(lock_version wasm-bindgen)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "Installing wasm-bindgen-cli $want (a few minutes, once)"
  # Without --locked: its lock file pins a crate version the registry no longer serves.
  cargo install --quiet wasm-bindgen-cli --version "$want"
fi

# Node packages: binaryen's wasm-opt for the build; Playwright and axe-core for the tests.
command -v npm >/dev/null || apt_install nodejs npm
if [ ! -d "$ROOT/end2end/node_modules" ] || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
  say "Installing npm packages (end2end/)"
  (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "$for_tests" -eq 1 ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  # The fonts the visual checks' baselines are drawn with (end2end/tests/visual.spec.ts): DejaVu Sans and DejaVu
  # Sans Mono for the CSS's system-ui, sans-serif and monospace; Liberation Sans for Chromium's file button.
  for font in fonts-dejavu-core fonts-liberation; do
    dpkg-query -W -f='${Status}' "$font" 2>/dev/null | grep -q 'ok installed' || missing+=("$font")
  done
  if dpkg-query -W -f='${Status}' fonts-noto-core 2>/dev/null | grep -q 'ok installed'; then
    warn "fonts-noto-core is installed: fontconfig prefers Noto Sans to DejaVu Sans, so the visual checks will fail"
  fi
  if [ ${#missing[@]} -gt 0 ]; then say "Installing Debian packages: ${missing[*]}"; apt_install "${missing[@]}"; fi
  # The SMTP sink of the mail tests: a real SMTP conversation on loopback.
  if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    say "Installing aiosmtpd (PyPI)"
    python3 -m pip install --quiet --disable-pip-version-check aiosmtpd==1.4.6 ||
      python3 -m pip install --quiet --disable-pip-version-check --break-system-packages aiosmtpd==1.4.6
  fi
fi
