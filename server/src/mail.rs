//! Outgoing mail: a database outbox written in the same transaction as what the mail is about, and a background
//! worker that sends it, so that a crash loses nothing and no request waits for a mail server.
//!
//! The worker claims due rows in batches with a lease (safe with several server instances), sends each batch over
//! one SMTP connection when `ENROLE_SMTP_URL` is set (plain SMTP, no TLS: meant for a relay on the loopback or a
//! private network), and otherwise writes RFC 5322 `.eml` files under `ENROLE_OUTBOX_DIR`. A failed attempt is retried
//! with exponential backoff (30 s, 1 min, 2 min… at most 6 h between attempts), [`MAX_ATTEMPTS`] times. Logs name
//! outbox ids only: never an address, a subject or a body. Once an email is sent or given up, its bodies are erased
//! from the outbox: their links hold tokens that the database otherwise keeps only as hashes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use tokio::sync::Notify;

use crate::config::{Config, MailSettings};
use crate::storage::{NewEmail, OutboxEmail, Storage, StorageError, now};

/// Attempts before an email is given up (its row keeps `last_error`; its bodies are erased).
pub const MAX_ATTEMPTS: i64 = 12;
/// How long a claimed row is reserved for the instance sending it.
pub const LEASE: Duration = Duration::from_secs(300);
/// How long the worker waits, once woken, before it claims (emails are not urgent to the millisecond).
const WAKE_COALESCE: Duration = Duration::from_millis(100);
/// How often the worker looks for due rows when nobody wakes it.
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);
const FIRST_RETRY_SECS: u64 = 30;
const LONGEST_RETRY_SECS: u64 = 6 * 3600;

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp(SmtpRelay),
    Files(PathBuf),
}

/// An SMTP relay reached in plain SMTP, one connection per batch of emails.
#[derive(Clone)]
pub struct SmtpRelay {
    host: String,
    port: u16,
    hello: ClientId,
}

/// How long one step of an SMTP conversation (connecting, or sending one email) may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp(_) => f.write_str("Mailer::Smtp"),
            Self::Files(dir) => write!(f, "Mailer::Files({})", dir.display()),
        }
    }
}

impl Mailer {
    /// SMTP when `ENROLE_SMTP_URL` is set, `.eml` files otherwise.
    pub fn from_config(config: &Config) -> Self {
        match &config.mail.smtp {
            Some(relay) => Self::Smtp(SmtpRelay {
                host: relay.host.clone(),
                port: relay.port,
                hello: ClientId::default(),
            }),
            None => Self::Files(config.outbox_dir.clone()),
        }
    }

    /// Starts delivering a batch: with SMTP, its emails share one connection, opened on the first email.
    fn batch(&self) -> Delivery<'_> {
        Delivery {
            mailer: self,
            connection: None,
            unreachable: None,
        }
    }
}

/// The delivery of a batch of emails (see [`Mailer::batch`]); [`Delivery::finish`] ends its SMTP conversation.
struct Delivery<'a> {
    mailer: &'a Mailer,
    connection: Option<AsyncSmtpConnection>,
    /// Set once the relay could not be reached or stopped answering: the batch's other emails fail at once with
    /// this error (and are retried later) instead of each waiting out its own timeout, which keeps a batch within
    /// its [`LEASE`].
    unreachable: Option<String>,
}

impl Delivery<'_> {
    async fn deliver(&mut self, message: &Message, id: i64) -> Result<(), String> {
        let relay = match self.mailer {
            Mailer::Files(dir) => {
                return write_eml(dir, id, &message.formatted())
                    .await
                    .map_err(|err| format!("écriture du fichier impossible : {}", err.kind()));
            }
            Mailer::Smtp(relay) => relay,
        };
        if let Some(error) = &self.unreachable {
            return Err(error.clone());
        }
        let mut connection = match self.connection.take() {
            Some(open) if !open.has_broken() => open,
            _ => match relay.connect().await {
                Ok(connection) => connection,
                Err(error) => return Err(self.unreachable.insert(error).clone()),
            },
        };
        match tokio::time::timeout(
            SMTP_TIMEOUT,
            connection.send(message.envelope(), &message.formatted()),
        )
        .await
        {
            Ok(Ok(_)) => {
                self.connection = Some(connection);
                Ok(())
            }
            // lettre ends the conversation after a refusal (it quits); the next email then opens another.
            Ok(Err(err)) => {
                if !connection.has_broken() {
                    self.connection = Some(connection);
                }
                Err(smtp_error(&err))
            }
            Err(_) => Err(self.unreachable.insert(SMTP_TIMED_OUT.to_owned()).clone()),
        }
    }

    async fn finish(self) {
        if let Some(mut connection) = self.connection {
            let _ = tokio::time::timeout(SMTP_TIMEOUT, connection.quit()).await;
        }
    }
}

