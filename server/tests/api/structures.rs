use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, assert_envelope, finess, json_body, siret};

/// Three sites in two entités juridiques.
async fn seeded_app() -> TestApp {
    let app = TestApp::spawn().await;
    let chu = app
        .create_establishment("Centre hospitalier du Comminges", Some(&siret(1)), None)
        .await;
    app.add_site(&chu, "EHPAD Les Églantines", &finess(101), "Saint-Gaudens")
        .await;
    app.add_site(
        &chu,
        "Maison d'accueil spécialisée L'Oustal",
        &finess(102),
        "Montréjeau",
    )
    .await;
    let asso = app
        .create_establishment("Association Œuvre Falret", None, Some(&finess(900)))
        .await;
    app.add_site(
        &asso,
        "Foyer de vie Les Églantiers",
        &finess(103),
        "Toulouse",
    )
    .await;
    app
}

async fn names_for(app: &TestApp, q: &str) -> Vec<String> {
    let body = json_body(app.search_structures(q).await, StatusCode::OK).await;
    body["structures"]
        .as_array()
        .expect("structures")
        .iter()
        .map(|s| s["site"]["nom"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn structures_are_found_by_name_ignoring_accents_and_case() {
    let app = seeded_app().await;
    for q in ["eglantines", "ÉGLANTINES", "Églantines", "les eglan"] {
        let names = names_for(&app, q).await;
        assert!(
            names.contains(&"EHPAD Les Églantines".to_owned()),
            "{q}: {names:?}"
        );
    }
    assert_eq!(
        names_for(&app, "oustal").await,
        ["Maison d'accueil spécialisée L'Oustal"]
    );
}

#[tokio::test]
async fn structures_are_found_by_commune() {
    let app = seeded_app().await;
    for q in ["saint-gaudens", "Saint Gaudens", "montrejeau", "Montréjeau"] {
        assert_eq!(names_for(&app, q).await.len(), 1, "{q}");
    }
    assert_eq!(
        names_for(&app, "toulouse").await,
        ["Foyer de vie Les Églantiers"]
    );
}

#[tokio::test]
async fn structures_are_found_by_finess() {
    let app = seeded_app().await;
    let body = json_body(app.search_structures(&finess(102)).await, StatusCode::OK).await;
    let found = body["structures"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["site"]["finess"], finess(102));
    assert_eq!(found[0]["site"]["commune"], "Montréjeau");
    assert_eq!(
        found[0]["entite_juridique"]["nom"],
        "Centre hospitalier du Comminges"
    );
    assert_eq!(found[0]["site"]["demo"], false);
}

#[tokio::test]
async fn every_word_of_the_query_must_match() {
    let app = seeded_app().await;
    assert_eq!(
        names_for(&app, "eglant toulouse").await,
        ["Foyer de vie Les Églantiers"]
    );
    assert_eq!(names_for(&app, "eglant").await.len(), 2);
    assert!(names_for(&app, "eglant paris").await.is_empty());
}

#[tokio::test]
async fn a_search_without_match_returns_an_empty_list() {
    let app = seeded_app().await;
    assert!(names_for(&app, "zzzz").await.is_empty());
    let empty = TestApp::spawn().await;
    assert!(names_for(&empty, "ehpad").await.is_empty());
}

#[tokio::test]
async fn a_search_returns_at_most_20_structures_ordered_by_name() {
    let app = TestApp::spawn().await;
    let ej = app
        .create_establishment("Groupe Résidences", Some(&siret(2)), None)
        .await;
    for i in 0..25 {
        app.add_site(&ej, &format!("Résidence {i:02}"), &finess(200 + i), "Albi")
            .await;
    }
    let names = names_for(&app, "residence").await;
    assert_eq!(names.len(), 20);
    let expected: Vec<String> = (0..20).map(|i| format!("Résidence {i:02}")).collect();
    assert_eq!(names, expected);
}

#[tokio::test]
async fn a_missing_too_short_or_too_long_query_is_rejected_on_the_q_field() {
    let app = seeded_app().await;
    let long = "a".repeat(101);
    let cases: [(&str, Option<&str>); 6] = [
        ("missing", None),
        ("empty", Some("")),
        ("one letter", Some("a")),
        ("one letter in spaces", Some("  é  ")),
        ("punctuation only", Some("--'%_")),
        ("too long", Some(long.as_str())),
    ];
    for (case, q) in cases {
        let response = match q {
            Some(q) => app.search_structures(q).await,
            None => app.get("/api/v1/structures").await,
        };
        let body: Value =
            assert_envelope(response, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
        let messages = body["error"]["fields"]["q"]
            .as_array()
            .unwrap_or_else(|| panic!("{case}: {body}"));
        assert_eq!(messages.len(), 1, "{case}");
        assert!(!messages[0].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn apostrophes_and_sql_characters_in_the_query_are_harmless() {
    let app = seeded_app().await;
    assert_eq!(
        names_for(&app, "L'Oustal").await,
        ["Maison d'accueil spécialisée L'Oustal"]
    );
    assert_eq!(
        names_for(&app, "L’Oustal").await,
        ["Maison d'accueil spécialisée L'Oustal"]
    );
    assert!(names_for(&app, "x' OR '1'='1").await.is_empty());
}
