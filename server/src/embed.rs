//! The form embedded in an establishment's intranet (issue 6).
//!
//! - `GET /embed.js`: the hand-written loader (`public/embed.js`), fetched cross-origin by intranet pages;
//! - `GET /integration/formulaire?finess=…&parent=…`: the compact form, framed only by the origins its entité
//!   juridique allows (`Content-Security-Policy: frame-ancestors`), and by Enrôle's own pages for the preview;
//! - the gestionnaire's endpoints listing, adding and removing those origins, scoped to the entités juridiques
//!   they cover (attached to the entité, or to one of its sites) and audited.
//!
//! `X-Frame-Options` cannot name a list of origins, so the embed page sends none and relies on `frame-ancestors`
//! (every browser that matters honours it, and it takes precedence over XFO where both exist); every other response
//! keeps `frame-ancestors 'none'` and `X-Frame-Options: DENY` (see [`crate::layers`]).

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use shared::api as json;
use shared::embed::EmbedOrigin;
use tower::ServiceExt;
use tower_http::services::ServeFile;
use utoipa::IntoParams;

use crate::api::rfc3339;
use crate::auth::GestionnaireSession;
use crate::error::{ApiError, ApiJson};
use crate::layers::{CONTENT_SECURITY_POLICY, FramingByPolicy};
use crate::spa;
use crate::startup::AppState;
use crate::storage::{AddedOrigin, EmbedOriginRecord};

/// Path of the embedded form.
pub const EMBED_PATH: &str = "/integration/formulaire";
/// The page of the embedded form (`app/integration.html`, the form's entry point with a compact first paint).
const EMBED_PAGE: &str = "integration.html";
/// Before `integration.html` existed, and in builds without it: the form's own page.
const FORM_PAGE: &str = "preinscription.html";
/// The loader is not content-hashed: intranets keep one URL. Cached briefly, then revalidated by ETag.
const LOADER_CACHE: &str = "public, max-age=300, must-revalidate";

/// The pages of the embed, outside `/api` (merged into the application router).
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/embed.js", get(loader))
        .route(EMBED_PATH, get(page))
}

// ---------------------------------------------------------------------------------------------------------------
// The loader and the embedded page.

/// `GET /embed.js`.
pub async fn loader(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let path = state.config.site_dir.join("embed.js");
    let Ok(content) = tokio::fs::read(&path).await else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Fichier introuvable.",
        )
            .into_response();
    };
    let etag = format!("\"{}\"", &crate::tokens::sha256_hex(&content)[..20]);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            content,
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(LOADER_CACHE),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, value);
    }
    // Loaded by other origins' pages: the default `same-origin` resource policy would block it.
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// Parameters of the embedded page.
#[derive(Debug, Default, Deserialize)]
pub struct EmbedQuery {
    pub finess: Option<String>,
    /// The origin of the host page (the loader passes `location.origin`), where the form posts its messages.
    pub parent: Option<String>,
}

/// The `frame-ancestors` sources of the embed page: `'self'` (the gestionnaire's preview) and the entité
/// juridique's origins; `'none'` for an unknown site, or when `parent` names an origin that may not frame it.
pub fn frame_ancestors(allowed: Option<&[String]>, parent: Option<&str>, own: &str) -> String {
    let Some(allowed) = allowed else {
        return "'none'".to_owned();
    };
    if let Some(parent) = parent {
        let parent_ok = EmbedOrigin::parse(parent).is_ok_and(|p| {
            p.as_str() == parent && (p.as_str() == own || allowed.iter().any(|a| a == p.as_str()))
        });
        if !parent_ok {
            return "'none'".to_owned();
        }
    }
    let mut sources = vec!["'self'".to_owned()];
    sources.extend(allowed.iter().cloned());
    sources.join(" ")
}

/// The Content-Security-Policy of the embed page: the general one with its own `frame-ancestors`.
pub fn embed_policy(frame_ancestors: &str) -> String {
    CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'",
        &format!("frame-ancestors {frame_ancestors}"),
    )
}

