//! Gestionnaire sign-in, sessions and CSRF defence.
//!
//! Sessions live in the database (several instances share them): a random 256-bit id in an HttpOnly, SameSite=Strict
//! cookie (`__Host-enrole_session`, Secure, over HTTPS), of which only the SHA-256 is stored. The session layer
//! knows a role and a subject id, not how the person authenticated, so that an e-CPS sign-in can reuse it.
//!
//! CSRF: every state-changing request of `/api/v1/auth` and `/api/v1/gestion` must come from our origin (`Origin`,
//! or `Referer` when absent) and carry `X-Enrole-Csrf: 1`, which a cross-origin page cannot set without a CORS
//! preflight that is never granted.

use std::net::IpAddr;
use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shared::FieldErrors;
use shared::api as json;

use crate::api::rfc3339;
use crate::client_ip::ClientIp;
use crate::config::Config;
use crate::error::{ApiError, ApiJson};
use crate::startup::AppState;
use crate::storage::{Actor, GestionnaireRecord, NewSession, SessionRecord, SessionRole, now};
use crate::tokens;

/// The header every state-changing request must carry.
pub const CSRF_HEADER: &str = "x-enrole-csrf";
/// Longest accepted password (hashing cost is bounded).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Shortest accepted password.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The session cookie's name: `__Host-` prefixed (Secure, Path=/, no Domain) over HTTPS.
pub fn cookie_name(config: &Config) -> &'static str {
    if config.is_https() {
        "__Host-enrole_session"
    } else {
        "enrole_session"
    }
}

pub(crate) fn set_cookie(config: &Config, value: &str, max_age: Option<u64>) -> HeaderValue {
    let secure = if config.is_https() { "; Secure" } else { "" };
    let max_age = max_age.map_or_else(|| "; Max-Age=0".to_owned(), |s| format!("; Max-Age={s}"));
    HeaderValue::from_str(&format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict{secure}{max_age}",
        cookie_name(config)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("enrole_session=; Max-Age=0"))
}

pub(crate) fn session_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| tokens::is_token(v))
}

fn argon2() -> Argon2<'static> {
    // OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with argon2id (on the blocking pool: it is slow by design, see ARCHITECTURE.md).
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hash: {e}"))
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?
    .map_err(ApiError::Internal)
}

/// A hash of a password nobody knows, verified for unknown accounts so that they take as long as known ones.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut secret = [0u8; 32];
    let _ = getrandom::fill(&mut secret);
    SaltString::encode_b64(b"enrole-dummy-salt")
        .ok()
        .and_then(|salt| {
            argon2()
                .hash_password(&secret, &salt)
                .ok()
                .map(|h| h.to_string())
        })
        .unwrap_or_default()
});

