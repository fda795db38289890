//! Reading and rewriting wasm binaries (wasmparser, wasm-encoder): the sections are copied as is but the ones
//! rewritten or dropped.

use anyhow::{Context, Result, bail, ensure};
use wasm_encoder::{ExportSection, Module, RawSection};
use wasmparser::{Encoding, Parser, Payload};

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
pub fn remove_exports(
    wasm: &[u8],
    remove: impl Fn(&str) -> bool,
) -> Result<(Vec<u8>, Vec<String>)> {
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

/// The wasm binary without the custom sections `remove` selects by name.
pub fn remove_custom_sections(wasm: &[u8], remove: impl Fn(&str) -> bool) -> Result<Vec<u8>> {
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

/// The module name of the first import of a wasm binary.
pub fn first_import_module(wasm: &[u8]) -> Result<String> {
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
pub fn imports_from(wasm: &[u8], module: &str) -> Result<bool> {
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

#[cfg(test)]
mod tests {
    use super::{first_import_module, remove_custom_sections, remove_exports};

    #[test]
    fn the_module_of_the_first_import_is_read_from_the_binary() {
        // Magic, version, a type section (skipped), then the import section: "m" "f" (func 0).
        let wasm = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\x02\x07\x01\x01m\x01f\0\0";
        assert_eq!(first_import_module(wasm).ok().as_deref(), Some("m"));
        assert!(first_import_module(b"\0asm\x01\0\0\0").is_err());
    }

    #[test]
    fn exports_are_removed_by_name_and_the_other_sections_kept() {
        // Magic, version, a custom section "c" (copied as is), an export section: "ab_f" (func 0), "m" (memory 0).
        let wasm = b"\0asm\x01\0\0\0\0\x02\x01c\x07\x0c\x02\x04ab_f\0\0\x01m\x02\0";
        let (out, removed) =
            remove_exports(wasm, |name| name.starts_with("ab_")).unwrap_or_default();
        assert_eq!(removed, ["ab_f"]);
        assert_eq!(out, b"\0asm\x01\0\0\0\0\x02\x01c\x07\x05\x01\x01m\x02\0");
        assert!(remove_exports(b"\0asm\x01\0\0\0\x07\x05\x01\x04ab", |_| true).is_err());
    }

    #[test]
    fn custom_sections_are_dropped_by_name() {
        // A type section (kept), custom sections "linking" (dropped) and "x" (kept).
        let wasm = b"\0asm\x01\0\0\0\x01\x01\0\0\x08\x07linking\0\x02\x01x";
        assert_eq!(
            remove_custom_sections(wasm, |name| name == "linking").unwrap_or_default(),
            b"\0asm\x01\0\0\0\x01\x01\0\0\x02\x01x"
        );
    }
}
