//! Dates: ISO parsing never panics, round-trips through its text and through the day count; birth and start
//! dates obey their bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::birth::{BirthDate, StartDate};
use shared::date::CalendarDate;

fuzz_target!(|input: (&str, &str)| {
    let (birth, start) = input;
    let Ok(today) = CalendarDate::from_ymd(2026, 11, 26) else {
        return;
    };
    if let Ok(date) = CalendarDate::parse_iso(birth) {
        assert_eq!(CalendarDate::parse_iso(&date.to_iso()), Ok(date));
        assert_eq!(CalendarDate::from_days(date.days_since_epoch()), Ok(date));
    }
    if let Ok(born) = BirthDate::parse(birth, today) {
        assert!(born.date() < today);
        if let Ok(started) = StartDate::parse(start, &born, today) {
            assert!(started.date() > born.date());
        }
    }
});
