//! The origin of an establishment's intranet page allowed to embed the pre-registration form.
//!
//! It ends up verbatim in a `Content-Security-Policy: frame-ancestors` header and as the target of
//! `postMessage`: one scheme, one host, one port, nothing a browser would read as a wildcard, a path
//! or a second source.

use serde::{Deserialize, Serialize};

use crate::string_form;

/// Longest origin accepted, in characters (a DNS name is at most 253).
pub const MAX_ORIGIN_CHARS: usize = 300;

/// `http://host[:port]` or `https://host[:port]`, lower-cased, default port dropped, no trailing
/// slash: the serialisation browsers give to `window.origin` and `event.origin`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmbedOrigin(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmbedOriginError {
    #[error("L'origine est obligatoire, par exemple https://intranet.exemple.fr.")]
    Missing,
    #[error("L'origine ne doit pas dépasser 300 caractères.")]
    TooLong,
    #[error(
        "L'origine doit commencer par https:// (ou http:// pour un intranet interne), par exemple \
         https://intranet.exemple.fr."
    )]
    Scheme,
    #[error(
        "L'origine ne comprend que le protocole, le nom de la machine et éventuellement le port, \
         sans chemin, paramètre ni « # » : par exemple https://intranet.exemple.fr, pas \
         https://intranet.exemple.fr/accueil."
    )]
    Path,
    #[error("L'origine ne doit contenir ni identifiant ni mot de passe (pas de « @ »).")]
    UserInfo,
    #[error("L'origine doit désigner une seule machine : le caractère « * » n'est pas accepté.")]
    Wildcard,
    #[error(
        "Le nom de la machine n'est pas valide : lettres sans accent, chiffres, traits d'union et \
         points (un nom accentué s'écrit sous sa forme xn--), ou une adresse IP."
    )]
    Host,
    #[error("Le port doit être un nombre entre 1 et 65535.")]
    Port,
}

impl EmbedOrigin {
    pub fn parse(s: &str) -> Result<Self, EmbedOriginError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(EmbedOriginError::Missing);
        }
        if s.chars().count() > MAX_ORIGIN_CHARS {
            return Err(EmbedOriginError::TooLong);
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmbedOriginError::Host);
        }
        let lower = s.to_ascii_lowercase();
        let (scheme, rest) = if let Some(rest) = lower.strip_prefix("https://") {
            ("https", rest)
        } else if let Some(rest) = lower.strip_prefix("http://") {
            ("http", rest)
        } else {
            return Err(EmbedOriginError::Scheme);
        };
        // One trailing slash is what a copied address bar often ends with; anything after it is a path.
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '\\']) {
            return Err(EmbedOriginError::Path);
        }
        if rest.contains('@') {
            return Err(EmbedOriginError::UserInfo);
        }
        if rest.contains('*') {
            return Err(EmbedOriginError::Wildcard);
        }
        let (host, port) = split_port(rest)?;
        let host = if host.starts_with('[') {
            ipv6(host)?
        } else {
            dns_or_ipv4(host)?
        };
        let default = if scheme == "https" { 443 } else { 80 };
        Ok(Self(match port {
            Some(port) if port != default => format!("{scheme}://{host}:{port}"),
            _ => format!("{scheme}://{host}"),
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Plain `http`: the form's data would cross the network unencrypted on the intranet side.
    pub fn is_insecure(&self) -> bool {
        self.0.starts_with("http://")
    }
}

string_form!(EmbedOrigin, EmbedOriginError, as_str);

/// `host[:port]` → host and the port if present.
fn split_port(rest: &str) -> Result<(&str, Option<u16>), EmbedOriginError> {
    // An IPv6 literal holds colons of its own: the port comes after the closing bracket.
    let split_at = if rest.starts_with('[') {
        match rest.find(']') {
            Some(end) if end + 1 == rest.len() => None,
            Some(end) if rest[end + 1..].starts_with(':') => Some(end + 1),
            _ => return Err(EmbedOriginError::Host),
        }
    } else {
        rest.rfind(':')
    };
    let Some(at) = split_at else {
        return Ok((rest, None));
    };
    let (host, port) = (&rest[..at], &rest[at + 1..]);
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EmbedOriginError::Port);
    }
    match port.parse::<u16>() {
        Ok(port) if port > 0 => Ok((host, Some(port))),
        _ => Err(EmbedOriginError::Port),
    }
}

