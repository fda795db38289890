//! What the benchmarks share: the real `enrole` binary started on a free loopback port with a fresh database and
//! the demo data, and latency percentiles.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Result, bail};

pub struct Server {
    child: Child,
    pub base: String,
    _dir: TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A free loopback port.
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// `enrole seed-demo` then `enrole serve` on SQLite in a temporary directory, or on the database named by
/// `ENROLE_BENCH_DATABASE_URL`; `extra_env` adds settings.
pub fn start_server(extra_env: &[(&str, &str)]) -> Result<Server> {
    let dir = TempDir(std::env::temp_dir().join(format!(
        "enrole-bench-{}-{}",
        std::process::id(),
        free_port()?
    )));
    std::fs::create_dir_all(&dir.0)?;
    let database_url = std::env::var("ENROLE_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/enrole.sqlite?mode=rwc", dir.0.display()));
    let port = free_port()?;
    let command = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_enrole"));
        command
            .args(args)
            .env("ENROLE_DATABASE_URL", &database_url)
            .env("ENROLE_LISTEN", format!("127.0.0.1:{port}"))
            .env("ENROLE_OUTBOX_DIR", dir.0.join("outbox"))
            .env("ENROLE_SITE_DIR", dir.0.join("site"))
            .env("ENROLE_LOG", "warn")
            // One client address sends everything here: lift the per-address limits out of the way.
            .env("ENROLE_RATE_LIMIT_SUBMISSIONS_PER_HOUR", "10000000")
            .env("ENROLE_RATE_LIMIT_DOCUMENTS_PER_HOUR", "10000000")
            .env("ENROLE_DB_MAX_CONNECTIONS", "16")
            .envs(extra_env.iter().copied())
            .stdout(Stdio::null());
        command
    };
    let seeded = command(&["seed-demo"]).status()?;
    if !seeded.success() {
        bail!("enrole seed-demo failed");
    }
    let child = command(&["serve"]).spawn()?;
    Ok(Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    })
}

pub async fn wait_ready(client: &reqwest::Client, base: &str) -> Result<()> {
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the server did not become ready")
}

/// The `p`-quantile (0..=1) of sorted latencies, in milliseconds.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}
