//! The RGPD information notice (GDPR art. 13) a site shows, as registration authority, before a professional
//! pre-registers. The text lives here with its version; any change to it must change [`NOTICE_VERSION`], and the
//! version a person read is stored with their request. When the operator rewords the right-to-object paragraph
//! (`ENROLE_NOTICE_OPPOSITION_TEXT`), the version gets a suffix derived from that text, so that every instance
//! with the same configuration serves the same version.

use sha2::{Digest, Sha256};
use shared::api::{Notice, NoticeSection};

use crate::config::IntakeSettings;

/// Version of the text below.
pub const NOTICE_VERSION: &str = "2026-11-26.1";

/// Default paragraph on the right to object (the exact clause of the arrêté RPPS was not located: configurable).
pub const DEFAULT_OPPOSITION_TEXT: &str = "Le droit d'opposition ne s'applique pas à ce traitement : l'enregistrement \
     dans le RPPS est prévu par l'arrêté relatif au répertoire partagé des professionnels intervenant dans le \
     système de santé (RPPS).";

/// The version currently served, given the configuration.
pub fn current_version(settings: &IntakeSettings) -> String {
    match &settings.notice_opposition_text {
        None => NOTICE_VERSION.to_owned(),
        Some(text) => {
            let digest = Sha256::digest(text.as_bytes());
            let suffix: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
            format!("{NOTICE_VERSION}+{suffix}")
        }
    }
}

fn section(heading: &str, paragraphs: &[&str]) -> NoticeSection {
    NoticeSection {
        heading: heading.to_owned(),
        paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
    }
}

/// The notice of `site_nom`, part of the entité juridique `ej_nom`.
pub fn notice(site_nom: &str, ej_nom: &str, settings: &IntakeSettings) -> Notice {
    let controller = format!(
        "{ej_nom}, pour le site « {site_nom} », est responsable de ce traitement en tant qu'autorité \
         d'enregistrement RPPS+ : il recueille vos données, les vérifie, les enregistre dans le répertoire et les \
         tient à jour."
    );
    let opposition = settings
        .notice_opposition_text
        .as_deref()
        .unwrap_or(DEFAULT_OPPOSITION_TEXT);
    let contact = format!(
        "Pour toute question ou pour exercer vos droits, adressez-vous à la direction de {ej_nom} ou à son \
         délégué à la protection des données, en précisant la référence de votre demande."
    );
    Notice {
        title: format!("Information sur le traitement de vos données — {site_nom}"),
        version: current_version(settings),
        sections: vec![
            section("Responsable du traitement", &[controller.as_str()]),
            section(
                "Finalités",
                &[
                    "Vos données servent à vous enregistrer dans le répertoire partagé des professionnels \
                     intervenant dans le système de santé (RPPS), à vous attribuer un numéro RPPS, puis à vous \
                     permettre d'activer votre carte e-CPS pour accéder aux services numériques en santé \
                     (dont le DMP, selon votre rôle).",
                    "Votre pièce d'identité sert uniquement à vérifier votre état civil ; elle n'est jamais \
                     publiée.",
                ],
            ),
            section(
                "Destinataires",
                &[
                    "Les gestionnaires RPPS+ habilités de votre établissement, qui instruisent votre demande.",
                    "L'Agence du Numérique en Santé (ANS), qui gère le RPPS et l'Annuaire Santé.",
                ],
            ),
            section(
                "Ce qui est publié dans l'Annuaire Santé",
                &[
                    "L'ANS publie librement votre numéro RPPS, vos nom et prénom d'exercice, votre profession et \
                     votre situation d'exercice : la structure où vous travaillez, votre métier, votre rôle et \
                     votre mode d'exercice (sans les dates).",
                    "Votre état civil (nom de naissance, prénoms, date et lieu de naissance, civilité) et vos \
                     coordonnées personnelles (adresse email, téléphone mobile) ne sont pas publiés.",
                ],
            ),
            section("Droit d'opposition", &[opposition]),
            section(
                "Durée de conservation",
                &[
                    "Votre demande et votre pièce d'identité sont conservées le temps de son instruction, puis \
                     la pièce d'identité est supprimée une fois votre identité vérifiée ou votre demande \
                     refusée.",
                    "Les données enregistrées dans le RPPS sont conservées par l'ANS selon les règles du \
                     répertoire.",
                ],
            ),
            section(
                "Vos droits",
                &[
                    "Vous disposez d'un droit d'accès, de rectification et de limitation du traitement de vos \
                     données.",
                    "Vous pouvez introduire une réclamation auprès de la CNIL (www.cnil.fr).",
                ],
            ),
            section("Contact", &[contact.as_str()]),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_follows_the_configured_wording() {
        let default = IntakeSettings::default();
        assert_eq!(current_version(&default), NOTICE_VERSION);
        let custom = IntakeSettings {
            notice_opposition_text: Some("Autre formulation.".to_owned()),
            ..IntakeSettings::default()
        };
        let version = current_version(&custom);
        assert!(version.starts_with("2026-11-26.1+") && version.len() == NOTICE_VERSION.len() + 9);
        let text = notice("EHPAD", "Association", &custom);
        assert_eq!(text.version, version);
        assert!(
            text.sections
                .iter()
                .any(|s| s.paragraphs.contains(&"Autre formulation.".to_owned()))
        );
    }

    #[test]
    fn the_notice_says_what_is_published_and_what_is_not() {
        let text = notice(
            "EHPAD Les Tilleuls",
            "Association",
            &IntakeSettings::default(),
        );
        let all: String = text
            .sections
            .iter()
            .flat_map(|s| s.paragraphs.iter())
            .cloned()
            .collect();
        assert!(all.contains("situation d'exercice"));
        assert!(all.contains("ne sont pas publiés"));
        assert!(all.contains("droit d'opposition ne s'applique pas") || all.contains("opposition"));
        assert!(text.title.contains("EHPAD Les Tilleuls"));
    }
}
