//! Typed client of the Enrôle API (`/api/v1`), over gloo-net.
//!
//! Every non-2xx answer becomes an [`ApiError`]; when the server sent its JSON error envelope, the envelope is kept so
//! that forms can show the per-field messages exactly as the server wrote them.

use std::fmt;

use gloo_net::http::Request;
use serde::de::DeserializeOwned;
use shared::api::{
    DocumentUploaded, EmailConfirmation, ErrorEnvelope, Nomenclatures, Notice,
    PreRegistrationCreated, PreRegistrationRequest, PreRegistrationStatus,
};

use crate::json::{self, Value};

/// Why a call to the API did not give the expected value.
#[derive(Clone, Debug)]
pub enum ApiError {
    /// The server refused the request and said why, in its error envelope.
    Server {
        status: u16,
        envelope: ErrorEnvelope,
    },
    /// A non-2xx answer without the envelope (a proxy, a server that is down or restarting).
    Status(u16),
    /// No answer at all: offline, connection refused, request aborted.
    Network,
    /// A 2xx answer whose body is not what this version of the app expects.
    Decode,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Server { envelope, .. } => f.write_str(&envelope.error.message),
            Self::Status(status) if *status >= 500 => write!(
                f,
                "Le service est momentanément indisponible (erreur {status}). Réessayez dans quelques minutes."
            ),
            Self::Status(status) => write!(f, "La demande n'a pas abouti (erreur {status})."),
            Self::Network => f.write_str(
                "Le service ne répond pas. Vérifiez votre connexion à Internet, puis réessayez.",
            ),
            Self::Decode => f.write_str(
                "La réponse du service est illisible. Rechargez la page : une nouvelle version est peut-être en ligne.",
            ),
        }
    }
}

impl std::error::Error for ApiError {}

/// Turns a received answer into the expected value or an [`ApiError`]; kept apart from the network so that it can be
/// tested natively.
pub fn decode<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        serde_json::from_str(body).map_err(|_| ApiError::Decode)
    } else {
        Err(match serde_json::from_str::<ErrorEnvelope>(body) {
            Ok(envelope) => ApiError::Server { status, envelope },
            Err(_) => ApiError::Status(status),
        })
    }
}

/// [`decode`] with a hand-written reader of [`crate::json`] instead of serde (the form's entry point links no
/// serde_json). The same answers give the same results.
pub fn decode_with<T>(
    status: u16,
    body: &str,
    read: fn(&json::Value) -> json::Read<T>,
) -> Result<T, ApiError> {
    let value = json::parse(body);
    if (200..300).contains(&status) {
        value.and_then(|v| read(&v)).map_err(|_| ApiError::Decode)
    } else {
        Err(match value.and_then(|v| json::error_envelope(&v)) {
            Ok(envelope) => ApiError::Server { status, envelope },
            Err(_) => ApiError::Status(status),
        })
    }
}

/// `GET path`, read by hand (see [`decode_with`]).
async fn get_with<T>(path: &str, read: fn(&json::Value) -> json::Read<T>) -> Result<T, ApiError> {
    let response = Request::get(path)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    let body = response.text().await.map_err(|_| ApiError::Network)?;
    decode_with(response.status(), &body, read)
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    let body = response.text().await.map_err(|_| ApiError::Network)?;
    decode(response.status(), &body)
}

/// `GET /api/v1/nomenclatures`: rôles, métiers, modes d'exercice and civilités.
pub async fn nomenclatures() -> Result<Nomenclatures, ApiError> {
    get("/api/v1/nomenclatures").await
}

