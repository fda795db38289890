//! The métier search of the "Rôles et métiers" page: plain functions over `shared`'s nomenclature.

use shared::nomenclature::{Metier, MetierEntry};

/// Fewer characters than this match too much to help ("a" is in every label); two letters already find "ES".
pub const MIN_QUERY_CHARS: usize = 2;

/// The métiers matching `query`, best first (searching labels and usual names such as "AMP" or "AVS"); nothing
/// while the query is too short to mean something.
pub fn search(query: &str) -> Vec<&'static MetierEntry> {
    if query.trim().chars().count() < MIN_QUERY_CHARS {
        Vec::new()
    } else {
        Metier::search(query.trim())
    }
}

/// The sentence announced (politely) to screen readers and shown above the results.
pub fn summary(query: &str, found: usize) -> String {
    let query = query.trim();
    if query.chars().count() < MIN_QUERY_CHARS {
        return format!("Saisissez au moins {MIN_QUERY_CHARS} caractères.");
    }
    match found {
        0 => format!("Aucun métier ne correspond à « {query} »."),
        1 => format!("1 métier correspond à « {query} »."),
        n => format!("{n} métiers correspondent à « {query} »."),
    }
}

/// The other names of a métier, as shown under its label ("Aussi appelé : AMP, AVS").
pub fn other_names(entry: &MetierEntry) -> Option<String> {
    if entry.aliases.is_empty() {
        None
    } else {
        Some(format!("Aussi appelé : {}", entry.aliases.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usual_abbreviations_lead_to_the_current_metier() {
        let found = search("AMP");
        assert_eq!(found.first().map(|m| m.code), Some("328"), "{found:?}");
        assert_eq!(
            found.first().map(|m| m.label),
            Some("Accompagnant éducatif et social")
        );
    }

    #[test]
    fn search_ignores_case_accents_and_surrounding_spaces() {
        assert_eq!(
            search("  educateur specialise ").first().map(|m| m.code),
            Some("326")
        );
    }

    #[test]
    fn too_short_queries_find_nothing_and_say_why() {
        assert!(search("a").is_empty());
        assert!(search("   ").is_empty());
        assert_eq!(summary(" a ", 0), "Saisissez au moins 2 caractères.");
    }

    #[test]
    fn the_summary_counts_in_french() {
        assert_eq!(summary("zzz", 0), "Aucun métier ne correspond à « zzz ».");
        assert_eq!(summary("AMP", 1), "1 métier correspond à « AMP ».");
        assert_eq!(summary(" aide ", 3), "3 métiers correspondent à « aide ».");
    }
}
