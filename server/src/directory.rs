//! The gestionnaire registers people end to end (CAS 1) and keeps the establishment's directory: people with a
//! situation d'exercice in their sites, updates, corrections with a reason, new situations, departures (closings,
//! possibly scheduled) and each person's history. Scoped like the queue: a person without a situation in the
//! gestionnaire's sites answers `404`, as if they did not exist.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::FieldErrors;
use shared::api as json;
use shared::birth::{BirthDate, StartDate};
use shared::birthplace::BirthPlace;
use shared::civilite::Civilite;
use shared::contact::{Email, MobilePhone};
use shared::date::CalendarDate;
use shared::departure::{CorrectionReason, EndDate, EndReason};
use shared::names::{NameField, PersonName, Prenoms};
use shared::nomenclature::{Metier, ModeExercice, Role};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::IntoParams;

use crate::auth::GestionnaireSession;
use crate::error::{ApiError, ApiJson, ApiQuery};
use crate::mail::simple_email;
use crate::preregistrations::{check, new_request, today};
use crate::startup::AppState;
use crate::storage::{
    Actor, Change, ChangeOutcome, DIRECTORY_PAGE_SIZE, DirectoryFilter, NewEmail,
    ProfessionalRecord, Registration, RegistrationOutcome, SiteMatch, SituationRecord,
    identity_key, now, search_words,
};
use crate::tokens;

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn prenoms(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::Conflict {
        message: message.into(),
        fields: FieldErrors::new(),
    }
}

const PENDING_MESSAGE: &str = "Une demande d'enregistrement de cette personne est en attente dans une file de \
     gestionnaire : elle doit d'abord être validée, refusée ou corrigée. Aucune modification n'est possible \
     d'ici là.";
const ALREADY_ACTIVE_MESSAGE: &str = "Cette personne a déjà une situation d'exercice active dans ce site : \
     changez le rôle (ou le métier) de cette situation au lieu d'en ajouter une seconde.";

/// The signed-in gestionnaire's sites.
async fn scope(
    state: &AppState,
    session: &GestionnaireSession,
) -> Result<Vec<SiteMatch>, ApiError> {
    Ok(state
        .storage
        .gestionnaire_sites(session.gestionnaire.id)
        .await?)
}

fn ids(sites: &[SiteMatch]) -> Vec<i64> {
    sites.iter().map(|s| s.site.id).collect()
}

fn situation_dto(s: SituationRecord) -> json::SituationView {
    let reason = s
        .end_reason
        .as_deref()
        .and_then(|r| EndReason::parse(r).ok());
    json::SituationView {
        id: s.id,
        site_id: s.site_id,
        site_nom: s.site_nom,
        nom_exercice: s.nom_exercice,
        prenom_exercice: s.prenom_exercice,
        metier_label: Metier::parse(&s.metier)
            .map(|m| m.label().to_owned())
            .unwrap_or_default(),
        metier: s.metier,
        role_label: Role::parse(&s.role)
            .map(|r| r.label().to_owned())
            .unwrap_or_default(),
        role: s.role,
        mode_exercice_label: ModeExercice::parse(&s.mode_exercice)
            .map(|m| m.label().to_owned())
            .unwrap_or_default(),
        mode_exercice: s.mode_exercice,
        date_prise_fonction: s.date_prise_fonction,
        active: s.active,
        end_date: s.end_date,
        end_reason: s.end_reason,
        end_reason_label: reason.map(|r| r.label().to_owned()),
    }
}

fn french_date(iso: &str) -> String {
    CalendarDate::parse_iso(iso).map_or_else(|_| iso.to_owned(), |d| d.to_french())
}

fn activation_link(state: &AppState) -> String {
    format!("{}/activation", state.config.public_url)
}

// ---- emails (no more personal data than needed: no birth data, no contact data in the body) ----

