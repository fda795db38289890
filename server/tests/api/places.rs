use reqwest::StatusCode;

use crate::helpers::{TestApp, assert_envelope, json_body, percent_encode};

#[tokio::test]
async fn communes_are_found_by_name_with_or_without_accents_and_by_postcode() {
    let app = TestApp::spawn().await;
    for q in ["Montréjeau", "montrejeau", "31210"] {
        let body = json_body(
            app.get(&format!("/api/v1/communes?q={}", percent_encode(q)))
                .await,
            StatusCode::OK,
        )
        .await;
        let communes = body["communes"].as_array().unwrap();
        assert!(
            communes
                .iter()
                .any(|c| c["name"] == "Montréjeau" && c["departement"] == "31"),
            "{q}: {body}"
        );
        let first = &communes[0];
        assert!(
            first["code"].is_string() && first["kind"].is_string() && first["postcodes"].is_array()
        );
    }
    let body = json_body(
        app.get("/api/v1/communes?q=paris&limit=3").await,
        StatusCode::OK,
    )
    .await;
    let communes = body["communes"].as_array().unwrap();
    assert_eq!(communes.len(), 3);
    assert_eq!(communes[0]["code"], "75056");
}

#[tokio::test]
async fn countries_are_found_by_french_name() {
    let app = TestApp::spawn().await;
    for q in ["maroc", "Maroc", "99350"] {
        let body = json_body(
            app.get(&format!("/api/v1/pays?q={q}")).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(body["pays"][0]["code"], "99350", "{q}: {body}");
        assert_eq!(body["pays"][0]["name"], "Maroc");
    }
}

#[tokio::test]
async fn too_short_or_too_long_place_searches_are_rejected_on_q() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(101);
    for path in ["/api/v1/communes", "/api/v1/pays"] {
        for q in [None, Some("a"), Some(" - "), Some(long.as_str())] {
            let url = match q {
                None => path.to_owned(),
                Some(q) => format!("{path}?q={}", percent_encode(q)),
            };
            let body = assert_envelope(
                app.get(&url).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
            )
            .await;
            assert!(body["error"]["fields"]["q"][0].is_string(), "{url}: {body}");
        }
    }
}