fn dns_or_ipv4(host: &str) -> Result<String, EmbedOriginError> {
    // An internationalised name is accepted only in its ASCII (punycode) form: the browser sends that form in
    // `event.origin` and expects it in `frame-ancestors`.
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok) {
        return Err(EmbedOriginError::Host);
    }
    let labels: Vec<&str> = host.split('.').collect();
    let numeric = labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit()));
    if numeric && (labels.len() != 4 || labels.iter().any(|l| l.parse::<u8>().is_err())) {
        // 10.1 or 300.1.1.1 would be read by a browser as another address, or not at all.
        return Err(EmbedOriginError::Host);
    }
    if numeric && labels.iter().any(|l| l.len() > 1 && l.starts_with('0')) {
        return Err(EmbedOriginError::Host);
    }
    Ok(host.to_owned())
}

fn ipv6(host: &str) -> Result<String, EmbedOriginError> {
    let inner = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .ok_or(EmbedOriginError::Host)?;
    // Parsed only to reject what is not an address; browsers serialise it in its shortest form, which
    // `Ipv6Addr`'s `Display` also gives.
    let address: std::net::Ipv6Addr = inner.parse().map_err(|_| EmbedOriginError::Host)?;
    Ok(format!("[{address}]"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_french_message;

    fn ok(input: &str) -> String {
        EmbedOrigin::parse(input)
            .unwrap_or_else(|e| panic!("{input}: {e}"))
            .to_string()
    }

    fn err(input: &str) -> EmbedOriginError {
        match EmbedOrigin::parse(input) {
            Ok(origin) => panic!("{input} accepted as {origin}"),
            Err(e) => e,
        }
    }

    #[test]
    fn origins_are_normalised_as_browsers_serialise_them() {
        for (input, expected) in [
            ("https://intranet.exemple.fr", "https://intranet.exemple.fr"),
            (
                "  HTTPS://Intranet.Exemple.FR/  ",
                "https://intranet.exemple.fr",
            ),
            (
                "https://intranet.exemple.fr:443",
                "https://intranet.exemple.fr",
            ),
            ("http://intranet.local:80", "http://intranet.local"),
            ("http://intranet.local:8080", "http://intranet.local:8080"),
            (
                "https://intranet.exemple.fr:80",
                "https://intranet.exemple.fr:80",
            ),
            ("http://127.0.0.1:4321", "http://127.0.0.1:4321"),
            ("http://localhost", "http://localhost"),
            ("https://xn--hpital-gva.fr", "https://xn--hpital-gva.fr"),
            ("http://[::1]:8080", "http://[::1]:8080"),
            ("http://[0:0:0:0:0:0:0:1]", "http://[::1]"),
        ] {
            assert_eq!(ok(input), expected, "{input}");
        }
    }

    #[test]
    fn anything_but_an_origin_is_refused_with_its_reason() {
        for (input, expected) in [
            ("", EmbedOriginError::Missing),
            ("   ", EmbedOriginError::Missing),
            ("intranet.exemple.fr", EmbedOriginError::Scheme),
            ("ftp://intranet.exemple.fr", EmbedOriginError::Scheme),
            ("javascript:alert(1)", EmbedOriginError::Scheme),
            ("data:text/html,x", EmbedOriginError::Scheme),
            ("//intranet.exemple.fr", EmbedOriginError::Scheme),
            ("https:intranet.exemple.fr", EmbedOriginError::Scheme),
            (
                "https://intranet.exemple.fr/accueil",
                EmbedOriginError::Path,
            ),
            ("https://intranet.exemple.fr//", EmbedOriginError::Path),
            ("https://intranet.exemple.fr?x=1", EmbedOriginError::Path),
            ("https://intranet.exemple.fr#x", EmbedOriginError::Path),
            ("https://intranet.exemple.fr\\x", EmbedOriginError::Path),
            (
                "https://moi:secret@intranet.exemple.fr",
                EmbedOriginError::UserInfo,
            ),
            ("https://*.exemple.fr", EmbedOriginError::Wildcard),
            ("https://*", EmbedOriginError::Wildcard),
            ("https://intranet.exemple.fr:*", EmbedOriginError::Wildcard),
            ("https://hôpital.fr", EmbedOriginError::Host),
            ("https://intra net.fr", EmbedOriginError::Host),
            ("https://a.fr https://b.fr", EmbedOriginError::Host),
            ("https://a.fr;script-src", EmbedOriginError::Host),
            ("https://'self'", EmbedOriginError::Host),
            ("https://-intranet.fr", EmbedOriginError::Host),
            ("https://intranet..fr", EmbedOriginError::Host),
            // Browsers keep a trailing dot in the origin: one spelling only.
            ("https://intranet.exemple.fr.", EmbedOriginError::Host),
            ("https://", EmbedOriginError::Host),
            ("https://:8080", EmbedOriginError::Host),
            ("http://10.1", EmbedOriginError::Host),
            ("http://300.1.1.1", EmbedOriginError::Host),
            ("http://010.0.0.1", EmbedOriginError::Host),
            ("http://[::1", EmbedOriginError::Host),
            ("http://[nope]", EmbedOriginError::Host),
            ("https://intranet.fr:", EmbedOriginError::Port),
            ("https://intranet.fr:0", EmbedOriginError::Port),
            ("https://intranet.fr:65536", EmbedOriginError::Port),
            ("https://intranet.fr:8o", EmbedOriginError::Port),
            ("https://intranet.fr:+80", EmbedOriginError::Port),
        ] {
            assert_eq!(err(input), expected, "{input}");
        }
        let long = format!("https://{}.fr", "a".repeat(MAX_ORIGIN_CHARS));
        assert_eq!(err(&long), EmbedOriginError::TooLong);
        let long_label = format!("https://{}.fr", "a".repeat(64));
        assert_eq!(err(&long_label), EmbedOriginError::Host);
    }

    #[test]
    fn plain_http_is_flagged_insecure() {
        assert!(EmbedOrigin::parse("http://intranet.local").is_ok_and(|o| o.is_insecure()));
        assert!(EmbedOrigin::parse("https://intranet.local").is_ok_and(|o| !o.is_insecure()));
    }

    #[test]
    fn serde_goes_through_the_rules() {
        let parsed: Result<EmbedOrigin, _> = serde_json::from_str(r#""HTTPS://Intranet.fr:443/""#);
        assert_eq!(
            parsed.map(String::from).ok().as_deref(),
            Some("https://intranet.fr")
        );
        assert!(serde_json::from_str::<EmbedOrigin>(r#""https://*.fr""#).is_err());
    }

    #[test]
    fn messages_are_french() {
        for e in [
            EmbedOriginError::Missing,
            EmbedOriginError::TooLong,
            EmbedOriginError::Scheme,
            EmbedOriginError::Path,
            EmbedOriginError::UserInfo,
            EmbedOriginError::Wildcard,
            EmbedOriginError::Host,
            EmbedOriginError::Port,
        ] {
            assert_french_message(&e.to_string());
        }
    }

    proptest::proptest! {
        /// Whatever is accepted is a fixed point, and never holds a character that would split a CSP source
        /// list or a header.
        #[test]
        fn accepted_origins_are_stable_and_header_safe(input in "\\PC{0,60}") {
            if let Ok(origin) = EmbedOrigin::parse(&input) {
                proptest::prop_assert_eq!(EmbedOrigin::parse(origin.as_str()), Ok(origin.clone()));
                proptest::prop_assert!(origin.as_str().bytes().all(|b| b.is_ascii_graphic()));
                proptest::prop_assert!(!origin.as_str().contains([';', ',', '\'', '*', '"']));
            }
        }

        #[test]
        fn generated_origins_round_trip(
            scheme in "https?",
            labels in proptest::collection::vec("[a-z0-9]{1,10}", 1..4),
            port in proptest::option::of(1u16..),
        ) {
            let host = labels.join(".");
            let input = match port {
                Some(p) => format!("{scheme}://{host}:{p}"),
                None => format!("{scheme}://{host}"),
            };
            let numeric = labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit()));
            if !numeric {
                let origin = EmbedOrigin::parse(&input);
                proptest::prop_assert!(origin.is_ok(), "{}", input);
            }
        }
    }
}
