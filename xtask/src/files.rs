//! Files of `dist/`: content-hashed names, directory listing and copy.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// Writes `dir/<stem>-<hash>.<ext>` and returns the file name. Same content, same name: browsers cache it for good.
pub fn write_hashed(dir: &Path, stem: &str, ext: &str, content: &[u8]) -> Result<String> {
    let name = format!("{stem}-{}.{ext}", short_hash(content));
    fs::write(dir.join(&name), content)?;
    Ok(name)
}

/// The first 6 bytes of the SHA-256 of `content`, in hexadecimal: the hash in a file's name.
pub fn short_hash(content: &[u8]) -> String {
    Sha256::digest(content)
        .iter()
        .take(6)
        .fold(String::new(), |mut hex, byte| {
            _ = write!(hex, "{byte:02x}");
            hex
        })
}

pub fn file_stem(path: &Path) -> Result<&str> {
    path.file_stem()
        .and_then(|stem| stem.to_str())
        .with_context(|| format!("{} has no UTF-8 name", path.display()))
}

pub fn sorted_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()?;
    files.sort();
    Ok(files)
}

pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
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
