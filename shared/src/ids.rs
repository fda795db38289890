//! Identifiers: FINESS, SIREN, SIRET and RPPS.

use serde::{Deserialize, Serialize};

use crate::string_form;

/// Luhn checksum over ASCII digits (caller guarantees digits only).
fn luhn_sum(digits: &[u8]) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum()
}

fn luhn_valid(digits: &[u8]) -> bool {
    luhn_sum(digits).is_multiple_of(10)
}

/// The digit to append to `payload` to make it Luhn-valid.
fn luhn_check_digit(payload: &[u8]) -> u8 {
    let mut with_zero = payload.to_vec();
    with_zero.push(b'0');
    let sum = luhn_sum(&with_zero);
    ((10 - sum % 10) % 10) as u8
}

/// Removes the spaces people use to group digits (`123 456 789 00012`).
fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

fn all_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// A FINESS number (établissement géographique or entité juridique): 9 characters, the département
/// first (2 digits, or 2A/2B for Corsica), then 7 digits. Its last digit is commonly a Luhn key,
/// but that is observed, not normative: it is reported by [`Finess::has_valid_key`] as a warning
/// and never refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Finess(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FinessError {
    #[error("Le numéro FINESS est obligatoire.")]
    Missing,
    #[error(
        "Le numéro FINESS doit comporter 9 caractères : 2 chiffres du département (ou 2A/2B) puis 7 chiffres."
    )]
    Format,
}

/// The soft warning shown when a FINESS number's key does not match.
pub const FINESS_KEY_WARNING: &str = "La clé de contrôle de ce numéro FINESS ne correspond pas : vérifiez-le (il est tout de même accepté).";

impl Finess {
    pub fn parse(s: &str) -> Result<Self, FinessError> {
        let code = compact(s);
        if code.is_empty() {
            return Err(FinessError::Missing);
        }
        let b = code.as_bytes();
        let departement_ok = match b.get(..2) {
            Some([b'2', b'A' | b'B']) => true,
            Some(d) => d.iter().all(u8::is_ascii_digit) && d != b"00",
            None => false,
        };
        if b.len() != 9 || !departement_ok || !b[2..].iter().all(u8::is_ascii_digit) {
            return Err(FinessError::Format);
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 2-character département prefix (`"75"`, `"2A"`; `"97"` for every overseas département,
    /// which FINESS tells apart by the next two digits).
    pub fn department(&self) -> &str {
        &self.0[..2]
    }

    /// Luhn over the 9 digits; `None` for Corsica (2A/2B), whose key rule is unknown.
    pub fn has_valid_key(&self) -> Option<bool> {
        all_digits(&self.0, 9).then(|| luhn_valid(self.0.as_bytes()))
    }

    /// [`FINESS_KEY_WARNING`] when the key is known not to match.
    pub fn key_warning(&self) -> Option<&'static str> {
        (self.has_valid_key() == Some(false)).then_some(FINESS_KEY_WARNING)
    }
}

string_form!(Finess, FinessError, as_str);

/// A SIREN number: 9 digits with a Luhn key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siren(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SirenError {
    #[error("Le numéro SIREN est obligatoire.")]
    Missing,
    #[error("Le numéro SIREN doit comporter 9 chiffres.")]
    Format,
    #[error(
        "Le numéro SIREN n'est pas valide (sa clé de contrôle ne correspond pas) : vérifiez les chiffres."
    )]
    Key,
}

impl Siren {
    pub fn parse(s: &str) -> Result<Self, SirenError> {
        let code = compact(s);
        if code.is_empty() {
            return Err(SirenError::Missing);
        }
        if !all_digits(&code, 9) {
            return Err(SirenError::Format);
        }
        if !luhn_valid(code.as_bytes()) {
            return Err(SirenError::Key);
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_form!(Siren, SirenError, as_str);

/// La Poste's establishments share one SIREN and use another key rule.
const LA_POSTE_SIREN: &str = "356000000";
const LA_POSTE_HEAD_OFFICE: &str = "35600000000048";

/// A SIRET number: the SIREN then a 5-digit NIC, 14 digits with a Luhn key — except La Poste's
/// establishments (SIREN 356000000, head office excepted), whose digits add up to a multiple of 5.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siret(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiretError {
    #[error("Le numéro SIRET est obligatoire.")]
    Missing,
    #[error("Le numéro SIRET doit comporter 14 chiffres : les 9 du SIREN puis les 5 du NIC.")]
    Format,
    #[error(
        "Le numéro SIRET n'est pas valide (sa clé de contrôle ne correspond pas) : vérifiez les chiffres."
    )]
    Key,
}

