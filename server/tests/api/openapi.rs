use reqwest::StatusCode;

use crate::helpers::{TestApp, header, json_body};

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = TestApp::spawn().await;
    let response = app.get_openapi().await;
    assert!(header(&response, "content-type").starts_with("application/json"));
    let document = json_body(response, StatusCode::OK).await;

    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(document["info"]["title"], "Enrôle");
    let paths = document["paths"].as_object().expect("paths");
    for path in [
        "/healthz",
        "/readyz",
        "/api/v1/nomenclatures",
        "/api/v1/structures",
        "/api/v1/openapi.json",
        "/api/v1/communes",
        "/api/v1/pays",
        "/api/v1/structures/{site_id}/notice",
        "/api/v1/suivi/{token}",
    ] {
        assert!(paths.contains_key(path), "missing {path}");
        assert!(paths[path]["get"].is_object(), "{path} has no GET");
    }
    let parameters = paths["/api/v1/structures"]["get"]["parameters"]
        .as_array()
        .expect("parameters");
    assert!(
        parameters
            .iter()
            .any(|p| p["name"] == "q" && p["in"] == "query")
    );

    for path in [
        "/api/v1/documents",
        "/api/v1/pre-registrations",
        "/api/v1/email-confirmations/{token}",
    ] {
        assert!(paths[path]["post"].is_object(), "{path} has no POST");
    }
    let submit = &paths["/api/v1/pre-registrations"]["post"];
    assert!(
        submit["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
    );
    for status in ["201", "409", "413", "422", "429"] {
        let responses = if status == "413" {
            &paths["/api/v1/documents"]["post"]["responses"]
        } else {
            &submit["responses"]
        };
        assert!(responses[status].is_object(), "missing {status}");
    }

    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    for schema in [
        "ErrorEnvelope",
        "Nomenclatures",
        "StructureSearch",
        "Site",
        "PreRegistrationRequest",
        "PreRegistrationCreated",
        "DocumentUploaded",
        "Notice",
        "PreRegistrationStatus",
        "CommuneSearch",
        "PaysSearch",
    ] {
        assert!(schemas.contains_key(schema), "missing schema {schema}");
    }
    // The birth place in words, beside its codes, wherever a person's birth place is shown.
    for schema in ["DemandeDetail", "ProfessionalDetail"] {
        let libelle = &schemas[schema]["properties"]["lieu_naissance_libelle"];
        assert_eq!(libelle["type"], "string", "{schema}: {libelle}");
        let required = schemas[schema]["required"].as_array().expect("required");
        assert!(
            required.iter().any(|r| r == "lieu_naissance_libelle"),
            "{schema}"
        );
    }
}
