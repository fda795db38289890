//! Hand-written Latin letter table shared by name validation, normalisation and search folding.
//!
//! No Unicode normalisation crate: the app ships to phones. The table covers the French alphabet
//! (accents, cedilla, ligatures) and the Latin letters common in names of people born abroad; every
//! letter in it folds to ASCII.

const GRAVE: char = '\u{300}';
const ACUTE: char = '\u{301}';
const CIRCUMFLEX: char = '\u{302}';
const TILDE: char = '\u{303}';
const MACRON: char = '\u{304}';
const BREVE: char = '\u{306}';
const DOT_ABOVE: char = '\u{307}';
const DIAERESIS: char = '\u{308}';
const RING: char = '\u{30A}';
const DOUBLE_ACUTE: char = '\u{30B}';
const CARON: char = '\u{30C}';
const COMMA_BELOW: char = '\u{326}';
const CEDILLA: char = '\u{327}';
const OGONEK: char = '\u{328}';

/// Lower-case precomposed letter, its ASCII base, and the combining mark that composes it (for NFD
/// input such as macOS or some Android keyboards produce).
const ACCENTED: &[(char, &str, char)] = &[
    ('à', "a", GRAVE),
    ('á', "a", ACUTE),
    ('â', "a", CIRCUMFLEX),
    ('ã', "a", TILDE),
    ('ä', "a", DIAERESIS),
    ('å', "a", RING),
    ('ā', "a", MACRON),
    ('ă', "a", BREVE),
    ('ą', "a", OGONEK),
    ('ç', "c", CEDILLA),
    ('ć', "c", ACUTE),
    ('č', "c", CARON),
    ('ď', "d", CARON),
    ('è', "e", GRAVE),
    ('é', "e", ACUTE),
    ('ê', "e", CIRCUMFLEX),
    ('ë', "e", DIAERESIS),
    ('ē', "e", MACRON),
    ('ė', "e", DOT_ABOVE),
    ('ę', "e", OGONEK),
    ('ě', "e", CARON),
    ('ğ', "g", BREVE),
    ('ì', "i", GRAVE),
    ('í', "i", ACUTE),
    ('î', "i", CIRCUMFLEX),
    ('ï', "i", DIAERESIS),
    ('ī', "i", MACRON),
    ('į', "i", OGONEK),
    ('ľ', "l", CARON),
    ('ñ', "n", TILDE),
    ('ń', "n", ACUTE),
    ('ň', "n", CARON),
    ('ò', "o", GRAVE),
    ('ó', "o", ACUTE),
    ('ô', "o", CIRCUMFLEX),
    ('õ', "o", TILDE),
    ('ö', "o", DIAERESIS),
    ('ō', "o", MACRON),
    ('ő', "o", DOUBLE_ACUTE),
    ('ř', "r", CARON),
    ('ś', "s", ACUTE),
    ('š', "s", CARON),
    ('ş', "s", CEDILLA),
    ('ș', "s", COMMA_BELOW),
    ('ť', "t", CARON),
    ('ţ', "t", CEDILLA),
    ('ț', "t", COMMA_BELOW),
    ('ù', "u", GRAVE),
    ('ú', "u", ACUTE),
    ('û', "u", CIRCUMFLEX),
    ('ü', "u", DIAERESIS),
    ('ū', "u", MACRON),
    ('ů', "u", RING),
    ('ű', "u", DOUBLE_ACUTE),
    ('ų', "u", OGONEK),
    ('ý', "y", ACUTE),
    ('ÿ', "y", DIAERESIS),
    ('ź', "z", ACUTE),
    ('ż', "z", DOT_ABOVE),
    ('ž', "z", CARON),
];

/// Lower-case letters without a combining decomposition: ligatures and letters with a stroke.
const SPECIAL: &[(char, &str)] = &[
    ('æ', "ae"),
    ('œ', "oe"),
    ('ß', "ss"),
    ('ø', "o"),
    ('ł', "l"),
    ('đ', "d"),
    ('ð', "d"),
    ('þ', "th"),
    ('ı', "i"),
];

fn is_combining_mark(c: char) -> bool {
    ('\u{300}'..='\u{36F}').contains(&c)
}

