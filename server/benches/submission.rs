//! Open-loop load on the pre-registration submission: `ENROLE_BENCH_RATE` requests per second (default 500) for
//! `ENROLE_BENCH_SECONDS` (default 30) against the real `enrole` binary (release build, SQLite unless
//! `ENROLE_BENCH_DATABASE_URL` names PostgreSQL), then the same load on a bare axum JSON echo endpoint (this
//! benchmark's own binary started again as a separate process with `--echo`; not part of the product), measured
//! in the same run; prints p50, p99, errors and the ratio.
//!
//! Open loop: request `i` is due at `start + i / rate` whatever happened to the others, and its latency runs from
//! that due time, so a stalled server is charged for the queue it builds (no coordinated omission).
//!
//! `ENROLE_BENCH_DEBUG=1` also lists when the requests at or above the p99 were due.
//!
//! Why not oha for the submission: every submission needs its own `Idempotency-Key` and its own uploaded document
//! (both unique in the database), and oha sends one fixed body and header set. The documents are uploaded before
//! the measured phase ("JSON body without the document"); `scripts/bench.sh` runs oha on the echo endpoint too, to
//! cross-check this generator against it.
#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

mod support;

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use tokio::sync::mpsc;

struct Outcome {
    /// (request index, latency) of the successful requests, by index.
    timeline: Vec<(usize, Duration)>,
    errors: usize,
    sent: usize,
}

fn setting(name: &str, default: u64) -> Result<u64> {
    match std::env::var(name) {
        Ok(value) => value.parse().with_context(|| format!("{name}: a number")),
        Err(_) => Ok(default),
    }
}

/// Sends `total` requests at `rate` per second; `request(i)` builds the `i`-th.
///
/// The pacing runs on its own thread with the operating system's sleep and a short spin, because tokio's timer
/// ticks in whole milliseconds: `sleep_until` would send each request up to a millisecond late and, latency being
/// counted from the due time, charge that to the server.
async fn open_loop<F>(rate: u64, total: usize, request: F) -> Outcome
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + 'static,
{
    let (done, mut results) = mpsc::unbounded_channel();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let runtime = tokio::runtime::Handle::current();
    let pacer = std::thread::spawn(move || {
        let start = Instant::now() + Duration::from_millis(50);
        for index in 0..total {
            let due = start + interval * u32::try_from(index).unwrap_or(u32::MAX);
            wait_until(due);
            let pending = request(index);
            let done = done.clone();
            runtime.spawn(async move {
                let ok = match pending.send().await {
                    Ok(response) => {
                        let status = response.status();
                        response.bytes().await.is_ok() && status.is_success()
                    }
                    Err(_) => false,
                };
                let _ = done.send((index, due.elapsed(), ok));
            });
        }
    });
    let mut outcome = Outcome {
        timeline: Vec::with_capacity(total),
        errors: 0,
        sent: total,
    };
    while let Some((index, latency, ok)) = results.recv().await {
        if ok {
            outcome.timeline.push((index, latency));
        } else {
            outcome.errors += 1;
        }
    }
    let _ = pacer.join();
    outcome.timeline.sort_unstable();
    outcome
}

/// Sleeps until shortly before `due`, then spins the last stretch (the sleep may overshoot by tens of µs).
fn wait_until(due: Instant) {
    const SPIN: Duration = Duration::from_micros(150);
    loop {
        let now = Instant::now();
        if now >= due {
            return;
        }
        let left = due - now;
        if left > SPIN {
            std::thread::sleep(left - SPIN);
        } else {
            std::hint::spin_loop();
        }
    }
}

fn report(name: &str, outcome: &Outcome, rate: u64) -> (f64, f64) {
    let mut latencies: Vec<Duration> = outcome.timeline.iter().map(|(_, l)| *l).collect();
    latencies.sort_unstable();
    let p50 = support::percentile_ms(&latencies, 0.50);
    let p99 = support::percentile_ms(&latencies, 0.99);
    if std::env::var("ENROLE_BENCH_DEBUG").is_ok() {
        // When the slow requests were due: clustered in time means a stall, spread means a steady cost.
        let slow = outcome
            .timeline
            .iter()
            .filter(|(_, latency)| latency.as_secs_f64() * 1000.0 >= p99);
        for (index, latency) in slow {
            println!(
                "    slow: due at {:>8.3} s: {:.2} ms",
                *index as f64 / rate as f64,
                latency.as_secs_f64() * 1000.0
            );
        }
    }
    println!(
        "{name:<44} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>7}",
        outcome.sent,
        p50,
        p99,
        latencies
            .last()
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        outcome.errors
    );
    (p50, p99)
}