impl SmtpRelay {
    /// Opens a conversation with the relay (`EHLO` answered). Without `TCP_NODELAY`, the lone `.` line that
    /// ends each email waited for the relay's delayed acknowledgement of the body (Nagle's algorithm), which capped
    /// the worker's rate (see ARCHITECTURE.md).
    async fn connect(&self) -> Result<AsyncSmtpConnection, String> {
        let connected = tokio::time::timeout(SMTP_TIMEOUT, async {
            let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(|_| SMTP_UNREACHABLE.to_owned())?;
            stream
                .set_nodelay(true)
                .map_err(|_| SMTP_UNREACHABLE.to_owned())?;
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
                .await
                .map_err(|err| smtp_error(&err))
        })
        .await;
        connected.unwrap_or_else(|_| Err(SMTP_TIMED_OUT.to_owned()))
    }
}

/// The recorded failure when the relay cannot be reached, and when it does not answer in time.
const SMTP_UNREACHABLE: &str = "erreur SMTP connexion";
const SMTP_TIMED_OUT: &str = "erreur SMTP délai dépassé";

/// A description of an SMTP failure without what the server echoed back (which may quote the address).
fn smtp_error(err: &lettre::transport::smtp::Error) -> String {
    let kind = if err.is_permanent() {
        "permanent"
    } else if err.is_transient() {
        "temporaire"
    } else if err.is_timeout() {
        "délai dépassé"
    } else {
        "connexion"
    };
    match err.status() {
        Some(code) => format!("erreur SMTP {kind} ({code})"),
        None => format!("erreur SMTP {kind}"),
    }
}

async fn write_eml(dir: &Path, id: i64, content: &[u8]) -> std::io::Result<()> {
    write_file(
        dir,
        &format!("{}-{id:08}.eml", now().unix_timestamp()),
        content,
    )
    .await
}

/// Writes `name` under `dir` (created if missing), appearing complete or not at all: the outbox files of emails
/// and SMS. One trip to the blocking pool for the three file operations (each `tokio::fs` call is one trip).
pub(crate) async fn write_file(dir: &Path, name: &str, content: &[u8]) -> std::io::Result<()> {
    let partial = dir.join(format!(".{name}.tmp"));
    let complete = dir.join(name);
    let dir = dir.to_owned();
    let content = content.to_vec();
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(&partial, content)?;
        // The rename makes the file appear complete or not at all.
        std::fs::rename(&partial, complete)
    })
    .await
    .map_err(std::io::Error::other)?
}

fn build_message(from: &str, email: &OutboxEmail) -> Result<Message, String> {
    let from: Mailbox = from
        .parse()
        .map_err(|_| "adresse d'expéditeur invalide".to_owned())?;
    let to: Mailbox = email
        .recipient
        .parse()
        .map_err(|_| "adresse du destinataire invalide".to_owned())?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        .message_id(None)
        .multipart(MultiPart::alternative_plain_html(
            email.text_body.clone(),
            email.html_body.clone(),
        ))
        .map_err(|_| "message impossible à construire".to_owned())
}

/// Delay before attempt `attempts + 1`.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    Duration::from_secs(
        FIRST_RETRY_SECS
            .saturating_mul(1u64 << exponent)
            .min(LONGEST_RETRY_SECS),
    )
}

/// How many due emails one claim takes: two commits per batch instead of two per email. Kept so that a batch of
/// SMTP sends that all time out (12 × 20 s) still ends within its [`LEASE`].
const BATCH: i64 = 12;

