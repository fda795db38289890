//! Typed client of the Enrôle API (`/api/v1`), over gloo-net.
//!
//! Every non-2xx answer becomes an [`ApiError`]; when the server sent its JSON error envelope, the envelope is kept so
//! that forms can show the per-field messages exactly as the server wrote them.

use std::fmt;

use gloo_net::http::Request;
use serde::de::DeserializeOwned;
use shared::api::{ErrorEnvelope, Nomenclatures};

/// Why a call to the API did not give the expected value.
#[derive(Clone, Debug)]
pub enum ApiError {
    /// The server refused the request and said why, in its error envelope.
    Server {
        status: u16,
        envelope: ErrorEnvelope,
    },
    /// A non-2xx answer without the envelope (a proxy, a server that is down or restarting).
    Status(u16),
    /// No answer at all: offline, connection refused, request aborted.
    Network,
    /// A 2xx answer whose body is not what this version of the app expects.
    Decode,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Server { envelope, .. } => f.write_str(&envelope.error.message),
            Self::Status(status) if *status >= 500 => write!(
                f,
                "Le service est momentanément indisponible (erreur {status}). Réessayez dans quelques minutes."
            ),
            Self::Status(status) => write!(f, "La demande n'a pas abouti (erreur {status})."),
            Self::Network => f.write_str(
                "Le service ne répond pas. Vérifiez votre connexion à Internet, puis réessayez.",
            ),
            Self::Decode => f.write_str(
                "La réponse du service est illisible. Rechargez la page : une nouvelle version est peut-être en ligne.",
            ),
        }
    }
}

impl std::error::Error for ApiError {}

/// Turns a received answer into the expected value or an [`ApiError`]; kept apart from the network so that it can be
/// tested natively.
pub fn decode<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        serde_json::from_str(body).map_err(|_| ApiError::Decode)
    } else {
        Err(match serde_json::from_str::<ErrorEnvelope>(body) {
            Ok(envelope) => ApiError::Server { status, envelope },
            Err(_) => ApiError::Status(status),
        })
    }
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    let body = response.text().await.map_err(|_| ApiError::Network)?;
    decode(response.status(), &body)
}

/// `GET /api/v1/nomenclatures`: rôles, métiers, modes d'exercice and civilités.
pub async fn nomenclatures() -> Result<Nomenclatures, ApiError> {
    get("/api/v1/nomenclatures").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_success_is_decoded() {
        let value: Vec<u8> = decode(200, "[1,2]").expect("a JSON list");
        assert_eq!(value, vec![1, 2]);
    }

    #[test]
    fn an_unexpected_success_body_is_a_decode_error() {
        assert!(matches!(
            decode::<Vec<u8>>(200, "<html>"),
            Err(ApiError::Decode)
        ));
    }

    #[test]
    fn an_error_envelope_keeps_the_server_message_and_fields() {
        let body = r#"{"error":{"code":"validation","message":"Vérifiez les champs signalés.",
            "fields":{"email":["L'adresse email doit contenir un @."]}}}"#;
        let error = decode::<Vec<u8>>(422, body).expect_err("an error");
        assert_eq!(error.to_string(), "Vérifiez les champs signalés.");
        let ApiError::Server { status, envelope } = error else {
            panic!("expected the server's envelope, got {error:?}");
        };
        assert_eq!(status, 422);
        assert_eq!(envelope.error.code, "validation");
        assert!(!envelope.error.fields.is_empty());
    }

    #[test]
    fn an_error_without_envelope_keeps_the_status() {
        let error = decode::<Vec<u8>>(502, "Bad Gateway").expect_err("an error");
        assert!(matches!(error, ApiError::Status(502)));
        assert!(error.to_string().contains("momentanément indisponible"));
        assert!(
            decode::<Vec<u8>>(404, "")
                .expect_err("an error")
                .to_string()
                .contains("404")
        );
    }
}