/// ASCII folding of one lower-case letter, if the table knows it.
fn fold_lower(c: char) -> Option<&'static str> {
    ACCENTED
        .iter()
        .find(|(l, _, _)| *l == c)
        .map(|(_, base, _)| *base)
        .or_else(|| SPECIAL.iter().find(|(l, _)| *l == c).map(|(_, f)| *f))
}

/// Unicode case mapping of text that is not all ASCII. Natively the standard library's; in the browser the
/// JavaScript engine's (`String.prototype.toLowerCase` / `toUpperCase`, the same Unicode default case rules,
/// including final sigma for a whole string), so that the app does not ship the standard library's two case
/// tables (~24 kB of the form's download). ASCII never leaves Rust.
#[cfg(not(target_arch = "wasm32"))]
fn unicode_case(s: &str, upper: bool) -> String {
    if upper {
        s.to_uppercase()
    } else {
        s.to_lowercase()
    }
}

#[cfg(target_arch = "wasm32")]
fn unicode_case(s: &str, upper: bool) -> String {
    let s = js_sys::JsString::from(s);
    String::from(if upper {
        s.to_upper_case()
    } else {
        s.to_lower_case()
    })
}

/// `s.to_lowercase()`, without the standard library's case tables in the browser (see `unicode_case`).
pub fn lowercase(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        unicode_case(s, false)
    }
}

/// Appends `c.to_lowercase()` to `out` (one character at a time: no final-sigma context, as `char::to_lowercase`).
fn push_lower(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else {
        out.push_str(&unicode_case(c.encode_utf8(&mut [0; 4]), false));
    }
}

/// The single character `c` maps to (lower or upper case), when the mapping does not expand it.
fn single_case(c: char, upper: bool) -> Option<char> {
    if c.is_ascii() {
        return Some(if upper {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
    }
    let mapped = unicode_case(c.encode_utf8(&mut [0; 4]), upper);
    let mut chars = mapped.chars();
    match (chars.next(), chars.next()) {
        (Some(m), None) => Some(m),
        _ => None,
    }
}

/// The single lower-case form of `c`, when lower-casing does not expand it.
fn single_lower(c: char) -> Option<char> {
    single_case(c, false)
}

/// A letter accepted in names: ASCII or one of the table's letters, in either case.
pub(crate) fn is_name_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || single_lower(c).is_some_and(|l| fold_lower(l).is_some())
}

/// Composes `base` + combining `mark` into the precomposed letter, keeping the case of `base`.
fn compose(base: char, mark: char) -> Option<char> {
    let lower = single_lower(base)?;
    let (composed, _, _) = ACCENTED
        .iter()
        .find(|(_, b, m)| *m == mark && b.chars().eq(std::iter::once(lower)))?;
    if base.is_uppercase() {
        single_case(*composed, true)
    } else {
        Some(*composed)
    }
}

/// Lower-cases and strips French accents and ligatures (`"Éléonore Cœur"` → `"eleonore coeur"`);
/// typographic apostrophes become `'`. Idempotent. Used by every accent-insensitive search, on the
/// client and on the server.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut lower = String::with_capacity(s.len());
    for c in s.chars() {
        push_lower(c, &mut lower);
    }
    for c in lower.chars() {
        if is_combining_mark(c) {
            continue;
        }
        match fold_lower(c) {
            Some(ascii) => out.push_str(ascii),
            None => out.push(normalise_punctuation(c)),
        }
    }
    out
}

/// Typographic apostrophes and hyphens as typed by phone keyboards, mapped to their ASCII forms.
pub(crate) fn normalise_punctuation(c: char) -> char {
    match c {
        '\u{2019}' | '\u{2018}' | '\u{2BC}' => '\'',
        '\u{2010}' | '\u{2011}' | '\u{2013}' => '-',
        other => other,
    }
}

/// Found a control character (tab, line break, NUL…) that no form field should carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ControlChar;

