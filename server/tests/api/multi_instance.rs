//! Two `enrole serve` processes on one PostgreSQL database, as behind a load balancer: a session opened on one
//! is valid on the other, and concurrent decisions sent to both decide each request exactly once.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::postgres::PgPoolOptions;

use crate::binary::{Deployment, demo_site_id};
use crate::crash::{request, submit};
use crate::helpers::{TempDir, TestDatabase};
use crate::intake::key;

const PUBLIC_URL: &str = "http://127.0.0.1:8080";
const PASSWORD: &str = "Deux-instances-une-base-7";
const REQUESTS: usize = 24;
/// Concurrent decisions per request, half to each instance.
const ATTEMPTS: usize = 6;

async fn post(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    body: &Value,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut request = client
        .post(format!("{base}{path}"))
        .header("origin", PUBLIC_URL)
        .header("x-enrole-csrf", "1")
        .json(body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.expect("POST")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_share_sessions_and_decide_each_request_exactly_once() {
    if std::env::var_os("ENROLE_TEST_DATABASE_URL").is_none() {
        // One SQLite file serves one process (a second is refused: see crash.rs); this is PostgreSQL's test.
        return;
    }
    let database = TestDatabase::create().await;
    let dir = TempDir::new();
    let deployment = Deployment {
        database_url: database.url().to_owned(),
        dir: dir.path().to_path_buf(),
        public_url: PUBLIC_URL.to_owned(),
    };
    deployment.run(&["migrate"]).await;
    let seeded = deployment.run(&["seed-demo"]).await;
    let token = seeded
        .split("/gestion/mot-de-passe/")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("password link in the output of seed-demo")
        .to_owned();
    let (a, b) = tokio::join!(deployment.serve(), deployment.serve());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");

    // The password is set on A, the sign-in happens on B, and A knows the session.
    let set = post(
        &client,
        &a.base,
        "/api/v1/auth/password",
        &json!({"token": token, "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    let signed_in = post(
        &client,
        &b.base,
        "/api/v1/auth/sign-in",
        &json!({"email": "gestionnaire.demo@enrole.localhost", "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned();
    let me = client
        .get(format!("{}/api/v1/auth/me", a.base))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("me");
    assert_eq!(
        me.status(),
        StatusCode::OK,
        "the session opened on B is valid on A"
    );

    // Requests arrive through both instances.
    let site_id = demo_site_id(&client, &a.base, "319999918").await;
    let mut references = HashSet::new();
    for index in 0..REQUESTS {
        let base = if index % 2 == 0 { &a.base } else { &b.base };
        let mut body = request(900 + index, site_id);
        let (status, answer) = submit(&client, base, &key(), &mut body)
            .await
            .expect("answer");
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        references.insert(answer["reference"].as_str().expect("reference").to_owned());
    }
    let queue: Value = client
        .get(format!("{}/api/v1/gestion/demandes?status=toutes", b.base))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("queue")
        .json()
        .await
        .expect("json");
    let ids: Vec<i64> = queue["demandes"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|row| references.contains(row["reference"].as_str().unwrap_or_default()))
        .map(|row| row["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids.len(), REQUESTS);

    // Every request gets ATTEMPTS concurrent decisions, half validations and half refusals, spread over A and B.
    let mut attempts = Vec::new();
    for &id in &ids {
        for attempt in 0..ATTEMPTS {
            let base = if attempt % 2 == 0 {
                a.base.clone()
            } else {
                b.base.clone()
            };
            let body = if attempt % 3 == 0 {
                json!({"decision": "reject", "reason_code": "doublon"})
            } else {
                json!({"decision": "validate"})
            };
            let (client, cookie) = (client.clone(), cookie.clone());
            attempts.push(tokio::spawn(async move {
                let path = format!("/api/v1/gestion/demandes/{id}/decision");
                let response = post(&client, &base, &path, &body, Some(&cookie)).await;
                (id, response.status())
            }));
        }
    }
    let mut wins = std::collections::BTreeMap::<i64, usize>::new();
    for attempt in attempts {
        let (id, status) = attempt.await.expect("decision task");
        match status {
            StatusCode::OK => *wins.entry(id).or_default() += 1,
            StatusCode::CONFLICT => {}
            other => panic!("request {id}: unexpected {other}"),
        }
    }
    assert_eq!(wins.len(), REQUESTS);
    assert!(
        wins.values().all(|&n| n == 1),
        "exactly one decision won per request: {wins:?}"
    );

    // In the database: unique, Luhn-valid numbers; one decision in the audit trail per request.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(database.url())
        .await
        .expect("connect");
    let numbers: Vec<String> =
        sqlx::query_scalar("SELECT rpps FROM pre_registrations WHERE rpps IS NOT NULL")
            .fetch_all(&pool)
            .await
            .expect("numbers");
    let distinct: HashSet<&String> = numbers.iter().collect();
    assert_eq!(distinct.len(), numbers.len(), "every RPPS number is unique");
    assert!(
        numbers
            .iter()
            .all(|n| shared::ids::Rpps::parse(n).is_ok_and(|r| r.has_valid_key()))
    );
    let professionals: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM professionals")
        .fetch_one(&pool)
        .await
        .expect("professionals");
    assert_eq!(
        professionals as usize,
        numbers.len(),
        "one identity per allocated number"
    );
    let decisions: Vec<(String, i64)> = sqlx::query_as(
        "SELECT subject, COUNT(*) FROM audit_log \
         WHERE action IN ('pre_registration.validee', 'pre_registration.refusee') GROUP BY subject",
    )
    .fetch_all(&pool)
    .await
    .expect("audit");
    assert_eq!(decisions.len(), REQUESTS);
    assert!(decisions.iter().all(|(_, n)| *n == 1), "{decisions:?}");
    pool.close().await;
    drop((a, b));
}
