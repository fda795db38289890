//! Entités juridiques and their sites: validation of what an operator enters, and the operations behind the
//! `enrole establishment …` and `enrole seed-demo` commands (shared with the tests, which call them directly).

use shared::FieldErrors;
use shared::ids::{Finess, Siret};

use crate::storage::{
    Actor, Constraint, EstablishmentKey, EstablishmentRecord, NewEstablishment, NewSite,
    SiteRecord, Storage, StorageError,
};

/// Longest name of an entité juridique or a site.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest commune name.
pub const MAX_COMMUNE_CHARS: usize = 100;

/// What an operator enters to create an entité juridique.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EstablishmentInput {
    pub nom: String,
    pub siret: Option<String>,
    pub finess_juridique: Option<String>,
}

/// What an operator enters to add a site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteInput {
    pub nom: String,
    pub finess: Option<String>,
    pub siret: Option<String>,
    pub commune: Option<String>,
}

/// A validated value with the soft warnings it raised (a FINESS whose check key fails is accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked<T> {
    pub value: T,
    pub warnings: Vec<String>,
}

/// Why an establishment operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EstablishmentError {
    #[error("données invalides")]
    Invalid(FieldErrors),
    #[error("{}", .0.message())]
    Duplicate(Constraint),
    #[error("cet identifiant est déjà enregistré")]
    DuplicateUnknown,
    #[error("entité juridique introuvable")]
    EstablishmentNotFound,
    #[error(transparent)]
    Storage(StorageError),
}

impl From<StorageError> for EstablishmentError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::Conflict(Some(constraint)) => Self::Duplicate(constraint),
            StorageError::Conflict(None) => Self::DuplicateUnknown,
            StorageError::EstablishmentNotFound => Self::EstablishmentNotFound,
            other => Self::Storage(other),
        }
    }
}

impl EstablishmentError {
    /// The per-field messages of a validation failure or a duplicate; `None` for other failures.
    pub fn field_errors(&self) -> Option<FieldErrors> {
        match self {
            Self::Invalid(fields) => Some(fields.clone()),
            Self::Duplicate(constraint) => {
                let mut fields = FieldErrors::new();
                fields.add(constraint.field(), constraint.message());
                Some(fields)
            }
            _ => None,
        }
    }
}

