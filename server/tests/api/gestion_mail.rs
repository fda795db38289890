//! The emails of the gestionnaire workflow, through a real SMTP conversation: the password link, the batched
//! new-request notice (no personal data), and the professional's RPPS number.

use std::time::{Duration, Instant};

use enrole_server::gestionnaires::AttachTo;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::gestion_auth::{PASSWORD, establishment};
use crate::gestion_queue::{decide, id_of, submit_to};
use crate::helpers::{TestApp, TestOptions, json_body};
use crate::mail::{SmtpSink, messages};

fn with_subject<'a>(all: &'a [Value], part: &str) -> Vec<&'a Value> {
    all.iter()
        .filter(|m| m["subject"].as_str().unwrap().contains(part))
        .collect()
}

#[tokio::test]
async fn the_workflow_emails_reach_a_real_smtp_sink() {
    let mut sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(TestOptions {
        env: vec![
            ("ENROLE_SMTP_URL", format!("smtp://127.0.0.1:{}", sink.port)),
            ("ENROLE_PUBLIC_URL", "https://enrole.example.fr".to_owned()),
            ("ENROLE_NOTIFY_PERIOD_SECS", "1".to_owned()),
        ],
        ..TestOptions::default()
    })
    .await;
    let (ej, site) = establishment(&app, 81).await;
    let (_, token) = app
        .new_gestionnaire("g@exemple.fr", AttachTo::EjSiret(ej))
        .await;
    let dir = sink.maildir.path().join("maildir/new");
    let first = messages(dir.clone(), 1).await;
    let link = format!("https://enrole.example.fr/gestion/mot-de-passe/{token}");
    assert!(first[0]["text/plain"].as_str().unwrap().contains(&link));
    assert_eq!(first[0]["to"], "g@exemple.fr");
    app.post_gestion(
        "/api/v1/auth/password",
        &json!({"token": token, "password": PASSWORD}),
        None,
    )
    .await;
    let response = app.sign_in("g@exemple.fr", PASSWORD).await;
    let cookie = crate::gestion_auth::cookie_of(&response);

    let created = submit_to(&app, site, json!({})).await;
    // Receipt to the professional, notice to the gestionnaire.
    let all = messages(dir.clone(), 3).await;
    let notices = with_subject(&all, "nouvelles demandes");
    assert_eq!(notices.len(), 1);
    let notice = notices[0];
    assert_eq!(notice["to"], "g@exemple.fr");
    for body in [
        notice["text/plain"].as_str().unwrap(),
        notice["text/html"].as_str().unwrap(),
    ] {
        assert!(
            body.contains("https://enrole.example.fr/gestion/demandes"),
            "{body}"
        );
        for personal in ["Diaye", "awa", "Awa", "ENR-"] {
            assert!(
                !body.contains(personal),
                "no personal data in the notice: {body}"
            );
        }
    }

    let id = id_of(&app, &cookie, created["reference"].as_str().unwrap()).await;
    let result = json_body(
        decide(&app, &cookie, id, json!({"decision": "validate"})).await,
        StatusCode::OK,
    )
    .await;
    let rpps = result["rpps"].as_str().unwrap();
    let all = messages(dir, 4).await;
    let numbers = with_subject(&all, rpps);
    assert_eq!(numbers.len(), 1);
    assert_eq!(numbers[0]["to"], "awa.ndiaye@exemple.fr");
    let text = numbers[0]["text/plain"].as_str().unwrap();
    assert!(text.contains(&format!("Votre numéro RPPS est : {rpps}")));
    assert!(text.contains("e-CPS"));
    let _ = sink.child.kill().await;
}

#[tokio::test]
async fn new_request_notices_are_batched_per_period() {
    let app = TestApp::spawn_with(TestOptions {
        env: vec![("ENROLE_NOTIFY_PERIOD_SECS", "3600".to_owned())],
        ..TestOptions::default()
    })
    .await;
    let (ej, site) = establishment(&app, 82).await;
    let (_, other_site) = establishment(&app, 83).await;
    app.new_gestionnaire("g@exemple.fr", AttachTo::EjSiret(ej))
        .await;
    for _ in 0..3 {
        submit_to(&app, site, json!({})).await;
    }
    submit_to(&app, other_site, json!({"nom_naissance": "Autre"})).await;
    let notices = |rows: &[enrole_server::storage::OutboxRow]| {
        rows.iter()
            .filter(|r| r.subject.contains("nouvelles demandes"))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let rows = app.storage.outbox().await.unwrap();
        if notices(&rows) >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "no notice queued");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    submit_to(&app, site, json!({})).await;
    tokio::time::sleep(Duration::from_millis(5500)).await;
    let rows = app.storage.outbox().await.unwrap();
    assert_eq!(notices(&rows), 1, "one notice per period");
}
