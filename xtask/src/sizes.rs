//! Step 5: the size table, this command's output: every file of `dist/`, then each page's first load and its lazy
//! chunks.

use std::path::Path;

use anyhow::Result;

use crate::compress::Sizes;
use crate::entry::Entry;

/// The files of a page, relative to `dist/`: what its visitor downloads first, and the chunks its app fetches once
/// started.
pub struct PageFiles<'a> {
    pub entry: &'a Entry,
    pub first_load: Vec<String>,
    pub lazy: Vec<String>,
}

#[expect(
    clippy::print_stdout,
    reason = "the size table is this command's output"
)]
pub fn report(dist: &Path, sizes: &[Sizes], pages: &[PageFiles<'_>]) -> Result<()> {
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
    for PageFiles {
        entry,
        first_load,
        lazy,
    } in pages
    {
        let (raw, gzip, brotli) = total(first_load);
        println!(
            "{:<40} {:>10} {:>10} {:>10}",
            format!("total {} (/{})", entry.bin, entry.page),
            kb(raw),
            kb(gzip),
            kb(brotli)
        );
        if !lazy.is_empty() {
            let (raw, gzip, brotli) = total(lazy);
            println!(
                "{:<40} {:>10} {:>10} {:>10}",
                format!("lazy {} ({} chunk(s))", entry.bin, lazy.len()),
                kb(raw),
                kb(gzip),
                kb(brotli)
            );
        }
    }
    Ok(())
}
