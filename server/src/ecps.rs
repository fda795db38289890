//! e-CPS activation and sign-in with two codes (one by email, one by SMS), and the professional's own space.
//!
//! A challenge is identified by a 256-bit id only the client holds (the database keeps its SHA-256); each 6-digit
//! code, drawn from the operating system's generator, is stored as the SHA-256 of the challenge id, the channel and
//! the code, so the database alone cannot give the codes back. Codes expire ([`crate::config::EcpsSettings`]),
//! serve once and allow a few wrong entries. Starting a challenge answers the same way whether or not the RPPS
//! number is held by someone: a challenge is stored either way (it can never succeed for an unknown number), the
//! per-number resend limit counts both alike, and the codes are sent after the answer, off the request's path.
//!
//! Codes are sent at once (email through SMTP or an `.eml` file, SMS through [`sms::SmsSender`]), not through the
//! durable outbox: they are worthless after a few minutes and must not rest in clear in the database. Notices (the
//! former address told of a change, the gestionnaires told of a new nom d'exercice) go through the outbox.

pub mod sms;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shared::FieldErrors;
use shared::api as json;
use shared::contact::{Email, MobilePhone};
use shared::ecps::{CodeChannel, OneTimeCode};
use shared::names::{NameField, PersonName};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::auth;
use crate::client_ip::ClientIp;
use crate::config::Config;
use crate::error::{ApiError, ApiJson};
use crate::mail::{self, Mailer, escape_html};
use crate::rate_limit::retry_after_secs;
use crate::startup::AppState;
use crate::storage::ecps::{
    ChallengeAttempt, ChallengePurpose, ChallengeRecord, ContactUpdate, NewChallenge,
    ProfessionalRecord, ProfessionalSignIn, professional_actor,
};
use crate::storage::{NewEmail, SessionRecord, SessionRole, now};
use crate::tokens;

/// The window of the per-number (and per-contact-change) resend limit.
const RESEND_WINDOW: time::Duration = time::Duration::minutes(15);

/// The one-time activation link of a validation email: the token goes in the link, its hash in the database.
#[derive(Debug, Clone)]
pub struct ActivationLink {
    token: String,
    pub token_hash: String,
    pub expires_at: OffsetDateTime,
}

impl ActivationLink {
    pub fn new(config: &Config) -> Self {
        let token = tokens::new_token();
        let ttl = time::Duration::try_from(config.ecps.activation_link_ttl)
            .unwrap_or(time::Duration::WEEK);
        Self {
            token_hash: tokens::sha256_hex(token.as_bytes()),
            token,
            expires_at: now() + ttl,
        }
    }

    /// `<public url>/activation?jeton=<token>`.
    pub fn url(&self, public_url: &str) -> String {
        format!("{public_url}/activation?jeton={}", self.token)
    }
}

