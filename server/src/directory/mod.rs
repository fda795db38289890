//! The gestionnaire registers people end to end (CAS 1) and keeps the establishment's directory: people with a
//! situation d'exercice in their sites, updates, corrections with a reason, new situations, departures (closings,
//! possibly scheduled) and each person's history. Scoped like the queue: a person without a situation in the
//! gestionnaire's sites answers `404`, as if they did not exist.
//!
//! One module per feature: [`registration`] (CAS 1), [`search`] (the directory's pages), [`person`] (one person,
//! their nom d'exercice), [`situations`] (changes, additions, closings and the scheduler that applies them),
//! [`corrections`] (état civil, contact data) and [`history`]. This module holds their routes and what they share.

pub mod corrections;
pub mod history;
pub mod person;
pub mod registration;
pub mod search;
pub mod situations;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post, put};
use shared::FieldErrors;
use shared::api as json;
use shared::departure::EndReason;
use shared::nomenclature::{Metier, ModeExercice, Role};

use crate::auth::GestionnaireSession;
use crate::error::ApiError;
use crate::startup::AppState;
use crate::storage::{ChangeOutcome, ProfessionalRecord, SiteMatch, SituationRecord};

pub use situations::run_scheduler;

/// The directory's routes, merged into the gestionnaire's (session and CSRF rules) by [`crate::api::router`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/gestion/enregistrements", post(registration::register))
        .route(
            "/v1/gestion/enregistrements/verification",
            post(registration::verify),
        )
        .route("/v1/gestion/professionnels", get(search::list))
        .route("/v1/gestion/professionnels/{id}", get(person::detail))
        .route(
            "/v1/gestion/professionnels/{id}/historique",
            get(history::history),
        )
        .route(
            "/v1/gestion/professionnels/{id}/exercice",
            put(person::update_exercice),
        )
        .route(
            "/v1/gestion/professionnels/{id}/etat-civil",
            put(corrections::correct_etat_civil),
        )
        .route(
            "/v1/gestion/professionnels/{id}/contact",
            put(corrections::correct_contact),
        )
        .route(
            "/v1/gestion/professionnels/{id}/situations",
            post(situations::add_situation),
        )
        .route(
            "/v1/gestion/professionnels/{id}/situations/{situation_id}",
            put(situations::update_situation),
        )
        .route(
            "/v1/gestion/professionnels/{id}/situations/{situation_id}/cloture",
            post(situations::close_situation),
        )
}

fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::Conflict {
        message: message.into(),
        fields: FieldErrors::new(),
    }
}

const PENDING_MESSAGE: &str = "Une demande d'enregistrement de cette personne est en attente dans une file de \
     gestionnaire : elle doit d'abord être validée, refusée ou corrigée. Aucune modification n'est possible \
     d'ici là.";
const ALREADY_ACTIVE_MESSAGE: &str = "Cette personne a déjà une situation d'exercice active dans ce site : \
     changez le rôle (ou le métier) de cette situation au lieu d'en ajouter une seconde.";

/// The signed-in gestionnaire's sites.
async fn scope(
    state: &AppState,
    session: &GestionnaireSession,
) -> Result<Vec<SiteMatch>, ApiError> {
    Ok(state
        .storage
        .gestionnaire_sites(session.gestionnaire.id)
        .await?)
}

fn ids(sites: &[SiteMatch]) -> Vec<i64> {
    sites.iter().map(|s| s.site.id).collect()
}

/// A person of the gestionnaire's directory, and the gestionnaire's site ids.
async fn load(
    state: &AppState,
    session: &GestionnaireSession,
    id: &str,
) -> Result<(ProfessionalRecord, Vec<SiteMatch>), ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let sites = scope(state, session).await?;
    let professional = state
        .storage
        .find_professional(id, &ids(&sites))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((professional, sites))
}

/// One situation of that person in the gestionnaire's sites.
async fn load_situation(
    state: &AppState,
    professional: &ProfessionalRecord,
    sites: &[SiteMatch],
    situation_id: &str,
) -> Result<SituationRecord, ApiError> {
    let situation_id: i64 = situation_id.parse().map_err(|_| ApiError::NotFound)?;
    state
        .storage
        .situations_of(&[professional.id], &ids(sites))
        .await?
        .into_iter()
        .find(|s| s.id == situation_id)
        .ok_or(ApiError::NotFound)
}

fn situation_dto(s: SituationRecord) -> json::SituationView {
    let reason = s
        .end_reason
        .as_deref()
        .and_then(|r| EndReason::parse(r).ok());
    json::SituationView {
        id: s.id,
        site_id: s.site_id,
        site_nom: s.site_nom,
        nom_exercice: s.nom_exercice,
        prenom_exercice: s.prenom_exercice,
        metier_label: Metier::parse(&s.metier)
            .map(|m| m.label().to_owned())
            .unwrap_or_default(),
        metier: s.metier,
        role_label: Role::parse(&s.role)
            .map(|r| r.label().to_owned())
            .unwrap_or_default(),
        role: s.role,
        mode_exercice_label: ModeExercice::parse(&s.mode_exercice)
            .map(|m| m.label().to_owned())
            .unwrap_or_default(),
        mode_exercice: s.mode_exercice,
        date_prise_fonction: s.date_prise_fonction,
        active: s.active,
        end_date: s.end_date,
        end_reason: s.end_reason,
        end_reason_label: reason.map(|r| r.label().to_owned()),
    }
}

fn activation_link(state: &AppState) -> String {
    format!("{}/activation", state.config.public_url)
}

fn outcome(result: ChangeOutcome) -> Result<(), ApiError> {
    match result {
        ChangeOutcome::Done => Ok(()),
        ChangeOutcome::Pending => Err(conflict(PENDING_MESSAGE)),
        ChangeOutcome::Closed => Err(conflict(
            "Cette situation d'exercice est clôturée (ou sa date de fin précède la date de prise de fonction \
             demandée) : elle ne peut plus être modifiée.",
        )),
        ChangeOutcome::SituationExists => Err(conflict(ALREADY_ACTIVE_MESSAGE)),
    }
}

/// Answers the person as the detail page shows it, after a change.
async fn after_change(
    state: AppState,
    session: GestionnaireSession,
    id: String,
) -> Result<Response, ApiError> {
    state.mail_wakeup.notify_one();
    person::detail(State(state), session, Path(id)).await
}
