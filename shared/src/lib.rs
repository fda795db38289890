//! Enrôle's domain model: validated types for everything a professional à rôle or a gestionnaire
//! enters, the official code systems (rôles, métiers, modes d'exercice, civilités) and the wire
//! DTOs.
//!
//! Compiled into the server and into the WASM app, so it stays light: serde and thiserror only
//! (utoipa behind the `openapi` feature), no clock (callers pass `today`), no regex, no phone or
//! Unicode tables beyond the small hand-written ones here. Every error message is French, names the
//! field and says what is expected.

pub mod api;
pub mod birth;
pub mod birthplace;
pub mod civilite;
pub mod contact;
pub mod date;
pub mod departure;
pub mod ecps;
pub mod embed;
pub mod error;
pub mod format;
pub mod ids;
pub mod names;
pub mod nomenclature;
pub mod preregistration;
pub mod search;
mod text;

pub use error::FieldErrors;

/// `TryFrom<String>`, `From<T> for String`, `FromStr`, `Display` and `AsRef<str>` for a type with a
/// single string form, given its `parse(&str)` and the accessor returning that form; serde then
/// goes through them.
macro_rules! string_form {
    ($ty:ty, $err:ty, $as_str:ident) => {
        impl TryFrom<String> for $ty {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, $err> {
                Self::parse(&s)
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.$as_str().to_owned()
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, $err> {
                Self::parse(s)
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.$as_str())
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.$as_str()
            }
        }
    };
}
pub(crate) use string_form;

#[cfg(test)]
pub(crate) mod test_support {
    /// Checks that a message reads as French for a person: a capitalised sentence, ending with a
    /// full stop.
    pub fn assert_french_message(message: &str) {
        assert!(!message.trim().is_empty(), "empty message");
        assert!(
            message.chars().next().is_some_and(char::is_uppercase),
            "not capitalised: {message}"
        );
        assert!(message.ends_with('.'), "no full stop: {message}");
        assert!(
            !message.contains("invalid") && !message.contains("error"),
            "English: {message}"
        );
        assert!(!message.contains(['{', '}']), "unformatted: {message}");
    }
}

#[cfg(test)]
mod tests {
    use crate::birth::{BirthDateError, StartDateError};
    use crate::birthplace::{CommuneCodeError, CountryCodeError, TownNameError};
    use crate::civilite::CiviliteError;
    use crate::contact::{EmailError, MobilePhoneError};
    use crate::date::{CalendarDate, DateError};
    use crate::ids::{FINESS_KEY_WARNING, FinessError, RppsError, SirenError, SiretError};
    use crate::names::{NameError, NameErrorKind, NameField, PrenomsError};
    use crate::nomenclature::{MetierError, ModeExerciceError, RoleError};
    use crate::test_support::assert_french_message;

    /// Every message a person can be shown, in one place.
    #[test]
    fn every_message_is_french_for_a_person() {
        let date = CalendarDate::from_ymd(2012, 5, 15).unwrap_or_else(|e| panic!("{e}"));
        let name_fields = [
            NameField::Nom,
            NameField::NomNaissance,
            NameField::NomExercice,
            NameField::Prenom(0),
            NameField::Prenom(4),
            NameField::PrenomExercice,
        ];
        let name_kinds = [
            NameErrorKind::Empty,
            NameErrorKind::TooLong,
            NameErrorKind::ControlCharacter,
            NameErrorKind::Character('@'),
            NameErrorKind::NoLetter,
            NameErrorKind::MisplacedPunctuation,
        ];
        let names = name_fields.iter().flat_map(|&field| {
            name_kinds
                .iter()
                .map(move |&kind| NameError { field, kind }.to_string())
        });
        let messages: Vec<String> = [
            DateError::Format.to_string(),
            DateError::NotADate.to_string(),
            DateError::OutOfRange.to_string(),
            CiviliteError::Missing.to_string(),
            CiviliteError::Mademoiselle.to_string(),
            CiviliteError::Unknown.to_string(),
            PrenomsError::Empty.to_string(),
            BirthDateError::Missing.to_string(),
            BirthDateError::Format.to_string(),
            BirthDateError::NotADate.to_string(),
            BirthDateError::TooYoung(date).to_string(),
            BirthDateError::TooOld(date).to_string(),
            StartDateError::Missing.to_string(),
            StartDateError::Format.to_string(),
            StartDateError::NotADate.to_string(),
            StartDateError::BeforeFourteen(date).to_string(),
            StartDateError::TooFarAhead(date).to_string(),
            CommuneCodeError::Missing.to_string(),
            CommuneCodeError::Format.to_string(),
            CommuneCodeError::Country.to_string(),
            CountryCodeError::Missing.to_string(),
            CountryCodeError::Format.to_string(),
            CountryCodeError::France.to_string(),
            TownNameError::Missing.to_string(),
            TownNameError::TooLong.to_string(),
            TownNameError::Characters.to_string(),
            EmailError::Missing.to_string(),
            EmailError::Space.to_string(),
            EmailError::NoAt.to_string(),
            EmailError::SeveralAt.to_string(),
            EmailError::TooLong.to_string(),
            EmailError::LocalPart.to_string(),
            EmailError::Domain.to_string(),
            MobilePhoneError::Missing.to_string(),
            MobilePhoneError::Format.to_string(),
            MobilePhoneError::NotMobile.to_string(),
            MobilePhoneError::Foreign.to_string(),
            MobilePhoneError::WrongCountryCode("262").to_string(),
            FinessError::Missing.to_string(),
            FinessError::Format.to_string(),
            FINESS_KEY_WARNING.to_owned(),
            SirenError::Missing.to_string(),
            SirenError::Format.to_string(),
            SirenError::Key.to_string(),
            SiretError::Missing.to_string(),
            SiretError::Format.to_string(),
            SiretError::Key.to_string(),
            RppsError::Missing.to_string(),
            RppsError::Format.to_string(),
            RoleError::Missing.to_string(),
            RoleError::Unknown.to_string(),
            ModeExerciceError::Missing.to_string(),
            ModeExerciceError::Unknown.to_string(),
            MetierError::Missing.to_string(),
            MetierError::Unknown.to_string(),
        ]
        .into_iter()
        .chain(names)
        .collect();
        for message in &messages {
            assert_french_message(message);
        }
        assert!(messages.iter().any(|m| m.contains("15/05/2012")));
    }
}
