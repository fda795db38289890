//! A small proleptic Gregorian calendar date: all Enrôle needs (birth and start dates), without a
//! date crate.

use serde::{Deserialize, Serialize};

const MIN_YEAR: i32 = 1;
const MAX_YEAR: i32 = 9999;

/// A valid calendar day between 0001-01-01 and 9999-12-31. Ordered chronologically; its string form
/// is ISO 8601.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CalendarDate {
    // Field order gives the chronological `Ord`.
    year: i32,
    month: u8,
    day: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("La date doit être au format AAAA-MM-JJ, par exemple 1985-04-23.")]
    Format,
    #[error(
        "Cette date n'existe pas dans le calendrier (mois de 1 à 12, jour existant dans le mois : \
         pas de 31 avril, pas de 29 février hors année bissextile)."
    )]
    NotADate,
    #[error("La date doit être comprise entre l'an 1 et l'an 9999.")]
    OutOfRange,
}

pub fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl CalendarDate {
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Result<Self, DateError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(DateError::OutOfRange);
        }
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(DateError::NotADate);
        }
        Ok(Self { year, month, day })
    }

    /// Parses `YYYY-MM-DD` (surrounding spaces ignored), as sent by HTML date inputs and the API.
    pub fn parse_iso(s: &str) -> Result<Self, DateError> {
        let b = s.trim().as_bytes();
        let digits_at = |range: std::ops::Range<usize>| -> Option<u32> {
            b.get(range)?.iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DateError::Format);
        }
        let (Some(year), Some(month), Some(day)) =
            (digits_at(0..4), digits_at(5..7), digits_at(8..10))
        else {
            return Err(DateError::Format);
        };
        let year = i32::try_from(year).map_err(|_| DateError::OutOfRange)?;
        let month = u8::try_from(month).map_err(|_| DateError::NotADate)?;
        let day = u8::try_from(day).map_err(|_| DateError::NotADate)?;
        Self::from_ymd(year, month, day)
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn month(&self) -> u8 {
        self.month
    }

    pub fn day(&self) -> u8 {
        self.day
    }

    pub fn to_iso(&self) -> String {
        self.to_string()
    }

    /// `JJ/MM/AAAA`, the form French readers expect in messages.
    pub fn to_french(&self) -> String {
        format!("{:02}/{:02}/{:04}", self.day, self.month, self.year)
    }

    /// Days since 1970-01-01 (negative before). Howard Hinnant's `days_from_civil`.
    pub fn days_since_epoch(&self) -> i64 {
        let (month, day) = (i64::from(self.month), i64::from(self.day));
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// Inverse of [`CalendarDate::days_since_epoch`] (Hinnant's `civil_from_days`).
    pub fn from_days(days: i64) -> Result<Self, DateError> {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        let year = i32::try_from(year).map_err(|_| DateError::OutOfRange)?;
        let (month, day) = (u8::try_from(month), u8::try_from(day));
        match (month, day) {
            (Ok(month), Ok(day)) => Self::from_ymd(year, month, day),
            _ => Err(DateError::NotADate),
        }
    }

    pub fn add_days(self, days: i64) -> Option<Self> {
        Self::from_days(self.days_since_epoch().checked_add(days)?).ok()
    }

    /// Same day `years` later (or earlier); 29 February becomes 28 February in a common year.
    /// `None` outside years 1..=9999.
    pub fn add_years(self, years: i32) -> Option<Self> {
        let year = self.year.checked_add(years)?;
        self.with_clamped_day(year, self.month)
    }

    /// Same day `months` later (or earlier), clamped to the month's last day (31 March + 1 month =
    /// 30 April).
    pub fn add_months(self, months: i32) -> Option<Self> {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1 + i64::from(months);
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        let month = u8::try_from(index.rem_euclid(12) + 1).ok()?;
        self.with_clamped_day(year, month)
    }

    fn with_clamped_day(self, year: i32, month: u8) -> Option<Self> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return None;
        }
        Some(Self {
            year,
            month,
            day: self.day.min(days_in_month(year, month)),
        })
    }
}

impl std::fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl std::str::FromStr for CalendarDate {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, DateError> {
        Self::parse_iso(s)
    }
}

impl TryFrom<String> for CalendarDate {
    type Error = DateError;
    fn try_from(s: String) -> Result<Self, DateError> {
        Self::parse_iso(&s)
    }
}

