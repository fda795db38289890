//! Wiring: the application state, the router, and [`Application`] which binds the listener (port 0 in tests)
//! and serves until SIGTERM or Ctrl-C.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::rate_limit::RateLimiter;
use crate::storage::Storage;
use crate::{api, documents, embed, health, layers, mail, spa};

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub storage: Storage,
    pub config: Arc<Config>,
    pub limits: Arc<Limits>,
    /// Wakes the mail worker when a transaction queued mail.
    pub mail_wakeup: Arc<tokio::sync::Notify>,
}

/// The per-instance rate limits of the public POST endpoints.
#[derive(Debug)]
pub struct Limits {
    pub submissions: RateLimiter,
    pub documents: RateLimiter,
    /// e-CPS code requests (activation, sign-in), per client address.
    pub ecps: RateLimiter,
}

impl Limits {
    pub fn from_config(config: &Config) -> Self {
        Self {
            submissions: RateLimiter::per_hour(config.intake.submissions_per_hour),
            documents: RateLimiter::per_hour(config.intake.documents_per_hour),
            ecps: RateLimiter::per_hour(config.ecps.starts_per_hour),
        }
    }
}

/// The whole HTTP application: probes, `/api`, the SPA, and the middleware stack.
pub fn router(state: AppState) -> Router {
    let config = Arc::clone(&state.config);
    // The identity-document upload has its own, larger body limit; every other route the general one.
    let uploads = layers::body_limit(
        Router::new().route("/api/v1/documents", axum::routing::post(documents::upload)),
        config.intake.max_document_bytes,
    );
    let routes = layers::body_limit(
        Router::new()
            .route("/healthz", get(health::healthz))
            .route("/readyz", get(health::readyz))
            .nest("/api", api::router(state.clone()))
            // The form embedded in intranets (issue 6): its loader and its page.
            .merge(embed::pages())
            .fallback(spa::serve),
        config.http.max_body_bytes,
    )
    .merge(uploads)
    .with_state(state);
    layers::apply(routes, &config)
}

/// A server bound to its port, ready to run.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    state: AppState,
}

impl Application {
    /// Connects to the database, applies the migrations and binds `config.listen`.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let storage = Storage::connect(&config.database_url, &config.database).await?;
        storage.migrate().await?;
        Self::build_with_storage(config, storage).await
    }

    /// Binds `config.listen` with an already connected and migrated storage.
    pub async fn build_with_storage(config: Config, storage: Storage) -> anyhow::Result<Self> {
        // Parse the communes and countries before listening, so that the first requests after a start do not wait
        // for them (see ARCHITECTURE.md), and `/readyz` answers only once they are loaded.
        tokio::task::spawn_blocking(|| {
            crate::reference::shared();
        })
        .await?;
        let listener = TcpListener::bind(config.listen).await?;
        let local_addr = listener.local_addr()?;
        Ok(Self {
            listener,
            local_addr,
            state: AppState {
                storage,
                limits: Arc::new(Limits::from_config(&config)),
                config: Arc::new(config),
                mail_wakeup: Arc::new(tokio::sync::Notify::new()),
            },
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn storage(&self) -> &Storage {
        &self.state.storage
    }

    /// Serves until SIGTERM or Ctrl-C, then lets in-flight requests finish (bounded by
    /// `ENROLE_SHUTDOWN_TIMEOUT_SECS`) and closes the database pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `signal` completes, then shuts down gracefully.
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Self {
            listener,
            local_addr,
            state,
        } = self;
        let grace = state.config.http.shutdown_timeout;
        let storage = state.storage.clone();
        let worker = tokio::spawn(mail::run_worker(
            storage.clone(),
            mail::Mailer::from_config(&state.config),
            state.config.mail.clone(),
            Arc::clone(&state.mail_wakeup),
        ));
        let notifier = tokio::spawn(mail::run_notifier(
            storage.clone(),
            Arc::clone(&state.config),
            Arc::clone(&state.mail_wakeup),
        ));
        // Directory: scheduled closings of situations d'exercice.
        let scheduler = tokio::spawn(crate::directory::run_scheduler(storage.clone()));
        let app = router(state);
        tracing::info!(%local_addr, "serving");

        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            signal.await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = stopping_tx.send(());
        });
        let deadline = async move {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let result = tokio::select! {
            result = server.into_future() => result,
            () = deadline => {
                tracing::warn!(grace_secs = grace.as_secs(), "in-flight requests abandoned after the grace period");
                Ok(())
            }
        };
        worker.abort();
        notifier.abort();
        scheduler.abort();
        storage.close().await;
        tracing::info!("stopped");
        result
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