/// Verifies `password` against `hash` (or against a dummy hash when `None`), on the blocking pool.
async fn verify_password(password: String, hash: Option<String>) -> bool {
    let known = hash.is_some();
    let result = tokio::task::spawn_blocking(move || {
        let stored = hash.unwrap_or_else(|| DUMMY_HASH.clone());
        PasswordHash::new(&stored).is_ok_and(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false);
    known && result
}

/// The password policy, in French, every problem at once: at least 12 characters, at most 256, at least three of
/// the four kinds (lowercase, uppercase, digits, others) — or two kinds from 20 characters (a passphrase) —, not
/// one repeated character, not containing the email's local part.
pub fn check_password(password: &str, email: &str) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let count = password.chars().count();
    if count < MIN_PASSWORD_CHARS {
        errors.add(
            "password",
            format!("Le mot de passe doit comporter au moins {MIN_PASSWORD_CHARS} caractères."),
        );
    }
    if count > MAX_PASSWORD_CHARS {
        errors.add(
            "password",
            format!("Le mot de passe ne doit pas dépasser {MAX_PASSWORD_CHARS} caractères."),
        );
    }
    let kinds = [
        password.chars().any(char::is_lowercase),
        password.chars().any(char::is_uppercase),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ]
    .into_iter()
    .filter(|k| *k)
    .count();
    if count >= MIN_PASSWORD_CHARS && kinds < 3 && !(count >= 20 && kinds >= 2) {
        errors.add(
            "password",
            "Mélangez au moins trois sortes de caractères parmi minuscules, majuscules, chiffres et symboles \
             (ou deux sortes à partir de 20 caractères, par exemple une phrase).",
        );
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if count >= MIN_PASSWORD_CHARS && distinct.len() < 5 {
        errors.add(
            "password",
            "Le mot de passe répète trop peu de caractères différents.",
        );
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if local.chars().count() >= 4 && password.to_lowercase().contains(&local) {
        errors.add(
            "password",
            "Le mot de passe ne doit pas contenir votre adresse email.",
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The scheme, host and port of the public URL (what browsers send as `Origin`).
pub fn public_origin(public_url: &str) -> &str {
    let start = public_url.find("://").map_or(0, |i| i + 3);
    match public_url[start..].find('/') {
        Some(i) => &public_url[..start + i],
        None => public_url,
    }
}

/// Middleware of `/api/v1/auth` and `/api/v1/gestion`: refuses state-changing requests that do not come from our
/// origin with the custom header.
pub async fn csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Only the methods our routes change state with are checked; any other (TRACE, PROPFIND…) goes on to the
    // router, which refuses it with 405 instead of a misleading 403.
    if !matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) {
        return next.run(request).await;
    }
    let origin = public_origin(&state.config.public_url);
    let headers = request.headers();
    let from_origin = match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(given) => given == origin,
        None => headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|r| r == origin || r.starts_with(&format!("{origin}/"))),
    };
    let has_header = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "1");
    if from_origin && has_header {
        next.run(request).await
    } else {
        tracing::warn!(from_origin, has_header, "CSRF check refused a request");
        ApiError::Forbidden(
            "Requête refusée : elle ne provient pas de l'application Enrôle (protection contre la falsification \
             de requête)."
                .to_owned(),
        )
        .into_response()
    }
}

/// A valid gestionnaire session: the extractor answers 401 otherwise (and ends an expired session).
#[derive(Debug, Clone)]
pub struct GestionnaireSession {
    pub session: SessionRecord,
    pub gestionnaire: GestionnaireRecord,
}

impl GestionnaireSession {
    pub fn actor(&self) -> Actor {
        Actor::gestionnaire(self.gestionnaire.id)
    }
}

/// The live session of `role` named by the request's cookie, with the hash of its id. A session whose idle or
/// absolute time is over is ended (audited) and refused, as is a session of another role.
pub(crate) async fn live_session(
    parts: &Parts,
    state: &AppState,
    role: SessionRole,
) -> Result<(SessionRecord, String), ApiError> {
    let token = session_cookie(&parts.headers, cookie_name(&state.config))
        .ok_or(ApiError::Unauthenticated)?;
    let hash = tokens::sha256_hex(token.as_bytes());
    let session = state
        .storage
        .find_session(&hash)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let now = now();
    let idle_over = session.last_seen_at + idle_timeout(state) <= now;
    if session.expires_at <= now || idle_over {
        let reason = if idle_over { "idle" } else { "absolute" };
        state
            .storage
            .delete_session(
                &session,
                Some("auth.session_expired"),
                json!({"reason": reason}),
            )
            .await?;
        return Err(ApiError::Unauthenticated);
    }
    if session.role != role.code() {
        return Err(ApiError::Unauthenticated);
    }
    Ok((session, hash))
}

/// Refreshes the idle clock of a session in use, at most every tenth of the idle timeout (one write per minute
/// at most).
pub(crate) async fn keep_alive(
    state: &AppState,
    session: &SessionRecord,
    hash: &str,
) -> Result<(), ApiError> {
    let refresh_every: time::Duration = (idle_timeout(state) / 10_i32).min(time::Duration::MINUTE);
    if now() - session.last_seen_at >= refresh_every {
        state.storage.touch_session(hash).await?;
    }
    Ok(())
}

fn idle_timeout(state: &AppState) -> time::Duration {
    time::Duration::try_from(state.config.gestion.session_idle_timeout)
        .unwrap_or(time::Duration::MAX)
}

impl FromRequestParts<AppState> for GestionnaireSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (session, hash) = live_session(parts, state, SessionRole::Gestionnaire).await?;
        let gestionnaire = state
            .storage
            .find_gestionnaire(session.subject_id)
            .await?
            .filter(|g| g.disabled_at.is_none())
            .ok_or(ApiError::Unauthenticated)?;
        keep_alive(state, &session, &hash).await?;
        Ok(Self {
            session,
            gestionnaire,
        })
    }
}

