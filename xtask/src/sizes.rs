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
    println!("{}", line("dist/", ["raw", "gzip", "brotli", "brotli KiB"]));
    for size in sizes {
        let name = size.path.strip_prefix(dist)?.display().to_string();
        println!("{}", row(&name, size.raw, size.gzip, size.brotli));
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
        let label = format!("total {} (/{})", entry.bin, entry.page);
        println!("{}", row(&label, raw, gzip, brotli));
        if !lazy.is_empty() {
            let (raw, gzip, brotli) = total(lazy);
            let label = format!("lazy {} ({} chunk(s))", entry.bin, lazy.len());
            println!("{}", row(&label, raw, gzip, brotli));
        }
    }
    Ok(())
}

/// A line of the table: raw, gzip and brotli sizes in kB, then brotli again in KiB, the unit of page budgets.
fn row(label: &str, raw: usize, gzip: usize, brotli: usize) -> String {
    line(label, [&kb(raw), &kb(gzip), &kb(brotli), &kib(brotli)])
}

fn line(label: &str, [raw, gzip, brotli, brotli_kib]: [&str; 4]) -> String {
    format!("{label:<40} {raw:>10} {gzip:>10} {brotli:>10} {brotli_kib:>10}")
}

/// 1 kB = 1000 bytes.
fn kb(bytes: usize) -> String {
    format!("{:.1} kB", bytes as f64 / 1000.0)
}

/// 1 KiB = 1024 bytes.
fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::row;

    #[test]
    fn brotli_is_given_in_kb_and_in_kib() {
        assert_eq!(
            row("pkg/a.wasm", 2000, 1500, 10_240),
            format!(
                "{:<40}     2.0 kB     1.5 kB    10.2 kB   10.0 KiB",
                "pkg/a.wasm"
            )
        );
    }
}