/// Sends every due email once; answers how many were sent.
pub async fn run_once(
    storage: &Storage,
    mailer: &Mailer,
    settings: &MailSettings,
) -> Result<usize, StorageError> {
    let mut sent = 0;
    loop {
        let lease_until = now() + LEASE;
        let batch = storage.claim_emails(lease_until, BATCH).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        let mut delivered = Vec::with_capacity(batch.len());
        let mut delivery = mailer.batch();
        for email in &batch {
            let result = match build_message(&settings.from, email) {
                Ok(message) => delivery.deliver(&message, email.id).await,
                Err(err) => Err(err),
            };
            match result {
                Ok(()) => {
                    tracing::info!(
                        outbox_id = email.id,
                        attempts = email.attempts,
                        "email sent"
                    );
                    delivered.push(email.id);
                }
                Err(error) => {
                    let retry_at = (email.attempts < MAX_ATTEMPTS).then(|| {
                        now()
                            + time::Duration::seconds(
                                i64::try_from(backoff(email.attempts).as_secs())
                                    .unwrap_or(i64::MAX),
                            )
                    });
                    tracing::warn!(
                        outbox_id = email.id,
                        attempts = email.attempts,
                        error = %error,
                        gave_up = retry_at.is_none(),
                        "email not sent"
                    );
                    storage.email_failed(email.id, &error, retry_at).await?;
                }
            }
        }
        delivery.finish().await;
        storage.emails_sent(&delivered).await?;
        sent += delivered.len();
    }
}

/// Sends due emails until the task is dropped: at every [`POLL_INTERVAL`], and at once when `wake` is notified.
pub async fn run_worker(
    storage: Storage,
    mailer: Mailer,
    settings: MailSettings,
    wake: Arc<Notify>,
) {
    tracing::info!(?mailer, "mail worker started");
    loop {
        if let Err(err) = run_once(&storage, &mailer, &settings).await {
            tracing::warn!(error = ?err, "mail worker: outbox not reachable");
        }
        tokio::select! {
            () = wake.notified() => {
                // Let the submissions of the next moment queue up too: one claim then takes them all, instead of
                // one claim and one update per email competing with the submissions for the SQLite write lock.
                tokio::time::sleep(WAKE_COALESCE).await;
            }
            () = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }
}

/// Escapes text for HTML.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The receipt sent to the professional after a pre-registration.
pub fn receipt(
    recipient: &str,
    public_url: &str,
    reference: &str,
    site_nom: &str,
    status_token: &str,
    email_token: &str,
) -> NewEmail {
    let status_link = format!("{public_url}/suivi/{status_token}");
    let confirm_link = format!("{public_url}/confirmer-email/{email_token}");
    let subject = format!("Votre demande d'enregistrement RPPS+ {reference} a bien été reçue");
    let text_body = format!(
        "Bonjour,\n\n\
         Votre demande d'enregistrement au RPPS a bien été reçue par « {site_nom} ».\n\
         Référence : {reference}\n\n\
         Et maintenant ?\n\
         - Un gestionnaire RPPS+ de votre établissement vérifie votre demande, puis la valide ou vous indique \
         ce qu'il faut compléter.\n\
         - Une fois la demande validée, vous recevrez votre numéro RPPS par email.\n\n\
         Confirmez votre adresse email (votre gestionnaire verra qu'elle est confirmée) :\n{confirm_link}\n\n\
         Suivez votre demande à tout moment grâce à ce lien personnel (ne le transmettez pas) :\n{status_link}\n\n\
         Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n\n\
         Enrôle\n"
    );
    let (site, reference_html) = (escape_html(site_nom), escape_html(reference));
    let (status_html, confirm_html) = (escape_html(&status_link), escape_html(&confirm_link));
    let html_body = format!(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{subject_html}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5; max-width: 40em\">\n\
         <p>Bonjour,</p>\n\
         <p>Votre demande d'enregistrement au RPPS a bien été reçue par « {site} ».</p>\n\
         <p>Référence : <strong>{reference_html}</strong></p>\n\
         <h2 style=\"font-size: 1.1em\">Et maintenant ?</h2>\n\
         <ul><li>Un gestionnaire RPPS+ de votre établissement vérifie votre demande, puis la valide ou vous \
         indique ce qu'il faut compléter.</li>\n\
         <li>Une fois la demande validée, vous recevrez votre numéro RPPS par email.</li></ul>\n\
         <p><a href=\"{confirm_html}\">Confirmer mon adresse email</a></p>\n\
         <p><a href=\"{status_html}\">Suivre ma demande</a> (lien personnel : ne le transmettez pas)</p>\n\
         <p>Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.</p>\n\
         <p>Enrôle</p>\n</body></html>\n",
        subject_html = escape_html(&subject),
    );
    NewEmail {
        recipient: recipient.to_owned(),
        subject,
        text_body,
        html_body,
    }
}

pub(crate) fn simple_email(
    recipient: &str,
    subject: String,
    paragraphs: &[String],
    link: Option<(&str, &str)>,
) -> NewEmail {
    let mut text_body = String::from("Bonjour,\n\n");
    let mut html_body = format!(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5; max-width: 40em\">\n<p>Bonjour,</p>\n",
        escape_html(&subject)
    );
    for paragraph in paragraphs {
        text_body.push_str(paragraph);
        text_body.push_str("\n\n");
        html_body.push_str(&format!(
            "<p>{}</p>\n",
            escape_html(paragraph).replace('\n', "<br>")
        ));
    }
    if let Some((label, url)) = link {
        text_body.push_str(&format!("{label} :\n{url}\n\n"));
        html_body.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>\n",
            escape_html(url),
            escape_html(label)
        ));
    }
    text_body.push_str("Enrôle\n");
    html_body.push_str("<p>Enrôle</p>\n</body></html>\n");
    NewEmail {
        recipient: recipient.to_owned(),
        subject,
        text_body,
        html_body,
    }
}

