//! Outgoing SMS behind one small interface: by default each message is written as a file under
//! `<ENROLE_OUTBOX_DIR>/sms/` (next to the emails), or, when `ENROLE_SMS_GATEWAY_URL` is set, posted as JSON
//! `{"to": "+33612345678", "text": "…"}` to that gateway with `Authorization: Bearer <ENROLE_SMS_GATEWAY_TOKEN>`.
//!
//! Logs never contain a number or a text: a failure is described by its kind only.

use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::config::Config;
use crate::storage::now;
use crate::tokens;

/// Where SMS go.
#[derive(Clone)]
pub enum SmsSender {
    /// One file per message: `<dir>/<unix time>-<random>.txt`, complete or absent.
    Outbox(PathBuf),
    Http {
        url: String,
        token: SecretString,
        client: reqwest::Client,
    },
}

impl std::fmt::Debug for SmsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Outbox(dir) => write!(f, "SmsSender::Outbox({})", dir.display()),
            Self::Http { .. } => f.write_str("SmsSender::Http"),
        }
    }
}

impl SmsSender {
    /// The HTTP gateway when configured, files under the outbox directory otherwise.
    pub fn from_config(config: &Config) -> Self {
        match &config.ecps.sms_gateway {
            Some(gateway) => Self::Http {
                url: gateway.url.clone(),
                token: gateway.token.clone(),
                client: reqwest::Client::builder()
                    .timeout(Duration::from_secs(15))
                    .build()
                    .unwrap_or_default(),
            },
            None => Self::Outbox(config.outbox_dir.join("sms")),
        }
    }

    /// Sends one SMS to an E.164 number. The error says what failed, never to whom or what.
    pub async fn send(&self, to: &str, text: &str) -> Result<(), String> {
        match self {
            Self::Outbox(dir) => write_sms(dir, to, text)
                .await
                .map_err(|err| format!("écriture du fichier impossible : {}", err.kind())),
            Self::Http { url, token, client } => {
                let response = client
                    .post(url)
                    .bearer_auth(token.expose_secret())
                    .json(&serde_json::json!({"to": to, "text": text}))
                    .send()
                    .await
                    .map_err(|err| {
                        if err.is_timeout() {
                            "passerelle SMS : délai dépassé".to_owned()
                        } else {
                            "passerelle SMS injoignable".to_owned()
                        }
                    })?;
                let status = response.status();
                if status.is_success() {
                    Ok(())
                } else {
                    Err(format!("passerelle SMS : statut HTTP {}", status.as_u16()))
                }
            }
        }
    }
}

async fn write_sms(dir: &Path, to: &str, text: &str) -> std::io::Result<()> {
    let name = format!(
        "{}-{}.txt",
        now().unix_timestamp(),
        &tokens::new_token()[..16]
    );
    crate::mail::write_file(dir, &name, format!("To: {to}\n\n{text}\n").as_bytes()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_outbox_writes_one_complete_file_per_message() {
        let dir = std::env::temp_dir().join(format!("enrole-sms-{}", tokens::new_token()));
        let sender = SmsSender::Outbox(dir.clone());
        sender
            .send("+33612345678", "code 123456")
            .await
            .expect("sent");
        sender
            .send("+33612345678", "code 654321")
            .await
            .expect("sent");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("dir")
            .filter_map(Result::ok)
            .map(|e| std::fs::read_to_string(e.path()).expect("read"))
            .collect();
        files.sort();
        assert_eq!(
            files,
            vec![
                "To: +33612345678\n\ncode 123456\n",
                "To: +33612345678\n\ncode 654321\n"
            ]
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