impl From<CalendarDate> for String {
    fn from(date: CalendarDate) -> String {
        date.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_french_message;
    use proptest::prelude::*;

    fn d(s: &str) -> CalendarDate {
        CalendarDate::parse_iso(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_valid_iso_dates() {
        for (input, (y, m, day)) in [
            ("1985-04-23", (1985, 4, 23)),
            (" 2000-02-29 ", (2000, 2, 29)),
            ("2024-02-29", (2024, 2, 29)),
            ("0001-01-01", (1, 1, 1)),
            ("9999-12-31", (9999, 12, 31)),
            ("2023-12-31", (2023, 12, 31)),
        ] {
            let date = d(input);
            assert_eq!(
                (date.year(), date.month(), date.day()),
                (y, m, day),
                "{input}"
            );
            assert_eq!(date.to_iso(), input.trim());
        }
    }

    #[test]
    fn rejects_invalid_dates_with_the_reason() {
        for (input, expected) in [
            ("", DateError::Format),
            ("23/04/1985", DateError::Format),
            ("1985-4-23", DateError::Format),
            ("1985-04-23T00:00", DateError::Format),
            ("１９８５-04-23", DateError::Format),
            ("+985-04-23", DateError::Format),
            ("2023-02-29", DateError::NotADate),
            ("1900-02-29", DateError::NotADate),
            ("2024-04-31", DateError::NotADate),
            ("2024-13-01", DateError::NotADate),
            ("2024-00-10", DateError::NotADate),
            ("2024-01-00", DateError::NotADate),
            ("0000-01-01", DateError::OutOfRange),
        ] {
            assert_eq!(CalendarDate::parse_iso(input), Err(expected), "{input}");
        }
    }

    #[test]
    fn leap_years_follow_the_gregorian_rule() {
        for (year, leap) in [
            (2024, true),
            (2023, false),
            (2000, true),
            (1900, false),
            (2100, false),
            (1600, true),
        ] {
            assert_eq!(is_leap_year(year), leap, "{year}");
        }
    }

    #[test]
    fn counts_days_from_the_unix_epoch() {
        for (date, days) in [
            ("1970-01-01", 0),
            ("1970-01-02", 1),
            ("1969-12-31", -1),
            ("2000-03-01", 11_017),
        ] {
            assert_eq!(d(date).days_since_epoch(), days, "{date}");
            assert_eq!(CalendarDate::from_days(days), Ok(d(date)));
        }
    }

    #[test]
    fn adds_years_and_months_clamping_the_day() {
        assert_eq!(d("2024-02-29").add_years(1), Some(d("2025-02-28")));
        assert_eq!(d("2024-02-29").add_years(4), Some(d("2028-02-29")));
        assert_eq!(d("2024-02-29").add_years(-14), Some(d("2010-02-28")));
        assert_eq!(d("2024-03-31").add_months(1), Some(d("2024-04-30")));
        assert_eq!(d("2024-01-31").add_months(1), Some(d("2024-02-29")));
        assert_eq!(d("2024-11-15").add_months(12), Some(d("2025-11-15")));
        assert_eq!(d("2024-01-15").add_months(-1), Some(d("2023-12-15")));
        assert_eq!(d("9999-12-01").add_months(1), None);
        assert_eq!(d("0001-06-01").add_years(-1), None);
        assert_eq!(d("2024-12-31").add_days(1), Some(d("2025-01-01")));
    }

    #[test]
    fn displays_and_serialises_as_iso() -> Result<(), serde_json::Error> {
        let date = d("1985-04-03");
        assert_eq!(date.to_string(), "1985-04-03");
        assert_eq!(date.to_french(), "03/04/1985");
        assert_eq!(serde_json::to_string(&date)?, r#""1985-04-03""#);
        assert_eq!(
            serde_json::from_str::<CalendarDate>(r#""1985-04-03""#)?,
            date
        );
        assert!(serde_json::from_str::<CalendarDate>(r#""1985-02-30""#).is_err());
        Ok(())
    }

    #[test]
    fn messages_are_french() {
        for e in [
            DateError::Format,
            DateError::NotADate,
            DateError::OutOfRange,
        ] {
            assert_french_message(&e.to_string());
        }
    }

    prop_compose! {
        fn any_date()(year in 1i32..=9999, month in 1u8..=12, day in 1u8..=31) -> CalendarDate {
            let day = day.min(days_in_month(year, month));
            CalendarDate::from_ymd(year, month, day).unwrap_or_else(|e| panic!("{e}"))
        }
    }

    proptest! {
        #[test]
        fn iso_form_round_trips(date in any_date()) {
            prop_assert_eq!(CalendarDate::parse_iso(&date.to_iso()), Ok(date));
        }

        #[test]
        fn day_numbers_round_trip_and_keep_the_order(a in any_date(), b in any_date()) {
            prop_assert_eq!(CalendarDate::from_days(a.days_since_epoch()), Ok(a));
            prop_assert_eq!(a.cmp(&b), a.days_since_epoch().cmp(&b.days_since_epoch()));
        }

        #[test]
        fn the_next_day_is_one_day_later(date in any_date()) {
            if let Some(next) = date.add_days(1) {
                prop_assert!(next > date);
                prop_assert_eq!(next.days_since_epoch() - date.days_since_epoch(), 1);
                prop_assert!(next.day() == 1 || next.day() == date.day() + 1);
            }
        }
    }
}
