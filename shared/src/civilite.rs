//! Civilité (TRE_R81).

use serde::{Deserialize, Serialize};

use crate::string_form;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Civilite {
    M,
    Mme,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CiviliteError {
    #[error("Choisissez la civilité : Monsieur (M) ou Madame (MME).")]
    Missing,
    #[error(
        "La civilité « Mademoiselle » n'est plus utilisée dans le répertoire depuis 2016 : choisissez Madame (MME)."
    )]
    Mademoiselle,
    #[error("La civilité doit être M (Monsieur) ou MME (Madame).")]
    Unknown,
}

impl Civilite {
    pub const ALL: [Civilite; 2] = [Civilite::M, Civilite::Mme];

    pub fn code(self) -> &'static str {
        match self {
            Civilite::M => "M",
            Civilite::Mme => "MME",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Civilite::M => "Monsieur",
            Civilite::Mme => "Madame",
        }
    }

    /// Accepts the codes in any case, surrounded by spaces.
    pub fn parse(code: &str) -> Result<Self, CiviliteError> {
        let code = code.trim();
        if code.is_empty() {
            return Err(CiviliteError::Missing);
        }
        match code.to_ascii_uppercase().as_str() {
            "M" => Ok(Civilite::M),
            "MME" => Ok(Civilite::Mme),
            "MLLE" => Err(CiviliteError::Mademoiselle),
            _ => Err(CiviliteError::Unknown),
        }
    }
}

string_form!(Civilite, CiviliteError, code);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_french_message;

    #[test]
    fn parses_the_codes() {
        for (input, expected) in [
            ("M", Civilite::M),
            ("MME", Civilite::Mme),
            (" mme ", Civilite::Mme),
            ("m", Civilite::M),
        ] {
            assert_eq!(Civilite::parse(input), Ok(expected), "{input}");
        }
        for c in Civilite::ALL {
            assert_eq!(Civilite::parse(c.code()), Ok(c));
            assert!(!c.label().is_empty());
        }
    }

    #[test]
    fn rejects_mademoiselle_and_unknown_codes() {
        for (input, expected) in [
            ("", CiviliteError::Missing),
            ("  ", CiviliteError::Missing),
            ("MLLE", CiviliteError::Mademoiselle),
            ("Mlle", CiviliteError::Mademoiselle),
            ("Madame", CiviliteError::Unknown),
            ("F", CiviliteError::Unknown),
        ] {
            let error = Civilite::parse(input).expect_err(input);
            assert_eq!(error, expected, "{input}");
            assert_french_message(&error.to_string());
        }
    }

    #[test]
    fn serialises_as_the_code() -> Result<(), serde_json::Error> {
        assert_eq!(serde_json::to_string(&Civilite::Mme)?, r#""MME""#);
        assert_eq!(serde_json::from_str::<Civilite>(r#""M""#)?, Civilite::M);
        assert!(serde_json::from_str::<Civilite>(r#""MLLE""#).is_err());
        Ok(())
    }
}