impl Siret {
    pub fn parse(s: &str) -> Result<Self, SiretError> {
        let code = compact(s);
        if code.is_empty() {
            return Err(SiretError::Missing);
        }
        if !all_digits(&code, 14) {
            return Err(SiretError::Format);
        }
        let valid = if code.starts_with(LA_POSTE_SIREN) && code != LA_POSTE_HEAD_OFFICE {
            code.bytes()
                .map(|b| u32::from(b - b'0'))
                .sum::<u32>()
                .is_multiple_of(5)
        } else {
            luhn_valid(code.as_bytes())
        };
        if !valid {
            return Err(SiretError::Key);
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn siren(&self) -> Siren {
        // The first 9 digits of a valid SIRET always form a valid SIREN: both rules cover La
        // Poste's.
        Siren(self.0[..9].to_owned())
    }

    pub fn nic(&self) -> &str {
        &self.0[9..]
    }
}

string_form!(Siret, SiretError, as_str);

/// An RPPS number: 11 digits, for life. Any 11 digits are accepted on input, since the Luhn key
/// real numbers are assumed to carry is not confirmed (ANS sample numbers fail it); see
/// [`Rpps::has_valid_key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rpps(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RppsError {
    #[error("Le numéro RPPS est obligatoire.")]
    Missing,
    #[error("Le numéro RPPS doit comporter 11 chiffres, par exemple 10001234567.")]
    Format,
}

/// Sequences `0..RPPS_CAPACITY` can be allocated.
pub const RPPS_CAPACITY: u64 = 1_000_000_000;

impl Rpps {
    pub fn parse(s: &str) -> Result<Self, RppsError> {
        let code = compact(s);
        if code.is_empty() {
            return Err(RppsError::Missing);
        }
        if !all_digits(&code, 11) {
            return Err(RppsError::Format);
        }
        Ok(Self(code))
    }

    /// The number for the `sequence`-th allocation: `1`, the sequence on 9 digits (zero-padded),
    /// then a Luhn key. Distinct sequences give distinct numbers (the key is a function of the
    /// first 10 digits, which encode the sequence); every number starts with 1 like real RPPS
    /// numbers. `None` once the 10⁹ sequences are used up.
    pub fn allocate(sequence: u64) -> Option<Self> {
        if sequence >= RPPS_CAPACITY {
            return None;
        }
        let mut digits = format!("1{sequence:09}");
        let key = luhn_check_digit(digits.as_bytes());
        digits.push(char::from(b'0' + key));
        Some(Self(digits))
    }

