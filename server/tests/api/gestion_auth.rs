//! Gestionnaire accounts: one-time password links, sign-in, lockout, sessions and their timeouts, CSRF.

use std::time::Duration;

use enrole_server::gestionnaires::{self, AttachTo};
use enrole_server::storage::{Actor, GestionnaireRecord};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestOptions, assert_envelope, header, json_body, siret};
use crate::mail::{delivered, text_of};

pub const PASSWORD: &str = "Correct-Horse-Battery-9";

impl TestApp {
    /// The origin browsers send for this application.
    pub fn origin(&self) -> String {
        enrole_server::auth::public_origin(&self.public_url).to_owned()
    }

    /// A state-changing request as the gestion pages send it (Origin, CSRF header, session cookie).
    pub async fn post_gestion(
        &self,
        path: &str,
        body: &Value,
        cookie: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header("origin", self.origin())
            .header("x-enrole-csrf", "1")
            .json(body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("POST")
    }

    pub async fn get_gestion(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .expect("GET")
    }

    /// Creates a gestionnaire attached to `target`; answers it and the token of its one-time link.
    pub async fn new_gestionnaire(
        &self,
        email: &str,
        target: AttachTo,
    ) -> (GestionnaireRecord, String) {
        let config = enrole_server::Config::from_lookup(|key| {
            (key == "ENROLE_PUBLIC_URL").then(|| self.public_url.clone())
        })
        .expect("config");
        let created = gestionnaires::create(
            &self.storage,
            email,
            "Camille Martin",
            &target,
            &Actor::cli(),
        )
        .await
        .expect("create gestionnaire");
        let link =
            gestionnaires::issue_password_link(&self.storage, &config, &created, &Actor::cli())
                .await
                .expect("link");
        let token = link.rsplit('/').next().unwrap().to_owned();
        (created, token)
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_gestion(
            "/api/v1/auth/sign-in",
            &json!({"email": email, "password": password}),
            None,
        )
        .await
    }

    /// A gestionnaire with a password, signed in: answers the `Cookie` header value.
    pub async fn signed_in(&self, email: &str, target: AttachTo) -> String {
        let (_, token) = self.new_gestionnaire(email, target).await;
        let response = self
            .post_gestion(
                "/api/v1/auth/password",
                &json!({"token": token, "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        cookie_of(&self.sign_in(email, PASSWORD).await)
    }
}

/// The `name=value` of the session cookie set by a response.
pub fn cookie_of(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::OK, "sign-in failed");
    let set = header(response, "set-cookie");
    set.split(';').next().unwrap().to_owned()
}

/// An entité juridique with one site: (EJ SIRET, site id).
pub async fn establishment(app: &TestApp, serial: u32) -> (String, i64) {
    let ej = app
        .create_establishment(&format!("Association {serial}"), Some(&siret(serial)), None)
        .await;
    let site = app
        .add_site(
            &ej,
            &format!("EHPAD {serial}"),
            &crate::helpers::finess(serial * 10),
            "Toulouse",
        )
        .await;
    (siret(serial), site.id)
}

#[tokio::test]
async fn a_password_set_through_the_link_lets_the_gestionnaire_sign_in_and_out() {
    let app = TestApp::spawn().await;
    let (ej, site_id) = establishment(&app, 11).await;
    let (_, token) = app
        .new_gestionnaire("Camille.Martin@Exemple.fr", AttachTo::EjSiret(ej))
        .await;
    // The email went through the outbox with the link.
    let outbox = app.storage.outbox().await.unwrap();
    assert_eq!(outbox[0].recipient, "camille.martin@exemple.fr");
    let email = &delivered(&app, &outbox[0].subject, 1).await[0];
    assert!(text_of(email).contains(&format!("/gestion/mot-de-passe/{token}")));

    let weak = app
        .post_gestion(
            "/api/v1/auth/password",
            &json!({"token": token, "password": "court"}),
            None,
        )
        .await;
    let body = assert_envelope(weak, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert!(
        body["error"]["fields"]["password"][0]
            .as_str()
            .unwrap()
            .contains("12")
    );
    let set = app
        .post_gestion(
            "/api/v1/auth/password",
            &json!({"token": token, "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    let again = app
        .post_gestion(
            "/api/v1/auth/password",
            &json!({"token": token, "password": PASSWORD}),
            None,
        )
        .await;
    assert_envelope(again, StatusCode::CONFLICT, "conflict").await;

    let response = app.sign_in(" camille.martin@exemple.fr ", PASSWORD).await;
    let set_cookie = header(&response, "set-cookie");
    assert!(set_cookie.starts_with("enrole_session="), "{set_cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = cookie_of(&response);
    let me = json_body(
        app.get_gestion("/api/v1/auth/me", &cookie).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["role"], "gestionnaire");
    assert_eq!(me["gestionnaire"]["email"], "camille.martin@exemple.fr");
    assert_eq!(me["sites"][0]["id"], site_id);

    let out = app
        .post_gestion("/api/v1/auth/sign-out", &json!({}), Some(&cookie))
        .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(header(&out, "set-cookie").contains("Max-Age=0"));
    assert_envelope(
        app.get_gestion("/api/v1/auth/me", &cookie).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let actions: Vec<String> = app
        .storage
        .recent_audit_entries(50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in ["auth.sign_in", "auth.sign_out", "gestionnaire.password_set"] {
        assert!(actions.contains(&action.to_owned()), "{actions:?}");
    }
}

#[tokio::test]
async fn over_https_the_cookie_is_host_prefixed_and_secure() {
    let app = TestApp::spawn_with(TestOptions {
        env: vec![("ENROLE_PUBLIC_URL", "https://enrole.example.fr".to_owned())],
        ..TestOptions::default()
    })
    .await;
    let (ej, _) = establishment(&app, 12).await;
    let (_, token) = app
        .new_gestionnaire("a@exemple.fr", AttachTo::EjSiret(ej))
        .await;
    app.post_gestion(
        "/api/v1/auth/password",
        &json!({"token": token, "password": PASSWORD}),
        None,
    )
    .await;
    let response = app.sign_in("a@exemple.fr", PASSWORD).await;
    let set_cookie = header(&response, "set-cookie");
    assert!(
        set_cookie.starts_with("__Host-enrole_session="),
        "{set_cookie}"
    );
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_addresses_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let (ej, _) = establishment(&app, 13).await;
    app.signed_in("known@exemple.fr", AttachTo::EjSiret(ej))
        .await;
    for (email, password) in [
        ("known@exemple.fr", "Wrong-Password-123"),
        ("unknown@exemple.fr", PASSWORD),
    ] {
        let body = assert_envelope(
            app.sign_in(email, password).await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
        assert_eq!(
            body["error"]["message"],
            "Adresse ou mot de passe incorrect."
        );
    }
    let audit = app.storage.recent_audit_entries(10).await.unwrap();
    let failure = audit
        .iter()
        .find(|e| e.action == "auth.sign_in_failed")
        .expect("failure audited");
    let details = failure.details.0.to_string();
    assert!(!details.contains("Wrong-Password"), "{details}");
    assert!(!details.contains("known@"), "{details}");
}

#[tokio::test]
async fn repeated_failures_are_slowed_then_locked_for_every_instance() {
    let app = TestApp::spawn_with(TestOptions {
        env: vec![
            ("ENROLE_SIGN_IN_LOCK_AFTER", "3".to_owned()),
            ("ENROLE_SIGN_IN_SLOWDOWN_AFTER", "2".to_owned()),
            ("ENROLE_SIGN_IN_SLOWDOWN_MS", "300".to_owned()),
        ],
        ..TestOptions::default()
    })
    .await;
    let (ej, _) = establishment(&app, 14).await;
    app.signed_in("lock@exemple.fr", AttachTo::EjSiret(ej))
        .await;
    let started = std::time::Instant::now();
    for _ in 0..2 {
        assert_eq!(
            app.sign_in("lock@exemple.fr", "Wrong-Password-123")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the second failure is slowed"
    );
    let locked = app.sign_in("lock@exemple.fr", "Wrong-Password-123").await;
    assert!(header(&locked, "retry-after").parse::<u64>().unwrap() > 0);
    assert_envelope(locked, StatusCode::TOO_MANY_REQUESTS, "locked").await;
    // Even the right password is refused while locked: the counter is in the database.
    assert_envelope(
        app.sign_in("lock@exemple.fr", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "locked",
    )
    .await;
    let audit = app.storage.recent_audit_entries(20).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "auth.locked"));
}

#[tokio::test]
async fn sessions_end_after_the_idle_timeout() {
    let app = TestApp::spawn_with(TestOptions {
        env: vec![("ENROLE_SESSION_IDLE_TIMEOUT_SECS", "2".to_owned())],
        ..TestOptions::default()
    })
    .await;
    let (ej, _) = establishment(&app, 15).await;
    let cookie = app
        .signed_in("idle@exemple.fr", AttachTo::EjSiret(ej))
        .await;
    assert_eq!(
        app.get_gestion("/api/v1/auth/me", &cookie).await.status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_envelope(
        app.get_gestion("/api/v1/auth/me", &cookie).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn sessions_end_after_the_absolute_timeout_even_when_used() {
    let app = TestApp::spawn_with(TestOptions {
        env: vec![("ENROLE_SESSION_ABSOLUTE_TIMEOUT_SECS", "3".to_owned())],
        ..TestOptions::default()
    })
    .await;
    let (ej, _) = establishment(&app, 16).await;
    let cookie = app.signed_in("abs@exemple.fr", AttachTo::EjSiret(ej)).await;
    for _ in 0..2 {
        assert_eq!(
            app.get_gestion("/api/v1/auth/me", &cookie).await.status(),
            StatusCode::OK
        );
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        app.get_gestion("/api/v1/auth/me", &cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn state_changing_requests_need_our_origin_and_the_csrf_header() {
    let app = TestApp::spawn().await;
    let (ej, _) = establishment(&app, 17).await;
    let cookie = app
        .signed_in("csrf@exemple.fr", AttachTo::EjSiret(ej))
        .await;
    let url = app.url("/api/v1/auth/sign-out");
    let cases: [(Option<String>, Option<&str>); 4] = [
        (Some(app.origin()), None),
        (Some("https://evil.example".to_owned()), Some("1")),
        (None, Some("1")),
        (Some("null".to_owned()), Some("1")),
    ];
    for (origin, csrf) in cases {
        let mut request = app.client.post(&url).header("cookie", &cookie);
        if let Some(origin) = &origin {
            request = request.header("origin", origin);
        }
        if let Some(csrf) = csrf {
            request = request.header("x-enrole-csrf", csrf);
        }
        let response = request.send().await.unwrap();
        assert_envelope(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // A Referer from our origin stands in for a missing Origin.
    let response = app
        .client
        .post(&url)
        .header("cookie", &cookie)
        .header("referer", format!("{}/gestion/demandes", app.origin()))
        .header("x-enrole-csrf", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // Sign-in itself is protected too (login CSRF).
    let response = app
        .client
        .post(app.url("/api/v1/auth/sign-in"))
        .json(&json!({"email": "csrf@exemple.fr", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_envelope(response, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn a_disabled_gestionnaire_loses_their_session_at_once() {
    let app = TestApp::spawn().await;
    let (ej, _) = establishment(&app, 18).await;
    let cookie = app
        .signed_in("leaves@exemple.fr", AttachTo::EjSiret(ej))
        .await;
    assert_eq!(
        app.get_gestion("/api/v1/auth/me", &cookie).await.status(),
        StatusCode::OK
    );
    let found = app
        .storage
        .find_gestionnaire_by_email("leaves@exemple.fr")
        .await
        .unwrap()
        .unwrap();
    assert!(
        app.storage
            .disable_gestionnaire(found.id, &Actor::cli())
            .await
            .unwrap()
    );
    assert_eq!(
        app.get_gestion("/api/v1/auth/me", &cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_envelope(
        app.sign_in("leaves@exemple.fr", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
}
