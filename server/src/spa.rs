//! Serving the built single-page application from `ENROLE_SITE_DIR`.
//!
//! - a path whose last segment has a dot is a file: served (precompressed `.br`/`.gz` when the client accepts
//!   them) or 404 — never HTML, so a missing asset cannot hide behind the SPA;
//! - `/gestion` and `/gestion/…` without a dot are client routes of the gestionnaire entry point: `gestion.html`;
//! - `/preinscription` is the form's own entry point, `preinscription.html`, when the build has it (a lighter first
//!   visit than the whole public bundle, which routes the form too);
//! - `/activation` and `/mon-espace` are the professional's space, `espace.html`, when the build has it;
//! - any other path without a dot is a client route of the public entry point: `index.html`;
//! - hashed assets under `/pkg/` are cached for a year, everything else is revalidated (`no-cache`);
//! - when the SPA has not been built, a short French page says how to build it (503).

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::error::ApiError;
use crate::startup::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";
/// The page of the form's own entry point (app/src/bin/preinscription.rs).
const FORM_PAGE: &str = "preinscription.html";
/// The page of the professional's space (app/src/bin/espace.rs).
const ESPACE_PAGE: &str = "espace.html";

/// The fallback handler of every non-API path.
pub async fn serve(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        // `/api/` and anything the API router did not claim: never the SPA.
        return ApiError::NotFound.into_response();
    }
    serve_from(&state.config.site_dir, request).await
}

/// Serves `request` from `site_dir` following the rules of this module.
pub async fn serve_from(site_dir: &Path, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "Méthode non autorisée.",
        )
            .into_response();
    }
    let index = site_dir.join("index.html");
    if !tokio::fs::try_exists(&index).await.unwrap_or(false) {
        return not_built(site_dir);
    }

    let path = request.uri().path().to_owned();
    let last_segment = path.rsplit('/').next().unwrap_or_default();
    let response = if last_segment.contains('.') {
        let served = ServeDir::new(site_dir)
            .precompressed_br()
            .precompressed_gzip()
            .append_index_html_on_directories(false)
            .oneshot(request)
            .await;
        match served {
            Ok(response) if response.status() == StatusCode::NOT_FOUND => file_not_found(),
            Ok(response) => response.map(Body::new),
            Err(err) => match err {},
        }
    } else {
        let page = if path == "/gestion" || path.starts_with("/gestion/") {
            "gestion.html"
        } else if path == "/preinscription"
            && tokio::fs::try_exists(site_dir.join(FORM_PAGE))
                .await
                .unwrap_or(false)
        {
            FORM_PAGE
        } else if (path == "/activation" || path == "/mon-espace")
            && tokio::fs::try_exists(site_dir.join(ESPACE_PAGE))
                .await
                .unwrap_or(false)
        {
            ESPACE_PAGE
        } else {
            "index.html"
        };
        let served = ServeFile::new(site_dir.join(page))
            .precompressed_br()
            .precompressed_gzip()
            .oneshot(request)
            .await;
        match served {
            Ok(response) if response.status() == StatusCode::NOT_FOUND => not_built(site_dir),
            Ok(response) => response.map(Body::new),
            Err(err) => match err {},
        }
    };
    with_cache_headers(&path, response)
}

fn with_cache_headers(path: &str, mut response: Response) -> Response {
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let policy = if path.starts_with("/pkg/") {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

fn file_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, REVALIDATE),
        ],
        "Fichier introuvable.",
    )
        .into_response()
}

fn not_built(site_dir: &Path) -> Response {
    let dir = html_escape(&display_path(site_dir));
    let body = format!(
        "<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Enrôle — application non construite</title>\n</head>\n<body>\n\
         <main>\n<h1>L'application web n'est pas encore construite</h1>\n\
         <p>Le serveur Enrôle fonctionne, mais il ne trouve pas l'application web dans le dossier \
         <code>{dir}</code>.</p>\n\
         <p>Pour la construire puis lancer le service, exécutez depuis la racine du dépôt :</p>\n\
         <pre><code>./scripts/run.sh</code></pre>\n\
         <p>Un autre dossier peut être indiqué avec la variable <code>ENROLE_SITE_DIR</code>. \
         L'API reste disponible sous <code>/api/v1/</code>.</p>\n</main>\n</body>\n</html>\n"
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn display_path(path: &Path) -> String {
    let absolute: PathBuf = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    absolute.display().to_string()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(site_dir: &Path, path: &str) -> String {
        let request = Request::builder()
            .uri(path)
            .body(Body::empty())
            .expect("a request");
        let response = serve_from(site_dir, request).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the body");
        String::from_utf8(body.to_vec()).expect("UTF-8")
    }

    #[tokio::test]
    async fn the_form_gets_its_own_entry_point_when_the_build_has_it() {
        let site_dir = std::env::temp_dir().join(format!("enrole-spa-form-{}", std::process::id()));
        std::fs::create_dir_all(&site_dir).expect("a site directory");
        std::fs::write(site_dir.join("index.html"), "public").expect("index.html");
        assert_eq!(body_of(&site_dir, "/preinscription").await, "public");

        std::fs::write(site_dir.join(FORM_PAGE), "form").expect("preinscription.html");
        assert_eq!(body_of(&site_dir, "/preinscription").await, "form");
        assert_eq!(
            body_of(&site_dir, "/preinscription?finess=319999926").await,
            "form"
        );
        for path in ["/", "/roles", "/preinscription/autre", "/preinscriptions"] {
            assert_eq!(body_of(&site_dir, path).await, "public", "{path}");
        }
        std::fs::write(site_dir.join(ESPACE_PAGE), "espace").expect("espace.html");
        for path in ["/activation", "/activation?jeton=abc", "/mon-espace"] {
            assert_eq!(body_of(&site_dir, path).await, "espace", "{path}");
        }
        assert_eq!(body_of(&site_dir, "/mon-espace/autre").await, "public");
        std::fs::remove_dir_all(&site_dir).expect("cleaning up");
    }
}
