//! Contact data: the email and the mobile that receive the RPPS number and the e-CPS activation
//! codes.

use serde::{Deserialize, Serialize};

use crate::string_form;

pub const MAX_EMAIL_CHARS: usize = 254;
const MAX_LOCAL_PART_CHARS: usize = 64;

/// An email address: one `@`, a dotted domain (lower-cased), no spaces, at most 254 characters. The
/// local part keeps its case: some mail servers honour it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("L'adresse email est obligatoire.")]
    Missing,
    #[error("L'adresse email ne doit pas contenir d'espace.")]
    Space,
    #[error("L'adresse email doit contenir un @, par exemple prenom.nom@exemple.fr.")]
    NoAt,
    #[error("L'adresse email ne doit contenir qu'un seul @, par exemple prenom.nom@exemple.fr.")]
    SeveralAt,
    #[error("L'adresse email ne doit pas dépasser 254 caractères.")]
    TooLong,
    #[error(
        "La partie de l'adresse email avant le @ n'est pas valide : lettres, chiffres et . _ - + \
         sont acceptés, sans point au début, à la fin ni deux points à la suite."
    )]
    LocalPart,
    #[error(
        "Le domaine de l'adresse email (après le @) n'est pas valide : il doit ressembler à \
         exemple.fr (lettres, chiffres et traits d'union, séparés par des points)."
    )]
    Domain,
}

impl Email {
    pub fn parse(s: &str) -> Result<Self, EmailError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(EmailError::Missing);
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Space);
        }
        if s.chars().count() > MAX_EMAIL_CHARS {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = match s.split_once('@') {
            None => return Err(EmailError::NoAt),
            Some((_, domain)) if domain.contains('@') => return Err(EmailError::SeveralAt),
            Some(parts) => parts,
        };
        // RFC 5322 "atext", plus non-ASCII letters (SMTPUTF8 addresses).
        let local_char = |c: char| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~-.".contains(c);
        if local.is_empty()
            || local.chars().count() > MAX_LOCAL_PART_CHARS
            || !local.chars().all(local_char)
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
        {
            return Err(EmailError::LocalPart);
        }
        let domain = crate::text::lowercase(domain);
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.chars().count() <= 63
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        let tld_ok = labels.last().is_some_and(|tld| {
            tld.chars().count() >= 2 && !tld.chars().all(|c| c.is_ascii_digit())
        });
        if labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) || !tld_ok {
            return Err(EmailError::Domain);
        }
        Ok(Self(format!("{local}@{domain}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }

    /// Same mailbox for the purpose of a confirmation field: equal ignoring case.
    pub fn same_address(&self, other: &Email) -> bool {
        crate::text::lowercase(&self.0) == crate::text::lowercase(&other.0)
    }
}

string_form!(Email, EmailError, as_str);

/// A French mobile number (metropolitan France or an overseas département), stored in E.164
/// (`+33612345678`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MobilePhone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobilePhoneError {
    #[error(
        "Le numéro de mobile est obligatoire : il sert à recevoir par SMS les codes d'activation de votre e-CPS."
    )]
    Missing,
    #[error(
        "Le numéro de mobile doit comporter 10 chiffres commençant par 06 ou 07 (par exemple 06 12 \
         34 56 78), ou être au format international (par exemple +33 6 12 34 56 78)."
    )]
    Format,
    #[error(
        "Ce numéro est une ligne fixe ou un numéro spécial : indiquez un numéro de mobile (06 ou \
         07), nécessaire pour recevoir par SMS les codes d'activation de votre e-CPS."
    )]
    NotMobile,
    #[error(
        "Seuls les numéros de mobile français sont acceptés (métropole et outre-mer : +33, +262, \
         +590, +594, +596) : indiquez un numéro en 06 ou 07."
    )]
    Foreign,
    #[error(
        "L'indicatif +{0} ne correspond pas à ce numéro de mobile : vérifiez l'indicatif, ou \
         saisissez le numéro sous la forme 06 XX XX XX XX."
    )]
    WrongCountryCode(&'static str),
}

