//! Typed configuration read from `ENROLE_*` environment variables.
//!
//! Every variable has a safe default and is documented in `server/CONFIG.md`; a value that does not parse stops
//! the program with a message naming the variable and the expected format, rather than silently falling back.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::client_ip::{TrustedProxies, TrustedProxiesError};

/// Default database: a SQLite file under `./data/`, created if missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/enrole.sqlite?mode=rwc";

/// The whole server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `ENROLE_DATABASE_URL`: `sqlite://…` or `postgres://…`; may hold a password, hence secret.
    pub database_url: SecretString,
    /// `ENROLE_LISTEN`: address and port the HTTP server binds.
    pub listen: SocketAddr,
    /// `ENROLE_OUTBOX_DIR`: where outgoing emails are written as `.eml` files when no SMTP relay is set.
    pub outbox_dir: PathBuf,
    /// `ENROLE_PUBLIC_URL`: the address users reach, without a trailing slash.
    pub public_url: String,
    /// `ENROLE_TRUSTED_PROXIES`: proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// `ENROLE_SITE_DIR`: the built single-page application.
    pub site_dir: PathBuf,
    /// `ENROLE_LOG`: a `tracing` filter directive.
    pub log: String,
    /// `ENROLE_LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
    /// HTTP limits.
    pub http: HttpLimits,
    /// Database pool limits.
    pub database: DatabaseSettings,
    /// Pre-registration intake: uploads, rate limits, notice.
    pub intake: IntakeSettings,
    /// Outgoing mail.
    pub mail: MailSettings,
    /// Gestionnaire accounts, sessions and decisions.
    pub gestion: GestionSettings,
    /// e-CPS activation and sign-in codes, SMS gateway.
    pub ecps: EcpsSettings,
}

/// Gestionnaire accounts, sessions, sign-in throttling, decisions and notifications.
#[derive(Debug, Clone)]
pub struct GestionSettings {
    /// `ENROLE_SESSION_IDLE_TIMEOUT_SECS`: a session unused this long ends.
    pub session_idle_timeout: Duration,
    /// `ENROLE_SESSION_ABSOLUTE_TIMEOUT_SECS`: a session ends this long after sign-in, used or not.
    pub session_absolute_timeout: Duration,
    /// `ENROLE_PASSWORD_LINK_TTL_HOURS`: how long a one-time password link can be used.
    pub password_link_ttl: Duration,
    /// `ENROLE_SIGN_IN_SLOWDOWN_AFTER`: failed sign-ins (per account or address) after which answers are delayed.
    pub sign_in_slowdown_after: i64,
    /// `ENROLE_SIGN_IN_SLOWDOWN_MS`: that delay.
    pub sign_in_slowdown: Duration,
    /// `ENROLE_SIGN_IN_LOCK_AFTER`: failed sign-ins of one account that lock it.
    pub sign_in_lock_after: i64,
    /// `ENROLE_SIGN_IN_LOCK_AFTER_PER_ADDRESS`: failed sign-ins from one client address that lock the address.
    pub sign_in_lock_after_per_address: i64,
    /// `ENROLE_SIGN_IN_LOCK_SECS`: how long a lock lasts (also the window failures are counted in).
    pub sign_in_lock: Duration,
    /// `ENROLE_RPPS_PREFIX`: first digit of the RPPS numbers Enrôle allocates.
    pub rpps_prefix: u8,
    /// `ENROLE_DOCUMENT_RETENTION_SECS`: how long an identity document is kept after a final decision.
    pub document_retention: Duration,
    /// `ENROLE_NOTIFY_PERIOD_SECS`: at most one new-request email per gestionnaire per period.
    pub notify_period: Duration,
}

impl Default for GestionSettings {
    fn default() -> Self {
        Self {
            session_idle_timeout: Duration::from_secs(30 * 60),
            session_absolute_timeout: Duration::from_secs(12 * 3600),
            password_link_ttl: Duration::from_secs(72 * 3600),
            sign_in_slowdown_after: 3,
            sign_in_slowdown: Duration::from_millis(1000),
            sign_in_lock_after: 5,
            sign_in_lock_after_per_address: 50,
            sign_in_lock: Duration::from_secs(15 * 60),
            rpps_prefix: 9,
            document_retention: Duration::ZERO,
            notify_period: Duration::from_secs(3600),
        }
    }
}

// ---- e-CPS ----

