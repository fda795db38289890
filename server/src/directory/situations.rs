//! A person's situations d'exercice in the gestionnaire's sites: changes, additions, closings (departures, possibly
//! scheduled) and the scheduler that applies the scheduled ones.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shared::FieldErrors;
use shared::api as json;
use shared::birth::{BirthDate, StartDate};
use shared::date::CalendarDate;
use shared::departure::{EndDate, EndReason};
use shared::nomenclature::{Metier, ModeExercice, Role};
use time::OffsetDateTime;

use super::{after_change, conflict, load, load_situation, outcome};
use crate::auth::GestionnaireSession;
use crate::error::{ApiError, ApiJson};
use crate::mail::simple_email;
use crate::preregistrations::today;
use crate::startup::AppState;
use crate::storage::{Change, NewEmail};

/// The situation values a gestionnaire sets, checked with the shared rules: (métier, rôle, mode, date).
fn check_situation_values(
    metier: &str,
    role: &str,
    mode: &str,
    date: &str,
    birth: &str,
    errors: &mut FieldErrors,
) -> Option<(Metier, Role, ModeExercice, StartDate)> {
    let today = today();
    let birth = BirthDate::parse(birth, today).ok();
    let metier = errors.capture("metier", Metier::parse(metier));
    let role = errors.capture("role", Role::parse(role));
    let mode = errors.capture("mode_exercice", ModeExercice::parse(mode));
    let date = errors.capture(
        "date_prise_fonction",
        StartDate::parse_with(date, birth.as_ref(), today),
    );
    Some((metier?, role?, mode?, date?))
}

fn describe(metier: Metier, role: Role, mode: ModeExercice, date: &str) -> String {
    format!(
        "métier « {} », rôle « {} », mode d'exercice « {} », prise de fonction le {}.",
        metier.label(),
        role.label(),
        mode.label(),
        shared::format::date(date)
    )
}

