//! The professional's own space: their data, a change of email or mobile (confirmed by codes sent to the new
//! values), their nom and prénom d'exercice.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shared::FieldErrors;
use shared::api as json;
use shared::contact::{Email, MobilePhone};
use shared::ecps::CodeChannel;
use shared::names::parse_exercice;

use super::codes::{
    check_codes, code_hash, codes_refused, new_code, parse_codes, send_codes, too_many_codes,
};
use super::{ProfessionalSession, RESEND_WINDOW, contact_key, no_store, profil_of};
use crate::error::{ApiError, ApiJson};
use crate::mail::escape_html;
use crate::startup::AppState;
use crate::storage::ecps::{
    ChallengeAttempt, ChallengePurpose, ContactUpdate, NewChallenge, professional_actor,
};
use crate::storage::{NewEmail, now};
use crate::tokens;

/// The signed-in professional's own data: identity, RPPS number, situations, contact data.
#[utoipa::path(
    get,
    path = "/api/v1/espace/profil",
    tag = "ecps",
    responses(
        (status = 200, description = "Le professionnel connecté", body = json::Profil),
        (status = 401, description = "Pas de session de professionnel", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn profil(
    State(state): State<AppState>,
    session: ProfessionalSession,
) -> Result<Response, ApiError> {
    let profil = profil_of(
        &state,
        &session.professional,
        session.recent_until(&state.config),
    )
    .await?;
    Ok(no_store(ApiJson(profil).into_response()))
}

/// Starts a change of email and/or mobile: a code goes to each new value.
#[utoipa::path(
    post,
    path = "/api/v1/espace/contact",
    tag = "ecps",
    request_body = json::ContactChange,
    params(("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »")),
    responses(
        (status = 202, description = "Codes envoyés aux nouvelles \
                                      coordonnées", body = json::ContactChallengeSent),
        (status = 401, description = "Pas de session de professionnel", body = json::ErrorEnvelope),
        (status = 403, description = "Connexion trop ancienne : reconnectez-vous avec vos deux \
                                      codes \
                                      (reauthentication_required)", body = json::ErrorEnvelope),
        (status = 422, description = "Adresse ou numéro invalide (champs email, \
                                      mobile)", body = json::ErrorEnvelope),
        (status = 429, description = "Trop de codes demandés \
                                      (too_many_codes)", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn contact_start(
    State(state): State<AppState>,
    session: ProfessionalSession,
    ApiJson(request): ApiJson<json::ContactChange>,
) -> Result<Response, ApiError> {
    let settings = &state.config.ecps;
    let at = now();
    if session.recent_until(&state.config) < at {
        return Err(ApiError::Coded {
            status: StatusCode::FORBIDDEN,
            code: "reauthentication_required",
            message: "Pour modifier vos coordonnées, confirmez d'abord votre identité avec les \
                      codes reçus par email et par SMS : votre connexion date de plus de quelques \
                      minutes."
                .to_owned(),
        });
    }
    let p = &session.professional;
    let mut errors = FieldErrors::new();
    let typed = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let email = typed(&request.email).and_then(|e| match Email::parse(&e) {
        Ok(email) if email.as_str() == p.email => {
            errors.add("email", "C'est déjà votre adresse email.");
            None
        }
        Ok(email) => Some(email.as_str().to_owned()),
        Err(err) => {
            errors.add("email", err.to_string());
            None
        }
    });
    let mobile = typed(&request.mobile).and_then(|m| match MobilePhone::parse(&m) {
        Ok(mobile) if mobile.as_e164() == p.mobile => {
            errors.add("mobile", "C'est déjà votre numéro de mobile.");
            None
        }
        Ok(mobile) => Some(mobile.as_e164().to_owned()),
        Err(err) => {
            errors.add("mobile", err.to_string());
            None
        }
    });
    if errors.is_empty() && email.is_none() && mobile.is_none() {
        errors.add(
            "email",
            "Indiquez une nouvelle adresse email, un nouveau numéro de mobile, ou les deux.",
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let rate_key = tokens::sha256_hex(format!("contact:{}", p.id).as_bytes());
    let (sent, first) = state
        .storage
        .challenges_since(&rate_key, at - RESEND_WINDOW)
        .await?;
    if sent >= settings.sends_per_quarter_hour {
        return Err(too_many_codes(
            first.map_or(RESEND_WINDOW, |f| f + RESEND_WINDOW - at),
        ));
    }
    let challenge_id = tokens::new_token();
    let id_hash = tokens::sha256_hex(challenge_id.as_bytes());
    let email_code = email.as_ref().map(|_| new_code());
    let sms_code = mobile.as_ref().map(|_| new_code());
    let email_hash = email_code
        .as_deref()
        .map(|c| code_hash(&challenge_id, CodeChannel::Email, c));
    let sms_hash = sms_code
        .as_deref()
        .map(|c| code_hash(&challenge_id, CodeChannel::Sms, c));
    let ttl = time::Duration::try_from(settings.code_ttl).unwrap_or(time::Duration::minutes(10));
    let contact = contact_key(&p.email, &p.mobile);
    state
        .storage
        .create_challenge(
            &NewChallenge {
                id_hash: &id_hash,
                purpose: ChallengePurpose::Contact,
                professional_id: Some(p.id),
                rate_key: &rate_key,
                contact_key: Some(&contact),
                link_hash: None,
                email_code_hash: email_hash.as_deref(),
                sms_code_hash: sms_hash.as_deref(),
                new_email: email.as_deref(),
                new_mobile: mobile.as_deref(),
                expires_at: at + ttl,
            },
            Some((
                &professional_actor(p.id),
                "professional.contact_change_started",
                json!({"email": email.is_some(), "mobile": mobile.is_some()}),
            )),
        )
        .await?;
    let body = json::ContactChallengeSent {
        challenge_id,
        expires_in_secs: settings.code_ttl.as_secs(),
        email: email.is_some(),
        mobile: mobile.is_some(),
    };
    send_codes(
        &state,
        email.zip(email_code),
        mobile.zip(sms_code),
        "confirmer vos nouvelles coordonnées",
    );
    Ok(no_store(
        (StatusCode::ACCEPTED, ApiJson(body)).into_response(),
    ))
}

/// Confirms a contact change with the code(s) sent to the new value(s); the former email is told.
#[utoipa::path(
    post,
    path = "/api/v1/espace/contact/confirm",
    tag = "ecps",
    request_body = json::CodesConfirm,
    params(("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »")),
    responses(
        (status = 200, description = "Coordonnées remplacées", body = json::Profil),
        (status = 401, description = "Pas de session de professionnel", body = json::ErrorEnvelope),
        (status = 409, description = "Codes déjà utilisés ou inconnus", body = json::ErrorEnvelope),
        (status = 410, description = "Codes expirés", body = json::ErrorEnvelope),
        (status = 422, description = "Code incorrect (champs email_code, \
                                      sms_code)", body = json::ErrorEnvelope),
        (status = 429, description = "Trop d'essais", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn contact_confirm(
    State(state): State<AppState>,
    session: ProfessionalSession,
    ApiJson(request): ApiJson<json::CodesConfirm>,
) -> Result<Response, ApiError> {
    let settings = &state.config.ecps;
    let p = &session.professional;
    let challenge_id = request.challenge_id.trim();
    if !tokens::is_token(challenge_id) {
        return Err(codes_refused(&ChallengeAttempt::Unknown));
    }
    let id_hash = tokens::sha256_hex(challenge_id.as_bytes());
    let attempt = state
        .storage
        .attempt_challenge(
            &id_hash,
            &[ChallengePurpose::Contact],
            settings.max_attempts,
        )
        .await?;
    let ChallengeAttempt::Open(record) = attempt else {
        return Err(codes_refused(&attempt));
    };
    // Another professional's challenge is answered like an unknown one.
    if record.professional_id != Some(p.id) {
        return Err(codes_refused(&ChallengeAttempt::Unknown));
    }
    let (email_code, sms_code) = parse_codes(
        &request,
        record.email_code_hash.is_some(),
        record.sms_code_hash.is_some(),
    )?;
    let current = record.contact_key.as_deref() == Some(&contact_key(&p.email, &p.mobile));
    check_codes(
        challenge_id,
        &record,
        email_code.as_ref(),
        sms_code.as_ref(),
        current,
        settings.max_attempts,
    )?;
    let public_url = &state.config.public_url;
    let mut changed = Vec::new();
    if record.new_email.is_some() {
        changed.push("votre adresse email");
    }
    if record.new_mobile.is_some() {
        changed.push("votre numéro de mobile");
    }
    let notice = notice_email(
        &p.email,
        "Enrôle : vos coordonnées ont été modifiées",
        &[
            format!(
                "Vous venez de modifier {} dans votre espace Enrôle (numéro RPPS {}).",
                changed.join(" et "),
                p.rpps
            ),
            "Ce n'était pas vous ? Contactez sans attendre le gestionnaire RPPS+ de votre \
             établissement : il peut corriger vos coordonnées, après quoi votre e-CPS sera à \
             activer de nouveau."
                .to_owned(),
        ],
        ("Mon espace Enrôle", &format!("{public_url}/mon-espace")),
    );
    let updated = state
        .storage
        .update_contact(&ContactUpdate {
            challenge_hash: &id_hash,
            professional_id: p.id,
            email: record.new_email.as_deref(),
            mobile: record.new_mobile.as_deref(),
            notice: &notice,
        })
        .await?;
    if !updated {
        return Err(codes_refused(&ChallengeAttempt::Used));
    }
    state.mail_wakeup.notify_one();
    changed_profil(&state, &session).await
}

/// Changes the nom and prénom d'exercice (one pair per person, on every active situation); the gestionnaires of
/// the professional's active establishments are told.
#[utoipa::path(
    put,
    path = "/api/v1/espace/exercice",
    tag = "ecps",
    request_body = json::ExerciceChange,
    params(("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »")),
    responses(
        (status = 200, description = "Nom et prénom d'exercice enregistrés", body = json::Profil),
        (status = 401, description = "Pas de session de professionnel", body = json::ErrorEnvelope),
        (status = 422, description = "Nom ou prénom invalide (champs nom_exercice, \
                                      prenom_exercice)", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn exercice(
    State(state): State<AppState>,
    session: ProfessionalSession,
    ApiJson(request): ApiJson<json::ExerciceChange>,
) -> Result<Response, ApiError> {
    let p = &session.professional;
    let (nom, prenom) = parse_exercice(&request.nom_exercice, &request.prenom_exercice)
        .map_err(ApiError::validation)?;
    if nom.as_str() != p.nom_exercice || prenom.as_str() != p.prenom_exercice {
        let link = format!("{}/gestion", state.config.public_url);
        let rpps = p.rpps.clone();
        let notice = move |recipient: &str| {
            notice_email(
                recipient,
                "Enrôle : un professionnel de votre établissement a changé son nom d'exercice",
                &[format!(
                    "Le professionnel de numéro RPPS {rpps} a modifié son nom et son prénom \
                     d'exercice dans Enrôle. Le changement figure dans son historique."
                )],
                ("Espace gestionnaire", &link),
            )
        };
        state
            .storage
            .update_exercice(p.id, nom.as_str(), prenom.as_str(), &notice)
            .await?;
        state.mail_wakeup.notify_one();
    }
    changed_profil(&state, &session).await
}

/// The professional's data as they now stand, after a change: what the page shows next.
async fn changed_profil(
    state: &AppState,
    session: &ProfessionalSession,
) -> Result<Response, ApiError> {
    let professional = state
        .storage
        .own_professional(session.professional.id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let profil = profil_of(state, &professional, session.recent_until(&state.config)).await?;
    Ok(no_store(ApiJson(profil).into_response()))
}

fn notice_email(
    recipient: &str,
    subject: &str,
    paragraphs: &[String],
    link: (&str, &str),
) -> NewEmail {
    let mut text_body = String::from("Bonjour,\n\n");
    let mut html = String::new();
    for paragraph in paragraphs {
        text_body.push_str(paragraph);
        text_body.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>\n", escape_html(paragraph)));
    }
    text_body.push_str(&format!("{} :\n{}\n\nEnrôle\n", link.0, link.1));
    NewEmail {
        recipient: recipient.to_owned(),
        subject: subject.to_owned(),
        text_body,
        html_body: format!(
            "<!doctype html>\n<html lang=\"fr\"><head><meta \
             charset=\"utf-8\"><title>{}</title></head>\n<body style=\"font-family: sans-serif; \
             line-height: 1.5; max-width: 40em\">\n<p>Bonjour,</p>\n{html}<p><a \
             href=\"{}\">{}</a></p>\n<p>Enrôle</p>\n</body></html>\n",
            escape_html(subject),
            escape_html(link.1),
            escape_html(link.0),
        ),
    }
}
