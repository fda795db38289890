//! Project tasks. `cargo run -p xtask -- build-app [--release]` builds the SPA into `dist/`:
//!
//! 1. the entry points of `app` for wasm32 with `--profile wasm-release` (`--release` is accepted and changes
//!    nothing: the SPA is always built for size, as it ships);
//! 2. for an entry point with `#[lazy]` functions (the form's steps), the split of its wasm into a main module and
//!    chunks (`wasm_split_cli_support`, see [`split_wasm`]), then `wasm-bindgen` on the main module (the CLI must
//!    be the version pinned in Cargo.lock); wasm-streams' unused classes removed ([`UNUSED_CLASSES`]);
//! 3. `wasm-opt -Oz` when npm's binaryen is installed in `end2end/node_modules` (never Debian's: see toolchain notes),
//!    shortening the import and export names, which the glue then follows ([`rename_in_glue`]);
//! 4. content-hashed names under `dist/pkg/`, a small loader module per page (no inline script: the CSP forbids it;
//!    it starts the app at once, or after the first paint for a page whose first screen is static, see [`Start`]),
//!    `style/` hashed, `public/` copied as is, `index.html` and `espace.html` from the template `app/index.html`,
//!    `preinscription.html` (with the form's intro) from `app/preinscription.html`, `gestion.html` from
//!    `app/gestion.html`, `integration.html` (the embedded form, the `integration` bundle) from
//!    `app/integration.html`;
//! 5. brotli and gzip copies for the server's precompressed responses, and a size table (first load of each page,
//!    and its lazy chunks apart).
//!
//! Reads `CARGO_TARGET_DIR` (like cargo); the wasm build goes through `scripts/wasm-cargo.sh` (rustup or Debian).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use anyhow::{Context, Result, bail, ensure};
use sha2::{Digest, Sha256};
use wasm_encoder::{ExportSection, Module, RawSection};
use wasmparser::{Encoding, Parser, Payload};

const USAGE: &str = "usage: cargo run -p xtask -- build-app [--release]\n  builds the SPA into dist/ \
    (profile wasm-release, then wasm-opt when end2end/node_modules has it)";

/// An entry point: a binary of the `app` crate, the page that loads it, the page's template in `app/`, and when
/// the page's loader starts the app.
struct Entry {
    bin: &'static str,
    page: &'static str,
    template: &'static str,
    start: Start,
}

/// When a page's loader starts the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    /// At once: the page paints a placeholder and the app its content (the template preloads the WASM).
    AtOnce,
    /// Once the browser has painted the page: its first screen is static HTML the app adopts (the form's intro,
    /// its Largest Contentful Paint), and downloading the WASM earlier would share the phone's bandwidth with it.
    /// The template must not preload the WASM. Costs about one round trip before the app responds.
    AfterFirstPaint,
}

const ENTRIES: [Entry; 5] = [
    Entry {
        bin: "public",
        page: "index.html",
        template: "index.html",
        start: Start::AtOnce,
    },
    // The form's whole first screen (the intro) is in its page.
    Entry {
        bin: "preinscription",
        page: "preinscription.html",
        template: "preinscription.html",
        start: Start::AfterFirstPaint,
    },
    Entry {
        bin: "gestion",
        page: "gestion.html",
        template: "gestion.html",
        start: Start::AtOnce,
    },
    // The form embedded in an intranet (`/integration/formulaire`): a compact first paint, and the steps in the
    // one wasm (it shows a step at once: a chunk would only add its overhead).
    Entry {
        bin: "integration",
        page: "integration.html",
        template: "integration.html",
        start: Start::AtOnce,
    },
    Entry {
        bin: "espace",
        page: "espace.html",
        // The professional's pages share their static first paint.
        template: "index.html",
        start: Start::AtOnce,
    },
];

/// The cargo profile of the wasm build: always built for size, as it ships.
const PROFILE: &str = "wasm-release";

/// Files worth precompressing (the server picks `.br`/`.gz` by `Accept-Encoding`).
const COMPRESSIBLE: [&str; 6] = ["html", "js", "wasm", "css", "svg", "txt"];

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
    let profile = PROFILE;

    let bindgen_version = check_wasm_bindgen(&root)?;
    eprintln!("building the app ({profile}) with wasm-bindgen {bindgen_version}");
    // Through scripts/wasm-cargo.sh: std rebuilt for size; rustup's wasm32 target when installed, else Debian's
    // rustc-web.
    // `erase_components`: Leptos type-erases every component's view (AnyView), which cuts the monomorphised view
    // code: public wasm 286 -> 263 kB brotli, the form's entry point 231 -> 211 kB (gestion grows 78 -> 85 kB, a
    // desktop page). Only for this wasm build: native builds and tests are untouched.
    run(Command::new(root.join("scripts/wasm-cargo.sh"))
        .current_dir(&root)
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
        ]))?;

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
    copy_dir(&root.join("public"), &dist)?;

    let mut styles = Vec::new();
    for file in sorted_files(&root.join("style"))? {
        if file.extension().is_some_and(|ext| ext == "css") {
            let stem = file_stem(&file)?;
            let css = fs::read(&file)?;
            // Browsers silently drop every rule after an unclosed block: refuse to ship such a file.
            if let Some(problem) = unbalanced_css(&String::from_utf8_lossy(&css)) {
                bail!("{}: {problem}", file.display());
            }
            let name = write_hashed(&pkg, stem, "css", &css)?;
            styles.push((format!("{stem}.css"), format!("/pkg/{name}")));
        }
    }

    let staging = target_dir.join("enrole-spa");
    // A bundle shared by two pages is bound, optimised and written once; each page gets the loader it needs.
    let mut bundles: Vec<(&str, Bundle)> = Vec::new();
    let mut pages = Vec::new();
    for entry in &ENTRIES {
        let bundle = match bundles.iter().find(|(bin, _)| *bin == entry.bin) {
            Some((_, bundle)) => bundle.clone(),
            None => {
                let bundle =
                    bind_bundle(&target_dir, &staging, &pkg, entry.bin, wasm_opt.as_deref())?;
                bundles.push((entry.bin, bundle.clone()));
                bundle
            }
        };
        let (js, wasm) = (bundle.js.clone(), bundle.wasm.clone());
        let loader = write_hashed(
            &pkg,
            &format!("{}-loader", entry.bin),
            "js",
            loader_source(entry, &js, &wasm).as_bytes(),
        )?;
        write_page(
            &root,
            &dist,
            entry,
            &styles,
            &loader,
            &bundle_preloads(&bundle),
        )?;
        let mut files = vec![entry.page.to_owned()];
        files.extend([loader, js, wasm].map(|name| format!("pkg/{name}")));
        files.extend(bundle.link.map(|name| format!("pkg/{name}")));
        files.extend(
            styles
                .iter()
                .map(|(_, href)| href.trim_start_matches('/').to_owned()),
        );
        // A chunk the page preloads (it shows a step at once) is part of its first load; the others are fetched
        // once the app started.
        let html = fs::read_to_string(dist.join(entry.page))?;
        let (preloaded, chunks): (Vec<String>, Vec<String>) = bundle
            .chunks
            .iter()
            .map(|name| format!("pkg/{name}"))
            .partition(|path| html.contains(&format!("\"/{path}\"")));
        files.extend(preloaded);
        pages.push((entry, files, chunks));
    }

    let sizes = compress_all(&dist)?;
    report(&dist, &sizes, &pages)
}

