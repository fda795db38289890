//! Attacks on the edges of the service, each written as the test that performs it (issue "Trust at the edges"):
//! reaching past one's establishment, guessing and locking out, reading what one should not. Every test here
//! runs on SQLite and on PostgreSQL like the rest of the suite.

mod access;
mod authentication;
mod exposure;
