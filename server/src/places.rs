//! Birthplace searches for the forms: `GET /api/v1/communes?q=` and `GET /api/v1/pays?q=`, served from the
//! process-wide [`crate::reference::shared`] data (never compiled into the WASM app).

use axum::http::header;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use shared::api as json;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiJson, ApiQuery};
use crate::reference::{self, CommuneHit, PaysHit};
/// Results when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 20;

/// Parameters of a birthplace search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaceQuery {
    /// Name (accents, case, hyphens and apostrophes ignored; "st" = "saint"), postcode or INSEE code; 2
    /// characters minimum.
    pub q: Option<String>,
    /// Most results wanted (1 to 50, default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<usize>,
}

/// Communes matching a search, best first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommuneSearch {
    pub communes: Vec<CommuneHit>,
}

/// Countries matching a search, best first (France excluded: give a commune).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaysSearch {
    pub pays: Vec<PaysHit>,
}

fn checked_query(params: &PlaceQuery, what: &str) -> Result<(String, usize), ApiError> {
    let q = shared::search::check_query(params.q.as_deref().unwrap_or_default())
        .map_err(|problem| ApiError::field("q", problem.message(what)))?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=reference::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            format!(
                "Le nombre de résultats doit être compris entre 1 et {}.",
                reference::MAX_LIMIT
            ),
        ));
    }
    Ok((q.to_owned(), limit))
}

/// Searches the communes (current, arrondissements, former) by name, postcode or INSEE code.
#[utoipa::path(
    get,
    path = "/api/v1/communes",
    tag = "lieux",
    params(PlaceQuery),
    responses(
        (status = 200, description = "Les communes correspondantes, les plus pertinentes d'abord", body = CommuneSearch),
        (status = 422, description = "Recherche trop courte ou trop longue", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn communes(
    ApiQuery(params): ApiQuery<PlaceQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let (q, limit) = checked_query(
        &params,
        "du nom, du code postal ou du code INSEE de la commune",
    )?;
    let communes = reference::shared().search_communes(&q, limit);
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=3600")],
        ApiJson(CommuneSearch { communes }),
    ))
}

/// Searches the countries (INSEE `99xxx` codes) by French name, other name or code.
#[utoipa::path(
    get,
    path = "/api/v1/pays",
    tag = "lieux",
    params(PlaceQuery),
    responses(
        (status = 200, description = "Les pays correspondants, les plus pertinents d'abord", body = PaysSearch),
        (status = 422, description = "Recherche trop courte ou trop longue", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn pays(ApiQuery(params): ApiQuery<PlaceQuery>) -> Result<impl IntoResponse, ApiError> {
    let (q, limit) = checked_query(&params, "du nom ou du code INSEE du pays")?;
    let pays = reference::shared().search_pays(&q, limit);
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=3600")],
        ApiJson(PaysSearch { pays }),
    ))
}