/// `GET /integration/formulaire`.
pub async fn page(
    State(state): State<AppState>,
    Query(query): Query<EmbedQuery>,
    request: Request,
) -> Response {
    let finess = query
        .finess
        .as_deref()
        .map(str::trim)
        .filter(|f| f.len() == 9 && f.bytes().all(|b| b.is_ascii_alphanumeric()));
    let allowed = match finess {
        Some(finess) => match state.storage.embed_origins_of_finess(finess).await {
            Ok(allowed) => allowed,
            Err(err) => return ApiError::from(err).into_response(),
        },
        None => None,
    };
    let own = EmbedOrigin::parse(&state.config.public_url)
        .map(String::from)
        .unwrap_or_default();
    let ancestors = frame_ancestors(allowed.as_deref(), query.parent.as_deref(), &own);

    let site_dir = &state.config.site_dir;
    let mut page = site_dir.join(EMBED_PAGE);
    if !tokio::fs::try_exists(&page).await.unwrap_or(false) {
        page = site_dir.join(FORM_PAGE);
    }
    let mut response = if tokio::fs::try_exists(&page).await.unwrap_or(false) {
        match ServeFile::new(page)
            .precompressed_br()
            .precompressed_gzip()
            .oneshot(request)
            .await
        {
            Ok(response) => response.map(Body::new),
            Err(err) => match err {},
        }
    } else {
        spa::serve_from(site_dir, request).await
    };
    let h = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&embed_policy(&ancestors)) {
        h.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    // The policy differs per site and changes with the list: never reuse a stale copy.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response.extensions_mut().insert(FramingByPolicy);
    response
}

// ---------------------------------------------------------------------------------------------------------------
// The gestionnaire's endpoints.

fn origin_dto(record: EmbedOriginRecord) -> json::EmbedOriginRow {
    json::EmbedOriginRow {
        id: record.id,
        entite_juridique_id: record.establishment_id,
        insecure: record.origin.starts_with("http://"),
        origin: record.origin,
        created_at: rfc3339(record.created_at),
    }
}

/// The entités juridiques the gestionnaire covers, with their sites (those they cover) and allowed origins.
#[utoipa::path(
    get,
    path = "/api/v1/gestion/integration/origines",
    tag = "gestion",
    responses(
        (status = 200, description = "Les entités juridiques du gestionnaire, leurs sites et les origines autorisées à intégrer le formulaire", body = json::EmbedOverview),
        (status = 401, description = "Pas de session", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    session: GestionnaireSession,
) -> Result<Response, ApiError> {
    let sites = state
        .storage
        .gestionnaire_sites(session.gestionnaire.id)
        .await?;
    let origins = state
        .storage
        .embed_origins_of_gestionnaire(session.gestionnaire.id)
        .await?;
    let mut entites: Vec<json::EmbedEntite> = Vec::new();
    for found in sites {
        let id = found.site.establishment_id;
        let index = match entites.iter().position(|e| e.id == id) {
            Some(index) => index,
            None => {
                entites.push(json::EmbedEntite {
                    id,
                    nom: found.establishment_nom.clone(),
                    sites: Vec::new(),
                    origines: Vec::new(),
                });
                entites.len() - 1
            }
        };
        entites[index].sites.push(crate::api::site_dto(found.site));
    }
    for origin in origins {
        if let Some(entite) = entites.iter_mut().find(|e| e.id == origin.establishment_id) {
            entite.origines.push(origin_dto(origin));
        }
    }
    entites.sort_by(|a, b| a.nom.cmp(&b.nom).then(a.id.cmp(&b.id)));
    let enrole_origin = EmbedOrigin::parse(&state.config.public_url)
        .map(String::from)
        .unwrap_or_else(|_| state.config.public_url.clone());
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        ApiJson(json::EmbedOverview {
            enrole_origin,
            entites_juridiques: entites,
        }),
    )
        .into_response())
}

