//! `POST /api/v1/documents`: the copy of an identity document, sent as the raw request body (any
//! `Content-Type`; the type is decided by the content's magic bytes, never by a name or a header). Stored in the
//! database with its SHA-256; never served back publicly.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use shared::api as json;

use crate::client_ip::ClientIp;
use crate::error::{ApiError, ApiJson};
use crate::rate_limit::retry_after_secs;
use crate::startup::AppState;
use crate::storage::NewDocument;
use crate::tokens::sha256_hex;

/// The accepted types, by their first bytes.
pub fn sniff(content: &[u8]) -> Option<&'static str> {
    if content.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if content.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// Uploads the copy of an identity document.
#[utoipa::path(
    post,
    path = "/api/v1/documents",
    tag = "preinscriptions",
    request_body(
        description = "Le fichier lui-même, en corps brut (pas de multipart) : PDF, JPEG ou PNG, reconnu par son \
                       contenu ; au plus ENROLE_MAX_DOCUMENT_BYTES octets (5 Mio par défaut). Le Content-Type \
                       envoyé est ignoré.",
        content_type = "application/octet-stream",
        content = Vec<u8>,
    ),
    responses(
        (status = 201, description = "Document enregistré ; son identifiant est à joindre à la demande", body = json::DocumentUploaded),
        (status = 413, description = "Fichier trop volumineux", body = json::ErrorEnvelope),
        (status = 422, description = "Fichier vide ou d'un type non accepté", body = json::ErrorEnvelope),
        (status = 429, description = "Trop d'envois depuis cette adresse (en-tête Retry-After)", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn upload(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, ApiJson<json::DocumentUploaded>), ApiError> {
    state
        .limits
        .documents
        .check(client)
        .map_err(|wait| ApiError::TooManyRequests {
            retry_after_secs: retry_after_secs(wait),
        })?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest("Le fichier n'a pas pu être lu : envoyez-le à nouveau.".to_owned())
        }
    })?;
    if body.len() > state.config.intake.max_document_bytes {
        return Err(ApiError::PayloadTooLarge);
    }
    if body.is_empty() {
        return Err(ApiError::field("document", "Le fichier envoyé est vide."));
    }
    let content_type = sniff(&body).ok_or_else(|| {
        ApiError::field(
            "document",
            "Ce fichier n'est ni un PDF, ni une image JPEG ou PNG : envoyez une photo ou un scan de votre \
             pièce d'identité dans l'un de ces formats.",
        )
    })?;
    let document = NewDocument {
        id: uuid::Uuid::new_v4().to_string(),
        content_type,
        sha256: sha256_hex(&body),
        content: body.to_vec(),
    };
    state.storage.insert_document(&document).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(json::DocumentUploaded {
            id: document.id,
            content_type: content_type.to_owned(),
            size: document.content.len() as u64,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_content() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some("image/jpeg")
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"just text, named photo.png"), None);
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b""), None);
    }
}
