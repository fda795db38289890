//! e-CPS activation with two codes (email and SMS), sign-in, and the professional's own space: profile, contact
//! change, nom d'exercice. Codes are read only where a person would read them: the `.eml` files or the SMTP sink,
//! the SMS files or a local HTTP gateway.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use enrole_server::gestionnaires::AttachTo;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::gestion_auth::establishment;
use crate::gestion_queue::{decide, id_of, submit_to};
use crate::helpers::{TempDir, TestApp, TestOptions, assert_envelope, header, json_body};
use crate::mail::{SmtpSink, decoded_parts, delivered, text_of};

const AWA_EMAIL: &str = "awa.ndiaye@exemple.fr";
const AWA_MOBILE: &str = "+33612345678";

/// Where the codes land when no SMTP relay nor SMS gateway is set: `.eml` files and SMS files.
struct Sinks {
    dir: TempDir,
    seen: Mutex<HashSet<PathBuf>>,
}

impl Sinks {
    fn new() -> Self {
        Self {
            dir: TempDir::new(),
            seen: Mutex::new(HashSet::new()),
        }
    }

    fn outbox(&self) -> PathBuf {
        self.dir.path().join("outbox")
    }

    fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(suffix) && !n.starts_with('.'))
        });
        files
    }

    /// The code of the next unseen code email to `to`, within 20 s.
    async fn email_code(&self, to: &str) -> String {
        self.next(|| {
            Self::files(&self.outbox(), ".eml")
                .into_iter()
                .filter(|p| p.to_string_lossy().contains("-code-"))
                .filter(|p| !self.seen.lock().unwrap().contains(p))
                .filter_map(|p| {
                    let parts = decoded_parts(&p);
                    (parts["to"] == to).then(|| (p, code_in(parts["subject"].as_str().unwrap())))
                })
                .collect()
        })
        .await
    }

    /// The code of the next unseen SMS to `to`, within 20 s.
    async fn sms_code(&self, to: &str) -> String {
        self.next(|| self.sms_to(to)).await
    }

    fn sms_to(&self, to: &str) -> Vec<(PathBuf, String)> {
        Self::files(&self.outbox().join("sms"), ".txt")
            .into_iter()
            .filter_map(|p| {
                let text = std::fs::read_to_string(&p).unwrap();
                text.starts_with(&format!("To: {to}\n"))
                    .then(|| (p, code_in(&text)))
            })
            .collect()
    }

    async fn next(&self, found: impl Fn() -> Vec<(PathBuf, String)>) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            for (path, code) in found() {
                if self.seen.lock().unwrap().insert(path) {
                    return code;
                }
            }
            assert!(Instant::now() < deadline, "no new code arrived");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The 6-digit code in a text.
fn code_in(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_owned()
}

async fn spawn(sinks: &Sinks, env: Vec<(&'static str, String)>) -> TestApp {
    let mut env = env;
    env.push(("ENROLE_OUTBOX_DIR", sinks.outbox().display().to_string()));
    TestApp::spawn_with(TestOptions {
        env,
        ..TestOptions::default()
    })
    .await
}

/// A professional validated through the public API; answers their RPPS number and the gestionnaire's cookie.
async fn validated(app: &TestApp, serial: u32, changes: Value) -> (String, String) {
    let (ej, site) = establishment(app, serial).await;
    let cookie = app
        .signed_in(&format!("g{serial}@exemple.fr"), AttachTo::EjSiret(ej))
        .await;
    let created = submit_to(app, site, changes).await;
    let id = id_of(app, &cookie, created["reference"].as_str().unwrap()).await;
    let result = json_body(
        decide(app, &cookie, id, json!({"decision": "validate"})).await,
        StatusCode::OK,
    )
    .await;
    (result["rpps"].as_str().unwrap().to_owned(), cookie)
}

impl TestApp {
    async fn start(&self, body: Value) -> reqwest::Response {
        self.post_gestion("/api/v1/activation/start", &body, None)
            .await
    }

    async fn confirm(&self, challenge: &str, email: &str, sms: &str) -> reqwest::Response {
        self.post_gestion(
            "/api/v1/activation/confirm",
            &json!({"challenge_id": challenge, "email_code": email, "sms_code": sms}),
            None,
        )
        .await
    }

    async fn put_espace(&self, path: &str, body: &Value, cookie: &str) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .header("origin", self.origin())
            .header("x-enrole-csrf", "1")
            .header("cookie", cookie)
            .json(body)
            .send()
            .await
            .expect("PUT")
    }

    /// Starts and confirms with the codes from the sinks; answers the session cookie.
    async fn sign_in_ecps(&self, sinks: &Sinks, rpps: &str, email: &str, mobile: &str) -> String {
        let sent = json_body(
            self.start(json!({"rpps": rpps})).await,
            StatusCode::ACCEPTED,
        )
        .await;
        let challenge = sent["challenge_id"].as_str().unwrap();
        let (e, s) = (sinks.email_code(email).await, sinks.sms_code(mobile).await);
        let response = self.confirm(challenge, &e, &s).await;
        session_cookie(&response)
    }
}