/// Allows an intranet origin to embed the form of an entité juridique's sites.
#[utoipa::path(
    post,
    path = "/api/v1/gestion/integration/origines",
    tag = "gestion",
    request_body = json::EmbedOriginInput,
    responses(
        (status = 201, description = "Origine ajoutée", body = json::EmbedOriginRow),
        (status = 401, description = "Pas de session", body = json::ErrorEnvelope),
        (status = 404, description = "Entité juridique inconnue ou d'un autre établissement", body = json::ErrorEnvelope),
        (status = 422, description = "Origine invalide ou déjà autorisée (erreur sous `origin`)", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn add(
    State(state): State<AppState>,
    session: GestionnaireSession,
    ApiJson(input): ApiJson<json::EmbedOriginInput>,
) -> Result<Response, ApiError> {
    let origin =
        EmbedOrigin::parse(&input.origin).map_err(|e| ApiError::field("origin", e.to_string()))?;
    let added = state
        .storage
        .add_embed_origin(
            session.gestionnaire.id,
            input.entite_juridique_id,
            origin.as_str(),
            &session.actor(),
        )
        .await?;
    match added {
        AddedOrigin::Added(record) => {
            Ok((StatusCode::CREATED, ApiJson(origin_dto(record))).into_response())
        }
        AddedOrigin::Duplicate => Err(ApiError::field(
            "origin",
            format!("L'origine {origin} est déjà autorisée pour cette entité juridique."),
        )),
        AddedOrigin::OutOfScope => Err(ApiError::NotFound),
    }
}

/// Path of one origin.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct OriginPath {
    pub id: i64,
}

/// Withdraws an origin: its pages can no longer frame the form.
#[utoipa::path(
    delete,
    path = "/api/v1/gestion/integration/origines/{id}",
    tag = "gestion",
    params(OriginPath),
    responses(
        (status = 204, description = "Origine retirée"),
        (status = 401, description = "Pas de session", body = json::ErrorEnvelope),
        (status = 404, description = "Origine inconnue ou d'un autre établissement", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn remove(
    State(state): State<AppState>,
    session: GestionnaireSession,
    Path(OriginPath { id }): Path<OriginPath>,
) -> Result<StatusCode, ApiError> {
    match state
        .storage
        .remove_embed_origin(session.gestionnaire.id, id, &session.actor())
        .await?
    {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "http://127.0.0.1:8080";

    #[test]
    fn frame_ancestors_name_exactly_the_allowed_origins() {
        let allowed = vec![
            "https://intranet.a.fr".to_owned(),
            "http://intra.local:8080".to_owned(),
        ];
        assert_eq!(
            frame_ancestors(Some(&allowed), None, OWN),
            "'self' https://intranet.a.fr http://intra.local:8080"
        );
        assert_eq!(frame_ancestors(Some(&[]), None, OWN), "'self'");
        assert_eq!(frame_ancestors(None, None, OWN), "'none'");
        assert_eq!(
            frame_ancestors(Some(&allowed), Some("https://intranet.a.fr"), OWN),
            "'self' https://intranet.a.fr http://intra.local:8080"
        );
        assert_eq!(
            frame_ancestors(Some(&allowed), Some(OWN), OWN),
            "'self' https://intranet.a.fr http://intra.local:8080"
        );
        for parent in [
            "https://evil.fr",
            "*",
            "https://intranet.a.fr/",
            "HTTPS://intranet.a.fr",
            "",
        ] {
            assert_eq!(
                frame_ancestors(Some(&allowed), Some(parent), OWN),
                "'none'",
                "{parent}"
            );
        }
    }

    #[test]
    fn the_embed_policy_only_changes_frame_ancestors() {
        let policy = embed_policy("'self' https://intranet.a.fr");
        assert!(policy.contains("frame-ancestors 'self' https://intranet.a.fr;"));
        assert_eq!(
            policy.replace(
                "frame-ancestors 'self' https://intranet.a.fr",
                "frame-ancestors 'none'"
            ),
            CONTENT_SECURITY_POLICY
        );
    }
}