/// The one-time link to set a gestionnaire's password.
pub fn password_link(recipient: &str, nom: &str, link: &str, valid_hours: i64) -> NewEmail {
    simple_email(
        recipient,
        "Enrôle : choisissez votre mot de passe de gestionnaire RPPS+".to_owned(),
        &[
            format!("Un compte de gestionnaire RPPS+ a été ouvert pour vous ({nom}) dans Enrôle."),
            format!(
                "Choisissez votre mot de passe grâce à ce lien personnel, utilisable une seule fois pendant \
                 {valid_hours} heures. Ne le transmettez à personne."
            ),
        ],
        Some(("Choisir mon mot de passe", link)),
    )
}

/// The email telling the professional about a gestionnaire's decision.
pub fn decision(
    demande: &crate::storage::DemandeRecord,
    decision: &crate::storage::Decision,
    rpps: Option<&str>,
    public_url: &str,
    activation_link: Option<&str>,
) -> NewEmail {
    use crate::storage::Decision;
    let reference = &demande.reference;
    let site = &demande.site_nom;
    let follow = "Vous pouvez suivre votre demande grâce au lien personnel reçu dans le message de confirmation \
                  de votre demande.".to_owned();
    match decision {
        Decision::Validate { .. } => {
            let number = rpps.unwrap_or_default();
            simple_email(
                &demande.email,
                format!("Votre numéro RPPS : {number} (demande {reference})"),
                &[
                    format!("Votre demande d'enregistrement {reference} a été validée par « {site} »."),
                    format!("Votre numéro RPPS est : {number}"),
                    "Et maintenant ? Activez votre e-CPS, votre identité numérique de professionnel : un code vous \
                     est envoyé à cette adresse email et un autre par SMS à votre mobile. Le lien ci-dessous est \
                     personnel et ne sert qu'une fois ; passé son délai, saisissez votre numéro RPPS sur la page \
                     d'activation. Votre situation d'exercice (sans dates) sera publiée dans l'Annuaire Santé."
                        .to_owned(),
                ],
                Some(match activation_link {
                    Some(link) => ("Activer mon e-CPS", link),
                    None => ("Enrôle", public_url),
                }),
            )
        }
        Decision::Reject { reason, .. } => simple_email(
            &demande.email,
            format!("Votre demande d'enregistrement RPPS+ {reference} n'a pas été acceptée"),
            &[
                format!("Votre demande d'enregistrement {reference} n'a pas été acceptée par « {site} »."),
                format!("Motif : {reason}"),
                "Pour toute question, adressez-vous au service des ressources humaines de votre établissement."
                    .to_owned(),
                follow,
            ],
            None,
        ),
        Decision::Return { summary, .. } => simple_email(
            &demande.email,
            format!("Votre demande d'enregistrement RPPS+ {reference} est à compléter"),
            &[
                format!("Le gestionnaire RPPS+ de « {site} » vous demande de compléter votre demande {reference} :"),
                summary.clone(),
                "Corrigez ces informations depuis votre lien personnel de suivi (reçu dans le message de \
                 confirmation de votre demande), puis renvoyez la demande."
                    .to_owned(),
            ],
            None,
        ),
    }
}

