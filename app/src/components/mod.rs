//! Pieces of the interface shared by the pages of both entry points.

mod embed_shell;
mod shell;

pub use embed_shell::EmbedShell;
pub use shell::{PageShell, Shell};
