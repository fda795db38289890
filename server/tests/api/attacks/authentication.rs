//! Attacks on authentication: guessing, lock-outs, second factor, sessions.
