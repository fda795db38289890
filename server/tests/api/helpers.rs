//! The `TestApp` harness: the real application on port 0 with a fresh database per test.
//!
//! The database is chosen by `ENROLE_TEST_DATABASE_URL`: unset, a temporary SQLite file; `postgres://…`, a fresh
//! database `enrole_test_<uuid>` created on that server, migrated, and dropped when the test ends.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use enrole_server::establishments::{self, EstablishmentInput, SiteInput};
use enrole_server::storage::{Actor, EstablishmentKey, EstablishmentRecord, SiteRecord, Storage};
use enrole_server::{Application, Config};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let path =
            std::env::temp_dir().join(format!("enrole-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh, empty database for one test.
pub struct TestDatabase {
    url: String,
    postgres: Option<(String, String)>,
    _dir: TempDir,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let dir = TempDir::new();
        match std::env::var("ENROLE_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            None => Self {
                url: format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("data/enrole.sqlite").display()
                ),
                postgres: None,
                _dir: dir,
            },
            Some(admin_url) => {
                assert!(
                    admin_url.starts_with("postgres://") || admin_url.starts_with("postgresql://"),
                    "ENROLE_TEST_DATABASE_URL must be a postgres:// URL"
                );
                let name = format!("enrole_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::connect(&admin_url)
                    .await
                    .expect("connect to the PostgreSQL server");
                admin
                    .execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
                    .await
                    .expect("create the test database");
                let _ = admin.close().await;
                Self {
                    url: with_database(&admin_url, &name),
                    postgres: Some((admin_url, name)),
                    _dir: dir,
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime: use a thread with its own runtime to run the async statement.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let mut admin = PgConnection::connect(&admin_url).await?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
                    )))
                    .await?;
                admin.close().await?;
                Ok::<(), anyhow::Error>(())
            })?;
            Ok::<(), anyhow::Error>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop a test database");
        }
    }
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{name}{query}", &base[..authority_end])
}

/// How the SPA directory of a test looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// A fake build: index.html, gestion.html, hashed assets under /pkg with .br/.gz copies.
    Built,
    /// No build at all.
    Missing,
}

pub const INDEX_HTML: &str =
    "<!doctype html><html lang=\"fr\"><title>public</title><p>index</p></html>";
pub const GESTION_HTML: &str =
    "<!doctype html><html lang=\"fr\"><title>gestion</title><p>gestion</p></html>";
pub const APP_JS: &str = "import init from '/pkg/public-abc123_bg.wasm'; init();";
pub const APP_JS_BR: &[u8] = b"fake brotli bytes";

fn write_site(dir: &Path) {
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).expect("pkg dir");
    std::fs::write(dir.join("index.html"), INDEX_HTML).expect("index");
    std::fs::write(dir.join("gestion.html"), GESTION_HTML).expect("gestion");
    std::fs::write(pkg.join("public-abc123.js"), APP_JS).expect("js");
    std::fs::write(pkg.join("public-abc123.js.br"), APP_JS_BR).expect("js.br");
    std::fs::write(pkg.join("public-abc123_bg.wasm"), b"\0asm\x01\0\0\0").expect("wasm");
    std::fs::write(dir.join("style.css"), "body { margin: 0; }").expect("css");
    std::fs::write(
        dir.join("embed.js"),
        include_str!("../../../public/embed.js"),
    )
    .expect("embed.js");
}

/// Options of a test application.
pub struct TestOptions {
    pub site: Site,
    pub env: Vec<(&'static str, String)>,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            site: Site::Built,
            env: Vec::new(),
        }
    }
}

