//! Liveness and readiness probes.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiJson};
use crate::startup::AppState;

/// A probe's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// Always `"ok"` on success.
    pub status: String,
}

fn ok() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-store")],
        ApiJson(Health {
            status: "ok".to_owned(),
        }),
    )
}

/// The process is up and answers HTTP.
#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, body = Health)))]
pub async fn healthz() -> impl IntoResponse {
    ok()
}

/// The service can serve requests: the database answers `SELECT 1`.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "meta",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "La base de données ne répond pas", body = shared::api::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn readyz(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    match state.storage.ping().await {
        Ok(()) => Ok(ok()),
        Err(err) => {
            tracing::warn!(error = ?err, "database not ready");
            Err(ApiError::Unavailable)
        }
    }
}