/// e-CPS activation and sign-in: codes, their limits, the activation link, and the SMS gateway.
#[derive(Debug, Clone)]
pub struct EcpsSettings {
    /// `ENROLE_ECPS_CODE_TTL_SECS`: how long a pair of codes can be used.
    pub code_ttl: Duration,
    /// `ENROLE_ECPS_MAX_ATTEMPTS`: wrong entries after which a pair of codes is void.
    pub max_attempts: i64,
    /// `ENROLE_ECPS_SENDS_PER_QUARTER_HOUR`: codes sent for one RPPS number (or one contact change) per 15 minutes.
    pub sends_per_quarter_hour: i64,
    /// `ENROLE_RATE_LIMIT_ECPS_PER_HOUR`: code requests one client address may send per hour.
    pub starts_per_hour: u32,
    /// `ENROLE_ECPS_RECENT_SIGN_IN_SECS`: a contact change needs a sign-in at most this old.
    pub recent_sign_in: Duration,
    /// `ENROLE_ACTIVATION_LINK_TTL_HOURS`: how long the validation email's activation link can be used.
    pub activation_link_ttl: Duration,
    /// `ENROLE_SMS_GATEWAY_URL` and `ENROLE_SMS_GATEWAY_TOKEN`: the HTTP SMS gateway; `None` writes files.
    pub sms_gateway: Option<SmsGateway>,
}

/// An HTTP SMS gateway (plain HTTP, loopback or private network): JSON `{"to", "text"}` posted with
/// `Authorization: Bearer <token>`.
#[derive(Debug, Clone)]
pub struct SmsGateway {
    pub url: String,
    pub token: SecretString,
}

impl Default for EcpsSettings {
    fn default() -> Self {
        Self {
            code_ttl: Duration::from_secs(600),
            max_attempts: 5,
            sends_per_quarter_hour: 3,
            starts_per_hour: 30,
            recent_sign_in: Duration::from_secs(300),
            activation_link_ttl: Duration::from_secs(7 * 24 * 3600),
            sms_gateway: None,
        }
    }
}

fn ecps_settings(get: &impl Fn(&str) -> Option<String>) -> Result<EcpsSettings, ConfigError> {
    let d = EcpsSettings::default();
    let sms_gateway = match (
        get("ENROLE_SMS_GATEWAY_URL"),
        get("ENROLE_SMS_GATEWAY_TOKEN"),
    ) {
        (None, None) => None,
        (Some(url), Some(token)) => {
            // Like the SMTP relay: plain HTTP to a gateway on the loopback or a private network (no TLS stack).
            if !url.starts_with("http://") || url.len() <= "http://".len() || url.contains(' ') {
                return Err(ConfigError::new(
                    "ENROLE_SMS_GATEWAY_URL",
                    "attendu http://hôte:port/chemin d'une passerelle SMS en boucle locale ou sur un réseau privé \
                     (sans TLS), par exemple http://127.0.0.1:9090/sms",
                ));
            }
            Some(SmsGateway {
                url,
                token: SecretString::from(token),
            })
        }
        (Some(_), None) => {
            return Err(ConfigError::new(
                "ENROLE_SMS_GATEWAY_TOKEN",
                "obligatoire quand ENROLE_SMS_GATEWAY_URL est défini",
            ));
        }
        (None, Some(_)) => {
            return Err(ConfigError::new(
                "ENROLE_SMS_GATEWAY_URL",
                "obligatoire quand ENROLE_SMS_GATEWAY_TOKEN est défini",
            ));
        }
    };
    Ok(EcpsSettings {
        code_ttl: Duration::from_secs(number(
            get,
            "ENROLE_ECPS_CODE_TTL_SECS",
            d.code_ttl.as_secs(),
            1,
        )?),
        max_attempts: i64::try_from(number(get, "ENROLE_ECPS_MAX_ATTEMPTS", 5, 1)?)
            .unwrap_or(i64::MAX),
        sends_per_quarter_hour: i64::try_from(number(
            get,
            "ENROLE_ECPS_SENDS_PER_QUARTER_HOUR",
            3,
            1,
        )?)
        .unwrap_or(i64::MAX),
        starts_per_hour: u32::try_from(number(get, "ENROLE_RATE_LIMIT_ECPS_PER_HOUR", 30, 1)?)
            .unwrap_or(u32::MAX),
        recent_sign_in: Duration::from_secs(number(
            get,
            "ENROLE_ECPS_RECENT_SIGN_IN_SECS",
            d.recent_sign_in.as_secs(),
            1,
        )?),
        activation_link_ttl: Duration::from_secs(
            number(get, "ENROLE_ACTIVATION_LINK_TTL_HOURS", 168, 1)?.saturating_mul(3600),
        ),
        sms_gateway,
    })
}