/// The batched notice to a gestionnaire that requests arrived (no personal data).
pub fn new_requests(recipient: &str, public_url: &str) -> NewEmail {
    simple_email(
        recipient,
        "Enrôle : de nouvelles demandes d'enregistrement RPPS+ vous attendent".to_owned(),
        &["De nouvelles demandes d'enregistrement sont arrivées dans votre file.".to_owned()],
        Some((
            "Ouvrir la file des demandes",
            &format!("{public_url}/gestion/demandes"),
        )),
    )
}

/// Queues the batched new-request notices until the task is dropped, checking at least every 5 seconds (or every
/// `period` when shorter).
pub async fn run_notifier(storage: Storage, config: Arc<Config>, wake_mail: Arc<Notify>) {
    let period = config.gestion.notify_period;
    let tick = period.min(Duration::from_secs(5));
    let public_url = config.public_url.clone();
    let email_for = move |recipient: &str| new_requests(recipient, &public_url);
    let period = time::Duration::try_from(period).unwrap_or(time::Duration::HOUR);
    loop {
        match storage.queue_due_notifications(period, &email_for).await {
            Ok(0) => {}
            Ok(queued) => {
                tracing::info!(queued, "new-request notices queued");
                wake_mail.notify_one();
            }
            Err(err) => tracing::warn!(error = ?err, "notifier: database not reachable"),
        }
        if let Err(err) = storage.purge_documents().await {
            tracing::warn!(error = ?err, "document purge failed");
        }
        if let Err(err) = storage.purge_expired_idempotency_keys().await {
            tracing::warn!(error = ?err, "idempotency key purge failed");
        }
        tokio::time::sleep(tick).await;
    }
}

