//! Gestionnaire accounts as the operator manages them (`enrole gestionnaire …`, `seed-demo`): create, attach,
//! disable, list, and one-time password links (emailed through the outbox; the link is also returned so the
//! command can print it).

use shared::FieldErrors;
use shared::contact::Email;
use time::OffsetDateTime;

use crate::auth::normalise_email;
use crate::config::Config;
use crate::establishments::EstablishmentError;
use crate::storage::{
    Actor, AttachmentTarget, EstablishmentKey, GestionnaireRecord, Storage, StorageError,
};
use crate::{mail, tokens};

/// What a gestionnaire is attached to, as the operator names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachTo {
    /// An entité juridique by SIRET (all its sites).
    EjSiret(String),
    /// An entité juridique by id.
    EjId(i64),
    /// One site by FINESS géographique.
    SiteFiness(String),
}

/// Resolves what the operator named.
pub async fn resolve(
    storage: &Storage,
    target: &AttachTo,
) -> Result<AttachmentTarget, EstablishmentError> {
    match target {
        AttachTo::EjSiret(siret) => storage
            .find_establishment(&EstablishmentKey::Siret(siret.split_whitespace().collect()))
            .await?
            .map(|e| AttachmentTarget::Establishment(e.id))
            .ok_or(EstablishmentError::EstablishmentNotFound),
        AttachTo::EjId(id) => storage
            .find_establishment(&EstablishmentKey::Id(*id))
            .await?
            .map(|e| AttachmentTarget::Establishment(e.id))
            .ok_or(EstablishmentError::EstablishmentNotFound),
        AttachTo::SiteFiness(finess) => storage
            .find_site_by_finess(&finess.split_whitespace().collect::<String>().to_uppercase())
            .await?
            .map(|s| AttachmentTarget::Site(s.id))
            .ok_or(EstablishmentError::EstablishmentNotFound),
    }
}

/// Creates a gestionnaire attached to `target`.
pub async fn create(
    storage: &Storage,
    email: &str,
    nom: &str,
    target: &AttachTo,
    actor: &Actor,
) -> Result<GestionnaireRecord, EstablishmentError> {
    let mut errors = FieldErrors::new();
    let email = normalise_email(email);
    if let Err(err) = Email::parse(&email) {
        errors.add("email", err.to_string());
    }
    let nom = nom.split_whitespace().collect::<Vec<_>>().join(" ");
    if nom.is_empty() || nom.chars().count() > 200 {
        errors.add(
            "nom",
            "Indiquez le nom du gestionnaire (200 caractères au plus).",
        );
    }
    if !errors.is_empty() {
        return Err(EstablishmentError::Invalid(errors));
    }
    let attachment = resolve(storage, target).await?;
    let created = storage
        .create_gestionnaire(&email, &nom, actor)
        .await
        .map_err(|err| match err {
            StorageError::Conflict(Some(c)) => EstablishmentError::Duplicate(c),
            other => EstablishmentError::Storage(other),
        })?;
    storage
        .attach_gestionnaire(created.id, attachment, actor)
        .await?;
    Ok(created)
}

/// Issues a one-time password link, queues its email, and answers the link.
pub async fn issue_password_link(
    storage: &Storage,
    config: &Config,
    gestionnaire: &GestionnaireRecord,
    actor: &Actor,
) -> Result<String, StorageError> {
    let token = tokens::new_token();
    let link = format!("{}/gestion/mot-de-passe/{token}", config.public_url);
    let ttl = time::Duration::try_from(config.gestion.password_link_ttl)
        .unwrap_or(time::Duration::days(3));
    let expires_at = OffsetDateTime::now_utc() + ttl;
    let email = mail::password_link(
        &gestionnaire.email,
        &gestionnaire.nom,
        &link,
        ttl.whole_hours(),
    );
    storage
        .create_password_token(
            gestionnaire.id,
            &tokens::sha256_hex(token.as_bytes()),
            expires_at,
            &email,
            actor,
        )
        .await?;
    Ok(link)
}

/// The demo gestionnaire of `seed-demo`.
pub const DEMO_GESTIONNAIRE: (&str, &str) = ("gestionnaire.demo@enrole.localhost", "Camille Démo");

/// Creates the demo gestionnaire attached to the demo entité juridique if missing, and issues a new link.
pub async fn seed_demo(
    storage: &Storage,
    config: &Config,
    demo_establishment_id: i64,
) -> Result<(GestionnaireRecord, String), EstablishmentError> {
    let actor = Actor::system("seed-demo");
    let (email, nom) = DEMO_GESTIONNAIRE;
    let gestionnaire = match storage.find_gestionnaire_by_email(email).await? {
        Some(existing) => existing,
        None => {
            create(
                storage,
                email,
                nom,
                &AttachTo::EjId(demo_establishment_id),
                &actor,
            )
            .await?
        }
    };
    let link = issue_password_link(storage, config, &gestionnaire, &actor).await?;
    Ok((gestionnaire, link))
}
