//! API integration tests: the real server on port 0, a fresh database per test (SQLite by default, PostgreSQL when
//! `ENROLE_TEST_DATABASE_URL` names a server).

#![expect(clippy::unwrap_used, reason = "tests read known-good values")]

mod attacks;
mod binary;
mod cli;
mod crash;
mod directory;
mod ecps;
mod embed;
mod errors;
mod establishments;
mod gestion_auth;
mod gestion_mail;
mod gestion_queue;
mod health;
mod helpers;
mod hostile;
mod intake;
mod mail;
mod multi_instance;
mod nomenclatures;
mod openapi;
mod places;
mod preregistrations;
mod security;
mod spa;
mod structures;