/// Composes combining marks, maps typographic apostrophes and hyphens, turns any Unicode space into
/// a plain space, trims and collapses runs of spaces. Case is kept.
pub(crate) fn clean(s: &str) -> Result<String, ControlChar> {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_control() {
            return Err(ControlChar);
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if is_combining_mark(c)
            && !pending_space
            && let Some(composed) = out.chars().next_back().and_then(|prev| compose(prev, c))
        {
            out.pop();
            out.push(composed);
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(normalise_punctuation(c));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fold_strips_accents_and_ligatures() {
        for (input, expected) in [
            ("Éléonore", "eleonore"),
            ("CŒUR", "coeur"),
            ("Lætitia", "laetitia"),
            ("Ça été", "ca ete"),
            ("Noël Ÿvé", "noel yve"),
            ("l’accueil", "l'accueil"),
            ("E\u{301}mile", "emile"),
            ("Łódź", "lodz"),
            ("Straße", "strasse"),
            ("déjà-vu 42", "deja-vu 42"),
        ] {
            assert_eq!(fold(input), expected, "{input}");
        }
    }

    #[test]
    fn clean_normalises_spacing_marks_and_apostrophes() {
        for (input, expected) in [
            ("  Le   Goff ", "Le Goff"),
            ("O’Neil", "O'Neil"),
            ("E\u{301}mile", "Émile"),
            ("Jose\u{301}", "José"),
            ("A\u{308}lbert", "Älbert"),
            ("Marie\u{a0}Anne", "Marie Anne"),
            ("Jean\u{2011}Pierre", "Jean-Pierre"),
        ] {
            assert_eq!(clean(input), Ok(expected.to_owned()), "{input:?}");
        }
        assert_eq!(clean("Jean\tPierre"), Err(ControlChar));
        assert_eq!(clean("Jean\u{0}"), Err(ControlChar));
    }

    #[test]
    fn every_table_letter_is_a_name_letter_in_both_cases() {
        for (l, _, _) in ACCENTED {
            assert!(is_name_letter(*l), "{l}");
            let upper: String = l.to_uppercase().collect();
            assert!(upper.chars().all(is_name_letter), "{upper}");
        }
        for (l, _) in SPECIAL {
            assert!(is_name_letter(*l), "{l}");
        }
        for c in ['1', '-', '\'', ' ', '.', 'ж', '中', '\u{301}'] {
            assert!(!is_name_letter(c), "{c}");
        }
    }

    #[test]
    fn composition_matches_the_precomposed_letters() {
        for (l, base, mark) in ACCENTED {
            let decomposed: String = [base.chars().next().unwrap_or('?'), *mark].iter().collect();
            assert_eq!(clean(&decomposed), Ok(l.to_string()));
        }
    }

    #[test]
    fn case_helpers_agree_with_the_standard_library_for_every_character() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let mut pushed = String::new();
            push_lower(c, &mut pushed);
            assert_eq!(pushed, c.to_lowercase().collect::<String>(), "{c:?}");
            let std_lower: Vec<char> = c.to_lowercase().collect();
            let std_upper: Vec<char> = c.to_uppercase().collect();
            assert_eq!(
                single_case(c, false),
                (std_lower.len() == 1).then(|| std_lower[0]),
                "{c:?}"
            );
            assert_eq!(
                single_case(c, true),
                (std_upper.len() == 1).then(|| std_upper[0]),
                "{c:?}"
            );
        }
        for s in [
            "Éléonore CŒUR",
            "ΟΔΟΣ",
            "İstanbul",
            "Straße",
            "ascii ONLY",
            "",
        ] {
            assert_eq!(lowercase(s), s.to_lowercase(), "{s}");
        }
    }

    proptest! {
        #[test]
        fn lowercase_is_the_standard_library_s(s in any::<String>()) {
            prop_assert_eq!(lowercase(&s), s.to_lowercase());
        }

        #[test]
        fn fold_is_idempotent(s in any::<String>()) {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn fold_of_table_letters_is_ascii(s in "[a-zA-Zàâäçéèêëîïôöùûüÿæœ ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ'’-]{0,40}") {
            prop_assert!(fold(&s).is_ascii());
        }

        #[test]
        fn clean_is_idempotent(s in "[a-zA-Zé’' \u{a0}-]{0,40}") {
            if let Ok(once) = clean(&s) {
                prop_assert_eq!(clean(&once), Ok(once.clone()));
            }
        }
    }
}
