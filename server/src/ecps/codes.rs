//! The two codes of a challenge: drawn, stored as keyed hashes, checked, and sent (by email and by SMS) after the
//! answer.

use axum::http::StatusCode;
use shared::FieldErrors;
use shared::api as json;
use shared::ecps::{CodeChannel, OneTimeCode};

use super::sms;
use crate::error::ApiError;
use crate::mail::{self, Mailer, escape_html};
use crate::startup::AppState;
use crate::storage::NewEmail;
use crate::storage::ecps::{ChallengeAttempt, ChallengeRecord};
use crate::tokens;

/// A 6-digit code from the operating system's generator, uniformly drawn.
pub(super) fn new_code() -> String {
    loop {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes).unwrap_or_else(|err| panic!("no system randomness: {err}"));
        let n = u32::from_le_bytes(bytes);
        // Rejection sampling: 4_294_000_000 is a multiple of 10^6.
        if n < 4_294_000_000 {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// What is stored of a code: keyed with the challenge id, which only the client holds.
pub(super) fn code_hash(challenge_id: &str, channel: CodeChannel, code: &str) -> String {
    tokens::sha256_hex(format!("{challenge_id}:{}:{code}", channel.field()).as_bytes())
}

pub(super) fn too_many_codes(wait: time::Duration) -> ApiError {
    let minutes = wait.whole_minutes().max(0) + 1;
    ApiError::Coded {
        status: StatusCode::TOO_MANY_REQUESTS,
        code: "too_many_codes",
        message: format!(
            "Trop de codes ont été demandés en peu de temps : réessayez dans {minutes} minute(s)."
        ),
    }
}

pub(super) fn codes_refused(attempt: &ChallengeAttempt) -> ApiError {
    let (status, code, message) = match attempt {
        ChallengeAttempt::Expired => (
            StatusCode::GONE,
            "codes_expired",
            "Ces codes ont expiré : demandez-en de nouveaux.",
        ),
        ChallengeAttempt::Used => (
            StatusCode::CONFLICT,
            "codes_used",
            "Ces codes ont déjà servi : demandez-en de nouveaux.",
        ),
        ChallengeAttempt::Exhausted => (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "Trop d'essais avec des codes incorrects : ces codes ne sont plus valables, demandez-en de nouveaux.",
        ),
        ChallengeAttempt::Unknown | ChallengeAttempt::Open(_) => (
            StatusCode::CONFLICT,
            "codes_unknown",
            "Ces codes ne correspondent à aucune demande en cours : demandez de nouveaux codes.",
        ),
    };
    ApiError::Coded {
        status,
        code,
        message: message.to_owned(),
    }
}

/// Parses the codes the challenge expects; per-field errors otherwise.
pub(super) fn parse_codes(
    request: &json::CodesConfirm,
    email: bool,
    sms: bool,
) -> Result<(Option<OneTimeCode>, Option<OneTimeCode>), ApiError> {
    let mut errors = FieldErrors::new();
    let mut parse = |wanted: bool, typed: &str, channel: CodeChannel| {
        if !wanted {
            return None;
        }
        OneTimeCode::parse(typed, channel)
            .map_err(|err| errors.add(err.field(), err.to_string()))
            .ok()
    };
    let email_code = parse(email, &request.email_code, CodeChannel::Email);
    let sms_code = parse(sms, &request.sms_code, CodeChannel::Sms);
    if errors.is_empty() {
        Ok((email_code, sms_code))
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Compares the typed codes with the challenge's; `Err` names the wrong ones and the attempts left.
pub(super) fn check_codes(
    challenge_id: &str,
    record: &ChallengeRecord,
    email_code: Option<&OneTimeCode>,
    sms_code: Option<&OneTimeCode>,
    known: bool,
    max_attempts: i64,
) -> Result<(), ApiError> {
    let matches =
        |stored: &Option<String>, typed: Option<&OneTimeCode>, channel: CodeChannel| match (
            stored, typed,
        ) {
            (Some(stored), Some(typed)) => {
                known && *stored == code_hash(challenge_id, channel, typed.as_str())
            }
            (None, None) => true,
            _ => false,
        };
    let email_ok = matches(&record.email_code_hash, email_code, CodeChannel::Email);
    let sms_ok = matches(&record.sms_code_hash, sms_code, CodeChannel::Sms);
    if email_ok && sms_ok {
        return Ok(());
    }
    let mut fields = FieldErrors::new();
    if !email_ok {
        fields.add("email_code", "Le code reçu par email est incorrect.");
    }
    if !sms_ok {
        fields.add("sms_code", "Le code reçu par SMS est incorrect.");
    }
    let left = (max_attempts - record.attempts).max(0);
    let message = if left == 0 {
        "Code incorrect, et plus aucun essai : demandez de nouveaux codes.".to_owned()
    } else {
        format!("Code incorrect : il vous reste {left} essai(s).")
    };
    Err(ApiError::Validation { message, fields })
}

pub(super) fn code_email(recipient: &str, code: &str, minutes: i64, purpose: &str) -> NewEmail {
    let subject = format!("Enrôle : votre code e-CPS {code}");
    let text_body = format!(
        "Bonjour,\n\nVotre code pour {purpose} : {code}\n\nIl expire dans {minutes} minutes et ne sert qu'une fois. \
         Saisissez-le avec le code reçu par SMS. Ne le communiquez à personne : Enrôle ne vous le demandera jamais \
         par téléphone.\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n\nEnrôle\n"
    );
    let html_body = format!(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5; max-width: 40em\">\n<p>Bonjour,</p>\n\
         <p>Votre code pour {} : <strong style=\"font-size: 1.4em; letter-spacing: 0.1em\">{code}</strong></p>\n\
         <p>Il expire dans {minutes} minutes et ne sert qu'une fois. Saisissez-le avec le code reçu par SMS. Ne le \
         communiquez à personne : Enrôle ne vous le demandera jamais par téléphone.</p>\n\
         <p>Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.</p>\n<p>Enrôle</p>\n</body></html>\n",
        escape_html(&subject),
        escape_html(purpose),
    );
    NewEmail {
        recipient: recipient.to_owned(),
        subject,
        text_body,
        html_body,
    }
}

/// Sends the codes after the answer (so that known and unknown numbers take the same time); logs name the channel
/// and the outcome only.
pub(super) fn send_codes(
    state: &AppState,
    email: Option<(String, String)>,
    sms: Option<(String, String)>,
    purpose: &'static str,
) {
    let config = std::sync::Arc::clone(&state.config);
    tokio::spawn(async move {
        let minutes = i64::try_from(config.ecps.code_ttl.as_secs() / 60)
            .unwrap_or(10)
            .max(1);
        if let Some((recipient, code)) = email {
            let message = code_email(&recipient, &code, minutes, purpose);
            let mailer = Mailer::from_config(&config);
            match mail::send_now(&mailer, &config.mail.from, &message).await {
                Ok(()) => tracing::info!(channel = "email", "e-CPS code sent"),
                Err(error) => tracing::warn!(channel = "email", %error, "e-CPS code not sent"),
            }
        }
        if let Some((to, code)) = sms {
            let text = format!(
                "Enrôle : votre code pour {purpose} est {code}. Il expire dans {minutes} min. Ne le communiquez à \
                 personne."
            );
            match sms::SmsSender::from_config(&config).send(&to, &text).await {
                Ok(()) => tracing::info!(channel = "sms", "e-CPS code sent"),
                Err(error) => tracing::warn!(channel = "sms", %error, "e-CPS code not sent"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: Vec<String> = (0..50).map(|_| new_code()).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        let mut distinct = codes.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() > 40, "{codes:?}");
    }

    #[test]
    fn code_hashes_are_keyed_by_the_challenge_and_the_channel() {
        let a = code_hash("a", CodeChannel::Email, "123456");
        assert_eq!(a, code_hash("a", CodeChannel::Email, "123456"));
        assert_ne!(a, code_hash("b", CodeChannel::Email, "123456"));
        assert_ne!(a, code_hash("a", CodeChannel::Sms, "123456"));
        assert_ne!(a, tokens::sha256_hex(b"123456"));
    }
}
