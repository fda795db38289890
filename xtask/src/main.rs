//! Project tasks. `cargo run -p xtask -- build-app [--release]` builds the SPA into `dist/`:
//!
//! 1. the entry points of `app` ([`entry`]) for wasm32 with `--profile wasm-release` ([`cargo_build`]; `--release`
//!    is accepted and changes nothing: the SPA is always built for size, as it ships);
//! 2. for each entry point ([`bundle`]): for one with `#[lazy]` functions (the form's steps), the split of its wasm
//!    into a main module and chunks ([`split`], `wasm_split_cli_support`), then `wasm-bindgen` on the main module
//!    (the CLI must be the version pinned in Cargo.lock); wasm-streams' unused classes removed from the wasm
//!    ([`wasm`]) and from the JS glue ([`glue`]);
//! 3. `wasm-opt -Oz` when npm's binaryen is installed in `end2end/node_modules` (never Debian's: see toolchain notes),
//!    shortening the import and export names, which the glue then follows ([`glue::rename_in_glue`]);
//! 4. content-hashed names under `dist/pkg/` ([`files`]), a small loader module per page (no inline script: the CSP
//!    forbids it; it starts the app at once, or after the first paint for a page whose first screen is static, see
//!    [`entry::Start`]), `style/` checked and hashed ([`css`]), `public/` copied as is, and each page from its
//!    template in `app/` ([`html`], the pages and templates in [`entry::ENTRIES`]);
//! 5. brotli and gzip copies for the server's precompressed responses ([`compress`]), and a size table (first load
//!    of each page, and its lazy chunks apart: [`sizes`]).
//!
//! Reads `CARGO_TARGET_DIR` (like cargo); the wasm build goes through `scripts/wasm-cargo.sh` (rustup or Debian).

mod bundle;
mod cargo_build;
mod compress;
mod css;
mod entry;
mod files;
mod glue;
mod html;
mod sizes;
mod split;
mod wasm;

use std::path::PathBuf;
use std::process::Command;
use std::{env, fs};

use anyhow::{Context, Result, ensure};

use crate::bundle::Bundle;
use crate::entry::ENTRIES;

const USAGE: &str = "usage: cargo run -p xtask -- build-app [--release]\n  builds the SPA into dist/ \
    (profile wasm-release, then wasm-opt when end2end/node_modules has it)";

fn main() -> Result<()> {
    let args: Vec<String> = env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["build-app"] | ["build-app", "--release"] => build_app(),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

fn build_app() -> Result<()> {
    // `cargo run` sets CARGO_MANIFEST_DIR for the process: prefer it to the path compiled in, which is stale when
    // one target directory serves several checkouts (cargo does not rebuild xtask for a mere change of path).
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let root = manifest_dir
        .parent()
        .context("xtask lives inside the workspace")?
        .to_path_buf();
    let target_dir = match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => env::current_dir()?.join(dir),
        None => root.join("target"),
    };

    cargo_build::build_wasm(&root)?;

    let wasm_opt = root.join("end2end/node_modules/.bin/wasm-opt");
    let wasm_opt = wasm_opt.exists().then_some(wasm_opt);
    if wasm_opt.is_none() {
        eprintln!(
            "note: end2end/node_modules/.bin/wasm-opt not found (npm ci in end2end/), skipping wasm-opt"
        );
    }

    let dist = root.join("dist");
    if dist.exists() {
        fs::remove_dir_all(&dist).with_context(|| format!("removing {}", dist.display()))?;
    }
    let pkg = dist.join("pkg");
    fs::create_dir_all(&pkg)?;
    files::copy_dir(&root.join("public"), &dist)?;
    let styles = css::write_styles(&root.join("style"), &pkg)?;

    let staging = target_dir.join("enrole-spa");
    // A bundle shared by two pages is bound, optimised and written once; each page gets the loader it needs.
    let mut bundles: Vec<(&str, Bundle)> = Vec::new();
    let mut pages = Vec::new();
    for entry in &ENTRIES {
        let bundle = match bundles.iter().find(|(bin, _)| *bin == entry.bin) {
            Some((_, bundle)) => bundle.clone(),
            None => {
                let bundle = bundle::bind_bundle(
                    &target_dir,
                    &staging,
                    &pkg,
                    entry.bin,
                    wasm_opt.as_deref(),
                )?;
                bundles.push((entry.bin, bundle.clone()));
                bundle
            }
        };
        pages.push(html::write_entry(&root, &dist, entry, &bundle, &styles)?);
    }

    let sizes = compress::compress_all(&dist)?;
    sizes::report(&dist, &sizes, &pages)
}

/// Runs `command`, failing unless it succeeds.
fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("starting {command:?}"))?;
    ensure!(status.success(), "{command:?} failed ({status})");
    Ok(())
}
