//! The split of an entry point with `#[lazy]` functions (Leptos code splitting, `wasm_split_cli_support`): the
//! main module goes on to wasm-bindgen, each chunk is optimised on its own, and the split's link module is
//! rewritten to import the final glue and fetch the chunks under their final names.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};

use crate::bundle::WASM_OPT_FEATURES;
use crate::files::{file_stem, short_hash, write_hashed};
use crate::glue::{quoted_strings, replace_token, strip_glue};
use crate::run;
use crate::wasm::{imports_from, remove_custom_sections};

/// The module a `#[lazy]` function's loader is imported from until the split links it.
const SPLIT_PLACEHOLDER: &str = "__wasm_split_placeholder__";
/// The module the main wasm imports the chunks' loaders from after the split, renamed in the glue by xtask.
pub const SPLIT_LINK: &str = "./__wasm_split.js";
/// The module the split's link module imports the glue's `initSync` from, renamed by xtask.
const SPLIT_MAIN: &str = "./__wasm_split_main.js";

/// Whether the wasm calls a `#[lazy]` function (its loader is imported from [`SPLIT_PLACEHOLDER`]).
pub fn has_split_points(wasm: &[u8]) -> Result<bool> {
    imports_from(wasm, SPLIT_PLACEHOLDER)
}

/// Splits the wasm at its `#[lazy]` functions (`wasm_split_cli_support`, as cargo-leptos does): writes the main
/// module (returned, for wasm-bindgen), the chunks (returned) and the link module into `dir`.
pub fn split_wasm(raw: &[u8], dir: &Path, bin: &str) -> Result<(PathBuf, Vec<PathBuf>)> {
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

/// Optimises each chunk written by [`split_wasm`] and writes it into `pkg` under a hashed name; returns the pairs
/// (the splitter's file name, the final one).
pub fn optimise_chunks(
    chunks: &[PathBuf],
    wasm_opt: &Path,
    pkg: &Path,
    bin: &str,
) -> Result<Vec<(String, String)>> {
    // The chunks, optimised on their own (their imports keep their names: the link module provides them).
    let mut renamed_chunks = Vec::new();
    for chunk in chunks {
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
    Ok(renamed_chunks)
}

/// Writes into `pkg` the glue of a split bundle and the split's link module (from `split_dir`, see
/// [`link_module`]); returns their names.
pub fn write_glue_and_link(
    glue: &str,
    renaming: &str,
    split_dir: &Path,
    chunks: &[(String, String)],
    pkg: &Path,
    bin: &str,
) -> Result<(String, String)> {
    // The glue imports the link module, which imports the glue: the link module is named after both before either
    // names the other, so that any change to either gives it a new name (both are cached for good).
    let link = fs::read_to_string(split_dir.join(SPLIT_LINK.trim_start_matches("./")))?;
    let key = short_hash(format!("{glue}\0{link}\0{chunks:?}").as_bytes());
    let link_name = format!("{bin}-split-{key}.js");
    let glue = replace_token(
        glue,
        "",
        &format!("\"{SPLIT_LINK}\""),
        &format!("\"./{link_name}\""),
        1,
    )
    .with_context(|| format!("naming the split's link module in the glue of {bin}"))?;
    let js = write_hashed(pkg, bin, "js", strip_glue(&glue).as_bytes())?;
    let link = link_module(&link, renaming, &js, chunks)
        .with_context(|| format!("the split's link module of {bin}"))?;
    fs::write(pkg.join(&link_name), strip_glue(&link))?;
    Ok((js, link_name))
}

/// The split's link module, importing the glue `glue` and reading the main module's exports under the names
/// wasm-opt gave them (`renaming`, see [`crate::glue::rename_in_glue`]): `const { memory, … } = initSync(…);`
/// becomes `const { a: memory, … } = …`. The chunks' files get their final names (`chunks`: the splitter's, the
/// final).
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

#[cfg(test)]
mod tests {
    use super::{SPLIT_PLACEHOLDER, has_split_points, link_module};
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
    fn split_points_are_imports_from_the_placeholder_module() {
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
