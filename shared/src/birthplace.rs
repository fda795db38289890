//! Lieu de naissance: an INSEE COG commune code, or a COG country code (99xxx) and the foreign
//! town.

use serde::{Deserialize, Serialize};

use crate::api::{BirthPlaceInput, CommuneLibreInput};
use crate::error::FieldErrors;
use crate::string_form;
use crate::text::{self, is_name_letter};

pub const FRANCE_COUNTRY_CODE: &str = "99100";
pub const MAX_TOWN_CHARS: usize = 100;

/// A commune's 5-character INSEE COG code: département (2 digits, 2A/2B for Corsica, 97x/98x
/// overseas) then the commune number. Historical communes have codes of the same shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommuneCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommuneCodeError {
    #[error("Indiquez la commune de naissance.")]
    Missing,
    #[error(
        "Le code de la commune de naissance doit être son code officiel géographique INSEE à 5 \
         caractères (par exemple 75056 pour Paris ou 2A004 pour Ajaccio), qui n'est pas le code \
         postal."
    )]
    Format,
    #[error(
        "Le code de la commune de naissance commence par 99, qui désigne un pays : pour une \
         naissance à l'étranger, indiquez le pays et la ville plutôt qu'une commune."
    )]
    Country,
}

impl CommuneCode {
    pub fn parse(s: &str) -> Result<Self, CommuneCodeError> {
        let code = s.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(CommuneCodeError::Missing);
        }
        let b = code.as_bytes();
        let shape = b.len() == 5
            && b[0].is_ascii_digit()
            && (b[1].is_ascii_digit() || (b[0] == b'2' && matches!(b[1], b'A' | b'B')))
            && b[2..].iter().all(u8::is_ascii_digit)
            && !code.starts_with("00");
        if !shape {
            return Err(CommuneCodeError::Format);
        }
        if code.starts_with("99") {
            return Err(CommuneCodeError::Country);
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The département: 3 characters overseas (`"971"`), 2 otherwise (`"2A"`, `"75"`).
    pub fn department(&self) -> &str {
        let len = if self.0.starts_with("97") || self.0.starts_with("98") {
            3
        } else {
            2
        };
        &self.0[..len]
    }
}

string_form!(CommuneCode, CommuneCodeError, as_str);

/// A country's INSEE COG code, `99` followed by 3 digits, for someone born abroad (so never 99100,
/// France).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountryCodeError {
    #[error("Indiquez le pays de naissance.")]
    Missing,
    #[error(
        "Le code du pays de naissance doit être son code officiel géographique INSEE : 99 suivi de \
         3 chiffres (par exemple 99350 pour le Maroc)."
    )]
    Format,
    #[error("Pour une naissance en France, indiquez la commune de naissance plutôt que le pays.")]
    France,
}

impl CountryCode {
    pub fn parse(s: &str) -> Result<Self, CountryCodeError> {
        let code = s.trim();
        if code.is_empty() {
            return Err(CountryCodeError::Missing);
        }
        if code.len() != 5 || !code.starts_with("99") || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CountryCodeError::Format);
        }
        if code == FRANCE_COUNTRY_CODE {
            return Err(CountryCodeError::France);
        }
        Ok(Self(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_form!(CountryCode, CountryCodeError, as_str);

/// The foreign town of birth, as written on the identity document: letters, spaces, `-`, `'` and
/// `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TownName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TownNameError {
    #[error("Indiquez la ville de naissance à l'étranger.")]
    Missing,
    #[error("La ville de naissance ne doit pas dépasser 100 caractères.")]
    TooLong,
    #[error(
        "La ville de naissance ne peut contenir que des lettres (accents compris), des espaces, \
         des traits d'union, des apostrophes et des points, avec au moins une lettre."
    )]
    Characters,
}

