//! Self pre-registration (CAS 2): the notice to read, the submission, the private status page and the email
//! confirmation.
//!
//! `POST /api/v1/pre-registrations` requires an `Idempotency-Key` header. The key is stored in the database (so
//! it holds across instances) for 24 hours with the SHA-256 of the body, by the same transaction that stores the
//! request: the same key and body answer the first `201` again (header `Idempotent-Replayed: true`), also to a
//! twin sent while the first was running, and another body gets `422`. A request that fails (invalid input,
//! database error) stores nothing, so the client may retry with its key.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shared::FieldErrors;
use shared::api as json;
use shared::birthplace::{BirthPlace, CommuneLibre};
use shared::date::CalendarDate;
use shared::preregistration::PreRegistration;
use time::OffsetDateTime;

use crate::api::rfc3339;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ApiJson};
use crate::rate_limit::retry_after_secs;
use crate::startup::AppState;
use crate::storage::{
    Actor, DocumentState, IdempotencyBegin, NewPreRegistration, SiteMatch, StorageError, Submission,
};
use crate::{mail, notice, reference, tokens};

/// Longest accepted `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;
/// Longest user agent stored.
const MAX_USER_AGENT_CHARS: usize = 512;
/// Stands for a free-text commune while the shared rules check the rest of the input.
const PLACEHOLDER_COMMUNE: &str = "75056";