/// The running application of one test.
pub struct TestApp {
    pub address: String,
    /// `ENROLE_PUBLIC_URL` as the application sees it.
    pub public_url: String,
    pub client: reqwest::Client,
    pub storage: Storage,
    /// `ENROLE_OUTBOX_DIR`: where the worker writes the emails it sends when no SMTP relay is set.
    pub outbox_dir: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: TempDir,
    // Declared last: dropped after the server was told to stop.
    _database: TestDatabase,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(TestOptions::default()).await
    }

    pub async fn spawn_with(options: TestOptions) -> Self {
        let database = TestDatabase::create().await;
        let dir = TempDir::new();
        let site_dir = dir.path().join("dist");
        if options.site == Site::Built {
            write_site(&site_dir);
        }
        let mut env: HashMap<String, String> = HashMap::from([
            ("ENROLE_DATABASE_URL".to_owned(), database.url().to_owned()),
            ("ENROLE_LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
            ("ENROLE_SITE_DIR".to_owned(), site_dir.display().to_string()),
            (
                "ENROLE_OUTBOX_DIR".to_owned(),
                dir.path().join("outbox").display().to_string(),
            ),
            ("ENROLE_DB_MAX_CONNECTIONS".to_owned(), "4".to_owned()),
        ]);
        for (key, value) in options.env {
            env.insert(key.to_owned(), value);
        }
        let config = Config::from_lookup(|key| env.get(key).cloned()).expect("test configuration");
        let outbox_dir = PathBuf::from(&env["ENROLE_OUTBOX_DIR"]);
        let public_url = config.public_url.clone();

        let app = Application::build(config)
            .await
            .expect("build the application");
        let port = app.port();
        let storage = app.storage().clone();
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));

        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .expect("http client");
        Self {
            address: format!("http://127.0.0.1:{port}"),
            public_url,
            client,
            storage,
            outbox_dir,
            shutdown: Some(shutdown),
            _dir: dir,
            _database: database,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("GET")
    }

    pub async fn request(&self, method: reqwest::Method, path: &str) -> reqwest::Response {
        self.client
            .request(method, self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_healthz(&self) -> reqwest::Response {
        self.get("/healthz").await
    }

    pub async fn get_readyz(&self) -> reqwest::Response {
        self.get("/readyz").await
    }

    pub async fn get_nomenclatures(&self) -> reqwest::Response {
        self.get("/api/v1/nomenclatures").await
    }

    pub async fn get_openapi(&self) -> reqwest::Response {
        self.get("/api/v1/openapi.json").await
    }

    /// `GET /api/v1/structures?q=…` (the query is URL-encoded).
    pub async fn search_structures(&self, q: &str) -> reqwest::Response {
        self.get(&format!("/api/v1/structures?q={}", percent_encode(q)))
            .await
    }

    /// Creates an entité juridique as the operator would (`enrole establishment create`).
    pub async fn create_establishment(
        &self,
        nom: &str,
        siret: Option<&str>,
        finess: Option<&str>,
    ) -> EstablishmentRecord {
        let input = EstablishmentInput {
            nom: nom.to_owned(),
            siret: siret.map(str::to_owned),
            finess_juridique: finess.map(str::to_owned),
        };
        establishments::create_establishment(&self.storage, &input, &Actor::cli())
            .await
            .expect("create establishment")
            .value
    }

    /// Adds a site as the operator would (`enrole establishment add-site`).
    pub async fn add_site(
        &self,
        ej: &EstablishmentRecord,
        nom: &str,
        finess: &str,
        commune: &str,
    ) -> SiteRecord {
        let input = SiteInput {
            nom: nom.to_owned(),
            finess: Some(finess.to_owned()),
            siret: None,
            commune: Some(commune.to_owned()),
        };
        establishments::add_site(
            &self.storage,
            &EstablishmentKey::Id(ej.id),
            &input,
            &Actor::cli(),
        )
        .await
        .expect("add site")
        .value
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Percent-encodes a query value (every byte outside the unreserved set).
pub fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Reads a JSON body, asserting the status first.
pub async fn json_body(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(
        response.status(),
        status,
        "unexpected status for {}",
        response.url()
    );
    response.json::<Value>().await.expect("JSON body")
}

/// Asserts the error envelope: status, code, and a non-empty French message.
pub async fn assert_envelope(response: reqwest::Response, status: StatusCode, code: &str) -> Value {
    let content_type = header(&response, "content-type");
    assert!(
        content_type.starts_with("application/json"),
        "content-type {content_type} for {}",
        response.url()
    );
    let body = json_body(response, status).await;
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(!message.is_empty());
    body
}

pub fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("ascii header").to_owned())
        .unwrap_or_default()
}

/// A valid 9-digit FINESS in département 31 (Luhn key computed) from a 7-digit serial.
pub fn finess(serial: u32) -> String {
    with_luhn_key(&format!("31{serial:06}"))
}

/// A valid SIRET from a serial.
pub fn siret(serial: u32) -> String {
    let siren = with_luhn_key(&format!("4{serial:07}"));
    with_luhn_key(&format!("{siren}0001"))
}

fn with_luhn_key(prefix: &str) -> String {
    (0..10)
        .map(|d| format!("{prefix}{d}"))
        .find(|candidate| luhn_valid(candidate))
        .expect("a Luhn key exists")
}

fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[test]
fn database_names_are_replaced_in_postgres_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:54329/postgres", "x"),
        "postgres://postgres@127.0.0.1:54329/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}
