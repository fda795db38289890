//! Steps 2 and 3 for one entry point: its split, wasm-bindgen, the unused classes removed, wasm-opt, and its
//! hashed files written into `dist/pkg/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, ensure};

use crate::files::write_hashed;
use crate::glue::{remove_classes_from_glue, remove_dead_imports, rename_in_glue, strip_glue};
use crate::wasm::{first_import_module, remove_custom_sections, remove_exports};
use crate::{cargo_build, run, split};

/// Binds `bin`'s wasm with wasm-bindgen (and wasm-opt when available) and writes its hashed JS glue and wasm into
/// `pkg`; returns their names.
pub fn bind_bundle(
    target_dir: &Path,
    staging: &Path,
    pkg: &Path,
    bin: &str,
    wasm_opt: Option<&Path>,
) -> Result<Bundle> {
    let out = staging.join(bin);
    if out.exists() {
        fs::remove_dir_all(&out)?;
    }
    let built = cargo_build::built_wasm(target_dir, bin);
    let raw = fs::read(&built).with_context(|| format!("reading {}", built.display()))?;
    let split_dir = staging.join(format!("{bin}-split"));
    let is_split = split::has_split_points(&raw)?;
    let (input, chunks) = if is_split {
        ensure!(
            wasm_opt.is_some(),
            "{bin} has #[lazy] functions: its split needs wasm-opt (npm ci in end2end/)"
        );
        split::split_wasm(&raw, &split_dir, bin)?
    } else {
        (built, Vec::new())
    };
    drop(raw);
    let (wasm_path, glue) = wasm_bindgen(&input, &out, bin, is_split)?;
    let glue = remove_unused(&wasm_path, &glue, bin)?;
    let (glue, renaming) = match wasm_opt {
        Some(wasm_opt) => minify(wasm_opt, &wasm_path, &glue, bin)?,
        None => (glue, String::new()),
    };
    let wasm = write_hashed(pkg, bin, "wasm", &fs::read(&wasm_path)?)?;
    let Some(wasm_opt) = wasm_opt.filter(|_| is_split) else {
        let js = write_hashed(pkg, bin, "js", strip_glue(&glue).as_bytes())?;
        return Ok(Bundle {
            js,
            wasm,
            link: None,
            chunks: Vec::new(),
        });
    };
    let chunks = split::optimise_chunks(&chunks, wasm_opt, pkg, bin)?;
    let (js, link) = split::write_glue_and_link(&glue, &renaming, &split_dir, &chunks, pkg, bin)?;
    Ok(Bundle {
        js,
        wasm,
        link: Some(link),
        chunks: chunks.into_iter().map(|(_, name)| name).collect(),
    })
}

/// What `bind_bundle` wrote into `pkg/`: the JS glue and the wasm of an entry point, and when it has `#[lazy]`
/// functions, the split's link module (imported by the glue: part of the first load) and the chunks (fetched by
/// the app when it needs them, not part of the first load).
#[derive(Clone)]
pub struct Bundle {
    pub js: String,
    pub wasm: String,
    pub link: Option<String>,
    pub chunks: Vec<String>,
}

/// The wasm features of the build, for wasm-opt.
pub const WASM_OPT_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Runs wasm-bindgen on `input` into `out`; returns the path of the wasm it wrote and its JS glue.
fn wasm_bindgen(input: &Path, out: &Path, bin: &str, split: bool) -> Result<(PathBuf, String)> {
    run(Command::new("wasm-bindgen")
        .arg(input)
        .arg("--out-dir")
        .arg(out)
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--remove-name-section",
            "--remove-producers-section",
        ])
        // The chunks use the main module's stack pointer and function table, which it must keep exporting.
        .args(split.then_some("--keep-lld-exports")))?;
    ensure!(
        !out.join("snippets").exists(),
        "wasm-bindgen emitted JS snippets for {bin}: teach xtask to copy them"
    );
    let glue = fs::read_to_string(out.join(format!("{bin}.js")))?;
    Ok((out.join(format!("{bin}_bg.wasm")), glue))
}

