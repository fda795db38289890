//! Noms (de naissance, d'exercice) and prénoms, with the character rules of the ANS identity API.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldErrors;
use crate::string_form;
use crate::text::{self, is_name_letter};

/// The ANS identity API's limit.
pub const MAX_NAME_CHARS: usize = 300;

/// Which name a message is about, so that it can name the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameField {
    Nom,
    NomNaissance,
    NomExercice,
    /// A first name of the list, by its 0-based position.
    Prenom(usize),
    PrenomExercice,
}

impl NameField {
    fn subject(self) -> String {
        match self {
            NameField::Nom => "Le nom".to_owned(),
            NameField::NomNaissance => "Le nom de naissance".to_owned(),
            NameField::NomExercice => "Le nom d'exercice".to_owned(),
            NameField::Prenom(0) => "Le premier prénom".to_owned(),
            NameField::Prenom(i) => format!("Le {}e prénom", i + 1),
            NameField::PrenomExercice => "Le prénom d'exercice".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameErrorKind {
    Empty,
    TooLong,
    ControlCharacter,
    Character(char),
    NoLetter,
    MisplacedPunctuation,
}

/// A name that cannot be accepted, with the field it was meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameError {
    pub field: NameField,
    pub kind: NameErrorKind,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subject = self.field.subject();
        match self.kind {
            NameErrorKind::Empty => write!(f, "{subject} est obligatoire."),
            NameErrorKind::TooLong => write!(
                f,
                "{subject} ne doit pas dépasser {MAX_NAME_CHARS} caractères."
            ),
            NameErrorKind::ControlCharacter => write!(
                f,
                "{subject} contient un caractère invisible (tabulation, retour à la ligne…) : \
                 saisissez-le sur une seule ligne."
            ),
            NameErrorKind::Character(c) => write!(
                f,
                "{subject} contient le caractère « {c} », qui n'est pas accepté : seuls les \
                 lettres (accents et ligatures compris), l'espace, le trait d'union et \
                 l'apostrophe le sont."
            ),
            NameErrorKind::NoLetter => write!(f, "{subject} doit contenir au moins une lettre."),
            NameErrorKind::MisplacedPunctuation => write!(
                f,
                "{subject} ne peut ni commencer ni finir par un trait d'union ou une apostrophe, \
                 ni en contenir deux à la suite (par exemple « Jean-Pierre », « N'Diaye »)."
            ),
        }
    }
}

impl std::error::Error for NameError {}

/// A nom de naissance, nom d'exercice or single prénom: letters (accents and ligatures included),
/// spaces, hyphens and apostrophes; trimmed, inner spaces collapsed, ’ turned into ', case kept as
/// typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    /// Parses a name, with messages about "le nom".
    pub fn parse(s: &str) -> Result<Self, NameError> {
        Self::parse_field(s, NameField::Nom)
    }

    /// Parses a name, with messages naming `field`.
    pub fn parse_field(s: &str, field: NameField) -> Result<Self, NameError> {
        let error = |kind| NameError { field, kind };
        let name = text::clean(s).map_err(|_| error(NameErrorKind::ControlCharacter))?;
        if name.is_empty() {
            return Err(error(NameErrorKind::Empty));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(error(NameErrorKind::TooLong));
        }
        if let Some(c) = name
            .chars()
            .find(|&c| !is_name_letter(c) && !is_separator(c))
        {
            return Err(error(NameErrorKind::Character(c)));
        }
        if !name.chars().any(is_name_letter) {
            return Err(error(NameErrorKind::NoLetter));
        }
        // Every separator sits between two letters: rules out lone, leading, trailing and doubled
        // punctuation.
        let chars: Vec<char> = name.chars().collect();
        let lone = chars.iter().enumerate().any(|(i, &c)| {
            is_separator(c)
                && c != ' '
                && !(i > 0
                    && is_name_letter(chars[i - 1])
                    && chars.get(i + 1).is_some_and(|&n| is_name_letter(n)))
        });
        if lone {
            return Err(error(NameErrorKind::MisplacedPunctuation));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '\'')
}

string_form!(PersonName, NameError, as_str);

/// All first names, in civil-registry order; the first is the usual one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Prenoms(Vec<PersonName>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrenomsError {
    #[error("Indiquez au moins un prénom (tous les prénoms de l'état civil, dans l'ordre).")]
    Empty,
    /// The invalid first names, by 0-based position.
    #[error("{}", .0.iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join(" "))]
    Invalid(Vec<(usize, NameError)>),
}

impl PrenomsError {
    /// Errors keyed `"{field}"` (no first name) or `"{field}.{position}"`, for the form and the
    /// API.
    pub fn into_field_errors(self, field: &str) -> crate::FieldErrors {
        let mut errors = crate::FieldErrors::new();
        match self {
            PrenomsError::Empty => errors.add(field, PrenomsError::Empty.to_string()),
            PrenomsError::Invalid(list) => {
                for (i, e) in list {
                    errors.add(format!("{field}.{i}"), e.to_string());
                }
            }
        }
        errors
    }
}

