//! Latency of one page of the gestionnaire's queue (`GET /api/v1/gestion/demandes`: 50 rows and the counts) with
//! 10 000 and 1 000 000 requests in the database. The rows are bulk-inserted with SQL (one statement per table),
//! spread over 10 sites of which the signed-in gestionnaire covers 3 (through their entité juridique), with
//! realistic statuses (about a fifth still to decide). Each measure requests pages spread over the first 40 pages
//! of the queue (through their cursors), sequentially, after a warm-up, and prints p50/p99.
//!
//! `cargo bench -p server --bench queue` runs on SQLite; `ENROLE_BENCH_DATABASE_URL=postgres://…/postgres` runs on
//! PostgreSQL (a database `enrole_bench_<uuid>` is created and dropped per size). `ENROLE_BENCH_QUEUE_SIZES=10000`
//! changes the sizes (comma-separated); `ENROLE_BENCH_DEBUG=1` also lists the slowest page requests (when they
//! happened and which page), which tells a background disturbance from a slow page.
#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use enrole_server::establishments::{self, EstablishmentInput, SiteInput};
use enrole_server::gestionnaires::{self, AttachTo};
use enrole_server::storage::{Actor, Backend, EstablishmentKey, Storage};
use enrole_server::{Application, Config};
use serde_json::{Value, json};
use sqlx::{Connection, Executor, PgConnection};

const PASSWORD: &str = "Correct-Horse-Battery-9";
const SITES: u32 = 10;
/// Page requests per size: enough that one or two disturbances do not move the p99 between runs of the same build
/// (see ARCHITECTURE.md).
const SAMPLES: usize = 2000;

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn luhn_key(prefix: &str) -> String {
    (0..10)
        .map(|d| format!("{prefix}{d}"))
        .find(|c| {
            let sum: u32 = c
                .bytes()
                .rev()
                .enumerate()
                .map(|(i, b)| {
                    let d = u32::from(b - b'0');
                    if i % 2 == 1 {
                        if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
                    } else {
                        d
                    }
                })
                .sum();
            sum.is_multiple_of(10)
        })
        .unwrap_or_default()
}

fn siret(serial: u32) -> String {
    luhn_key(&format!("{}0001", luhn_key(&format!("4{serial:07}"))))
}

