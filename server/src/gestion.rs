//! The gestionnaire's queue, one request, its identity document and decisions. Every handler is scoped to the
//! signed-in gestionnaire's sites: a request of another establishment answers `404`, as if it did not exist.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::json;
use shared::FieldErrors;
use shared::api as json;
use shared::format::ParisTime;
use shared::nomenclature::{Metier, ModeExercice, Role};
use time::OffsetDateTime;
use utoipa::IntoParams;

use crate::api::rfc3339;
use crate::auth::GestionnaireSession;
use crate::error::{ApiError, ApiJson, ApiQuery};
use crate::mail;
use crate::startup::AppState;
use crate::storage::{
    ALL_STATUSES, Decision, DecisionInput, DecisionOutcome, DemandeRecord, OPEN_STATUSES,
    QueueFilter, QueueRecord, now, prenoms_from_stored,
};

fn status_code(stored: &str) -> Result<json::PreRegistrationStatusCode, ApiError> {
    json::PreRegistrationStatusCode::parse(stored)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("unknown stored status")))
}

/// The site ids of the signed-in gestionnaire.
async fn scope(state: &AppState, session: &GestionnaireSession) -> Result<Vec<i64>, ApiError> {
    Ok(state
        .storage
        .gestionnaire_sites(session.gestionnaire.id)
        .await?
        .into_iter()
        .map(|s| s.site.id)
        .collect())
}

/// Largest `older_than_days` (a century): beyond it the date would leave the calendar's range.
pub const MAX_OLDER_THAN_DAYS: u32 = 36_500;

/// Filters of the queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// A status code (`recue`, `en_cours`, `a_completer`, `validee`, `refusee`), or `a_traiter` (default: `recue`
    /// and `en_cours`), or `toutes`.
    pub status: Option<String>,
    pub site_id: Option<i64>,
    /// `GENR08`…`GENR13`.
    pub role: Option<String>,
    /// A métier code (JDV_J121).
    pub metier: Option<String>,
    /// Only requests received at least this many days ago (at most 36 500: a century).
    #[param(maximum = 36500)]
    pub older_than_days: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn encode_cursor(at: OffsetDateTime, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{id}", at.unix_timestamp()))
}

fn decode_cursor(cursor: &str) -> Option<(OffsetDateTime, i64)> {
    let raw = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (at, id) = text.split_once('.')?;
    Some((
        OffsetDateTime::from_unix_timestamp(at.parse().ok()?).ok()?,
        id.parse().ok()?,
    ))
}

fn row_dto(row: QueueRecord, today: OffsetDateTime) -> Result<json::QueueRow, ApiError> {
    let metier_label = Metier::parse(&row.metier)
        .map(|m| m.label().to_owned())
        .unwrap_or_default();
    let role_label = Role::parse(&row.role)
        .map(|r| r.label().to_owned())
        .unwrap_or_default();
    Ok(json::QueueRow {
        id: row.id,
        reference: row.reference,
        created_at: rfc3339(row.created_at),
        age_days: (today - row.created_at).whole_days().max(0),
        site_id: row.site_id,
        site_nom: row.site_nom,
        nom_naissance: row.nom_naissance,
        prenoms: prenoms_from_stored(&row.prenoms),
        nom_exercice: row.nom_exercice,
        prenom_exercice: row.prenom_exercice,
        metier: row.metier,
        metier_label,
        role: row.role,
        role_label,
        status: status_code(&row.status)?,
        flags: json::QueueFlags {
            possible_duplicate: row.possible_duplicate,
            rpps_existant_declare: row.rpps_existant_declare,
            email_confirmed: row.email_confirmed,
            commune_saisie_libre: row.commune_saisie_libre,
            deja_renvoyee: row.returned_count > 0,
        },
    })
}

fn add_count(counts: &mut json::StatusCounts, status: &str, n: i64) {
    match status {
        "recue" => counts.recue += n,
        "en_cours" => counts.en_cours += n,
        "a_completer" => counts.a_completer += n,
        "validee" => counts.validee += n,
        "refusee" => counts.refusee += n,
        _ => {}
    }
}