/// Default largest identity document: 5 MiB.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 5 * 1024 * 1024;

/// Limits of the public pre-registration endpoints.
#[derive(Debug, Clone)]
pub struct IntakeSettings {
    /// `ENROLE_MAX_DOCUMENT_BYTES`: largest identity document accepted by `POST /api/v1/documents`.
    pub max_document_bytes: usize,
    /// `ENROLE_RATE_LIMIT_SUBMISSIONS_PER_HOUR`: pre-registrations one client address may send per hour.
    pub submissions_per_hour: u32,
    /// `ENROLE_RATE_LIMIT_DOCUMENTS_PER_HOUR`: documents one client address may upload per hour.
    pub documents_per_hour: u32,
    /// `ENROLE_NOTICE_OPPOSITION_TEXT`: replaces the notice's paragraph on the right to object.
    pub notice_opposition_text: Option<String>,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        Self {
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            submissions_per_hour: 120,
            documents_per_hour: 240,
            notice_opposition_text: None,
        }
    }
}

/// Outgoing mail settings.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `ENROLE_SMTP_URL`: `smtp://host:port` of a relay reached without TLS (loopback); `None` writes `.eml`
    /// files under `ENROLE_OUTBOX_DIR` instead.
    pub smtp: Option<SmtpRelay>,
    /// `ENROLE_MAIL_FROM`: sender address, `Name <address>` or `address`.
    pub from: String,
}

/// An SMTP relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpRelay {
    pub host: String,
    pub port: u16,
}

/// Default sender.
pub const DEFAULT_MAIL_FROM: &str = "Enrôle <ne-pas-repondre@enrole.localhost>";

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Limits applied to every HTTP request.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// `ENROLE_MAX_BODY_BYTES`: largest accepted request body.
    pub max_body_bytes: usize,
    /// `ENROLE_REQUEST_TIMEOUT_SECS`: time allowed to answer a request.
    pub request_timeout: Duration,
    /// `ENROLE_SHUTDOWN_TIMEOUT_SECS`: time given to in-flight requests after SIGTERM / Ctrl-C.
    pub shutdown_timeout: Duration,
}

/// Database pool settings.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// `ENROLE_DB_MAX_CONNECTIONS`.
    pub max_connections: u32,
    /// `ENROLE_DB_MIN_CONNECTIONS`.
    pub min_connections: u32,
    /// `ENROLE_DB_ACQUIRE_TIMEOUT_SECS`: how long a request waits for a free connection.
    pub acquire_timeout: Duration,
    /// `ENROLE_DB_IDLE_TIMEOUT_SECS`: idle connections are closed after this.
    pub idle_timeout: Duration,
    /// `ENROLE_DB_BUSY_TIMEOUT_MS`: SQLite only, how long a writer waits for the lock.
    pub sqlite_busy_timeout: Duration,
    /// `ENROLE_DB_STATEMENT_TIMEOUT_SECS`: PostgreSQL only, longest statement.
    pub pg_statement_timeout: Duration,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(600),
            sqlite_busy_timeout: Duration::from_millis(5000),
            pg_statement_timeout: Duration::from_secs(30),
        }
    }
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 256 * 1024,
            request_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(20),
        }
    }
}

