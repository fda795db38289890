use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, header, json_body};

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|entry| entry["code"].as_str().expect("code").to_owned())
        .collect()
}

#[tokio::test]
async fn nomenclatures_serve_the_official_codes_from_shared() {
    let app = TestApp::spawn().await;
    let response = app.get_nomenclatures().await;
    assert!(header(&response, "cache-control").contains("max-age"));
    let body = json_body(response, StatusCode::OK).await;

    assert_eq!(body["profession"]["code"], "99");
    assert_eq!(body["profession"]["label"], "Acteur caractérisé par rôle");

    let roles = codes(&body["roles"]);
    assert_eq!(
        roles,
        ["GENR08", "GENR09", "GENR10", "GENR11", "GENR12", "GENR13"]
    );
    for role in body["roles"].as_array().unwrap() {
        let description = role["description"]
            .as_str()
            .expect("every rôle is described");
        assert!(!description.is_empty());
    }

    let metiers = codes(&body["metiers"]);
    assert_eq!(metiers.len(), 60);
    for code in ["307", "313", "328", "372", "379"] {
        assert!(metiers.iter().any(|m| m == code), "métier {code}");
    }
    for deprecated in ["318", "323", "350", "369"] {
        assert!(
            !metiers.iter().any(|m| m == deprecated),
            "deprecated métier {deprecated} offered"
        );
    }

    assert_eq!(codes(&body["modes_exercice"]), ["S", "L", "B", "I"]);
    assert_eq!(codes(&body["civilites"]), ["M", "MME"]);
}

#[tokio::test]
async fn nomenclatures_are_served_identically_to_shared() {
    let app = TestApp::spawn().await;
    let body = json_body(app.get_nomenclatures().await, StatusCode::OK).await;
    let expected = serde_json::to_value(shared::api::nomenclatures()).unwrap();
    assert_eq!(body, expected);
}