/// The queue of the gestionnaire's sites, oldest first, 50 per page, with the counts per status.
#[utoipa::path(
    get,
    path = "/api/v1/gestion/demandes",
    tag = "gestion",
    params(QueueQuery),
    responses(
        (status = 200, description = "Une page de la file (50 demandes au plus) et les compteurs", body = json::QueuePage),
        (status = 401, description = "Pas de session", body = json::ErrorEnvelope),
        (status = 422, description = "Filtre invalide", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn queue(
    State(state): State<AppState>,
    session: GestionnaireSession,
    ApiQuery(query): ApiQuery<QueueQuery>,
) -> Result<Response, ApiError> {
    let mut errors = FieldErrors::new();
    let statuses: Vec<&'static str> = match query.status.as_deref().map(str::trim) {
        None | Some("" | "a_traiter") => OPEN_STATUSES.to_vec(),
        Some("toutes") => ALL_STATUSES.to_vec(),
        Some(code) => match ALL_STATUSES.iter().find(|s| **s == code) {
            Some(s) => vec![*s],
            None => {
                errors.add("status", "Statut inconnu.");
                Vec::new()
            }
        },
    };
    let role = query
        .role
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if let Some(role) = role
        && Role::parse(role).is_err()
    {
        errors.add("role", "Rôle inconnu.");
    }
    let metier = query
        .metier
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    if let Some(metier) = metier
        && Metier::parse(metier).is_err()
    {
        errors.add("metier", "Métier inconnu.");
    }
    let after = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(cursor) => {
            let decoded = decode_cursor(cursor);
            if decoded.is_none() {
                errors.add("cursor", "Curseur de pagination invalide.");
            }
            decoded
        }
    };
    if query
        .older_than_days
        .is_some_and(|days| days > MAX_OLDER_THAN_DAYS)
    {
        errors.add(
            "older_than_days",
            format!("Indiquez au plus {MAX_OLDER_THAN_DAYS} jours."),
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let all_sites = scope(&state, &session).await?;
    let sites: Vec<i64> = match query.site_id {
        Some(id) => all_sites.iter().copied().filter(|s| *s == id).collect(),
        None => all_sites.clone(),
    };
    let today = now();
    let filter = QueueFilter {
        sites,
        statuses,
        role: role.map(str::to_owned),
        metier: metier.map(str::to_owned),
        created_before: query
            .older_than_days
            .map(|days| today - time::Duration::days(i64::from(days))),
        after,
    };
    let mut rows = state.storage.queue_page(&filter).await?;
    let page_size = usize::try_from(crate::storage::PAGE_SIZE).unwrap_or(50);
    let next_cursor = if rows.len() > page_size {
        rows.truncate(page_size);
        rows.last().map(|r| encode_cursor(r.created_at, r.id))
    } else {
        None
    };
    let demandes = rows
        .into_iter()
        .map(|r| row_dto(r, today))
        .collect::<Result<Vec<_>, _>>()?;
    let mut counts = json::StatusCounts::default();
    let mut by_site: Vec<json::SiteCounts> = all_sites
        .iter()
        .map(|id| json::SiteCounts {
            site_id: *id,
            counts: json::StatusCounts::default(),
        })
        .collect();
    for (site_id, status, n) in state.storage.queue_counts(&all_sites).await? {
        add_count(&mut counts, &status, n);
        if let Some(site) = by_site.iter_mut().find(|s| s.site_id == site_id) {
            add_count(&mut site.counts, &status, n);
        }
    }
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        ApiJson(json::QueuePage {
            demandes,
            next_cursor,
            counts,
            counts_by_site: by_site,
        }),
    )
        .into_response())
}

fn first_prenom(stored: &str) -> String {
    prenoms_from_stored(stored)
        .first()
        .map(|p| shared::search::compact(p))
        .unwrap_or_default()
}

