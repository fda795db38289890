//! FINESS, SIREN, SIRET, RPPS: parsing never panics and is idempotent; key checks never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::ids::{Finess, Rpps, Siren, Siret};

fuzz_target!(|input: &str| {
    if let Ok(finess) = Finess::parse(input) {
        assert_eq!(Finess::parse(finess.as_str()).as_ref(), Ok(&finess));
        let _ = finess.has_valid_key();
    }
    if let Ok(siren) = Siren::parse(input) {
        assert_eq!(Siren::parse(siren.as_str()).as_ref(), Ok(&siren));
    }
    if let Ok(siret) = Siret::parse(input) {
        assert_eq!(Siret::parse(siret.as_str()).as_ref(), Ok(&siret));
        assert!(siret.as_str().starts_with(siret.siren().as_str()));
    }
    if let Ok(rpps) = Rpps::parse(input) {
        assert_eq!(Rpps::parse(rpps.as_str()).as_ref(), Ok(&rpps));
        let _ = rpps.has_valid_key();
    }
});
