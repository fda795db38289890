use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, TestOptions, assert_envelope, header};

#[tokio::test]
async fn unknown_api_paths_get_the_json_404_envelope() {
    let app = TestApp::spawn().await;
    for path in [
        "/api",
        "/api/",
        "/api/v1",
        "/api/v1/",
        "/api/v1/nope",
        "/api/v2/structures",
        "/api/v1/nomenclatures/x",
    ] {
        let body = assert_envelope(app.get(path).await, StatusCode::NOT_FOUND, "not_found").await;
        assert!(
            body["error"].get("fields").is_none(),
            "no fields on a 404: {body}"
        );
    }
}

#[tokio::test]
async fn a_wrong_method_on_an_api_route_gets_the_405_envelope_with_allow() {
    let app = TestApp::spawn().await;
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        let response = app.request(method.clone(), "/api/v1/nomenclatures").await;
        let allow = header(&response, "allow");
        assert!(allow.contains("GET"), "{method}: allow = {allow}");
        assert_envelope(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        )
        .await;
    }
}

#[tokio::test]
async fn an_oversized_body_gets_the_413_envelope() {
    let app = TestApp::spawn_with(TestOptions {
        env: vec![("ENROLE_MAX_BODY_BYTES", "1024".to_owned())],
        ..TestOptions::default()
    })
    .await;
    let response = app
        .client
        .post(app.url("/api/v1/structures"))
        .header("content-type", "application/json")
        .body(vec![b' '; 4096])
        .send()
        .await
        .unwrap();
    assert_envelope(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

#[tokio::test]
async fn error_messages_are_french_and_never_leak_internals() {
    let app = TestApp::spawn().await;
    let body = assert_envelope(
        app.get("/api/v1/nope").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(
        body["error"]["message"],
        "Cette adresse n'existe pas dans l'API."
    );
    app.storage.close().await;
    let body = assert_envelope(
        app.search_structures("ehpad").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
    )
    .await;
    let text = body.to_string().to_lowercase();
    for leak in ["sqlx", "pool", "sqlite", "postgres", "select"] {
        assert!(!text.contains(leak), "{leak} leaked: {body}");
    }
}
