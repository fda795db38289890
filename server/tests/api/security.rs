use reqwest::StatusCode;

use crate::helpers::{TestApp, TestOptions, header};

const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let paths = [
        "/healthz",
        "/api/v1/nomenclatures",
        "/api/v1/nope",
        "/api/v1/structures?q=a",
        "/",
        "/preinscription",
        "/gestion",
        "/pkg/public-abc123.js",
        "/favicon.ico",
    ];
    for path in paths {
        let response = app.get(path).await;
        assert_eq!(header(&response, "content-security-policy"), CSP, "{path}");
        assert_eq!(
            header(&response, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(
            header(&response, "referrer-policy"),
            "no-referrer",
            "{path}"
        );
        assert_eq!(header(&response, "x-frame-options"), "DENY", "{path}");
        assert_eq!(
            header(&response, "cross-origin-opener-policy"),
            "same-origin",
            "{path}"
        );
        assert!(
            header(&response, "permissions-policy").contains("camera=()"),
            "{path}"
        );
        assert!(!header(&response, "x-request-id").is_empty(), "{path}");
        assert_eq!(
            header(&response, "strict-transport-security"),
            "",
            "no HSTS over http: {path}"
        );
    }
}

#[tokio::test]
async fn hsts_is_sent_only_when_the_public_url_is_https() {
    let app = TestApp::spawn_with(TestOptions {
        env: vec![("ENROLE_PUBLIC_URL", "https://enrole.example.fr".to_owned())],
        ..TestOptions::default()
    })
    .await;
    let response = app.get("/healthz").await;
    assert!(header(&response, "strict-transport-security").starts_with("max-age="));
}

#[tokio::test]
async fn a_request_id_sent_by_the_client_is_echoed() {
    let app = TestApp::spawn().await;
    let response = app
        .get_with("/healthz", &[("x-request-id", "test-123")])
        .await;
    assert_eq!(header(&response, "x-request-id"), "test-123");
}

#[tokio::test]
async fn api_responses_are_compressed_when_the_client_accepts_it() {
    let app = TestApp::spawn().await;
    for encoding in ["br", "gzip"] {
        let response = app
            .get_with("/api/v1/nomenclatures", &[("accept-encoding", encoding)])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "content-encoding"), encoding);
    }
    let plain = app.get("/api/v1/nomenclatures").await;
    assert_eq!(header(&plain, "content-encoding"), "");
}

#[tokio::test]
async fn trace_and_unknown_methods_are_refused_with_the_security_headers() {
    let app = TestApp::spawn().await;
    let trace = reqwest::Method::TRACE;
    let unknown = reqwest::Method::from_bytes(b"PROPFIND").unwrap();
    let invented = reqwest::Method::from_bytes(b"FOO").unwrap();
    for method in [trace, unknown, invented, reqwest::Method::DELETE] {
        for path in [
            "/",
            "/preinscription",
            "/gestion",
            "/healthz",
            "/api/v1/nomenclatures",
            "/api/v1/pre-registrations",
            "/api/v1/nope",
            // Behind the CSRF layer: an unknown method is still the router's 405, not a CSRF 403.
            "/api/v1/auth/me",
            "/api/v1/gestion/demandes",
            "/api/v1/espace/profil",
        ] {
            let response = app.request(method.clone(), path).await;
            // DELETE changes state: behind the CSRF layer, a forged one is refused before routing.
            let csrf_first = method == reqwest::Method::DELETE
                && ["/api/v1/auth/", "/api/v1/gestion/", "/api/v1/espace/"]
                    .iter()
                    .any(|guarded| path.starts_with(guarded));
            assert!(
                matches!(
                    response.status(),
                    StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_FOUND
                ) || (csrf_first && response.status() == StatusCode::FORBIDDEN),
                "{method} {path}: {}",
                response.status()
            );
            assert_eq!(
                header(&response, "content-security-policy"),
                CSP,
                "{method} {path}"
            );
            assert_eq!(header(&response, "x-content-type-options"), "nosniff");
            let body = response.text().await.unwrap();
            assert!(
                !body.contains(path) || path == "/",
                "nothing echoed back: {body}"
            );
        }
    }
    // Under /api the refusal is the JSON envelope.
    let response = app
        .request(reqwest::Method::TRACE, "/api/v1/nomenclatures")
        .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"]["message"].is_string(), "{body}");
}

#[tokio::test]
async fn there_is_no_api_documentation_ui_unless_configured() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/docs",
        "/api/v1/docs",
        "/swagger-ui",
        "/api/swagger-ui/",
        "/docs",
    ] {
        let response = app.get(path).await;
        let body = response.text().await.unwrap();
        assert!(
            !body.to_lowercase().contains("swagger") && !body.to_lowercase().contains("redoc"),
            "{path} serves no API documentation UI"
        );
    }
    // The machine-readable document stays available: clients and the hostile-input tests use it.
    assert_eq!(app.get_openapi().await.status(), StatusCode::OK);
}
