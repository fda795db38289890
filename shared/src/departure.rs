//! Closing a situation d'exercice (a departure): the end reason from a short list and the end date, which may be
//! past, today or future (fixed-term and agency contracts) but never before the start.

use serde::{Deserialize, Serialize};

use crate::date::{CalendarDate, DateError};

/// How far ahead an end date may be scheduled: beyond, it is almost certainly a typing error (a contract end
/// that far away is entered closer to the date).
pub const MAX_END_YEARS_AHEAD: i32 = 3;
/// Longest free text accompanying a gestionnaire's correction.
pub const MAX_REASON_CHARS: usize = 500;

/// Why a situation d'exercice ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum EndReason {
    FinContrat,
    Demission,
    Mutation,
    Retraite,
    Licenciement,
    Deces,
    Autre,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndReasonError {
    #[error("Le motif de fin est obligatoire.")]
    Missing,
    #[error("Motif de fin inconnu : choisissez-le dans la liste.")]
    Unknown,
}

impl EndReason {
    pub const ALL: [EndReason; 7] = [
        Self::FinContrat,
        Self::Demission,
        Self::Mutation,
        Self::Retraite,
        Self::Licenciement,
        Self::Deces,
        Self::Autre,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::FinContrat => "fin_contrat",
            Self::Demission => "demission",
            Self::Mutation => "mutation",
            Self::Retraite => "retraite",
            Self::Licenciement => "licenciement",
            Self::Deces => "deces",
            Self::Autre => "autre",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::FinContrat => "Fin de contrat (CDD, intérim, stage, mise à disposition)",
            Self::Demission => "Démission",
            Self::Mutation => "Mutation ou changement d'établissement",
            Self::Retraite => "Départ à la retraite",
            Self::Licenciement => "Licenciement ou rupture conventionnelle",
            Self::Deces => "Décès",
            Self::Autre => "Autre motif",
        }
    }

    /// Whether the person is told by email (not after a death).
    pub fn notifies_the_person(self) -> bool {
        self != Self::Deces
    }

    pub fn parse(code: &str) -> Result<Self, EndReasonError> {
        let code = code.trim();
        if code.is_empty() {
            return Err(EndReasonError::Missing);
        }
        Self::ALL
            .into_iter()
            .find(|r| r.code() == code)
            .ok_or(EndReasonError::Unknown)
    }
}

impl TryFrom<String> for EndReason {
    type Error = EndReasonError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EndReason> for String {
    fn from(reason: EndReason) -> String {
        reason.code().to_owned()
    }
}

/// The end date of a situation: on or after its start, at most [`MAX_END_YEARS_AHEAD`] years after today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EndDate(CalendarDate);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndDateError {
    #[error("La date de fin est obligatoire.")]
    Missing,
    #[error("La date de fin doit être au format AAAA-MM-JJ, par exemple 2026-12-31.")]
    Format,
    #[error(
        "La date de fin n'existe pas dans le calendrier : vérifiez le jour et le mois (pas de 31 avril, pas \
         de 29 février hors année bissextile)."
    )]
    NotADate,
    /// Carries the start date.
    #[error(
        "La date de fin ne peut pas précéder la date de prise de fonction ({}).",
        .0.to_french()
    )]
    BeforeStart(CalendarDate),
    /// Carries the latest accepted date.
    #[error(
        "La date de fin ne peut pas dépasser de plus de {MAX_END_YEARS_AHEAD} ans la date du jour : au plus tard \
         le {}.",
        .0.to_french()
    )]
    TooFarAhead(CalendarDate),
}

impl EndDate {
    /// Parses `YYYY-MM-DD` and checks it against the situation's start and today.
    pub fn parse(
        iso: &str,
        start: CalendarDate,
        today: CalendarDate,
    ) -> Result<Self, EndDateError> {
        if iso.trim().is_empty() {
            return Err(EndDateError::Missing);
        }
        let date = CalendarDate::parse_iso(iso).map_err(|e| match e {
            DateError::Format => EndDateError::Format,
            DateError::NotADate | DateError::OutOfRange => EndDateError::NotADate,
        })?;
        Self::new(date, start, today)
    }

    pub fn new(
        date: CalendarDate,
        start: CalendarDate,
        today: CalendarDate,
    ) -> Result<Self, EndDateError> {
        if date < start {
            return Err(EndDateError::BeforeStart(start));
        }
        if let Some(latest) = today.add_years(MAX_END_YEARS_AHEAD)
            && date > latest
        {
            return Err(EndDateError::TooFarAhead(latest));
        }
        Ok(Self(date))
    }

