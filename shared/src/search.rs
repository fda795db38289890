//! The rule of the search boxes (structures, communes, pays): at least 2 letters or digits, at most 100
//! characters, and the French messages that say so. The server answers `422` with them; the app can check the same
//! rule before it asks. Letters and digits are counted as the server's search reads a query ([`words`]): folded
//! (lowercase, no accents; "œ" is "oe"), with spaces and punctuation left out.

use crate::text::fold;

/// Shortest search, in letters or digits.
pub const MIN_QUERY_CHARS: usize = 2;
/// Longest search, in characters (spaces around it aside).
pub const MAX_QUERY_CHARS: usize = 100;

/// Words of a text as searched: folded (lowercase, no accents), split on anything that is not a letter or digit.
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The letters and digits of a text, folded, without anything between them: how names are compared when looking
/// for the same person ("N'Diaye" and "ndiaye", "Le Goff" and "LEGOFF" are equal).
pub fn compact(text: &str) -> String {
    words(text).concat()
}

/// How many letters and digits a search holds, counted as [`words`] reads them.
pub fn searchable_chars(query: &str) -> usize {
    words(query).iter().map(|w| w.chars().count()).sum()
}

/// Why a search cannot be run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryProblem {
    /// More than [`MAX_QUERY_CHARS`] characters.
    TooLong,
    /// Fewer than [`MIN_QUERY_CHARS`] letters or digits.
    TooShort,
}

impl QueryProblem {
    /// The message for the person typing. `what` ends the too-short one with what to type, e.g. "du nom ou du code
    /// INSEE du pays".
    pub fn message(self, what: &str) -> String {
        match self {
            Self::TooLong => {
                format!("La recherche ne doit pas dépasser {MAX_QUERY_CHARS} caractères.")
            }
            Self::TooShort => {
                format!("Saisissez au moins {MIN_QUERY_CHARS} lettres ou chiffres {what}.")
            }
        }
    }
}

/// Checks a search as typed; answers it without the spaces around it.
pub fn check_query(query: &str) -> Result<&str, QueryProblem> {
    let query = query.trim();
    if query.chars().count() > MAX_QUERY_CHARS {
        Err(QueryProblem::TooLong)
    } else if searchable_chars(query) < MIN_QUERY_CHARS {
        Err(QueryProblem::TooShort)
    } else {
        Ok(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_and_split_on_everything_else() {
        assert_eq!(words("  Évry--Courcouronnes "), ["evry", "courcouronnes"]);
        assert_eq!(
            words("N’Diaye (Saint-Denis) 97400"),
            ["n", "diaye", "saint", "denis", "97400"]
        );
        assert!(words("%_ - '").is_empty());
    }

    #[test]
    fn compact_keeps_the_folded_letters_and_digits_only() {
        assert_eq!(compact("N’Diaye"), "ndiaye");
        assert_eq!(compact(" Le Goff-Éloi 2 "), "legoffeloi2");
        assert_eq!(compact("--"), "");
    }

    #[test]
    fn two_letters_or_digits_are_enough_whatever_surrounds_them() {
        for query in ["ab", "  75 ", "a-b", "É1", "l'i", "œ"] {
            assert_eq!(check_query(query), Ok(query.trim()), "{query:?}");
        }
    }

    #[test]
    fn punctuation_and_spaces_do_not_count() {
        for query in ["", "a", "  a  ", "a-", "--", "%_", "' '", "é."] {
            assert_eq!(check_query(query), Err(QueryProblem::TooShort), "{query:?}");
        }
    }

    #[test]
    fn at_most_a_hundred_characters_spaces_around_aside() {
        let hundred = "a".repeat(MAX_QUERY_CHARS);
        assert_eq!(check_query(&hundred), Ok(hundred.as_str()));
        assert_eq!(check_query(&format!("  {hundred}  ")), Ok(hundred.as_str()));
        // Characters, not bytes: 100 "é" are 200 bytes.
        let accented = "é".repeat(MAX_QUERY_CHARS);
        assert_eq!(check_query(&accented), Ok(accented.as_str()));
        assert_eq!(
            check_query(&"a".repeat(MAX_QUERY_CHARS + 1)),
            Err(QueryProblem::TooLong)
        );
    }

    #[test]
    fn the_messages_say_what_to_type() {
        assert_eq!(
            QueryProblem::TooShort.message("du nom ou du code INSEE du pays"),
            "Saisissez au moins 2 lettres ou chiffres du nom ou du code INSEE du pays."
        );
        assert_eq!(
            QueryProblem::TooLong.message("du nom"),
            "La recherche ne doit pas dépasser 100 caractères."
        );
    }
}
