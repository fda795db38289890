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
//!
//! [`activation`] holds the activation and sign-in, [`espace`] the professional's own space, `codes` the codes
//! themselves; this module holds the routes, the session extractor and what they share.

pub mod activation;
mod codes;
pub mod espace;
pub mod sms;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post, put};
use shared::api as json;
use time::OffsetDateTime;

use crate::api::rfc3339;
use crate::auth;
use crate::config::Config;
use crate::error::ApiError;
use crate::startup::AppState;
use crate::storage::ecps::ProfessionalRecord;
use crate::storage::{SessionRecord, SessionRole, now, prenoms_from_stored};
use crate::tokens;

/// The routes of e-CPS and of the professional's space; [`crate::api::router`] puts them behind the CSRF rules.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/activation/start", post(activation::start))
        .route("/v1/activation/confirm", post(activation::confirm))
        .route("/v1/espace/sign-out", post(activation::sign_out))
        .route("/v1/espace/profil", get(espace::profil))
        .route("/v1/espace/contact", post(espace::contact_start))
        .route("/v1/espace/contact/confirm", post(espace::contact_confirm))
        .route("/v1/espace/exercice", put(espace::exercice))
}

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

/// A fingerprint of the email and mobile the codes go to: a correction meanwhile voids them.
fn contact_key(email: &str, mobile: &str) -> String {
    tokens::sha256_hex(format!("{email}\n{mobile}").as_bytes())
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
    Ok(json::Profil {
        rpps: professional.rpps.clone(),
        civilite: shared::format::civilite(&professional.civilite),
        nom_naissance: professional.nom_naissance.clone(),
        prenoms: prenoms_from_stored(&professional.prenoms),
        date_naissance: professional.date_naissance.clone(),
        email: professional.email.clone(),
        mobile: shared::format::mobile(&professional.mobile),
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