fn session_cookie(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::OK, "confirmation failed");
    let set = header(response, "set-cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    set.split(';').next().unwrap().to_owned()
}

async fn audit_actions(app: &TestApp, subject: &str) -> Vec<(String, Value)> {
    app.storage
        .recent_audit_entries(200)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.subject == subject)
        .map(|e| (e.action, e.details.0))
        .collect()
}

/// A valid RPPS number nobody holds.
fn unassigned_rpps() -> String {
    shared::ids::Rpps::allocate_in(9, 999_999)
        .unwrap()
        .as_str()
        .to_owned()
}

#[tokio::test]
async fn the_validation_link_and_the_two_codes_activate_then_sign_in_again() {
    let sinks = Sinks::new();
    let app = spawn(&sinks, vec![]).await;
    let (rpps, _) = validated(&app, 41, json!({})).await;
    // The validation email carries the one-time activation link.
    let validation = delivered_text(&app, &rpps).await;
    let jeton = validation
        .split("/activation?jeton=")
        .nth(1)
        .expect("activation link")[..64]
        .to_owned();
    let sent = json_body(
        app.start(json!({"jeton": jeton})).await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(
        header_like(&sent),
        ["challenge_id", "expires_in_secs", "message"]
    );
    assert_eq!(sent["expires_in_secs"], 600);
    let (email_code, sms_code) = (
        sinks.email_code(AWA_EMAIL).await,
        sinks.sms_code(AWA_MOBILE).await,
    );
    let response = app
        .confirm(
            sent["challenge_id"].as_str().unwrap(),
            &email_code,
            &sms_code,
        )
        .await;
    let cookie = session_cookie(&response);
    let profil = json_body(response, StatusCode::OK).await;
    assert_eq!(profil["rpps"], rpps.as_str());
    assert_eq!(profil["email"], AWA_EMAIL);
    assert_eq!(profil["mobile"], "06 12 34 56 78");
    assert!(profil["ecps_activated_at"].is_string());
    let stored = app
        .storage
        .find_professional_by_rpps(&rpps)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.ecps_activated_at.is_some(),
        "activation date recorded"
    );
    // The space shows identity, situations and contact data.
    let own = json_body(
        app.get_gestion("/api/v1/espace/profil", &cookie).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(own["nom_naissance"], "N'Diaye");
    assert_eq!(own["prenoms"], json!(["Awa", "Marie-Louise"]));
    assert_eq!(own["situations"].as_array().unwrap().len(), 1);
    assert_eq!(own["situations"][0]["active"], true);
    assert_eq!(own["situations"][0]["site_nom"], "EHPAD 41");
    assert_eq!(own["situations"][0]["date_debut"], "2024-09-01");
    // The link serves once.
    assert_envelope(
        app.start(json!({"jeton": jeton})).await,
        StatusCode::GONE,
        "link_expired",
    )
    .await;
    // Signing out ends the session; signing in later uses the same two codes, by RPPS number.
    let out = app
        .post_gestion("/api/v1/espace/sign-out", &json!({}), Some(&cookie))
        .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(header(&out, "set-cookie").contains("Max-Age=0"));
    assert_envelope(
        app.get_gestion("/api/v1/espace/profil", &cookie).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let again = app.sign_in_ecps(&sinks, &rpps, AWA_EMAIL, AWA_MOBILE).await;
    assert_eq!(
        app.get_gestion("/api/v1/espace/profil", &again)
            .await
            .status(),
        StatusCode::OK
    );
    let actions: Vec<String> = audit_actions(&app, &format!("professional:{}", stored.id))
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    for action in [
        "ecps.codes_sent",
        "ecps.activated",
        "ecps.sign_out",
        "ecps.sign_in",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

fn header_like(body: &Value) -> Vec<String> {
    let mut keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// The text of the first email delivered whose subject contains `part`.
async fn delivered_text(app: &TestApp, part: &str) -> String {
    text_of(&delivered(app, part, 1).await[0]).to_owned()
}

#[tokio::test]
async fn a_wrong_code_is_refused_on_its_field_and_the_right_ones_still_work() {
    let sinks = Sinks::new();
    let app = spawn(&sinks, vec![]).await;
    let (rpps, _) = validated(&app, 42, json!({})).await;
    let sent = json_body(app.start(json!({"rpps": rpps})).await, StatusCode::ACCEPTED).await;
    let challenge = sent["challenge_id"].as_str().unwrap();
    let (e, s) = (
        sinks.email_code(AWA_EMAIL).await,
        sinks.sms_code(AWA_MOBILE).await,
    );
    let wrong = if s == "000000" { "111111" } else { "000000" };
    let body = assert_envelope(
        app.confirm(challenge, &e, wrong).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert_eq!(
        body["error"]["fields"]["sms_code"][0],
        "Le code reçu par SMS est incorrect."
    );
    assert!(
        body["error"]["fields"].get("email_code").is_none(),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("il vous reste 4 essai(s)"),
        "{body}"
    );
    // Badly typed codes are named per field, without spending an attempt.
    let body = assert_envelope(
        app.confirm(challenge, "12", "").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert_eq!(
        body["error"]["fields"]["email_code"][0],
        "Le code reçu par email comporte 6 chiffres."
    );
    assert_eq!(
        body["error"]["fields"]["sms_code"][0],
        "Saisissez le code reçu par SMS."
    );
    // Spaces typed inside a code are fine.
    let spaced = format!("{} {}", &s[..3], &s[3..]);
    let response = app.confirm(challenge, &e, &spaced).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        app.storage
            .find_professional_by_rpps(&rpps)
            .await
            .unwrap()
            .unwrap()
            .ecps_activated_at
            .is_some()
    );
}

#[tokio::test]
async fn expired_codes_are_refused() {
    let sinks = Sinks::new();
    let app = spawn(&sinks, vec![("ENROLE_ECPS_CODE_TTL_SECS", "1".to_owned())]).await;
    let (rpps, _) = validated(&app, 43, json!({})).await;
    let sent = json_body(app.start(json!({"rpps": rpps})).await, StatusCode::ACCEPTED).await;
    let (e, s) = (
        sinks.email_code(AWA_EMAIL).await,
        sinks.sms_code(AWA_MOBILE).await,
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_envelope(
        app.confirm(sent["challenge_id"].as_str().unwrap(), &e, &s)
            .await,
        StatusCode::GONE,
        "codes_expired",
    )
    .await;
    let stored = app
        .storage
        .find_professional_by_rpps(&rpps)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.ecps_activated_at.is_none());
}

#[tokio::test]
async fn five_wrong_attempts_void_the_codes() {
    let sinks = Sinks::new();
    let app = spawn(&sinks, vec![]).await;
    let (rpps, _) = validated(&app, 44, json!({})).await;
    let sent = json_body(app.start(json!({"rpps": rpps})).await, StatusCode::ACCEPTED).await;
    let challenge = sent["challenge_id"].as_str().unwrap();
    let (e, s) = (
        sinks.email_code(AWA_EMAIL).await,
        sinks.sms_code(AWA_MOBILE).await,
    );
    let wrong = if e == "000000" { "111111" } else { "000000" };
    for left in (0..5).rev() {
        let body = assert_envelope(
            app.confirm(challenge, wrong, &s).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        )
        .await;
        let message = body["error"]["message"].as_str().unwrap();
        if left == 0 {
            assert!(message.contains("plus aucun essai"), "{message}");
        } else {
            assert!(
                message.contains(&format!("il vous reste {left} essai")),
                "{message}"
            );
        }
    }
    assert_envelope(
        app.confirm(challenge, &e, &s).await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    )
    .await;
}

#[tokio::test]
async fn codes_serve_once() {
    let sinks = Sinks::new();
    let app = spawn(&sinks, vec![]).await;
    let (rpps, _) = validated(&app, 45, json!({})).await;
    let sent = json_body(app.start(json!({"rpps": rpps})).await, StatusCode::ACCEPTED).await;
    let challenge = sent["challenge_id"].as_str().unwrap();
    let (e, s) = (
        sinks.email_code(AWA_EMAIL).await,
        sinks.sms_code(AWA_MOBILE).await,
    );
    assert_eq!(
        app.confirm(challenge, &e, &s).await.status(),
        StatusCode::OK
    );
    assert_envelope(
        app.confirm(challenge, &e, &s).await,
        StatusCode::CONFLICT,
        "codes_used",
    )
    .await;
    assert_envelope(
        app.confirm(&"ab".repeat(32), &e, &s).await,
        StatusCode::CONFLICT,
        "codes_unknown",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_rpps_number_is_answered_exactly_like_a_known_one() {
    let sinks = Sinks::new();
    let app = spawn(&sinks, vec![]).await;
    let (rpps, _) = validated(&app, 46, json!({})).await;
    let unknown = unassigned_rpps();
    let mut answers = Vec::new();
    for number in [&rpps, &unknown] {
        let response = app.start(json!({"rpps": number})).await;
        let status = response.status();
        let headers = (
            header(&response, "content-type"),
            header(&response, "cache-control"),
        );
        let mut body = response.json::<Value>().await.unwrap();
        let challenge = body["challenge_id"].as_str().unwrap().to_owned();
        assert!(challenge.len() == 64 && challenge.bytes().all(|b| b.is_ascii_hexdigit()));
        body["challenge_id"] = Value::Null;
        answers.push((status, headers, body, challenge));
    }
    assert_eq!(answers[0].0, StatusCode::ACCEPTED);
    assert_eq!(answers[0].0, answers[1].0);
    assert_eq!(answers[0].1, answers[1].1);
    assert_eq!(
        answers[0].2, answers[1].2,
        "same body but for the random id"
    );
    // Confirming fails the same way for both when the codes are wrong.
    for (_, _, _, challenge) in &answers {
        let body = assert_envelope(
            app.confirm(challenge, "123456", "654321").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        )
        .await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("il vous reste 4")
        );
    }
    // The per-number resend limit answers alike too.
    for number in [&rpps, &unknown] {
        for _ in 0..2 {
            assert_eq!(
                app.start(json!({"rpps": number})).await.status(),
                StatusCode::ACCEPTED
            );
        }
        assert_envelope(
            app.start(json!({"rpps": number})).await,
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_codes",
        )
        .await;
    }
    // Only the real holder received codes: three SMS to one mobile, no other SMS file.
    let deadline = Instant::now() + Duration::from_secs(10);
    while sinks.sms_to(AWA_MOBILE).len() < 3 {
        assert!(Instant::now() < deadline, "the three SMS");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(Sinks::files(&sinks.outbox().join("sms"), ".txt").len(), 3);
    // A malformed number is a plain input error (it says nothing about who exists).
    let body = assert_envelope(
        app.start(json!({"rpps": "123"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert!(body["error"]["fields"]["rpps"][0].is_string());
}

#[tokio::test]
async fn a_confirmed_mobile_change_replaces_the_old_one_and_the_old_email_is_told() {
    let sinks = Sinks::new();
    let app = spawn(&sinks, vec![]).await;
    let (rpps, gestionnaire) = validated(&app, 47, json!({})).await;
    let cookie = app.sign_in_ecps(&sinks, &rpps, AWA_EMAIL, AWA_MOBILE).await;
    let sent = json_body(
        app.post_gestion(
            "/api/v1/espace/contact",
            &json!({"mobile": "07 11 22 33 44"}),
            Some(&cookie),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(sent["mobile"], true);
    assert_eq!(sent["email"], false);
    let code = sinks.sms_code("+33711223344").await;
    let profil = json_body(
        app.post_gestion(
            "/api/v1/espace/contact/confirm",
            &json!({"challenge_id": sent["challenge_id"], "sms_code": code}),
            Some(&cookie),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(profil["mobile"], "07 11 22 33 44");
    let stored = app
        .storage
        .find_professional_by_rpps(&rpps)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.mobile, "+33711223344");
    // The old (and still current) email is told, without the new number.
    let notice = delivered_text(&app, "vos coordonnées ont été modifiées").await;
    assert!(notice.contains("Ce n'était pas vous ?"), "{notice}");
    assert!(
        !notice.contains("07 11") && !notice.contains("+33711"),
        "{notice}"
    );
    let rows = app.storage.outbox().await.unwrap();
    let row = rows
        .iter()
        .find(|r| r.subject.contains("coordonnées"))
        .unwrap();
    assert_eq!(row.recipient, AWA_EMAIL);
    let audit = audit_actions(&app, &format!("professional:{}", stored.id)).await;
    let (_, details) = audit
        .iter()
        .find(|(a, _)| a == "professional.contact_updated")
        .expect("audited");
    assert_eq!(details["before"]["mobile"], AWA_MOBILE);
    assert_eq!(details["after"]["mobile"], "+33711223344");
    // The gestionnaire of the person's establishment sees the change in the person's history (and not their
    // sign-ins, which change nothing).
    let history = json_body(
        app.get_gestion(
            &format!("/api/v1/gestion/professionnels/{}/historique", stored.id),
            &gestionnaire,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let entries = history["entries"].as_array().unwrap();
    let change = entries
        .iter()
        .find(|e| e["action"] == "professional.contact_updated")
        .unwrap_or_else(|| panic!("contact change in the history: {history}"));
    assert_eq!(change["by"], "Le professionnel");
    assert!(
        change["label"]
            .as_str()
            .unwrap()
            .starts_with("Coordonnées modifiées par le professionnel")
    );
    assert!(entries.iter().any(|e| e["action"] == "ecps.activated"));
    assert!(!entries.iter().any(|e| e["action"] == "ecps.sign_in"));
    // Signing in again: the codes go to the new mobile, never to the old one.
    let old_sms = sinks.sms_to(AWA_MOBILE).len();
    app.post_gestion("/api/v1/espace/sign-out", &json!({}), Some(&cookie))
        .await;
    let again = app
        .sign_in_ecps(&sinks, &rpps, AWA_EMAIL, "+33711223344")
        .await;
    assert_eq!(
        app.get_gestion("/api/v1/espace/profil", &again)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(sinks.sms_to(AWA_MOBILE).len(), old_sms);
}

#[tokio::test]
async fn an_unconfirmed_change_changes_nothing() {
    let sinks = Sinks::new();
    let app = spawn(&sinks, vec![]).await;
    let (rpps, _) = validated(&app, 48, json!({})).await;
    let cookie = app.sign_in_ecps(&sinks, &rpps, AWA_EMAIL, AWA_MOBILE).await;
    let sent = json_body(
        app.post_gestion(
            "/api/v1/espace/contact",
            &json!({"email": "Awa.Nouvelle@Exemple.FR", "mobile": "07 11 22 33 44"}),
            Some(&cookie),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(
        (sent["email"].as_bool(), sent["mobile"].as_bool()),
        (Some(true), Some(true))
    );
    let email_code = sinks.email_code("Awa.Nouvelle@exemple.fr").await;
    let sms_code = sinks.sms_code("+33711223344").await;
    let wrong = if sms_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let body = assert_envelope(
        app.post_gestion(
            "/api/v1/espace/contact/confirm",
            &json!({"challenge_id": sent["challenge_id"], "email_code": email_code, "sms_code": wrong}),
            Some(&cookie),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert!(body["error"]["fields"]["sms_code"].is_array());
    // Both codes are needed when both values change.
    assert_envelope(
        app.post_gestion(
            "/api/v1/espace/contact/confirm",
            &json!({"challenge_id": sent["challenge_id"], "email_code": email_code}),
            Some(&cookie),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    let profil = json_body(
        app.get_gestion("/api/v1/espace/profil", &cookie).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(profil["email"], AWA_EMAIL);
    assert_eq!(profil["mobile"], "06 12 34 56 78");
    let rows = app.storage.outbox().await.unwrap();
    assert!(!rows.iter().any(|r| r.subject.contains("coordonnées")));
    // Invalid or unchanged values are named per field.
    let body = assert_envelope(
        app.post_gestion(
            "/api/v1/espace/contact",
            &json!({"email": AWA_EMAIL, "mobile": "01 23 45 67 89"}),
            Some(&cookie),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert_eq!(
        body["error"]["fields"]["email"][0],
        "C'est déjà votre adresse email."
    );
    assert!(body["error"]["fields"]["mobile"][0].is_string());
}

#[tokio::test]
async fn an_old_sign_in_must_be_renewed_before_changing_contact_data() {
    let sinks = Sinks::new();
    let app = spawn(
        &sinks,
        vec![("ENROLE_ECPS_RECENT_SIGN_IN_SECS", "1".to_owned())],
    )
    .await;
    let (rpps, _) = validated(&app, 49, json!({})).await;
    let cookie = app.sign_in_ecps(&sinks, &rpps, AWA_EMAIL, AWA_MOBILE).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let change = json!({"mobile": "07 11 22 33 44"});
    assert_envelope(
        app.post_gestion("/api/v1/espace/contact", &change, Some(&cookie))
            .await,
        StatusCode::FORBIDDEN,
        "reauthentication_required",
    )
    .await;
    // Re-authenticating with the two codes replaces the session.
    let sent = json_body(app.start(json!({"rpps": rpps})).await, StatusCode::ACCEPTED).await;
    let (e, s) = (
        sinks.email_code(AWA_EMAIL).await,
        sinks.sms_code(AWA_MOBILE).await,
    );
    let response = app
        .post_gestion(
            "/api/v1/activation/confirm",
            &json!({"challenge_id": sent["challenge_id"], "email_code": e, "sms_code": s}),
            Some(&cookie),
        )
        .await;
    let fresh = session_cookie(&response);
    assert_eq!(
        app.post_gestion("/api/v1/espace/contact", &change, Some(&fresh))
            .await
            .status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        app.get_gestion("/api/v1/espace/profil", &cookie)
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "the replaced session ended"
    );
}

#[tokio::test]
async fn a_professional_reaches_only_their_own_data() {
    let sinks = Sinks::new();
    let app = spawn(&sinks, vec![]).await;
    let (a, _) = validated(&app, 50, json!({})).await;
    let (b, _) = validated(
        &app,
        51,
        json!({"nom_naissance": "Durand", "email": "b@exemple.fr", "email_confirmation": "b@exemple.fr",
               "mobile": "06 98 76 54 32", "date_naissance": "1970-01-02"}),
    )
    .await;
    let cookie_a = app.sign_in_ecps(&sinks, &a, AWA_EMAIL, AWA_MOBILE).await;
    let cookie_b = app
        .sign_in_ecps(&sinks, &b, "b@exemple.fr", "+33698765432")
        .await;
    let profil_a = json_body(
        app.get_gestion("/api/v1/espace/profil", &cookie_a).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(profil_a["rpps"], a.as_str());
    assert!(!profil_a.to_string().contains("Durand") && !profil_a.to_string().contains(&b));
    // B's contact change cannot be confirmed with A's session, even with B's challenge id and code.
    let sent = json_body(
        app.post_gestion(
            "/api/v1/espace/contact",
            &json!({"mobile": "07 99 88 77 66"}),
            Some(&cookie_b),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    let code = sinks.sms_code("+33799887766").await;
    assert_envelope(
        app.post_gestion(
            "/api/v1/espace/contact/confirm",
            &json!({"challenge_id": sent["challenge_id"], "sms_code": code}),
            Some(&cookie_a),
        )
        .await,
        StatusCode::CONFLICT,
        "codes_unknown",
    )
    .await;
    let stored_a = app
        .storage
        .find_professional_by_rpps(&a)
        .await
        .unwrap()
        .unwrap();
    let stored_b = app
        .storage
        .find_professional_by_rpps(&b)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored_a.mobile, AWA_MOBILE);
    assert_eq!(stored_b.mobile, "+33698765432");
    // A's nom d'exercice change touches A only.
    let response = app
        .put_espace(
            "/api/v1/espace/exercice",
            &json!({"nom_exercice": "Ndiaye-Martin", "prenom_exercice": "Awa"}),
            &cookie_a,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let stored_b = app
        .storage
        .find_professional_by_rpps(&b)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored_b.nom_exercice, "Martin");
}

#[tokio::test]
async fn gestionnaire_and_professional_sessions_open_only_their_own_space() {
    let sinks = Sinks::new();
    let app = spawn(&sinks, vec![]).await;
    let (rpps, gestionnaire) = validated(&app, 52, json!({})).await;
    let professional = app.sign_in_ecps(&sinks, &rpps, AWA_EMAIL, AWA_MOBILE).await;
    for path in ["/api/v1/espace/profil"] {
        assert_envelope(
            app.get_gestion(path, &gestionnaire).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
    }
    for path in ["/api/v1/espace/contact", "/api/v1/espace/sign-out"] {
        assert_envelope(
            app.post_gestion(
                path,
                &json!({"mobile": "07 11 22 33 44"}),
                Some(&gestionnaire),
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
    }
    assert_envelope(
        app.put_espace(
            "/api/v1/espace/exercice",
            &json!({"nom_exercice": "X", "prenom_exercice": "Y"}),
            &gestionnaire,
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    for path in ["/api/v1/gestion/demandes", "/api/v1/auth/me"] {
        assert_envelope(
            app.get_gestion(path, &professional).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
    }
    assert_envelope(
        decide(&app, &professional, 1, json!({"decision": "validate"})).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    // Both still work in their own space.
    assert_eq!(
        app.get_gestion("/api/v1/espace/profil", &professional)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get_gestion("/api/v1/auth/me", &gestionnaire)
            .await
            .status(),
        StatusCode::OK
    );
    // CSRF rules apply to the new POST and PUT.
    let bare = app
        .client
        .post(app.url("/api/v1/espace/contact"))
        .header("cookie", &professional)
        .json(&json!({"mobile": "07 11 22 33 44"}))
        .send()
        .await
        .unwrap();
    assert_envelope(bare, StatusCode::FORBIDDEN, "forbidden").await;
    let foreign = app
        .client
        .put(app.url("/api/v1/espace/exercice"))
        .header("cookie", &professional)
        .header("origin", "https://evil.example")
        .header("x-enrole-csrf", "1")
        .json(&json!({"nom_exercice": "X", "prenom_exercice": "Y"}))
        .send()
        .await
        .unwrap();
    assert_envelope(foreign, StatusCode::FORBIDDEN, "forbidden").await;
    let start = app
        .client
        .post(app.url("/api/v1/activation/start"))
        .json(&json!({"rpps": rpps}))
        .send()
        .await
        .unwrap();
    assert_envelope(start, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn a_new_nom_d_exercice_reaches_the_active_situations_and_the_gestionnaires_are_told() {
    let sinks = Sinks::new();
    let app = spawn(&sinks, vec![]).await;
    let (rpps, _) = validated(&app, 53, json!({})).await;
    let cookie = app.sign_in_ecps(&sinks, &rpps, AWA_EMAIL, AWA_MOBILE).await;
    let body = assert_envelope(
        app.put_espace(
            "/api/v1/espace/exercice",
            &json!({"nom_exercice": "", "prenom_exercice": "A1"}),
            &cookie,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert_eq!(
        body["error"]["fields"]["nom_exercice"][0],
        "Le nom d'exercice est obligatoire."
    );
    assert!(body["error"]["fields"]["prenom_exercice"][0].is_string());
    let profil = json_body(
        app.put_espace(
            "/api/v1/espace/exercice",
            &json!({"nom_exercice": "N'Diaye-Martin", "prenom_exercice": "Awa"}),
            &cookie,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(profil["nom_exercice"], "N'Diaye-Martin");
    let stored = app
        .storage
        .find_professional_by_rpps(&rpps)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.nom_exercice, "N'Diaye-Martin");
    let audit = audit_actions(&app, &format!("professional:{}", stored.id)).await;
    let (_, details) = audit
        .iter()
        .find(|(a, _)| a == "professional.exercice_updated")
        .expect("audited");
    assert_eq!(details["before"]["nom_exercice"], "Martin");
    assert_eq!(details["after"]["nom_exercice"], "N'Diaye-Martin");
    let situation_ids = details["situation_ids"].as_array().unwrap();
    assert_eq!(situation_ids.len(), 1, "the copy on the active situation");
    let notice = delivered_text(&app, "a changé son nom d'exercice").await;
    assert!(notice.contains(&rpps), "{notice}");
    assert!(
        !notice.contains("Diaye") && !notice.contains("Awa"),
        "{notice}"
    );
    let rows = app.storage.outbox().await.unwrap();
    let recipients: Vec<&str> = rows
        .iter()
        .filter(|r| r.subject.contains("nom d'exercice"))
        .map(|r| r.recipient.as_str())
        .collect();
    assert_eq!(recipients, ["g53@exemple.fr"]);
}

/// A local SMS gateway: records every request's `Authorization` header and JSON body; answers `status`.
async fn sms_gateway(status: u16) -> (u16, Arc<Mutex<Vec<(String, Value)>>>) {
    use axum::http::HeaderMap;
    let received: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let store = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(
            move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
                let store = Arc::clone(&store);
                async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    store.lock().unwrap().push((auth, body));
                    axum::http::StatusCode::from_u16(status).unwrap()
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, received)
}

#[tokio::test]
async fn the_http_sms_transport_posts_to_the_gateway_with_its_token() {
    let (port, received) = sms_gateway(200).await;
    let sinks = Sinks::new();
    let app = spawn(
        &sinks,
        vec![
            (
                "ENROLE_SMS_GATEWAY_URL",
                format!("http://127.0.0.1:{port}/sms"),
            ),
            (
                "ENROLE_SMS_GATEWAY_TOKEN",
                "jeton-secret-de-test".to_owned(),
            ),
        ],
    )
    .await;
    let (rpps, _) = validated(&app, 54, json!({})).await;
    let sent = json_body(app.start(json!({"rpps": rpps})).await, StatusCode::ACCEPTED).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let (auth, body) = loop {
        if let Some(first) = received.lock().unwrap().first().cloned() {
            break first;
        }
        assert!(Instant::now() < deadline, "the gateway received nothing");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(auth, "Bearer jeton-secret-de-test");
    assert_eq!(body["to"], AWA_MOBILE);
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("Enrôle : votre code"), "{text}");
    // No SMS file when the gateway is used.
    assert!(Sinks::files(&sinks.outbox().join("sms"), ".txt").is_empty());
    let email = sinks.email_code(AWA_EMAIL).await;
    let response = app
        .confirm(
            sent["challenge_id"].as_str().unwrap(),
            &email,
            &code_in(text),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_failing_sms_gateway_does_not_change_the_answer() {
    let (port, received) = sms_gateway(503).await;
    let sinks = Sinks::new();
    let app = spawn(
        &sinks,
        vec![
            (
                "ENROLE_SMS_GATEWAY_URL",
                format!("http://127.0.0.1:{port}/sms"),
            ),
            ("ENROLE_SMS_GATEWAY_TOKEN", "t".to_owned()),
        ],
    )
    .await;
    let (rpps, _) = validated(&app, 55, json!({})).await;
    assert_eq!(
        app.start(json!({"rpps": rpps})).await.status(),
        StatusCode::ACCEPTED
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while received.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the gateway was called");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn codes_and_the_change_notice_go_through_a_real_smtp_sink() {
    let mut sink = SmtpSink::start().await;
    let sinks = Sinks::new();
    let app = spawn(
        &sinks,
        vec![("ENROLE_SMTP_URL", format!("smtp://127.0.0.1:{}", sink.port))],
    )
    .await;
    let (rpps, _) = validated(&app, 56, json!({})).await;
    let maildir = sink.maildir.path().join("maildir/new");
    let seen: Mutex<HashSet<PathBuf>> = Mutex::default();
    let next = |to: &'static str, subject: &'static str| {
        let maildir = maildir.clone();
        let seen = &seen;
        async move {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                for path in Sinks::files(&maildir, "") {
                    if seen.lock().unwrap().contains(&path) {
                        continue;
                    }
                    let parts = decoded_parts(&path);
                    if parts["to"] == to && parts["subject"].as_str().unwrap().contains(subject) {
                        seen.lock().unwrap().insert(path);
                        return parts;
                    }
                }
                assert!(Instant::now() < deadline, "no {subject} to {to}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let sent = json_body(app.start(json!({"rpps": rpps})).await, StatusCode::ACCEPTED).await;
    let email = next(AWA_EMAIL, "votre code e-CPS").await;
    let code = code_in(email["subject"].as_str().unwrap());
    assert!(email["text/plain"].as_str().unwrap().contains(&code));
    assert!(email["text/html"].as_str().unwrap().contains(&code));
    let sms = sinks.sms_code(AWA_MOBILE).await;
    let cookie = session_cookie(
        &app.confirm(sent["challenge_id"].as_str().unwrap(), &code, &sms)
            .await,
    );
    let change = json_body(
        app.post_gestion(
            "/api/v1/espace/contact",
            &json!({"email": "awa.nouvelle@exemple.fr"}),
            Some(&cookie),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    let to_new = next("awa.nouvelle@exemple.fr", "votre code e-CPS").await;
    let code = code_in(to_new["subject"].as_str().unwrap());
    assert_eq!(
        app.post_gestion(
            "/api/v1/espace/contact/confirm",
            &json!({"challenge_id": change["challenge_id"], "email_code": code}),
            Some(&cookie),
        )
        .await
        .status(),
        StatusCode::OK
    );
    let notice = next(AWA_EMAIL, "vos coordonnées ont été modifiées").await;
    let text = notice["text/plain"].as_str().unwrap();
    assert!(text.contains("Ce n'était pas vous ?"), "{text}");
    assert!(
        !text.contains("nouvelle"),
        "the new address is not repeated: {text}"
    );
    let _ = sink.child.kill().await;
}

#[tokio::test]
async fn the_e_cps_endpoints_are_documented() {
    let app = TestApp::spawn().await;
    let doc = json_body(app.get_openapi().await, StatusCode::OK).await;
    for (path, method) in [
        ("/api/v1/activation/start", "post"),
        ("/api/v1/activation/confirm", "post"),
        ("/api/v1/espace/sign-out", "post"),
        ("/api/v1/espace/profil", "get"),
        ("/api/v1/espace/contact", "post"),
        ("/api/v1/espace/contact/confirm", "post"),
        ("/api/v1/espace/exercice", "put"),
    ] {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path}");
        assert_eq!(operation["tags"][0], "ecps", "{method} {path}");
    }
    assert!(doc["components"]["schemas"]["Profil"].is_object());
}