async fn me_of(
    state: &AppState,
    gestionnaire: &GestionnaireRecord,
    expires_at: time::OffsetDateTime,
) -> Result<json::Me, ApiError> {
    let sites = state.storage.gestionnaire_sites(gestionnaire.id).await?;
    Ok(json::Me {
        role: SessionRole::Gestionnaire.code().to_owned(),
        gestionnaire: json::GestionnaireInfo {
            id: gestionnaire.id,
            email: gestionnaire.email.clone(),
            nom: gestionnaire.nom.clone(),
        },
        sites: sites
            .into_iter()
            .map(|s| json::GestionSite {
                id: s.site.id,
                nom: s.site.nom,
                finess: s.site.finess,
                commune: s.site.commune,
                entite_juridique_nom: s.establishment_nom,
            })
            .collect(),
        session_expires_at: rfc3339(expires_at),
    })
}

/// Normalised email as stored: trimmed, lowercased.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn secs(d: time::Duration) -> u64 {
    u64::try_from(d.whole_seconds()).unwrap_or(0).max(1)
}

/// Signs a gestionnaire in with email and password.
#[utoipa::path(
    post,
    path = "/api/v1/auth/sign-in",
    tag = "gestion",
    request_body = json::SignInRequest,
    params(("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »")),
    responses(
        (status = 200, description = "Connecté : cookie de session posé", body = json::Me),
        (status = 401, description = "Adresse ou mot de passe incorrect", body = json::ErrorEnvelope),
        (status = 403, description = "Origine ou en-tête CSRF manquants", body = json::ErrorEnvelope),
        (status = 429, description = "Trop d'échecs : connexion verrouillée (Retry-After)", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(request): ApiJson<json::SignInRequest>,
) -> Result<Response, ApiError> {
    let settings = &state.config.gestion;
    let email = normalise_email(&request.email);
    let account_key = format!("account:{email}");
    let address_key = format!("ip:{client}");
    let now = now();
    for key in [&account_key, &address_key] {
        if let Some(until) = state.storage.sign_in_locked_until(key).await? {
            return Err(ApiError::Locked {
                retry_after_secs: secs(until - now),
            });
        }
    }
    let found = state.storage.find_gestionnaire_by_email(&email).await?;
    let usable = found
        .as_ref()
        .filter(|g| g.disabled_at.is_none())
        .and_then(|g| g.password_hash.clone());
    let password = request
        .password
        .chars()
        .take(MAX_PASSWORD_CHARS + 1)
        .collect();
    let ok = verify_password(password, usable).await;
    match found.filter(|_| ok) {
        Some(gestionnaire) => {
            state.storage.clear_sign_in_failures(&account_key).await?;
            let token = tokens::new_token();
            let hash = tokens::sha256_hex(token.as_bytes());
            let lifetime = settings.session_absolute_timeout;
            let expires_at =
                now + time::Duration::try_from(lifetime).unwrap_or(time::Duration::DAY);
            state
                .storage
                .create_session(
                    &NewSession {
                        id_hash: &hash,
                        role: SessionRole::Gestionnaire,
                        subject_id: gestionnaire.id,
                        method: "password",
                        expires_at,
                    },
                    &Actor::gestionnaire(gestionnaire.id),
                    json!({"method": "password", "client": client.to_string()}),
                )
                .await?;
            let me = me_of(&state, &gestionnaire, expires_at).await?;
            let mut response = (StatusCode::OK, ApiJson(me)).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                set_cookie(&state.config, &token, Some(lifetime.as_secs())),
            );
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        None => Err(sign_in_failed(&state, client, &account_key, &address_key).await?),
    }
}

async fn sign_in_failed(
    state: &AppState,
    client: IpAddr,
    account_key: &str,
    address_key: &str,
) -> Result<ApiError, ApiError> {
    let settings = &state.config.gestion;
    let lock_for = time::Duration::try_from(settings.sign_in_lock).unwrap_or(time::Duration::HOUR);
    let actor = Actor::public(client);
    let account = state
        .storage
        .record_sign_in_failure(account_key, lock_for, settings.sign_in_lock_after, lock_for)
        .await?;
    let address = state
        .storage
        .record_sign_in_failure(
            address_key,
            lock_for,
            settings.sign_in_lock_after_per_address,
            lock_for,
        )
        .await?;
    // The account's email is personal data: the audit keeps a hash of it.
    let account_hash = tokens::sha256_hex(account_key.as_bytes());
    state
        .storage
        .audit(
            &actor,
            "auth.sign_in_failed",
            "auth",
            json!({"account": &account_hash[..16], "failures": account.failures}),
        )
        .await?;
    for (what, count) in [("account", account), ("address", address)] {
        if let Some(until) = count.locked_until {
            state
                .storage
                .audit(
                    &actor,
                    "auth.locked",
                    "auth",
                    json!({"what": what, "account": &account_hash[..16], "until": until.unix_timestamp()}),
                )
                .await?;
            return Ok(ApiError::Locked {
                retry_after_secs: secs(until - now()),
            });
        }
    }
    if account.failures.max(address.failures) >= settings.sign_in_slowdown_after {
        tokio::time::sleep(settings.sign_in_slowdown).await;
    }
    Ok(ApiError::InvalidCredentials)
}

/// Ends the current session.
#[utoipa::path(
    post,
    path = "/api/v1/auth/sign-out",
    tag = "gestion",
    params(("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »")),
    responses(
        (status = 204, description = "Déconnecté, cookie effacé"),
        (status = 401, description = "Pas de session", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn sign_out(
    State(state): State<AppState>,
    session: GestionnaireSession,
) -> Result<Response, ApiError> {
    state
        .storage
        .delete_session(&session.session, Some("auth.sign_out"), json!({}))
        .await?;
    Ok(signed_out(&state.config))
}

/// `204` with the session cookie cleared: the answer of both sign-outs.
pub fn signed_out(config: &Config) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(config, "", None));
    response
}

/// The signed-in gestionnaire and their sites.
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    tag = "gestion",
    responses(
        (status = 200, description = "Le gestionnaire connecté", body = json::Me),
        (status = 401, description = "Pas de session, ou session expirée", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn me(
    State(state): State<AppState>,
    session: GestionnaireSession,
) -> Result<Response, ApiError> {
    let me = me_of(&state, &session.gestionnaire, session.session.expires_at).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], ApiJson(me)).into_response())
}