/// The echo process: `POST /echo` answers the JSON it received.
fn run_echo_server(port: u16) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let app = axum::Router::new().route(
            "/echo",
            axum::routing::post(
                |axum::Json(body): axum::Json<Value>| async move { axum::Json(body) },
            ),
        );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// A minimal SMTP server on loopback that accepts every message and keeps only a count: the relay the server
/// sends its receipts to during the benchmark, as in production (an SMTP relay), so that the benchmark measures
/// the SMTP conversation and not `.eml` files written on the database's disk.
struct SmtpSink {
    port: u16,
    received: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    accept: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    async fn start() -> Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let received = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = std::sync::Arc::clone(&received);
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(Self::converse(stream, std::sync::Arc::clone(&count)));
            }
        });
        Ok(Self {
            port,
            received,
            accept,
        })
    }

    fn received(&self) -> usize {
        self.received.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// One SMTP session: every command is accepted; `DATA` is read up to its lone `.` line.
    async fn converse(
        stream: tokio::net::TcpStream,
        count: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    ) -> std::io::Result<()> {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink ESMTP\r\n").await?;
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                "DATA" => {
                    write.write_all(b"354 end with .\r\n").await?;
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await? == 0 {
                            return Ok(());
                        }
                        if line == ".\r\n" {
                            break;
                        }
                    }
                    count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    b"250 queued\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => b"250 ok\r\n",
            };
            write.write_all(reply).await?;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

struct EchoProcess(std::process::Child);

impl Drop for EchoProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn submission_body(
    index: usize,
    site_id: i64,
    finess: &str,
    notice: &str,
    document: &str,
) -> Value {
    // Distinct names so that no request is flagged as a possible duplicate of another.
    let letters: String = format!("{index:06}")
        .bytes()
        .map(|digit| char::from(b'a' + (digit - b'0')))
        .collect();
    json!({
        "civilite": "MME",
        "nom_naissance": format!("Bench{letters}"),
        "prenoms": ["Awa"],
        "date_naissance": "1988-11-03",
        "lieu_naissance": {"commune_cog": "31555"},
        "email": format!("bench{index}@exemple.fr"),
        "email_confirmation": format!("bench{index}@exemple.fr"),
        "mobile": "06 12 34 56 78",
        "situation": {
            "finess": finess, "nom_exercice": format!("Bench{letters}"), "prenom_exercice": "Awa",
            "metier": "328", "role": "GENR11", "mode_exercice": "S", "date_prise_fonction": "2024-09-01"
        },
        "rpps_existant": null,
        "notice_version": notice,
        "site_id": site_id,
        "document_id": document,
    })
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(position) = args.iter().position(|a| a == "--echo") {
        let port = args
            .get(position + 1)
            .context("--echo PORT")?
            .parse()
            .context("--echo PORT: a port number")?;
        return run_echo_server(port);
    }
    // `cargo bench` passes `--bench`; nothing else is expected.
    let rate = setting("ENROLE_BENCH_RATE", 500)?;
    let seconds = setting("ENROLE_BENCH_SECONDS", 30)?;
    let total = usize::try_from(rate * seconds)?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(measure(rate, seconds, total))
}

async fn measure(rate: u64, seconds: u64, total: usize) -> Result<()> {
    let sink = SmtpSink::start().await?;
    let relay = format!("smtp://127.0.0.1:{}", sink.port);
    let server = support::start_server(&[("ENROLE_SMTP_URL", &relay)])?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .timeout(Duration::from_secs(30))
        .build()?;
    support::wait_ready(&client, &server.base).await?;
    let base = server.base.clone();
    let found: Value = client
        .get(format!("{base}/api/v1/structures?q=319999918"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let site_id = found["structures"][0]["site"]["id"]
        .as_i64()
        .context("demo site")?;
    let notice: Value = client
        .get(format!("{base}/api/v1/structures/{site_id}/notice"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let notice = notice["version"].as_str().context("notice")?.to_owned();

    // The documents first, 16 at a time: each submission attaches its own.
    let started = Instant::now();
    let mut documents = Vec::with_capacity(total);
    for chunk in (0..total).collect::<Vec<_>>().chunks(16) {
        let uploads = chunk.iter().map(|_| {
            client
                .post(format!("{base}/api/v1/documents"))
                .header("content-type", "image/png")
                .body(&b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0"[..])
                .send()
        });
        for response in futures_util_join(uploads).await {
            let uploaded: Value = response?.error_for_status()?.json().await?;
            documents.push(uploaded["id"].as_str().context("document id")?.to_owned());
        }
    }
    let prepared = started.elapsed();
    // Let the server's background checkpoint (every 0.5 s) copy the uploads' log into the database file first:
    // without this pause, a third to a half of the slowest submissions fell in the first second, behind the
    // flush of those 15 000 uploads, which a real day spreads between the submissions (the queue benchmark
    // likewise settles its bulk load before timing).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let bodies: Vec<Vec<u8>> = documents
        .iter()
        .enumerate()
        .map(|(i, document)| {
            serde_json::to_vec(&submission_body(i, site_id, "319999918", &notice, document))
        })
        .collect::<Result<_, _>>()?;

    let backend = if std::env::var("ENROLE_BENCH_DATABASE_URL").is_ok() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "open-loop load, {rate} req/s for {seconds} s, {backend}, release build ({total} documents uploaded \
         beforehand in {:.1} s)",
        prepared.as_secs_f64()
    );
    println!(
        "{:<44} {:>7} {:>9} {:>9} {:>9} {:>7}",
        "endpoint", "sent", "p50 ms", "p99 ms", "max ms", "errors"
    );
    let bodies = std::sync::Arc::new(bodies);
    let run = std::process::id();
    let submissions = open_loop(rate, total, {
        let (client, bodies, url) = (
            client.clone(),
            std::sync::Arc::clone(&bodies),
            format!("{base}/api/v1/pre-registrations"),
        );
        move |i| {
            client
                .post(&url)
                .header("content-type", "application/json")
                .header("idempotency-key", format!("bench-{run}-{i}"))
                .body(bodies[i].clone())
        }
    })
    .await;
    let (_, submission_p99) = report(
        "POST /api/v1/pre-registrations (enrole)",
        &submissions,
        rate,
    );
    // The receipts the mail worker sent during the measured phase (it sends each batch 0.1 s after it was woken).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = sink.received();
    drop(server);
    println!(
        "emails received by the SMTP sink: {received} (receipts and gestionnaire notices, for {total} submissions)"
    );

    let port = support::free_port()?;
    let echo = EchoProcess(
        std::process::Command::new(std::env::current_exe()?)
            .args(["--echo", &port.to_string()])
            .spawn()?,
    );
    let echo_url = format!("http://127.0.0.1:{port}/echo");
    let mut ready = false;
    for _ in 0..100 {
        if client.post(&echo_url).json(&json!({})).send().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !ready {
        bail!("the echo server did not start");
    }
    let echoes = open_loop(rate, total, {
        let (client, bodies, url) = (
            client.clone(),
            std::sync::Arc::clone(&bodies),
            echo_url.clone(),
        );
        move |i| {
            client
                .post(&url)
                .header("content-type", "application/json")
                .body(bodies[i].clone())
        }
    })
    .await;
    let (_, echo_p99) = report("POST /echo (bare axum JSON echo)", &echoes, rate);
    drop(echo);
    println!(
        "ratio submission / echo at p99: {:.1}",
        submission_p99 / echo_p99
    );
    Ok(())
}

/// Awaits every future of `futures`, in order.
async fn futures_util_join<I, F, T>(futures: I) -> Vec<T>
where
    I: IntoIterator<Item = F>,
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        if let Ok(value) = handle.await {
            out.push(value);
        }
    }
    out
}