fn registered_email(to: &str, site: &str, rpps: &str, reused: bool, activation: &str) -> NewEmail {
    let activate = "Activez votre carte e-CPS (application e-CPS sur votre téléphone) en suivant le lien \
                    ci-dessous : un code vous sera envoyé à cette adresse email et un autre par SMS au mobile que \
                    vous avez donné à votre établissement. Si vous l'avez déjà activée, vous n'avez rien à faire."
        .to_owned();
    if reused {
        simple_email(
            to,
            format!("Nouvelle situation d'exercice enregistrée (RPPS {rpps})"),
            &[
                format!(
                    "Le gestionnaire RPPS+ de « {site} » a enregistré une nouvelle situation d'exercice à votre \
                     numéro RPPS {rpps}. Vous gardez le même numéro, à vie."
                ),
                activate,
            ],
            Some(("Activer ma e-CPS", activation)),
        )
    } else {
        simple_email(
            to,
            format!("Votre numéro RPPS : {rpps}"),
            &[
                format!(
                    "Le gestionnaire RPPS+ de « {site} » vous a enregistré(e) dans le répertoire RPPS+ avec les \
                     informations que vous lui avez remises."
                ),
                format!("Votre numéro RPPS est : {rpps}. Il vous est attribué à vie."),
                format!("Et maintenant ? {activate}"),
                "Votre situation d'exercice (sans dates) sera publiée dans l'Annuaire Santé."
                    .to_owned(),
            ],
            Some(("Activer ma e-CPS", activation)),
        )
    }
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

// ---- CAS 1 ----

/// Everything checked about a CAS 1 registration, and the people who may already be that person.
async fn check_registration(
    state: &AppState,
    session: &GestionnaireSession,
    request: &json::RegistrationRequest,
) -> Result<
    (
        crate::preregistrations::Checked,
        Vec<SiteMatch>,
        Vec<json::ProfessionalCandidate>,
    ),
    ApiError,
> {
    let sites = scope(state, session).await?;
    let mut errors = FieldErrors::new();
    if let Some(site_id) = request.request.site_id
        && !sites.iter().any(|s| s.site.id == site_id)
    {
        errors.add(
            "site_id",
            "Vous ne gérez pas cet établissement : choisissez un de vos sites.",
        );
    }
    if !request.piece_verifiee {
        errors.add(
            "piece_verifiee",
            "Déclarez que vous avez vérifié la pièce d'identité de la personne.",
        );
    }
    let checked = match check(state, request.request.clone(), None).await {
        Ok(checked) if errors.is_empty() => checked,
        Ok(_) => return Err(ApiError::validation(errors)),
        Err(ApiError::Validation { fields, .. }) => {
            for (field, messages) in fields.iter() {
                for message in messages {
                    errors.add(field, message.clone());
                }
            }
            return Err(ApiError::validation(errors));
        }
        Err(other) => return Err(other),
    };
    let pre = &checked.pre;
    let key = identity_key(
        pre.nom_naissance().as_str(),
        &pre.date_naissance().to_string(),
    );
    let first = folded(pre.prenoms().usual().as_str());
    let (commune, pays) = match pre.lieu_naissance() {
        BirthPlace::Commune { cog } if checked.commune_libre.is_none() => {
            (Some(cog.as_str().to_owned()), None)
        }
        BirthPlace::Abroad { country, .. } => (None, Some(country.as_str().to_owned())),
        BirthPlace::Commune { .. } => (None, None),
    };
    let candidates = state
        .storage
        .identity_candidates(&key, &ids(&sites))
        .await?
        .into_iter()
        .map(|(p, in_directory)| {
            let mut matches = Vec::new();
            let their = prenoms(&p.prenoms);
            if their.first().is_some_and(|f| folded(f) == first) {
                matches.push("prenom".to_owned());
            }
            if (commune.is_some() && p.lieu_commune_cog == commune)
                || (pays.is_some() && p.lieu_pays_cog == pays)
            {
                matches.push("lieu".to_owned());
            }
            json::ProfessionalCandidate {
                id: p.id,
                rpps: p.rpps,
                nom_naissance: p.nom_naissance,
                prenoms: their,
                date_naissance: p.date_naissance,
                nom_exercice: p.nom_exercice,
                prenom_exercice: p.prenom_exercice,
                matches,
                in_directory,
            }
        })
        .collect();
    Ok((checked, sites, candidates))
}

fn folded(text: &str) -> String {
    shared::nomenclature::fold(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Checks a CAS 1 registration and lists the people who may already be that person (same birth name and
/// date), before anything is created.
#[utoipa::path(
    post,
    path = "/api/v1/gestion/enregistrements/verification",
    tag = "annuaire",
    params(("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »")),
    request_body = json::RegistrationRequest,
    responses(
        (status = 200, description = "Tout est valide ; les personnes déjà connues qui pourraient être celle-ci", body = json::RegistrationCheck),
        (status = 401, description = "Pas de session", body = json::ErrorEnvelope),
        (status = 422, description = "Champs invalides", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn verify(
    State(state): State<AppState>,
    session: GestionnaireSession,
    ApiJson(request): ApiJson<json::RegistrationRequest>,
) -> Result<Response, ApiError> {
    let (_, _, candidates) = check_registration(&state, &session, &request).await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        ApiJson(json::RegistrationCheck { candidates }),
    )
        .into_response())
}

/// Registers a person end to end (CAS 1): a new identity with a newly allocated RPPS number, or, when the person
/// already exists, a new situation for that identity (never a second number). The professional is emailed
/// their number and how to activate their e-CPS.
#[utoipa::path(
    post,
    path = "/api/v1/gestion/enregistrements",
    tag = "annuaire",
    params(("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »")),
    request_body = json::RegistrationRequest,
    responses(
        (status = 201, description = "Personne enregistrée (ou situation ajoutée à la personne existante)", body = json::RegistrationCreated),
        (status = 401, description = "Pas de session", body = json::ErrorEnvelope),
        (status = 409, description = "La personne existe peut-être déjà (choisissez-la ou confirmez qu'il s'agit d'une autre personne), a déjà une situation active dans ce site, ou une demande d'elle attend dans la file", body = json::ErrorEnvelope),
        (status = 422, description = "Champs invalides", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn register(
    State(state): State<AppState>,
    session: GestionnaireSession,
    ApiJson(request): ApiJson<json::RegistrationRequest>,
) -> Result<Response, ApiError> {
    let (checked, sites, candidates) = check_registration(&state, &session, &request).await?;
    let mut attach_to = request.attach_to_professional_id;
    let pre = &checked.pre;
    let key = identity_key(
        pre.nom_naissance().as_str(),
        &pre.date_naissance().to_string(),
    );
    // A number the person already has: theirs when Enrôle knows it (then they are among the candidates, same
    // identity key), else recorded as declared instead of allocating one.
    let mut declared_rpps = None;
    if let Some(number) = pre.rpps_existant().map(|r| r.as_str().to_owned())
        && attach_to.is_none()
    {
        match state.storage.professional_by_rpps(&number).await? {
            Some((id, their_key)) if their_key == key => attach_to = Some(id),
            Some(_) => {
                return Err(conflict(
                    "Ce numéro RPPS appartient à une autre identité dans Enrôle : vérifiez le numéro et l'état civil \
                     saisis.",
                ));
            }
            None => declared_rpps = Some(number),
        }
    }
    if let Some(id) = attach_to
        && !candidates.iter().any(|c| c.id == id)
    {
        return Err(ApiError::field(
            "attach_to_professional_id",
            "Cette personne ne correspond pas à l'identité saisie : choisissez-la parmi les personnes proposées.",
        ));
    }
    if attach_to.is_none() && !candidates.is_empty() && !request.new_identity_confirmed {
        return Err(conflict(
            "Cette personne existe peut-être déjà (même nom de naissance et même date de naissance) : ajoutez la \
             situation à la personne existante, ou confirmez qu'il s'agit d'une autre personne.",
        ));
    }
    if state.storage.pending_request_at(&key, &ids(&sites)).await? {
        return Err(conflict(
            "Une demande d'enregistrement de cette personne attend déjà dans votre file : instruisez-la (validez-la) \
             au lieu de l'enregistrer une seconde fois.",
        ));
    }
    let document_type = state
        .storage
        .document_content(&checked.document_id)
        .await?
        .map(|(content_type, _)| content_type)
        .unwrap_or_default();
    let new = new_request(
        &checked,
        None,
        // Never sent to anyone: the professional follows nothing, the gestionnaire registered them.
        tokens::sha256_hex(tokens::new_token().as_bytes()),
        tokens::sha256_hex(tokens::new_token().as_bytes()),
    );
    let site_nom = checked.site.site.nom.clone();
    let activation = activation_link(&state);
    let email_to = new.email.clone();
    let email = move |rpps: &str, reused: bool| {
        registered_email(&email_to, &site_nom, rpps, reused, &activation)
    };
    let retention = time::Duration::try_from(state.config.gestion.document_retention)
        .unwrap_or(time::Duration::ZERO);
    let outcome = state
        .storage
        .register(&Registration {
            request: &new,
            document_content_type: &document_type,
            attach_to,
            declared_rpps: declared_rpps.as_deref(),
            gestionnaire_id: session.gestionnaire.id,
            gestionnaire_nom: &session.gestionnaire.nom,
            rpps_prefix: state.config.gestion.rpps_prefix,
            document_delete_after: now() + retention,
            email: &email,
        })
        .await?;
    state.mail_wakeup.notify_one();
    match outcome {
        RegistrationOutcome::Done {
            professional_id,
            situation_id,
            rpps,
            identity_reused,
        } => Ok((
            StatusCode::CREATED,
            ApiJson(json::RegistrationCreated {
                professional_id,
                rpps,
                situation_id,
                identity_reused,
            }),
        )
            .into_response()),
        RegistrationOutcome::SituationExists => Err(conflict(ALREADY_ACTIVE_MESSAGE)),
        RegistrationOutcome::Pending => Err(conflict(PENDING_MESSAGE)),
        RegistrationOutcome::UnknownProfessional => Err(ApiError::field(
            "attach_to_professional_id",
            "Cette personne n'existe plus : vérifiez à nouveau.",
        )),
    }
}

// ---- the directory ----

/// Filters of the directory.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Name words (accents and case ignored, each matched as the start of a word) or an RPPS number.
    pub q: Option<String>,
    pub site_id: Option<i64>,
    /// A métier code (JDV_J121).
    pub metier: Option<String>,
    /// `GENR08`…`GENR13`.
    pub role: Option<String>,
    /// `actives` (default: everyone), `cloturees`, `toutes`.
    pub statut: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn encode_cursor(key: &str, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{id}.{key}"))
}

fn decode_cursor(cursor: &str) -> Option<(String, i64)> {
    let raw = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, key) = text.split_once('.')?;
    Some((key.to_owned(), id.parse().ok()?))
}

fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The people with a situation d'exercice (active or closed) in the gestionnaire's sites, by name, 50 per page.
#[utoipa::path(
    get,
    path = "/api/v1/gestion/professionnels",
    tag = "annuaire",
    params(DirectoryQuery),
    responses(
        (status = 200, description = "Une page de l'annuaire (50 personnes au plus)", body = json::ProfessionalPage),
        (status = 401, description = "Pas de session", body = json::ErrorEnvelope),
        (status = 422, description = "Filtre invalide", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    session: GestionnaireSession,
    ApiQuery(query): ApiQuery<DirectoryQuery>,
) -> Result<Response, ApiError> {
    let mut errors = FieldErrors::new();
    let q = query.q.as_deref().unwrap_or_default().trim().to_owned();
    if q.chars().count() > 100 {
        errors.add("q", "La recherche ne doit pas dépasser 100 caractères.");
    }
    let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    let rpps = (digits.len() == 11 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits);
    let mut words = if rpps.is_some() {
        Vec::new()
    } else {
        search_words(&q)
    };
    words.dedup();
    words.truncate(6);
    if !q.is_empty() && rpps.is_none() && words.is_empty() {
        errors.add(
            "q",
            "Saisissez des lettres du nom ou les chiffres du numéro RPPS.",
        );
    }
    let metier = present(query.metier.as_deref());
    if let Some(m) = metier
        && Metier::parse(m).is_err()
    {
        errors.add("metier", "Métier inconnu.");
    }
    let role = present(query.role.as_deref());
    if let Some(r) = role
        && Role::parse(r).is_err()
    {
        errors.add("role", "Rôle inconnu.");
    }
    let active = match present(query.statut.as_deref()) {
        None | Some("toutes") => None,
        Some("actives") => Some(true),
        Some("cloturees") => Some(false),
        Some(_) => {
            errors.add("statut", "Statut inconnu : actives, cloturees ou toutes.");
            None
        }
    };
    let after = match present(query.cursor.as_deref()) {
        None => None,
        Some(c) => {
            let decoded = decode_cursor(c);
            if decoded.is_none() {
                errors.add("cursor", "Curseur de pagination invalide.");
            }
            decoded
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let all = ids(&scope(&state, &session).await?);
    let sites: Vec<i64> = match query.site_id {
        Some(id) => all.iter().copied().filter(|s| *s == id).collect(),
        None => all.clone(),
    };
    let filter = DirectoryFilter {
        sites: sites.clone(),
        rpps,
        words,
        metier: metier.map(str::to_owned),
        role: role.map(str::to_owned),
        active,
        after,
    };
    let mut rows = state.storage.directory_page(&filter).await?;
    let page = usize::try_from(DIRECTORY_PAGE_SIZE).unwrap_or(50);
    let next_cursor = if rows.len() > page {
        rows.truncate(page);
        rows.last().map(|r| encode_cursor(&r.sort_key, r.id))
    } else {
        None
    };
    let people: Vec<i64> = rows.iter().map(|r| r.id).collect();
    // Every situation of the page's people in the chosen sites, so the row shows where they work.
    let mut situations = state.storage.situations_of(&people, &sites).await?;
    let professionnels = rows
        .into_iter()
        .map(|r| {
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut situations)
                .into_iter()
                .partition(|s| s.professional_id == r.id);
            situations = rest;
            json::ProfessionalRow {
                id: r.id,
                rpps: r.rpps,
                nom_exercice: r.nom_exercice,
                prenom_exercice: r.prenom_exercice,
                nom_naissance: r.nom_naissance,
                situations: mine.into_iter().map(situation_dto).collect(),
            }
        })
        .collect();
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        ApiJson(json::ProfessionalPage {
            professionnels,
            next_cursor,
        }),
    )
        .into_response())
}

/// A person of the gestionnaire's directory, and the gestionnaire's site ids.
async fn load(
    state: &AppState,
    session: &GestionnaireSession,
    id: &str,
) -> Result<(ProfessionalRecord, Vec<SiteMatch>), ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let sites = scope(state, session).await?;
    let professional = state
        .storage
        .find_professional(id, &ids(&sites))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((professional, sites))
}

/// One situation of that person in the gestionnaire's sites.
async fn load_situation(
    state: &AppState,
    professional: &ProfessionalRecord,
    sites: &[SiteMatch],
    situation_id: &str,
) -> Result<SituationRecord, ApiError> {
    let situation_id: i64 = situation_id.parse().map_err(|_| ApiError::NotFound)?;
    state
        .storage
        .situations_of(&[professional.id], &ids(sites))
        .await?
        .into_iter()
        .find(|s| s.id == situation_id)
        .ok_or(ApiError::NotFound)
}

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
    let dto = json::ProfessionalDetail {
        id: p.id,
        rpps: p.rpps,
        civilite: p.civilite,
        nom_naissance: p.nom_naissance,
        prenoms: prenoms(&p.prenoms),
        date_naissance: p.date_naissance,
        lieu_naissance: json::BirthPlaceInput {
            commune_cog: p.lieu_commune_cog,
            pays_cog: p.lieu_pays_cog,
            ville_etrangere: p.lieu_ville_etrangere,
        },
        commune_libre: p.lieu_commune_libre.map(|nom| json::CommuneLibreInput {
            nom,
            departement: p.lieu_departement_libre.unwrap_or_default(),
        }),
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
        french_date(date)
    )
}

fn outcome(result: ChangeOutcome) -> Result<(), ApiError> {
    match result {
        ChangeOutcome::Done => Ok(()),
        ChangeOutcome::Pending => Err(conflict(PENDING_MESSAGE)),
        ChangeOutcome::Closed => Err(conflict(
            "Cette situation d'exercice est clôturée (ou sa date de fin précède la date de prise de fonction \
             demandée) : elle ne peut plus être modifiée.",
        )),
        ChangeOutcome::SituationExists => Err(conflict(ALREADY_ACTIVE_MESSAGE)),
    }
}

/// Answers the person as the detail page shows it, after a change.
async fn after_change(
    state: AppState,
    session: GestionnaireSession,
    id: String,
) -> Result<Response, ApiError> {
    state.mail_wakeup.notify_one();
    detail(State(state), session, Path(id)).await
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

/// Corrects the état civil, with a mandatory reason (audited).
#[utoipa::path(
    put,
    path = "/api/v1/gestion/professionnels/{id}/etat-civil",
    tag = "annuaire",
    params(
        ("id" = i64, Path, description = "Identifiant de la personne"),
        ("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »"),
    ),
    request_body = json::EtatCivilCorrection,
    responses(
        (status = 200, description = "État civil corrigé ; la personne à jour", body = json::ProfessionalDetail),
        (status = 404, description = "Personne inconnue ou d'un autre établissement", body = json::ErrorEnvelope),
        (status = 422, description = "Champs invalides ou raison absente", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn correct_etat_civil(
    State(state): State<AppState>,
    session: GestionnaireSession,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<json::EtatCivilCorrection>,
) -> Result<Response, ApiError> {
    let (p, _) = load(&state, &session, &id).await?;
    let mut errors = FieldErrors::new();
    let today = today();
    let civilite = errors.capture("civilite", Civilite::parse(&request.civilite));
    let nom = errors.capture(
        "nom_naissance",
        PersonName::parse_field(&request.nom_naissance, NameField::NomNaissance),
    );
    let list = Prenoms::parse_list(&request.prenoms)
        .map_err(|e| errors.merge_prefixed("", e.into_field_errors("prenoms")))
        .ok();
    let birth = errors.capture(
        "date_naissance",
        BirthDate::parse(&request.date_naissance, today),
    );
    let place = BirthPlace::from_input(&request.lieu_naissance)
        .map_err(|e| errors.merge_prefixed("lieu_naissance", e))
        .ok();
    // The same reference data as a submission: a commune or a country that exists.
    let data = crate::reference::shared();
    match &place {
        Some(BirthPlace::Commune { cog }) if data.communes_by_code(cog.as_str()).is_empty() => {
            errors.add(
                "lieu_naissance.commune_cog",
                "Ce code ne correspond à aucune commune connue : vérifiez le code INSEE de la commune.",
            );
        }
        Some(BirthPlace::Abroad { country, .. })
            if country.as_str() != shared::birthplace::FRANCE_COUNTRY_CODE
                && data.pays_by_code(country.as_str()).is_none() =>
        {
            errors.add(
                "lieu_naissance.pays_cog",
                "Ce code ne correspond à aucun pays connu : vérifiez le code INSEE du pays (99xxx).",
            );
        }
        _ => {}
    }
    let reason = errors.capture("reason", CorrectionReason::parse(&request.reason));
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (Some(civilite), Some(nom), Some(list), Some(birth), Some(place), Some(reason)) =
        (civilite, nom, list, birth, place, reason)
    else {
        return Err(ApiError::validation(errors));
    };
    let (commune, pays, ville) = match &place {
        BirthPlace::Commune { cog } => (Some(cog.as_str().to_owned()), None, None),
        BirthPlace::Abroad { country, town } => (
            None,
            Some(country.as_str().to_owned()),
            Some(town.as_str().to_owned()),
        ),
    };
    let list: Vec<String> = list
        .as_slice()
        .iter()
        .map(|n| n.as_str().to_owned())
        .collect();
    let mut corrected = p.clone();
    corrected.civilite = civilite.code().to_owned();
    corrected.nom_naissance = nom.as_str().to_owned();
    corrected.prenoms = serde_json::to_string(&list).unwrap_or_else(|_| "[]".to_owned());
    corrected.date_naissance = birth.date().to_iso();
    corrected.lieu_commune_cog = commune;
    corrected.lieu_pays_cog = pays;
    corrected.lieu_ville_etrangere = ville;
    let snapshot = |r: &ProfessionalRecord| {
        json!({
            "civilite": r.civilite,
            "nom_naissance": r.nom_naissance,
            "prenoms": prenoms(&r.prenoms).join(" "),
            "date_naissance": r.date_naissance,
            "lieu_naissance": r.lieu_commune_libre.clone().or_else(|| r.lieu_commune_cog.clone())
                .or_else(|| r.lieu_pays_cog.clone().map(|c| format!("{c} {}", r.lieu_ville_etrangere.clone().unwrap_or_default()))),
        })
    };
    let email = simple_email(
        &p.email,
        "Votre état civil a été corrigé dans le répertoire RPPS+".to_owned(),
        &[
            "Votre gestionnaire RPPS+ a corrigé votre état civil dans le répertoire RPPS+.".to_owned(),
            "Si cette correction vous semble erronée, adressez-vous au service des ressources humaines de votre \
             établissement."
                .to_owned(),
        ],
        None,
    );
    let change = Change {
        professional_id: p.id,
        actor: &session.actor(),
        action: "professional.etat_civil",
        details: json!({
            "before": snapshot(&p),
            "after": snapshot(&corrected),
            "reason": reason.as_str(),
        }),
        emails: vec![email],
    };
    state
        .storage
        .correct_etat_civil(&p, &corrected, &change)
        .await?;
    after_change(state, session, id).await
}

/// Corrects the email and mobile (a professional who lost their mobile or mailbox), with a mandatory reason
/// (audited). The e-CPS activation starts again: the activation is cleared and the professional's sessions end.
#[utoipa::path(
    put,
    path = "/api/v1/gestion/professionnels/{id}/contact",
    tag = "annuaire",
    params(
        ("id" = i64, Path, description = "Identifiant de la personne"),
        ("X-Enrole-Csrf" = String, Header, description = "Toujours « 1 »"),
    ),
    request_body = json::ContactCorrection,
    responses(
        (status = 200, description = "Coordonnées corrigées, activation e-CPS à refaire ; la personne à jour", body = json::ProfessionalDetail),
        (status = 404, description = "Personne inconnue ou d'un autre établissement", body = json::ErrorEnvelope),
        (status = 422, description = "Champs invalides ou raison absente", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn correct_contact(
    State(state): State<AppState>,
    session: GestionnaireSession,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<json::ContactCorrection>,
) -> Result<Response, ApiError> {
    let (p, _) = load(&state, &session, &id).await?;
    let mut errors = FieldErrors::new();
    let email = errors.capture("email", Email::parse(&request.email));
    if let Some(email) = &email {
        match Email::parse(&request.email_confirmation) {
            Ok(confirmation) if confirmation.same_address(email) => {}
            _ => errors.add(
                "email_confirmation",
                "Les deux adresses email ne sont pas identiques : saisissez à nouveau la même adresse.",
            ),
        }
    }
    let mobile = errors.capture("mobile", MobilePhone::parse(&request.mobile));
    let reason = errors.capture("reason", CorrectionReason::parse(&request.reason));
    let (Some(email), Some(mobile), Some(reason)) = (email, mobile, reason) else {
        return Err(ApiError::validation(errors));
    };
    let activation = activation_link(&state);
    let mut emails = vec![simple_email(
        email.as_str(),
        "Vos coordonnées ont été corrigées : activez à nouveau votre e-CPS".to_owned(),
        &[
            "Votre gestionnaire RPPS+ a corrigé votre adresse email et votre numéro de mobile dans le répertoire \
             RPPS+."
                .to_owned(),
            "Pour votre sécurité, votre carte e-CPS doit être activée à nouveau avec ces coordonnées : un code vous \
             sera envoyé à cette adresse email et un autre par SMS à votre mobile."
                .to_owned(),
        ],
        Some(("Activer ma e-CPS", &activation)),
    )];
    let email_changed = !Email::parse(&p.email).is_ok_and(|old| old.same_address(&email));
    if email_changed {
        // The previous address learns of the change: if it was not wanted, the person can react.
        emails.push(simple_email(
            &p.email,
            "Votre adresse email a été remplacée dans le répertoire RPPS+".to_owned(),
            &[
                "Votre gestionnaire RPPS+ a remplacé cette adresse email par une nouvelle adresse dans le répertoire \
                 RPPS+. Vous ne recevrez plus de message à cette adresse."
                    .to_owned(),
                "Si vous n'êtes pas à l'origine de cette demande, adressez-vous sans attendre au service des \
                 ressources humaines de votre établissement."
                    .to_owned(),
            ],
            None,
        ));
    }
    let change = Change {
        professional_id: p.id,
        actor: &session.actor(),
        action: "professional.contact",
        details: json!({
            "before": {"email": p.email, "mobile": p.mobile, "ecps_active": p.ecps_activated_at.is_some()},
            "after": {"email": email.as_str(), "mobile": mobile.as_e164(), "ecps_active": false},
            "reason": reason.as_str(),
        }),
        emails,
    };
    state
        .storage
        .correct_contact(p.id, email.as_str(), mobile.as_e164(), &change)
        .await?;
    after_change(state, session, id).await
}

fn action_label(action: &str) -> String {
    match action {
        "professional.register" => {
            "Enregistrement par le gestionnaire (CAS 1) et attribution du numéro RPPS"
        }
        "situation.create" => "Situation d'exercice ajoutée",
        "situation.update" => "Situation d'exercice modifiée",
        "situation.close" => "Situation d'exercice clôturée",
        "situation.close_scheduled" => "Clôture de la situation d'exercice programmée",
        "situation.close_applied" => "Clôture programmée appliquée",
        "professional.exercice" => "Nom et prénom d'exercice modifiés",
        "professional.etat_civil" => "État civil corrigé",
        "professional.contact" => "Coordonnées corrigées (activation e-CPS à refaire)",
        "ecps.activated" => "e-CPS activée par le professionnel (codes reçus par email et par SMS)",
        "professional.contact_updated" => {
            "Coordonnées modifiées par le professionnel (nouvelle valeur vérifiée par un code)"
        }
        "professional.exercice_updated" => "Nom et prénom d'exercice modifiés par le professionnel",
        "pre_registration.validee" => {
            "Demande de pré-inscription validée (numéro RPPS attribué ou rattaché)"
        }
        other => other,
    }
    .to_owned()
}

fn field_label(field: &str) -> String {
    match field {
        "metier" => "Métier",
        "role" => "Rôle",
        "mode_exercice" => "Mode d'exercice",
        "date_prise_fonction" => "Date de prise de fonction",
        "active" => "Active",
        "end_date" => "Date de fin",
        "end_reason" => "Motif de fin",
        "nom_exercice" => "Nom d'exercice",
        "prenom_exercice" => "Prénom d'exercice",
        "civilite" => "Civilité",
        "nom_naissance" => "Nom de naissance",
        "prenoms" => "Prénoms",
        "date_naissance" => "Date de naissance",
        "lieu_naissance" => "Lieu de naissance",
        "email" => "Email",
        "mobile" => "Mobile",
        "ecps_active" => "e-CPS activée",
        "rpps" => "Numéro RPPS",
        "site_id" => "Site",
        "status" => "Statut de la demande",
        "identity_reused" => "Identité existante réutilisée",
        other => other,
    }
    .to_owned()
}

fn value_text(field: &str, value: &Value) -> Option<String> {
    let text = match value {
        Value::Null => return None,
        Value::Bool(true) => "oui".to_owned(),
        Value::Bool(false) => "non".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(match field {
        "metier" => Metier::parse(&text).map_or(text, |m| m.label().to_owned()),
        "role" => Role::parse(&text).map_or(text, |r| r.label().to_owned()),
        "mode_exercice" => ModeExercice::parse(&text).map_or(text, |m| m.label().to_owned()),
        "end_reason" => EndReason::parse(&text).map_or(text, |r| r.label().to_owned()),
        "status" => {
            json::PreRegistrationStatusCode::parse(&text).map_or(text, |s| s.label().to_owned())
        }
        "date_prise_fonction" | "end_date" | "date_naissance" => french_date(&text),
        _ => text,
    })
}

/// The changed values of an audit entry's `before`/`after`.
fn changes(details: &Value) -> Vec<json::HistoryChange> {
    let empty = serde_json::Map::new();
    let before = details["before"].as_object().unwrap_or(&empty);
    let after = details["after"].as_object().unwrap_or(&empty);
    let mut fields: Vec<&String> = after.keys().collect();
    for key in before.keys() {
        if !after.contains_key(key) {
            fields.push(key);
        }
    }
    fields
        .into_iter()
        .filter(|f| before.get(*f) != after.get(*f))
        .map(|f| json::HistoryChange {
            field: field_label(f),
            before: before.get(f).and_then(|v| value_text(f, v)),
            after: after.get(f).and_then(|v| value_text(f, v)),
        })
        .filter(|c| c.before.is_some() || c.after.is_some())
        .collect()
}

/// Every change to the person and to their situations in the gestionnaire's sites, newest first: who, when,
/// what.
#[utoipa::path(
    get,
    path = "/api/v1/gestion/professionnels/{id}/historique",
    tag = "annuaire",
    params(("id" = i64, Path, description = "Identifiant de la personne")),
    responses(
        (status = 200, description = "L'historique, du plus récent au plus ancien", body = json::ProfessionalHistory),
        (status = 401, description = "Pas de session", body = json::ErrorEnvelope),
        (status = 404, description = "Personne inconnue ou d'un autre établissement", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn history(
    State(state): State<AppState>,
    session: GestionnaireSession,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (p, sites) = load(&state, &session, &id).await?;
    let visible: Vec<i64> = state
        .storage
        .situations_of(&[p.id], &ids(&sites))
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let entries = state
        .storage
        .professional_history(p.id, &ids(&sites))
        .await?
        .into_iter()
        .filter_map(|h| {
            let details = h.details.0;
            let situation_id = details["situation_id"].as_i64();
            // Another establishment's situations are not this gestionnaire's business.
            if situation_id.is_some_and(|s| !visible.contains(&s)) {
                return None;
            }
            let by = if let Some(nom) = h.actor_nom {
                nom
            } else if h.actor.starts_with("professional:") {
                "Le professionnel".to_owned()
            } else if h.actor.starts_with("system:") {
                "Enrôle (automatique)".to_owned()
            } else if h.actor == Actor::cli().as_str() {
                "Administrateur (ligne de commande)".to_owned()
            } else {
                "Gestionnaire".to_owned()
            };
            Some(json::HistoryEntry {
                at: rfc3339(h.at),
                by,
                label: action_label(&h.action),
                action: h.action,
                situation_id,
                changes: changes(&details),
                reason: details["reason"].as_str().map(str::to_owned),
            })
        })
        .collect();
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        ApiJson(json::ProfessionalHistory { entries }),
    )
        .into_response())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = encode_cursor("n diaye awa.x", 42);
        assert_eq!(
            decode_cursor(&cursor),
            Some(("n diaye awa.x".to_owned(), 42))
        );
        assert_eq!(decode_cursor("%%%"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("abc")), None);
    }

    #[test]
    fn history_changes_list_only_what_changed_with_labels() {
        let details = json!({
            "before": {"role": "GENR11", "metier": "328", "date_prise_fonction": "2024-09-01"},
            "after": {"role": "GENR12", "metier": "328", "date_prise_fonction": "2024-09-01"},
        });
        let found = changes(&details);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field, "Rôle");
        assert_eq!(
            found[0].after.as_deref(),
            Some("Encadrement et organisation de l'accompagnement social/médico-social")
        );
    }
}
