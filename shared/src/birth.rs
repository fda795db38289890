//! Date de naissance and date de prise de fonction. The crate never reads a clock: callers pass
//! `today`.

use serde::Serialize;

use crate::date::{CalendarDate, DateError};

pub const MIN_AGE_YEARS: i32 = 14;
pub const MAX_AGE_YEARS: i32 = 100;
/// HR registers newcomers before they arrive, but not more than this ahead.
pub const MAX_START_MONTHS_AHEAD: i32 = 12;

/// A date de naissance between 100 and 14 years before `today`. Serialises as ISO; it is not
/// deserialisable on its own since its validity depends on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct BirthDate(CalendarDate);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BirthDateError {
    #[error("La date de naissance est obligatoire.")]
    Missing,
    #[error("La date de naissance doit être au format AAAA-MM-JJ, par exemple 1985-04-23.")]
    Format,
    #[error(
        "La date de naissance n'existe pas dans le calendrier : vérifiez le jour et le mois (pas \
         de 31 avril, pas de 29 février hors année bissextile)."
    )]
    NotADate,
    /// Carries the latest accepted date.
    #[error(
        "La date de naissance indique moins de 14 ans : il faut être né(e) le {} au plus tard.",
        .0.to_french()
    )]
    TooYoung(CalendarDate),
    /// Carries the earliest accepted date.
    #[error(
        "La date de naissance ne peut pas remonter à plus de 100 ans : elle doit être le {} ou après.",
        .0.to_french()
    )]
    TooOld(CalendarDate),
}

impl BirthDate {
    pub fn parse(iso: &str, today: CalendarDate) -> Result<Self, BirthDateError> {
        if iso.trim().is_empty() {
            return Err(BirthDateError::Missing);
        }
        let date = CalendarDate::parse_iso(iso).map_err(|e| match e {
            DateError::Format => BirthDateError::Format,
            DateError::NotADate | DateError::OutOfRange => BirthDateError::NotADate,
        })?;
        Self::new(date, today)
    }

    pub fn new(date: CalendarDate, today: CalendarDate) -> Result<Self, BirthDateError> {
        if let Some(earliest) = today.add_years(-MAX_AGE_YEARS)
            && date < earliest
        {
            return Err(BirthDateError::TooOld(earliest));
        }
        let birth = Self(date);
        // Measured from the birth date so that someone born on 29 February turns 14 on the 28th, as
        // `fourteenth_birthday` (which bounds the start date) says.
        if birth
            .fourteenth_birthday()
            .is_none_or(|birthday| birthday > today)
        {
            let latest = today.add_years(-MIN_AGE_YEARS).unwrap_or(today);
            return Err(BirthDateError::TooYoung(latest));
        }
        Ok(birth)
    }

    pub fn date(&self) -> CalendarDate {
        self.0
    }

    /// `None` only near year 9999, which `new` never accepts.
    pub fn fourteenth_birthday(&self) -> Option<CalendarDate> {
        self.0.add_years(MIN_AGE_YEARS)
    }
}

impl From<BirthDate> for String {
    fn from(date: BirthDate) -> String {
        date.0.to_iso()
    }
}

impl std::fmt::Display for BirthDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A date de prise de fonction: not before the person's 14th birthday, at most 12 months after
/// `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct StartDate(CalendarDate);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartDateError {
    #[error("La date de prise de fonction est obligatoire.")]
    Missing,
    #[error("La date de prise de fonction doit être au format AAAA-MM-JJ, par exemple 2025-09-01.")]
    Format,
    #[error(
        "La date de prise de fonction n'existe pas dans le calendrier : vérifiez le jour et le \
         mois (pas de 31 avril, pas de 29 février hors année bissextile)."
    )]
    NotADate,
    /// Carries the 14th birthday.
    #[error(
        "La date de prise de fonction ne peut pas précéder le 14e anniversaire de la personne ({}).",
        .0.to_french()
    )]
    BeforeFourteen(CalendarDate),
    /// Carries the latest accepted date.
    #[error(
        "La date de prise de fonction ne peut pas dépasser de plus de 12 mois la date du jour : au plus tard le {}.",
        .0.to_french()
    )]
    TooFarAhead(CalendarDate),
}

impl StartDate {
    pub fn parse(
        iso: &str,
        birth: &BirthDate,
        today: CalendarDate,
    ) -> Result<Self, StartDateError> {
        Self::parse_with(iso, Some(birth), today)
    }

    /// As `parse`, skipping the 14th-birthday rule when the birth date is unknown (itself invalid),
    /// so that a form still gets the other checks.
    pub fn parse_with(
        iso: &str,
        birth: Option<&BirthDate>,
        today: CalendarDate,
    ) -> Result<Self, StartDateError> {
        if iso.trim().is_empty() {
            return Err(StartDateError::Missing);
        }
        let date = CalendarDate::parse_iso(iso).map_err(|e| match e {
            DateError::Format => StartDateError::Format,
            DateError::NotADate | DateError::OutOfRange => StartDateError::NotADate,
        })?;
        Self::new(date, birth, today)
    }

    pub fn new(
        date: CalendarDate,
        birth: Option<&BirthDate>,
        today: CalendarDate,
    ) -> Result<Self, StartDateError> {
        if let Some(birthday) = birth.and_then(BirthDate::fourteenth_birthday)
            && date < birthday
        {
            return Err(StartDateError::BeforeFourteen(birthday));
        }
        if let Some(latest) = today.add_months(MAX_START_MONTHS_AHEAD)
            && date > latest
        {
            return Err(StartDateError::TooFarAhead(latest));
        }
        Ok(Self(date))
    }

    pub fn date(&self) -> CalendarDate {
        self.0
    }
}