/// Bulk-inserts `n` documents and requests over `site_ids`, then recomputes the counters.
async fn fill(storage: &Storage, url: &str, n: u64, site_ids: &[i64]) -> Result<()> {
    let sites = site_ids.len() as u64;
    let case = |expr: &str| {
        let mut sql = String::from("CASE");
        for (k, id) in site_ids.iter().enumerate() {
            sql.push_str(&format!(" WHEN ({expr}) % {sites} = {k} THEN {id}"));
        }
        sql.push_str(" END");
        sql
    };
    // Statuses: 10 % recue, 10 % en_cours, 5 % a_completer, 60 % validee, 15 % refusee; one row a minute,
    // oldest first, ending now.
    let status = |i: &str| {
        format!(
            "CASE WHEN {i} % 20 < 2 THEN 'recue' WHEN {i} % 20 < 4 THEN 'en_cours' WHEN {i} % 20 < 5 \
             THEN 'a_completer' WHEN {i} % 20 < 17 THEN 'validee' ELSE 'refusee' END"
        )
    };
    let start = time::OffsetDateTime::now_utc().unix_timestamp() - i64::try_from(n)? * 60;
    let columns = "reference, site_id, status, civilite, nom_naissance, prenoms, date_naissance, lieu_commune_cog, \
                   email, mobile, finess, nom_exercice, prenom_exercice, metier, role, mode_exercice, \
                   date_prise_fonction, notice_version, document_id, status_token_hash, email_token_hash, \
                   created_at, updated_at, identity_key, email_confirmed_at";
    match storage.backend() {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(url).await?;
            conn.execute("PRAGMA synchronous = OFF").await?;
            let seq = format!(
                "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < {})",
                n - 1
            );
            conn.execute(sqlx::AssertSqlSafe(format!(
                "INSERT INTO documents (id, content_type, size_bytes, sha256, content, created_at) {seq} \
                 SELECT 'doc-' || i, 'image/png', 1, printf('%064d', i), x'00', '2026-01-01T00:00:00Z' FROM seq"
            )))
            .await?;
            let at = format!("strftime('%Y-%m-%dT%H:%M:%SZ', {start} + i * 60, 'unixepoch')");
            conn.execute(sqlx::AssertSqlSafe(format!(
                "INSERT INTO pre_registrations ({columns}) {seq} \
                 SELECT 'ENR-' || i, {site}, {status}, 'MME', 'Nom' || (i % 50000), '[\"Awa\"]', '1988-11-03', \
                 '31555', 'p' || i || '@exemple.fr', '+33612345678', '310000000', 'Martin', 'Awa', '328', \
                 'GENR11', 'S', '2024-09-01', 'v1', 'doc-' || i, 's' || i, 'e' || i, {at}, {at}, \
                 'nom' || (i % 50000) || '|1988-11-03', CASE WHEN i % 2 = 0 THEN {at} END FROM seq",
                site = case("i"),
                status = status("i"),
            )))
            .await?;
            conn.execute("DELETE FROM queue_counts").await?;
            conn.execute(
                "INSERT INTO queue_counts (site_id, status, n) SELECT site_id, status, COUNT(*) \
                 FROM pre_registrations GROUP BY site_id, status",
            )
            .await?;
            conn.execute("ANALYZE").await?;
            // A database of 1 M requests grew over years, not in seconds: measure it settled, with the bulk load
            // moved from the write-ahead log into the database file and on disk, rather than while the server's
            // checkpointer and the kernel's writeback are still flushing a gigabyte written a moment ago.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
            conn.close().await?;
            let path = enrole_server::storage::sqlite_database_file(url)
                .context("the SQLite database file")?;
            std::fs::File::open(path)?.sync_all()?;
        }
        Backend::Postgres => {
            let mut conn = PgConnection::connect(url).await?;
            conn.execute(sqlx::AssertSqlSafe(format!(
                "INSERT INTO documents (id, content_type, size_bytes, sha256, content, created_at) \
                 SELECT 'doc-' || i, 'image/png', 1, lpad(i::text, 64, '0'), '\\x00'::bytea, now() \
                 FROM generate_series(0, {}) i",
                n - 1
            )))
            .await?;
            let at = format!("to_timestamp({start} + i * 60)");
            conn.execute(sqlx::AssertSqlSafe(format!(
                "INSERT INTO pre_registrations ({columns}) \
                 SELECT 'ENR-' || i, {site}, {status}, 'MME', 'Nom' || (i % 50000), '[\"Awa\"]', '1988-11-03', \
                 '31555', 'p' || i || '@exemple.fr', '+33612345678', '310000000', 'Martin', 'Awa', '328', \
                 'GENR11', 'S', '2024-09-01', 'v1', 'doc-' || i, 's' || i, 'e' || i, {at}, {at}, \
                 'nom' || (i % 50000) || '|1988-11-03', CASE WHEN i % 2 = 0 THEN {at} END \
                 FROM generate_series(0, {last}) i",
                site = case("i"),
                status = status("i"),
                last = n - 1,
            )))
            .await?;
            conn.execute("DELETE FROM queue_counts").await?;
            conn.execute(
                "INSERT INTO queue_counts (site_id, status, n) SELECT site_id, status, COUNT(*) \
                 FROM pre_registrations GROUP BY site_id, status",
            )
            .await?;
            conn.execute("VACUUM ANALYZE").await?;
            conn.close().await?;
        }
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Fills a fresh database with `n` requests and measures queue pages: (p50, p99).
async fn measure(n: u64) -> Result<(Duration, Duration)> {
    let dir = TempDir(std::env::temp_dir().join(format!(
        "enrole-bench-queue-{}",
        uuid::Uuid::new_v4().simple()
    )));
    std::fs::create_dir_all(&dir.0)?;
    let pg_admin = std::env::var("ENROLE_BENCH_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let (url, pg_name) = match &pg_admin {
        None => (
            format!("sqlite://{}/bench.sqlite?mode=rwc", dir.0.display()),
            None,
        ),
        Some(admin) => {
            let name = format!("enrole_bench_{}", uuid::Uuid::new_v4().simple());
            let mut conn = PgConnection::connect(admin).await?;
            conn.execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
                .await?;
            conn.close().await?;
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            (format!("{base}/{name}"), Some(name))
        }
    };
    let env: HashMap<&str, String> = HashMap::from([
        ("ENROLE_DATABASE_URL", url.clone()),
        ("ENROLE_LISTEN", "127.0.0.1:0".to_owned()),
        (
            "ENROLE_OUTBOX_DIR",
            dir.0.join("outbox").display().to_string(),
        ),
        ("ENROLE_SITE_DIR", dir.0.join("site").display().to_string()),
        ("ENROLE_DB_MAX_CONNECTIONS", "8".to_owned()),
    ]);
    let config = Config::from_lookup(|k| env.get(k).cloned())?;
    let app = Application::build(config.clone()).await?;
    let storage = app.storage().clone();
    let port = app.port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));

    let actor = Actor::cli();
    let mut site_ids = Vec::new();
    for ej_serial in 0..2u32 {
        let ej = establishments::create_establishment(
            &storage,
            &EstablishmentInput {
                nom: format!("Association {ej_serial}"),
                siret: Some(siret(900 + ej_serial)),
                finess_juridique: None,
            },
            &actor,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .value;
        let count = if ej_serial == 0 { 3 } else { SITES - 3 };
        for s in 0..count {
            let serial = ej_serial * 100 + s;
            let site = establishments::add_site(
                &storage,
                &EstablishmentKey::Id(ej.id),
                &SiteInput {
                    nom: format!("Site {serial}"),
                    finess: Some(luhn_key(&format!("31{:06}", 5000 + serial))),
                    siret: None,
                    commune: Some("Toulouse".to_owned()),
                },
                &actor,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .value;
            site_ids.push(site.id);
        }
    }
    let gestionnaire = gestionnaires::create(
        &storage,
        "bench@exemple.fr",
        "Bench",
        &AttachTo::EjSiret(siret(900)),
        &actor,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let link = gestionnaires::issue_password_link(&storage, &config, &gestionnaire, &actor).await?;
    let token = link.rsplit('/').next().context("token")?.to_owned();

    let started = Instant::now();
    fill(&storage, &url, n, &site_ids).await?;
    let fill_time = started.elapsed();

    let base = format!("http://127.0.0.1:{port}");
    let origin = config.public_url.clone();
    let client = reqwest::Client::builder().no_proxy().build()?;
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .header("origin", enrole_server::auth::public_origin(&origin))
            .header("x-enrole-csrf", "1")
            .json(&body)
            .send()
    };
    post(
        "/api/v1/auth/password",
        json!({"token": token, "password": PASSWORD}),
    )
    .await?
    .error_for_status()?;
    let signed = post(
        "/api/v1/auth/sign-in",
        json!({"email": "bench@exemple.fr", "password": PASSWORD}),
    )
    .await?
    .error_for_status()?;
    let cookie = signed
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("cookie")?
        .to_owned();
    let get_page = |cursor: Option<String>| {
        let url = match cursor {
            Some(c) => format!("{base}/api/v1/gestion/demandes?cursor={c}"),
            None => format!("{base}/api/v1/gestion/demandes"),
        };
        client.get(url).header("cookie", &cookie).send()
    };
    // The cursors of the first 40 pages (also a warm-up).
    let mut cursors: Vec<Option<String>> = vec![None];
    while cursors.len() < 40 {
        let page: Value = get_page(cursors.last().cloned().flatten())
            .await?
            .error_for_status()?
            .json()
            .await?;
        anyhow::ensure!(
            page["demandes"].as_array().map_or(0, Vec::len) == 50,
            "a full page"
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursors.push(Some(c.to_owned())),
            None => break,
        }
    }
    let mut samples = Vec::with_capacity(SAMPLES);
    let mut order = Vec::with_capacity(SAMPLES);
    for k in 0..SAMPLES {
        let cursor = cursors[(k * 7) % cursors.len()].clone();
        let t = Instant::now();
        let response = get_page(cursor).await?.error_for_status()?;
        let _ = response.bytes().await?;
        samples.push(t.elapsed());
        order.push((k * 7) % cursors.len());
    }
    if std::env::var("ENROLE_BENCH_DEBUG").is_ok() {
        let mut idx: Vec<usize> = (0..samples.len()).collect();
        idx.sort_by_key(|&i| std::cmp::Reverse(samples[i]));
        for &i in idx.iter().take(12) {
            println!(
                "    slow: request {i} of {SAMPLES}, page {}: {:.2} ms",
                order[i],
                samples[i].as_secs_f64() * 1000.0
            );
        }
    }
    samples.sort();
    let (p50, p99) = (percentile(&samples, 0.5), percentile(&samples, 0.99));
    println!(
        "  {n:>9} requests (filled in {:.1} s): p50 {:.2} ms, p99 {:.2} ms over {SAMPLES} page requests",
        fill_time.as_secs_f64(),
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0
    );
    let _ = stop.send(());
    let _ = server.await;
    if let (Some(admin), Some(name)) = (pg_admin, pg_name) {
        let mut conn = PgConnection::connect(&admin).await?;
        conn.execute(sqlx::AssertSqlSafe(format!(
            r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
        )))
        .await?;
        conn.close().await?;
    }
    Ok((p50, p99))
}

fn main() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let sizes: Vec<u64> = std::env::var("ENROLE_BENCH_QUEUE_SIZES")
        .ok()
        .filter(|s| !s.is_empty())
        .map_or_else(
            || Ok(vec![10_000, 1_000_000]),
            |s| {
                s.split(',')
                    .map(|n| n.trim().parse::<u64>())
                    .collect::<Result<Vec<_>, _>>()
            },
        )?;
    let backend = if std::env::var("ENROLE_BENCH_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("queue page (50 rows + counts), {backend}:");
    let mut results = Vec::new();
    for n in sizes {
        results.push((n, runtime.block_on(measure(n))?));
    }
    if let (Some((small, (s50, s99))), Some((large, (l50, l99)))) =
        (results.first(), results.last())
        && small != large
    {
        println!(
            "  ratio {large}/{small}: p50 × {:.2}, p99 × {:.2}",
            l50.as_secs_f64() / s50.as_secs_f64(),
            l99.as_secs_f64() / s99.as_secs_f64()
        );
    }
    Ok(())
}