/// Changes a situation's métier, rôle, mode d'exercice and date de prise de fonction; refused while a request
/// for the same person is pending. The professional is emailed the change.
#[utoipa::path(
    put,
    path = "/api/v1/gestion/professionnels/{id}/situations/{situation_id}",
    tag = "annuaire",
    params(
        ("id" = i64, Path, description = "Identifiant de la personne"),
        ("situation_id" = i64, Path, description = "Identifiant de la situation"),
        ("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »"),
    ),
    request_body = json::SituationUpdate,
    responses(
        (status = 200, description = "Situation modifiée ; la personne à jour", body = json::ProfessionalDetail),
        (status = 404, description = "Personne ou situation inconnue, ou d'un autre établissement", body = json::ErrorEnvelope),
        (status = 409, description = "Une demande de cette personne est en attente, ou la situation est clôturée", body = json::ErrorEnvelope),
        (status = 422, description = "Champs invalides", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_situation(
    State(state): State<AppState>,
    session: GestionnaireSession,
    Path((id, situation_id)): Path<(String, String)>,
    ApiJson(request): ApiJson<json::SituationUpdate>,
) -> Result<Response, ApiError> {
    let (p, sites) = load(&state, &session, &id).await?;
    let s = load_situation(&state, &p, &sites, &situation_id).await?;
    let mut errors = FieldErrors::new();
    let checked = check_situation_values(
        &request.metier,
        &request.role,
        &request.mode_exercice,
        &request.date_prise_fonction,
        &p.date_naissance,
        &mut errors,
    );
    let Some((metier, role, mode, date)) = checked else {
        return Err(ApiError::validation(errors));
    };
    let date = date.date().to_iso();
    let email =
        situation_changed_email(&p.email, &s.site_nom, &describe(metier, role, mode, &date));
    let change = Change {
        professional_id: p.id,
        actor: &session.actor(),
        action: "situation.update",
        details: json!({
            "situation_id": s.id,
            "before": {"metier": s.metier, "role": s.role, "mode_exercice": s.mode_exercice,
                       "date_prise_fonction": s.date_prise_fonction},
            "after": {"metier": metier.code(), "role": role.code(), "mode_exercice": mode.code(),
                      "date_prise_fonction": date},
        }),
        emails: vec![email],
    };
    outcome(
        state
            .storage
            .update_situation(
                s.id,
                [metier.code(), role.code(), mode.code(), &date],
                &change,
            )
            .await?,
    )?;
    after_change(state, session, id).await
}

/// Adds a situation at another of the gestionnaire's sites (several active situations in different structures
/// are normal; at the same site, change the rôle instead).
#[utoipa::path(
    post,
    path = "/api/v1/gestion/professionnels/{id}/situations",
    tag = "annuaire",
    params(
        ("id" = i64, Path, description = "Identifiant de la personne"),
        ("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »"),
    ),
    request_body = json::NewSituationRequest,
    responses(
        (status = 201, description = "Situation ajoutée ; la personne à jour", body = json::ProfessionalDetail),
        (status = 404, description = "Personne inconnue ou d'un autre établissement", body = json::ErrorEnvelope),
        (status = 409, description = "Déjà active dans ce site (changez le rôle), ou une demande de cette personne est en attente", body = json::ErrorEnvelope),
        (status = 422, description = "Champs invalides", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn add_situation(
    State(state): State<AppState>,
    session: GestionnaireSession,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<json::NewSituationRequest>,
) -> Result<Response, ApiError> {
    let (p, sites) = load(&state, &session, &id).await?;
    let mut errors = FieldErrors::new();
    let site = match request.site_id {
        None => {
            errors.add("site_id", "Choisissez le site.");
            None
        }
        Some(site_id) => {
            let site = sites.iter().find(|s| s.site.id == site_id);
            if site.is_none() {
                errors.add(
                    "site_id",
                    "Vous ne gérez pas cet établissement : choisissez un de vos sites.",
                );
            }
            site
        }
    };
    let checked = check_situation_values(
        &request.metier,
        &request.role,
        &request.mode_exercice,
        &request.date_prise_fonction,
        &p.date_naissance,
        &mut errors,
    );
    let (Some(site), Some((metier, role, mode, date))) = (site, checked) else {
        return Err(ApiError::validation(errors));
    };
    let date = date.date().to_iso();
    let email = simple_email(
        &p.email,
        format!(
            "Nouvelle situation d'exercice enregistrée (RPPS {})",
            p.rpps
        ),
        &[
            format!(
                "Le gestionnaire RPPS+ de « {} » a enregistré une nouvelle situation d'exercice à votre numéro \
                 RPPS : {}",
                site.site.nom,
                describe(metier, role, mode, &date)
            ),
            "Vous gardez le même numéro RPPS et vos autres situations d'exercice.".to_owned(),
        ],
        None,
    );
    let mut change = Change {
        professional_id: p.id,
        actor: &session.actor(),
        action: "situation.create",
        details: json!({
            "situation_id": null,
            "after": {"site_id": site.site.id, "metier": metier.code(), "role": role.code(),
                      "mode_exercice": mode.code(), "date_prise_fonction": date},
        }),
        emails: vec![email],
    };
    let (result, _) = state
        .storage
        .add_situation(
            p.id,
            site.site.id,
            [metier.code(), role.code(), mode.code(), &date],
            &mut change,
        )
        .await?;
    outcome(result)?;
    let response = after_change(state, session, id).await?;
    Ok((StatusCode::CREATED, response).into_response())
}

/// Closes a situation (departure): an end date (past, today, or future: then applied automatically that day;
/// never before the start) and an end reason. The person is reminded by email to update their other situations
/// (eRPPS, Ordre) themselves. The situation stays visible as history; the RPPS number stays the person's.
#[utoipa::path(
    post,
    path = "/api/v1/gestion/professionnels/{id}/situations/{situation_id}/cloture",
    tag = "annuaire",
    params(
        ("id" = i64, Path, description = "Identifiant de la personne"),
        ("situation_id" = i64, Path, description = "Identifiant de la situation"),
        ("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »"),
    ),
    request_body = json::CloseSituationRequest,
    responses(
        (status = 200, description = "Situation clôturée (ou clôture programmée) ; la personne à jour", body = json::ProfessionalDetail),
        (status = 404, description = "Personne ou situation inconnue, ou d'un autre établissement", body = json::ErrorEnvelope),
        (status = 409, description = "La situation est déjà clôturée", body = json::ErrorEnvelope),
        (status = 422, description = "Date de fin (avant la prise de fonction, format) ou motif invalide", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn close_situation(
    State(state): State<AppState>,
    session: GestionnaireSession,
    Path((id, situation_id)): Path<(String, String)>,
    ApiJson(request): ApiJson<json::CloseSituationRequest>,
) -> Result<Response, ApiError> {
    let (p, sites) = load(&state, &session, &id).await?;
    let s = load_situation(&state, &p, &sites, &situation_id).await?;
    if !s.active {
        return Err(conflict("Cette situation d'exercice est déjà clôturée."));
    }
    let today = today();
    let start = CalendarDate::parse_iso(&s.date_prise_fonction)
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("stored start date unreadable")))?;
    let mut errors = FieldErrors::new();
    let end = errors.capture("end_date", EndDate::parse(&request.end_date, start, today));
    let reason = errors.capture("end_reason", EndReason::parse(&request.end_reason));
    let (Some(end), Some(reason)) = (end, reason) else {
        return Err(ApiError::validation(errors));
    };
    let future = end.is_future(today);
    let end_iso = end.date().to_iso();
    let emails = if reason.notifies_the_person() {
        vec![closing_email(
            &p.email,
            &s.site_nom,
            &end.date().to_french(),
            future,
        )]
    } else {
        Vec::new()
    };
    let change = Change {
        professional_id: p.id,
        actor: &session.actor(),
        action: if future {
            "situation.close_scheduled"
        } else {
            "situation.close"
        },
        details: json!({
            "situation_id": s.id,
            "before": {"active": true, "end_date": s.end_date, "end_reason": s.end_reason},
            // A scheduled closing leaves the situation active until its end date.
            "after": {"active": future, "end_date": end_iso, "end_reason": reason.code()},
        }),
        emails,
    };
    outcome(
        state
            .storage
            .close_situation(s.id, &end_iso, reason.code(), !future, &change)
            .await?,
    )?;
    after_change(state, session, id).await
}

fn situation_changed_email(to: &str, site: &str, what: &str) -> NewEmail {
    simple_email(
        to,
        "Votre situation d'exercice a été mise à jour".to_owned(),
        &[
            format!("Le gestionnaire RPPS+ de « {site} » a mis à jour votre situation d'exercice : {what}"),
            "Si cette modification vous semble erronée, adressez-vous au service des ressources humaines de votre \
             établissement."
                .to_owned(),
        ],
        None,
    )
}

fn closing_email(to: &str, site: &str, end: &str, future: bool) -> NewEmail {
    let when = if future {
        format!("prendra fin le {end}")
    } else {
        format!("a pris fin le {end}")
    };
    simple_email(
        to,
        "Fin de votre situation d'exercice".to_owned(),
        &[
            format!("Votre situation d'exercice à « {site} » {when} : votre établissement l'a clôturée dans le répertoire RPPS+."),
            "Pensez à mettre à jour vous-même vos autres situations d'exercice : sur le portail eRPPS si vous y \
             êtes enregistré(e), et auprès de votre Ordre professionnel si vous en relevez. Votre établissement ne \
             peut pas le faire pour vous."
                .to_owned(),
            "Votre numéro RPPS reste le vôtre, à vie : il vous servira si vous rejoignez un autre établissement."
                .to_owned(),
        ],
        None,
    )
}

/// Applies scheduled closings (every minute, and at once on start) and computes the directory keys of people
/// stored before they existed, until the task is dropped.
pub async fn run_scheduler(storage: crate::storage::Storage) {
    if let Err(err) = storage.backfill_directory_keys().await {
        tracing::warn!(error = ?err, "directory key backfill failed");
    }
    loop {
        let now = OffsetDateTime::now_utc();
        let today = format!(
            "{:04}-{:02}-{:02}",
            now.year(),
            u8::from(now.month()),
            now.day()
        );
        match storage.apply_due_closings(&today).await {
            Ok(0) => {}
            Ok(closed) => tracing::info!(closed, "scheduled closings applied"),
            Err(err) => tracing::warn!(error = ?err, "scheduled closings failed"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    }
}
