//! Shared helpers of the pre-registration tests: a site, a document, a valid request.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, finess, json_body, siret};

/// The smallest PNG signature followed by some bytes.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

pub const NOTICE_VERSION: &str = "2026-11-26.1";

/// A site registered in Enrôle: (site id, its FINESS).
pub async fn site(app: &TestApp) -> (i64, String) {
    let ej = app
        .create_establishment("Association Les Tilleuls", Some(&siret(7)), None)
        .await;
    let site = app
        .add_site(&ej, "EHPAD Les Tilleuls", &finess(701), "Toulouse")
        .await;
    (site.id, finess(701))
}

impl TestApp {
    pub async fn upload_document(&self, content: &[u8], content_type: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/documents"))
            .header("content-type", content_type)
            .body(content.to_vec())
            .send()
            .await
            .expect("POST document")
    }

    /// Uploads a PNG and answers its id.
    pub async fn document_id(&self) -> String {
        let body = json_body(
            self.upload_document(PNG, "image/png").await,
            StatusCode::CREATED,
        )
        .await;
        body["id"].as_str().expect("id").to_owned()
    }

    pub async fn submit(&self, key: Option<&str>, body: &Value) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url("/api/v1/pre-registrations"))
            .header("user-agent", "Mozilla/5.0 (Linux; Android 14) test")
            .json(body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send().await.expect("POST pre-registration")
    }
}

/// A valid request for `site`, with `document_id`.
pub fn valid_request(site_id: i64, finess: &str, document_id: &str) -> Value {
    json!({
        "civilite": "MME",
        "nom_naissance": "N'Diaye",
        "prenoms": ["Awa", "Marie-Louise"],
        "date_naissance": "1988-11-03",
        "lieu_naissance": {"commune_cog": "2A004"},
        "email": "awa.ndiaye@exemple.fr",
        "email_confirmation": "awa.ndiaye@exemple.fr",
        "mobile": "06 12 34 56 78",
        "situation": {
            "finess": finess,
            "nom_exercice": "Martin",
            "prenom_exercice": "Awa",
            "metier": "328",
            "role": "GENR11",
            "mode_exercice": "S",
            "date_prise_fonction": "2024-09-01"
        },
        "rpps_existant": null,
        "notice_version": NOTICE_VERSION,
        "site_id": site_id,
        "document_id": document_id
    })
}

/// A new idempotency key.
pub fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}
