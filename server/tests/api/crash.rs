//! Crash safety on SQLite: the real `enrole` binary is killed with SIGKILL while concurrent clients submit
//! pre-registrations, then restarted; every request that got no answer is retried with its idempotency key.
//! Nothing acknowledged may be lost, nothing may be stored twice, nothing may be half-written.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::sqlite::SqlitePoolOptions;
use tokio::sync::Mutex;

use crate::binary::{Deployment, demo_site_id, free_port};
use crate::helpers::TempDir;
use crate::intake::{NOTICE_VERSION, PNG, key};

const REQUESTS: usize = 240;
const CLIENTS: usize = 8;
/// The server is killed once this many requests were acknowledged.
const KILL_AFTER_ACKNOWLEDGED: usize = 60;
/// Demo site created by `enrole seed-demo`.
const DEMO_FINESS: &str = "319999918";

/// A distinct valid person per index (letters only: names accept no digits).
pub fn request(index: usize, site_id: i64) -> Value {
    let letters: String = format!("{index:03}")
        .bytes()
        .map(|digit| char::from(b'a' + (digit - b'0')))
        .collect();
    json!({
        "civilite": "MME",
        "nom_naissance": format!("Crash{letters}"),
        "prenoms": ["Awa"],
        "date_naissance": "1988-11-03",
        "lieu_naissance": {"commune_cog": "2A004"},
        "email": format!("crash.{index}@exemple.fr"),
        "email_confirmation": format!("crash.{index}@exemple.fr"),
        "mobile": "06 12 34 56 78",
        "situation": {
            "finess": DEMO_FINESS,
            "nom_exercice": format!("Crash{letters}"),
            "prenom_exercice": "Awa",
            "metier": "328",
            "role": "GENR11",
            "mode_exercice": "S",
            "date_prise_fonction": "2024-09-01"
        },
        "rpps_existant": null,
        "notice_version": NOTICE_VERSION,
        "site_id": site_id,
        "document_id": null
    })
}

#[derive(Debug, Clone)]
enum Outcome {
    /// Not sent: the server was already dead when this client came to it.
    NotSent,
    /// Sent, no answer (connection reset or refused): to retry with the same key.
    NoAnswer,
    Acknowledged(String),
}

#[derive(Debug)]
struct Attempt {
    index: usize,
    key: String,
    body: Value,
    outcome: Outcome,
}