/// A variable that is set but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("variable {variable} invalide : {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl ConfigError {
    fn new(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads the configuration through `lookup` (the environment in production, a map in tests).
    /// Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |key: &str| {
            lookup(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let database_url =
            get("ENROLE_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "ENROLE_DATABASE_URL",
                "attendu une adresse commençant par sqlite:, postgres:// ou postgresql://",
            ));
        }

        let listen_raw = get("ENROLE_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen: SocketAddr = listen_raw.parse().map_err(|_| {
            ConfigError::new(
                "ENROLE_LISTEN",
                "attendu une adresse IP et un port, par exemple 127.0.0.1:8080",
            )
        })?;

        let public_url = match get("ENROLE_PUBLIC_URL") {
            Some(url) => parse_public_url(&url)?,
            None => format!("http://{listen}"),
        };

        let trusted_proxies = match get("ENROLE_TRUSTED_PROXIES") {
            Some(list) => TrustedProxies::parse(&list).map_err(|e: TrustedProxiesError| {
                ConfigError::new("ENROLE_TRUSTED_PROXIES", e.to_string())
            })?,
            None => TrustedProxies::none(),
        };

        let log_format = match get("ENROLE_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(_) => {
                return Err(ConfigError::new(
                    "ENROLE_LOG_FORMAT",
                    "attendu text ou json",
                ));
            }
        };

        let http_defaults = HttpLimits::default();
        let http = HttpLimits {
            max_body_bytes: number(
                &get,
                "ENROLE_MAX_BODY_BYTES",
                http_defaults.max_body_bytes as u64,
                1,
            )?
            .try_into()
            .map_err(|_| ConfigError::new("ENROLE_MAX_BODY_BYTES", "valeur trop grande"))?,
            request_timeout: Duration::from_secs(number(
                &get,
                "ENROLE_REQUEST_TIMEOUT_SECS",
                http_defaults.request_timeout.as_secs(),
                1,
            )?),
            shutdown_timeout: Duration::from_secs(number(
                &get,
                "ENROLE_SHUTDOWN_TIMEOUT_SECS",
                http_defaults.shutdown_timeout.as_secs(),
                0,
            )?),
        };

        let db_defaults = DatabaseSettings::default();
        let max_connections = number(
            &get,
            "ENROLE_DB_MAX_CONNECTIONS",
            u64::from(db_defaults.max_connections),
            1,
        )?;
        let min_connections = number(
            &get,
            "ENROLE_DB_MIN_CONNECTIONS",
            u64::from(db_defaults.min_connections),
            0,
        )?;
        if min_connections > max_connections {
            return Err(ConfigError::new(
                "ENROLE_DB_MIN_CONNECTIONS",
                "doit être inférieur ou égal à ENROLE_DB_MAX_CONNECTIONS",
            ));
        }
        let database = DatabaseSettings {
            max_connections: u32::try_from(max_connections)
                .map_err(|_| ConfigError::new("ENROLE_DB_MAX_CONNECTIONS", "valeur trop grande"))?,
            min_connections: u32::try_from(min_connections)
                .map_err(|_| ConfigError::new("ENROLE_DB_MIN_CONNECTIONS", "valeur trop grande"))?,
            acquire_timeout: Duration::from_secs(number(
                &get,
                "ENROLE_DB_ACQUIRE_TIMEOUT_SECS",
                db_defaults.acquire_timeout.as_secs(),
                1,
            )?),
            idle_timeout: Duration::from_secs(number(
                &get,
                "ENROLE_DB_IDLE_TIMEOUT_SECS",
                db_defaults.idle_timeout.as_secs(),
                1,
            )?),
            sqlite_busy_timeout: Duration::from_millis(number(
                &get,
                "ENROLE_DB_BUSY_TIMEOUT_MS",
                u64::try_from(db_defaults.sqlite_busy_timeout.as_millis()).unwrap_or(5000),
                0,
            )?),
            pg_statement_timeout: Duration::from_secs(number(
                &get,
                "ENROLE_DB_STATEMENT_TIMEOUT_SECS",
                db_defaults.pg_statement_timeout.as_secs(),
                1,
            )?),
        };

        let intake_defaults = IntakeSettings::default();
        let intake = IntakeSettings {
            max_document_bytes: number(
                &get,
                "ENROLE_MAX_DOCUMENT_BYTES",
                intake_defaults.max_document_bytes as u64,
                1024,
            )?
            .try_into()
            .map_err(|_| ConfigError::new("ENROLE_MAX_DOCUMENT_BYTES", "valeur trop grande"))?,
            submissions_per_hour: u32::try_from(number(
                &get,
                "ENROLE_RATE_LIMIT_SUBMISSIONS_PER_HOUR",
                u64::from(intake_defaults.submissions_per_hour),
                1,
            )?)
            .map_err(|_| {
                ConfigError::new(
                    "ENROLE_RATE_LIMIT_SUBMISSIONS_PER_HOUR",
                    "valeur trop grande",
                )
            })?,
            documents_per_hour: u32::try_from(number(
                &get,
                "ENROLE_RATE_LIMIT_DOCUMENTS_PER_HOUR",
                u64::from(intake_defaults.documents_per_hour),
                1,
            )?)
            .map_err(|_| {
                ConfigError::new("ENROLE_RATE_LIMIT_DOCUMENTS_PER_HOUR", "valeur trop grande")
            })?,
            notice_opposition_text: get("ENROLE_NOTICE_OPPOSITION_TEXT"),
        };
        let mail = MailSettings {
            smtp: get("ENROLE_SMTP_URL")
                .map(|url| parse_smtp_url(&url))
                .transpose()?,
            from: match get("ENROLE_MAIL_FROM") {
                Some(from) => {
                    from.parse::<lettre::message::Mailbox>().map_err(|_| {
                        ConfigError::new(
                            "ENROLE_MAIL_FROM",
                            "attendu une adresse email, par exemple « Enrôle <rpps@exemple.fr> »",
                        )
                    })?;
                    from
                }
                None => DEFAULT_MAIL_FROM.to_owned(),
            },
        };

        let g = GestionSettings::default();
        let gestion = GestionSettings {
            session_idle_timeout: Duration::from_secs(number(
                &get,
                "ENROLE_SESSION_IDLE_TIMEOUT_SECS",
                g.session_idle_timeout.as_secs(),
                1,
            )?),
            session_absolute_timeout: Duration::from_secs(number(
                &get,
                "ENROLE_SESSION_ABSOLUTE_TIMEOUT_SECS",
                g.session_absolute_timeout.as_secs(),
                1,
            )?),
            password_link_ttl: Duration::from_secs(
                number(&get, "ENROLE_PASSWORD_LINK_TTL_HOURS", 72, 1)?.saturating_mul(3600),
            ),
            sign_in_slowdown_after: i64::try_from(number(
                &get,
                "ENROLE_SIGN_IN_SLOWDOWN_AFTER",
                3,
                1,
            )?)
            .unwrap_or(i64::MAX),
            sign_in_slowdown: Duration::from_millis(number(
                &get,
                "ENROLE_SIGN_IN_SLOWDOWN_MS",
                1000,
                0,
            )?),
            sign_in_lock_after: i64::try_from(number(&get, "ENROLE_SIGN_IN_LOCK_AFTER", 5, 1)?)
                .unwrap_or(i64::MAX),
            sign_in_lock_after_per_address: i64::try_from(number(
                &get,
                "ENROLE_SIGN_IN_LOCK_AFTER_PER_ADDRESS",
                50,
                1,
            )?)
            .unwrap_or(i64::MAX),
            sign_in_lock: Duration::from_secs(number(
                &get,
                "ENROLE_SIGN_IN_LOCK_SECS",
                g.sign_in_lock.as_secs(),
                1,
            )?),
            rpps_prefix: match get("ENROLE_RPPS_PREFIX") {
                None => g.rpps_prefix,
                Some(raw) => match raw.parse::<u8>() {
                    Ok(d) if (2..=9).contains(&d) => d,
                    _ => {
                        return Err(ConfigError::new(
                            "ENROLE_RPPS_PREFIX",
                            "attendu un chiffre de 2 à 9 (les vrais numéros RPPS commencent par 1)",
                        ));
                    }
                },
            },
            document_retention: Duration::from_secs(number(
                &get,
                "ENROLE_DOCUMENT_RETENTION_SECS",
                0,
                0,
            )?),
            notify_period: Duration::from_secs(number(
                &get,
                "ENROLE_NOTIFY_PERIOD_SECS",
                g.notify_period.as_secs(),
                1,
            )?),
        };

        let ecps = ecps_settings(&get)?;

        Ok(Self {
            intake,
            mail,
            gestion,
            ecps,
            database_url: SecretString::from(database_url),
            listen,
            outbox_dir: get("ENROLE_OUTBOX_DIR")
                .map_or_else(|| PathBuf::from("./data/outbox"), PathBuf::from),
            public_url,
            trusted_proxies,
            site_dir: get("ENROLE_SITE_DIR").map_or_else(|| PathBuf::from("./dist"), PathBuf::from),
            log: get("ENROLE_LOG").unwrap_or_else(|| "info".to_owned()),
            log_format,
            http,
            database,
        })
    }

    /// True when users reach the service over HTTPS (enables HSTS, and later Secure cookies).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The database backend named by the URL scheme, without exposing the URL.
    pub fn database_backend(&self) -> &'static str {
        if self.database_url.expose_secret().starts_with("sqlite:") {
            "sqlite"
        } else {
            "postgres"
        }
    }
}