    pub fn date(&self) -> CalendarDate {
        self.0
    }

    /// Whether the closing is scheduled: the situation closes on the end date itself.
    pub fn is_future(&self, today: CalendarDate) -> bool {
        self.0 > today
    }
}

/// The mandatory reason a gestionnaire gives for correcting a person's état civil or contact data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionReason(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorrectionReasonError {
    #[error("Indiquez la raison de cette correction (elle est conservée dans l'historique).")]
    Missing,
    #[error("La raison ne doit pas dépasser {MAX_REASON_CHARS} caractères.")]
    TooLong,
}

impl CorrectionReason {
    pub fn parse(text: &str) -> Result<Self, CorrectionReasonError> {
        let text = text.trim();
        if text.chars().count() < 3 {
            return Err(CorrectionReasonError::Missing);
        }
        if text.chars().count() > MAX_REASON_CHARS {
            return Err(CorrectionReasonError::TooLong);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_french_message;

    fn d(iso: &str) -> CalendarDate {
        CalendarDate::parse_iso(iso).unwrap_or_else(|e| panic!("{iso}: {e}"))
    }

    #[test]
    fn an_end_date_may_be_past_today_or_future_but_not_before_the_start() {
        let start = d("2024-09-01");
        let today = d("2026-11-26");
        assert!(EndDate::parse("2024-09-01", start, today).is_ok());
        assert!(EndDate::parse("2025-06-30", start, today).is_ok());
        assert!(EndDate::parse("2026-11-26", start, today).is_ok());
        let future = EndDate::parse("2027-03-31", start, today).unwrap_or_else(|e| panic!("{e}"));
        assert!(future.is_future(today));
        assert!(
            !EndDate::parse("2026-11-26", start, today)
                .unwrap_or_else(|e| panic!("{e}"))
                .is_future(today)
        );
        assert_eq!(
            EndDate::parse("2024-08-31", start, today),
            Err(EndDateError::BeforeStart(start))
        );
        assert_eq!(
            EndDate::parse("2029-11-27", start, today),
            Err(EndDateError::TooFarAhead(d("2029-11-26")))
        );
        assert_eq!(
            EndDate::parse(" ", start, today),
            Err(EndDateError::Missing)
        );
        assert_eq!(
            EndDate::parse("31/12/2026", start, today),
            Err(EndDateError::Format)
        );
        assert_eq!(
            EndDate::parse("2026-04-31", start, today),
            Err(EndDateError::NotADate)
        );
    }

    #[test]
    fn end_reasons_round_trip_and_unknown_codes_are_refused() {
        for reason in EndReason::ALL {
            assert_eq!(EndReason::parse(reason.code()), Ok(reason));
            let json = serde_json::to_string(&reason).unwrap_or_default();
            assert_eq!(serde_json::from_str::<EndReason>(&json).ok(), Some(reason));
        }
        assert_eq!(EndReason::parse(""), Err(EndReasonError::Missing));
        assert_eq!(EndReason::parse("vacances"), Err(EndReasonError::Unknown));
        assert!(serde_json::from_str::<EndReason>("\"vacances\"").is_err());
        assert!(!EndReason::Deces.notifies_the_person());
        assert!(EndReason::Demission.notifies_the_person());
    }

    #[test]
    fn a_correction_needs_a_reason_of_reasonable_length() {
        assert_eq!(
            CorrectionReason::parse("  "),
            Err(CorrectionReasonError::Missing)
        );
        assert_eq!(
            CorrectionReason::parse(" Mobile perdu ").map(|r| r.as_str().to_owned()),
            Ok("Mobile perdu".to_owned())
        );
        assert_eq!(
            CorrectionReason::parse(&"x".repeat(MAX_REASON_CHARS + 1)),
            Err(CorrectionReasonError::TooLong)
        );
    }

    #[test]
    fn every_message_is_french() {
        let date = d("2026-01-01");
        for message in [
            EndDateError::Missing.to_string(),
            EndDateError::Format.to_string(),
            EndDateError::NotADate.to_string(),
            EndDateError::BeforeStart(date).to_string(),
            EndDateError::TooFarAhead(date).to_string(),
            EndReasonError::Missing.to_string(),
            EndReasonError::Unknown.to_string(),
            CorrectionReasonError::Missing.to_string(),
            CorrectionReasonError::TooLong.to_string(),
        ] {
            assert_french_message(&message);
        }
    }
}