/// Percent-encodes a query value (everything but unreserved ASCII).
pub fn encode_query(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// One site found by `GET /api/v1/structures` (only the members the form uses).
#[derive(Clone, Debug, PartialEq)]
pub struct StructureMatch {
    pub site: shared::api::Site,
    pub entite_juridique: EntiteRef,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EntiteRef {
    pub nom: String,
}

/// `{"structures":[{"site":{…},"entite_juridique":{"nom":…,…}},…]}`.
fn read_structures(value: &Value) -> json::Read<Vec<StructureMatch>> {
    value.object()?.req("structures", |v| {
        v.list(|m| {
            let m = m.object()?;
            Ok(StructureMatch {
                site: m.req("site", json::site)?,
                entite_juridique: m.req("entite_juridique", |e| {
                    Ok(EntiteRef {
                        nom: e.object()?.string("nom")?,
                    })
                })?,
            })
        })
    })
}

/// `GET /api/v1/structures?q=`: sites by name, commune or FINESS.
pub async fn structures(query: &str) -> Result<Vec<StructureMatch>, ApiError> {
    get_with(
        &format!("/api/v1/structures?q={}", encode_query(query)),
        read_structures,
    )
    .await
}

/// A commune found by `GET /api/v1/communes`.
#[derive(Clone, Debug, PartialEq)]
pub struct CommuneHit {
    pub code: String,
    pub name: String,
    pub departement: String,
    /// Empty when the answer has none.
    pub postcodes: Vec<String>,
    pub kind: String,
    pub current_name: Option<String>,
}

impl CommuneHit {
    /// "Montréjeau (31) · 31210", with the current name of a former commune.
    pub fn label(&self) -> String {
        let mut label = format!("{} ({})", self.name, self.departement);
        if let Some(postcode) = self.postcodes.first() {
            label.push_str(&format!(" · {postcode}"));
        }
        match (self.kind.as_str(), &self.current_name) {
            ("ancienne_commune", Some(current)) => {
                label.push_str(&format!(", aujourd'hui {current}"))
            }
            ("ancienne_commune", None) => label.push_str(", ancienne commune"),
            _ => {}
        }
        label
    }
}

/// `{"communes":[…]}`.
fn read_communes(value: &Value) -> json::Read<Vec<CommuneHit>> {
    value.object()?.req("communes", |v| {
        v.list(|c| {
            let c = c.object()?;
            Ok(CommuneHit {
                code: c.string("code")?,
                name: c.string("name")?,
                departement: c.string("departement")?,
                postcodes: c.strings_or_default("postcodes")?,
                kind: c.string("kind")?,
                current_name: c.opt_string("current_name")?,
            })
        })
    })
}

/// `GET /api/v1/communes?q=`: communes by name or postcode.
pub async fn communes(query: &str) -> Result<Vec<CommuneHit>, ApiError> {
    get_with(
        &format!("/api/v1/communes?q={}", encode_query(query)),
        read_communes,
    )
    .await
}

/// A country found by `GET /api/v1/pays`.
#[derive(Clone, Debug, PartialEq)]
pub struct PaysHit {
    pub code: String,
    pub name: String,
}

/// `{"pays":[{"code":…,"name":…},…]}`.
fn read_pays(value: &Value) -> json::Read<Vec<PaysHit>> {
    value.object()?.req("pays", |v| {
        v.list(|p| {
            let p = p.object()?;
            Ok(PaysHit {
                code: p.string("code")?,
                name: p.string("name")?,
            })
        })
    })
}

/// `GET /api/v1/pays?q=`: countries, with or without accents.
pub async fn pays(query: &str) -> Result<Vec<PaysHit>, ApiError> {
    get_with(
        &format!("/api/v1/pays?q={}", encode_query(query)),
        read_pays,
    )
    .await
}

/// `GET /api/v1/structures/{site_id}/notice`: the information notice of that site.
pub async fn notice(site_id: i64) -> Result<Notice, ApiError> {
    get_with(
        &format!("/api/v1/structures/{site_id}/notice"),
        json::notice,
    )
    .await
}

/// `GET /api/v1/suivi/{token}`: where a request stands.
pub async fn status(token: &str) -> Result<PreRegistrationStatus, ApiError> {
    get(&format!("/api/v1/suivi/{}", encode_query(token))).await
}

/// `GET /api/v1/suivi/{token}/corrections`: what the gestionnaire asked to correct, and the request as stored.
pub async fn corrections(token: &str) -> Result<shared::api::CorrectionsView, ApiError> {
    get(&format!(
        "/api/v1/suivi/{}/corrections",
        encode_query(token)
    ))
    .await
}

/// `PUT /api/v1/suivi/{token}/corrections`: the corrected request, sent back to the gestionnaire.
pub async fn resubmit(
    token: &str,
    request: &PreRegistrationRequest,
) -> Result<PreRegistrationStatus, ApiError> {
    let json = serde_json::to_string(request).map_err(|_| ApiError::Decode)?;
    let request = Request::put(&format!(
        "/api/v1/suivi/{}/corrections",
        encode_query(token)
    ))
    .header("Accept", "application/json")
    .header("Content-Type", "application/json")
    .body(json)
    .map_err(|_| ApiError::Network)?;
    let (status, _, body) = send(request).await?;
    decode(status, &body)
}

async fn send(request: Request) -> Result<(u16, Option<String>, String), ApiError> {
    let response = request.send().await.map_err(|_| ApiError::Network)?;
    let retry_after = response.headers().get("Retry-After");
    let body = response.text().await.map_err(|_| ApiError::Network)?;
    Ok((response.status(), retry_after, body))
}

/// `POST /api/v1/email-confirmations/{token}`.
pub async fn confirm_email(token: &str) -> Result<EmailConfirmation, ApiError> {
    let request = Request::post(&format!(
        "/api/v1/email-confirmations/{}",
        encode_query(token)
    ))
    .header("Accept", "application/json")
    .build()
    .map_err(|_| ApiError::Network)?;
    let (status, _, body) = send(request).await?;
    decode(status, &body)
}

/// `POST /api/v1/documents` with the file's bytes (a `Blob`).
pub async fn upload_document(blob: &web_sys::Blob) -> Result<DocumentUploaded, ApiError> {
    let mut builder = Request::post("/api/v1/documents").header("Accept", "application/json");
    let content_type = blob.type_();
    if !content_type.is_empty() {
        builder = builder.header("Content-Type", &content_type);
    }
    let request = builder
        .body(wasm_bindgen::JsValue::from(blob.clone()))
        .map_err(|_| ApiError::Network)?;
    let (status, _, body) = send(request).await?;
    decode_with(status, &body, json::document_uploaded)
}

/// The answer to a submission, with the server's `Retry-After` (seconds) when it asks to wait.
pub struct Submitted {
    pub result: Result<PreRegistrationCreated, ApiError>,
    pub retry_after: Option<u32>,
}

/// `POST /api/v1/pre-registrations` with its idempotency key.
pub async fn submit(request: &PreRegistrationRequest, idempotency_key: &str) -> Submitted {
    let failed = |error| Submitted {
        result: Err(error),
        retry_after: None,
    };
    let json = json::write_pre_registration_request(request);
    let Ok(request) = Request::post("/api/v1/pre-registrations")
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", idempotency_key)
        .body(json)
    else {
        return failed(ApiError::Network);
    };
    match send(request).await {
        Ok((status, retry_after, body)) => Submitted {
            result: decode_with(status, &body, json::pre_registration_created),
            retry_after: retry_after.and_then(|s| s.trim().parse().ok()),
        },
        Err(error) => failed(error),
    }
}

// ---- Gestionnaire space (`/api/v1/auth`, `/api/v1/gestion`) ----

/// A JSON `POST` with the CSRF header every state-changing call under `/api/v1/auth` and `/api/v1/gestion` needs.
async fn post_gestion(
    path: &str,
    body: Option<String>,
) -> Result<(u16, Option<String>, String), ApiError> {
    let builder = Request::post(path)
        .header("Accept", "application/json")
        .header("X-Enrole-Csrf", "1");
    let request = match body {
        Some(json) => builder
            .header("Content-Type", "application/json")
            .body(json),
        None => builder.build(),
    }
    .map_err(|_| ApiError::Network)?;
    send(request).await
}

/// Turns an empty 2xx answer (204) into `()`, any other into its [`ApiError`].
pub fn decode_empty(status: u16, body: &str) -> Result<(), ApiError> {
    if (200..300).contains(&status) {
        Ok(())
    } else {
        decode::<serde_json::Value>(status, body).map(|_| ())
    }
}

/// `GET /api/v1/auth/me`: the signed-in gestionnaire (401 when signed out).
pub async fn gestion_me() -> Result<shared::api::Me, ApiError> {
    get("/api/v1/auth/me").await
}

/// The answer to a sign-in, with the server's `Retry-After` (seconds) when the account is locked.
pub struct SignedIn {
    pub result: Result<shared::api::Me, ApiError>,
    pub retry_after: Option<u64>,
}

/// `POST /api/v1/auth/sign-in`.
pub async fn gestion_sign_in(request: &shared::api::SignInRequest) -> SignedIn {
    let Ok(json) = serde_json::to_string(request) else {
        return SignedIn {
            result: Err(ApiError::Decode),
            retry_after: None,
        };
    };
    match post_gestion("/api/v1/auth/sign-in", Some(json)).await {
        Ok((status, retry_after, body)) => SignedIn {
            result: decode(status, &body),
            retry_after: retry_after.and_then(|s| s.trim().parse().ok()),
        },
        Err(error) => SignedIn {
            result: Err(error),
            retry_after: None,
        },
    }
}

/// `POST /api/v1/auth/sign-out`.
pub async fn gestion_sign_out() -> Result<(), ApiError> {
    let (status, _, body) = post_gestion("/api/v1/auth/sign-out", None).await?;
    decode_empty(status, &body)
}

/// `POST /api/v1/auth/password`: the one-time link's token and the chosen password.
pub async fn gestion_set_password(
    request: &shared::api::SetPasswordRequest,
) -> Result<(), ApiError> {
    let json = serde_json::to_string(request).map_err(|_| ApiError::Decode)?;
    let (status, _, body) = post_gestion("/api/v1/auth/password", Some(json)).await?;
    decode_empty(status, &body)
}

/// `GET /api/v1/gestion/demandes?…` (`query` built by `gestion::QueueFilter::query`).
pub async fn gestion_queue(query: &str) -> Result<shared::api::QueuePage, ApiError> {
    get(&format!("/api/v1/gestion/demandes?{query}")).await
}

/// `GET /api/v1/gestion/demandes/{id}`.
pub async fn gestion_demande(id: i64) -> Result<shared::api::DemandeDetail, ApiError> {
    get(&format!("/api/v1/gestion/demandes/{id}")).await
}

/// `POST /api/v1/gestion/demandes/{id}/decision`.
pub async fn gestion_decide(
    id: i64,
    request: &shared::api::DecisionRequest,
) -> Result<shared::api::DecisionResult, ApiError> {
    let json = serde_json::to_string(request).map_err(|_| ApiError::Decode)?;
    let (status, _, body) = post_gestion(
        &format!("/api/v1/gestion/demandes/{id}/decision"),
        Some(json),
    )
    .await?;
    decode(status, &body)
}

// ---- embed (issue 6): intranet origins allowed to frame the form ----

/// `GET /api/v1/gestion/integration/origines`: the gestionnaire's entités juridiques, sites and origins.
pub async fn gestion_embed_overview() -> Result<shared::api::EmbedOverview, ApiError> {
    get("/api/v1/gestion/integration/origines").await
}

/// `POST /api/v1/gestion/integration/origines`.
pub async fn gestion_add_origin(
    input: &shared::api::EmbedOriginInput,
) -> Result<shared::api::EmbedOriginRow, ApiError> {
    let json = serde_json::to_string(input).map_err(|_| ApiError::Decode)?;
    let (status, _, body) =
        post_gestion("/api/v1/gestion/integration/origines", Some(json)).await?;
    decode(status, &body)
}

/// `DELETE /api/v1/gestion/integration/origines/{id}`.
pub async fn gestion_remove_origin(id: i64) -> Result<(), ApiError> {
    let request = Request::delete(&format!("/api/v1/gestion/integration/origines/{id}"))
        .header("Accept", "application/json")
        .header("X-Enrole-Csrf", "1")
        .build()
        .map_err(|_| ApiError::Network)?;
    let (status, _, body) = send(request).await?;
    decode_empty(status, &body)
}

// ---- e-CPS activation and the professional's space (`/api/v1/activation`, `/api/v1/espace`) ----

/// A JSON request with the CSRF header (every state-changing call of the professional's space needs it).
async fn send_espace(
    method: &str,
    path: &str,
    body: Option<String>,
) -> Result<(u16, String), ApiError> {
    let builder = match method {
        "PUT" => Request::put(path),
        _ => Request::post(path),
    }
    .header("Accept", "application/json")
    .header("X-Enrole-Csrf", "1");
    let request = match body {
        Some(json) => builder
            .header("Content-Type", "application/json")
            .body(json),
        None => builder.build(),
    }
    .map_err(|_| ApiError::Network)?;
    let (status, _, body) = send(request).await?;
    Ok((status, body))
}

async fn espace_json<B: serde::Serialize, T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    let json = serde_json::to_string(body).map_err(|_| ApiError::Decode)?;
    let (status, body) = send_espace(method, path, Some(json)).await?;
    decode(status, &body)
}

/// `POST /api/v1/activation/start`: codes to the registered email and mobile.
pub async fn activation_start(
    request: &shared::api::ActivationStart,
) -> Result<shared::api::ChallengeSent, ApiError> {
    espace_json("POST", "/api/v1/activation/start", request).await
}

/// `POST /api/v1/activation/confirm`: the two codes; opens the session.
pub async fn activation_confirm(
    request: &shared::api::CodesConfirm,
) -> Result<shared::api::Profil, ApiError> {
    espace_json("POST", "/api/v1/activation/confirm", request).await
}

/// `GET /api/v1/espace/profil` (401 when signed out).
pub async fn espace_profil() -> Result<shared::api::Profil, ApiError> {
    get("/api/v1/espace/profil").await
}

/// `POST /api/v1/espace/sign-out`.
pub async fn espace_sign_out() -> Result<(), ApiError> {
    let (status, body) = send_espace("POST", "/api/v1/espace/sign-out", None).await?;
    decode_empty(status, &body)
}

/// `POST /api/v1/espace/contact`: codes to the new email and/or mobile.
pub async fn espace_contact(
    request: &shared::api::ContactChange,
) -> Result<shared::api::ContactChallengeSent, ApiError> {
    espace_json("POST", "/api/v1/espace/contact", request).await
}

/// `POST /api/v1/espace/contact/confirm`.
pub async fn espace_contact_confirm(
    request: &shared::api::CodesConfirm,
) -> Result<shared::api::Profil, ApiError> {
    espace_json("POST", "/api/v1/espace/contact/confirm", request).await
}

/// `PUT /api/v1/espace/exercice`.
pub async fn espace_exercice(
    request: &shared::api::ExerciceChange,
) -> Result<shared::api::Profil, ApiError> {
    espace_json("PUT", "/api/v1/espace/exercice", request).await
}

// ---- directory (CAS 1 registrations, the establishment's professionals, their situations) ----

async fn send_json_gestion<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: &impl serde::Serialize,
) -> Result<T, ApiError> {
    let json = serde_json::to_string(body).map_err(|_| ApiError::Decode)?;
    let builder = match method {
        "PUT" => Request::put(path),
        _ => Request::post(path),
    };
    let request = builder
        .header("Accept", "application/json")
        .header("X-Enrole-Csrf", "1")
        .header("Content-Type", "application/json")
        .body(json)
        .map_err(|_| ApiError::Network)?;
    let (status, _, body) = send(request).await?;
    decode(status, &body)
}

