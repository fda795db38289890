//! The whole pre-registration JSON, as the API receives it: decoding and validation never panic, and every
//! error is keyed by a field of the form with a French message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::api::PreRegistrationInput;
use shared::date::CalendarDate;
use shared::preregistration::PreRegistration;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<PreRegistrationInput>(data) else {
        return;
    };
    let Ok(today) = CalendarDate::from_ymd(2026, 11, 26) else {
        return;
    };
    if let Err(errors) = PreRegistration::try_from_input(input, today) {
        assert!(!errors.is_empty());
        for (field, messages) in errors.iter() {
            assert!(!field.is_empty());
            assert!(messages.iter().all(|message| !message.is_empty()));
        }
    }
});
