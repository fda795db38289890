//! The form embedded in intranets (issue 6): `frame-ancestors` per entité juridique, the loader, and the
//! gestionnaire's origin endpoints (scoped, validated, audited).

use enrole_server::gestionnaires::AttachTo;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::gestion_auth::establishment;
use crate::helpers::{TestApp, assert_envelope, header, json_body};

const ORIGINS: &str = "/api/v1/gestion/integration/origines";

/// The `frame-ancestors` directive of a response, and whether it carries `X-Frame-Options`.
fn framing(response: &reqwest::Response) -> (String, String) {
    let policy = header(response, "content-security-policy");
    let ancestors = policy
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("frame-ancestors "))
        .unwrap_or_else(|| panic!("no frame-ancestors in {policy}"))
        .to_owned();
    (ancestors, header(response, "x-frame-options"))
}

async fn embed_page(app: &TestApp, query: &str) -> reqwest::Response {
    let response = app.get(&format!("/integration/formulaire{query}")).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response
}

fn finess_of(app_site: u32) -> String {
    crate::helpers::finess(app_site * 10)
}

async fn add_origin(app: &TestApp, cookie: &str, ej: i64, origin: &str) -> reqwest::Response {
    app.post_gestion(
        ORIGINS,
        &json!({"entite_juridique_id": ej, "origin": origin}),
        Some(cookie),
    )
    .await
}

async fn overview(app: &TestApp, cookie: &str) -> Value {
    json_body(app.get_gestion(ORIGINS, cookie).await, StatusCode::OK).await
}

async fn ej_of_site(app: &TestApp, site_id: i64) -> i64 {
    app.storage
        .find_site(site_id)
        .await
        .unwrap()
        .unwrap()
        .site
        .establishment_id
}

