//! Step 1: the entry points of `app` built for wasm32, through `scripts/wasm-cargo.sh`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};

use crate::run;

/// The cargo profile of the wasm build: always built for size, as it ships.
const PROFILE: &str = "wasm-release";

/// Builds every entry point of `app` for wasm32 with [`PROFILE`], once the wasm-bindgen CLI is checked.
pub fn build_wasm(root: &Path) -> Result<()> {
    let profile = PROFILE;
    let bindgen_version = check_wasm_bindgen(root)?;
    eprintln!("building the app ({profile}) with wasm-bindgen {bindgen_version}");
    // Through scripts/wasm-cargo.sh: std rebuilt for size; rustup's wasm32 target when installed, else Debian's
    // rustc-web.
    // `erase_components`: Leptos type-erases every component's view (AnyView), which cuts the monomorphised view
    // code of the phone pages (gestion, a desktop page, grows a little; see ARCHITECTURE.md). Only for this wasm
    // build: native builds and tests are untouched.
    run(Command::new(root.join("scripts/wasm-cargo.sh"))
        .current_dir(root)
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            "--cfg erase_components",
        )
        .args([
            "build",
            "-p",
            "app",
            "--bins",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            profile,
        ]))
}

/// Where cargo wrote the wasm of the entry point `bin`.
pub fn built_wasm(target_dir: &Path, bin: &str) -> PathBuf {
    target_dir.join(format!("wasm32-unknown-unknown/{PROFILE}/{bin}.wasm"))
}

/// Fails with a clear message unless `wasm-bindgen --version` is the version Cargo.lock pins.
fn check_wasm_bindgen(root: &Path) -> Result<String> {
    let lock = fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let locked = lock
        .split("[[package]]")
        .find(|package| package.contains("\nname = \"wasm-bindgen\"\n"))
        .and_then(|package| {
            package
                .lines()
                .find_map(|line| line.strip_prefix("version = \""))
        })
        .and_then(|version| version.strip_suffix('"'))
        .context("wasm-bindgen is not in Cargo.lock")?
        .to_owned();
    let install = format!("install it with: cargo install wasm-bindgen-cli --version {locked}");
    let output = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .with_context(|| format!("wasm-bindgen is not on PATH; {install}"))?;
    let found = String::from_utf8_lossy(&output.stdout);
    let found = found
        .trim()
        .strip_prefix("wasm-bindgen ")
        .unwrap_or(found.trim());
    ensure!(
        found.split_whitespace().next() == Some(locked.as_str()),
        "wasm-bindgen CLI is {found} but Cargo.lock pins {locked}; {install}"
    );
    Ok(locked)
}