impl TownName {
    pub fn parse(s: &str) -> Result<Self, TownNameError> {
        let town = text::clean(s).map_err(|_| TownNameError::Characters)?;
        if town.is_empty() {
            return Err(TownNameError::Missing);
        }
        if town.chars().count() > MAX_TOWN_CHARS {
            return Err(TownNameError::TooLong);
        }
        let allowed = |c: char| is_name_letter(c) || matches!(c, ' ' | '-' | '\'' | '.');
        if !town.chars().all(allowed) || !town.chars().any(is_name_letter) {
            return Err(TownNameError::Characters);
        }
        Ok(Self(town))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_form!(TownName, TownNameError, as_str);

/// A département code: `01`…`95` (no `20`: Corsica is `2A` and `2B`), or `971`…`989` overseas.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Departement(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Indiquez le département de naissance : 2 chiffres (ou 2A, 2B pour la Corse), 3 chiffres \
     outre-mer (par exemple 971)."
)]
pub struct DepartementError;

impl Departement {
    pub fn parse(s: &str) -> Result<Self, DepartementError> {
        let code = s.trim().to_ascii_uppercase();
        let valid = match code.as_bytes() {
            [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
                !matches!(code.as_str(), "00" | "20") && code.as_str() <= "95"
            }
            [b'2', b'A' | b'B'] => true,
            [a, b, c] if [a, b, c].iter().all(|d| d.is_ascii_digit()) => {
                ("971"..="989").contains(&code.as_str())
            }
            _ => false,
        };
        if valid {
            Ok(Self(code))
        } else {
            Err(DepartementError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_form!(Departement, DepartementError, as_str);

/// A French commune of birth absent from the reference list (an old name), typed by hand with its
/// département; such a request is flagged for the gestionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CommuneLibre {
    nom: String,
    departement: Departement,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommuneLibreNameError {
    #[error("Indiquez le nom de la commune de naissance.")]
    Missing,
    #[error("Le nom de la commune de naissance ne doit pas dépasser 100 caractères.")]
    TooLong,
    #[error(
        "Le nom de la commune ne peut contenir que des lettres (accents compris), des espaces, des \
         traits d'union, des apostrophes et des points."
    )]
    Characters,
}

impl CommuneLibre {
    /// Errors are keyed `nom` and `departement`, as the input's fields.
    pub fn from_input(input: &CommuneLibreInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let nom = errors.capture("nom", Self::parse_nom(&input.nom));
        let departement = errors.capture("departement", Departement::parse(&input.departement));
        match (nom, departement) {
            (Some(nom), Some(departement)) => Ok(Self { nom, departement }),
            _ => Err(errors),
        }
    }

    fn parse_nom(s: &str) -> Result<String, CommuneLibreNameError> {
        let nom = text::clean(s).map_err(|_| CommuneLibreNameError::Characters)?;
        if nom.is_empty() {
            return Err(CommuneLibreNameError::Missing);
        }
        if nom.chars().count() > MAX_TOWN_CHARS {
            return Err(CommuneLibreNameError::TooLong);
        }
        let allowed = |c: char| is_name_letter(c) || matches!(c, ' ' | '-' | '\'' | '.');
        if !nom.chars().all(allowed) || !nom.chars().any(is_name_letter) {
            return Err(CommuneLibreNameError::Characters);
        }
        Ok(nom)
    }

    pub fn nom(&self) -> &str {
        &self.nom
    }

    pub fn departement(&self) -> &Departement {
        &self.departement
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BirthPlace {
    Commune {
        cog: CommuneCode,
    },
    Abroad {
        country: CountryCode,
        town: TownName,
    },
}

impl BirthPlace {
    /// Builds the lieu de naissance from the form's three optional fields (blank counts as absent):
    /// a commune, or a country and a town. Errors are keyed by the input's field names; an empty
    /// key is about the whole group. A country given as 99100 (France) alongside a commune is
    /// accepted, as FranceConnect sends both.
    pub fn from_input(input: &BirthPlaceInput) -> Result<Self, FieldErrors> {
        fn present(value: Option<&str>) -> Option<&str> {
            value.map(str::trim).filter(|v| !v.is_empty())
        }
        let (commune, country, town) = (
            present(input.commune_cog.as_deref()),
            present(input.pays_cog.as_deref()),
            present(input.ville_etrangere.as_deref()),
        );
        let mut errors = FieldErrors::new();
        match (commune, country) {
            (Some(commune), country) => {
                let cog = errors.capture("commune_cog", CommuneCode::parse(commune));
                if country.is_some_and(|c| c != FRANCE_COUNTRY_CODE) {
                    errors.add(
                        "",
                        "Indiquez soit une commune de naissance en France, soit un pays de \
                         naissance étranger, pas les deux.",
                    );
                }
                if town.is_some() {
                    errors.add(
                        "ville_etrangere",
                        "La ville de naissance à l'étranger ne se renseigne que pour une naissance hors de France.",
                    );
                }
                match cog {
                    Some(cog) if errors.is_empty() => Ok(BirthPlace::Commune { cog }),
                    _ => Err(errors),
                }
            }
            (None, Some(country)) => {
                let country = errors.capture("pays_cog", CountryCode::parse(country));
                let town =
                    errors.capture("ville_etrangere", TownName::parse(town.unwrap_or_default()));
                match (country, town) {
                    (Some(country), Some(town)) => Ok(BirthPlace::Abroad { country, town }),
                    _ => Err(errors),
                }
            }
            (None, None) => {
                errors.add(
                    "",
                    "Indiquez le lieu de naissance : la commune si vous êtes né(e) en France, sinon le pays et la ville.",
                );
                Err(errors)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_french_message;
    use proptest::prelude::*;

    #[test]
    fn departements_accept_metropolitan_corsican_and_overseas_codes() {
        for ok in ["01", "13", "95", "2A", "2b", " 75 ", "971", "976", "988"] {
            assert!(Departement::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "0", "00", "20", "96", "99", "2C", "970", "990", "1234", "a1",
        ] {
            let error = Departement::parse(bad).expect_err(bad);
            assert_french_message(&error.to_string());
        }
        assert_eq!(
            Departement::parse("2b").map(|d| d.as_str().to_owned()),
            Ok("2B".into())
        );
    }

    #[test]
    fn a_commune_typed_by_hand_needs_a_name_and_a_departement() {
        let input = |nom: &str, departement: &str| CommuneLibreInput {
            nom: nom.into(),
            departement: departement.into(),
        };
        let libre = CommuneLibre::from_input(&input("  Saint-Ancien’s   sur Mer ", "2b"));
        let libre = libre.expect("valid");
        assert_eq!(libre.nom(), "Saint-Ancien's sur Mer");
        assert_eq!(libre.departement().as_str(), "2B");

        let errors = CommuneLibre::from_input(&input("", "20")).expect_err("both wrong");
        assert!(errors.contains("nom") && errors.contains("departement"));
        for bad in ["Ville 2", "---", "x".repeat(101).as_str()] {
            let errors = CommuneLibre::from_input(&input(bad, "31")).expect_err(bad);
            assert!(
                errors.contains("nom") && !errors.contains("departement"),
                "{bad}"
            );
        }
    }

    #[test]
    fn commune_codes() {
        for (input, expected, departement) in [
            ("75056", "75056", "75"),
            (" 2a004 ", "2A004", "2A"),
            ("2B033", "2B033", "2B"),
            ("97411", "97411", "974"),
            ("97611", "97611", "976"),
            ("98818", "98818", "988"),
            ("01001", "01001", "01"),
        ] {
            let code = CommuneCode::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!((code.as_str(), code.department()), (expected, departement));
        }
        for (input, expected) in [
            ("", CommuneCodeError::Missing),
            ("7505", CommuneCodeError::Format),
            ("750056", CommuneCodeError::Format),
            ("3A004", CommuneCodeError::Format),
            ("2C004", CommuneCodeError::Format),
            ("75O56", CommuneCodeError::Format),
            ("00123", CommuneCodeError::Format),
            ("99100", CommuneCodeError::Country),
            ("99350", CommuneCodeError::Country),
        ] {
            let error = CommuneCode::parse(input).expect_err(input);
            assert_eq!(error, expected, "{input}");
            assert_french_message(&error.to_string());
        }
    }

    #[test]
    fn country_codes() {
        assert_eq!(
            CountryCode::parse(" 99350 ").map(String::from),
            Ok("99350".to_owned())
        );
        for (input, expected) in [
            ("", CountryCodeError::Missing),
            ("98350", CountryCodeError::Format),
            ("9935", CountryCodeError::Format),
            ("99A50", CountryCodeError::Format),
            ("MA", CountryCodeError::Format),
            ("99100", CountryCodeError::France),
        ] {
            let error = CountryCode::parse(input).expect_err(input);
            assert_eq!(error, expected, "{input}");
            assert_french_message(&error.to_string());
        }
    }

    #[test]
    fn town_names() {
        for (input, expected) in [
            ("Casablanca", "Casablanca"),
            ("  São   Paulo ", "São Paulo"),
            ("St. John's", "St. John's"),
            ("Łódź", "Łódź"),
            ("Port-au-Prince", "Port-au-Prince"),
        ] {
            assert_eq!(
                TownName::parse(input).map(String::from),
                Ok(expected.to_owned()),
                "{input}"
            );
        }
        let long = "a".repeat(MAX_TOWN_CHARS + 1);
        for (input, expected) in [
            ("", TownNameError::Missing),
            (long.as_str(), TownNameError::TooLong),
            ("Alger 3", TownNameError::Characters),
            ("...", TownNameError::Characters),
            ("Tunis\n", TownNameError::Characters),
        ] {
            let error = TownName::parse(input).expect_err(input);
            assert_eq!(error, expected, "{input:?}");
            assert_french_message(&error.to_string());
        }
    }

    fn input(commune: Option<&str>, pays: Option<&str>, ville: Option<&str>) -> BirthPlaceInput {
        BirthPlaceInput {
            commune_cog: commune.map(str::to_owned),
            pays_cog: pays.map(str::to_owned),
            ville_etrangere: ville.map(str::to_owned),
        }
    }

    #[test]
    fn exactly_one_of_commune_or_country() {
        assert!(matches!(
            BirthPlace::from_input(&input(Some("75056"), None, None)),
            Ok(BirthPlace::Commune { .. })
        ));
        assert!(matches!(
            BirthPlace::from_input(&input(Some("75056"), Some("99100"), Some(" "))),
            Ok(BirthPlace::Commune { .. })
        ));
        assert!(matches!(
            BirthPlace::from_input(&input(Some(""), Some("99350"), Some("Rabat"))),
            Ok(BirthPlace::Abroad { .. })
        ));
        for (commune, pays, ville, fields) in [
            (None, None, None, &[""][..]),
            (Some(" "), Some(""), None, &[""][..]),
            (Some("75056"), Some("99350"), None, &[""][..]),
            (Some("75056"), None, Some("Rabat"), &["ville_etrangere"][..]),
            (Some("7505"), None, None, &["commune_cog"][..]),
            (None, Some("99350"), None, &["ville_etrangere"][..]),
            (None, Some("99100"), Some("Paris"), &["pays_cog"][..]),
            (
                None,
                Some("9"),
                Some("1"),
                &["pays_cog", "ville_etrangere"][..],
            ),
        ] {
            let errors = BirthPlace::from_input(&input(commune, pays, ville)).expect_err("invalid");
            let keys: Vec<&str> = errors.iter().map(|(k, _)| k).collect();
            assert_eq!(keys, fields, "{commune:?} {pays:?} {ville:?}");
            errors
                .iter()
                .flat_map(|(_, m)| m)
                .for_each(|m| assert_french_message(m));
        }
    }

    #[test]
    fn serialises_with_a_kind_tag() -> Result<(), serde_json::Error> {
        let place = BirthPlace::from_input(&input(None, Some("99350"), Some("Rabat")))
            .map_err(serde::de::Error::custom)?;
        let json = serde_json::to_string(&place)?;
        assert_eq!(
            json,
            r#"{"kind":"abroad","country":"99350","town":"Rabat"}"#
        );
        assert_eq!(serde_json::from_str::<BirthPlace>(&json)?, place);
        assert!(serde_json::from_str::<BirthPlace>(r#"{"kind":"commune","cog":"99100"}"#).is_err());
        Ok(())
    }

    proptest! {
        #[test]
        fn every_well_formed_commune_code_is_accepted(code in "(0[1-9]|[1-8][0-9]|9[0-8]|2A|2B|2a|2b)[0-9]{3}") {
            prop_assert_eq!(CommuneCode::parse(&code).map(String::from), Ok(code.to_ascii_uppercase()));
        }

        #[test]
        fn every_foreign_country_code_is_accepted(n in 101u32..=999) {
            let code = format!("99{n:03}");
            prop_assert_eq!(CountryCode::parse(&code).map(String::from), Ok(code));
        }
    }
}