/// Uploads the document then submits; `None` when either got no answer.
pub async fn submit(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    body: &mut Value,
) -> Option<(StatusCode, Value)> {
    if body["document_id"].is_null() {
        let uploaded = client
            .post(format!("{base}/api/v1/documents"))
            .header("content-type", "image/png")
            .body(PNG.to_vec())
            .send()
            .await
            .ok()?;
        assert_eq!(uploaded.status(), StatusCode::CREATED);
        let uploaded: Value = uploaded.json().await.ok()?;
        body["document_id"] = uploaded["id"].clone();
    }
    let response = client
        .post(format!("{base}/api/v1/pre-registrations"))
        .header("idempotency-key", key)
        .json(&*body)
        .send()
        .await
        .ok()?;
    let status = response.status();
    let answer = response.json().await.ok()?;
    Some((status, answer))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_requests_survive_sigkill_and_retries_are_stored_exactly_once() {
    if std::env::var_os("ENROLE_TEST_DATABASE_URL").is_some() {
        // SQLite's durability is under test here; the PostgreSQL run has its own two-server test.
        return;
    }
    let dir = TempDir::new();
    let deployment = Deployment::sqlite(dir.path());
    let mut server = deployment.serve().await;
    deployment.run(&["seed-demo"]).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let site_id = demo_site_id(&client, &server.base, DEMO_FINESS).await;

    let queue: Arc<Mutex<Vec<Attempt>>> = Arc::new(Mutex::new(
        (0..REQUESTS)
            .rev()
            .map(|index| Attempt {
                index,
                key: key(),
                body: request(index, site_id),
                outcome: Outcome::NotSent,
            })
            .collect(),
    ));
    let done = Arc::new(Mutex::new(Vec::new()));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));

    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (queue, done, acknowledged, killed) = (
            queue.clone(),
            done.clone(),
            acknowledged.clone(),
            killed.clone(),
        );
        let (client, base) = (client.clone(), server.base.clone());
        clients.push(tokio::spawn(async move {
            loop {
                let Some(mut attempt) = queue.lock().await.pop() else {
                    return;
                };
                if killed.load(Ordering::SeqCst) {
                    done.lock().await.push(attempt);
                    continue;
                }
                attempt.outcome = match submit(&client, &base, &attempt.key, &mut attempt.body)
                    .await
                {
                    Some((StatusCode::CREATED, answer)) => {
                        acknowledged.fetch_add(1, Ordering::SeqCst);
                        Outcome::Acknowledged(answer["reference"].as_str().expect("ref").to_owned())
                    }
                    Some((status, answer)) => panic!("unexpected {status}: {answer}"),
                    None => Outcome::NoAnswer,
                };
                done.lock().await.push(attempt);
            }
        }));
    }
    while acknowledged.load(Ordering::SeqCst) < KILL_AFTER_ACKNOWLEDGED {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // SIGKILL: no graceful shutdown, whatever was in flight is cut.
    server.child.start_kill().expect("SIGKILL");
    killed.store(true, Ordering::SeqCst);
    server.child.wait().await.expect("reaped");
    for handle in clients {
        handle.await.expect("client task");
    }

    let mut attempts = std::mem::take(&mut *done.lock().await);
    attempts.sort_by_key(|attempt| attempt.index);
    let acknowledged_before: BTreeMap<usize, String> = attempts
        .iter()
        .filter_map(|attempt| match &attempt.outcome {
            Outcome::Acknowledged(reference) => Some((attempt.index, reference.clone())),
            _ => None,
        })
        .collect();
    let unanswered = attempts
        .iter()
        .filter(|attempt| matches!(attempt.outcome, Outcome::NoAnswer))
        .count();
    assert!(acknowledged_before.len() >= KILL_AFTER_ACKNOWLEDGED);
    eprintln!(
        "crash test: {} acknowledged before SIGKILL, {unanswered} cut without an answer, {} not sent",
        acknowledged_before.len(),
        REQUESTS - acknowledged_before.len() - unanswered
    );

    // Restart on the same file; retry what got no answer (same key, same body), send what was never sent.
    let server = deployment.serve().await;
    let mut references = BTreeMap::new();
    for attempt in &mut attempts {
        if let Outcome::Acknowledged(reference) = &attempt.outcome {
            references.insert(attempt.index, reference.clone());
            continue;
        }
        let (status, answer) = submit(&client, &server.base, &attempt.key, &mut attempt.body)
            .await
            .expect("the restarted server answers");
        assert_eq!(
            status,
            StatusCode::CREATED,
            "index {}: {answer}",
            attempt.index
        );
        references.insert(
            attempt.index,
            answer["reference"].as_str().expect("reference").to_owned(),
        );
    }
    // An acknowledged request sent again is answered with the same reference, not stored again.
    for attempt in attempts
        .iter_mut()
        .filter(|a| acknowledged_before.contains_key(&a.index))
    {
        let (status, answer) = submit(&client, &server.base, &attempt.key, &mut attempt.body)
            .await
            .expect("replay");
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            answer["reference"],
            acknowledged_before[&attempt.index].as_str()
        );
    }
    drop(server);

    let pool = SqlitePoolOptions::new()
        .connect(&format!(
            "sqlite://{}",
            dir.path().join("enrole.sqlite").display()
        ))
        .await
        .expect("open the database");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .expect("integrity_check");
    assert_eq!(integrity, "ok");
    let foreign_key_violations = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&pool)
        .await
        .expect("foreign_key_check");
    assert!(foreign_key_violations.is_empty());

    // Exactly one stored request per person, and exactly the references the clients were given.
    let rows = sqlx::query("SELECT reference, email FROM pre_registrations")
        .fetch_all(&pool)
        .await
        .expect("rows");
    assert_eq!(
        rows.len(),
        REQUESTS,
        "one row per request, none lost, none doubled"
    );
    let stored: HashSet<(String, String)> = rows
        .iter()
        .map(|row| (row.get("reference"), row.get("email")))
        .collect();
    assert_eq!(stored.len(), REQUESTS);
    for (index, reference) in &references {
        assert!(
            stored.contains(&(reference.clone(), format!("crash.{index}@exemple.fr"))),
            "request {index} ({reference}) is stored with its own data"
        );
    }
    for (index, reference) in &acknowledged_before {
        assert_eq!(&references[index], reference);
    }

    // No half-written request: each has its document, its completed key, its audit entry, its receipt email,
    // and the per-site counters agree with the rows.
    let incomplete: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pre_registrations p \
         WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = p.document_id) \
            OR NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.subject = 'pre_registration:' || p.id) \
            OR NOT EXISTS (SELECT 1 FROM mail_outbox m WHERE m.recipient = p.email)",
    )
    .fetch_one(&pool)
    .await
    .expect("incomplete");
    assert_eq!(incomplete, 0);
    let keys: Vec<(String, String)> =
        sqlx::query_as("SELECT key, state FROM idempotency_keys ORDER BY key")
            .fetch_all(&pool)
            .await
            .expect("keys");
    assert_eq!(keys.len(), REQUESTS);
    assert!(keys.iter().all(|(_, state)| state == "done"));
    let counters_disagree: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT site_id, status, COUNT(*) AS n FROM pre_registrations \
         GROUP BY site_id, status) r \
         LEFT JOIN queue_counts q ON q.site_id = r.site_id AND q.status = r.status \
         WHERE q.n IS NOT r.n",
    )
    .fetch_one(&pool)
    .await
    .expect("counters");
    assert_eq!(counters_disagree, 0);
    pool.close().await;
}

#[tokio::test]
async fn a_second_server_on_the_same_sqlite_file_is_refused() {
    if std::env::var_os("ENROLE_TEST_DATABASE_URL").is_some() {
        return;
    }
    let dir = TempDir::new();
    let deployment = Deployment::sqlite(dir.path());
    let _first = deployment.serve().await;
    let second = deployment
        .command(free_port())
        .arg("serve")
        .output()
        .await
        .expect("run a second enrole serve");
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("une autre instance d'enrole sert déjà cette base SQLite"),
        "{stderr}"
    );
}
