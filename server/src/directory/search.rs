//! The directory's pages: the people with a situation d'exercice in the gestionnaire's sites, by name, filtered
//! and 50 at a time (keyset cursors).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use shared::FieldErrors;
use shared::api as json;
use shared::nomenclature::{Metier, Role};
use shared::search::QueryProblem;
use utoipa::IntoParams;

use super::{ids, scope, situation_dto};
use crate::auth::GestionnaireSession;
use crate::error::{ApiError, ApiJson, ApiQuery};
use crate::startup::AppState;
use crate::storage::{DIRECTORY_PAGE_SIZE, DirectoryFilter};

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
    if q.chars().count() > shared::search::MAX_QUERY_CHARS {
        errors.add("q", QueryProblem::TooLong.message(""));
    }
    let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    let rpps = (digits.len() == 11 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits);
    let mut words = if rpps.is_some() {
        Vec::new()
    } else {
        shared::search::words(&q)
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
}
