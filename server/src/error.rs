//! The one API error type and its JSON envelope:
//! `{"error":{"code":"validation","message":"…","fields":{"q":["…"]}}}`.
//!
//! Database and internal failures are logged here and answered with an opaque message; nothing about the
//! database, the SQL or the code leaks to the client.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::FieldErrors;
use shared::api::{ErrorBody, ErrorEnvelope};

use crate::establishments::EstablishmentError;
use crate::storage::StorageError;

/// The message of every 500 answer.
pub const INTERNAL_MESSAGE: &str = "Une erreur interne est survenue.";

/// Everything a handler can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Invalid input, per field (422).
    #[error("invalid input")]
    Validation {
        message: String,
        fields: FieldErrors,
    },
    /// The request cannot be read (400), e.g. malformed JSON.
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    /// No valid session (401).
    #[error("unauthenticated")]
    Unauthenticated,
    /// Wrong address or password (401), one constant answer.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Refused (403), e.g. the CSRF check.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Too many failed sign-ins (429, with `Retry-After`).
    #[error("sign-in locked")]
    Locked { retry_after_secs: u64 },
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The data conflicts with what is stored (409), per field.
    #[error("conflict")]
    Conflict {
        message: String,
        fields: FieldErrors,
    },
    #[error("payload too large")]
    PayloadTooLarge,
    /// One client address sent too many requests (429, with `Retry-After`).
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// The same request is still being processed (409, with `Retry-After`).
    #[error("request in progress")]
    InProgress { retry_after_secs: u64 },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("request timed out")]
    Timeout,
    /// A dependency (the database) does not answer (503).
    #[error("service unavailable")]
    Unavailable,
    /// A refusal with its own machine code, for a client that acts on it (e.g. `reauthentication_required`).
    #[error("refused: {code}")]
    Coded {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("storage failure")]
    Storage(#[from] StorageError),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A validation error with the standard message.
    pub fn validation(fields: FieldErrors) -> Self {
        Self::Validation {
            message: "Certaines informations sont invalides : corrigez les champs signalés."
                .to_owned(),
            fields,
        }
    }

    /// A validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.add(field, message);
        Self::validation(fields)
    }

    /// The envelope for a response produced without a handler (router 404/405, body limit, timeout…).
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::TOO_MANY_REQUESTS => Self::TooManyRequests {
                retry_after_secs: 60,
            },
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => Self::Timeout,
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable,
            s if s.is_client_error() => Self::BadRequest("La requête est invalide.".to_owned()),
            _ => Self::Internal(anyhow::anyhow!("unexpected status {status}")),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthenticated | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Locked { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::InProgress { .. } => StatusCode::CONFLICT,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Timeout | Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Coded { status, .. } => *status,
            Self::Storage(err) if err.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            Self::Storage(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "validation",
            Self::BadRequest(_) => "bad_request",
            Self::NotFound => "not_found",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden(_) => "forbidden",
            Self::Locked { .. } => "locked",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict { .. } => "conflict",
            Self::PayloadTooLarge => "payload_too_large",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::InProgress { .. } => "in_progress",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Timeout => "timeout",
            Self::Unavailable => "unavailable",
            Self::Coded { code, .. } => code,
            Self::Storage(err) if err.is_unavailable() => "unavailable",
            Self::Storage(_) | Self::Internal(_) => "internal",
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Validation { message, .. }
            | Self::Conflict { message, .. }
            | Self::BadRequest(message)
            | Self::Forbidden(message)
            | Self::Coded { message, .. } => message.clone(),
            Self::Unauthenticated => {
                "Vous n'êtes pas connecté, ou votre session a expiré : connectez-vous.".to_owned()
            }
            Self::InvalidCredentials => "Adresse ou mot de passe incorrect.".to_owned(),
            Self::Locked { retry_after_secs } => format!(
                "Trop de tentatives de connexion : réessayez dans {} minute(s).",
                retry_after_secs.div_ceil(60).max(1)
            ),
            Self::NotFound => "Cette adresse n'existe pas dans l'API.".to_owned(),
            Self::MethodNotAllowed => {
                "Cette méthode HTTP n'est pas acceptée pour cette adresse.".to_owned()
            }
            Self::PayloadTooLarge => {
                "Le corps de la requête dépasse la taille maximale acceptée.".to_owned()
            }
            Self::TooManyRequests { .. } => {
                "Trop de demandes ont été envoyées depuis cette adresse. Réessayez un peu plus tard.".to_owned()
            }
            Self::InProgress { .. } => {
                "Cette demande est encore en cours de traitement. Réessayez dans un instant.".to_owned()
            }
            Self::UnsupportedMediaType => {
                "Le corps de la requête doit être envoyé en JSON (Content-Type: application/json)."
                    .to_owned()
            }
            Self::Timeout => {
                "La requête a pris trop de temps. Réessayez dans un instant.".to_owned()
            }
            Self::Unavailable => {
                "Le service est momentanément indisponible. Réessayez dans un instant.".to_owned()
            }
            Self::Storage(err) if err.is_unavailable() => {
                "Le service est momentanément indisponible. Réessayez dans un instant.".to_owned()
            }
            Self::Storage(_) | Self::Internal(_) => INTERNAL_MESSAGE.to_owned(),
        }
    }

    /// The wire envelope of this error.
    pub fn envelope(&self) -> ErrorEnvelope {
        let fields = match self {
            Self::Validation { fields, .. } | Self::Conflict { fields, .. } => fields.clone(),
            _ => FieldErrors::new(),
        };
        ErrorEnvelope {
            error: ErrorBody {
                code: self.code().to_owned(),
                message: self.message(),
                fields,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Storage(err) => tracing::error!(error = ?err, "storage failure"),
            Self::Internal(err) => tracing::error!(error = ?err, "internal error"),
            _ => {}
        }
        let retry_after = match &self {
            Self::TooManyRequests { retry_after_secs }
            | Self::InProgress { retry_after_secs }
            | Self::Locked { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let body = serde_json::to_vec(&self.envelope()).unwrap_or_else(|_| {
            br#"{"error":{"code":"internal","message":"Une erreur interne est survenue."}}"#
                .to_vec()
        });
        let mut response = (
            status,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs.max(1)));
        }
        response
    }
}