fn matches(
    d: &DemandeRecord,
    other_prenoms: &str,
    commune: Option<&String>,
    pays: Option<&String>,
) -> Vec<String> {
    let mut found = Vec::new();
    if !first_prenom(&d.prenoms).is_empty()
        && first_prenom(&d.prenoms) == first_prenom(other_prenoms)
    {
        found.push("prenom".to_owned());
    }
    let same_commune = d.lieu_commune_cog.is_some() && d.lieu_commune_cog.as_ref() == commune;
    let same_pays = d.lieu_pays_cog.is_some() && d.lieu_pays_cog.as_ref() == pays;
    if same_commune || same_pays {
        found.push("lieu".to_owned());
    }
    found
}

async fn load(
    state: &AppState,
    session: &GestionnaireSession,
    id: &str,
) -> Result<(DemandeRecord, Vec<i64>), ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let sites = scope(state, session).await?;
    let demande = state
        .storage
        .find_demande(id, &sites)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((demande, sites))
}

/// One request: everything entered, flags, and possible duplicates.
#[utoipa::path(
    get,
    path = "/api/v1/gestion/demandes/{id}",
    tag = "gestion",
    params(("id" = i64, Path, description = "Identifiant de la demande")),
    responses(
        (status = 200, description = "La demande", body = json::DemandeDetail),
        (status = 401, description = "Pas de session", body = json::ErrorEnvelope),
        (status = 404, description = "Demande inconnue ou d'un autre établissement", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn detail(
    State(state): State<AppState>,
    session: GestionnaireSession,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (mut d, sites) = load(&state, &session, &id).await?;
    // Opening a received request starts its instruction: the professional's status page says so.
    if d.status == "recue"
        && state
            .storage
            .open_demande(&d, session.gestionnaire.id)
            .await?
    {
        d.status = "en_cours".to_owned();
    }
    let (identities, requests) = state.storage.duplicate_candidates(&d).await?;
    let duplicate_identities: Vec<json::IdentityCandidate> = identities
        .into_iter()
        .filter_map(|i| {
            let why = matches(
                &d,
                &i.prenoms,
                i.lieu_commune_cog.as_ref(),
                i.lieu_pays_cog.as_ref(),
            );
            (!why.is_empty()).then(|| json::IdentityCandidate {
                rpps: i.rpps,
                nom_naissance: i.nom_naissance,
                prenoms: prenoms_from_stored(&i.prenoms),
                date_naissance: i.date_naissance,
                nom_exercice: i.nom_exercice,
                prenom_exercice: i.prenom_exercice,
                matches: why,
            })
        })
        .collect();
    let mut duplicate_requests = Vec::new();
    for r in requests {
        let why = matches(
            &d,
            &r.prenoms,
            r.lieu_commune_cog.as_ref(),
            r.lieu_pays_cog.as_ref(),
        );
        if why.is_empty() {
            continue;
        }
        let visible = sites.contains(&r.site_id);
        duplicate_requests.push(json::RequestCandidate {
            id: visible.then_some(r.id),
            reference: visible.then_some(r.reference),
            site_nom: r.site_nom,
            status: status_code(&r.status)?,
            matches: why,
        });
    }
    let site = state
        .storage
        .find_site(d.site_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let status = status_code(&d.status)?;
    let corrections: Vec<json::Correction> = d
        .corrections
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    let piece_verifiee = d.document_verified.as_deref().and_then(|v| {
        let v: serde_json::Value = serde_json::from_str(v).ok()?;
        let at = OffsetDateTime::from_unix_timestamp(v["verified_at"].as_i64()?).ok()?;
        Some(format!(
            "Pièce vérifiée : {}, le {}, par {}",
            match v["type"].as_str()? {
                "application/pdf" => "PDF",
                "image/png" => "image PNG",
                _ => "image JPEG",
            },
            rfc3339(at),
            v["by"].as_str()?
        ))
    });
    let commune_libre = d
        .lieu_commune_libre
        .clone()
        .map(|nom| json::CommuneLibreInput {
            nom,
            departement: d.lieu_departement_libre.clone().unwrap_or_default(),
        });
    let lieu_naissance = json::BirthPlaceInput {
        commune_cog: d.lieu_commune_cog.clone(),
        pays_cog: d.lieu_pays_cog.clone(),
        ville_etrangere: d.lieu_ville_etrangere.clone(),
    };
    let lieu_naissance_libelle =
        crate::reference::shared().birthplace_label(&lieu_naissance, commune_libre.as_ref());
    let possible_duplicate = !duplicate_identities.is_empty() || !duplicate_requests.is_empty();
    let dto = json::DemandeDetail {
        id: d.id,
        reference: d.reference.clone(),
        status,
        status_label: status.label().to_owned(),
        created_at: rfc3339(d.created_at),
        updated_at: rfc3339(d.updated_at),
        site: json::GestionSite {
            id: site.site.id,
            nom: site.site.nom,
            finess: site.site.finess,
            commune: site.site.commune,
            entite_juridique_nom: site.establishment_nom,
        },
        civilite: d.civilite.clone(),
        nom_naissance: d.nom_naissance.clone(),
        prenoms: prenoms_from_stored(&d.prenoms),
        date_naissance: d.date_naissance.clone(),
        lieu_naissance,
        commune_libre,
        lieu_naissance_libelle,
        email: d.email.clone(),
        email_confirmed: d.email_confirmed_at.is_some(),
        mobile: d.mobile.clone(),
        situation: json::SituationInput {
            finess: d.finess.clone(),
            nom_exercice: d.nom_exercice.clone(),
            prenom_exercice: d.prenom_exercice.clone(),
            metier: d.metier.clone(),
            role: d.role.clone(),
            mode_exercice: d.mode_exercice.clone(),
            date_prise_fonction: d.date_prise_fonction.clone(),
        },
        metier_label: Metier::parse(&d.metier)
            .map(|m| m.label().to_owned())
            .unwrap_or_default(),
        role_label: Role::parse(&d.role)
            .map(|r| r.label().to_owned())
            .unwrap_or_default(),
        mode_exercice_label: ModeExercice::parse(&d.mode_exercice)
            .map(|m| m.label().to_owned())
            .unwrap_or_default(),
        rpps_existant: d.rpps_existant.clone(),
        rpps: d.rpps.clone(),
        document_url: (!d.document_deleted)
            .then(|| format!("/api/v1/gestion/demandes/{}/document", d.id)),
        document_content_type: d.document_content_type.clone(),
        piece_verifiee,
        flags: json::QueueFlags {
            possible_duplicate,
            rpps_existant_declare: d.rpps_existant.is_some(),
            email_confirmed: d.email_confirmed_at.is_some(),
            commune_saisie_libre: d.commune_saisie_libre,
            deja_renvoyee: d.returned_count > 0,
        },
        corrections,
        status_detail: d.status_detail.clone(),
        decided_by: d.decided_by_nom.clone(),
        decided_at: d.decided_at.map(rfc3339),
        duplicate_identities,
        duplicate_requests,
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], ApiJson(dto)).into_response())
}

/// The identity document, for an authorised gestionnaire only; never cached; every view audited.
#[utoipa::path(
    get,
    path = "/api/v1/gestion/demandes/{id}/document",
    tag = "gestion",
    params(("id" = i64, Path, description = "Identifiant de la demande")),
    responses(
        (status = 200, description = "La pièce d'identité (PDF, JPEG ou PNG)", content_type = "application/octet-stream"),
        (status = 401, description = "Pas de session", body = json::ErrorEnvelope),
        (status = 404, description = "Demande inconnue, d'un autre établissement, ou pièce supprimée après décision", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn document(
    State(state): State<AppState>,
    session: GestionnaireSession,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (d, _) = load(&state, &session, &id).await?;
    let (content_type, content) = state
        .storage
        .document_content(&d.document_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let ext = match content_type.as_str() {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        _ => return Err(ApiError::NotFound),
    };
    state
        .storage
        .audit(
            &session.actor(),
            "document.view",
            &format!("pre_registration:{}", d.id),
            json!({"document_id": d.document_id}),
        )
        .await?;
    let mut response = Response::new(Body::from(content));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, private"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("inline; filename=\"piece-identite.{ext}\""))
            .unwrap_or(HeaderValue::from_static("inline")),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self'; object-src 'self'; frame-ancestors 'self'",
        ),
    );
    // Shown in a frame of the gestionnaire's own page, and nowhere else.
    headers.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    Ok(response)
}

