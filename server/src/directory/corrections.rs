//! Corrections with a mandatory reason: the état civil, and the contact data (after which the e-CPS activation
//! starts again).

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::json;
use shared::FieldErrors;
use shared::api as json;
use shared::birth::BirthDate;
use shared::birthplace::BirthPlace;
use shared::civilite::Civilite;
use shared::contact::{Email, MobilePhone};
use shared::departure::CorrectionReason;
use shared::names::{NameField, PersonName, Prenoms};

use super::{activation_link, after_change, load};
use crate::auth::GestionnaireSession;
use crate::error::{ApiError, ApiJson};
use crate::mail::simple_email;
use crate::preregistrations::today;
use crate::startup::AppState;
use crate::storage::{Change, ProfessionalRecord, prenoms_from_stored, prenoms_to_stored};

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
    corrected.prenoms = prenoms_to_stored(&list);
    corrected.date_naissance = birth.date().to_iso();
    corrected.lieu_commune_cog = commune;
    corrected.lieu_pays_cog = pays;
    corrected.lieu_ville_etrangere = ville;
    let snapshot = |r: &ProfessionalRecord| {
        json!({
            "civilite": r.civilite,
            "nom_naissance": r.nom_naissance,
            "prenoms": prenoms_from_stored(&r.prenoms).join(" "),
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