/// Removes from the wasm at `wasm_path` the exports of [`UNUSED_CLASSES`] and the linker's custom sections, and
/// from `glue` those classes; returns the glue.
fn remove_unused(wasm_path: &Path, glue: &str, bin: &str) -> Result<String> {
    // wasm-streams' classes, exported for server functions' streaming bodies, which the app never calls.
    let (wasm, removed) = remove_exports(&fs::read(wasm_path)?, |name| {
        UNUSED_CLASSES
            .iter()
            .any(|class| is_export_of_class(name, class))
    })?;
    for class in UNUSED_CLASSES {
        ensure!(
            removed.iter().any(|name| is_export_of_class(name, class)),
            "the wasm of {bin} no longer exports {class}: update UNUSED_CLASSES in xtask"
        );
    }
    // The linker's relocations, kept for the split (app/build.rs), are no use to the browser (nor to wasm-opt).
    let wasm = remove_custom_sections(&wasm, |name| {
        name == "linking" || name.starts_with("reloc.")
    })?;
    fs::write(wasm_path, wasm)?;
    remove_classes_from_glue(glue, &UNUSED_CLASSES)
        .with_context(|| format!("removing the unused classes from the glue of {bin}"))
}

/// Runs `wasm-opt -Oz` on the wasm at `wasm_path`, which also shortens its import and export names; returns the
/// glue following it, and wasm-opt's renaming (see [`rename_in_glue`]).
fn minify(wasm_opt: &Path, wasm_path: &Path, glue: &str, bin: &str) -> Result<(String, String)> {
    // The import and export names are shortened too ("a", "b"…): wasm-bindgen names each import after its
    // function and a hash, which repeats in the glue and compresses badly (see ARCHITECTURE.md). wasm-opt prints
    // the renaming, which the glue then follows.
    let mut command = Command::new(wasm_opt);
    command
        .arg(wasm_path)
        .arg("-o")
        .arg(wasm_path)
        .args(WASM_OPT_FEATURES)
        .args(["-Oz", "--minify-imports-and-exports-and-modules"]);
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("starting {command:?}"))?;
    ensure!(
        output.status.success(),
        "{command:?} failed ({})",
        output.status
    );
    let module = first_import_module(&fs::read(wasm_path)?)?;
    let renaming = String::from_utf8(output.stdout)?;
    // The imports only the removed classes used are gone from the wasm: their functions leave the glue too.
    let glue = remove_dead_imports(glue, &renaming)
        .with_context(|| format!("removing the dropped imports from the glue of {bin}"))?;
    let glue = rename_in_glue(&glue, &renaming, &module)
        .with_context(|| format!("applying wasm-opt's renaming to the glue of {bin}"))?;
    Ok((glue, renaming))
}

/// `#[wasm_bindgen]` classes of dependencies that the app never uses: wasm-streams' sources and sink (Leptos enables
/// server_fn's `browser` feature, which brings wasm-streams for streaming bodies; the app calls no server function).
/// Their exports are removed from the wasm before wasm-opt, which then drops their code (see ARCHITECTURE.md), and
/// their JS classes leave the glue. The build fails if one is missing, so that a dependency update cannot silently
/// change what is removed.
const UNUSED_CLASSES: [&str; 3] = [
    "IntoUnderlyingByteSource",
    "IntoUnderlyingSink",
    "IntoUnderlyingSource",
];

/// Whether `export` is one of the wasm exports wasm-bindgen makes for `class`: its destructor
/// (`__wbg_<class>_free`) or a method (`<class>_<method>`), the class name in lower case.
fn is_export_of_class(export: &str, class: &str) -> bool {
    let lower = class.to_ascii_lowercase();
    export == format!("__wbg_{lower}_free")
        || export
            .strip_prefix(&lower)
            .is_some_and(|rest| rest.starts_with('_'))
}

#[cfg(test)]
mod tests {
    use super::is_export_of_class;

    #[test]
    fn the_class_exports_are_recognised() {
        assert!(is_export_of_class(
            "__wbg_intounderlyingsink_free",
            "IntoUnderlyingSink"
        ));
        assert!(is_export_of_class(
            "intounderlyingsink_write",
            "IntoUnderlyingSink"
        ));
        assert!(!is_export_of_class(
            "intounderlyingsinkx",
            "IntoUnderlyingSink"
        ));
        assert!(!is_export_of_class("main", "IntoUnderlyingSink"));
    }
}