/// Common reasons for a refusal.
pub const REJECT_REASONS: [(&str, &str); 5] = [
    (
        "identite_non_verifiee",
        "L'identité n'a pas pu être vérifiée avec la pièce fournie.",
    ),
    (
        "hors_perimetre",
        "Cette personne ne relève pas de notre établissement.",
    ),
    (
        "doublon",
        "Une demande ou un enregistrement existe déjà pour cette personne.",
    ),
    (
        "non_eligible",
        "Ce métier ou ce rôle ne relève pas du RPPS+.",
    ),
    ("autre", "Autre motif."),
];

/// Records a decision (`validate`, `reject`, `return`), exactly once.
#[utoipa::path(
    post,
    path = "/api/v1/gestion/demandes/{id}/decision",
    tag = "gestion",
    params(
        ("id" = i64, Path, description = "Identifiant de la demande"),
        ("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »"),
    ),
    request_body = json::DecisionRequest,
    responses(
        (status = 200, description = "Décision enregistrée", body = json::DecisionResult),
        (status = 404, description = "Demande inconnue ou d'un autre établissement", body = json::ErrorEnvelope),
        (status = 409, description = "Déjà traitée par un autre gestionnaire (« Demande déjà traitée par X à HH:MM »)", body = json::ErrorEnvelope),
        (status = 422, description = "Décision incomplète (motif, corrections, numéro RPPS)", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn decide(
    State(state): State<AppState>,
    session: GestionnaireSession,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<json::DecisionRequest>,
) -> Result<Response, ApiError> {
    let (d, _) = load(&state, &session, &id).await?;
    let mut errors = FieldErrors::new();
    let reason = request
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if reason.as_ref().is_some_and(|r| r.chars().count() > 2000) {
        errors.add("reason", "Le motif ne doit pas dépasser 2000 caractères.");
    }
    let decision = match request.decision.as_str() {
        "validate" => {
            let attach = request
                .attach_to_rpps
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty());
            let attach = match attach.map(shared::ids::Rpps::parse) {
                None => None,
                Some(Ok(rpps)) => Some(rpps.as_str().to_owned()),
                Some(Err(err)) => {
                    errors.add("attach_to_rpps", err.to_string());
                    None
                }
            };
            Decision::Validate {
                attach_to_rpps: attach,
                rpps_prefix: state.config.gestion.rpps_prefix,
            }
        }
        "reject" => {
            let code = request
                .reason_code
                .clone()
                .unwrap_or_else(|| "autre".to_owned());
            let label = REJECT_REASONS
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, l)| *l);
            if label.is_none() {
                errors.add("reason_code", "Motif de refus inconnu.");
            }
            if code == "autre" && reason.is_none() {
                errors.add("reason", "Expliquez le motif du refus.");
            }
            let text = match (&reason, label) {
                (Some(r), Some(l)) if code != "autre" => format!("{l} {r}"),
                (Some(r), _) => r.clone(),
                (None, l) => l.unwrap_or_default().to_owned(),
            };
            Decision::Reject {
                reason_code: code,
                reason: text,
            }
        }
        "return" => {
            let corrections: Vec<json::Correction> = request
                .corrections
                .clone()
                .unwrap_or_default()
                .into_iter()
                .filter(|c| !c.field.trim().is_empty())
                .collect();
            if corrections.is_empty() && reason.is_none() {
                errors.add(
                    "corrections",
                    "Indiquez ce que le professionnel doit corriger.",
                );
            }
            let mut summary: Vec<String> = corrections
                .iter()
                .map(|c| format!("{} : {}", c.field.trim(), c.message.trim()))
                .collect();
            if let Some(r) = &reason {
                summary.push(r.clone());
            }
            Decision::Return {
                corrections: serde_json::to_value(&corrections).unwrap_or_default(),
                summary: summary.join("\n"),
            }
        }
        _ => {
            errors.add(
                "decision",
                "Décision inconnue : validate, reject ou return.",
            );
            Decision::Return {
                corrections: serde_json::Value::Null,
                summary: String::new(),
            }
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if let Some(expected) = request.expected_status
        && expected.code() != d.status
    {
        return Err(already(
            d.decided_by_nom.as_deref(),
            d.decided_at,
            &d.status,
        ));
    }
    let public_url = state.config.public_url.clone();
    // The validation email carries a one-time activation link (e-CPS); only its hash is stored.
    let activation = crate::ecps::ActivationLink::new(&state.config);
    let activation_url = activation.url(&public_url);
    let email = |rpps: Option<&str>| {
        mail::decision(&d, &decision, rpps, &public_url, Some(&activation_url))
    };
    let retention = time::Duration::try_from(state.config.gestion.document_retention)
        .unwrap_or(time::Duration::ZERO);
    let outcome = state
        .storage
        .decide(&DecisionInput {
            demande: &d,
            decision: decision.clone(),
            gestionnaire_id: session.gestionnaire.id,
            gestionnaire_nom: &session.gestionnaire.nom,
            email: &email,
            activation_link: Some((&activation.token_hash, activation.expires_at)),
            document_delete_after: Some(now() + retention),
        })
        .await?;
    state.mail_wakeup.notify_one();
    match outcome {
        DecisionOutcome::Done {
            status,
            rpps,
            identity_reused,
        } => Ok(ApiJson(json::DecisionResult {
            id: d.id,
            status: status_code(status)?,
            rpps,
            identity_reused,
        })
        .into_response()),
        DecisionOutcome::AlreadyDecided { by, at, status } => {
            Err(already(by.as_deref(), at, &status))
        }
        DecisionOutcome::SituationExists => Err(ApiError::Conflict {
            message: "Cette personne a déjà une situation d'exercice active dans ce site."
                .to_owned(),
            fields: FieldErrors::new(),
        }),
        DecisionOutcome::InvalidRpps => Err(ApiError::field(
            "attach_to_rpps",
            "Ce numéro RPPS n'est pas valide.",
        )),
    }
}

fn already(by: Option<&str>, at: Option<OffsetDateTime>, status: &str) -> ApiError {
    let at = at.and_then(|at| ParisTime::from_unix(at.unix_timestamp()));
    let message = match (by, at) {
        (Some(by), Some(at)) => {
            format!(
                "Demande déjà traitée par {by} à {} (heure de Paris).",
                at.time()
            )
        }
        _ => format!(
            "Cette demande a changé entre-temps (statut : {}) : rechargez-la.",
            json::PreRegistrationStatusCode::parse(status).map_or(status, |s| s.label())
        ),
    };
    ApiError::Conflict {
        message,
        fields: FieldErrors::new(),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn message(error: ApiError) -> String {
        match error {
            ApiError::Conflict { message, .. } => message,
            other => panic!("not a conflict: {other:?}"),
        }
    }

    #[test]
    fn a_request_decided_by_someone_else_says_by_whom_and_when_in_paris_time() {
        let winter = already(
            Some("Camille Martin"),
            Some(datetime!(2026-12-07 20:29:17 UTC)),
            "validee",
        );
        assert_eq!(
            message(winter),
            "Demande déjà traitée par Camille Martin à 21 h 29 (heure de Paris)."
        );
        let summer = already(
            Some("Camille Martin"),
            Some(datetime!(2026-07-14 10:05 UTC)),
            "refusee",
        );
        assert!(message(summer).ends_with("à 12 h 05 (heure de Paris)."));
        let unknown = already(None, None, "a_completer");
        assert!(message(unknown).starts_with("Cette demande a changé entre-temps"));
    }
}
