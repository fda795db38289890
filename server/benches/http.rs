//! HTTP benchmark of the real `enrole` binary: starts it on a free loopback port with a fresh database and the
//! demo data, sends a fixed number of requests per scenario from concurrent clients, and prints throughput and
//! latency percentiles. Run it with `scripts/bench.sh` (SQLite and PostgreSQL) or
//! `cargo bench -p server --bench http`; `ENROLE_BENCH_DATABASE_URL=postgres://…` selects PostgreSQL.
//!
//! Client and server share this machine's cores, so the figures are a floor for the server, not a ceiling.
#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

const CLIENTS: usize = 16;
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

type PendingRequest = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

/// The `index`-th request of a scenario; fails unless the server answered as expected.
type Step = Arc<dyn Fn(reqwest::Client, usize) -> PendingRequest + Send + Sync>;

async fn run_scenario(
    client: &reqwest::Client,
    name: &str,
    total: usize,
    step: Step,
) -> Result<()> {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(CLIENTS);
    for worker in 0..CLIENTS {
        let client = client.clone();
        let step = Arc::clone(&step);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut index = worker;
            while index < total {
                let sent = Instant::now();
                step(client.clone(), index).await?;
                latencies.push(sent.elapsed());
                index += CLIENTS;
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let percentile = |p: f64| support::percentile_ms(&latencies, p);
    println!(
        "{name:<34} {total:>6} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
        total as f64 / elapsed.as_secs_f64(),
        percentile(0.50),
        percentile(0.95),
        percentile(0.99),
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    );
    Ok(())
}

fn get(base: &str, path: &str) -> Step {
    let url = format!("{base}{path}");
    Arc::new(move |client, _| {
        let url = url.clone();
        Box::pin(async move {
            let response = client.get(&url).send().await?;
            if !response.status().is_success() {
                bail!("GET {url}: {}", response.status());
            }
            response.bytes().await?;
            Ok(())
        })
    })
}

fn submission(base: &str, site: &Value) -> Result<Step> {
    let site_id = site["site"]["id"].as_i64().context("site id")?;
    let finess = site["site"]["finess"]
        .as_str()
        .context("site finess")?
        .to_owned();
    let base = base.to_owned();
    Ok(Arc::new(move |client, index| {
        let base = base.clone();
        let finess = finess.clone();
        Box::pin(async move {
            let uploaded: Value = client
                .post(format!("{base}/api/v1/documents"))
                .header("content-type", "image/png")
                .body(PNG)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let body = json!({
                "civilite": "MME",
                "nom_naissance": "Bench",
                "prenoms": ["Awa"],
                "date_naissance": "1988-11-03",
                "lieu_naissance": {"commune_cog": "31555"},
                "email": format!("bench{index}@exemple.fr"),
                "email_confirmation": format!("bench{index}@exemple.fr"),
                "mobile": "06 12 34 56 78",
                "situation": {
                    "finess": finess, "nom_exercice": "Bench", "prenom_exercice": "Awa", "metier": "328",
                    "role": "GENR11", "mode_exercice": "S", "date_prise_fonction": "2024-09-01"
                },
                "rpps_existant": null,
                "notice_version": notice_version(&client, &base, site_id).await?,
                "site_id": site_id,
                "document_id": uploaded["id"],
            });
            let response = client
                .post(format!("{base}/api/v1/pre-registrations"))
                .header(
                    "idempotency-key",
                    format!("bench-{}-{index}", std::process::id()),
                )
                .json(&body)
                .send()
                .await?;
            if response.status() != reqwest::StatusCode::CREATED {
                bail!(
                    "submission: {} {}",
                    response.status(),
                    response.text().await?
                );
            }
            Ok(())
        })
    }))
}

async fn notice_version(client: &reqwest::Client, base: &str, site_id: i64) -> Result<String> {
    let notice: Value = client
        .get(format!("{base}/api/v1/structures/{site_id}/notice"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(notice["version"]
        .as_str()
        .context("notice version")?
        .to_owned())
}

#[tokio::main]
async fn main() -> Result<()> {
    let server = support::start_server(&[])?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    support::wait_ready(&client, &server.base).await?;
    let sites: Value = client
        .get(format!("{}/api/v1/structures?q=demo", server.base))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let site = sites["structures"].get(0).context("no demo site")?.clone();

    let backend = if std::env::var("ENROLE_BENCH_DATABASE_URL").is_ok() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("enrole HTTP benchmark, {backend}, {CLIENTS} concurrent clients, release build");
    println!(
        "{:<34} {:>6} {:>9} {:>8} {:>8} {:>8} {:>8}",
        "scenario", "reqs", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let base = server.base.as_str();
    run_scenario(&client, "GET /healthz", 20_000, get(base, "/healthz")).await?;
    run_scenario(
        &client,
        "GET /api/v1/nomenclatures",
        5_000,
        get(base, "/api/v1/nomenclatures"),
    )
    .await?;
    run_scenario(
        &client,
        "GET /api/v1/structures?q=demo",
        5_000,
        get(base, "/api/v1/structures?q=demo"),
    )
    .await?;
    run_scenario(
        &client,
        "GET /api/v1/communes?q=saint",
        5_000,
        get(base, "/api/v1/communes?q=saint"),
    )
    .await?;
    run_scenario(
        &client,
        "GET /api/v1/pays?q=ma",
        5_000,
        get(base, "/api/v1/pays?q=ma"),
    )
    .await?;
    run_scenario(
        &client,
        "upload + notice + submission",
        1_000,
        submission(base, &site)?,
    )
    .await?;
    Ok(())
}