/// Sets a password through a one-time link (the token from `/gestion/mot-de-passe/<token>`).
#[utoipa::path(
    post,
    path = "/api/v1/auth/password",
    tag = "gestion",
    request_body = json::SetPasswordRequest,
    params(("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »")),
    responses(
        (status = 204, description = "Mot de passe enregistré ; les sessions ouvertes sont fermées"),
        (status = 404, description = "Lien inconnu, expiré ou déjà utilisé", body = json::ErrorEnvelope),
        (status = 422, description = "Mot de passe trop faible (champ password)", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn set_password(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<json::SetPasswordRequest>,
) -> Result<Response, ApiError> {
    let token = request.token.trim();
    let link_gone = || {
        ApiError::Conflict {
        message: "Ce lien n'est plus valable (expiré ou déjà utilisé) : demandez un nouveau lien à votre \
                  administrateur."
            .to_owned(),
        fields: FieldErrors::new(),
    }
    };
    if !tokens::is_token(token) {
        return Err(ApiError::NotFound);
    }
    let hash = tokens::sha256_hex(token.as_bytes());
    let owner = state
        .storage
        .password_token_owner(&hash)
        .await?
        .ok_or_else(link_gone)?;
    check_password(&request.password, &owner.email).map_err(ApiError::validation)?;
    let password_hash = hash_password(request.password).await?;
    state
        .storage
        .use_password_token(&hash, &password_hash)
        .await?
        .ok_or_else(link_gone)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_policy_explains_itself() {
        assert!(check_password("Correct-Horse-9", "a@b.fr").is_ok());
        assert!(check_password("une phrase de passe assez longue", "a@b.fr").is_ok());
        assert!(check_password("unephrasedepasseassezlongue", "a@b.fr").is_err());

        for weak in [
            "court1A!",
            "aaaaaaaaaaaaaaaa",
            "aaaaaaaaaaA1!",
            "motdepasselong",
        ] {
            assert!(check_password(weak, "a@b.fr").is_err(), "{weak}");
        }
        assert!(check_password("Camille.Martin-2026", "camille.martin@exemple.fr").is_err());
    }

    #[test]
    fn origins_drop_the_path() {
        assert_eq!(
            public_origin("https://enrole.example.fr/app"),
            "https://enrole.example.fr"
        );
        assert_eq!(
            public_origin("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
    }

    #[tokio::test]
    async fn hashes_verify_and_the_dummy_hash_parses() {
        let hash = hash_password("Correct-Horse-9".to_owned())
            .await
            .expect("hash");
        assert!(verify_password("Correct-Horse-9".to_owned(), Some(hash.clone())).await);
        assert!(!verify_password("wrong".to_owned(), Some(hash)).await);
        assert!(PasswordHash::new(&DUMMY_HASH).is_ok());
        assert!(!verify_password("x".to_owned(), None).await);
    }
}
