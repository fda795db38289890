//! One person of the directory: what the detail page shows, and their nom and prénom d'exercice.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shared::api as json;
use shared::names::parse_exercice;

use super::{after_change, ids, load, outcome, situation_dto};
use crate::auth::GestionnaireSession;
use crate::error::{ApiError, ApiJson};
use crate::mail::simple_email;
use crate::startup::AppState;
use crate::storage::{Change, prenoms_from_stored};

/// One person: identity, contact, their situations in the gestionnaire's sites.
#[utoipa::path(
    get,
    path = "/api/v1/gestion/professionnels/{id}",
    tag = "annuaire",
    params(("id" = i64, Path, description = "Identifiant de la personne")),
    responses(
        (status = 200, description = "La personne", body = json::ProfessionalDetail),
        (status = 401, description = "Pas de session", body = json::ErrorEnvelope),
        (status = 404, description = "Personne inconnue ou sans situation dans vos sites", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn detail(
    State(state): State<AppState>,
    session: GestionnaireSession,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (p, sites) = load(&state, &session, &id).await?;
    let site_ids = ids(&sites);
    let situations = state.storage.situations_of(&[p.id], &site_ids).await?;
    let pending_request = state.storage.pending_request_for(p.id).await?;
    let other_active_situations = state
        .storage
        .other_active_situations(p.id, &site_ids)
        .await?;
    let lieu_naissance = json::BirthPlaceInput {
        commune_cog: p.lieu_commune_cog,
        pays_cog: p.lieu_pays_cog,
        ville_etrangere: p.lieu_ville_etrangere,
    };
    let commune_libre = p.lieu_commune_libre.map(|nom| json::CommuneLibreInput {
        nom,
        departement: p.lieu_departement_libre.unwrap_or_default(),
    });
    let lieu_naissance_libelle =
        crate::reference::shared().birthplace_label(&lieu_naissance, commune_libre.as_ref());
    let dto = json::ProfessionalDetail {
        id: p.id,
        rpps: p.rpps,
        civilite: p.civilite,
        nom_naissance: p.nom_naissance,
        prenoms: prenoms_from_stored(&p.prenoms),
        date_naissance: p.date_naissance,
        lieu_naissance,
        commune_libre,
        lieu_naissance_libelle,
        email: p.email,
        mobile: p.mobile,
        nom_exercice: p.nom_exercice,
        prenom_exercice: p.prenom_exercice,
        ecps_active: p.ecps_activated_at.is_some(),
        pending_request,
        situations: situations.into_iter().map(situation_dto).collect(),
        other_active_situations,
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], ApiJson(dto)).into_response())
}

/// Changes the nom and prénom d'exercice (published); refused while a request for the same person is pending.
#[utoipa::path(
    put,
    path = "/api/v1/gestion/professionnels/{id}/exercice",
    tag = "annuaire",
    params(
        ("id" = i64, Path, description = "Identifiant de la personne"),
        ("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »"),
    ),
    request_body = json::ExerciceNamesUpdate,
    responses(
        (status = 200, description = "Noms d'exercice modifiés ; la personne à jour", body = json::ProfessionalDetail),
        (status = 404, description = "Personne inconnue ou d'un autre établissement", body = json::ErrorEnvelope),
        (status = 409, description = "Une demande de cette personne est en attente", body = json::ErrorEnvelope),
        (status = 422, description = "Champs invalides", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_exercice(
    State(state): State<AppState>,
    session: GestionnaireSession,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<json::ExerciceNamesUpdate>,
) -> Result<Response, ApiError> {
    let (p, _) = load(&state, &session, &id).await?;
    let (nom, prenom) = parse_exercice(&request.nom_exercice, &request.prenom_exercice)
        .map_err(ApiError::validation)?;
    let email = simple_email(
        &p.email,
        "Vos nom et prénom d'exercice ont été modifiés".to_owned(),
        &[
            format!(
                "Votre gestionnaire RPPS+ a modifié vos nom et prénom d'exercice (ceux que publie l'Annuaire Santé) : \
                 {} {}.",
                prenom.as_str(),
                nom.as_str()
            ),
            "Si cette modification vous semble erronée, adressez-vous au service des ressources humaines de votre \
             établissement."
                .to_owned(),
        ],
        None,
    );
    let change = Change {
        professional_id: p.id,
        actor: &session.actor(),
        action: "professional.exercice",
        details: json!({
            "before": {"nom_exercice": p.nom_exercice, "prenom_exercice": p.prenom_exercice},
            "after": {"nom_exercice": nom.as_str(), "prenom_exercice": prenom.as_str()},
        }),
        emails: vec![email],
    };
    outcome(
        state
            .storage
            .update_exercice_names(&p, nom.as_str(), prenom.as_str(), &change)
            .await?,
    )?;
    after_change(state, session, id).await
}