fn clean_text(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn optional(raw: Option<&str>) -> Option<String> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn check_name(fields: &mut FieldErrors, field: &str, raw: &str, what: &str) -> String {
    let nom = clean_text(raw);
    if nom.is_empty() {
        fields.add(field, format!("Indiquez le nom {what}."));
    } else if nom.chars().count() > MAX_NAME_CHARS {
        fields.add(
            field,
            format!("Le nom {what} ne doit pas dépasser {MAX_NAME_CHARS} caractères."),
        );
    } else if nom.chars().any(char::is_control) {
        fields.add(
            field,
            format!("Le nom {what} contient des caractères non imprimables."),
        );
    }
    nom
}

fn check_siret(fields: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<String> {
    let raw = optional(raw)?;
    match Siret::parse(&raw) {
        Ok(siret) => Some(siret.as_str().to_owned()),
        Err(err) => {
            fields.add(field, err.to_string());
            None
        }
    }
}

fn check_finess(
    fields: &mut FieldErrors,
    warnings: &mut Vec<String>,
    field: &str,
    raw: Option<&str>,
) -> Option<String> {
    let raw = optional(raw)?;
    match Finess::parse(&raw) {
        Ok(finess) => {
            if let Some(warning) = finess.key_warning() {
                warnings.push(format!("{field} {} : {warning}", finess.as_str()));
            }
            Some(finess.as_str().to_owned())
        }
        Err(err) => {
            fields.add(field, err.to_string());
            None
        }
    }
}

/// Validates an entité juridique: a name and a SIRET or a FINESS juridique (or both).
pub fn validate_establishment(
    input: &EstablishmentInput,
    demo: bool,
) -> Result<Checked<NewEstablishment>, FieldErrors> {
    let mut fields = FieldErrors::new();
    let mut warnings = Vec::new();
    let nom = check_name(&mut fields, "nom", &input.nom, "de l'entité juridique");
    let siret_given = optional(input.siret.as_deref()).is_some();
    let finess_given = optional(input.finess_juridique.as_deref()).is_some();
    let siret = check_siret(&mut fields, "siret", input.siret.as_deref());
    let finess_juridique = check_finess(
        &mut fields,
        &mut warnings,
        "finess_juridique",
        input.finess_juridique.as_deref(),
    );
    if !siret_given && !finess_given {
        fields.add(
            "siret",
            "Indiquez le SIRET (14 chiffres) ou le FINESS juridique (9 caractères) de l'entité juridique.",
        );
    }
    if !fields.is_empty() {
        return Err(fields);
    }
    Ok(Checked {
        value: NewEstablishment {
            nom,
            siret,
            finess_juridique,
            demo,
        },
        warnings,
    })
}

/// Validates a site: a name, a FINESS géographique or a SIRET (structures absent from FINESS), a commune.
pub fn validate_site(
    input: &SiteInput,
    establishment_id: i64,
    demo: bool,
) -> Result<Checked<NewSite>, FieldErrors> {
    let mut fields = FieldErrors::new();
    let mut warnings = Vec::new();
    let nom = check_name(&mut fields, "nom", &input.nom, "du site");
    let finess_given = optional(input.finess.as_deref()).is_some();
    let siret_given = optional(input.siret.as_deref()).is_some();
    let finess = check_finess(
        &mut fields,
        &mut warnings,
        "finess",
        input.finess.as_deref(),
    );
    let siret = check_siret(&mut fields, "siret", input.siret.as_deref());
    if !finess_given && !siret_given {
        fields.add(
            "finess",
            "Indiquez le FINESS géographique (9 caractères) du site, ou son SIRET (14 chiffres) s'il n'est pas \
             répertorié dans FINESS.",
        );
    }
    let commune = optional(input.commune.as_deref()).map(|c| clean_text(&c));
    if let Some(commune) = &commune {
        if commune.chars().count() > MAX_COMMUNE_CHARS {
            fields.add(
                "commune",
                format!(
                    "Le nom de la commune ne doit pas dépasser {MAX_COMMUNE_CHARS} caractères."
                ),
            );
        } else if commune.chars().any(char::is_control) {
            fields.add(
                "commune",
                "Le nom de la commune contient des caractères non imprimables.",
            );
        }
    }
    if !fields.is_empty() {
        return Err(fields);
    }
    Ok(Checked {
        value: NewSite {
            establishment_id,
            nom,
            finess,
            siret,
            commune,
            demo,
        },
        warnings,
    })
}

/// Validates and creates an entité juridique (audited).
pub async fn create_establishment(
    storage: &Storage,
    input: &EstablishmentInput,
    actor: &Actor,
) -> Result<Checked<EstablishmentRecord>, EstablishmentError> {
    let checked = validate_establishment(input, false).map_err(EstablishmentError::Invalid)?;
    let record = storage.create_establishment(&checked.value, actor).await?;
    Ok(Checked {
        value: record,
        warnings: checked.warnings,
    })
}

/// Validates and adds a site to the entité juridique named by `key` (audited).
pub async fn add_site(
    storage: &Storage,
    key: &EstablishmentKey,
    input: &SiteInput,
    actor: &Actor,
) -> Result<Checked<SiteRecord>, EstablishmentError> {
    let establishment = storage
        .find_establishment(key)
        .await?
        .ok_or(EstablishmentError::EstablishmentNotFound)?;
    let checked =
        validate_site(input, establishment.id, false).map_err(EstablishmentError::Invalid)?;
    let record = storage.add_site(&checked.value, actor).await?;
    Ok(Checked {
        value: record,
        warnings: checked.warnings,
    })
}

/// The demo entité juridique: a valid SIRET, clearly named as demo data.
pub const DEMO_ESTABLISHMENT: (&str, &str) = (
    "Association Les Jardins d'Occitanie (démo)",
    "99999999800019",
);

/// The demo sites: (nom, FINESS géographique with a valid key, commune).
pub const DEMO_SITES: [(&str, &str, &str); 3] = [
    ("EHPAD Les Tilleuls (démo)", "319999918", "Toulouse"),
    (
        "Foyer d'accueil médicalisé Le Canal (démo)",
        "319999926",
        "Ramonville-Saint-Agne",
    ),
    ("SESSAD Les Coteaux (démo)", "319999934", "Saint-Gaudens"),
];

/// What `seed-demo` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub establishment: EstablishmentRecord,
    pub establishment_created: bool,
    pub sites_created: usize,
    pub sites_existing: usize,
}

/// Creates the demo entité juridique and its sites when missing; running it again changes nothing.
#[tracing::instrument(skip_all, err)]
pub async fn seed_demo(storage: &Storage) -> Result<SeedReport, EstablishmentError> {
    let actor = Actor::system("seed-demo");
    let (nom, siret) = DEMO_ESTABLISHMENT;
    let key = EstablishmentKey::Siret(siret.to_owned());
    let (establishment, establishment_created) = match storage.find_establishment(&key).await? {
        Some(existing) => (existing, false),
        None => {
            let input = EstablishmentInput {
                nom: nom.to_owned(),
                siret: Some(siret.to_owned()),
                finess_juridique: None,
            };
            let checked =
                validate_establishment(&input, true).map_err(EstablishmentError::Invalid)?;
            (
                storage.create_establishment(&checked.value, &actor).await?,
                true,
            )
        }
    };
    let mut sites_created = 0;
    let mut sites_existing = 0;
    for (nom, finess, commune) in DEMO_SITES {
        if storage.find_site_by_finess(finess).await?.is_some() {
            sites_existing += 1;
            continue;
        }
        let input = SiteInput {
            nom: nom.to_owned(),
            finess: Some(finess.to_owned()),
            siret: None,
            commune: Some(commune.to_owned()),
        };
        let checked =
            validate_site(&input, establishment.id, true).map_err(EstablishmentError::Invalid)?;
        storage.add_site(&checked.value, &actor).await?;
        sites_created += 1;
    }
    Ok(SeedReport {
        establishment,
        establishment_created,
        sites_created,
        sites_existing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_establishment_needs_a_name_and_an_identifier() {
        let fields =
            validate_establishment(&EstablishmentInput::default(), false).expect_err("empty");
        assert!(fields.contains("nom"));
        assert!(fields.contains("siret"));
    }

    #[test]
    fn invalid_identifiers_are_reported_per_field() {
        let input = EstablishmentInput {
            nom: "  Centre   social ".to_owned(),
            siret: Some("12345678901234".to_owned()),
            finess_juridique: Some("12".to_owned()),
        };
        let fields = validate_establishment(&input, false).expect_err("invalid");
        assert!(fields.contains("siret"));
        assert!(fields.contains("finess_juridique"));
        assert!(!fields.contains("nom"));
    }

    #[test]
    fn names_are_trimmed_and_collapsed() {
        let input = EstablishmentInput {
            nom: "  Centre   social ".to_owned(),
            siret: Some(DEMO_ESTABLISHMENT.1.to_owned()),
            finess_juridique: None,
        };
        let checked = validate_establishment(&input, false).expect("valid");
        assert_eq!(checked.value.nom, "Centre social");
    }

    #[test]
    fn demo_data_is_valid_and_marked() {
        for (nom, finess, commune) in DEMO_SITES {
            assert!(nom.contains("(démo)"));
            let input = SiteInput {
                nom: nom.to_owned(),
                finess: Some(finess.to_owned()),
                siret: None,
                commune: Some(commune.to_owned()),
            };
            let checked = validate_site(&input, 1, true).expect("valid demo site");
            assert!(
                checked.warnings.is_empty(),
                "{finess} must have a valid key"
            );
        }
        assert!(DEMO_ESTABLISHMENT.0.contains("(démo)"));
    }

    #[test]
    fn a_site_needs_a_finess_or_a_siret() {
        let input = SiteInput {
            nom: "DAC Sud".to_owned(),
            ..SiteInput::default()
        };
        let fields = validate_site(&input, 1, false).expect_err("no identifier");
        assert!(fields.contains("finess"));
        let with_siret = SiteInput {
            siret: Some(DEMO_ESTABLISHMENT.1.to_owned()),
            ..input
        };
        assert!(validate_site(&with_siret, 1, false).is_ok());
    }
}
