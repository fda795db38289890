//! Mobile numbers: parsing never panics; the E.164 form and the national display parse back to the same number.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::contact::MobilePhone;

fuzz_target!(|input: &str| {
    if let Ok(phone) = MobilePhone::parse(input) {
        assert!(phone.as_e164().starts_with('+'));
        assert_eq!(MobilePhone::parse(phone.as_e164()).as_ref(), Ok(&phone));
        assert_eq!(MobilePhone::parse(&phone.display_national()).as_ref(), Ok(&phone));
    }
});
