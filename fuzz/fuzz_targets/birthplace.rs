//! Birthplace codes and names: parsing never panics and is idempotent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::birthplace::{CommuneCode, CountryCode, Departement, TownName};

fuzz_target!(|input: &str| {
    if let Ok(code) = CommuneCode::parse(input) {
        assert_eq!(CommuneCode::parse(code.as_str()).as_ref(), Ok(&code));
        assert_eq!(code.as_str().len(), 5);
    }
    if let Ok(code) = CountryCode::parse(input) {
        assert_eq!(CountryCode::parse(code.as_str()).as_ref(), Ok(&code));
        assert!(code.as_str().starts_with("99"));
    }
    if let Ok(town) = TownName::parse(input) {
        assert_eq!(TownName::parse(town.as_str()).as_ref(), Ok(&town));
    }
    if let Ok(departement) = Departement::parse(input) {
        assert_eq!(Departement::parse(departement.as_str()).as_ref(), Ok(&departement));
    }
});