/// Country codes of the French numbering plan that carry mobiles.
const COUNTRY_CODES: [&str; 5] = ["262", "590", "594", "596", "33"];

/// The country code a mobile's 9-digit national number belongs to (ARCEP plan): overseas mobiles
/// are 06 numbers with their own prefixes. `None` for a fixed line or special number.
fn mobile_country_code(national: &str) -> Option<&'static str> {
    match national.get(..3)? {
        "690" | "691" => Some("590"), // Guadeloupe, Saint-Martin, Saint-Barthélemy
        "694" => Some("594"),         // Guyane
        "696" | "697" => Some("596"), // Martinique
        "692" | "693" | "639" => Some("262"), // La Réunion, Mayotte
        p if p.starts_with('6') || p.starts_with('7') => Some("33"),
        _ => None,
    }
}

impl MobilePhone {
    /// Accepts national (`06 12 34 56 78`, `06.12.34.56.78`) and international (`+33 6…`, `+33
    /// (0)6…`, `0033 6…`, `+262 692…`, `+590 690…`, `+594 694…`, `+596 696…`) forms, with spaces,
    /// dots, dashes or brackets.
    pub fn parse(s: &str) -> Result<Self, MobilePhoneError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(MobilePhoneError::Missing);
        }
        let (plus, rest) = match s.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '(' | ')' | '/' | '\u{a0}' | '\u{202f}' => {}
                _ => return Err(MobilePhoneError::Format),
            }
        }
        let international = if plus {
            Some(digits.as_str())
        } else {
            digits.strip_prefix("00")
        };
        let (given_code, national) = match international {
            Some(number) => {
                let code = COUNTRY_CODES
                    .into_iter()
                    .find(|code| number.starts_with(code))
                    .ok_or(MobilePhoneError::Foreign)?;
                let national = &number[code.len()..];
                // "+33 (0)6 12…" and "+33 06 12…" carry the trunk 0.
                let national = if national.len() == 10 {
                    national.strip_prefix('0').unwrap_or(national)
                } else {
                    national
                };
                (Some(code), national)
            }
            None => (
                None,
                digits
                    .strip_prefix('0')
                    .filter(|_| digits.len() == 10)
                    .ok_or(MobilePhoneError::Format)?,
            ),
        };
        if national.len() != 9 || national.starts_with('0') {
            return Err(MobilePhoneError::Format);
        }
        let code = mobile_country_code(national).ok_or(MobilePhoneError::NotMobile)?;
        // Dialling an overseas mobile with +33 reaches it: normalise. Another overseas code is a
        // mistake.
        if let Some(given) = given_code
            && given != code
            && given != "33"
        {
            return Err(MobilePhoneError::WrongCountryCode(given));
        }
        Ok(Self(format!("+{code}{national}")))
    }

    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// The national form in pairs, `06 12 34 56 78`.
    pub fn display_national(&self) -> String {
        let national = COUNTRY_CODES
            .into_iter()
            .find_map(|code| self.0.strip_prefix('+')?.strip_prefix(code))
            .unwrap_or_default();
        let digits = format!("0{national}");
        let pairs: Vec<&str> = (0..digits.len())
            .step_by(2)
            .filter_map(|i| digits.get(i..i + 2))
            .collect();
        pairs.join(" ")
    }
}