impl From<StartDate> for String {
    fn from(date: StartDate) -> String {
        date.0.to_iso()
    }
}

impl std::fmt::Display for StartDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
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

    const TODAY: &str = "2026-05-15";

    #[test]
    fn birth_dates_between_14_and_100_years_ago_are_accepted() {
        for input in ["2012-05-15", "1926-05-15", "1985-04-23", " 2000-02-29 "] {
            assert!(BirthDate::parse(input, d(TODAY)).is_ok(), "{input}");
        }
    }

    #[test]
    fn birth_dates_outside_the_range_are_rejected_with_the_bound() {
        for (input, expected) in [
            ("", BirthDateError::Missing),
            ("15/05/1990", BirthDateError::Format),
            ("1990-02-30", BirthDateError::NotADate),
            ("0000-01-01", BirthDateError::NotADate),
            ("2012-05-16", BirthDateError::TooYoung(d("2012-05-15"))),
            ("2030-01-01", BirthDateError::TooYoung(d("2012-05-15"))),
            ("1926-05-14", BirthDateError::TooOld(d("1926-05-15"))),
        ] {
            let error = BirthDate::parse(input, d(TODAY)).expect_err(input);
            assert_eq!(error, expected, "{input}");
            assert_french_message(&error.to_string());
        }
        assert_eq!(
            BirthDateError::TooYoung(d("2012-05-15")).to_string(),
            "La date de naissance indique moins de 14 ans : il faut être né(e) le 15/05/2012 au plus tard."
        );
    }

    #[test]
    fn someone_born_on_29_february_turns_14_on_28_february() -> Result<(), BirthDateError> {
        assert!(BirthDate::parse("2012-02-29", d("2026-02-28")).is_ok());
        assert!(BirthDate::parse("2012-02-29", d("2026-02-27")).is_err());
        let birth = BirthDate::parse("2012-02-29", d("2026-02-28"))?;
        assert!(StartDate::parse("2026-02-28", &birth, d("2026-02-28")).is_ok());
        assert!(StartDate::parse("2026-02-27", &birth, d("2026-02-28")).is_err());
        Ok(())
    }

    #[test]
    fn start_dates_follow_the_14th_birthday_and_the_12_month_horizon() -> Result<(), BirthDateError>
    {
        let birth = BirthDate::parse("2000-03-10", d(TODAY))?;
        for input in ["2014-03-10", "2020-01-01", TODAY, "2027-05-15"] {
            assert!(StartDate::parse(input, &birth, d(TODAY)).is_ok(), "{input}");
        }
        for (input, expected) in [
            (" ", StartDateError::Missing),
            ("2025-9-1", StartDateError::Format),
            ("2025-06-31", StartDateError::NotADate),
            (
                "2014-03-09",
                StartDateError::BeforeFourteen(d("2014-03-10")),
            ),
            ("2027-05-16", StartDateError::TooFarAhead(d("2027-05-15"))),
        ] {
            let error = StartDate::parse(input, &birth, d(TODAY)).expect_err(input);
            assert_eq!(error, expected, "{input}");
            assert_french_message(&error.to_string());
        }
        assert!(StartDate::parse_with("1950-01-01", None, d(TODAY)).is_ok());
        Ok(())
    }

    #[test]
    fn serialise_as_iso() -> Result<(), serde_json::Error> {
        let birth = BirthDate::new(d("1985-04-23"), d(TODAY)).map_err(serde::ser::Error::custom)?;
        assert_eq!(serde_json::to_string(&birth)?, r#""1985-04-23""#);
        Ok(())
    }

    prop_compose! {
        fn today()(days in 0i64..40_000) -> CalendarDate {
            CalendarDate::from_days(days).unwrap_or_else(|e| panic!("{e}"))
        }
    }

    proptest! {
        #[test]
        fn every_date_in_the_range_is_accepted(today in today(), offset in 0i64..=(86 * 366)) {
            let earliest = today.add_years(-MAX_AGE_YEARS).unwrap_or(today);
            let latest = today.add_years(-MIN_AGE_YEARS).unwrap_or(today);
            if let Some(date) = earliest.add_days(offset).filter(|date| *date <= latest) {
                prop_assert!(BirthDate::new(date, today).is_ok(), "{} on {}", date, today);
            }
        }

        #[test]
        fn dates_just_outside_are_rejected(today in today()) {
            let too_young = today.add_years(-MIN_AGE_YEARS).and_then(|d| d.add_days(1)).unwrap_or(today);
            let too_old = today.add_years(-MAX_AGE_YEARS).and_then(|d| d.add_days(-1)).unwrap_or(today);
            // A 29 February birth turns 14 on 28 February: one day later than the bound is still
            // valid then.
            if !(too_young.month() == 2 && too_young.day() == 29) {
                prop_assert!(BirthDate::new(too_young, today).is_err(), "{} on {}", too_young, today);
            }
            prop_assert!(BirthDate::new(too_old, today).is_err(), "{} on {}", too_old, today);
        }

        #[test]
        fn start_dates_between_the_bounds_are_accepted(birth_days in -20_000i64..0, offset in 0i64..20_000) {
            let today = CalendarDate::from_days(20_000).unwrap_or_else(|e| panic!("{e}"));
            let birth = CalendarDate::from_days(birth_days).map(|d| BirthDate::new(d, today));
            if let Ok(Ok(birth)) = birth {
                let first = birth.fourteenth_birthday().unwrap_or(today);
                let last = today.add_months(MAX_START_MONTHS_AHEAD).unwrap_or(today);
                if let Some(date) = first.add_days(offset).filter(|date| *date <= last) {
                    prop_assert!(StartDate::new(date, Some(&birth), today).is_ok());
                }
            }
        }
    }
}
