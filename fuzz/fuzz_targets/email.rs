//! Emails: parsing never panics, is idempotent, and what it accepts has one `@` and no whitespace.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::contact::Email;

fuzz_target!(|input: &str| {
    if let Ok(email) = Email::parse(input) {
        assert_eq!(Email::parse(email.as_str()).as_ref(), Ok(&email));
        assert_eq!(email.as_str().matches('@').count(), 1);
        assert!(!email.as_str().chars().any(char::is_whitespace));
        assert!(email.as_str().len() <= 254);
    }
});
