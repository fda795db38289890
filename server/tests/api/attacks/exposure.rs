//! Attacks on limits and data exposure: floods, tokens in URLs, secrets at rest, logs.
