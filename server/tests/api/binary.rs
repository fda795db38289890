//! The real `enrole` binary as a child process: `enrole serve` on a free loopback port, and one-shot commands.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use tokio::process::{Child, Command};

/// A running `enrole serve`; killed when dropped.
pub struct EnroleProcess {
    pub base: String,
    pub child: Child,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("free port")
}

/// How the processes of one test are configured: the database, a directory for the outbox, the public URL all
/// instances share (the Origin that CSRF checks expect).
#[derive(Debug, Clone)]
pub struct Deployment {
    pub database_url: String,
    pub dir: PathBuf,
    pub public_url: String,
}

impl Deployment {
    /// A SQLite file in `dir`.
    pub fn sqlite(dir: &Path) -> Self {
        Self {
            database_url: format!("sqlite://{}?mode=rwc", dir.join("enrole.sqlite").display()),
            dir: dir.to_path_buf(),
            public_url: "http://127.0.0.1".to_owned(),
        }
    }

    pub fn command(&self, port: u16) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_enrole"));
        command
            .env_clear()
            .env("ENROLE_DATABASE_URL", &self.database_url)
            .env("ENROLE_OUTBOX_DIR", self.dir.join("outbox"))
            .env("ENROLE_SITE_DIR", self.dir.join("site"))
            .env("ENROLE_LISTEN", format!("127.0.0.1:{port}"))
            .env("ENROLE_PUBLIC_URL", &self.public_url)
            .env("ENROLE_RATE_LIMIT_SUBMISSIONS_PER_HOUR", "1000000")
            .env("ENROLE_RATE_LIMIT_DOCUMENTS_PER_HOUR", "1000000")
            .env("ENROLE_LOG", "warn")
            .kill_on_drop(true);
        command
    }

    /// Runs a one-shot command (`migrate`, `seed-demo`…); answers its standard output.
    pub async fn run(&self, args: &[&str]) -> String {
        let output = self
            .command(0)
            .args(args)
            .output()
            .await
            .expect("run enrole");
        assert!(
            output.status.success(),
            "enrole {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8 output")
    }

    /// Starts `enrole serve` on a free port and waits until it is ready.
    pub async fn serve(&self) -> EnroleProcess {
        let port = free_port();
        let child = self
            .command(port)
            .arg("serve")
            .spawn()
            .expect("spawn enrole serve");
        let process = EnroleProcess {
            base: format!("http://127.0.0.1:{port}"),
            child,
        };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(response) = client.get(format!("{}/readyz", process.base)).send().await
                && response.status() == StatusCode::OK
            {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("enrole serve did not become ready");
    }
}

/// The id of the demo site `finess` (created by `enrole seed-demo`), through the public search.
pub async fn demo_site_id(client: &reqwest::Client, base: &str, finess: &str) -> i64 {
    let found: serde_json::Value = client
        .get(format!("{base}/api/v1/structures?q={finess}"))
        .send()
        .await
        .expect("structures")
        .json()
        .await
        .expect("json");
    found["structures"][0]["site"]["id"]
        .as_i64()
        .expect("demo site id")
}
