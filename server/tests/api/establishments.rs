//! The operator's operations (`enrole establishment …`, `enrole seed-demo`) on the real storage.

use enrole_server::ApiError;
use enrole_server::establishments::{
    self, DEMO_SITES, EstablishmentError, EstablishmentInput, SiteInput, seed_demo,
};
use enrole_server::storage::{Actor, Constraint, EstablishmentKey};
use reqwest::StatusCode;

use crate::helpers::{TestApp, finess, json_body, siret};

fn site(nom: &str, finess: Option<String>, siret: Option<String>) -> SiteInput {
    SiteInput {
        nom: nom.to_owned(),
        finess,
        siret,
        commune: Some("Toulouse".to_owned()),
    }
}

#[tokio::test]
async fn an_entite_juridique_and_its_sites_are_created_and_listed() {
    let app = TestApp::spawn().await;
    let ej = app
        .create_establishment(
            "Centre social Bellefontaine",
            Some(&siret(10)),
            Some(&finess(910)),
        )
        .await;
    assert_eq!(ej.siret.as_deref(), Some(siret(10).as_str()));
    assert!(!ej.demo);
    app.add_site(&ej, "Antenne Mirail", &finess(11), "Toulouse")
        .await;
    let dac = establishments::add_site(
        &app.storage,
        &EstablishmentKey::Siret(siret(10)),
        &site("DAC 31", None, Some(siret(12))),
        &Actor::cli(),
    )
    .await
    .expect("a site identified by a SIRET only")
    .value;
    assert_eq!(dac.finess, None);

    let all = app.storage.list_establishments().await.unwrap();
    assert_eq!(all.len(), 1);
    let names: Vec<&str> = all[0].sites.iter().map(|s| s.nom.as_str()).collect();
    assert_eq!(names, ["Antenne Mirail", "DAC 31"]);
}

#[tokio::test]
async fn identifiers_are_normalised_before_storage() {
    let app = TestApp::spawn().await;
    let spaced: String = siret(20)
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            if i > 0 && i % 3 == 0 {
                vec![' ', c]
            } else {
                vec![c]
            }
        })
        .collect();
    let ej = app
        .create_establishment("  Association   Espoir ", Some(&spaced), None)
        .await;
    assert_eq!(ej.siret, Some(siret(20)));
    assert_eq!(ej.nom, "Association Espoir");
}

#[tokio::test]
async fn a_duplicate_finess_is_a_conflict_on_the_finess_field() {
    let app = TestApp::spawn().await;
    let ej = app.create_establishment("EJ", Some(&siret(30)), None).await;
    app.add_site(&ej, "Site A", &finess(31), "Albi").await;
    let err = establishments::add_site(
        &app.storage,
        &EstablishmentKey::Id(ej.id),
        &site("Site B", Some(finess(31)), None),
        &Actor::cli(),
    )
    .await
    .expect_err("duplicate FINESS");
    assert!(
        matches!(err, EstablishmentError::Duplicate(Constraint::SiteFiness)),
        "{err:?}"
    );

    let api: ApiError = err.into();
    assert_eq!(api.status().as_u16(), 409);
    let envelope = serde_json::to_value(api.envelope()).unwrap();
    assert_eq!(envelope["error"]["code"], "conflict");
    assert!(
        envelope["error"]["fields"]["finess"][0]
            .as_str()
            .unwrap()
            .contains("FINESS")
    );
}

#[tokio::test]
async fn duplicate_identifiers_of_entites_juridiques_are_mapped_by_constraint_name() {
    let app = TestApp::spawn().await;
    app.create_establishment("EJ 1", Some(&siret(40)), Some(&finess(940)))
        .await;
    let cases = [
        (Some(siret(40)), None, Constraint::EstablishmentSiret),
        (
            None,
            Some(finess(940)),
            Constraint::EstablishmentFinessJuridique,
        ),
        (
            Some(siret(41)),
            Some(finess(940)),
            Constraint::EstablishmentFinessJuridique,
        ),
    ];
    for (siret, finess_juridique, expected) in cases {
        let input = EstablishmentInput {
            nom: "EJ 2".to_owned(),
            siret,
            finess_juridique,
        };
        let err = establishments::create_establishment(&app.storage, &input, &Actor::cli())
            .await
            .expect_err("duplicate");
        assert!(
            matches!(err, EstablishmentError::Duplicate(c) if c == expected),
            "{err:?}"
        );
    }
    let site_siret = app
        .create_establishment("EJ 3", Some(&siret(42)), None)
        .await;
    let input = site("Site", None, Some(siret(43)));
    establishments::add_site(
        &app.storage,
        &EstablishmentKey::Id(site_siret.id),
        &input,
        &Actor::cli(),
    )
    .await
    .unwrap();
    let err = establishments::add_site(
        &app.storage,
        &EstablishmentKey::Id(site_siret.id),
        &input,
        &Actor::cli(),
    )
    .await
    .expect_err("duplicate site SIRET");
    assert!(
        matches!(err, EstablishmentError::Duplicate(Constraint::SiteSiret)),
        "{err:?}"
    );
}

