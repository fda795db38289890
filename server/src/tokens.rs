//! Random tokens, their stored hashes, and request references.

use sha2::{Digest, Sha256};

/// Alphabet of references: no 0/O, 1/I/L, so that a reference read aloud or copied by hand stays right.
pub const REFERENCE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The operating system's generator does not fail on supported platforms; if it ever did, stop rather than
    // hand out a predictable token.
    getrandom::fill(&mut bytes).unwrap_or_else(|err| panic!("no system randomness: {err}"));
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A private token: 256 random bits as 64 lowercase hexadecimal characters.
pub fn new_token() -> String {
    hex(&random_bytes::<32>())
}

/// True for something shaped like [`new_token`]'s output.
pub fn is_token(candidate: &str) -> bool {
    candidate.len() == 64
        && candidate
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What is stored of a token (or of a request body): its SHA-256, hexadecimal.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// A request reference, `ENR-XXXX-XXXX` (31⁸ ≈ 8.5 × 10¹¹ values).
pub fn new_reference() -> String {
    let mut chars = Vec::with_capacity(8);
    while chars.len() < 8 {
        for byte in random_bytes::<16>() {
            // Rejection sampling: 248 = 8 × 31, so every character is equally likely.
            if byte < 248 && chars.len() < 8 {
                chars.push(char::from(REFERENCE_ALPHABET[usize::from(byte) % 31]));
            }
        }
    }
    let chars: String = chars.into_iter().collect();
    format!("ENR-{}-{}", &chars[..4], &chars[4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_recognised() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(is_token(&a) && is_token(&b));
        assert!(!is_token("abc") && !is_token(&a.to_uppercase()));
        assert_eq!(sha256_hex(b"abc").len(), 64);
    }

    #[test]
    fn references_use_the_unambiguous_alphabet() {
        for _ in 0..200 {
            let reference = new_reference();
            assert_eq!(reference.len(), 13);
            assert!(reference.starts_with("ENR-") && reference.as_bytes()[8] == b'-');
            assert!(
                reference[4..]
                    .bytes()
                    .filter(|b| *b != b'-')
                    .all(|b| REFERENCE_ALPHABET.contains(&b))
            );
        }
    }
}