/// `POST /api/v1/gestion/enregistrements/verification`: the people who may already be this person.
pub async fn gestion_registration_check(
    request: &shared::api::RegistrationRequest,
) -> Result<shared::api::RegistrationCheck, ApiError> {
    send_json_gestion(
        "POST",
        "/api/v1/gestion/enregistrements/verification",
        request,
    )
    .await
}

/// `POST /api/v1/gestion/enregistrements` (CAS 1).
pub async fn gestion_register(
    request: &shared::api::RegistrationRequest,
) -> Result<shared::api::RegistrationCreated, ApiError> {
    send_json_gestion("POST", "/api/v1/gestion/enregistrements", request).await
}

/// `GET /api/v1/gestion/professionnels?…` (`query` built by `gestion::annuaire::DirectoryFilter::query`).
pub async fn gestion_professionnels(
    query: &str,
) -> Result<shared::api::ProfessionalPage, ApiError> {
    get(&format!("/api/v1/gestion/professionnels?{query}")).await
}

/// `GET /api/v1/gestion/professionnels/{id}`.
pub async fn gestion_professionnel(id: i64) -> Result<shared::api::ProfessionalDetail, ApiError> {
    get(&format!("/api/v1/gestion/professionnels/{id}")).await
}

/// `GET /api/v1/gestion/professionnels/{id}/historique`.
pub async fn gestion_historique(id: i64) -> Result<shared::api::ProfessionalHistory, ApiError> {
    get(&format!("/api/v1/gestion/professionnels/{id}/historique")).await
}

