use reqwest::StatusCode;

use crate::helpers::{TestApp, assert_envelope, json_body};

#[tokio::test]
async fn healthz_says_the_process_is_up() {
    let app = TestApp::spawn().await;
    let body = json_body(app.get_healthz().await, StatusCode::OK).await;
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_says_ready_when_the_database_answers() {
    let app = TestApp::spawn().await;
    let body = json_body(app.get_readyz().await, StatusCode::OK).await;
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_answers_503_with_the_envelope_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.storage.close().await;
    let body = assert_envelope(
        app.get_readyz().await,
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("indisponible")
    );
    // The process itself is still up.
    assert_eq!(app.get_healthz().await.status(), StatusCode::OK);
}
