//! The style sheets of `style/`: checked, then written under hashed names.

use std::fs;
use std::path::Path;

use anyhow::{Result, bail};

use crate::files::{file_stem, sorted_files, write_hashed};

/// Writes each `.css` file of `style_dir` into `pkg` under a hashed name; returns, for each, its name in `style/`
/// and its URL.
pub fn write_styles(style_dir: &Path, pkg: &Path) -> Result<Vec<(String, String)>> {
    let mut styles = Vec::new();
    for file in sorted_files(style_dir)? {
        if file.extension().is_some_and(|ext| ext == "css") {
            let stem = file_stem(&file)?;
            let css = fs::read(&file)?;
            // Browsers silently drop every rule after an unclosed block: refuse to ship such a file.
            if let Some(problem) = unbalanced_css(&String::from_utf8_lossy(&css)) {
                bail!("{}: {problem}", file.display());
            }
            let name = write_hashed(pkg, stem, "css", &css)?;
            styles.push((format!("{stem}.css"), format!("/pkg/{name}")));
        }
    }
    Ok(styles)
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

#[cfg(test)]
mod tests {
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