/// `PUT /api/v1/gestion/professionnels/{id}/situations/{situation}`.
pub async fn gestion_update_situation(
    id: i64,
    situation: i64,
    request: &shared::api::SituationUpdate,
) -> Result<shared::api::ProfessionalDetail, ApiError> {
    send_json_gestion(
        "PUT",
        &format!("/api/v1/gestion/professionnels/{id}/situations/{situation}"),
        request,
    )
    .await
}

/// `POST /api/v1/gestion/professionnels/{id}/situations`.
pub async fn gestion_add_situation(
    id: i64,
    request: &shared::api::NewSituationRequest,
) -> Result<shared::api::ProfessionalDetail, ApiError> {
    send_json_gestion(
        "POST",
        &format!("/api/v1/gestion/professionnels/{id}/situations"),
        request,
    )
    .await
}

/// `POST /api/v1/gestion/professionnels/{id}/situations/{situation}/cloture`.
pub async fn gestion_close_situation(
    id: i64,
    situation: i64,
    request: &shared::api::CloseSituationRequest,
) -> Result<shared::api::ProfessionalDetail, ApiError> {
    send_json_gestion(
        "POST",
        &format!("/api/v1/gestion/professionnels/{id}/situations/{situation}/cloture"),
        request,
    )
    .await
}

