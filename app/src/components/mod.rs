//! Pieces of the interface shared by the pages of both entry points.

mod shell;

pub use shell::Shell;