fn number(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u64,
    min: u64,
) -> Result<u64, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(raw) => match raw.parse::<u64>() {
            Ok(value) if value >= min => Ok(value),
            _ => Err(ConfigError::new(
                variable,
                format!("attendu un nombre entier supérieur ou égal à {min}"),
            )),
        },
    }
}

fn parse_smtp_url(raw: &str) -> Result<SmtpRelay, ConfigError> {
    let invalid = || {
        ConfigError::new(
            "ENROLE_SMTP_URL",
            "attendu smtp://hôte:port, par exemple smtp://127.0.0.1:25 (relais sans TLS, en boucle locale)",
        )
    };
    let rest = raw.strip_prefix("smtp://").ok_or_else(invalid)?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
            (host, port.parse::<u16>().map_err(|_| invalid())?)
        }
        _ => (rest, 25),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(['/', '@', '?', ' ']) {
        return Err(invalid());
    }
    Ok(SmtpRelay {
        host: host.to_owned(),
        port,
    })
}

fn parse_public_url(raw: &str) -> Result<String, ConfigError> {
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .ok_or_else(|| {
            ConfigError::new(
                "ENROLE_PUBLIC_URL",
                "attendu une adresse commençant par https:// ou http://, par exemple https://enrole.example.fr",
            )
        })?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || rest.contains(['?', '#', ' ']) {
        return Err(ConfigError::new(
            "ENROLE_PUBLIC_URL",
            "attendu une adresse sans paramètres, par exemple https://enrole.example.fr",
        ));
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_safe_and_local() {
        let c = config(&[]).expect("defaults");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url.expose_secret(), DEFAULT_DATABASE_URL);
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert!(!c.is_https());
        assert!(c.trusted_proxies.is_empty());
        assert_eq!(c.site_dir, PathBuf::from("./dist"));
        assert_eq!(c.http.max_body_bytes, 256 * 1024);
        assert_eq!(c.database_backend(), "sqlite");
        assert_eq!(c.intake.max_document_bytes, 5 * 1024 * 1024);
        assert!(c.mail.smtp.is_none());
    }

    #[test]
    fn smtp_urls_name_a_host_and_port() {
        let c = config(&[("ENROLE_SMTP_URL", "smtp://127.0.0.1:2525")]).expect("config");
        assert_eq!(
            c.mail.smtp,
            Some(SmtpRelay {
                host: "127.0.0.1".to_owned(),
                port: 2525
            })
        );
        let c = config(&[("ENROLE_SMTP_URL", "smtp://localhost")]).expect("config");
        assert_eq!(c.mail.smtp.map(|s| s.port), Some(25));
    }

    #[test]
    fn overrides_are_read() {
        let c = config(&[
            ("ENROLE_DATABASE_URL", "postgres://u:secret@db/enrole"),
            ("ENROLE_LISTEN", "0.0.0.0:9000"),
            ("ENROLE_PUBLIC_URL", "https://enrole.example.fr/"),
            ("ENROLE_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
            ("ENROLE_DB_MAX_CONNECTIONS", "3"),
            ("ENROLE_REQUEST_TIMEOUT_SECS", "7"),
        ])
        .expect("config");
        assert_eq!(c.database_backend(), "postgres");
        assert_eq!(c.public_url, "https://enrole.example.fr");
        assert!(c.is_https());
        assert_eq!(c.database.max_connections, 3);
        assert_eq!(c.http.request_timeout, Duration::from_secs(7));
        assert!(
            !format!("{c:?}").contains("secret"),
            "the database URL must never be printed"
        );
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let cases = [
            ("ENROLE_LISTEN", "localhost"),
            ("ENROLE_DATABASE_URL", "mysql://db"),
            ("ENROLE_PUBLIC_URL", "enrole.example.fr"),
            ("ENROLE_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("ENROLE_MAX_BODY_BYTES", "0"),
            ("ENROLE_DB_MAX_CONNECTIONS", "-1"),
            ("ENROLE_LOG_FORMAT", "xml"),
            ("ENROLE_SMTP_URL", "smtps://mail.example.fr"),
            ("ENROLE_SMTP_URL", "smtp://relay:port"),
            ("ENROLE_MAIL_FROM", "pas une adresse"),
            ("ENROLE_MAX_DOCUMENT_BYTES", "12"),
            ("ENROLE_RATE_LIMIT_SUBMISSIONS_PER_HOUR", "0"),
        ];
        for (variable, value) in cases {
            let err = config(&[(variable, value)]).expect_err(variable);
            assert_eq!(err.variable, variable);
            assert!(err.to_string().contains(variable));
        }
    }
}