#[tokio::test]
async fn each_establishment_is_framed_by_its_own_origins_only() {
    let app = TestApp::spawn().await;
    let (siret_a, site_a) = establishment(&app, 61).await;
    let (siret_b, site_b) = establishment(&app, 62).await;
    let (ej_a, ej_b) = (
        ej_of_site(&app, site_a).await,
        ej_of_site(&app, site_b).await,
    );
    let alice = app
        .signed_in("alice@a.fr", AttachTo::EjSiret(siret_a))
        .await;
    let bob = app.signed_in("bob@b.fr", AttachTo::EjSiret(siret_b)).await;

    // Before any origin: only Enrôle's own pages (the preview) may frame the form.
    let (ancestors, xfo) = framing(&embed_page(&app, &format!("?finess={}", finess_of(61))).await);
    assert_eq!(ancestors, "'self'");
    assert_eq!(xfo, "", "X-Frame-Options cannot express a list");

    let added = json_body(
        add_origin(&app, &alice, ej_a, " HTTPS://Intranet.A.fr:443/ ").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(added["origin"], "https://intranet.a.fr");
    assert_eq!(added["insecure"], false);
    let plain = json_body(
        add_origin(&app, &alice, ej_a, "http://intra.a.local:8080").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(plain["insecure"], true);
    json_body(
        add_origin(&app, &bob, ej_b, "https://portail.b.fr").await,
        StatusCode::CREATED,
    )
    .await;

    let a = embed_page(&app, &format!("?finess={}", finess_of(61))).await;
    assert_eq!(
        framing(&a),
        (
            "'self' https://intranet.a.fr http://intra.a.local:8080".to_owned(),
            String::new()
        )
    );
    assert_eq!(header(&a, "cache-control"), "no-cache");
    let b = embed_page(&app, &format!("?finess={}", finess_of(62))).await;
    assert_eq!(framing(&b).0, "'self' https://portail.b.fr");

    // The host page's origin, when given, must be one of them.
    let with_parent = embed_page(
        &app,
        &format!(
            "?finess={}&parent=https%3A%2F%2Fportail.b.fr",
            finess_of(62)
        ),
    )
    .await;
    assert_eq!(framing(&with_parent).0, "'self' https://portail.b.fr");
    let wrong_parent = embed_page(
        &app,
        &format!(
            "?finess={}&parent=https%3A%2F%2Fintranet.a.fr",
            finess_of(62)
        ),
    )
    .await;
    assert_eq!(framing(&wrong_parent).0, "'none'");

    // An unknown or malformed FINESS: nobody.
    for query in [
        format!("?finess={}", finess_of(63)),
        "?finess=abc".to_owned(),
        String::new(),
    ] {
        let response = embed_page(&app, &query).await;
        assert_eq!(
            framing(&response),
            ("'none'".to_owned(), String::new()),
            "{query}"
        );
    }

    // Every other page keeps 'none' and X-Frame-Options.
    for path in [
        "/",
        "/preinscription",
        &format!("/preinscription?finess={}", finess_of(61)),
        "/gestion",
        "/api/v1/nomenclatures",
        "/integration",
        "/integration/formulaire/autre",
    ] {
        let response = app.get(path).await;
        assert_eq!(
            framing(&response),
            ("'none'".to_owned(), "DENY".to_owned()),
            "{path}"
        );
    }

    // Withdrawn: the origin no longer frames the form.
    let id = added["id"].as_i64().unwrap();
    let removed = app
        .client
        .delete(app.url(&format!("{ORIGINS}/{id}")))
        .header("origin", app.origin())
        .header("x-enrole-csrf", "1")
        .header("cookie", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let a = embed_page(&app, &format!("?finess={}", finess_of(61))).await;
    assert_eq!(framing(&a).0, "'self' http://intra.a.local:8080");

    // Both changes are in the audit log, by the gestionnaire, about the entité juridique.
    let audit = app.storage.recent_audit_entries(50).await.unwrap();
    let subject = format!("establishment:{ej_a}");
    let actions: Vec<&str> = audit
        .iter()
        .filter(|e| e.subject == subject && e.actor.starts_with("gestionnaire:"))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "embed_origin.remove",
            "embed_origin.add",
            "embed_origin.add"
        ]
    );
    assert_eq!(
        audit[0].details.0["before"]["origin"],
        "https://intranet.a.fr"
    );
}

#[tokio::test]
async fn origin_endpoints_are_scoped_to_the_gestionnaires_establishments() {
    let app = TestApp::spawn().await;
    let (siret_a, site_a) = establishment(&app, 71).await;
    let (_, site_b) = establishment(&app, 72).await;
    let (ej_a, ej_b) = (
        ej_of_site(&app, site_a).await,
        ej_of_site(&app, site_b).await,
    );
    let alice = app
        .signed_in("alice@a.fr", AttachTo::EjSiret(siret_a))
        .await;
    // Bob is attached to B's site only: he manages B's origins through it.
    let bob = app
        .signed_in("bob@b.fr", AttachTo::SiteFiness(finess_of(72)))
        .await;

    let a_origin = json_body(
        add_origin(&app, &alice, ej_a, "https://intranet.a.fr").await,
        StatusCode::CREATED,
    )
    .await;
    json_body(
        add_origin(&app, &bob, ej_b, "https://intranet.b.fr").await,
        StatusCode::CREATED,
    )
    .await;

    // Another entité juridique's origins: 404, as if they did not exist.
    assert_envelope(
        add_origin(&app, &bob, ej_a, "https://evil.fr").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_envelope(
        add_origin(&app, &bob, 999_999, "https://evil.fr").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let id = a_origin["id"].as_i64().unwrap();
    let stolen = app
        .client
        .delete(app.url(&format!("{ORIGINS}/{id}")))
        .header("origin", app.origin())
        .header("x-enrole-csrf", "1")
        .header("cookie", &bob)
        .send()
        .await
        .unwrap();
    assert_envelope(stolen, StatusCode::NOT_FOUND, "not_found").await;

    // Each sees their own entité juridique, its sites and origins, nothing of the other.
    let seen_by_bob = overview(&app, &bob).await;
    let entites = seen_by_bob["entites_juridiques"].as_array().unwrap();
    assert_eq!(entites.len(), 1, "{seen_by_bob}");
    assert_eq!(entites[0]["id"], ej_b);
    assert_eq!(entites[0]["sites"][0]["finess"], finess_of(72));
    assert_eq!(entites[0]["origines"][0]["origin"], "https://intranet.b.fr");
    assert!(
        seen_by_bob["enrole_origin"]
            .as_str()
            .unwrap()
            .starts_with("http://")
    );
    let seen_by_alice = overview(&app, &alice).await;
    assert_eq!(
        seen_by_alice["entites_juridiques"][0]["origines"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let a = embed_page(&app, &format!("?finess={}", finess_of(71))).await;
    assert_eq!(framing(&a).0, "'self' https://intranet.a.fr");

    // Without a session: 401; without the CSRF header: refused.
    assert_eq!(app.get(ORIGINS).await.status(), StatusCode::UNAUTHORIZED);
    let forged = app
        .client
        .post(app.url(ORIGINS))
        .header("cookie", &alice)
        .json(&json!({"entite_juridique_id": ej_a, "origin": "https://x.fr"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn invalid_or_duplicate_origins_get_a_field_error() {
    let app = TestApp::spawn().await;
    let (siret_a, site_a) = establishment(&app, 81).await;
    let ej_a = ej_of_site(&app, site_a).await;
    let alice = app
        .signed_in("alice@a.fr", AttachTo::EjSiret(siret_a))
        .await;
    for origin in [
        "",
        "intranet.a.fr",
        "https://*.a.fr",
        "https://intranet.a.fr/page",
        "https://moi@intranet.a.fr",
        "https://hôpital.fr",
        "https://a.fr 'unsafe-inline'",
    ] {
        let body = assert_envelope(
            add_origin(&app, &alice, ej_a, origin).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        )
        .await;
        // The same rule and message as in the browser.
        let expected = shared::embed::EmbedOrigin::parse(origin)
            .unwrap_err()
            .to_string();
        assert_eq!(
            body["error"]["fields"]["origin"][0],
            expected.as_str(),
            "{origin}"
        );
    }
    json_body(
        add_origin(&app, &alice, ej_a, "https://intranet.a.fr").await,
        StatusCode::CREATED,
    )
    .await;
    let body = assert_envelope(
        add_origin(&app, &alice, ej_a, "https://INTRANET.a.fr:443").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert!(
        body["error"]["fields"]["origin"][0]
            .as_str()
            .unwrap()
            .contains("déjà autorisée"),
        "{body}"
    );
}

#[tokio::test]
async fn the_loader_is_shared_with_other_origins_and_revalidated() {
    let app = TestApp::spawn().await;
    let response = app.get("/embed.js").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header(&response, "content-type").starts_with("text/javascript"));
    assert_eq!(
        header(&response, "cross-origin-resource-policy"),
        "cross-origin"
    );
    assert_eq!(
        header(&response, "cache-control"),
        "public, max-age=300, must-revalidate"
    );
    let etag = header(&response, "etag");
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    assert!(response.text().await.unwrap().contains("data-enrole-form"));
    let again = app
        .get_with("/embed.js", &[("if-none-match", etag.as_str())])
        .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // Every other response stays same-origin.
    let other = app.get("/api/v1/nomenclatures").await;
    assert_eq!(
        header(&other, "cross-origin-resource-policy"),
        "same-origin"
    );
}