impl From<EstablishmentError> for ApiError {
    fn from(err: EstablishmentError) -> Self {
        match err {
            EstablishmentError::Invalid(fields) => Self::validation(fields),
            EstablishmentError::Duplicate(constraint) => {
                let mut fields = FieldErrors::new();
                fields.add(constraint.field(), constraint.message());
                Self::Conflict {
                    message: constraint.message().to_owned(),
                    fields,
                }
            }
            EstablishmentError::DuplicateUnknown => Self::Conflict {
                message: "Cet identifiant est déjà enregistré.".to_owned(),
                fields: FieldErrors::new(),
            },
            EstablishmentError::EstablishmentNotFound => Self::NotFound,
            EstablishmentError::Storage(err) => Self::Storage(err),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonSyntaxError(_) => {
                Self::BadRequest("Le corps de la requête n'est pas un document JSON valide.".to_owned())
            }
            JsonRejection::JsonDataError(_) => Self::Validation {
                message: "Le corps de la requête ne correspond pas au format attendu (champ manquant ou de \
                          mauvais type)."
                    .to_owned(),
                fields: FieldErrors::new(),
            },
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedMediaType,
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            _ => Self::BadRequest("Le corps de la requête n'a pas pu être lu.".to_owned()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(_: QueryRejection) -> Self {
        Self::BadRequest("Les paramètres de l'adresse sont invalides.".to_owned())
    }
}

/// `Json` whose rejection is an [`ApiError`]: a malformed body gets the usual envelope.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `Query` whose rejection is an [`ApiError`].
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;

    #[derive(serde::Deserialize, serde::Serialize)]
    struct Payload {
        nom: String,
    }

    async fn echo(ApiJson(payload): ApiJson<Payload>) -> ApiJson<Payload> {
        ApiJson(payload)
    }

    async fn send(body: &str, content_type: Option<&str>) -> (StatusCode, serde_json::Value) {
        let mut request = Request::post("/echo");
        if let Some(ct) = content_type {
            request = request.header(header::CONTENT_TYPE, ct);
        }
        let response = Router::new()
            .route("/echo", post(echo))
            .oneshot(request.body(Body::from(body.to_owned())).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let bytes = to_bytes(response.into_body(), 1 << 20).await.expect("body");
        (status, serde_json::from_slice(&bytes).expect("json body"))
    }

    #[tokio::test]
    async fn malformed_json_gets_the_french_envelope() {
        let cases = [
            ("{not json", Some("application/json"), 400, "bad_request"),
            (r#"{"nom": 3}"#, Some("application/json"), 422, "validation"),
            (r#"{"nom": "x"}"#, None, 415, "unsupported_media_type"),
        ];
        for (body, content_type, status, code) in cases {
            let (got_status, json) = send(body, content_type).await;
            assert_eq!(got_status.as_u16(), status, "{body}");
            assert_eq!(json["error"]["code"], code, "{body}");
            let message = json["error"]["message"].as_str().expect("message");
            assert!(message.starts_with("Le corps"), "{message}");
        }
        let (status, json) = send(r#"{"nom": "x"}"#, Some("application/json")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(json["nom"], "x");
    }

    #[test]
    fn internal_errors_are_opaque() {
        let err = ApiError::Internal(anyhow::anyhow!("secret SQL detail"));
        let envelope = serde_json::to_string(&err.envelope()).expect("json");
        assert!(!envelope.contains("secret"));
        assert!(envelope.contains(INTERNAL_MESSAGE));
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
