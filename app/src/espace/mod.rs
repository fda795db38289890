//! The professional's space: e-CPS activation or sign-in with two codes (`/activation`) and their own data
//! (`/mon-espace`). The plain-Rust logic behind the pages lives here (tested natively); the pages are in [`pages`].

pub mod pages;

use shared::contact::{Email, MobilePhone};
use shared::ecps::{CodeChannel, OneTimeCode};
use shared::names::{NameField, PersonName};

use crate::api::ApiError;

/// One error of a form: the field's id and the message (for the error summary and the field itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn error(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// Checks the RPPS number before asking for codes.
pub fn check_rpps(typed: &str) -> Vec<FieldError> {
    match shared::ids::Rpps::parse(typed) {
        Ok(_) => Vec::new(),
        Err(err) => vec![error("rpps", err.to_string())],
    }
}

/// Checks the codes a challenge expects (the fields are `email_code` and `sms_code`).
pub fn check_codes(email: Option<&str>, sms: Option<&str>) -> Vec<FieldError> {
    [(email, CodeChannel::Email), (sms, CodeChannel::Sms)]
        .into_iter()
        .filter_map(|(typed, channel)| {
            let typed = typed?;
            OneTimeCode::parse(typed, channel)
                .err()
                .map(|err| error(err.field(), err.to_string()))
        })
        .collect()
}

/// Checks a contact change: at least one new value, each valid and different from the current one.
pub fn check_contact(
    email: &str,
    mobile: &str,
    current_email: &str,
    current_mobile: &str,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !email.trim().is_empty() {
        match Email::parse(email) {
            Ok(parsed) if parsed.as_str() == current_email => {
                errors.push(error("email", "C'est déjà votre adresse email."));
            }
            Ok(_) => {}
            Err(err) => errors.push(error("email", err.to_string())),
        }
    }
    if !mobile.trim().is_empty() {
        let current = MobilePhone::parse(current_mobile).ok();
        match MobilePhone::parse(mobile) {
            Ok(parsed) if Some(&parsed) == current.as_ref() => {
                errors.push(error("mobile", "C'est déjà votre numéro de mobile."));
            }
            Ok(_) => {}
            Err(err) => errors.push(error("mobile", err.to_string())),
        }
    }
    if errors.is_empty() && email.trim().is_empty() && mobile.trim().is_empty() {
        errors.push(error(
            "email",
            "Indiquez une nouvelle adresse email, un nouveau numéro de mobile, ou les deux.",
        ));
    }
    errors
}

/// Checks the nom and prénom d'exercice.
pub fn check_exercice(nom: &str, prenom: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Err(err) = PersonName::parse_field(nom, NameField::NomExercice) {
        errors.push(error("nom_exercice", err.to_string()));
    }
    if let Err(err) = PersonName::parse_field(prenom, NameField::PrenomExercice) {
        errors.push(error("prenom_exercice", err.to_string()));
    }
    errors
}

/// Field errors from the server's envelope, for the fields of one form.
pub fn server_field_errors(error: &ApiError, fields: &[&'static str]) -> Vec<FieldError> {
    let ApiError::Server { envelope, .. } = error else {
        return Vec::new();
    };
    fields
        .iter()
        .filter_map(|field| {
            envelope
                .error
                .fields
                .get(field)
                .and_then(|messages| messages.first())
                .map(|message| FieldError {
                    field,
                    message: message.clone(),
                })
        })
        .collect()
}

/// The machine code of the server's refusal (`codes_expired`, `reauthentication_required`…).
pub fn error_code(error: &ApiError) -> Option<&str> {
    match error {
        ApiError::Server { envelope, .. } => Some(envelope.error.code.as_str()),
        _ => None,
    }
}

/// Whether the refusal means the codes can no longer be used: new codes are needed.
pub fn needs_new_codes(error: &ApiError) -> bool {
    matches!(
        error_code(error),
        Some("codes_expired" | "codes_used" | "codes_unknown" | "too_many_attempts")
    )
}

/// `AAAA-MM-JJ` (or an RFC 3339 time) as `JJ/MM/AAAA`; anything else as is.
pub fn french_date(iso: &str) -> String {
    let date = iso.get(..10).unwrap_or(iso);
    let parts: Vec<&str> = date.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => format!("{d}/{m}/{y}"),
        _ => iso.to_owned(),
    }
}

