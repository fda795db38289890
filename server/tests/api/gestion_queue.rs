//! The gestionnaire's queue, one request, its document, decisions and corrections.

use enrole_server::gestionnaires::AttachTo;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::gestion_auth::establishment;
use crate::helpers::{TestApp, TestOptions, assert_envelope, header, json_body};
use crate::intake::{PNG, key, valid_request};
use crate::mail::{delivered, text_of};

/// Submits a valid request (with `changes` merged at the top level) to `site_id`; answers the 201 body.
pub async fn submit_to(app: &TestApp, site_id: i64, changes: Value) -> Value {
    let site = app.storage.find_site(site_id).await.unwrap().unwrap();
    let finess = site.site.finess.clone().unwrap();
    let document = app.document_id().await;
    let mut request = valid_request(site_id, &finess, &document);
    for (k, v) in changes.as_object().unwrap() {
        request[k] = v.clone();
    }
    json_body(
        app.submit(Some(&key()), &request).await,
        StatusCode::CREATED,
    )
    .await
}

pub async fn queue(app: &TestApp, cookie: &str, query: &str) -> Value {
    json_body(
        app.get_gestion(&format!("/api/v1/gestion/demandes{query}"), cookie)
            .await,
        StatusCode::OK,
    )
    .await
}

/// The queue id of the request with this reference.
pub async fn id_of(app: &TestApp, cookie: &str, reference: &str) -> i64 {
    let page = queue(app, cookie, "?status=toutes").await;
    page["demandes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["reference"] == reference)
        .unwrap_or_else(|| panic!("{reference} not in the queue: {page}"))["id"]
        .as_i64()
        .unwrap()
}

pub async fn decide(app: &TestApp, cookie: &str, id: i64, body: Value) -> reqwest::Response {
    app.post_gestion(
        &format!("/api/v1/gestion/demandes/{id}/decision"),
        &body,
        Some(cookie),
    )
    .await
}

fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[tokio::test]
async fn the_queue_lists_only_the_gestionnaires_sites_oldest_first_with_counts_and_cursor() {
    let app = TestApp::spawn().await;
    let (ej_a, site_a) = establishment(&app, 21).await;
    let (_, site_b) = establishment(&app, 22).await;
    let cookie = app.signed_in("a@exemple.fr", AttachTo::EjSiret(ej_a)).await;
    for i in 0..52 {
        submit_to(
            &app,
            site_a,
            json!({"nom_naissance": format!("Nom{}", letters(i))}),
        )
        .await;
    }
    submit_to(&app, site_b, json!({})).await;
    let first = queue(&app, &cookie, "").await;
    let rows = first["demandes"].as_array().unwrap();
    assert_eq!(rows.len(), 50);
    assert!(rows.iter().all(|r| r["site_id"] == site_a));
    assert_eq!(first["counts"]["recue"], 52);
    assert_eq!(first["counts_by_site"][0]["site_id"], site_a);
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "oldest first");
    assert_eq!(rows[0]["flags"]["email_confirmed"], false);
    assert_eq!(
        rows[0]["role_label"],
        "Accompagnement social/médico-social au soin"
    );
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = queue(&app, &cookie, &format!("?cursor={cursor}")).await;
    assert_eq!(second["demandes"].as_array().unwrap().len(), 2);
    assert!(second["next_cursor"].is_null());
    assert!(second["demandes"][0]["id"].as_i64().unwrap() > ids[49]);
    // Filters.
    let none = queue(&app, &cookie, "?role=GENR08").await;
    assert_eq!(none["demandes"].as_array().unwrap().len(), 0);
    let validated = queue(&app, &cookie, "?status=validee").await;
    assert_eq!(validated["demandes"].as_array().unwrap().len(), 0);
    let old = queue(&app, &cookie, "?older_than_days=1").await;
    assert_eq!(old["demandes"].as_array().unwrap().len(), 0);
    let other_site = queue(&app, &cookie, &format!("?site_id={site_b}")).await;
    assert_eq!(other_site["demandes"].as_array().unwrap().len(), 0);
    assert_envelope(
        app.get_gestion("/api/v1/gestion/demandes?status=nope", &cookie)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert_envelope(
        app.get("/api/v1/gestion/demandes").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

fn letters(mut i: usize) -> String {
    let mut s = String::new();
    loop {
        s.push(char::from(b'a' + u8::try_from(i % 26).unwrap()));
        i /= 26;
        if i == 0 {
            return s;
        }
    }
}

#[tokio::test]
async fn each_gestionnaire_sees_and_decides_only_their_own_establishment() {
    let app = TestApp::spawn().await;
    let (ej_a, site_a) = establishment(&app, 31).await;
    let (_, site_b) = establishment(&app, 32).await;
    let site_b_finess = app
        .storage
        .find_site(site_b)
        .await
        .unwrap()
        .unwrap()
        .site
        .finess
        .unwrap();
    let a = app.signed_in("a@exemple.fr", AttachTo::EjSiret(ej_a)).await;
    let b = app
        .signed_in("b@exemple.fr", AttachTo::SiteFiness(site_b_finess))
        .await;
    let ra = submit_to(&app, site_a, json!({})).await;
    let rb = submit_to(&app, site_b, json!({"nom_naissance": "Autre"})).await;
    let id_a = id_of(&app, &a, ra["reference"].as_str().unwrap()).await;
    let id_b = id_of(&app, &b, rb["reference"].as_str().unwrap()).await;
    for (cookie, own, foreign) in [(&a, id_a, id_b), (&b, id_b, id_a)] {
        let page = queue(&app, cookie, "?status=toutes").await;
        let ids: Vec<i64> = page["demandes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![own]);
        assert_eq!(page["counts"]["recue"], 1);
        assert_eq!(
            app.get_gestion(&format!("/api/v1/gestion/demandes/{own}"), cookie)
                .await
                .status(),
            StatusCode::OK
        );
        for path in [
            format!("/api/v1/gestion/demandes/{foreign}"),
            format!("/api/v1/gestion/demandes/{foreign}/document"),
        ] {
            assert_envelope(
                app.get_gestion(&path, cookie).await,
                StatusCode::NOT_FOUND,
                "not_found",
            )
            .await;
        }
        assert_envelope(
            decide(&app, cookie, foreign, json!({"decision": "validate"})).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    // Without a session, nothing.
    for path in [
        format!("/api/v1/gestion/demandes/{id_a}"),
        format!("/api/v1/gestion/demandes/{id_a}/document"),
    ] {
        assert_eq!(app.get(&path).await.status(), StatusCode::UNAUTHORIZED);
    }
    let response = app
        .post_gestion(
            &format!("/api/v1/gestion/demandes/{id_a}/decision"),
            &json!({"decision": "validate"}),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn validation_allocates_a_luhn_valid_number_in_the_configured_range_and_deletes_the_document()
{
    let app = TestApp::spawn().await;
    let (ej, site) = establishment(&app, 41).await;
    let cookie = app.signed_in("a@exemple.fr", AttachTo::EjSiret(ej)).await;
    let first = submit_to(&app, site, json!({})).await;
    let second = submit_to(
        &app,
        site,
        json!({"nom_naissance": "Durand", "prenoms": ["Léa"]}),
    )
    .await;
    let id = id_of(&app, &cookie, first["reference"].as_str().unwrap()).await;
    let document = app
        .get_gestion(&format!("/api/v1/gestion/demandes/{id}/document"), &cookie)
        .await;
    assert_eq!(document.status(), StatusCode::OK);
    assert_eq!(header(&document, "content-type"), "image/png");
    assert_eq!(header(&document, "cache-control"), "no-store, private");
    assert_eq!(header(&document, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&document, "content-disposition"),
        "inline; filename=\"piece-identite.png\""
    );
    let policy = header(&document, "content-security-policy");
    assert!(policy.starts_with("sandbox"), "{policy}");
    // Framed by the gestionnaire's page (same origin) only.
    assert!(policy.contains("frame-ancestors 'self'"), "{policy}");
    assert_eq!(header(&document, "x-frame-options"), "SAMEORIGIN");
    assert_eq!(document.bytes().await.unwrap().as_ref(), PNG);

    let result = json_body(
        decide(
            &app,
            &cookie,
            id,
            json!({"decision": "validate", "expected_status": "recue"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let rpps = result["rpps"].as_str().unwrap().to_owned();
    assert_eq!(rpps.len(), 11);
    assert!(rpps.starts_with('9'), "{rpps}");
    assert!(luhn_valid(&rpps));
    assert_eq!(result["status"], "validee");
    assert_eq!(result["identity_reused"], false);
    let id2 = id_of(&app, &cookie, second["reference"].as_str().unwrap()).await;
    let result2 = json_body(
        decide(&app, &cookie, id2, json!({"decision": "validate"})).await,
        StatusCode::OK,
    )
    .await;
    let rpps2 = result2["rpps"].as_str().unwrap();
    assert_ne!(rpps, rpps2);
    assert!(luhn_valid(rpps2) && rpps2.starts_with('9'));

    // The document is gone; "pièce vérifiée" stays.
    assert_eq!(
        app.get_gestion(&format!("/api/v1/gestion/demandes/{id}/document"), &cookie)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let detail = json_body(
        app.get_gestion(&format!("/api/v1/gestion/demandes/{id}"), &cookie)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(detail["document_url"].is_null());
    assert!(
        detail["piece_verifiee"]
            .as_str()
            .unwrap()
            .contains("Camille Martin")
    );
    assert_eq!(detail["rpps"], rpps.as_str());
    // The professional's status page and email.
    let token = first["status_url"].as_str().unwrap();
    let status = json_body(app.get(&format!("/api/v1{token}")).await, StatusCode::OK).await;
    assert_eq!(status["status"], "validee");
    assert_eq!(status["rpps"], rpps.as_str());
    let email = &delivered(&app, &rpps, 1).await[0];
    assert_eq!(email["to"], "awa.ndiaye@exemple.fr");
    assert!(text_of(email).contains("e-CPS"));
    let page = queue(&app, &cookie, "?status=toutes").await;
    assert_eq!(page["counts"]["validee"], 2);
    assert_eq!(page["counts"]["recue"], 0);
    let audit = app.storage.recent_audit_entries(30).await.unwrap();
    let validated = audit
        .iter()
        .find(|e| e.action == "pre_registration.validee")
        .unwrap();
    assert_eq!(validated.details.0["before"]["status"], "recue");
    assert!(audit.iter().any(|e| e.action == "document.view"));
    // Deciding again is a conflict naming who decided.
    let again = assert_envelope(
        decide(
            &app,
            &cookie,
            id,
            json!({"decision": "reject", "reason_code": "doublon"}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert!(
        again["error"]["message"]
            .as_str()
            .unwrap()
            .contains("déjà traitée par Camille Martin")
    );
}

#[tokio::test]
async fn the_configured_prefix_and_retention_are_used() {
    let app = TestApp::spawn_with(TestOptions {
        env: vec![
            ("ENROLE_RPPS_PREFIX", "7".to_owned()),
            ("ENROLE_DOCUMENT_RETENTION_SECS", "3600".to_owned()),
        ],
        ..TestOptions::default()
    })
    .await;
    let (ej, site) = establishment(&app, 42).await;
    let cookie = app.signed_in("a@exemple.fr", AttachTo::EjSiret(ej)).await;
    let r = submit_to(&app, site, json!({})).await;
    let id = id_of(&app, &cookie, r["reference"].as_str().unwrap()).await;
    let result = json_body(
        decide(&app, &cookie, id, json!({"decision": "validate"})).await,
        StatusCode::OK,
    )
    .await;
    assert!(result["rpps"].as_str().unwrap().starts_with("7000000000"));
    // Kept for the retention delay.
    assert_eq!(
        app.get_gestion(&format!("/api/v1/gestion/demandes/{id}/document"), &cookie)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn concurrent_decisions_on_one_request_let_exactly_one_succeed() {
    let app = TestApp::spawn().await;
    let (ej, site) = establishment(&app, 51).await;
    let a = app
        .signed_in("a@exemple.fr", AttachTo::EjSiret(ej.clone()))
        .await;
    let b = app.signed_in("b@exemple.fr", AttachTo::EjSiret(ej)).await;
    for round in 0..3 {
        let r = submit_to(
            &app,
            site,
            json!({"nom_naissance": format!("Rond{}", letters(round))}),
        )
        .await;
        let id = id_of(&app, &a, r["reference"].as_str().unwrap()).await;
        let (x, y) = tokio::join!(
            decide(&app, &a, id, json!({"decision": "validate"})),
            decide(
                &app,
                &b,
                id,
                json!({"decision": "reject", "reason_code": "doublon"})
            ),
        );
        let mut statuses = [x.status(), y.status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "round {round}"
        );
        let loser = if x.status() == StatusCode::CONFLICT {
            x
        } else {
            y
        };
        let body = loser.json::<Value>().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("Demande déjà traitée par"),
            "{body}"
        );
    }
    let page = queue(&app, &a, "?status=toutes").await;
    let counts = &page["counts"];
    assert_eq!(
        counts["validee"].as_i64().unwrap() + counts["refusee"].as_i64().unwrap(),
        3,
        "{counts}"
    );
    assert_eq!(counts["recue"], 0);
}

#[tokio::test]
async fn a_possible_duplicate_is_proposed_and_attaching_creates_no_new_number() {
    let app = TestApp::spawn().await;
    let (ej, site) = establishment(&app, 61).await;
    let (_, other_site) = establishment(&app, 62).await;
    let cookie = app.signed_in("a@exemple.fr", AttachTo::EjSiret(ej)).await;
    let other_finess = app
        .storage
        .find_site(other_site)
        .await
        .unwrap()
        .unwrap()
        .site
        .finess
        .unwrap();
    let other = app
        .signed_in("b@exemple.fr", AttachTo::SiteFiness(other_finess))
        .await;
    let first = submit_to(&app, other_site, json!({})).await;
    let first_id = id_of(&app, &other, first["reference"].as_str().unwrap()).await;
    let validated = json_body(
        decide(&app, &other, first_id, json!({"decision": "validate"})).await,
        StatusCode::OK,
    )
    .await;
    let rpps = validated["rpps"].as_str().unwrap().to_owned();
    // The same person (folded name, same date and first first-name) registers at another site.
    let second = submit_to(&app, site, json!({"nom_naissance": "NDIAYE"})).await;
    let id = id_of(&app, &cookie, second["reference"].as_str().unwrap()).await;
    let page = queue(&app, &cookie, "").await;
    assert_eq!(page["demandes"][0]["flags"]["possible_duplicate"], true);
    let detail = json_body(
        app.get_gestion(&format!("/api/v1/gestion/demandes/{id}"), &cookie)
            .await,
        StatusCode::OK,
    )
    .await;
    let candidates = detail["duplicate_identities"].as_array().unwrap();
    assert_eq!(candidates.len(), 1, "{detail}");
    assert_eq!(candidates[0]["rpps"], rpps.as_str());
    assert_eq!(candidates[0]["matches"], json!(["prenom", "lieu"]));
    let attached = json_body(
        decide(
            &app,
            &cookie,
            id,
            json!({"decision": "validate", "attach_to_rpps": rpps}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(attached["rpps"], rpps.as_str());
    assert_eq!(attached["identity_reused"], true);
    // A third request at the first site for the same identity cannot open a second active situation there.
    let third = submit_to(&app, other_site, json!({})).await;
    let third_id = id_of(&app, &other, third["reference"].as_str().unwrap()).await;
    assert_envelope(
        decide(
            &app,
            &other,
            third_id,
            json!({"decision": "validate", "attach_to_rpps": rpps}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_envelope(
        decide(
            &app,
            &other,
            third_id,
            json!({"decision": "validate", "attach_to_rpps": "12"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
}

#[tokio::test]
async fn a_request_returned_for_correction_comes_back_to_the_queue() {
    let app = TestApp::spawn().await;
    let (ej, site) = establishment(&app, 71).await;
    let cookie = app.signed_in("a@exemple.fr", AttachTo::EjSiret(ej)).await;
    let r = submit_to(&app, site, json!({})).await;
    let token = r["status_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("/suivi/")
        .to_owned();
    let id = id_of(&app, &cookie, r["reference"].as_str().unwrap()).await;
    assert_envelope(
        decide(&app, &cookie, id, json!({"decision": "return"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    let returned = json_body(
        decide(
            &app,
            &cookie,
            id,
            json!({"decision": "return", "corrections": [
                {"field": "nom_naissance", "message": "Le nom ne correspond pas à la pièce d'identité."}
            ]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(returned["status"], "a_completer");
    let status = json_body(
        app.get(&format!("/api/v1/suivi/{token}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(status["status"], "a_completer");
    assert!(
        status["a_completer"]
            .as_str()
            .unwrap()
            .contains("ne correspond pas")
    );
    // The document is kept while the request is being corrected.
    assert_eq!(
        app.get_gestion(&format!("/api/v1/gestion/demandes/{id}/document"), &cookie)
            .await
            .status(),
        StatusCode::OK
    );
    let view = json_body(
        app.get(&format!("/api/v1/suivi/{token}/corrections")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(view["corrections"][0]["field"], "nom_naissance");
    let mut corrected = view["demande"].clone();
    corrected["nom_naissance"] = json!("Ndiaye-Martin");
    let invalid = {
        let mut bad = corrected.clone();
        bad["nom_naissance"] = json!("");
        app.client
            .put(app.url(&format!("/api/v1/suivi/{token}/corrections")))
            .json(&bad)
            .send()
            .await
            .unwrap()
    };
    assert_envelope(invalid, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let response = app
        .client
        .put(app.url(&format!("/api/v1/suivi/{token}/corrections")))
        .json(&corrected)
        .send()
        .await
        .unwrap();
    let status = json_body(response, StatusCode::OK).await;
    assert_eq!(status["status"], "recue");
    let page = queue(&app, &cookie, "").await;
    assert_eq!(page["demandes"][0]["id"], id);
    assert_eq!(page["demandes"][0]["nom_naissance"], "Ndiaye-Martin");
    assert_eq!(page["demandes"][0]["flags"]["deja_renvoyee"], true);
    assert_eq!(page["counts"]["recue"], 1);
    assert_eq!(page["counts"]["a_completer"], 0);
    // Rejected afterwards: emailed with the reason.
    let rejected = json_body(
        decide(
            &app,
            &cookie,
            id,
            json!({"decision": "reject", "reason_code": "hors_perimetre"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rejected["status"], "refusee");
    let status = json_body(
        app.get(&format!("/api/v1/suivi/{token}")).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        status["motif_refus"]
            .as_str()
            .unwrap()
            .contains("ne relève pas")
    );
    let outbox = app.storage.outbox().await.unwrap();
    assert!(outbox.iter().any(|m| m.subject.contains("à compléter")));
    let refusal = &delivered(&app, "n'a pas été acceptée", 1).await[0];
    assert!(text_of(refusal).contains("ne relève pas"));
    assert_eq!(
        app.client
            .put(app.url(&format!("/api/v1/suivi/{token}/corrections")))
            .json(&corrected)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn a_document_kept_for_a_retention_delay_is_purged_afterwards() {
    let app = TestApp::spawn_with(TestOptions {
        env: vec![("ENROLE_DOCUMENT_RETENTION_SECS", "1".to_owned())],
        ..TestOptions::default()
    })
    .await;
    let (ej, site) = establishment(&app, 43).await;
    let cookie = app.signed_in("a@exemple.fr", AttachTo::EjSiret(ej)).await;
    let r = submit_to(&app, site, json!({})).await;
    let id = id_of(&app, &cookie, r["reference"].as_str().unwrap()).await;
    let path = format!("/api/v1/gestion/demandes/{id}/document");
    json_body(
        decide(
            &app,
            &cookie,
            id,
            json!({"decision": "reject", "reason_code": "doublon"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        app.get_gestion(&path, &cookie).await.status(),
        StatusCode::OK
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while app.get_gestion(&path, &cookie).await.status() == StatusCode::OK {
        assert!(
            std::time::Instant::now() < deadline,
            "the document was not purged"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(
        app.get_gestion(&path, &cookie).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn opening_a_received_request_starts_its_instruction_once() {
    let app = TestApp::spawn().await;
    let (ej, site) = establishment(&app, 47).await;
    let cookie = app.signed_in("a@exemple.fr", AttachTo::EjSiret(ej)).await;
    let created = submit_to(&app, site, json!({})).await;
    let id = id_of(&app, &cookie, created["reference"].as_str().unwrap()).await;
    let status_path = created["status_url"]
        .as_str()
        .unwrap()
        .replace("/suivi/", "/api/v1/suivi/");
    assert_eq!(suivi_status(&app, &status_path).await, "recue");

    for _ in 0..2 {
        let detail = json_body(
            app.get_gestion(&format!("/api/v1/gestion/demandes/{id}"), &cookie)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(detail["status"], "en_cours");
    }
    assert_eq!(suivi_status(&app, &status_path).await, "en_cours");
    let counts = &queue(&app, &cookie, "").await["counts"];
    assert_eq!(
        (counts["recue"].as_i64(), counts["en_cours"].as_i64()),
        (Some(0), Some(1))
    );
    let opened = app.storage.recent_audit_entries(20).await.unwrap();
    assert_eq!(
        opened
            .iter()
            .filter(|e| e.action == "pre_registration.en_cours")
            .count(),
        1
    );

    let validated = decide(&app, &cookie, id, json!({"decision": "validate"})).await;
    assert_eq!(validated.status(), StatusCode::OK);
    assert_eq!(suivi_status(&app, &status_path).await, "validee");
}

async fn suivi_status(app: &TestApp, path: &str) -> Value {
    json_body(app.get(path).await, StatusCode::OK).await["status"].clone()
}

#[tokio::test]
async fn a_request_names_its_birth_place_in_words_for_the_identity_check() {
    let app = TestApp::spawn().await;
    let (ej, site) = establishment(&app, 48).await;
    let cookie = app.signed_in("a@exemple.fr", AttachTo::EjSiret(ej)).await;
    for (changes, expected) in [
        (json!({}), "Ajaccio (Corse-du-Sud)"),
        (
            json!({"lieu_naissance": {"pays_cog": "99134", "ville_etrangere": "Madrid"}}),
            "Madrid (Espagne)",
        ),
        (
            json!({"lieu_naissance": {},
                   "commune_libre": {"nom": "Saint-Martin-des-Champs", "departement": "2B"}}),
            "Saint-Martin-des-Champs (Haute-Corse)",
        ),
    ] {
        let created = submit_to(&app, site, changes).await;
        let id = id_of(&app, &cookie, created["reference"].as_str().unwrap()).await;
        let detail = json_body(
            app.get_gestion(&format!("/api/v1/gestion/demandes/{id}"), &cookie)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(detail["lieu_naissance_libelle"], expected, "{detail}");
    }
}
