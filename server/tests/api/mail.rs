//! The outbox worker: `.eml` files by default, a real SMTP conversation with aiosmtpd, retries.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TempDir, TestApp, TestOptions, json_body};
use crate::intake::{key, site, valid_request};

/// The aiosmtpd version the setup script installs (`pip install aiosmtpd==1.4.6`).
pub const AIOSMTPD_PIN: &str = "1.4.6";

fn python() -> String {
    std::env::var("ENROLE_TEST_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".to_owned())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

async fn submit_one(app: &TestApp) -> Value {
    let (site_id, finess) = site(app).await;
    let document = app.document_id().await;
    json_body(
        app.submit(Some(&key()), &valid_request(site_id, &finess, &document))
            .await,
        StatusCode::CREATED,
    )
    .await
}

/// Files of `dir` (non-recursive; with `extension`, only those) once there are at least `count`, within 20 s.
pub async fn wait_for_files(dir: &Path, extension: Option<&str>, count: usize) -> Vec<PathBuf> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .filter(|p| extension.is_none_or(|ext| p.extension().is_some_and(|e| e == ext)))
                    .collect()
            })
            .unwrap_or_default();
        if files.len() >= count {
            return files;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {count} messages arrived in {}",
            files.len(),
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The decoded parts of an RFC 5322 message, read by Python's `email` package: `{content_type: text}` plus
/// `"subject"`.
pub fn decoded_parts(path: &Path) -> Value {
    let script = "import email, email.policy, json, sys\n\
                  m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)\n\
                  out = {'subject': str(m['subject']), 'to': str(m['to'])}\n\
                  for part in m.walk():\n\
                  \x20   if not part.is_multipart():\n\
                  \x20       out[part.get_content_type()] = part.get_content()\n\
                  print(json.dumps(out))\n";
    let output = std::process::Command::new(python())
        .args(["-c", script])
        .arg(path)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {} to decode the message: {err}", python()));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("decoded message")
}

/// The decoded messages of `dir` (an SMTP sink's maildir) once there are at least `count`, within 20 s.
pub async fn messages(dir: PathBuf, count: usize) -> Vec<Value> {
    wait_for_files(&dir, None, count)
        .await
        .iter()
        .map(|f| decoded_parts(f))
        .collect()
}

/// The emails that the worker wrote as `.eml` files in `app`'s outbox directory and whose subject contains
/// `subject_part`: see [`delivered_where`].
pub async fn delivered(app: &TestApp, subject_part: &str, count: usize) -> Vec<Value> {
    delivered_where(
        app,
        |m| {
            m["subject"]
                .as_str()
                .is_some_and(|s| s.contains(subject_part))
        },
        count,
    )
    .await
}

/// The emails that the worker wrote as `.eml` files (`<unix time>-<outbox id>.eml`) in `app`'s outbox directory and
/// that `matching` accepts, decoded, in outbox order, once there are at least `count`, within 20 s. The outbox
/// erases a sent email's bodies: tests read them where the recipient would.
pub async fn delivered_where(
    app: &TestApp,
    matching: impl Fn(&Value) -> bool,
    count: usize,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut decoded: std::collections::BTreeMap<i64, Value> = std::collections::BTreeMap::new();
    loop {
        let files = std::fs::read_dir(&app.outbox_dir)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_else(|_| Vec::new());
        for path in files {
            // Skips the partial files (`.<name>.tmp`) and the code emails (`<unix time>-code-<random>.eml`).
            let outbox_id = path
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.strip_suffix(".eml"))
                .and_then(|stem| stem.split_once('-'))
                .and_then(|(_, id)| id.parse::<i64>().ok());
            if let Some(id) = outbox_id {
                decoded.entry(id).or_insert_with(|| decoded_parts(&path));
            }
        }
        let found: Vec<Value> = decoded.values().filter(|m| matching(m)).cloned().collect();
        if found.len() >= count {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {count} emails delivered: {:?}",
            found.len(),
            decoded.values().map(|m| &m["subject"]).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The plain-text part of a decoded email.
pub fn text_of(email: &Value) -> &str {
    email["text/plain"].as_str().expect("a plain-text part")
}

fn assert_receipt(parts: &Value, token: &str) {
    let link = format!("https://enrole.example.fr/suivi/{token}");
    let subject = parts["subject"].as_str().unwrap();
    assert!(subject.contains("a bien été reçue"), "{subject}");
    assert_eq!(parts["to"], "awa.ndiaye@exemple.fr");
    let text = parts["text/plain"].as_str().expect("a plain-text part");
    let html = parts["text/html"].as_str().expect("an HTML part");
    for body in [text, html] {
        assert!(body.contains(&link), "status link missing in {body}");
        assert!(body.contains("https://enrole.example.fr/confirmer-email/"));
    }
    assert!(text.contains("Et maintenant ?"));
    assert!(html.contains("<a href=\""));
}

#[tokio::test]
async fn without_smtp_the_receipt_is_written_as_an_eml_file() {
    let outbox = TempDir::new();
    let app = TestApp::spawn_with(TestOptions {
        env: vec![
            ("ENROLE_OUTBOX_DIR", outbox.path().display().to_string()),
            ("ENROLE_PUBLIC_URL", "https://enrole.example.fr".to_owned()),
        ],
        ..TestOptions::default()
    })
    .await;
    let created = submit_one(&app).await;
    let token = created["status_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("/suivi/");
    let files = wait_for_files(outbox.path(), Some("eml"), 1).await;
    assert_eq!(files.len(), 1);
    assert_receipt(&decoded_parts(&files[0]), token);
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(raw.contains("multipart/alternative"));
    assert!(raw.contains("Message-ID:") || raw.contains("Message-Id:"));
    let rows = wait_until_sent(&app).await;
    assert_eq!(rows[0].attempts, 1);
    // Sent, the email's bodies leave the database (their links' tokens are stored elsewhere only as hashes); the
    // row keeps what an operator needs.
    assert_eq!(
        (rows[0].text_body.as_str(), rows[0].html_body.as_str()),
        ("", "")
    );
    assert!(rows[0].subject.contains("a bien été reçue"));
    assert_eq!(rows[0].recipient, "awa.ndiaye@exemple.fr");
}

async fn wait_until_sent(app: &TestApp) -> Vec<enrole_server::storage::OutboxRow> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows = app.storage.outbox().await.unwrap();
        if rows.iter().all(|r| r.sent_at.is_some()) {
            return rows;
        }
        assert!(
            Instant::now() < deadline,
            "outbox not marked sent: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// aiosmtpd writing to a maildir, killed when dropped.
pub struct SmtpSink {
    pub child: tokio::process::Child,
    pub port: u16,
    pub maildir: TempDir,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let maildir = TempDir::new();
        let port = free_port();
        let mut child = tokio::process::Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "the SMTP test needs Python 3 with aiosmtpd=={AIOSMTPD_PIN} (pip install aiosmtpd=={AIOSMTPD_PIN}); \
                     cannot start {}: {err}",
                    python()
                )
            });
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().expect("aiosmtpd status") {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    use tokio::io::AsyncReadExt;
                    let _ = pipe.read_to_string(&mut stderr).await;
                }
                panic!(
                    "aiosmtpd exited ({status}): the SMTP test needs `pip install aiosmtpd=={AIOSMTPD_PIN}` for {}.\n{stderr}",
                    python()
                );
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self {
            child,
            port,
            maildir,
        }
    }
}

#[tokio::test]
async fn the_receipt_goes_through_a_real_smtp_conversation() {
    let mut sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(TestOptions {
        env: vec![
            ("ENROLE_SMTP_URL", format!("smtp://127.0.0.1:{}", sink.port)),
            ("ENROLE_PUBLIC_URL", "https://enrole.example.fr".to_owned()),
            (
                "ENROLE_MAIL_FROM",
                "Enrôle <rpps@enrole.example.fr>".to_owned(),
            ),
        ],
        ..TestOptions::default()
    })
    .await;
    let created = submit_one(&app).await;
    let token = created["status_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("/suivi/");
    let files = wait_for_files(&sink.maildir.path().join("maildir/new"), None, 1).await;
    assert_eq!(files.len(), 1);
    let parts = decoded_parts(&files[0]);
    assert_receipt(&parts, token);
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(raw.contains("rpps@enrole.example.fr"));
    wait_until_sent(&app).await;
    let _ = sink.child.kill().await;
}

#[tokio::test]
async fn an_unreachable_relay_is_retried_later_without_losing_the_email() {
    let app = TestApp::spawn_with(TestOptions {
        env: vec![(
            "ENROLE_SMTP_URL",
            format!("smtp://127.0.0.1:{}", free_port()),
        )],
        ..TestOptions::default()
    })
    .await;
    submit_one(&app).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let row = loop {
        let rows = app.storage.outbox().await.unwrap();
        if rows[0].last_error.is_some() {
            break rows[0].clone();
        }
        assert!(Instant::now() < deadline, "no attempt recorded: {rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(row.attempts, 1);
    assert!(row.sent_at.is_none());
    let next = row.next_attempt_at.expect("a retry is scheduled");
    assert!(next > time::OffsetDateTime::now_utc() + time::Duration::seconds(20));
    let error = row.last_error.unwrap();
    assert!(!error.contains("awa"), "no address in the error: {error}");
    // Kept for the retry; erased once the worker gives up (as it does after its last attempt).
    assert!(row.text_body.contains("/suivi/"));
    app.storage
        .email_failed(row.id, "abandon", None)
        .await
        .unwrap();
    let given_up = app.storage.outbox().await.unwrap().remove(0);
    assert_eq!(
        (given_up.text_body.as_str(), given_up.html_body.as_str()),
        ("", "")
    );
    assert_eq!(given_up.next_attempt_at, None);
    assert_eq!(given_up.last_error.as_deref(), Some("abandon"));
}