/// Binds `bin`'s wasm with wasm-bindgen (and wasm-opt when available) and writes its hashed JS glue and wasm into
/// `pkg`; returns their names.
fn bind_bundle(
    target_dir: &Path,
    staging: &Path,
    pkg: &Path,
    bin: &str,
    wasm_opt: Option<&Path>,
) -> Result<Bundle> {
    let profile = PROFILE;
    let out = staging.join(bin);
    if out.exists() {
        fs::remove_dir_all(&out)?;
    }
    let mut input = target_dir.join(format!("wasm32-unknown-unknown/{profile}/{bin}.wasm"));
    let raw = fs::read(&input).with_context(|| format!("reading {}", input.display()))?;
    let split_dir = staging.join(format!("{bin}-split"));
    let split = has_split_points(&raw)?;
    let mut chunks = Vec::new();
    if split {
        ensure!(
            wasm_opt.is_some(),
            "{bin} has #[lazy] functions: its split needs wasm-opt (npm ci in end2end/)"
        );
        (input, chunks) = split_wasm(&raw, &split_dir, bin)?;
    }
    drop(raw);
    run(Command::new("wasm-bindgen")
        .arg(&input)
        .arg("--out-dir")
        .arg(&out)
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
    let wasm_path = out.join(format!("{bin}_bg.wasm"));
    let mut glue = fs::read_to_string(out.join(format!("{bin}.js")))?;
    // wasm-streams' classes, exported for server functions' streaming bodies, which the app never calls.
    let (wasm, removed) = remove_exports(&fs::read(&wasm_path)?, |name| {
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
    fs::write(&wasm_path, wasm)?;
    glue = remove_classes_from_glue(&glue, &UNUSED_CLASSES)
        .with_context(|| format!("removing the unused classes from the glue of {bin}"))?;
    let mut renaming = String::new();
    if let Some(wasm_opt) = wasm_opt {
        // The import and export names are shortened too ("a", "b"…): wasm-bindgen names each import after its
        // function and a hash, which repeats in the glue and compresses badly (the form's wasm and glue: about
        // 4 kB of brotli). wasm-opt prints the renaming, which the glue then follows.
        let mut command = Command::new(wasm_opt);
        command
            .arg(&wasm_path)
            .arg("-o")
            .arg(&wasm_path)
            .args(WASM_OPT_FEATURES)
            .args(["-Oz", "--minify-imports-and-exports-and-modules"]);
        let output = command
            .stderr(std::process::Stdio::inherit())
            .output()
            .with_context(|| format!("starting {command:?}"))?;
        ensure!(
            output.status.success(),
            "{command:?} failed ({})",
            output.status
        );
        let module = first_import_module(&fs::read(&wasm_path)?)?;
        renaming = String::from_utf8(output.stdout)?;
        // The imports only the removed classes used are gone from the wasm: their functions leave the glue too.
        glue = remove_dead_imports(&glue, &renaming)
            .with_context(|| format!("removing the dropped imports from the glue of {bin}"))?;
        glue = rename_in_glue(&glue, &renaming, &module)
            .with_context(|| format!("applying wasm-opt's renaming to the glue of {bin}"))?;
    }
    let wasm = write_hashed(pkg, bin, "wasm", &fs::read(&wasm_path)?)?;
    let Some(wasm_opt) = wasm_opt.filter(|_| split) else {
        let js = write_hashed(pkg, bin, "js", strip_glue(&glue).as_bytes())?;
        return Ok(Bundle {
            js,
            wasm,
            link: None,
            chunks: Vec::new(),
        });
    };
    // The chunks, optimised on their own (their imports keep their names: the link module provides them).
    let mut renamed_chunks = Vec::new();
    for chunk in &chunks {
        // Without their names, which wasm-opt would drop anyway (it warns about a subsection it does not know).
        let wasm = remove_custom_sections(&fs::read(chunk)?, |name| {
            name == "name" || name == "producers"
        })?;
        fs::write(chunk, wasm)?;
        let mut command = Command::new(wasm_opt);
        command
            .arg(chunk)
            .arg("-o")
            .arg(chunk)
            .args(WASM_OPT_FEATURES)
            .args(["-Oz", "--strip-debug", "--strip-producers"]);
        run(&mut command)?;
        let stem = file_stem(chunk)?;
        let name = stem.strip_prefix("split_").unwrap_or(stem);
        let name = name
            .rsplit_once('_')
            .filter(|(_, hash)| hash.bytes().all(|b| b.is_ascii_digit()))
            .map_or(name, |(name, _)| name);
        let hashed = write_hashed(pkg, &format!("{bin}-{name}"), "wasm", &fs::read(chunk)?)?;
        renamed_chunks.push((format!("{stem}.wasm"), hashed));
    }
    // The glue imports the link module, which imports the glue: the link module is named after both before either
    // names the other, so that any change to either gives it a new name (both are cached for good).
    let link = fs::read_to_string(split_dir.join(SPLIT_LINK.trim_start_matches("./")))?;
    let key = Sha256::digest(format!("{glue}\0{link}\0{renamed_chunks:?}"));
    let key: String = key
        .iter()
        .take(6)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let link_name = format!("{bin}-split-{key}.js");
    glue = replace_token(
        &glue,
        "",
        &format!("\"{SPLIT_LINK}\""),
        &format!("\"./{link_name}\""),
        1,
    )
    .with_context(|| format!("naming the split's link module in the glue of {bin}"))?;
    let js = write_hashed(pkg, bin, "js", strip_glue(&glue).as_bytes())?;
    let link = link_module(&link, &renaming, &js, &renamed_chunks)
        .with_context(|| format!("the split's link module of {bin}"))?;
    fs::write(pkg.join(&link_name), strip_glue(&link))?;
    let chunks = renamed_chunks.into_iter().map(|(_, name)| name).collect();
    Ok(Bundle {
        js,
        wasm,
        link: Some(link_name),
        chunks,
    })
}

/// What `bind_bundle` wrote into `pkg/`: the JS glue and the wasm of an entry point, and when it has `#[lazy]`
/// functions, the split's link module (imported by the glue: part of the first load) and the chunks (fetched by
/// the app when it needs them, not part of the first load).
#[derive(Clone)]
struct Bundle {
    js: String,
    wasm: String,
    link: Option<String>,
    chunks: Vec<String>,
}

/// The wasm features of the build, for wasm-opt.
const WASM_OPT_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// The module a `#[lazy]` function's loader is imported from until the split links it.
const SPLIT_PLACEHOLDER: &str = "__wasm_split_placeholder__";
/// The module the main wasm imports the chunks' loaders from after the split, renamed in the glue by xtask.
const SPLIT_LINK: &str = "./__wasm_split.js";
/// The module the split's link module imports the glue's `initSync` from, renamed by xtask.
const SPLIT_MAIN: &str = "./__wasm_split_main.js";

/// Whether the wasm calls a `#[lazy]` function (its loader is imported from [`SPLIT_PLACEHOLDER`]).
fn has_split_points(wasm: &[u8]) -> Result<bool> {
    imports_from(wasm, SPLIT_PLACEHOLDER)
}

/// Splits the wasm at its `#[lazy]` functions (`wasm_split_cli_support`, as cargo-leptos does): writes the main
/// module (returned, for wasm-bindgen), the chunks (returned) and the link module into `dir`.
fn split_wasm(raw: &[u8], dir: &Path, bin: &str) -> Result<(PathBuf, Vec<PathBuf>)> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    fs::create_dir_all(dir)?;
    let main = dir.join(format!("{bin}.wasm"));
    let mut options = wasm_split_cli_support::Options::new(raw);
    options.output_dir = dir;
    options.main_out_path = &main;
    options.link_name = SPLIT_LINK;
    options.main_module = SPLIT_MAIN;
    let split = wasm_split_cli_support::transform(options)
        .map_err(|error| anyhow::anyhow!("{error:?}"))
        .with_context(|| format!("splitting the wasm of {bin} at its #[lazy] functions"))?;
    ensure!(
        !split.split_modules.is_empty(),
        "the split of {bin} wrote no chunk"
    );
    Ok((main, split.split_modules))
}

/// `#[wasm_bindgen]` classes of dependencies that the app never uses: wasm-streams' sources and sink (Leptos enables
/// server_fn's `browser` feature, which brings wasm-streams for streaming bodies; the app calls no server function).
/// Their exports are removed from the wasm before wasm-opt, which then drops their code (the form's wasm: 132.3 ->
/// 131.4 kB brotli), and their JS classes leave the glue. The build fails if one is missing, so that a dependency
/// update cannot silently change what is removed.
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

/// The payloads of a core wasm module (a component is refused), in order.
fn module_payloads(wasm: &[u8]) -> impl Iterator<Item = Result<Payload<'_>>> {
    Parser::new(0).parse_all(wasm).map(|payload| {
        let payload = payload?;
        if let Payload::Version { encoding, .. } = payload {
            ensure!(
                encoding == Encoding::Module,
                "a wasm component, not a module"
            );
        }
        Ok(payload)
    })
}

/// `payload` as a section to copy as is, or `None` for the parser's other payloads (the header, each function
/// body, the end).
fn raw_section<'a>(wasm: &'a [u8], payload: &Payload<'_>) -> Result<Option<RawSection<'a>>> {
    let Some((id, range)) = payload.as_section() else {
        return Ok(None);
    };
    let data = usize::try_from(range.start)
        .ok()
        .zip(usize::try_from(range.end).ok())
        .and_then(|(start, end)| wasm.get(start..end))
        .context("a wasm section outside the binary")?;
    Ok(Some(RawSection { id, data }))
}

/// The wasm binary without the exports `remove` selects (the export section rewritten, every other section copied
/// as is), and the names removed.
fn remove_exports(wasm: &[u8], remove: impl Fn(&str) -> bool) -> Result<(Vec<u8>, Vec<String>)> {
    let mut module = Module::new();
    let mut removed = Vec::new();
    for payload in module_payloads(wasm) {
        let payload = payload?;
        let Payload::ExportSection(exports) = payload else {
            if let Some(section) = raw_section(wasm, &payload)? {
                module.section(&section);
            }
            continue;
        };
        let mut kept = ExportSection::new();
        for export in exports {
            let export = export?;
            if remove(export.name) {
                removed.push(export.name.to_owned());
            } else {
                kept.export(export.name, export.kind.into(), export.index);
            }
        }
        module.section(&kept);
    }
    Ok((module.finish(), removed))
}

/// wasm-bindgen's glue without `classes`: each class (from `export class C {` to the line adding its
/// `Symbol.dispose`), its `CFinalization` registry, and the enums only they used. Fails if one is not found whole
/// or is still named afterwards.
fn remove_classes_from_glue(glue: &str, classes: &[&str]) -> Result<String> {
    let mut lines: Vec<&str> = glue.lines().collect();
    for class in classes {
        let start = format!("export class {class} {{");
        let end = format!(
            "if (Symbol.dispose) {class}.prototype[Symbol.dispose] = {class}.prototype.free;"
        );
        let first = lines.iter().position(|line| *line == start);
        let first = first.with_context(|| format!("no `{start}` line in the glue"))?;
        let last = lines[first..].iter().position(|line| *line == end);
        let last = last.with_context(|| format!("no `{end}` line after the class {class}"))?;
        lines.drain(first..=first + last);
        let registry = format!("const {class}Finalization = ");
        let first = lines.iter().position(|line| line.starts_with(&registry));
        let first = first.with_context(|| format!("no `{registry}` in the glue"))?;
        let last = lines[first..].iter().position(|line| line.ends_with(");"));
        let last = last.with_context(|| format!("the registry of {class} does not end"))?;
        lines.drain(first..=first + last);
    }
    // The enums of the classes' types (`const __wbindgen_enum_ReadableStreamType = ["bytes"];`) named nowhere else.
    let enums: Vec<String> = lines
        .iter()
        .filter_map(|line| line.strip_prefix("const __wbindgen_enum_"))
        .filter_map(|rest| rest.split(' ').next())
        .map(|name| format!("__wbindgen_enum_{name}"))
        .collect();
    for name in enums {
        if lines.iter().filter(|line| line.contains(&name)).count() == 1 {
            lines.retain(|line| !line.starts_with(&format!("const {name} = ")));
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    for class in classes {
        let lower = class.to_ascii_lowercase();
        ensure!(
            !out.contains(class) && !out.contains(&lower),
            "the glue still names {class} after its removal"
        );
    }
    Ok(out)
}

/// wasm-bindgen's glue without the imports the wasm no longer has after wasm-opt (those only removed code called;
/// `renaming` lists every import left, see [`rename_in_glue`]), nor the glue's functions only they called. An import
/// is a `        name: function(…) {` line of the imports object, up to its `        },` line.
fn remove_dead_imports(glue: &str, renaming: &str) -> Result<String> {
    let mut kept = Vec::new();
    for line in renaming.lines() {
        if let [_, old, _] = quoted_strings(line)?.as_slice() {
            kept.push(old.clone());
        }
    }
    let mut lines: Vec<&str> = glue.lines().collect();
    let mut dropped = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let name = lines[at]
            .strip_prefix("        ")
            .and_then(|line| line.split_once(": function("))
            .map(|(name, _)| name)
            .filter(|name| !name.contains(' '));
        match name {
            Some(name) if !kept.iter().any(|kept| kept == name) => {
                let end = lines[at..].iter().position(|line| *line == "        },");
                let end = end.with_context(|| format!("the import {name} does not end"))?;
                dropped.extend(lines.drain(at..=at + end));
            }
            _ => at += 1,
        }
    }
    // Top-level functions (`function name(…) {` … `}`) that only the dropped imports called.
    let mut at = 0;
    while at < lines.len() {
        let name = lines[at]
            .strip_prefix("function ")
            .and_then(|line| line.split_once('('))
            .map(|(name, _)| name.to_owned());
        let Some(name) = name.filter(|name| dropped.iter().any(|line| calls(line, name))) else {
            at += 1;
            continue;
        };
        let end = lines[at..].iter().position(|line| *line == "}");
        let end = at + end.with_context(|| format!("the function {name} does not end"))?;
        let outside = lines[..at].iter().chain(&lines[end + 1..]);
        if outside.into_iter().any(|line| calls(line, &name)) {
            at = end + 1;
        } else {
            lines.drain(at..=end);
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(out)
}

/// Whether `line` calls the function `name` of the glue (`name(`, not `wasm.name(` nor `other_name(`).
fn calls(line: &str, name: &str) -> bool {
    let needle = format!("{name}(");
    line.match_indices(&needle).any(|(at, _)| {
        !line[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.')
    })
}

/// Applies wasm-opt's renaming of the imports and exports (`--minify-imports-and-exports-and-modules`, which prints
/// `["module", "name", "new"]` for each import and `["name", "new"]` for each export) to wasm-bindgen's glue: the
/// imports are the keys of the object given as the module `module` (now the only one), the exports are read as
/// `wasm.name`. Fails rather than ship a glue that would call a name the wasm no longer has.
fn rename_in_glue(glue: &str, renaming: &str, module: &str) -> Result<String> {
    let mut glue = glue.to_owned();
    let mut modules = Vec::new();
    let mut linked = Vec::new();
    for line in renaming.lines() {
        let names = quoted_strings(line)?;
        match names.as_slice() {
            // The chunks' loaders, imported from the split's link module: added to the one imports object below.
            [old_module, old, new] if old_module == SPLIT_LINK => {
                linked.push((old.clone(), new.clone()))
            }
            [old_module, old, new] => {
                if !modules.contains(old_module) {
                    modules.push(old_module.clone());
                }
                glue = replace_token(&glue, "", old, &format!("\"{new}\""), 1)?;
            }
            [old, new] => {
                glue = replace_token(&glue, "wasm.", old, &format!("wasm.{new}"), 0)?;
            }
            // The braces and the section names ("imports", "exports").
            [] | [_] => {}
            _ => bail!("unexpected line in wasm-opt's renaming: {line}"),
        }
    }
    ensure!(
        modules.len() == 1,
        "the glue imports from {modules:?}, expected one module"
    );
    if !linked.is_empty() {
        // `"./__wasm_split.js": import1,` in the object of modules becomes one entry per loader in `import0`.
        let key = format!("\"{SPLIT_LINK}\": ");
        let mut lines: Vec<String> = glue.lines().map(str::to_owned).collect();
        let at = lines
            .iter()
            .position(|line| line.trim_start().starts_with(&key));
        let at = at.with_context(|| format!("no {key} in the glue's imports"))?;
        let namespace = lines.remove(at);
        let namespace = namespace
            .trim()
            .trim_start_matches(&key)
            .trim_end_matches(',')
            .to_owned();
        let first = lines
            .iter()
            .position(|line| line.trim() == "const import0 = {");
        let first = first.context("no `const import0 = {` in the glue")?;
        ensure!(
            lines.get(first + 1).map(|line| line.trim()) == Some("__proto__: null,"),
            "the glue's import0 does not start with __proto__"
        );
        for (old, new) in linked {
            lines.insert(first + 2, format!("        \"{new}\": {namespace}.{old},"));
        }
        glue = lines.join("\n");
        glue.push('\n');
    }
    replace_token(
        &glue,
        "",
        &format!("\"{}\"", modules[0]),
        &format!("\"{module}\""),
        1,
    )
}

/// The split's link module, importing the glue `glue` and reading the main module's exports under the names
/// wasm-opt gave them (`renaming`, see [`rename_in_glue`]): `const { memory, … } = initSync(…);` becomes
/// `const { a: memory, … } = …`. The chunks' files get their final names (`chunks`: the splitter's, the final).
fn link_module(
    link: &str,
    renaming: &str,
    glue: &str,
    chunks: &[(String, String)],
) -> Result<String> {
    let mut link = replace_token(
        link,
        "",
        &format!("\"{SPLIT_MAIN}\""),
        &format!("\"./{glue}\""),
        1,
    )?;
    for (old, new) in chunks {
        link = replace_token(
            &link,
            "",
            &format!("\"./{old}\""),
            &format!("\"./{new}\""),
            1,
        )?;
    }
    let exports: Vec<(String, String)> = renaming
        .lines()
        .filter_map(|line| match quoted_strings(line).ok()?.as_slice() {
            [old, new] => Some((old.clone(), new.clone())),
            _ => None,
        })
        .collect();
    let call = "} = initSync(undefined, undefined);";
    let mut out = String::new();
    let mut found = 0;
    for line in link.lines() {
        match line
            .trim()
            .strip_prefix("const {")
            .and_then(|l| l.strip_suffix(call))
        {
            Some(names) => {
                let mut renamed = Vec::new();
                for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    let new = exports.iter().find(|(old, _)| old == name);
                    let (_, new) =
                        new.with_context(|| format!("the main wasm does not export {name}"))?;
                    renamed.push(format!("{new}: {name}"));
                }
                let _ = writeln!(out, "const {{ {} {call}", renamed.join(", "));
                found += 1;
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    ensure!(
        found == 1,
        "{found} `const {{ … {call}` line(s) in the split's link module, expected 1"
    );
    Ok(out)
}

/// The wasm binary without the custom sections `remove` selects by name.
fn remove_custom_sections(wasm: &[u8], remove: impl Fn(&str) -> bool) -> Result<Vec<u8>> {
    let mut module = Module::new();
    for payload in module_payloads(wasm) {
        let payload = payload?;
        if let Payload::CustomSection(custom) = &payload
            && remove(custom.name())
        {
            continue;
        }
        if let Some(section) = raw_section(wasm, &payload)? {
            module.section(&section);
        }
    }
    Ok(module.finish())
}

/// The strings between double quotes in `line` (names: no escapes).
fn quoted_strings(line: &str) -> Result<Vec<String>> {
    ensure!(!line.contains('\\'), "escaped name in {line}");
    Ok(line
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect())
}

/// Replaces `prefix` + `old` wherever it is a whole token (no identifier character around it) by `new`; `count`
/// is the number of occurrences expected (0: any number).
fn replace_token(text: &str, prefix: &str, old: &str, new: &str, count: usize) -> Result<String> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let needle = format!("{prefix}{old}");
    let mut out = String::with_capacity(text.len());
    let (mut rest, mut found) = (text, 0);
    while let Some(at) = rest.find(&needle) {
        let before = rest[..at].chars().next_back().or(out.chars().next_back());
        let after = rest[at + needle.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(ident) || after.is_some_and(ident) {
            out.push_str(&needle);
        } else {
            out.push_str(new);
            found += 1;
        }
        rest = &rest[at + needle.len()..];
    }
    out.push_str(rest);
    ensure!(
        count == 0 || found == count,
        "{needle}: {found} occurrence(s) in the glue, expected {count}"
    );
    Ok(out)
}

/// The module name of the first import of a wasm binary.
fn first_import_module(wasm: &[u8]) -> Result<String> {
    for payload in module_payloads(wasm) {
        if let Payload::ImportSection(imports) = payload? {
            let first = imports.into_imports().next();
            return Ok(first
                .context("the wasm imports nothing")??
                .module
                .to_owned());
        }
    }
    bail!("the wasm has no import section")
}

/// Whether the wasm imports anything from `module`.
fn imports_from(wasm: &[u8], module: &str) -> Result<bool> {
    for payload in module_payloads(wasm) {
        if let Payload::ImportSection(imports) = payload? {
            for import in imports.into_imports() {
                if import?.module == module {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
    }
    Ok(false)
}

/// The loader module of `entry`'s page (a file, not an inline script, for the CSP).
fn loader_source(entry: &Entry, js: &str, wasm: &str) -> String {
    let bin = entry.bin;
    match entry.start {
        Start::AtOnce => format!(
            "// Generated by xtask: starts the {bin} entry point (a file, not an inline script, for the CSP).\n\
             import init from \"/pkg/{js}\";\n\
             init({{ module_or_path: \"/pkg/{wasm}\" }});\n"
        ),
        // The browser reports the first contentful paint once it is on screen. A hidden page paints nothing until
        // shown, a browser without paint timing reports nothing: start at once then; the timer is a last resort.
        Start::AfterFirstPaint => format!(
            "// Generated by xtask: starts the {bin} entry point once the page is painted (xtask, Start).\n\
             import init from \"/pkg/{js}\";\n\
             let started = false;\n\
             const start = () => {{ if (!started) {{ started = true; init({{ module_or_path: \"/pkg/{wasm}\" }}); }} }};\n\
             if (document.visibilityState === \"visible\" && PerformanceObserver.supportedEntryTypes?.includes(\"paint\")) {{\n\
             new PerformanceObserver((list, observer) => {{\n\
             if (list.getEntriesByName(\"first-contentful-paint\").length > 0) {{ observer.disconnect(); start(); }}\n\
             }}).observe({{ type: \"paint\", buffered: true }});\n\
             setTimeout(start, 3000);\n\
             }} else {{\n\
             start();\n\
             }}\n"
        ),
    }
}

/// Writes the page of `entry` from its template, with the bundle's hashed names.
/// The bundle's files as the page templates name them, and the preloads the split adds (see [`write_page`]).
struct Preloads<'a> {
    js: &'a str,
    wasm: &'a str,
    link: Option<&'a str>,
    chunks: &'a [String],
}

fn bundle_preloads(bundle: &Bundle) -> Preloads<'_> {
    Preloads {
        js: &bundle.js,
        wasm: &bundle.wasm,
        link: bundle.link.as_deref(),
        chunks: &bundle.chunks,
    }
}

/// The template's line preloading the glue, and the one preloading the wasm (a page whose app starts at once).
const PRELOAD_JS: &str = "<link rel=\"modulepreload\" href=\"{{js}}\">";
const PRELOAD_WASM: &str =
    "<link rel=\"preload\" href=\"{{wasm}}\" as=\"fetch\" type=\"application/wasm\" crossorigin>";

/// Adds the split's preloads to a page: its link module next to the glue (the glue imports it: without the
/// preload, one more round trip before the app starts), and where the page starts its app at once (it shows a step
/// at once, the embedded form), its chunks next to the wasm (the link module's `fetch` then finds them on the way).
fn add_split_preloads(html: &str, files: &Preloads<'_>) -> Result<String> {
    let Some(link) = files.link else {
        return Ok(html.to_owned());
    };
    ensure!(
        html.contains(PRELOAD_JS),
        "a page of a split bundle must preload its glue with `{PRELOAD_JS}`"
    );
    let mut html = html.replace(
        PRELOAD_JS,
        &format!("{PRELOAD_JS}\n  <link rel=\"modulepreload\" href=\"/pkg/{link}\">"),
    );
    if html.contains(PRELOAD_WASM) {
        let chunks: String = files
            .chunks
            .iter()
            .map(|chunk| {
                format!(
                    "\n  <link rel=\"preload\" href=\"/pkg/{chunk}\" as=\"fetch\" type=\"application/wasm\" \
                     crossorigin>"
                )
            })
            .collect();
        html = html.replace(PRELOAD_WASM, &format!("{PRELOAD_WASM}{chunks}"));
    }
    Ok(html)
}

fn write_page(
    root: &Path,
    dist: &Path,
    entry: &Entry,
    styles: &[(String, String)],
    loader: &str,
    files: &Preloads<'_>,
) -> Result<()> {
    let (js, wasm) = (files.js, files.wasm);
    let template_path = root.join("app").join(entry.template);
    let html = fs::read_to_string(&template_path)
        .with_context(|| format!("reading the template {}", template_path.display()))?;
    ensure!(
        entry.start == Start::AtOnce || !html.contains("{{wasm}}"),
        "{}: a page whose app starts after the first paint must not preload the WASM (it would compete with \
         that paint)",
        template_path.display()
    );
    let mut html =
        add_split_preloads(&html, files).with_context(|| format!("{}", template_path.display()))?;
    for (placeholder, value) in [("{{loader}}", loader), ("{{js}}", js), ("{{wasm}}", wasm)] {
        html = html.replace(placeholder, &format!("/pkg/{value}"));
    }
    for (style, href) in styles {
        html = html.replace(&format!("{{{{style:{style}}}}}"), href);
    }
    ensure!(
        !html.contains("{{"),
        "{} has a placeholder xtask does not know (known: {{{{loader}}}}, {{{{js}}}}, {{{{wasm}}}}, \
         {{{{style:NAME.css}}}} for each file of style/)",
        template_path.display()
    );
    fs::write(dist.join(entry.page), html)?;
    Ok(())
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

fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("starting {command:?}"))?;
    ensure!(status.success(), "{command:?} failed ({status})");
    Ok(())
}

/// Writes `dir/<stem>-<hash>.<ext>` and returns the file name. Same content, same name: browsers cache it for good.
fn write_hashed(dir: &Path, stem: &str, ext: &str, content: &[u8]) -> Result<String> {
    let hash = Sha256::digest(content)
        .iter()
        .take(6)
        .fold(String::new(), |mut hex, byte| {
            _ = write!(hex, "{byte:02x}");
            hex
        });
    let name = format!("{stem}-{hash}.{ext}");
    fs::write(dir.join(&name), content)?;
    Ok(name)
}

fn file_stem(path: &Path) -> Result<&str> {
    path.file_stem()
        .and_then(|stem| stem.to_str())
        .with_context(|| format!("{} has no UTF-8 name", path.display()))
}

fn sorted_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()?;
    files.sort();
    Ok(files)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for path in sorted_files(from)? {
        let target = to.join(path.file_name().context("a file name")?);
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            fs::copy(&path, &target).with_context(|| format!("copying {}", path.display()))?;
        }
    }
    Ok(())
}

/// Raw, gzip and brotli sizes of one file of `dist/`.
struct Sizes {
    path: PathBuf,
    raw: usize,
    gzip: usize,
    brotli: usize,
}

fn compress_all(dir: &Path) -> Result<Vec<Sizes>> {
    let mut sizes = Vec::new();
    for path in sorted_files(dir)? {
        if path.is_dir() {
            sizes.extend(compress_all(&path)?);
            continue;
        }
        if !path
            .extension()
            .is_some_and(|ext| COMPRESSIBLE.iter().any(|c| ext == *c))
        {
            continue;
        }
        let raw = fs::read(&path)?;

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&raw)?;
        let gz = gz.finish()?;

        let mut br = brotli::CompressorWriter::new(Vec::new(), 4096, 11, 22);
        br.write_all(&raw)?;
        let br = br.into_inner();

        fs::write(with_suffix(&path, "gz"), &gz)?;
        fs::write(with_suffix(&path, "br"), &br)?;
        sizes.push(Sizes {
            path,
            raw: raw.len(),
            gzip: gz.len(),
            brotli: br.len(),
        });
    }
    Ok(sizes)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

#[expect(
    clippy::print_stdout,
    reason = "the size table is this command's output"
)]
fn report(
    dist: &Path,
    sizes: &[Sizes],
    pages: &[(&Entry, Vec<String>, Vec<String>)],
) -> Result<()> {
    let kb = |bytes: usize| format!("{:.1} kB", bytes as f64 / 1000.0);
    println!(
        "{:<40} {:>10} {:>10} {:>10}",
        "dist/", "raw", "gzip", "brotli"
    );
    for size in sizes {
        let name = size.path.strip_prefix(dist)?.display().to_string();
        println!(
            "{name:<40} {:>10} {:>10} {:>10}",
            kb(size.raw),
            kb(size.gzip),
            kb(size.brotli)
        );
    }
    let total = |files: &[String]| {
        sizes
            .iter()
            .filter(|size| files.iter().any(|file| size.path == dist.join(file)))
            .fold((0, 0, 0), |(r, g, b), s| {
                (r + s.raw, g + s.gzip, b + s.brotli)
            })
    };
    // What a visitor of each entry point downloads first: its page, its loader, the JS glue (and the split's link
    // module it imports), the wasm and the styles. Then, apart, the chunks the app fetches after it started.
    for (entry, files, chunks) in pages {
        let (raw, gzip, brotli) = total(files);
        println!(
            "{:<40} {:>10} {:>10} {:>10}",
            format!("total {} (/{})", entry.bin, entry.page),
            kb(raw),
            kb(gzip),
            kb(brotli)
        );
        if !chunks.is_empty() {
            let (raw, gzip, brotli) = total(chunks);
            println!(
                "{:<40} {:>10} {:>10} {:>10}",
                format!("lazy {} ({} chunk(s))", entry.bin, chunks.len()),
                kb(raw),
                kb(gzip),
                kb(brotli)
            );
        }
    }
    Ok(())
}

/// Where a style sheet's braces do not balance (comments and strings skipped), if anywhere.
fn unbalanced_css(css: &str) -> Option<String> {
    let (mut depth, mut line) = (0_i64, 1_usize);
    let mut chars = css.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                    }
                    if previous == '*' && c == '/' {
                        break;
                    }
                    previous = c;
                }
            }
            '"' | '\'' => {
                for inner in chars.by_ref() {
                    if inner == c {
                        break;
                    }
                }
            }
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth < 0 {
                    return Some(format!("line {line}: '}}' closes nothing"));
                }
            }
            _ => {}
        }
    }
    (depth != 0).then(|| format!("{depth} block(s) left open at the end"))
}

