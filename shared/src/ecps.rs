//! e-CPS one-time codes: six digits, one sent by email and one by SMS, typed with or without spaces.

use std::fmt;

/// Digits of a one-time code.
pub const CODE_DIGITS: usize = 6;

/// Where a code was sent; names the field it is typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeChannel {
    Email,
    Sms,
}

impl CodeChannel {
    /// The input field (in the API and the form).
    pub fn field(self) -> &'static str {
        match self {
            Self::Email => "email_code",
            Self::Sms => "sms_code",
        }
    }

    fn received(self) -> &'static str {
        match self {
            Self::Email => "reçu par email",
            Self::Sms => "reçu par SMS",
        }
    }
}

/// Why a typed code is not a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OneTimeCodeError {
    #[error("Saisissez le code {}.", .0.received())]
    Missing(CodeChannel),
    #[error("Le code {} comporte {CODE_DIGITS} chiffres.", .0.received())]
    Format(CodeChannel),
}

impl OneTimeCodeError {
    pub fn field(self) -> &'static str {
        match self {
            Self::Missing(channel) | Self::Format(channel) => channel.field(),
        }
    }
}

/// Six ASCII digits.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(String);

impl OneTimeCode {
    /// Accepts the six digits with spaces, dots or dashes between them (as a phone may group them).
    pub fn parse(s: &str, channel: CodeChannel) -> Result<Self, OneTimeCodeError> {
        let kept: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}' | '\u{202f}'))
            .collect();
        if kept.is_empty() {
            return Err(OneTimeCodeError::Missing(channel));
        }
        if kept.len() != CODE_DIGITS || !kept.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OneTimeCodeError::Format(channel));
        }
        Ok(Self(kept))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// A code is a secret: never printed by `{:?}`.
impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode(******)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_with_separators_are_a_code() {
        for typed in ["123456", " 123 456 ", "12-34-56", "12.34.56"] {
            let code = OneTimeCode::parse(typed, CodeChannel::Sms);
            assert_eq!(code.map(|c| c.as_str().to_owned()), Ok("123456".to_owned()));
        }
    }

    #[test]
    fn anything_else_names_the_field_in_french() {
        assert_eq!(
            OneTimeCode::parse("  ", CodeChannel::Email),
            Err(OneTimeCodeError::Missing(CodeChannel::Email))
        );
        for typed in ["12345", "1234567", "12345a", "１２３４５６"] {
            let err = OneTimeCode::parse(typed, CodeChannel::Sms).expect_err(typed);
            assert_eq!(err.field(), "sms_code");
            assert_eq!(err.to_string(), "Le code reçu par SMS comporte 6 chiffres.");
        }
        assert_eq!(
            OneTimeCodeError::Missing(CodeChannel::Email).to_string(),
            "Saisissez le code reçu par email."
        );
        assert!(!format!("{:?}", OneTimeCode::parse("123456", CodeChannel::Sms)).contains("123"));
    }
}
