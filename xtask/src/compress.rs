//! Step 5: the brotli and gzip copies the server sends as they are, and the sizes of every file.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::files::sorted_files;

/// Files worth precompressing (the server picks `.br`/`.gz` by `Accept-Encoding`).
const COMPRESSIBLE: [&str; 6] = ["html", "js", "wasm", "css", "svg", "txt"];

/// Raw, gzip and brotli sizes of one file of `dist/`.
pub struct Sizes {
    pub path: PathBuf,
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

/// Writes a `.br` and a `.gz` copy of every compressible file under `dir`; returns the sizes of each, in order.
pub fn compress_all(dir: &Path) -> Result<Vec<Sizes>> {
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
