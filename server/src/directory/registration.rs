//! CAS 1: the gestionnaire registers a person whose identity document they checked, after seeing who may already
//! be that person.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::FieldErrors;
use shared::api as json;
use shared::birthplace::BirthPlace;

use super::{ALREADY_ACTIVE_MESSAGE, PENDING_MESSAGE, activation_link, conflict, ids, scope};
use crate::auth::GestionnaireSession;
use crate::error::{ApiError, ApiJson};
use crate::mail::simple_email;
use crate::preregistrations::{check, new_request};
use crate::startup::AppState;
use crate::storage::{
    NewEmail, Registration, RegistrationOutcome, SiteMatch, identity_key, now, prenoms_from_stored,
};
use crate::tokens;

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
    let first = shared::search::compact(pre.prenoms().usual().as_str());
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
            let their = prenoms_from_stored(&p.prenoms);
            if their
                .first()
                .is_some_and(|f| shared::search::compact(f) == first)
            {
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

// No more personal data than needed: no birth data, no contact data in the body.
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
