//! Metropolitan French civil time (Europe/Paris) without a time-zone database: UTC+1, and UTC+2 from the last
//! Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC (the EU rule in force since 1996). Used for
//! times shown to gestionnaires in messages the server writes.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// `at` expressed in Paris time.
pub fn to_paris(at: OffsetDateTime) -> OffsetDateTime {
    let utc = at.to_offset(UtcOffset::UTC);
    let year = utc.year();
    let summer = match (
        last_sunday_1am_utc(year, Month::March),
        last_sunday_1am_utc(year, Month::October),
    ) {
        (Some(start), Some(end)) => utc >= start && utc < end,
        _ => false,
    };
    let hours = if summer { 2 } else { 1 };
    UtcOffset::from_hms(hours, 0, 0).map_or(utc, |offset| utc.to_offset(offset))
}

/// 01:00 UTC on the last Sunday of `month` (March or October, both 31 days long).
fn last_sunday_1am_utc(year: i32, month: Month) -> Option<OffsetDateTime> {
    let last_day = Date::from_calendar_date(year, month, 31).ok()?;
    let back = last_day.weekday().number_days_from_sunday();
    let sunday = last_day.checked_sub(time::Duration::days(i64::from(back)))?;
    debug_assert_eq!(sunday.weekday(), Weekday::Sunday);
    Some(PrimitiveDateTime::new(sunday, Time::from_hms(1, 0, 0).ok()?).assume_utc())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn hour_minute(at: OffsetDateTime) -> (u8, u8) {
        let paris = to_paris(at);
        (paris.hour(), paris.minute())
    }

    #[test]
    fn winter_is_utc_plus_one_and_summer_utc_plus_two() {
        assert_eq!(hour_minute(datetime!(2026-01-15 13:05 UTC)), (14, 5));
        assert_eq!(hour_minute(datetime!(2026-07-14 10:30 UTC)), (12, 30));
        assert_eq!(hour_minute(datetime!(2026-11-26 23:30 UTC)), (0, 30));
    }

    #[test]
    fn the_changes_happen_at_one_in_the_morning_utc_on_the_last_sundays() {
        // 2026: 29 March and 25 October.
        assert_eq!(hour_minute(datetime!(2026-03-29 00:59 UTC)), (1, 59));
        assert_eq!(hour_minute(datetime!(2026-03-29 01:00 UTC)), (3, 0));
        assert_eq!(hour_minute(datetime!(2026-10-25 00:59 UTC)), (2, 59));
        assert_eq!(hour_minute(datetime!(2026-10-25 01:00 UTC)), (2, 0));
        // 2027: 28 March and 31 October (the 31st itself is a Sunday).
        assert_eq!(hour_minute(datetime!(2027-03-28 01:00 UTC)), (3, 0));
        assert_eq!(hour_minute(datetime!(2027-10-31 00:30 UTC)), (2, 30));
        assert_eq!(hour_minute(datetime!(2027-10-31 01:30 UTC)), (2, 30));
    }
}
