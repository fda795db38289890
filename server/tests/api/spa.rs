use reqwest::{Method, StatusCode};

use crate::helpers::{
    APP_JS, APP_JS_BR, GESTION_HTML, INDEX_HTML, Site, TestApp, TestOptions, header,
};

async fn page(app: &TestApp, path: &str) -> (StatusCode, String, String, String) {
    let response = app.get(path).await;
    let status = response.status();
    let content_type = header(&response, "content-type");
    let cache = header(&response, "cache-control");
    (status, content_type, cache, response.text().await.unwrap())
}

#[tokio::test]
async fn client_routes_without_an_extension_get_the_public_entry_point() {
    let app = TestApp::spawn().await;
    for path in [
        "/",
        "/preinscription",
        "/roles",
        "/roles/GENR10",
        "/une/page/inconnue",
        "/gestionnaire",
    ] {
        let (status, content_type, cache, body) = page(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        assert_eq!(cache, "no-cache", "{path}");
        assert_eq!(body, INDEX_HTML, "{path}");
    }
}

#[tokio::test]
async fn gestion_routes_get_the_gestionnaire_entry_point() {
    let app = TestApp::spawn().await;
    for path in [
        "/gestion",
        "/gestion/",
        "/gestion/preinscriptions",
        "/gestion/a/b/c",
    ] {
        let (status, _, cache, body) = page(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(cache, "no-cache", "{path}");
        assert_eq!(body, GESTION_HTML, "{path}");
    }
}

#[tokio::test]
async fn missing_files_with_an_extension_are_404_never_html() {
    let app = TestApp::spawn().await;
    for path in [
        "/favicon.ico",
        "/pkg/public-000000.js",
        "/gestion/app.js",
        "/robots.txt",
        "/.env",
        "/a/b.wasm",
    ] {
        let (status, content_type, _, body) = page(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!content_type.contains("html"), "{path}: {content_type}");
        assert!(!body.contains("<html"), "{path}");
    }
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year_and_other_files_revalidated() {
    let app = TestApp::spawn().await;
    let (status, content_type, cache, body) = page(&app, "/pkg/public-abc123.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.contains("javascript"), "{content_type}");
    assert_eq!(cache, "public, max-age=31536000, immutable");
    assert_eq!(body, APP_JS);

    let wasm = app.get("/pkg/public-abc123_bg.wasm").await;
    assert_eq!(header(&wasm, "content-type"), "application/wasm");
    assert_eq!(
        header(&wasm, "cache-control"),
        "public, max-age=31536000, immutable"
    );

    for path in ["/style.css", "/index.html", "/gestion.html"] {
        let (status, _, cache, _) = page(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(cache, "no-cache", "{path}");
    }
}

#[tokio::test]
async fn precompressed_brotli_assets_are_served_when_accepted() {
    let app = TestApp::spawn().await;
    let response = app
        .get_with("/pkg/public-abc123.js", &[("accept-encoding", "br")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-encoding"), "br");
    assert!(header(&response, "content-type").contains("javascript"));
    assert_eq!(
        header(&response, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), APP_JS_BR);
}

#[tokio::test]
async fn only_get_and_head_are_accepted_outside_the_api() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.request(Method::HEAD, "/preinscription").await.status(),
        StatusCode::OK
    );
    let response = app.request(Method::POST, "/preinscription").await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&response, "allow"), "GET, HEAD");
}

#[tokio::test]
async fn without_a_built_spa_a_french_page_explains_how_to_build_it() {
    let app = TestApp::spawn_with(TestOptions {
        site: Site::Missing,
        ..TestOptions::default()
    })
    .await;
    for path in ["/", "/gestion", "/preinscription"] {
        let (status, content_type, _, body) = page(&app, path).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(content_type.starts_with("text/html"), "{path}");
        assert!(body.contains("lang=\"fr\""));
        assert!(body.contains("./scripts/run.sh"), "{body}");
        assert!(body.contains("pas encore construite"));
    }
    // The API keeps working.
    assert_eq!(app.get_nomenclatures().await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/nope").await.status(),
        StatusCode::NOT_FOUND
    );
}