impl Prenoms {
    /// One entry per first name (an entry may itself hold a space, as some civil registries
    /// record).
    pub fn parse_list<S: AsRef<str>>(list: &[S]) -> Result<Self, PrenomsError> {
        if list.iter().all(|s| s.as_ref().trim().is_empty()) {
            return Err(PrenomsError::Empty);
        }
        let mut names = Vec::with_capacity(list.len());
        let mut errors = Vec::new();
        for (i, s) in list.iter().enumerate() {
            match PersonName::parse_field(s.as_ref(), NameField::Prenom(i)) {
                Ok(name) => names.push(name),
                Err(e) => errors.push((i, e)),
            }
        }
        if errors.is_empty() {
            Ok(Self(names))
        } else {
            Err(PrenomsError::Invalid(errors))
        }
    }

    /// First names separated by spaces or commas, as FranceConnect's `given_name` gives them.
    pub fn parse_joined(s: &str) -> Result<Self, PrenomsError> {
        let list: Vec<&str> = s
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .collect();
        Self::parse_list(&list)
    }

    /// The usual first name (the first one).
    pub fn usual(&self) -> &PersonName {
        // Never empty: `parse_list` refuses an empty list.
        &self.0[0]
    }

    pub fn as_slice(&self) -> &[PersonName] {
        &self.0
    }

    /// All first names separated by a space.
    pub fn joined(&self) -> String {
        self.0
            .iter()
            .map(PersonName::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl TryFrom<Vec<String>> for Prenoms {
    type Error = PrenomsError;
    fn try_from(list: Vec<String>) -> Result<Self, PrenomsError> {
        Self::parse_list(&list)
    }
}

impl From<Prenoms> for Vec<String> {
    fn from(prenoms: Prenoms) -> Self {
        prenoms.0.into_iter().map(PersonName::into_inner).collect()
    }
}

impl fmt::Display for Prenoms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.joined())
    }
}

