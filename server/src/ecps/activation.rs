//! Activation and sign-in with two codes, one by email and one by SMS, and the sign-out.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shared::api as json;
use shared::ecps::CodeChannel;

use super::codes::{
    check_codes, code_hash, codes_refused, new_code, parse_codes, send_codes, too_many_codes,
};
use super::{ProfessionalSession, RESEND_WINDOW, contact_key, no_store, profil_of};
use crate::auth;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ApiJson};
use crate::rate_limit::retry_after_secs;
use crate::startup::AppState;
use crate::storage::ecps::{
    ChallengeAttempt, ChallengePurpose, NewChallenge, ProfessionalSignIn, professional_actor,
};
use crate::storage::now;
use crate::tokens;

/// Starts an e-CPS activation or sign-in: a code to the registered email, another by SMS to the registered mobile.
#[utoipa::path(
    post,
    path = "/api/v1/activation/start",
    tag = "ecps",
    request_body = json::ActivationStart,
    params(("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »")),
    responses(
        (status = 202, description = "Même réponse que le numéro soit connu ou non ; les codes \
                                      partent s'il l'est", body = json::ChallengeSent),
        (status = 410, description = "Lien d'activation expiré ou déjà utilisé \
                                      (link_expired)", body = json::ErrorEnvelope),
        (status = 422, description = "Numéro RPPS mal formé (champ \
                                      rpps)", body = json::ErrorEnvelope),
        (status = 429, description = "Trop de codes demandés (pour ce numéro, ou depuis cette \
                                      adresse)", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn start(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(request): ApiJson<json::ActivationStart>,
) -> Result<Response, ApiError> {
    let settings = &state.config.ecps;
    state
        .limits
        .ecps
        .check(client)
        .map_err(|wait| ApiError::TooManyRequests {
            retry_after_secs: retry_after_secs(wait),
        })?;
    let jeton = request
        .jeton
        .as_deref()
        .map(str::trim)
        .filter(|j| !j.is_empty());
    let (professional, number, link_hash) = match jeton {
        Some(jeton) => {
            let link_gone = || ApiError::Coded {
                status: StatusCode::GONE,
                code: "link_expired",
                message:
                    "Ce lien d'activation n'est plus valable (déjà utilisé ou expiré) : saisissez \
                     votre numéro RPPS pour recevoir vos codes."
                        .to_owned(),
            };
            if !tokens::is_token(jeton) {
                return Err(link_gone());
            }
            let hash = tokens::sha256_hex(jeton.as_bytes());
            let owner = state
                .storage
                .activation_link_owner(&hash)
                .await?
                .ok_or_else(link_gone)?;
            let professional = state
                .storage
                .own_professional(owner)
                .await?
                .ok_or_else(link_gone)?;
            let number = professional.rpps.clone();
            (Some(professional), number, Some(hash))
        }
        None => {
            let typed = request.rpps.as_deref().unwrap_or_default();
            let number = shared::ids::Rpps::parse(typed)
                .map_err(|err| ApiError::field("rpps", err.to_string()))?;
            let number = number.as_str().to_owned();
            let professional = state.storage.find_professional_by_rpps(&number).await?;
            (professional, number, None)
        }
    };
    let rate_key = tokens::sha256_hex(format!("rpps:{number}").as_bytes());
    let at = now();
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
    let (email_code, sms_code) = (new_code(), new_code());
    let email_hash = code_hash(&challenge_id, CodeChannel::Email, &email_code);
    let sms_hash = code_hash(&challenge_id, CodeChannel::Sms, &sms_code);
    let purpose = match &professional {
        Some(p) if p.ecps_activated_at.is_some() => ChallengePurpose::SignIn,
        _ => ChallengePurpose::Activation,
    };
    let contact = professional
        .as_ref()
        .map(|p| contact_key(&p.email, &p.mobile));
    let ttl = time::Duration::try_from(settings.code_ttl).unwrap_or(time::Duration::minutes(10));
    let actor = professional
        .as_ref()
        .map(|p| professional_actor(p.id))
        .unwrap_or_else(|| crate::storage::Actor::public(client));
    state
        .storage
        .create_challenge(
            &NewChallenge {
                id_hash: &id_hash,
                purpose,
                professional_id: professional.as_ref().map(|p| p.id),
                rate_key: &rate_key,
                contact_key: contact.as_deref(),
                link_hash: link_hash.as_deref(),
                email_code_hash: Some(&email_hash),
                sms_code_hash: Some(&sms_hash),
                new_email: None,
                new_mobile: None,
                expires_at: at + ttl,
            },
            Some((
                &actor,
                "ecps.codes_sent",
                json!({"purpose": purpose.code(), "via": if link_hash.is_some() { "lien" } else { "rpps" },
                       "client": client.to_string()}),
            )),
        )
        .await?;
    if let Some(p) = professional {
        let what = if purpose == ChallengePurpose::Activation {
            "activer votre e-CPS"
        } else {
            "vous connecter avec votre e-CPS"
        };
        send_codes(
            &state,
            Some((p.email, email_code)),
            Some((p.mobile, sms_code)),
            what,
        );
    }
    let body = json::ChallengeSent {
        challenge_id,
        expires_in_secs: settings.code_ttl.as_secs(),
        message: "Si ce numéro RPPS est celui d'un professionnel enregistré, un code vient d'être \
                  envoyé à son adresse email et un autre par SMS à son mobile. Saisissez les deux \
                  codes."
            .to_owned(),
    };
    Ok(no_store(
        (StatusCode::ACCEPTED, ApiJson(body)).into_response(),
    ))
}

/// Confirms an activation or sign-in with the two codes: opens the professional's session.
#[utoipa::path(
    post,
    path = "/api/v1/activation/confirm",
    tag = "ecps",
    request_body = json::CodesConfirm,
    params(("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »")),
    responses(
        (status = 200, description = "Activé ou connecté : cookie de session \
                                      posé", body = json::Profil),
        (status = 409, description = "Codes déjà utilisés (codes_used) ou inconnus \
                                      (codes_unknown)", body = json::ErrorEnvelope),
        (status = 410, description = "Codes expirés (codes_expired)", body = json::ErrorEnvelope),
        (status = 422, description = "Code incorrect ou mal saisi (champs email_code, \
                                      sms_code)", body = json::ErrorEnvelope),
        (status = 429, description = "Trop d'essais : codes annulés \
                                      (too_many_attempts)", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn confirm(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    ApiJson(request): ApiJson<json::CodesConfirm>,
) -> Result<Response, ApiError> {
    let settings = &state.config.ecps;
    let (email_code, sms_code) = parse_codes(&request, true, true)?;
    let challenge_id = request.challenge_id.trim();
    if !tokens::is_token(challenge_id) {
        return Err(codes_refused(&ChallengeAttempt::Unknown));
    }
    let id_hash = tokens::sha256_hex(challenge_id.as_bytes());
    let attempt = state
        .storage
        .attempt_challenge(
            &id_hash,
            &[ChallengePurpose::Activation, ChallengePurpose::SignIn],
            settings.max_attempts,
        )
        .await?;
    let ChallengeAttempt::Open(record) = attempt else {
        return Err(codes_refused(&attempt));
    };
    let professional = match record.professional_id {
        Some(id) => state.storage.own_professional(id).await?,
        None => None,
    };
    let current = professional
        .as_ref()
        .is_some_and(|p| record.contact_key.as_deref() == Some(&contact_key(&p.email, &p.mobile)));
    check_codes(
        challenge_id,
        &record,
        email_code.as_ref(),
        sms_code.as_ref(),
        current,
        settings.max_attempts,
    )?;
    let Some(professional) = professional else {
        return Err(codes_refused(&ChallengeAttempt::Unknown));
    };
    let token = tokens::new_token();
    let session_hash = tokens::sha256_hex(token.as_bytes());
    let lifetime = state.config.gestion.session_absolute_timeout;
    let expires_at = now() + time::Duration::try_from(lifetime).unwrap_or(time::Duration::DAY);
    let previous = auth::session_cookie(&headers, auth::cookie_name(&state.config))
        .map(|t| tokens::sha256_hex(t.as_bytes()));
    let done = state
        .storage
        .complete_professional_sign_in(&ProfessionalSignIn {
            challenge_hash: &id_hash,
            professional_id: professional.id,
            link_hash: record.link_hash.as_deref(),
            session_hash: &session_hash,
            session_expires_at: expires_at,
            previous_session_hash: previous.as_deref(),
            audit_details: json!({"method": "e-cps", "purpose": record.purpose, "client": client.to_string()}),
        })
        .await?;
    if done.is_none() {
        return Err(codes_refused(&ChallengeAttempt::Used));
    }
    let professional = state
        .storage
        .own_professional(professional.id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let window =
        time::Duration::try_from(settings.recent_sign_in).unwrap_or(time::Duration::minutes(5));
    let profil = profil_of(&state, &professional, now() + window).await?;
    let mut response = (StatusCode::OK, ApiJson(profil)).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        auth::set_cookie(&state.config, &token, Some(lifetime.as_secs())),
    );
    Ok(no_store(response))
}

/// Ends the professional's session.
#[utoipa::path(
    post,
    path = "/api/v1/espace/sign-out",
    tag = "ecps",
    params(("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »")),
    responses(
        (status = 204, description = "Déconnecté, cookie effacé"),
        (status = 401, description = "Pas de session de professionnel", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn sign_out(
    State(state): State<AppState>,
    session: ProfessionalSession,
) -> Result<Response, ApiError> {
    state
        .storage
        .end_professional_session(&session.session.id_hash, session.professional.id)
        .await?;
    Ok(auth::signed_out(&state.config))
}