/// The period of a situation, in words.
pub fn period(debut: &str, fin: Option<&str>) -> String {
    match fin {
        Some(fin) => format!("Du {} au {}", french_date(debut), french_date(fin)),
        None => format!("Depuis le {}", french_date(debut)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::api::ErrorEnvelope;

    #[test]
    fn the_rpps_number_is_checked_with_its_key() {
        let valid = shared::ids::Rpps::allocate_in(9, 1).map(|r| check_rpps(r.as_str()));
        assert_eq!(valid, Some(Vec::new()));
        let errors = check_rpps("123");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "rpps");
        assert!(!check_rpps("").is_empty());
    }

    #[test]
    fn only_the_expected_codes_are_checked() {
        assert!(check_codes(Some("123 456"), Some("654321")).is_empty());
        let errors = check_codes(Some("12"), None);
        assert_eq!(
            errors,
            vec![error(
                "email_code",
                "Le code reçu par email comporte 6 chiffres."
            )]
        );
        assert_eq!(
            check_codes(None, Some(""))[0].message,
            "Saisissez le code reçu par SMS."
        );
    }

    #[test]
    fn a_contact_change_needs_a_new_valid_value() {
        let current = ("awa@exemple.fr", "+33612345678");
        assert_eq!(
            check_contact("", "", current.0, current.1)[0].field,
            "email"
        );
        assert!(check_contact("", "07 11 22 33 44", current.0, current.1).is_empty());
        assert_eq!(
            check_contact("", "06 12 34 56 78", current.0, current.1)[0].message,
            "C'est déjà votre numéro de mobile."
        );
        assert_eq!(
            check_contact("awa@EXEMPLE.fr", "", current.0, current.1)[0].message,
            "C'est déjà votre adresse email."
        );
        let both = check_contact("pas-une-adresse", "01 23 45 67 89", current.0, current.1);
        assert_eq!(
            both.iter().map(|e| e.field).collect::<Vec<_>>(),
            ["email", "mobile"]
        );
    }

    #[test]
    fn names_are_checked_like_on_the_server() {
        assert!(check_exercice("N'Diaye-Martin", "Awa").is_empty());
        let errors = check_exercice("", "A1");
        assert_eq!(errors[0].message, "Le nom d'exercice est obligatoire.");
        assert_eq!(errors[1].field, "prenom_exercice");
    }

    #[test]
    fn refusals_are_read_from_the_envelope() {
        let refused = ApiError::Server {
            status: 410,
            envelope: ErrorEnvelope::new("codes_expired", "Ces codes ont expiré."),
        };
        assert_eq!(error_code(&refused), Some("codes_expired"));
        assert!(needs_new_codes(&refused));
        assert!(!needs_new_codes(&ApiError::Network));
        let mut fields = shared::FieldErrors::new();
        fields.add("sms_code", "Le code reçu par SMS est incorrect.");
        let wrong = ApiError::Server {
            status: 422,
            envelope: ErrorEnvelope::validation(fields),
        };
        assert_eq!(
            server_field_errors(&wrong, &["email_code", "sms_code"]),
            vec![error("sms_code", "Le code reçu par SMS est incorrect.")]
        );
    }

    #[test]
    fn dates_and_periods_read_in_french() {
        assert_eq!(french_date("2024-09-01"), "01/09/2024");
        assert_eq!(french_date("2026-11-26T12:00:00Z"), "26/11/2026");
        assert_eq!(french_date("bientôt"), "bientôt");
        assert_eq!(period("2024-09-01", None), "Depuis le 01/09/2024");
        assert_eq!(
            period("2024-09-01", Some("2025-01-31")),
            "Du 01/09/2024 au 31/01/2025"
        );
    }
}
