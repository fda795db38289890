//! A person's history: every change to them and to their situations in the gestionnaire's sites, newest first,
//! with who made it and what changed, in words.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use shared::api as json;
use shared::departure::EndReason;
use shared::nomenclature::{Metier, ModeExercice, Role};

use super::{ids, load};
use crate::api::rfc3339;
use crate::auth::GestionnaireSession;
use crate::error::{ApiError, ApiJson};
use crate::startup::AppState;
use crate::storage::Actor;

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
        "date_prise_fonction" | "end_date" | "date_naissance" => shared::format::date(&text),
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