/// `PUT /api/v1/gestion/professionnels/{id}/exercice`.
pub async fn gestion_update_exercice(
    id: i64,
    request: &shared::api::ExerciceNamesUpdate,
) -> Result<shared::api::ProfessionalDetail, ApiError> {
    send_json_gestion(
        "PUT",
        &format!("/api/v1/gestion/professionnels/{id}/exercice"),
        request,
    )
    .await
}

/// `PUT /api/v1/gestion/professionnels/{id}/etat-civil`.
pub async fn gestion_correct_etat_civil(
    id: i64,
    request: &shared::api::EtatCivilCorrection,
) -> Result<shared::api::ProfessionalDetail, ApiError> {
    send_json_gestion(
        "PUT",
        &format!("/api/v1/gestion/professionnels/{id}/etat-civil"),
        request,
    )
    .await
}

/// `PUT /api/v1/gestion/professionnels/{id}/contact`.
pub async fn gestion_correct_contact(
    id: i64,
    request: &shared::api::ContactCorrection,
) -> Result<shared::api::ProfessionalDetail, ApiError> {
    send_json_gestion(
        "PUT",
        &format!("/api/v1/gestion/professionnels/{id}/contact"),
        request,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_query("Saint-Gaudens"), "Saint-Gaudens");
        assert_eq!(encode_query("é a&b"), "%C3%A9%20a%26b");
    }

    #[test]
    fn former_communes_name_the_current_one() {
        let hit = CommuneHit {
            code: "31390".into(),
            name: "Montréjeau".into(),
            departement: "31".into(),
            postcodes: vec!["31210".into()],
            kind: "commune".into(),
            current_name: None,
        };
        assert_eq!(hit.label(), "Montréjeau (31) · 31210");
        let old = CommuneHit {
            kind: "ancienne_commune".into(),
            current_name: Some("Val".into()),
            postcodes: vec![],
            ..hit
        };
        assert_eq!(old.label(), "Montréjeau (31), aujourd'hui Val");
    }

    /// The hand-written readers of the search answers read what the server's serde writes (the server's own
    /// structs carry more members, ignored here as serde ignored them).
    #[test]
    fn search_answers_are_read_by_hand() {
        let body = r#"{"structures":[{"site":{"id":3,"nom":"EHPAD","finess":"319999918","siret":null,
            "commune":"Toulouse","demo":true},"entite_juridique":{"id":1,"nom":"Association","siret":null,
            "finess_juridique":null,"demo":true,"sites":[]}}]}"#;
        let found = decode_with(200, body, read_structures).expect("structures");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].site.finess.as_deref(), Some("319999918"));
        assert_eq!(found[0].entite_juridique.nom, "Association");
        let body = r#"{"communes":[{"code":"31390","name":"Montréjeau","departement":"31",
            "postcodes":["31210"],"kind":"commune","current_name":null},
            {"code":"31001","name":"Vieux","departement":"31","kind":"ancienne_commune"}]}"#;
        let found = decode_with(200, body, read_communes).expect("communes");
        assert_eq!(found[0].label(), "Montréjeau (31) · 31210");
        assert_eq!(found[1].label(), "Vieux (31), ancienne commune");
        let body = r#"{"pays":[{"code":"99350","name":"Maroc"}]}"#;
        let found = decode_with(200, body, read_pays).expect("pays");
        assert_eq!(
            found,
            vec![PaysHit {
                code: "99350".into(),
                name: "Maroc".into()
            }]
        );
        assert!(matches!(
            decode_with(200, r#"{"pays":[{"code":"99350"}]}"#, read_pays),
            Err(ApiError::Decode)
        ));
        assert!(matches!(
            decode_with(200, "<html>", read_pays),
            Err(ApiError::Decode)
        ));
    }

    #[test]
    fn decode_with_keeps_the_error_envelope_or_the_status() {
        let body = r#"{"error":{"code":"validation","message":"Vérifiez les champs signalés.",
            "fields":{"email":["L'adresse email doit contenir un @."]}}}"#;
        let by_hand = decode_with(422, body, read_pays).expect_err("an error");
        let ApiError::Server { status, envelope } = by_hand else {
            panic!("expected the server's envelope, got {by_hand:?}");
        };
        assert_eq!(status, 422);
        assert_eq!(
            envelope,
            serde_json::from_str::<ErrorEnvelope>(body).expect("serde reads it")
        );
        assert!(matches!(
            decode_with(502, "Bad Gateway", read_pays),
            Err(ApiError::Status(502))
        ));
    }

    #[test]
    fn a_success_is_decoded() {
        let value: Vec<u8> = decode(200, "[1,2]").expect("a JSON list");
        assert_eq!(value, vec![1, 2]);
    }

    #[test]
    fn an_unexpected_success_body_is_a_decode_error() {
        assert!(matches!(
            decode::<Vec<u8>>(200, "<html>"),
            Err(ApiError::Decode)
        ));
    }

    #[test]
    fn an_error_envelope_keeps_the_server_message_and_fields() {
        let body = r#"{"error":{"code":"validation","message":"Vérifiez les champs signalés.",
            "fields":{"email":["L'adresse email doit contenir un @."]}}}"#;
        let error = decode::<Vec<u8>>(422, body).expect_err("an error");
        assert_eq!(error.to_string(), "Vérifiez les champs signalés.");
        let ApiError::Server { status, envelope } = error else {
            panic!("expected the server's envelope, got {error:?}");
        };
        assert_eq!(status, 422);
        assert_eq!(envelope.error.code, "validation");
        assert!(!envelope.error.fields.is_empty());
    }

    #[test]
    fn an_error_without_envelope_keeps_the_status() {
        let error = decode::<Vec<u8>>(502, "Bad Gateway").expect_err("an error");
        assert!(matches!(error, ApiError::Status(502)));
        assert!(error.to_string().contains("momentanément indisponible"));
        assert!(
            decode::<Vec<u8>>(404, "")
                .expect_err("an error")
                .to_string()
                .contains("404")
        );
    }
}