/// The nom and prénom d'exercice changed together (by a gestionnaire, or by the professional): both checked, each
/// error under its field (`nom_exercice`, `prenom_exercice`).
pub fn parse_exercice(nom: &str, prenom: &str) -> Result<(PersonName, PersonName), FieldErrors> {
    let mut errors = FieldErrors::new();
    let nom = errors.capture(
        "nom_exercice",
        PersonName::parse_field(nom, NameField::NomExercice),
    );
    let prenom = errors.capture(
        "prenom_exercice",
        PersonName::parse_field(prenom, NameField::PrenomExercice),
    );
    match (nom, prenom) {
        (Some(nom), Some(prenom)) => Ok((nom, prenom)),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_french_message;
    use proptest::prelude::*;

    #[test]
    fn exercice_names_are_checked_together_each_under_its_field() {
        let (nom, prenom) = parse_exercice("  Le Goff ", "Awa").expect("valid");
        assert_eq!((nom.as_str(), prenom.as_str()), ("Le Goff", "Awa"));
        let errors = parse_exercice("", "").expect_err("both empty");
        let fields: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["nom_exercice", "prenom_exercice"]);
        let errors = parse_exercice("Martin", "A1").expect_err("a digit");
        assert_eq!(errors.iter().count(), 1);
    }

    #[test]
    fn accepts_and_normalises_valid_names() {
        for (input, expected) in [
            ("Dupont", "Dupont"),
            ("  Le   Goff  ", "Le Goff"),
            ("N’Diaye", "N'Diaye"),
            ("d'Artagnan", "d'Artagnan"),
            ("Jean-Pierre", "Jean-Pierre"),
            ("ÉLÉONORE", "ÉLÉONORE"),
            ("Lætitia", "Lætitia"),
            ("Cœur-Brûlé", "Cœur-Brûlé"),
            ("Müller", "Müller"),
            ("Núñez García", "Núñez García"),
            ("Wałęsa", "Wałęsa"),
            ("E\u{301}milie", "Émilie"),
            ("Y", "Y"),
            ("de la Tour d'Auvergne", "de la Tour d'Auvergne"),
        ] {
            assert_eq!(
                PersonName::parse(input).map(PersonName::into_inner),
                Ok(expected.to_owned()),
                "{input:?}"
            );
        }
    }

    #[test]
    fn rejects_invalid_names_with_the_reason() {
        let long = "a".repeat(MAX_NAME_CHARS + 1);
        for (input, kind) in [
            ("", NameErrorKind::Empty),
            ("   ", NameErrorKind::Empty),
            (long.as_str(), NameErrorKind::TooLong),
            ("Jean\nPierre", NameErrorKind::ControlCharacter),
            ("Dupont\t", NameErrorKind::ControlCharacter),
            ("Dupont2", NameErrorKind::Character('2')),
            ("Dupont.", NameErrorKind::Character('.')),
            ("Иванов", NameErrorKind::Character('И')),
            ("J@ne", NameErrorKind::Character('@')),
            ("-", NameErrorKind::NoLetter),
            ("' -", NameErrorKind::NoLetter),
            ("-Dupont", NameErrorKind::MisplacedPunctuation),
            ("Dupont-", NameErrorKind::MisplacedPunctuation),
            ("Jean--Pierre", NameErrorKind::MisplacedPunctuation),
            ("Jean -Pierre", NameErrorKind::MisplacedPunctuation),
            ("Dupont - Martin", NameErrorKind::MisplacedPunctuation),
            ("O''Neil", NameErrorKind::MisplacedPunctuation),
            ("D'", NameErrorKind::MisplacedPunctuation),
        ] {
            let error = PersonName::parse(input).expect_err(input);
            assert_eq!(error.kind, kind, "{input:?}");
            assert_french_message(&error.to_string());
        }
    }

    #[test]
    fn messages_name_the_field() {
        let error = |field| PersonName::parse_field("", field).map_err(|e| e.to_string());
        assert_eq!(
            error(NameField::NomNaissance),
            Err("Le nom de naissance est obligatoire.".to_owned())
        );
        assert_eq!(
            error(NameField::Prenom(0)),
            Err("Le premier prénom est obligatoire.".to_owned())
        );
        assert_eq!(
            error(NameField::Prenom(2)),
            Err("Le 3e prénom est obligatoire.".to_owned())
        );
        assert_eq!(
            error(NameField::PrenomExercice),
            Err("Le prénom d'exercice est obligatoire.".to_owned())
        );
    }

    #[test]
    fn prenoms_keep_their_order_and_the_first_is_usual() -> Result<(), PrenomsError> {
        let prenoms = Prenoms::parse_list(&["Marie", " Anne ", "Élise-Jeanne"])?;
        assert_eq!(prenoms.usual().as_str(), "Marie");
        assert_eq!(prenoms.joined(), "Marie Anne Élise-Jeanne");
        assert_eq!(Prenoms::parse_joined("Marie  Anne,Élise-Jeanne")?, prenoms);
        assert_eq!(prenoms.as_slice().len(), 3);
        Ok(())
    }

    #[test]
    fn prenoms_report_every_invalid_entry_by_position() {
        assert_eq!(Prenoms::parse_list::<&str>(&[]), Err(PrenomsError::Empty));
        assert_eq!(Prenoms::parse_list(&["", " "]), Err(PrenomsError::Empty));
        assert_eq!(Prenoms::parse_joined(" , "), Err(PrenomsError::Empty));
        let error = Prenoms::parse_list(&["Marie", "", "Ann3"]).expect_err("two invalid");
        let fields = error.into_field_errors("prenoms");
        assert_eq!(
            fields.get("prenoms.1"),
            Some(&["Le 2e prénom est obligatoire.".to_owned()][..])
        );
        assert!(fields.contains("prenoms.2"));
        assert_eq!(fields.len(), 2);
        for (_, messages) in fields.iter() {
            messages.iter().for_each(|m| assert_french_message(m));
        }
    }

    #[test]
    fn serde_validates() -> Result<(), serde_json::Error> {
        let prenoms: Prenoms = serde_json::from_str(r#"["Jean’Luc", "Paul"]"#)?;
        assert_eq!(serde_json::to_string(&prenoms)?, r#"["Jean'Luc","Paul"]"#);
        assert!(serde_json::from_str::<Prenoms>("[]").is_err());
        assert!(serde_json::from_str::<PersonName>(r#""--""#).is_err());
        Ok(())
    }

    const WORD: &str = "[A-Za-zàâäçéèêëîïôöùûüÿæœÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ]{1,12}";

    prop_compose! {
        /// Words joined by single separators: the valid space, in its normal form.
        fn valid_name()(
            words in prop::collection::vec(WORD, 1..5),
            seps in prop::collection::vec("[ '-]", 4),
        ) -> String {
            let mut name = String::new();
            for (i, word) in words.iter().enumerate() {
                if i > 0 {
                    name.push_str(&seps[i - 1]);
                }
                name.push_str(word);
            }
            name
        }
    }

    proptest! {
        #[test]
        fn valid_names_round_trip(name in valid_name()) {
            let parsed = PersonName::parse(&name);
            prop_assert_eq!(parsed.as_ref().map(PersonName::as_str), Ok(name.as_str()));
            let padded = format!("  {}  ", name.replace(' ', "   ").replace('\'', "’"));
            prop_assert_eq!(PersonName::parse(&padded), parsed);
        }

        #[test]
        fn valid_prenoms_round_trip(list in prop::collection::vec(valid_name(), 1..4)) {
            let prenoms = Prenoms::parse_list(&list);
            prop_assert_eq!(prenoms.map(Vec::<String>::from), Ok(list));
        }
    }
}
