//! Names: parsing never panics, and a parsed name parses again to itself (normalisation is idempotent).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::names::{PersonName, Prenoms};

fuzz_target!(|input: &str| {
    if let Ok(name) = PersonName::parse(input) {
        assert_eq!(PersonName::parse(name.as_str()).as_ref(), Ok(&name));
        assert!(!name.as_str().is_empty());
    }
    if let Ok(prenoms) = Prenoms::parse_joined(input) {
        let again: Vec<&str> = prenoms.as_slice().iter().map(PersonName::as_str).collect();
        assert_eq!(Prenoms::parse_list(&again).as_ref(), Ok(&prenoms));
    }
});
