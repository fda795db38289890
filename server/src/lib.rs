//! Enrôle's server: JSON API, static SPA, storage on SQLite or PostgreSQL.
//!
//! `main.rs` is a thin command-line shim over this library; integration tests drive the same library through
//! [`Application`].

pub mod api;
pub mod auth;
pub mod client_ip;
pub mod config;
pub mod directory;
pub mod documents;
pub mod ecps;
pub mod embed;
pub mod error;
pub mod establishments;
pub mod gestion;
pub mod gestionnaires;
pub mod health;
pub mod layers;
pub mod mail;
pub mod notice;
pub mod places;
pub mod preregistrations;
pub mod rate_limit;
pub mod reference;
pub mod spa;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod tokens;

pub use config::Config;
pub use error::ApiError;
pub use startup::{AppState, Application, router};
pub use storage::Storage;