/// A 6-digit code from the operating system's generator, uniformly drawn.
fn new_code() -> String {
    loop {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes).unwrap_or_else(|err| panic!("no system randomness: {err}"));
        let n = u32::from_le_bytes(bytes);
        // Rejection sampling: 4_294_000_000 is a multiple of 10^6.
        if n < 4_294_000_000 {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// What is stored of a code: keyed with the challenge id, which only the client holds.
fn code_hash(challenge_id: &str, channel: CodeChannel, code: &str) -> String {
    tokens::sha256_hex(format!("{challenge_id}:{}:{code}", channel.field()).as_bytes())
}

/// A fingerprint of the email and mobile the codes go to: a correction meanwhile voids them.
fn contact_key(email: &str, mobile: &str) -> String {
    tokens::sha256_hex(format!("{email}\n{mobile}").as_bytes())
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn too_many_codes(wait: time::Duration) -> ApiError {
    let minutes = wait.whole_minutes().max(0) + 1;
    ApiError::Coded {
        status: StatusCode::TOO_MANY_REQUESTS,
        code: "too_many_codes",
        message: format!(
            "Trop de codes ont été demandés en peu de temps : réessayez dans {minutes} minute(s)."
        ),
    }
}

fn codes_refused(attempt: &ChallengeAttempt) -> ApiError {
    let (status, code, message) = match attempt {
        ChallengeAttempt::Expired => (
            StatusCode::GONE,
            "codes_expired",
            "Ces codes ont expiré : demandez-en de nouveaux.",
        ),
        ChallengeAttempt::Used => (
            StatusCode::CONFLICT,
            "codes_used",
            "Ces codes ont déjà servi : demandez-en de nouveaux.",
        ),
        ChallengeAttempt::Exhausted => (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "Trop d'essais avec des codes incorrects : ces codes ne sont plus valables, demandez-en de nouveaux.",
        ),
        ChallengeAttempt::Unknown | ChallengeAttempt::Open(_) => (
            StatusCode::CONFLICT,
            "codes_unknown",
            "Ces codes ne correspondent à aucune demande en cours : demandez de nouveaux codes.",
        ),
    };
    ApiError::Coded {
        status,
        code,
        message: message.to_owned(),
    }
}

/// Parses the codes the challenge expects; per-field errors otherwise.
fn parse_codes(
    request: &json::CodesConfirm,
    email: bool,
    sms: bool,
) -> Result<(Option<OneTimeCode>, Option<OneTimeCode>), ApiError> {
    let mut errors = FieldErrors::new();
    let mut parse = |wanted: bool, typed: &str, channel: CodeChannel| {
        if !wanted {
            return None;
        }
        OneTimeCode::parse(typed, channel)
            .map_err(|err| errors.add(err.field(), err.to_string()))
            .ok()
    };
    let email_code = parse(email, &request.email_code, CodeChannel::Email);
    let sms_code = parse(sms, &request.sms_code, CodeChannel::Sms);
    if errors.is_empty() {
        Ok((email_code, sms_code))
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Compares the typed codes with the challenge's; `Err` names the wrong ones and the attempts left.
fn check_codes(
    challenge_id: &str,
    record: &ChallengeRecord,
    email_code: Option<&OneTimeCode>,
    sms_code: Option<&OneTimeCode>,
    known: bool,
    max_attempts: i64,
) -> Result<(), ApiError> {
    let matches =
        |stored: &Option<String>, typed: Option<&OneTimeCode>, channel: CodeChannel| match (
            stored, typed,
        ) {
            (Some(stored), Some(typed)) => {
                known && *stored == code_hash(challenge_id, channel, typed.as_str())
            }
            (None, None) => true,
            _ => false,
        };
    let email_ok = matches(&record.email_code_hash, email_code, CodeChannel::Email);
    let sms_ok = matches(&record.sms_code_hash, sms_code, CodeChannel::Sms);
    if email_ok && sms_ok {
        return Ok(());
    }
    let mut fields = FieldErrors::new();
    if !email_ok {
        fields.add("email_code", "Le code reçu par email est incorrect.");
    }
    if !sms_ok {
        fields.add("sms_code", "Le code reçu par SMS est incorrect.");
    }
    let left = (max_attempts - record.attempts).max(0);
    let message = if left == 0 {
        "Code incorrect, et plus aucun essai : demandez de nouveaux codes.".to_owned()
    } else {
        format!("Code incorrect : il vous reste {left} essai(s).")
    };
    Err(ApiError::Validation { message, fields })
}

fn code_email(recipient: &str, code: &str, minutes: i64, purpose: &str) -> NewEmail {
    let subject = format!("Enrôle : votre code e-CPS {code}");
    let text_body = format!(
        "Bonjour,\n\nVotre code pour {purpose} : {code}\n\nIl expire dans {minutes} minutes et ne sert qu'une fois. \
         Saisissez-le avec le code reçu par SMS. Ne le communiquez à personne : Enrôle ne vous le demandera jamais \
         par téléphone.\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n\nEnrôle\n"
    );
    let html_body = format!(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5; max-width: 40em\">\n<p>Bonjour,</p>\n\
         <p>Votre code pour {} : <strong style=\"font-size: 1.4em; letter-spacing: 0.1em\">{code}</strong></p>\n\
         <p>Il expire dans {minutes} minutes et ne sert qu'une fois. Saisissez-le avec le code reçu par SMS. Ne le \
         communiquez à personne : Enrôle ne vous le demandera jamais par téléphone.</p>\n\
         <p>Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.</p>\n<p>Enrôle</p>\n</body></html>\n",
        escape_html(&subject),
        escape_html(purpose),
    );
    NewEmail {
        recipient: recipient.to_owned(),
        subject,
        text_body,
        html_body,
    }
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
            "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
             <body style=\"font-family: sans-serif; line-height: 1.5; max-width: 40em\">\n<p>Bonjour,</p>\n{html}\
             <p><a href=\"{}\">{}</a></p>\n<p>Enrôle</p>\n</body></html>\n",
            escape_html(subject),
            escape_html(link.1),
            escape_html(link.0),
        ),
    }
}

/// Sends the codes after the answer (so that known and unknown numbers take the same time); logs name the channel
/// and the outcome only.
fn send_codes(
    state: &AppState,
    email: Option<(String, String)>,
    sms: Option<(String, String)>,
    purpose: &'static str,
) {
    let config = std::sync::Arc::clone(&state.config);
    tokio::spawn(async move {
        let minutes = i64::try_from(config.ecps.code_ttl.as_secs() / 60)
            .unwrap_or(10)
            .max(1);
        if let Some((recipient, code)) = email {
            let message = code_email(&recipient, &code, minutes, purpose);
            let mailer = Mailer::from_config(&config);
            match mail::send_now(&mailer, &config.mail.from, &message).await {
                Ok(()) => tracing::info!(channel = "email", "e-CPS code sent"),
                Err(error) => tracing::warn!(channel = "email", %error, "e-CPS code not sent"),
            }
        }
        if let Some((to, code)) = sms {
            let text = format!(
                "Enrôle : votre code pour {purpose} est {code}. Il expire dans {minutes} min. Ne le communiquez à \
                 personne."
            );
            match sms::SmsSender::from_config(&config).send(&to, &text).await {
                Ok(()) => tracing::info!(channel = "sms", "e-CPS code sent"),
                Err(error) => tracing::warn!(channel = "sms", %error, "e-CPS code not sent"),
            }
        }
    });
}

/// A valid professional session (e-CPS); 401 otherwise, including for a gestionnaire's session.
#[derive(Debug, Clone)]
pub struct ProfessionalSession {
    pub session: SessionRecord,
    pub professional: ProfessionalRecord,
}

impl FromRequestParts<AppState> for ProfessionalSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (session, hash) = auth::live_session(parts, state, SessionRole::Professionnel).await?;
        // A gestionnaire's correction of the contact data resets the activation: the session no longer holds.
        let professional = state
            .storage
            .own_professional(session.subject_id)
            .await?
            .filter(|p| p.ecps_activated_at.is_some())
            .ok_or(ApiError::Unauthenticated)?;
        auth::keep_alive(state, &session, &hash).await?;
        Ok(Self {
            session,
            professional,
        })
    }
}

impl ProfessionalSession {
    /// Until when the sign-in counts as recent (contact changes need it).
    fn recent_until(&self, config: &Config) -> OffsetDateTime {
        let window = time::Duration::try_from(config.ecps.recent_sign_in)
            .unwrap_or(time::Duration::minutes(5));
        self.session.created_at + window
    }
}

async fn profil_of(
    state: &AppState,
    professional: &ProfessionalRecord,
    recent_until: OffsetDateTime,
) -> Result<json::Profil, ApiError> {
    use shared::nomenclature::{Metier, ModeExercice, Role};
    let situations = state.storage.own_situations(professional.id).await?;
    let prenoms: Vec<String> = serde_json::from_str(&professional.prenoms)
        .unwrap_or_else(|_| vec![professional.prenoms.clone()]);
    let mobile = MobilePhone::parse(&professional.mobile)
        .map_or_else(|_| professional.mobile.clone(), |m| m.display_national());
    Ok(json::Profil {
        rpps: professional.rpps.clone(),
        civilite: shared::civilite::Civilite::parse(&professional.civilite)
            .map_or_else(|_| professional.civilite.clone(), |c| c.label().to_owned()),
        nom_naissance: professional.nom_naissance.clone(),
        prenoms,
        date_naissance: professional.date_naissance.clone(),
        email: professional.email.clone(),
        mobile,
        nom_exercice: professional.nom_exercice.clone(),
        prenom_exercice: professional.prenom_exercice.clone(),
        ecps_activated_at: professional.ecps_activated_at.map(rfc3339),
        situations: situations
            .into_iter()
            .map(|s| json::OwnSituation {
                id: s.id,
                site_nom: s.site_nom,
                entite_juridique_nom: s.establishment_nom,
                metier: Metier::parse(&s.metier).map_or(s.metier.clone(), |m| m.label().to_owned()),
                role: Role::parse(&s.role).map_or(s.role.clone(), |r| r.label().to_owned()),
                mode_exercice: ModeExercice::parse(&s.mode_exercice)
                    .map_or(s.mode_exercice.clone(), |m| m.label().to_owned()),
                date_debut: s.date_prise_fonction,
                date_fin: s.ended_at.map(|at| at.date().to_string()),
                active: s.active,
            })
            .collect(),
        recent_sign_in_until: rfc3339(recent_until),
    })
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Starts an e-CPS activation or sign-in: a code to the registered email, another by SMS to the registered mobile.
#[utoipa::path(
    post,
    path = "/api/v1/activation/start",
    tag = "ecps",
    request_body = json::ActivationStart,
    params(("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »")),
    responses(
        (status = 202, description = "Même réponse que le numéro soit connu ou non ; les codes partent s'il l'est", body = json::ChallengeSent),
        (status = 410, description = "Lien d'activation expiré ou déjà utilisé (link_expired)", body = json::ErrorEnvelope),
        (status = 422, description = "Numéro RPPS mal formé (champ rpps)", body = json::ErrorEnvelope),
        (status = 429, description = "Trop de codes demandés (pour ce numéro, ou depuis cette adresse)", body = json::ErrorEnvelope),
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
            let link_gone = || {
                ApiError::Coded {
                status: StatusCode::GONE,
                code: "link_expired",
                message: "Ce lien d'activation n'est plus valable (déjà utilisé ou expiré) : saisissez votre \
                          numéro RPPS pour recevoir vos codes."
                    .to_owned(),
            }
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
        message: "Si ce numéro RPPS est celui d'un professionnel enregistré, un code vient d'être envoyé à son \
                  adresse email et un autre par SMS à son mobile. Saisissez les deux codes."
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
        (status = 200, description = "Activé ou connecté : cookie de session posé", body = json::Profil),
        (status = 409, description = "Codes déjà utilisés (codes_used) ou inconnus (codes_unknown)", body = json::ErrorEnvelope),
        (status = 410, description = "Codes expirés (codes_expired)", body = json::ErrorEnvelope),
        (status = 422, description = "Code incorrect ou mal saisi (champs email_code, sms_code)", body = json::ErrorEnvelope),
        (status = 429, description = "Trop d'essais : codes annulés (too_many_attempts)", body = json::ErrorEnvelope),
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
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        auth::set_cookie(&state.config, "", None),
    );
    Ok(response)
}

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
        (status = 202, description = "Codes envoyés aux nouvelles coordonnées", body = json::ContactChallengeSent),
        (status = 401, description = "Pas de session de professionnel", body = json::ErrorEnvelope),
        (status = 403, description = "Connexion trop ancienne : reconnectez-vous avec vos deux codes (reauthentication_required)", body = json::ErrorEnvelope),
        (status = 422, description = "Adresse ou numéro invalide (champs email, mobile)", body = json::ErrorEnvelope),
        (status = 429, description = "Trop de codes demandés (too_many_codes)", body = json::ErrorEnvelope),
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
            message: "Pour modifier vos coordonnées, confirmez d'abord votre identité avec les codes reçus par \
                      email et par SMS : votre connexion date de plus de quelques minutes."
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
        (status = 422, description = "Code incorrect (champs email_code, sms_code)", body = json::ErrorEnvelope),
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
            "Ce n'était pas vous ? Contactez sans attendre le gestionnaire RPPS+ de votre établissement : il \
             peut corriger vos coordonnées, après quoi votre e-CPS sera à activer de nouveau."
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
    let professional = state
        .storage
        .own_professional(p.id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let profil = profil_of(&state, &professional, session.recent_until(&state.config)).await?;
    Ok(no_store(ApiJson(profil).into_response()))
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
        (status = 422, description = "Nom ou prénom invalide (champs nom_exercice, prenom_exercice)", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn exercice(
    State(state): State<AppState>,
    session: ProfessionalSession,
    ApiJson(request): ApiJson<json::ExerciceChange>,
) -> Result<Response, ApiError> {
    let p = &session.professional;
    let mut errors = FieldErrors::new();
    let nom = errors.capture(
        "nom_exercice",
        PersonName::parse_field(&request.nom_exercice, NameField::NomExercice),
    );
    let prenom = errors.capture(
        "prenom_exercice",
        PersonName::parse_field(&request.prenom_exercice, NameField::PrenomExercice),
    );
    let (Some(nom), Some(prenom)) = (nom, prenom) else {
        return Err(ApiError::validation(errors));
    };
    if nom.as_str() != p.nom_exercice || prenom.as_str() != p.prenom_exercice {
        let link = format!("{}/gestion", state.config.public_url);
        let rpps = p.rpps.clone();
        let notice = move |recipient: &str| {
            notice_email(
                recipient,
                "Enrôle : un professionnel de votre établissement a changé son nom d'exercice",
                &[format!(
                    "Le professionnel de numéro RPPS {rpps} a modifié son nom et son prénom d'exercice dans \
                         Enrôle. Le changement figure dans son historique."
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
    let professional = state
        .storage
        .own_professional(p.id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let profil = profil_of(&state, &professional, session.recent_until(&state.config)).await?;
    Ok(no_store(ApiJson(profil).into_response()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: Vec<String> = (0..50).map(|_| new_code()).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        let mut distinct = codes.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() > 40, "{codes:?}");
    }

    #[test]
    fn code_hashes_are_keyed_by_the_challenge_and_the_channel() {
        let a = code_hash("a", CodeChannel::Email, "123456");
        assert_eq!(a, code_hash("a", CodeChannel::Email, "123456"));
        assert_ne!(a, code_hash("b", CodeChannel::Email, "123456"));
        assert_ne!(a, code_hash("a", CodeChannel::Sms, "123456"));
        assert_ne!(a, tokens::sha256_hex(b"123456"));
    }
}