    /// Like [`Rpps::allocate`] with another first digit: `prefix_digit` (0–9), the sequence on 9 digits, then
    /// a Luhn key. A prefix other than 1 keeps allocated numbers apart from real RPPS numbers (which start
    /// with 1). `None` for a prefix above 9 or once the 10⁹ sequences are used up.
    pub fn allocate_in(prefix_digit: u8, sequence: u64) -> Option<Self> {
        if prefix_digit > 9 || sequence >= RPPS_CAPACITY {
            return None;
        }
        let mut digits = format!("{prefix_digit}{sequence:09}");
        let key = luhn_check_digit(digits.as_bytes());
        digits.push(char::from(b'0' + key));
        Some(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the number passes the Luhn check (all allocated numbers do).
    pub fn has_valid_key(&self) -> bool {
        luhn_valid(self.0.as_bytes())
    }

    /// IdNat_PS, the national identifier: `8` followed by the RPPS number.
    pub fn idnat_ps(&self) -> String {
        format!("8{}", self.0)
    }
}

string_form!(Rpps, RppsError, as_str);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_french_message;
    use proptest::prelude::*;

    #[test]
    fn numbers_allocated_in_another_range_keep_their_prefix_and_key() {
        let first = Rpps::allocate_in(9, 0).expect("first");
        assert_eq!(first.as_str().len(), 11);
        assert!(first.as_str().starts_with("9000000000"));
        assert!(first.has_valid_key());
        assert_eq!(Rpps::allocate_in(1, 42), Rpps::allocate(42));
        assert_ne!(Rpps::allocate_in(9, 1), Rpps::allocate_in(9, 2));
        assert!(Rpps::allocate_in(10, 0).is_none());
        assert!(Rpps::allocate_in(9, RPPS_CAPACITY).is_none());
    }

    #[test]
    fn luhn_check_digits() {
        assert!(luhn_valid(b"79927398713"));
        assert!(!luhn_valid(b"79927398710"));
        assert_eq!(luhn_check_digit(b"7992739871"), 3);
    }

    #[test]
    fn finess_numbers() {
        for (input, expected, departement, key) in [
            ("750000523", "750000523", "75", Some(true)),
            ("75 000 0523", "750000523", "75", Some(true)),
            ("750000524", "750000524", "75", Some(false)),
            ("2a0000013", "2A0000013", "2A", None),
            ("2B0000013", "2B0000013", "2B", None),
            ("970100012", "970100012", "97", Some(true)),
        ] {
            let finess = Finess::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(finess.as_str(), expected);
            assert_eq!(finess.department(), departement, "{input}");
            assert_eq!(finess.has_valid_key(), key, "{input}");
            assert_eq!(finess.key_warning().is_some(), key == Some(false));
        }
        for (input, expected) in [
            ("", FinessError::Missing),
            ("75000052", FinessError::Format),
            ("7500005231", FinessError::Format),
            ("2C0000013", FinessError::Format),
            ("3A0000013", FinessError::Format),
            ("75000052A", FinessError::Format),
            ("000000018", FinessError::Format),
        ] {
            let error = Finess::parse(input).expect_err(input);
            assert_eq!(error, expected, "{input}");
            assert_french_message(&error.to_string());
        }
        assert_french_message(FINESS_KEY_WARNING);
    }

    #[test]
    fn siren_and_siret_numbers() -> Result<(), SiretError> {
        assert_eq!(
            Siren::parse("732 829 320").map(String::from),
            Ok("732829320".to_owned())
        );
        assert_eq!(
            Siren::parse("356000000").map(String::from),
            Ok("356000000".to_owned())
        );
        for (input, expected) in [
            ("", SirenError::Missing),
            ("73282932", SirenError::Format),
            ("73282932A", SirenError::Format),
            ("732829321", SirenError::Key),
        ] {
            let error = Siren::parse(input).expect_err(input);
            assert_eq!(error, expected, "{input}");
            assert_french_message(&error.to_string());
        }
        let siret = Siret::parse("732 829 320 00074")?;
        assert_eq!(
            (siret.siren().as_str(), siret.nic()),
            ("732829320", "00074")
        );
        // La Poste: head office by Luhn, establishments by digit sum.
        assert!(Siret::parse(LA_POSTE_HEAD_OFFICE).is_ok());
        assert!(Siret::parse("35600000000055").is_err());
        assert!(Siret::parse("35600000049837").is_ok());
        assert_eq!(
            Siret::parse("35600000049837")?.siren().as_str(),
            LA_POSTE_SIREN
        );
        for (input, expected) in [
            ("", SiretError::Missing),
            ("7328293200007", SiretError::Format),
            ("73282932000074a", SiretError::Format),
            ("73282932000075", SiretError::Key),
            ("35600000049838", SiretError::Key),
        ] {
            let error = Siret::parse(input).expect_err(input);
            assert_eq!(error, expected, "{input}");
            assert_french_message(&error.to_string());
        }
        Ok(())
    }

    #[test]
    fn rpps_numbers() -> Result<(), RppsError> {
        let rpps = Rpps::parse(" 10003456789 ")?;
        assert_eq!(rpps.as_str(), "10003456789");
        assert_eq!(rpps.idnat_ps(), "810003456789");
        // Any 11 digits are accepted, whatever their key.
        assert!(Rpps::parse("10000000001").is_ok_and(|r| !r.has_valid_key()));
        for (input, expected) in [
            ("", RppsError::Missing),
            ("1000345678", RppsError::Format),
            ("1000345678a", RppsError::Format),
        ] {
            let error = Rpps::parse(input).expect_err(input);
            assert_eq!(error, expected, "{input}");
            assert_french_message(&error.to_string());
        }
        assert_eq!(
            Rpps::allocate(0).map(String::from),
            Some("10000000009".to_owned())
        );
        assert_eq!(
            Rpps::allocate(RPPS_CAPACITY - 1).map(|r| r.as_str()[..10].to_owned()),
            Some("1999999999".to_owned())
        );
        assert_eq!(Rpps::allocate(RPPS_CAPACITY), None);
        Ok(())
    }

    proptest! {
        #[test]
        fn allocated_rpps_numbers_are_valid_and_distinct(a in 0..RPPS_CAPACITY, b in 0..RPPS_CAPACITY) {
            let (ra, rb) = (Rpps::allocate(a), Rpps::allocate(b));
            prop_assert!(ra.as_ref().is_some_and(|r| r.has_valid_key() && r.as_str().starts_with('1')));
            prop_assert_eq!(Rpps::parse(ra.as_ref().map_or("", Rpps::as_str)).ok(), ra.clone());
            prop_assert_eq!(a == b, ra == rb);
        }

        #[test]
        fn luhn_completed_sirens_and_sirets_are_accepted(payload in "[0-9]{8}", nic in "[0-9]{4}") {
            let siren = format!("{payload}{}", luhn_check_digit(payload.as_bytes()));
            prop_assert!(Siren::parse(&siren).is_ok());
            let body = format!("{siren}{nic}");
            prop_assume!(!body.starts_with(LA_POSTE_SIREN));
            let siret = format!("{body}{}", luhn_check_digit(body.as_bytes()));
            prop_assert_eq!(Siret::parse(&siret).map(|s| s.siren()).ok(), Siren::parse(&siren).ok());
        }

        #[test]
        fn any_well_formed_finess_is_accepted(dept in "(0[1-9]|[1-9][0-9]|2A|2B)", rest in "[0-9]{7}") {
            let code = format!("{dept}{rest}");
            prop_assert_eq!(Finess::parse(&code).map(String::from), Ok(code));
        }

        #[test]
        fn any_eleven_digits_are_an_rpps(code in "[0-9]{11}") {
            prop_assert_eq!(Rpps::parse(&code).map(String::from), Ok(code));
        }
    }
}