#[tokio::test]
async fn invalid_inputs_are_rejected_per_field() {
    let app = TestApp::spawn().await;
    let cases: [(&str, EstablishmentInput, &str); 4] = [
        (
            "no name",
            EstablishmentInput {
                nom: " ".into(),
                siret: Some(siret(50)),
                finess_juridique: None,
            },
            "nom",
        ),
        (
            "no identifier",
            EstablishmentInput {
                nom: "EJ".into(),
                siret: None,
                finess_juridique: None,
            },
            "siret",
        ),
        (
            "bad SIRET",
            EstablishmentInput {
                nom: "EJ".into(),
                siret: Some("123".into()),
                finess_juridique: None,
            },
            "siret",
        ),
        (
            "bad FINESS",
            EstablishmentInput {
                nom: "EJ".into(),
                siret: None,
                finess_juridique: Some("ABCDEFGHI".into()),
            },
            "finess_juridique",
        ),
    ];
    for (case, input, field) in cases {
        let err = establishments::create_establishment(&app.storage, &input, &Actor::cli())
            .await
            .expect_err(case);
        let fields = err.field_errors().expect("field errors");
        assert!(fields.contains(field), "{case}: {fields:?}");
    }
    assert!(app.storage.list_establishments().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_site_for_an_unknown_entite_juridique_is_refused() {
    let app = TestApp::spawn().await;
    let err = establishments::add_site(
        &app.storage,
        &EstablishmentKey::Id(4242),
        &site("Orphelin", Some(finess(60)), None),
        &Actor::cli(),
    )
    .await
    .expect_err("unknown EJ");
    assert!(
        matches!(err, EstablishmentError::EstablishmentNotFound),
        "{err:?}"
    );
}

#[tokio::test]
async fn creations_are_written_to_the_audit_log() {
    let app = TestApp::spawn().await;
    let ej = app
        .create_establishment("EJ audit", Some(&siret(70)), None)
        .await;
    let site = app.add_site(&ej, "Site audit", &finess(71), "Rodez").await;
    let entries = app.storage.recent_audit_entries(10).await.unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].action, "site.create");
    assert_eq!(entries[0].subject, format!("site:{}", site.id));
    assert_eq!(entries[1].action, "establishment.create");
    assert_eq!(entries[1].subject, format!("establishment:{}", ej.id));
    assert_eq!(entries[1].actor, "cli");
    assert_eq!(entries[1].details.0["siret"], siret(70));
    assert!(entries[0].at >= entries[1].at);
}

#[tokio::test]
async fn seed_demo_is_idempotent_and_marks_its_data_as_demo() {
    let app = TestApp::spawn().await;
    let first = seed_demo(&app.storage).await.unwrap();
    assert!(first.establishment_created);
    assert_eq!(first.sites_created, DEMO_SITES.len());
    let second = seed_demo(&app.storage).await.unwrap();
    assert!(!second.establishment_created);
    assert_eq!(second.sites_created, 0);
    assert_eq!(second.sites_existing, DEMO_SITES.len());
    assert_eq!(second.establishment.id, first.establishment.id);

    let all = app.storage.list_establishments().await.unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].establishment.demo);
    assert!(all[0].establishment.nom.contains("(démo)"));
    assert_eq!(all[0].sites.len(), DEMO_SITES.len());
    assert!(
        all[0]
            .sites
            .iter()
            .all(|s| s.demo && s.nom.contains("(démo)"))
    );

    // The demo sites are searchable through the API.
    let body = json_body(app.search_structures("démo").await, StatusCode::OK).await;
    assert_eq!(
        body["structures"].as_array().unwrap().len(),
        DEMO_SITES.len()
    );
    assert!(
        body["structures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["site"]["demo"] == true)
    );
}