string_form!(MobilePhone, MobilePhoneError, as_e164);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_french_message;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_normalises_emails() {
        for (input, expected) in [
            ("marie.dupont@exemple.fr", "marie.dupont@exemple.fr"),
            ("  Marie.Dupont@Exemple.FR ", "Marie.Dupont@exemple.fr"),
            (
                "jean+rpps@sous.domaine.example.org",
                "jean+rpps@sous.domaine.example.org",
            ),
            (
                "o'neil@ehpad-les-tilleuls.fr",
                "o'neil@ehpad-les-tilleuls.fr",
            ),
            ("élodie@exemple.fr", "élodie@exemple.fr"),
            ("a@b.co", "a@b.co"),
        ] {
            assert_eq!(
                Email::parse(input).map(String::from),
                Ok(expected.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_invalid_emails_with_the_reason() {
        let long = format!("{}@exemple.fr", "a".repeat(250));
        for (input, expected) in [
            ("", EmailError::Missing),
            ("marie dupont@exemple.fr", EmailError::Space),
            ("marie.dupont.exemple.fr", EmailError::NoAt),
            ("marie@dupont@exemple.fr", EmailError::SeveralAt),
            (long.as_str(), EmailError::TooLong),
            ("@exemple.fr", EmailError::LocalPart),
            (".marie@exemple.fr", EmailError::LocalPart),
            ("marie..dupont@exemple.fr", EmailError::LocalPart),
            ("marie(dupont)@exemple.fr", EmailError::LocalPart),
            ("marie@", EmailError::Domain),
            ("marie@exemple", EmailError::Domain),
            ("marie@exemple.", EmailError::Domain),
            ("marie@.exemple.fr", EmailError::Domain),
            ("marie@exemple..fr", EmailError::Domain),
            ("marie@-exemple.fr", EmailError::Domain),
            ("marie@exemple.f", EmailError::Domain),
            ("marie@exemple_fr.fr", EmailError::Domain),
            ("marie@10.0.0.1", EmailError::Domain),
        ] {
            let error = Email::parse(input).expect_err(input);
            assert_eq!(error, expected, "{input}");
            assert_french_message(&error.to_string());
        }
    }

    #[test]
    fn confirmation_ignores_case() -> Result<(), EmailError> {
        let email = Email::parse("Marie@exemple.fr")?;
        assert!(email.same_address(&Email::parse("marie@EXEMPLE.fr")?));
        assert!(!email.same_address(&Email::parse("mary@exemple.fr")?));
        assert_eq!(email.domain(), "exemple.fr");
        Ok(())
    }

    #[test]
    fn normalises_french_mobiles_to_e164() {
        for (input, expected, national) in [
            ("06 12 34 56 78", "+33612345678", "06 12 34 56 78"),
            ("0612345678", "+33612345678", "06 12 34 56 78"),
            ("06.12.34.56.78", "+33612345678", "06 12 34 56 78"),
            ("06-12-34-56-78", "+33612345678", "06 12 34 56 78"),
            ("07 81 23 45 67", "+33781234567", "07 81 23 45 67"),
            ("+33612345678", "+33612345678", "06 12 34 56 78"),
            ("+33 6 12 34 56 78", "+33612345678", "06 12 34 56 78"),
            ("+33 (0)6 12 34 56 78", "+33612345678", "06 12 34 56 78"),
            ("0033 6 12 34 56 78", "+33612345678", "06 12 34 56 78"),
            ("0690 12 34 56", "+590690123456", "06 90 12 34 56"),
            ("+590 690 12 34 56", "+590690123456", "06 90 12 34 56"),
            ("+33 690 12 34 56", "+590690123456", "06 90 12 34 56"),
            ("0691 12 34 56", "+590691123456", "06 91 12 34 56"),
            ("0694 12 34 56", "+594694123456", "06 94 12 34 56"),
            ("+594 694 12 34 56", "+594694123456", "06 94 12 34 56"),
            ("0696 12 34 56", "+596696123456", "06 96 12 34 56"),
            ("0697 12 34 56", "+596697123456", "06 97 12 34 56"),
            ("+596 696 12 34 56", "+596696123456", "06 96 12 34 56"),
            ("0692 12 34 56", "+262692123456", "06 92 12 34 56"),
            ("0693 12 34 56", "+262693123456", "06 93 12 34 56"),
            ("+262 692 12 34 56", "+262692123456", "06 92 12 34 56"),
            ("0639 12 34 56", "+262639123456", "06 39 12 34 56"),
            ("+262 639 12 34 56", "+262639123456", "06 39 12 34 56"),
            ("00262639123456", "+262639123456", "06 39 12 34 56"),
        ] {
            let phone = MobilePhone::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(phone.as_e164(), expected, "{input}");
            assert_eq!(phone.display_national(), national, "{input}");
        }
    }

    #[test]
    fn rejects_landlines_foreign_and_malformed_numbers() {
        for (input, expected) in [
            ("", MobilePhoneError::Missing),
            ("06 12 34 56", MobilePhoneError::Format),
            ("06 12 34 56 78 9", MobilePhoneError::Format),
            ("6 12 34 56 78", MobilePhoneError::Format),
            ("06 12 34 56 7a", MobilePhoneError::Format),
            ("+33 00 12 34 56 78", MobilePhoneError::Format),
            ("01 23 45 67 89", MobilePhoneError::NotMobile),
            ("09 87 65 43 21", MobilePhoneError::NotMobile),
            ("08 00 12 34 56", MobilePhoneError::NotMobile),
            ("0590 12 34 56", MobilePhoneError::NotMobile),
            ("0262 12 34 56", MobilePhoneError::NotMobile),
            ("0269 61 23 45", MobilePhoneError::NotMobile),
            ("+262 262 12 34 56", MobilePhoneError::NotMobile),
            ("+32 470 12 34 56", MobilePhoneError::Foreign),
            ("0041 79 123 45 67", MobilePhoneError::Foreign),
            (
                "+262 690 12 34 56",
                MobilePhoneError::WrongCountryCode("262"),
            ),
            (
                "+596 612 34 56 78",
                MobilePhoneError::WrongCountryCode("596"),
            ),
        ] {
            let error = MobilePhone::parse(input).expect_err(input);
            assert_eq!(error, expected, "{input}");
            assert_french_message(&error.to_string());
        }
        assert!(MobilePhoneError::NotMobile.to_string().contains("e-CPS"));
    }

    #[test]
    fn serde_goes_through_parse() -> Result<(), serde_json::Error> {
        assert_eq!(
            serde_json::from_str::<MobilePhone>(r#""06 12 34 56 78""#)?.as_e164(),
            "+33612345678"
        );
        assert_eq!(
            serde_json::from_str::<Email>(r#""a@B.fr""#)?.as_str(),
            "a@b.fr"
        );
        assert!(serde_json::from_str::<Email>(r#""a""#).is_err());
        Ok(())
    }

    prop_compose! {
        /// A national number (9 digits after the trunk 0) of any French mobile range, and its
        /// country code.
        fn mobile()(prefix in prop::sample::select(vec![
            ("6", "33"), ("7", "33"), ("690", "590"), ("691", "590"), ("694", "594"), ("696", "596"),
            ("697", "596"), ("692", "262"), ("693", "262"), ("639", "262"),
        ]), tail in "[0-9]{8}") -> (String, &'static str) {
            let national = format!("{}{}", prefix.0, &tail[..9 - prefix.0.len()]);
            (national, prefix.1)
        }
    }

    proptest! {
        #[test]
        fn every_format_of_a_mobile_gives_the_same_e164((national, code) in mobile()) {
            // A metropolitan draw that fell in an overseas range belongs to that range's code.
            prop_assume!(mobile_country_code(&national) == Some(code));
            let expected = format!("+{code}{national}");
            let trunk = format!("0{national}");
            let pairs: Vec<&str> = (0..10).step_by(2).filter_map(|i| trunk.get(i..i + 2)).collect();
            for input in [
                trunk.clone(),
                pairs.join(" "),
                pairs.join("."),
                pairs.join("-"),
                format!("+33{national}"),
                format!("+33 (0){national}"),
                format!("0033 {}", pairs.join(" ")),
                format!("+{code} {national}"),
                format!("00{code}{national}"),
            ] {
                let phone = MobilePhone::parse(&input);
                prop_assert_eq!(phone.as_ref().map(MobilePhone::as_e164), Ok(expected.as_str()), "{}", input);
                prop_assert_eq!(phone.map(|p| p.display_national()), Ok(pairs.join(" ")));
            }
        }

        #[test]
        fn valid_emails_round_trip(
            local in "[a-z0-9]([a-z0-9._+-]{0,20}[a-z0-9])?",
            domain in "[a-z0-9]{1,10}(-[a-z0-9]{1,5})?",
            tld in "[a-z]{2,6}",
        ) {
            prop_assume!(!local.contains(".."));
            let email = format!("{local}@{domain}.{tld}");
            prop_assert_eq!(Email::parse(&email).map(String::from), Ok(email));
        }
    }
}