/// wasm-bindgen's JS glue without its comments (JSDoc blocks, `//` lines), indentation and blank lines: a sixth of
/// the file and ~0.8 kB brotli for each bundle, with no minifier to install. Line-based, so it gives the glue back
/// untouched if a line opens a multi-line template literal or a comment shares a line with code (`/*` not at the
/// start of a line), where dropping text could change what the script does.
fn strip_glue(js: &str) -> String {
    let risky = |line: &str| {
        let line = line.trim();
        line.matches('`').count() % 2 == 1 || (line.contains("/*") && !line.starts_with("/*"))
    };
    if js.lines().any(risky) {
        return js.to_owned();
    }
    let mut out = String::with_capacity(js.len());
    let mut in_comment = false;
    for line in js.lines().map(str::trim) {
        if in_comment {
            in_comment = !line.ends_with("*/");
            continue;
        }
        if line.starts_with("/*") {
            in_comment = line == "/*" || !line.ends_with("*/");
            continue;
        }
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod glue_tests {
    use super::strip_glue;

    #[test]
    fn the_glue_loses_comments_and_indentation_only() {
        let glue = "export class A {\n    /**\n     * @returns {number}\n     */\n    get x() {\n        // why\n\n        \
                    return `${1}`; // kept\n    }\n}\n/** one line */\nconst s = '// not a comment';\n";
        assert_eq!(
            strip_glue(glue),
            "export class A {\nget x() {\nreturn `${1}`; // kept\n}\n}\nconst s = '// not a comment';\n"
        );
        for untouched in ["const t = `a\n  b`;\n", "f(); /* c */ g();\n"] {
            assert_eq!(strip_glue(untouched), untouched);
        }
    }
}

#[cfg(test)]
mod renaming_tests {
    use super::{first_import_module, rename_in_glue};

    #[test]
    fn the_glue_follows_the_renamed_imports_and_exports() {
        let glue = "const import0 = {\n__wbg_call_a1: function(arg0) { return wasm.__wbindgen_malloc(arg0); },\n\
                    __wbg_call_a10: function() { wasm.memory.buffer; },\n};\n\
                    return { \"./app_bg.js\": import0 };\nwasm.__wbindgen_start(); wasm.memory_x;\n";
        let renaming = "{\n \"imports\": [\n  [\"./app_bg.js\", \"__wbg_call_a1\", \"a\"],\n  \
                        [\"./app_bg.js\", \"__wbg_call_a10\", \"b\"]\n ],\n\"exports\": [\n  \
                        [\"__wbindgen_malloc\", \"A\"],\n  [\"memory\", \"$b\"],\n  [\"__wbindgen_start\", \"B\"]\n]\n}\n";
        assert_eq!(
            rename_in_glue(glue, renaming, "a").unwrap_or_default(),
            "const import0 = {\n\"a\": function(arg0) { return wasm.A(arg0); },\n\
             \"b\": function() { wasm.$b.buffer; },\n};\n\
             return { \"a\": import0 };\nwasm.B(); wasm.memory_x;\n"
        );
        // An import the glue does not have: refused.
        assert!(rename_in_glue(glue, "[\"./app_bg.js\", \"__wbg_gone\", \"c\"]", "a").is_err());
    }

    #[test]
    fn the_module_of_the_first_import_is_read_from_the_binary() {
        // Magic, version, a type section (skipped), then the import section: "m" "f" (func 0).
        let wasm = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\x02\x07\x01\x01m\x01f\0\0";
        assert_eq!(first_import_module(wasm).ok().as_deref(), Some("m"));
        assert!(first_import_module(b"\0asm\x01\0\0\0").is_err());
    }
}

#[cfg(test)]
mod css_tests {
    use super::unbalanced_css;

    #[test]
    fn balanced_sheets_pass_and_unclosed_blocks_are_named() {
        assert_eq!(
            unbalanced_css("a { b: c; }\n/* { */ d { content: \"}\"; }"),
            None
        );
        assert_eq!(
            unbalanced_css("a {\n  b: c;\n\nd { e: f; }"),
            Some("1 block(s) left open at the end".to_owned())
        );
        assert_eq!(
            unbalanced_css("a { }\n}"),
            Some("line 2: '}' closes nothing".to_owned())
        );
    }
}

#[cfg(test)]
mod unused_class_tests {
    use super::{
        is_export_of_class, remove_classes_from_glue, remove_dead_imports, remove_exports,
    };

    #[test]
    fn the_class_exports_are_recognised_and_removed() {
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
        // Magic, version, a custom section "c" (copied as is), an export section: "ab_f" (func 0), "m" (memory 0).
        let wasm = b"\0asm\x01\0\0\0\0\x02\x01c\x07\x0c\x02\x04ab_f\0\0\x01m\x02\0";
        let (out, removed) =
            remove_exports(wasm, |name| name.starts_with("ab_")).unwrap_or_default();
        assert_eq!(removed, ["ab_f"]);
        assert_eq!(out, b"\0asm\x01\0\0\0\0\x02\x01c\x07\x05\x01\x01m\x02\0");
        assert!(remove_exports(b"\0asm\x01\0\0\0\x07\x05\x01\x04ab", |_| true).is_err());
    }

    #[test]
    fn the_glue_loses_the_classes_their_registries_and_their_enums() {
        let glue = "export class Sink {\n    free() {\n        wasm.__wbg_sink_free(this.__wbg_ptr, 0);\n    }\n}\n\
                    if (Symbol.dispose) Sink.prototype[Symbol.dispose] = Sink.prototype.free;\n\n\
                    function __wbg_get_imports() {}\n\
                    const __wbindgen_enum_Kind = [\"bytes\"];\nconst __wbindgen_enum_Kept = [\"a\"];\n\
                    const SinkFinalization = (typeof FinalizationRegistry === 'undefined')\n    ? {}\n    \
                    : new FinalizationRegistry(ptr => wasm.__wbg_sink_free(ptr, 1));\nf(__wbindgen_enum_Kept);\n";
        assert_eq!(
            remove_classes_from_glue(glue, &["Sink"]).unwrap_or_default(),
            "\nfunction __wbg_get_imports() {}\nconst __wbindgen_enum_Kept = [\"a\"];\nf(__wbindgen_enum_Kept);\n"
        );
        // A class the glue does not have, or one still named elsewhere: refused.
        assert!(remove_classes_from_glue(glue, &["Source"]).is_err());
        let named = format!("{glue}new Sink();\n");
        assert!(remove_classes_from_glue(&named, &["Sink"]).is_err());
    }

    #[test]
    fn the_imports_the_wasm_lost_leave_the_glue_with_their_helpers() {
        let glue = "    const import0 = {\n        __proto__: null,\n        __wbg_kept_1: function(arg0) {\n            \
                    return helper(arg0);\n        },\n        __wbg_gone_2: function(arg0) {\n            \
                    return invoke_gone(arg0);\n        },\n    };\nfunction helper(a) {\n    return a;\n}\n\
                    function invoke_gone(a) {\n    wasm.invoke_gone(a);\n}\n";
        let renaming = "{\n \"imports\": [\n  [\"./app_bg.js\", \"__wbg_kept_1\", \"a\"]\n ],\n\"exports\": [\n]\n}\n";
        assert_eq!(
            remove_dead_imports(glue, renaming).unwrap_or_default(),
            "    const import0 = {\n        __proto__: null,\n        __wbg_kept_1: function(arg0) {\n            \
             return helper(arg0);\n        },\n    };\nfunction helper(a) {\n    return a;\n}\n"
        );
    }
}

#[cfg(test)]
mod split_tests {
    use super::{
        PRELOAD_JS, PRELOAD_WASM, Preloads, SPLIT_PLACEHOLDER, add_split_preloads,
        has_split_points, link_module, remove_custom_sections, rename_in_glue,
    };
    use wasm_encoder::{CustomSection, EntityType, ImportSection, Module, TypeSection};

    #[test]
    fn the_link_module_imports_the_glue_and_reads_the_renamed_exports() {
        let link = "import { initSync } from \"./__wasm_split_main.js\";\n\
                    const { __indirect_function_table, memory,  } = initSync(undefined, undefined);\n\
                    const src = fetch(new URL(\"./split_steps_1.wasm\", import.meta.url));\n";
        let renaming = "{\n\"exports\": [\n  [\"memory\", \"$b\"],\n  [\"__indirect_function_table\", \"c\"]\n]\n}\n";
        let chunks = [(
            "split_steps_1.wasm".to_owned(),
            "app-steps-0a1b.wasm".to_owned(),
        )];
        assert_eq!(
            link_module(link, renaming, "app-9f.js", &chunks).unwrap_or_default(),
            "import { initSync } from \"./app-9f.js\";\n\
             const { c: __indirect_function_table, $b: memory } = initSync(undefined, undefined);\n\
             const src = fetch(new URL(\"./app-steps-0a1b.wasm\", import.meta.url));\n"
        );
        // An export the main wasm does not have, or a chunk the link module does not name: refused.
        assert!(link_module(link, "[\"memory\", \"a\"]", "app-9f.js", &chunks).is_err());
        let other = [("split_other_2.wasm".to_owned(), "x.wasm".to_owned())];
        assert!(link_module(link, renaming, "app-9f.js", &other).is_err());
    }

    #[test]
    fn the_chunks_loaders_join_the_imports_object() {
        let glue = "import * as import1 from \"./__wasm_split.js\"\nfunction __wbg_get_imports() {\n    \
                    const import0 = {\n        __proto__: null,\n        __wbg_f_1: function() {},\n    };\n    \
                    return {\n        __proto__: null,\n        \"./app_bg.js\": import0,\n        \
                    \"./__wasm_split.js\": import1,\n    };\n}\n";
        let renaming = "[\"./app_bg.js\", \"__wbg_f_1\", \"a\"],\n[\"./__wasm_split.js\", \"__wasm_split_load_s\", \"b\"]\n";
        assert_eq!(
            rename_in_glue(glue, renaming, "m").unwrap_or_default(),
            "import * as import1 from \"./__wasm_split.js\"\nfunction __wbg_get_imports() {\n    \
             const import0 = {\n        __proto__: null,\n        \"b\": import1.__wasm_split_load_s,\n        \
             \"a\": function() {},\n    };\n    return {\n        __proto__: null,\n        \"m\": import0,\n    };\n}\n"
        );
    }

    #[test]
    fn a_split_page_preloads_its_link_module_and_at_once_its_chunks() {
        let chunks = ["a-steps-1.wasm".to_owned()];
        let files = Preloads {
            js: "a.js",
            wasm: "a.wasm",
            link: Some("a-split-2.js"),
            chunks: &chunks,
        };
        let at_once = format!("  {PRELOAD_JS}\n  {PRELOAD_WASM}\n");
        assert_eq!(
            add_split_preloads(&at_once, &files).unwrap_or_default(),
            format!(
                "  {PRELOAD_JS}\n  <link rel=\"modulepreload\" href=\"/pkg/a-split-2.js\">\n  {PRELOAD_WASM}\n  \
                 <link rel=\"preload\" href=\"/pkg/a-steps-1.wasm\" as=\"fetch\" type=\"application/wasm\" crossorigin>\n"
            )
        );
        let after_paint = format!("  {PRELOAD_JS}\n");
        assert_eq!(
            add_split_preloads(&after_paint, &files).unwrap_or_default(),
            format!("  {PRELOAD_JS}\n  <link rel=\"modulepreload\" href=\"/pkg/a-split-2.js\">\n")
        );
        assert!(add_split_preloads("<p></p>", &files).is_err());
        let unsplit = Preloads {
            link: None,
            ..files
        };
        assert_eq!(
            add_split_preloads("<p></p>", &unsplit).unwrap_or_default(),
            "<p></p>"
        );
    }

    #[test]
    fn custom_sections_are_dropped_by_name_and_split_points_found() {
        // A type section (kept), custom sections "linking" (dropped) and "x" (kept).
        let wasm = b"\0asm\x01\0\0\0\x01\x01\0\0\x08\x07linking\0\x02\x01x";
        assert_eq!(
            remove_custom_sections(wasm, |name| name == "linking").unwrap_or_default(),
            b"\0asm\x01\0\0\0\x01\x01\0\0\x02\x01x"
        );
        // A `#[lazy]` function's loader is imported from the placeholder module; the name elsewhere is no split.
        let mut types = TypeSection::new();
        types.ty().function([], []);
        let mut imports = ImportSection::new();
        imports.import(
            SPLIT_PLACEHOLDER,
            "__wasm_split_load_steps",
            EntityType::Function(0),
        );
        let mut split = Module::new();
        split.section(&types).section(&imports);
        assert_eq!(has_split_points(&split.finish()).ok(), Some(true));
        let mut mention = Module::new();
        mention.section(&CustomSection {
            name: "x".into(),
            data: SPLIT_PLACEHOLDER.as_bytes().into(),
        });
        assert_eq!(has_split_points(&mention.finish()).ok(), Some(false));
        assert!(has_split_points(b"\0asm\x01\0\0\0\x02\x05\x01\x1a__").is_err());
    }
}
