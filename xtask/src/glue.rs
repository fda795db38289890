//! wasm-bindgen's JS glue, edited as text: the unused classes and the imports wasm-opt dropped removed, wasm-opt's
//! short names followed, comments and indentation stripped. Each edit fails rather than guess when the glue is
//! not as expected.

use anyhow::{Context, Result, bail, ensure};

use crate::split::SPLIT_LINK;

/// wasm-bindgen's glue without `classes`: each class (from `export class C {` to the line adding its
/// `Symbol.dispose`), its `CFinalization` registry, and the enums only they used. Fails if one is not found whole
/// or is still named afterwards.
pub fn remove_classes_from_glue(glue: &str, classes: &[&str]) -> Result<String> {
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
pub fn remove_dead_imports(glue: &str, renaming: &str) -> Result<String> {
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
pub fn rename_in_glue(glue: &str, renaming: &str, module: &str) -> Result<String> {
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

/// The strings between double quotes in `line` (names: no escapes).
pub fn quoted_strings(line: &str) -> Result<Vec<String>> {
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
pub fn replace_token(
    text: &str,
    prefix: &str,
    old: &str,
    new: &str,
    count: usize,
) -> Result<String> {
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

/// wasm-bindgen's JS glue without its comments (JSDoc blocks, `//` lines), indentation and blank lines: smaller
/// files with no minifier to install (see ARCHITECTURE.md). Line-based, so it gives the glue back untouched if a
/// line opens a multi-line template literal or a comment shares a line with code (`/*` not at the start of a line),
/// where dropping text could change what the script does.
pub fn strip_glue(js: &str) -> String {
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
mod tests {
    use super::{remove_classes_from_glue, remove_dead_imports, rename_in_glue, strip_glue};

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