/// Sends one email at once, outside the outbox (for one-time codes, which must not rest in the database and are
/// worthless after a few minutes). Files are named `<unix time>-code-<random>.eml`.
pub async fn send_now(mailer: &Mailer, from: &str, email: &NewEmail) -> Result<(), String> {
    let outbox = OutboxEmail {
        id: 0,
        recipient: email.recipient.clone(),
        subject: email.subject.clone(),
        text_body: email.text_body.clone(),
        html_body: email.html_body.clone(),
        created_at: now(),
        attempts: 1,
    };
    let message = build_message(from, &outbox)?;
    match mailer {
        Mailer::Smtp(_) => {
            let mut delivery = mailer.batch();
            let sent = delivery.deliver(&message, 0).await;
            delivery.finish().await;
            sent
        }
        Mailer::Files(dir) => {
            let name = format!(
                "{}-code-{}.eml",
                now().unix_timestamp(),
                &crate::tokens::new_token()[..16]
            );
            write_file(dir, &name, &message.formatted())
                .await
                .map_err(|err| format!("écriture du fichier impossible : {}", err.kind()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_six_hours() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(5), Duration::from_secs(480));
        assert_eq!(backoff(40), Duration::from_secs(6 * 3600));
    }

    #[test]
    fn the_receipt_has_both_links_and_escapes_html() {
        let email = receipt(
            "a@exemple.fr",
            "https://enrole.example.fr",
            "ENR-ABCD-EFGH",
            "EHPAD <Les Tilleuls> & Cie",
            "tok",
            "conf",
        );
        for body in [&email.text_body, &email.html_body] {
            assert!(body.contains("https://enrole.example.fr/suivi/tok"));
            assert!(body.contains("https://enrole.example.fr/confirmer-email/conf"));
            assert!(body.contains("ENR-ABCD-EFGH"));
        }
        assert!(
            email
                .html_body
                .contains("EHPAD &lt;Les Tilleuls&gt; &amp; Cie")
        );
    }

    /// A relay on loopback that records each connection's commands, refuses the recipient `refuse@exemple.fr`
    /// (550) and accepts everything else.
    async fn recording_relay() -> (u16, Arc<std::sync::Mutex<Vec<Vec<String>>>>) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let sessions: Arc<std::sync::Mutex<Vec<Vec<String>>>> = Arc::default();
        let record = Arc::clone(&sessions);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let record = Arc::clone(&record);
                tokio::spawn(async move {
                    let session = {
                        let mut all = record.lock().expect("lock");
                        all.push(Vec::new());
                        all.len() - 1
                    };
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read);
                    write.write_all(b"220 relay\r\n").await?;
                    let mut line = String::new();
                    while lines.read_line(&mut line).await? > 0 {
                        let command = line.trim_end().to_owned();
                        line.clear();
                        let reply: &[u8] = if command.starts_with("EHLO") {
                            b"250-relay\r\n250 8BITMIME\r\n"
                        } else if command.contains("refuse@") {
                            b"550 no such user\r\n"
                        } else if command == "DATA" {
                            write.write_all(b"354 go\r\n").await?;
                            while lines.read_line(&mut line).await? > 0 && line != ".\r\n" {
                                line.clear();
                            }
                            line.clear();
                            b"250 queued\r\n"
                        } else if command == "QUIT" {
                            b"221 bye\r\n"
                        } else {
                            b"250 ok\r\n"
                        };
                        let verb = command
                            .split([' ', ':'])
                            .next()
                            .unwrap_or_default()
                            .to_owned();
                        record.lock().expect("lock")[session].push(verb);
                        write.write_all(reply).await?;
                    }
                    Ok::<_, std::io::Error>(())
                });
            }
        });
        (port, sessions)
    }

    fn email_to(recipient: &str) -> Message {
        let outbox = OutboxEmail {
            id: 1,
            recipient: recipient.to_owned(),
            subject: "Objet".to_owned(),
            text_body: "Texte".to_owned(),
            html_body: "<p>Texte</p>".to_owned(),
            created_at: now(),
            attempts: 1,
        };
        build_message(crate::config::DEFAULT_MAIL_FROM, &outbox).expect("message")
    }

    #[tokio::test]
    async fn a_batch_shares_one_smtp_connection_and_a_refusal_fails_only_its_email() {
        let (port, sessions) = recording_relay().await;
        let mailer = Mailer::Smtp(SmtpRelay {
            host: "127.0.0.1".to_owned(),
            port,
            hello: ClientId::default(),
        });
        let mut delivery = mailer.batch();
        let mut results = Vec::new();
        for recipient in [
            "a@exemple.fr",
            "b@exemple.fr",
            "refuse@exemple.fr",
            "d@exemple.fr",
        ] {
            results.push(delivery.deliver(&email_to(recipient), 1).await);
        }
        delivery.finish().await;
        assert_eq!(
            results,
            [
                Ok(()),
                Ok(()),
                Err("erreur SMTP permanent (550)".to_owned()),
                Ok(())
            ]
        );
        let sessions = sessions.lock().expect("lock").clone();
        let emails_per_connection: Vec<usize> = sessions
            .iter()
            .map(|commands| commands.iter().filter(|verb| *verb == "DATA").count())
            .collect();
        // The two first emails share a connection; the refusal ends it and the last email opens the second.
        assert_eq!(emails_per_connection, [2, 1], "{sessions:?}");
        for commands in &sessions {
            assert_eq!(commands.first().map(String::as_str), Some("EHLO"));
            assert_eq!(commands.last().map(String::as_str), Some("QUIT"));
        }
    }

    #[tokio::test]
    async fn an_unreachable_relay_fails_the_rest_of_the_batch_without_trying_again() {
        // A port that was free a moment ago: nothing listens there, connecting is refused.
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mailer = Mailer::Smtp(SmtpRelay {
            host: "127.0.0.1".to_owned(),
            port,
            hello: ClientId::default(),
        });
        let mut delivery = mailer.batch();
        let first = delivery.deliver(&email_to("a@exemple.fr"), 1).await;
        assert_eq!(first, Err(SMTP_UNREACHABLE.to_owned()));
        // Were it tried again, a relay listening now would receive it.
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("the same port");
        listener.set_nonblocking(true).expect("non-blocking");
        let second = delivery.deliver(&email_to("b@exemple.fr"), 2).await;
        assert_eq!(second, Err(SMTP_UNREACHABLE.to_owned()));
        assert!(listener.accept().is_err(), "no second connection attempt");
        delivery.finish().await;
    }
}
