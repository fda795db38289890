use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::api::PreRegistrationInput;
use shared::date::CalendarDate;
use shared::preregistration::PreRegistration;

use enrole_server::gestionnaires::AttachTo;

use crate::gestion_queue::{decide, id_of};
use crate::helpers::{TestApp, TestOptions, assert_envelope, header, json_body};
use crate::intake::{NOTICE_VERSION, PNG, key, site, valid_request};
use crate::mail::{delivered, text_of};

async fn app_with_request() -> (TestApp, Value) {
    let app = TestApp::spawn().await;
    let (site_id, finess) = site(&app).await;
    let document = app.document_id().await;
    let request = valid_request(site_id, &finess, &document);
    (app, request)
}

#[tokio::test]
async fn a_valid_pre_registration_is_stored_once_with_its_receipt_queued() {
    let (app, request) = app_with_request().await;
    let response = app.submit(Some(&key()), &request).await;
    assert_eq!(header(&response, "cache-control"), "no-store");
    let body = json_body(response, StatusCode::CREATED).await;
    let reference = body["reference"].as_str().unwrap();
    assert!(
        reference.starts_with("ENR-") && reference.len() == 13,
        "{reference}"
    );
    let status_url = body["status_url"].as_str().unwrap();
    let token = status_url.strip_prefix("/suivi/").expect("status url");
    assert_eq!(token.len(), 64);

    assert_eq!(app.storage.count_pre_registrations().await.unwrap(), 1);
    let outbox = app.storage.outbox().await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].recipient, "awa.ndiaye@exemple.fr");
    assert!(outbox[0].subject.contains(reference));
    let receipt = text_of(&delivered(&app, reference, 1).await[0]).to_owned();
    assert!(receipt.contains(&format!("/suivi/{token}")));
    assert!(receipt.contains("/confirmer-email/"));

    let audit = app.storage.recent_audit_entries(1).await.unwrap();
    assert_eq!(audit[0].action, "pre_registration.create");
    assert!(audit[0].actor.starts_with("public:127.0.0.1"));
    assert!(
        !audit[0].details.0.to_string().contains("awa"),
        "no personal data in the audit log"
    );

    let status = json_body(
        app.get(&format!("/api/v1/suivi/{token}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(status["reference"], reference);
    assert_eq!(status["status"], "recue");
    assert_eq!(status["status_label"], "Reçue");
    assert_eq!(status["site_nom"], "EHPAD Les Tilleuls");
    assert_eq!(status["email_confirmed"], false);
    assert!(status.get("email").is_none() && !status.to_string().contains("Diaye"));
}

#[tokio::test]
async fn the_status_page_shows_each_decision_and_hides_unknown_tokens() {
    let (app, request) = app_with_request().await;
    let body = json_body(
        app.submit(Some(&key()), &request).await,
        StatusCode::CREATED,
    )
    .await;
    let reference = body["reference"].as_str().unwrap();
    let path = format!("/api/v1{}", body["status_url"].as_str().unwrap());
    let ej = app.storage.list_establishments().await.unwrap()[0]
        .establishment
        .siret
        .clone()
        .unwrap();
    let cookie = app.signed_in("g@exemple.fr", AttachTo::EjSiret(ej)).await;
    let id = id_of(&app, &cookie, reference).await;

    let body = json_body(app.get(&path).await, StatusCode::OK).await;
    assert_eq!(body["status"], "recue");
    assert_eq!(body["a_completer"], Value::Null);
    decide(
        &app,
        &cookie,
        id,
        json!({"decision": "return", "reason": "Photo illisible"}),
    )
    .await;
    let body = json_body(app.get(&path).await, StatusCode::OK).await;
    assert_eq!(body["status"], "a_completer");
    assert_eq!(body["a_completer"], "Photo illisible");
    let view = json_body(
        app.get(&format!("{path}/corrections")).await,
        StatusCode::OK,
    )
    .await;
    let resent = app
        .client
        .put(app.url(&format!("{path}/corrections")))
        .json(&view["demande"])
        .send()
        .await
        .unwrap();
    assert_eq!(json_body(resent, StatusCode::OK).await["status"], "recue");
    decide(
        &app,
        &cookie,
        id,
        json!({"decision": "reject", "reason_code": "autre", "reason": "Ne travaille pas ici"}),
    )
    .await;
    let body = json_body(app.get(&path).await, StatusCode::OK).await;
    assert_eq!(body["status"], "refusee");
    assert_eq!(body["motif_refus"], "Ne travaille pas ici");
    assert_eq!(body["rpps"], Value::Null);

    let document = app.document_id().await;
    let mut second = request.clone();
    second["document_id"] = json!(document);
    let created = json_body(app.submit(Some(&key()), &second).await, StatusCode::CREATED).await;
    let second_id = id_of(&app, &cookie, created["reference"].as_str().unwrap()).await;
    let decided = json_body(
        decide(&app, &cookie, second_id, json!({"decision": "validate"})).await,
        StatusCode::OK,
    )
    .await;
    let path = format!("/api/v1{}", created["status_url"].as_str().unwrap());
    let body = json_body(app.get(&path).await, StatusCode::OK).await;
    assert_eq!(body["status"], "validee");
    assert_eq!(body["rpps"], decided["rpps"]);

    for unknown in [
        "/api/v1/suivi/nope".to_owned(),
        format!("/api/v1/suivi/{}", "0".repeat(64)),
    ] {
        assert_envelope(app.get(&unknown).await, StatusCode::NOT_FOUND, "not_found").await;
    }
}

#[tokio::test]
async fn the_email_confirmation_link_confirms_once() {
    let (app, request) = app_with_request().await;
    let body = json_body(
        app.submit(Some(&key()), &request).await,
        StatusCode::CREATED,
    )
    .await;
    let reference = body["reference"].as_str().unwrap();
    let receipt = delivered(&app, reference, 1).await;
    let text = text_of(&receipt[0]);
    let start = text.find("/confirmer-email/").unwrap() + "/confirmer-email/".len();
    let token = &text[start..start + 64];
    let path = format!("/api/v1/email-confirmations/{token}");
    let first = json_body(
        app.request(reqwest::Method::POST, &path).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(first["reference"], body["reference"]);
    let again = json_body(
        app.request(reqwest::Method::POST, &path).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again, first, "confirming again changes nothing");
    let status = json_body(
        app.get(&format!("/api/v1{}", body["status_url"].as_str().unwrap()))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(status["email_confirmed"], true);
    let unknown = format!("/api/v1/email-confirmations/{}", "a".repeat(64));
    assert_envelope(
        app.request(reqwest::Method::POST, &unknown).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

/// The message `shared` gives for `field` once `change` is applied to a valid input.
fn shared_message(request: &Value, field: &str) -> String {
    let input: PreRegistrationInput = serde_json::from_value(request.clone()).unwrap();
    let today = {
        let now = time::OffsetDateTime::now_utc();
        CalendarDate::from_ymd(now.year(), u8::from(now.month()), now.day()).unwrap()
    };
    let errors = PreRegistration::try_from_input(input, today).expect_err("invalid");
    errors
        .get(field)
        .unwrap_or_else(|| panic!("{field} not in {errors:?}"))[0]
        .clone()
}

#[tokio::test]
async fn each_invalid_field_is_reported_with_the_message_of_shared() {
    let (app, valid) = app_with_request().await;
    let cases: Vec<(&str, &str, Value)> = vec![
        ("civilite", "/civilite", json!("MLLE")),
        ("nom_naissance", "/nom_naissance", json!("--")),
        ("prenoms", "/prenoms", json!([])),
        ("prenoms.1", "/prenoms", json!(["Awa", "J3an"])),
        ("date_naissance", "/date_naissance", json!("1988-02-30")),
        (
            "lieu_naissance.commune_cog",
            "/lieu_naissance",
            json!({"commune_cog": "31"}),
        ),
        (
            "lieu_naissance.ville_etrangere",
            "/lieu_naissance",
            json!({"pays_cog": "99350"}),
        ),
        ("email", "/email", json!("awa@exemple")),
        (
            "email_confirmation",
            "/email_confirmation",
            json!("autre@exemple.fr"),
        ),
        ("mobile", "/mobile", json!("01 23 45 67 89")),
        ("situation.finess", "/situation/finess", json!("1234")),
        (
            "situation.nom_exercice",
            "/situation/nom_exercice",
            json!(""),
        ),
        ("situation.metier", "/situation/metier", json!("999")),
        ("situation.role", "/situation/role", json!("GENR01")),
        (
            "situation.mode_exercice",
            "/situation/mode_exercice",
            json!("Z"),
        ),
        (
            "situation.date_prise_fonction",
            "/situation/date_prise_fonction",
            json!("2090-01-01"),
        ),
        ("rpps_existant", "/rpps_existant", json!("123")),
        ("notice_version", "/notice_version", json!(" ")),
    ];
    for (field, pointer, value) in cases {
        let mut request = valid.clone();
        *request.pointer_mut(pointer).unwrap() = value;
        let expected = shared_message(&request, field);
        let body = assert_envelope(
            app.submit(Some(&key()), &request).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        )
        .await;
        let fields = body["error"]["fields"].as_object().unwrap();
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            [field],
            "{field}: {body}"
        );
        assert_eq!(fields[field], json!([expected]), "{field}");
    }
    assert_eq!(app.storage.count_pre_registrations().await.unwrap(), 0);
}

#[tokio::test]
async fn what_only_the_server_knows_is_checked_too() {
    let (app, valid) = app_with_request().await;
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "site_id",
            "/site_id",
            json!(999_999),
            "n'est pas inscrit dans Enrôle",
        ),
        (
            "site_id",
            "/site_id",
            Value::Null,
            "Choisissez l'établissement",
        ),
        (
            "document_id",
            "/document_id",
            json!(uuid::Uuid::new_v4().to_string()),
            "introuvable",
        ),
        (
            "document_id",
            "/document_id",
            json!("../../etc/passwd"),
            "introuvable",
        ),
        ("document_id", "/document_id", json!(""), "Joignez la copie"),
        (
            "lieu_naissance.commune_cog",
            "/lieu_naissance/commune_cog",
            json!("31999"),
            "aucune commune",
        ),
        (
            "lieu_naissance.pays_cog",
            "/lieu_naissance",
            json!({"pays_cog": "99999", "ville_etrangere": "Rabat"}),
            "aucun pays",
        ),
        (
            "notice_version",
            "/notice_version",
            json!("2020-01-01.1"),
            "relisez-la",
        ),
        (
            "situation.finess",
            "/situation/finess",
            json!(crate::helpers::finess(702)),
            "n'est pas celui",
        ),
    ];
    for (field, pointer, value, message) in cases {
        let mut request = valid.clone();
        *request.pointer_mut(pointer).unwrap() = value;
        let body = assert_envelope(
            app.submit(Some(&key()), &request).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        )
        .await;
        let fields = body["error"]["fields"].as_object().unwrap();
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            [field],
            "{field}: {body}"
        );
        let got = fields[field][0].as_str().unwrap();
        assert!(got.contains(message), "{field}: {got}");
    }
    // A document already attached to a request cannot be attached to another.
    let first = app.submit(Some(&key()), &valid).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let body = assert_envelope(
        app.submit(Some(&key()), &valid).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert!(
        body["error"]["fields"]["document_id"][0]
            .as_str()
            .unwrap()
            .contains("déjà jointe")
    );
}

#[tokio::test]
async fn a_commune_typed_as_free_text_is_accepted_and_flagged() {
    let (app, mut request) = app_with_request().await;
    request["lieu_naissance"] = json!({});
    request["commune_libre"] = json!({"nom": "Saint-Martin-des-Champs", "departement": "2b"});
    let response = app.submit(Some(&key()), &request).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let audit = app.storage.recent_audit_entries(1).await.unwrap();
    assert_eq!(audit[0].details.0["commune_saisie_libre"], true);

    let (app, mut request) = app_with_request().await;
    request["commune_libre"] = json!({"nom": "Ville 2", "departement": "20"});
    request["lieu_naissance"] = json!({});
    let body = assert_envelope(
        app.submit(Some(&key()), &request).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    let fields = body["error"]["fields"].as_object().unwrap();
    assert!(
        fields.contains_key("lieu_naissance.commune_libre.nom"),
        "{body}"
    );
    assert!(
        fields.contains_key("lieu_naissance.commune_libre.departement"),
        "{body}"
    );
}

/// `request` sent under `key`, already used for another request, is refused with a message naming the key.
async fn refused_for_its_key(app: &TestApp, key: &str, request: &Value) {
    let body = assert_envelope(
        app.submit(Some(key), request).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
}

#[tokio::test]
async fn the_same_key_and_body_replay_the_first_answer() {
    let (app, request) = app_with_request().await;
    let key = key();
    let first = json_body(app.submit(Some(&key), &request).await, StatusCode::CREATED).await;
    let again = app.submit(Some(&key), &request).await;
    assert_eq!(header(&again, "idempotent-replayed"), "true");
    let again = json_body(again, StatusCode::CREATED).await;
    assert_eq!(again, first);
    assert_eq!(app.storage.count_pre_registrations().await.unwrap(), 1);
    assert_eq!(app.storage.outbox().await.unwrap().len(), 1);

    let mut other = request.clone();
    other["mobile"] = json!("07 12 34 56 78");
    refused_for_its_key(&app, &key, &other).await;
    assert_eq!(app.storage.count_pre_registrations().await.unwrap(), 1);

    // A different request that passes every check (its own document) is refused too, by the key taken in the
    // transaction, and leaves nothing behind.
    let mut valid_other = other.clone();
    valid_other["document_id"] = json!(app.document_id().await);
    refused_for_its_key(&app, &key, &valid_other).await;
    assert_eq!(app.storage.count_pre_registrations().await.unwrap(), 1);
    assert_eq!(app.storage.outbox().await.unwrap().len(), 1);
    // Its document stays free for a request with a new key.
    json_body(
        app.submit(Some(&crate::intake::key()), &valid_other).await,
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn a_failed_request_releases_its_key_for_the_corrected_retry() {
    let (app, request) = app_with_request().await;
    let key = key();
    let mut wrong = request.clone();
    wrong["mobile"] = json!("01");
    let first = app.submit(Some(&key), &wrong).await;
    assert_eq!(first.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let retry = app.submit(Some(&key), &wrong).await;
    assert_eq!(
        retry.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validated again"
    );
    assert_eq!(
        app.submit(Some(&key), &request).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn concurrent_requests_with_one_key_create_one_request() {
    let (app, request) = app_with_request().await;
    let key = key();
    // The key is written with the request, in one transaction: twins wait for it and answer what it answered.
    let (a, b, c) = tokio::join!(
        app.submit(Some(&key), &request),
        app.submit(Some(&key), &request),
        app.submit(Some(&key), &request)
    );
    let mut bodies = Vec::new();
    for response in [a, b, c] {
        assert_eq!(response.status(), StatusCode::CREATED);
        bodies.push(response.json::<Value>().await.unwrap());
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[1], bodies[2]);
    assert_eq!(app.storage.count_pre_registrations().await.unwrap(), 1);
}

#[tokio::test]
async fn the_idempotency_key_is_required_and_json_too() {
    let (app, request) = app_with_request().await;
    assert_envelope(
        app.submit(None, &request).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    let long = "k".repeat(300);
    for bad in ["", "   ", "clé accentuée", long.as_str()] {
        let response = app
            .client
            .post(app.url("/api/v1/pre-registrations"))
            .header("idempotency-key", bad)
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_envelope(response, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let response = app
        .client
        .post(app.url("/api/v1/pre-registrations"))
        .header("idempotency-key", "abc")
        .header("content-type", "text/plain")
        .body(request.to_string())
        .send()
        .await
        .unwrap();
    assert_envelope(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let response = app
        .client
        .post(app.url("/api/v1/pre-registrations"))
        .header("idempotency-key", "abc")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_envelope(response, StatusCode::BAD_REQUEST, "bad_request").await;
}

#[tokio::test]
async fn documents_are_checked_by_content_and_size() {
    let app = TestApp::spawn_with(TestOptions {
        env: vec![("ENROLE_MAX_DOCUMENT_BYTES", "2048".to_owned())],
        ..TestOptions::default()
    })
    .await;
    for (content, declared, expected) in [
        (PNG.to_vec(), "image/png", "image/png"),
        (
            b"%PDF-1.4\n%...".to_vec(),
            "application/pdf",
            "application/pdf",
        ),
        (
            vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10],
            "application/octet-stream",
            "image/jpeg",
        ),
    ] {
        let body = json_body(
            app.upload_document(&content, declared).await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(body["content_type"], expected);
        assert_eq!(body["size"], content.len());
        let id = body["id"].as_str().unwrap();
        assert!(uuid::Uuid::try_parse(id).is_ok(), "{id}");
    }
    let body = assert_envelope(
        app.upload_document(b"not an image, named photo.png", "image/png")
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert!(
        body["error"]["fields"]["document"][0]
            .as_str()
            .unwrap()
            .contains("PNG")
    );
    assert_envelope(
        app.upload_document(b"", "image/png").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;

    let mut big = PNG.to_vec();
    big.resize(2049, 0);
    assert_envelope(
        app.upload_document(&big, "image/png").await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    // The JSON endpoints keep the general limit.
    let response = app
        .client
        .post(app.url("/api/v1/pre-registrations"))
        .header("idempotency-key", "abc")
        .header("content-type", "application/json")
        .body(format!("{{\"x\": \"{}\"}}", "a".repeat(300 * 1024)))
        .send()
        .await
        .unwrap();
    assert_envelope(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    // Documents are never served back.
    let response = app.get("/api/v1/documents").await;
    assert!(response.status().is_client_error());
}

#[tokio::test]
async fn the_default_document_limit_is_five_megabytes() {
    let app = TestApp::spawn().await;
    let mut content = PNG.to_vec();
    content.resize(5 * 1024 * 1024, 7);
    assert_eq!(
        app.upload_document(&content, "image/png").await.status(),
        StatusCode::CREATED
    );
    content.push(0);
    assert_envelope(
        app.upload_document(&content, "image/png").await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
}

#[tokio::test]
async fn one_client_address_is_rate_limited_with_retry_after() {
    let app = TestApp::spawn_with(TestOptions {
        env: vec![
            ("ENROLE_RATE_LIMIT_SUBMISSIONS_PER_HOUR", "2".to_owned()),
            ("ENROLE_RATE_LIMIT_DOCUMENTS_PER_HOUR", "3".to_owned()),
        ],
        ..TestOptions::default()
    })
    .await;
    let (site_id, finess) = site(&app).await;
    let documents = [
        app.document_id().await,
        app.document_id().await,
        app.document_id().await,
    ];
    let response = app.upload_document(PNG, "image/png").await;
    assert!(header(&response, "retry-after").parse::<u64>().unwrap() > 0);
    assert_envelope(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;

    for document in &documents[..2] {
        let response = app
            .submit(Some(&key()), &valid_request(site_id, &finess, document))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let response = app
        .submit(
            Some(&key()),
            &valid_request(site_id, &finess, &documents[2]),
        )
        .await;
    let retry_after: u64 = header(&response, "retry-after").parse().unwrap();
    assert!((1..=1800).contains(&retry_after), "{retry_after}");
    assert_envelope(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let app = TestApp::spawn_with(TestOptions {
        env: vec![("ENROLE_RATE_LIMIT_DOCUMENTS_PER_HOUR", "1".to_owned())],
        ..TestOptions::default()
    })
    .await;
    let upload = |forwarded: &'static str| {
        app.client
            .post(app.url("/api/v1/documents"))
            .header("x-forwarded-for", forwarded)
            .body(PNG.to_vec())
            .send()
    };
    assert_eq!(
        upload("198.51.100.1").await.unwrap().status(),
        StatusCode::CREATED
    );
    // Untrusted peer: the forged header does not give a fresh allowance.
    assert_eq!(
        upload("198.51.100.2").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn the_notice_is_versioned_and_names_the_site() {
    let app = TestApp::spawn().await;
    let (site_id, _) = site(&app).await;
    let body = json_body(
        app.get(&format!("/api/v1/structures/{site_id}/notice"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["version"], NOTICE_VERSION);
    assert!(
        body["title"]
            .as_str()
            .unwrap()
            .contains("EHPAD Les Tilleuls")
    );
    let text = body["sections"].to_string();
    for needle in [
        "Annuaire Santé",
        "situation d'exercice",
        "ne sont pas publiés",
        "opposition",
        "CNIL",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
    let sections = body["sections"].as_array().unwrap();
    assert!(
        sections
            .iter()
            .all(|s| s["heading"].is_string() && s["paragraphs"].is_array())
    );
    for unknown in [
        "/api/v1/structures/999999/notice",
        "/api/v1/structures/abc/notice",
    ] {
        assert_envelope(app.get(unknown).await, StatusCode::NOT_FOUND, "not_found").await;
    }

    let custom = TestApp::spawn_with(TestOptions {
        env: vec![(
            "ENROLE_NOTICE_OPPOSITION_TEXT",
            "Formulation locale.".to_owned(),
        )],
        ..TestOptions::default()
    })
    .await;
    let (site_id, _) = site(&custom).await;
    let body = json_body(
        custom
            .get(&format!("/api/v1/structures/{site_id}/notice"))
            .await,
        StatusCode::OK,
    )
    .await;
    let version = body["version"].as_str().unwrap();
    assert!(version.starts_with("2026-11-26.1+"), "{version}");
    assert!(body["sections"].to_string().contains("Formulation locale."));
}

#[tokio::test]
async fn the_idempotency_purge_keeps_the_keys_of_the_last_day() {
    let app = TestApp::spawn().await;
    let (site_id, finess) = site(&app).await;
    let document_id = app.document_id().await;
    let key = key();
    let request = valid_request(site_id, &finess, &document_id);
    assert_eq!(
        app.submit(Some(&key), &request).await.status(),
        StatusCode::CREATED
    );

    assert_eq!(
        app.storage
            .purge_expired_idempotency_keys()
            .await
            .expect("purge"),
        0
    );
    let replay = app.submit(Some(&key), &request).await;
    assert_eq!(header(&replay, "idempotent-replayed"), "true");
}