/// The RGPD information notice of a site as registration authority.
#[utoipa::path(
    get,
    path = "/api/v1/structures/{site_id}/notice",
    tag = "preinscriptions",
    params(("site_id" = i64, Path, description = "Identifiant du site")),
    responses(
        (status = 200, description = "La notice d'information, versionnée", body = json::Notice),
        (status = 404, description = "Site inconnu", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn notice(
    State(state): State<AppState>,
    Path(site_id): Path<String>,
) -> Result<ApiJson<json::Notice>, ApiError> {
    let site_id: i64 = site_id.parse().map_err(|_| ApiError::NotFound)?;
    let site = state
        .storage
        .find_site(site_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(ApiJson(notice::notice(
        &site.site.nom,
        &site.establishment_nom,
        &state.config.intake,
    )))
}

pub(crate) fn today() -> CalendarDate {
    let now = OffsetDateTime::now_utc();
    CalendarDate::from_ymd(now.year(), u8::from(now.month()), now.day())
        .unwrap_or_else(|_| unreachable!("today is a valid date"))
}

fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The free-text commune, checked with shared's rule: (name, département).
fn check_commune_libre(
    libre: &json::CommuneLibreInput,
    errors: &mut FieldErrors,
) -> Option<(String, String)> {
    match CommuneLibre::from_input(libre) {
        Ok(libre) => Some((
            libre.nom().to_owned(),
            libre.departement().as_str().to_owned(),
        )),
        Err(libre_errors) => {
            errors.merge_prefixed("lieu_naissance.commune_libre", libre_errors);
            None
        }
    }
}

/// Everything checked about a submission.
pub(crate) struct Checked {
    pub(crate) pre: PreRegistration,
    pub(crate) site: SiteMatch,
    pub(crate) commune_libre: Option<(String, String)>,
    pub(crate) document_id: String,
}

/// Re-validates everything with `shared`, then what only the server knows: the site, the document, the
/// reference data and the notice version. Every error at once, keyed as the form keys them.
pub(crate) async fn check(
    state: &AppState,
    request: json::PreRegistrationRequest,
    own_document: Option<&str>,
) -> Result<Checked, ApiError> {
    let mut errors = FieldErrors::new();
    let mut input = request.input;
    let libre_given = request
        .commune_libre
        .as_ref()
        .is_some_and(|l| !l.nom.trim().is_empty() || !l.departement.trim().is_empty());
    let mut commune_libre = None;
    if libre_given {
        let place = &input.lieu_naissance;
        if present(place.commune_cog.as_deref()).is_some()
            || present(place.pays_cog.as_deref()).is_some()
            || present(place.ville_etrangere.as_deref()).is_some()
        {
            errors.add(
                "lieu_naissance",
                "Indiquez soit une commune choisie dans la liste, soit une commune saisie en texte libre avec son \
                 département, pas les deux.",
            );
        } else if let Some(libre) = &request.commune_libre {
            commune_libre = check_commune_libre(libre, &mut errors);
            input.lieu_naissance.commune_cog = Some(PLACEHOLDER_COMMUNE.to_owned());
        }
    }
    let notice_given = input.notice_version.trim().to_owned();
    let commune_cog =
        present(input.lieu_naissance.commune_cog.as_deref()).map(str::to_ascii_uppercase);
    let pays_cog = present(input.lieu_naissance.pays_cog.as_deref()).map(str::to_owned);
    let finess_given = input.situation.finess.trim().to_owned();

    let pre = match PreRegistration::try_from_input(input, today()) {
        Ok(pre) => Some(pre),
        Err(shared_errors) => {
            errors.merge_prefixed("", shared_errors);
            None
        }
    };

    let data = reference::shared();
    if !libre_given
        && let Some(code) = &commune_cog
        && !errors.contains("lieu_naissance.commune_cog")
        && data.communes_by_code(code).is_empty()
    {
        errors.add(
            "lieu_naissance.commune_cog",
            "Ce code ne correspond à aucune commune connue : choisissez la commune dans la liste, ou saisissez-la \
             en texte libre avec son département.",
        );
    }
    if let Some(code) = &pays_cog
        && !errors.contains("lieu_naissance.pays_cog")
        && code != shared::birthplace::FRANCE_COUNTRY_CODE
        && data.pays_by_code(code).is_none()
    {
        errors.add(
            "lieu_naissance.pays_cog",
            "Ce code ne correspond à aucun pays connu : choisissez le pays dans la liste.",
        );
    }
    if !errors.contains("notice_version")
        && notice_given != notice::current_version(&state.config.intake)
    {
        errors.add(
            "notice_version",
            "La notice d'information a été mise à jour depuis que vous l'avez lue : relisez-la et cochez à \
             nouveau la case.",
        );
    }

    let site = match request.site_id {
        None => {
            errors.add("site_id", "Choisissez l'établissement où vous travaillez.");
            None
        }
        Some(id) => {
            let site = state.storage.find_site(id).await?;
            if site.is_none() {
                errors.add(
                    "site_id",
                    "Cet établissement n'est pas inscrit dans Enrôle : choisissez-le à nouveau dans la liste.",
                );
            }
            site
        }
    };
    if let Some(site) = &site
        && let Some(finess) = &site.site.finess
        && !errors.contains("situation.finess")
        && &finess_given != finess
    {
        errors.add(
            "situation.finess",
            format!(
                "Ce FINESS n'est pas celui de l'établissement choisi ({finess}) : choisissez à nouveau \
                 l'établissement."
            ),
        );
    }

    let document_id = request.document_id.trim().to_ascii_lowercase();
    if document_id.is_empty() {
        errors.add("document_id", "Joignez la copie de votre pièce d'identité.");
    } else {
        let state_of = if uuid::Uuid::try_parse(&document_id).is_ok() {
            state.storage.document_state(&document_id).await?
        } else {
            DocumentState::Missing
        };
        match state_of {
            DocumentState::Free => {}
            DocumentState::Referenced if own_document == Some(document_id.as_str()) => {}
            DocumentState::Missing => errors.add(
                "document_id",
                "La copie de la pièce d'identité est introuvable : joignez-la à nouveau.",
            ),
            DocumentState::Referenced => errors.add(
                "document_id",
                "Cette copie de pièce d'identité est déjà jointe à une autre demande : joignez-la à nouveau.",
            ),
        }
    }

    match (pre, site) {
        (Some(pre), Some(site)) if errors.is_empty() => Ok(Checked {
            pre,
            site,
            commune_libre,
            document_id,
        }),
        _ => Err(ApiError::validation(errors)),
    }
}

pub(crate) fn new_request(
    checked: &Checked,
    user_agent: Option<String>,
    status_token_hash: String,
    email_token_hash: String,
) -> NewPreRegistration {
    let pre = &checked.pre;
    let situation = pre.situation();
    let (commune, pays, ville) = match (&checked.commune_libre, pre.lieu_naissance()) {
        (Some(_), _) => (None, None, None),
        (None, BirthPlace::Commune { cog }) => (Some(cog.as_str().to_owned()), None, None),
        (None, BirthPlace::Abroad { country, town }) => (
            None,
            Some(country.as_str().to_owned()),
            Some(town.as_str().to_owned()),
        ),
    };
    NewPreRegistration {
        reference: tokens::new_reference(),
        site_id: checked.site.site.id,
        civilite: pre.civilite().code().to_owned(),
        nom_naissance: pre.nom_naissance().as_str().to_owned(),
        prenoms: pre
            .prenoms()
            .as_slice()
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
        date_naissance: pre.date_naissance().to_string(),
        lieu_commune_cog: commune,
        lieu_pays_cog: pays,
        lieu_ville_etrangere: ville,
        lieu_commune_libre: checked.commune_libre.as_ref().map(|(nom, _)| nom.clone()),
        lieu_departement_libre: checked.commune_libre.as_ref().map(|(_, dep)| dep.clone()),
        email: pre.email().as_str().to_owned(),
        mobile: pre.mobile().as_e164().to_owned(),
        finess: situation.finess().as_str().to_owned(),
        nom_exercice: situation.nom_exercice().as_str().to_owned(),
        prenom_exercice: situation.prenom_exercice().as_str().to_owned(),
        metier: situation.metier().code().to_owned(),
        role: situation.role().code().to_owned(),
        mode_exercice: situation.mode_exercice().code().to_owned(),
        date_prise_fonction: situation.date_prise_fonction().to_string(),
        rpps_existant: pre.rpps_existant().map(|r| r.as_str().to_owned()),
        notice_version: pre.notice_version().to_owned(),
        document_id: checked.document_id.clone(),
        user_agent,
        status_token_hash,
        email_token_hash,
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let missing = || {
        ApiError::BadRequest(format!(
            "L'en-tête Idempotency-Key est obligatoire : une clé unique par demande (par exemple un UUID), de 1 à \
             {MAX_IDEMPOTENCY_KEY_CHARS} caractères ASCII visibles, renvoyée à l'identique en cas de nouvel essai."
        ))
    };
    let key = headers
        .get("idempotency-key")
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?
        .trim();
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY_CHARS
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(missing());
    }
    Ok(key.to_owned())
}

fn json_response(status: StatusCode, body: String, replayed: bool) -> Response {
    let mut response = (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response();
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// Sends a self pre-registration.
#[utoipa::path(
    post,
    path = "/api/v1/pre-registrations",
    tag = "preinscriptions",
    params(("Idempotency-Key" = String, Header, description = "Clé unique de cette demande (un UUID par exemple), renvoyée à l'identique lors d'un nouvel essai")),
    request_body = json::PreRegistrationRequest,
    responses(
        (status = 201, description = "Demande enregistrée (ou réponse rejouée pour la même clé et le même corps, en-tête Idempotent-Replayed)", body = json::PreRegistrationCreated),
        (status = 400, description = "En-tête Idempotency-Key absent ou invalide, JSON illisible", body = json::ErrorEnvelope),
        (status = 409, description = "Clé enregistrée par une requête jumelle puis oubliée pendant le traitement (rare ; en-tête Retry-After) : renvoyez la demande", body = json::ErrorEnvelope),
        (status = 415, description = "Le corps n'est pas envoyé en JSON", body = json::ErrorEnvelope),
        (status = 422, description = "Champs invalides (un message par champ), ou clé déjà utilisée avec un autre corps", body = json::ErrorEnvelope),
        (status = 429, description = "Trop de demandes depuis cette adresse (en-tête Retry-After)", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    state
        .limits
        .submissions
        .check(client)
        .map_err(|wait| ApiError::TooManyRequests {
            retry_after_secs: retry_after_secs(wait),
        })?;
    let key = idempotency_key(&headers)?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest("Le corps de la requête n'a pas pu être lu.".to_owned())
        }
    })?;
    let request: json::PreRegistrationRequest = serde_json::from_slice(&body).map_err(|err| {
        if err.is_data() {
            ApiError::Validation {
                message: "Le corps de la requête ne correspond pas au format attendu (champ de mauvais type)."
                    .to_owned(),
                fields: FieldErrors::new(),
            }
        } else {
            ApiError::BadRequest("Le corps de la requête n'est pas un document JSON valide.".to_owned())
        }
    })?;
    // No lookup of the key before the checks: a retry of a stored request fails them (its document is taken) or
    // finds its key taken in the transaction, and both paths answer as the key was answered ([`process`]). A new
    // request, the usual case, thus makes one trip to the database less.
    let body_hash = tokens::sha256_hex(&body);
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect());
    process(&state, client, &key, &body_hash, request, user_agent).await
}

/// What a key already used must answer: the stored response (a retry), or a refusal; `None` when the key is new.
async fn earlier_answer(
    state: &AppState,
    key: &str,
    body_hash: &str,
) -> Result<Option<Response>, ApiError> {
    match state.storage.idempotency_lookup(key, body_hash).await? {
        IdempotencyBegin::Started => Ok(None),
        IdempotencyBegin::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
            Ok(Some(json_response(status, body, true)))
        }
        IdempotencyBegin::Mismatch => Err(ApiError::Validation {
            message: "Cette clé Idempotency-Key a déjà servi pour une demande différente : envoyez la nouvelle \
                      demande avec une nouvelle clé."
                .to_owned(),
            fields: FieldErrors::new(),
        }),
    }
}

async fn process(
    state: &AppState,
    client: std::net::IpAddr,
    key: &str,
    body_hash: &str,
    request: json::PreRegistrationRequest,
    user_agent: Option<String>,
) -> Result<Response, ApiError> {
    let checked = match check(state, request, None).await {
        Ok(checked) => checked,
        // A twin request with the same key may have been stored meanwhile (its document is now taken): answer as
        // it was answered rather than refuse the document.
        Err(err) => return earlier_answer(state, key, body_hash).await?.ok_or(err),
    };
    // Two tries: a reference collision (1 in 10¹¹) gets a new reference.
    for _ in 0..2 {
        let status_token = tokens::new_token();
        let email_token = tokens::new_token();
        let new = new_request(
            &checked,
            user_agent.clone(),
            tokens::sha256_hex(status_token.as_bytes()),
            tokens::sha256_hex(email_token.as_bytes()),
        );
        let created = json::PreRegistrationCreated {
            reference: new.reference.clone(),
            status_url: format!("/suivi/{status_token}"),
            status_token: status_token.clone(),
        };
        let body = serde_json::to_string(&created)
            .map_err(|err| ApiError::Internal(anyhow::anyhow!(err)))?;
        let receipt = mail::receipt(
            &new.email,
            &state.config.public_url,
            &new.reference,
            &checked.site.site.nom,
            &status_token,
            &email_token,
        );
        let actor = Actor::public(client);
        let submission = Submission {
            request: &new,
            idempotency_key: key,
            body_hash,
            response_status: StatusCode::CREATED.as_u16(),
            response_body: &body,
            actor: &actor,
            audit_details: json!({
                "reference": new.reference,
                "site_id": new.site_id,
                "document_id": new.document_id,
                "notice_version": new.notice_version,
                "commune_saisie_libre": new.lieu_commune_libre.is_some(),
                "rpps_existant": new.rpps_existant.is_some(),
            }),
            emails: std::slice::from_ref(&receipt),
        };
        match state.storage.create_pre_registration(&submission).await {
            Ok(Some(_)) => {
                state.mail_wakeup.notify_one();
                return Ok(json_response(StatusCode::CREATED, body, false));
            }
            // A twin request with the same key committed first: answer what it answered.
            Ok(None) => {
                return earlier_answer(state, key, body_hash).await?.ok_or_else(|| {
                    ApiError::InProgress {
                        retry_after_secs: 2,
                    }
                });
            }
            Err(StorageError::Conflict(_)) => {
                if state.storage.document_state(&new.document_id).await?
                    == DocumentState::Referenced
                {
                    return Err(ApiError::field(
                        "document_id",
                        "Cette copie de pièce d'identité est déjà jointe à une autre demande : joignez-la à \
                         nouveau.",
                    ));
                }
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::Internal(anyhow::anyhow!(
        "no free reference after two tries"
    )))
}

/// The private status page of a request.
#[utoipa::path(
    get,
    path = "/api/v1/suivi/{token}",
    tag = "preinscriptions",
    params(("token" = String, Path, description = "Jeton privé reçu par email (lien /suivi/<jeton>)")),
    responses(
        (status = 200, description = "Où en est la demande", body = json::PreRegistrationStatus),
        (status = 404, description = "Jeton inconnu", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn status(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    if !tokens::is_token(&token) {
        return Err(ApiError::NotFound);
    }
    let record = state
        .storage
        .status_by_token_hash(&tokens::sha256_hex(token.as_bytes()))
        .await?
        .ok_or(ApiError::NotFound)?;
    let status = json::PreRegistrationStatusCode::parse(&record.status)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("unknown stored status")))?;
    let detail = |wanted| {
        (status == wanted)
            .then(|| record.status_detail.clone())
            .flatten()
    };
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        ApiJson(json::PreRegistrationStatus {
            reference: record.reference.clone(),
            status,
            status_label: status.label().to_owned(),
            site_nom: record.site_nom.clone(),
            created_at: rfc3339(record.created_at),
            updated_at: rfc3339(record.updated_at),
            a_completer: detail(json::PreRegistrationStatusCode::ACompleter),
            motif_refus: detail(json::PreRegistrationStatusCode::Refusee),
            rpps: (status == json::PreRegistrationStatusCode::Validee)
                .then(|| record.rpps.clone())
                .flatten(),
            email_confirmed: record.email_confirmed_at.is_some(),
        }),
    ))
}

/// Confirms the email address of a request (idempotent: confirming again answers the first confirmation).
#[utoipa::path(
    post,
    path = "/api/v1/email-confirmations/{token}",
    tag = "preinscriptions",
    params(("token" = String, Path, description = "Jeton reçu par email (lien /confirmer-email/<jeton>)")),
    responses(
        (status = 200, description = "Adresse confirmée", body = json::EmailConfirmation),
        (status = 404, description = "Jeton inconnu", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn confirm_email(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<ApiJson<json::EmailConfirmation>, ApiError> {
    if !tokens::is_token(&token) {
        return Err(ApiError::NotFound);
    }
    let (reference, at) = state
        .storage
        .confirm_email(&tokens::sha256_hex(token.as_bytes()))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(ApiJson(json::EmailConfirmation {
        reference,
        confirmed_at: rfc3339(at),
    }))
}

/// The request behind a status token, when it awaits corrections: (id, site id, document id, corrections).
async fn to_correct(
    state: &AppState,
    token: &str,
) -> Result<(i64, i64, String, Vec<json::Correction>), ApiError> {
    if !tokens::is_token(token) {
        return Err(ApiError::NotFound);
    }
    let (id, site_id, status, document_id, corrections) = state
        .storage
        .correction_target(&tokens::sha256_hex(token.as_bytes()))
        .await?
        .ok_or(ApiError::NotFound)?;
    if status != "a_completer" {
        return Err(ApiError::Conflict {
            message: "Cette demande n'attend pas de correction.".to_owned(),
            fields: FieldErrors::new(),
        });
    }
    let corrections = corrections
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    Ok((id, site_id, document_id, corrections))
}

/// What the gestionnaire asked to correct, and the request as stored.
#[utoipa::path(
    get,
    path = "/api/v1/suivi/{token}/corrections",
    tag = "preinscriptions",
    params(("token" = String, Path, description = "Jeton du lien de suivi")),
    responses(
        (status = 200, description = "Les corrections demandées et la demande", body = json::CorrectionsView),
        (status = 404, description = "Jeton inconnu", body = json::ErrorEnvelope),
        (status = 409, description = "La demande n'attend pas de correction", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn corrections(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let (id, _, _, corrections) = to_correct(&state, &token).await?;
    let d = state
        .storage
        .find_demande_by_id(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let demande = json::PreRegistrationRequest {
        input: json::PreRegistrationInput {
            civilite: d.civilite,
            nom_naissance: d.nom_naissance,
            prenoms: serde_json::from_str(&d.prenoms).unwrap_or_default(),
            date_naissance: d.date_naissance,
            lieu_naissance: json::BirthPlaceInput {
                commune_cog: d.lieu_commune_cog,
                pays_cog: d.lieu_pays_cog,
                ville_etrangere: d.lieu_ville_etrangere,
            },
            email: d.email.clone(),
            email_confirmation: d.email,
            mobile: d.mobile,
            situation: json::SituationInput {
                finess: d.finess,
                nom_exercice: d.nom_exercice,
                prenom_exercice: d.prenom_exercice,
                metier: d.metier,
                role: d.role,
                mode_exercice: d.mode_exercice,
                date_prise_fonction: d.date_prise_fonction,
            },
            rpps_existant: d.rpps_existant,
            notice_version: notice::current_version(&state.config.intake),
        },
        site_id: Some(d.site_id),
        document_id: d.document_id,
        commune_libre: d.lieu_commune_libre.map(|nom| json::CommuneLibreInput {
            nom,
            departement: d.lieu_departement_libre.unwrap_or_default(),
        }),
    };
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        ApiJson(json::CorrectionsView {
            corrections,
            demande,
        }),
    )
        .into_response())
}

/// Sends the corrected request back to the gestionnaire (same checks as a submission; the same identity
/// document may be kept).
#[utoipa::path(
    put,
    path = "/api/v1/suivi/{token}/corrections",
    tag = "preinscriptions",
    params(("token" = String, Path, description = "Jeton du lien de suivi")),
    request_body = json::PreRegistrationRequest,
    responses(
        (status = 200, description = "Demande renvoyée : elle revient dans la file", body = json::PreRegistrationStatus),
        (status = 404, description = "Jeton inconnu", body = json::ErrorEnvelope),
        (status = 409, description = "La demande n'attend pas de correction", body = json::ErrorEnvelope),
        (status = 422, description = "Champs invalides", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn resubmit(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Path(token): Path<String>,
    ApiJson(request): ApiJson<json::PreRegistrationRequest>,
) -> Result<Response, ApiError> {
    let (id, site_id, document_id, _) = to_correct(&state, &token).await?;
    if request.site_id != Some(site_id) {
        return Err(ApiError::field(
            "site_id",
            "L'établissement d'une demande renvoyée ne peut pas changer : faites une nouvelle demande.",
        ));
    }
    let checked = check(&state, request, Some(&document_id)).await?;
    let new = new_request(&checked, None, String::new(), String::new());
    let done = state
        .storage
        .resubmit_pre_registration(id, &new, &Actor::public(client))
        .await?;
    if !done {
        return Err(ApiError::Conflict {
            message: "Cette demande n'attend pas de correction.".to_owned(),
            fields: FieldErrors::new(),
        });
    }
    status(State(state), Path(token))
        .await
        .map(IntoResponse::into_response)
}
