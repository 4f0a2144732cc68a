//! Running the server: TLS or loopback-only plain HTTP, the outbox worker, session clean-up and
//! graceful shutdown.

use crate::config::TlsConfig;
use crate::dispatch::{self, Transports};
use crate::state::AppState;
use std::net::SocketAddr;
use std::time::Duration;

/// Installs the process-wide rustls crypto provider (ring); later calls are no-ops.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Refuses plain HTTP anywhere but loopback, unless the configuration says a TLS proxy is the
/// only way in (`plain_http_behind_proxy`, which needs the proxy's header).
pub fn check_listen(
    addr: SocketAddr,
    tls: Option<&TlsConfig>,
    behind_proxy: bool,
) -> anyhow::Result<()> {
    if tls.is_none() && !addr.ip().is_loopback() && !behind_proxy {
        anyhow::bail!(
            "refusing plain HTTP on {addr}: without a certificate the server only listens on loopback \
             (127.0.0.1 or ::1); set tls.cert and tls.key (or --tls-cert/--tls-key), or \
             plain_http_behind_proxy = true where a TLS proxy is the only way in"
        );
    }
    Ok(())
}

/// Where the server listens.
#[derive(Debug, Clone)]
pub struct Listening {
    pub api: SocketAddr,
    pub tls: Option<TlsConfig>,
    /// The Prometheus metrics' own address.
    pub metrics: Option<SocketAddr>,
    /// Plain HTTP beyond loopback, for a TLS proxy that is the only way in.
    pub behind_proxy: bool,
}

pub async fn run(state: AppState, transports: Transports, at: Listening) -> anyhow::Result<()> {
    let Listening {
        api: addr,
        tls,
        metrics,
        behind_proxy,
    } = at;
    install_crypto();
    check_listen(addr, tls.as_ref(), behind_proxy)?;
    crate::faults::warn_if_enabled();
    if let Some(at) = metrics {
        let listener = tokio::net::TcpListener::bind(at)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {at} for the metrics: {e}"))?;
        let bound = listener.local_addr()?;
        tracing::info!(address = %bound, "metrics listening on /metrics");
        let router = crate::metrics::router(state.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown_signal())
                .await
            {
                tracing::warn!(error = %e, "the metrics listener stopped");
            }
        });
    }
    let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(dispatch::worker(state.clone(), transports, worker_stopped));
    tokio::spawn(purge_sessions(state.clone()));
    tokio::spawn(link_audit(state.clone()));
    let app = crate::app(state);
    match tls {
        Some(t) => {
            let app = crate::http::with_hsts(app);
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&t.cert, &t.key)
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "cannot load TLS certificate {} / key {}: {e}",
                        t.cert.display(),
                        t.key.display()
                    )
                })?;
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                // As long as a request may take (request_timeout_seconds, 30 by default).
                h.graceful_shutdown(Some(Duration::from_secs(30)));
            });
            let server = axum_server::bind_rustls(addr, config)
                .handle(handle.clone())
                .serve(app.into_make_service_with_connect_info::<SocketAddr>());
            let announce = async {
                if let Some(bound) = handle.listening().await {
                    announce("https", bound);
                }
            };
            let (res, ()) = tokio::join!(server, announce);
            res?;
        }
        None => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
            announce("http", listener.local_addr()?);
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        }
    }
    // No new requests: the worker finishes the message it is sending, then stops.
    let _ = stop_worker.send(true);
    // Within systemd's TimeoutStopSec (45 s): 30 s for the requests, 10 s for the worker.
    match tokio::time::timeout(Duration::from_secs(10), worker).await {
        Ok(_) => tracing::info!("outbox worker stopped"),
        Err(_) => tracing::warn!(
            "outbox worker still sending after 10 s; stopping (the message is sent again later)"
        ),
    }
    tracing::info!("server stopped");
    Ok(())
}

fn announce(scheme: &str, bound: SocketAddr) {
    // Printed on stdout as well as logged, so scripts and tests can read the port.
    println!("listening on {scheme}://{bound}");
    tracing::info!(address = %bound, scheme, "listening");
}

async fn purge_sessions(state: AppState) {
    loop {
        tokio::time::sleep(Duration::from_secs(600)).await;
        state.limiters.shrink();
        if let Err(e) = ea_store::counters::purge_expired(state.store.db(), state.now()).await {
            tracing::warn!(error = %e, "rate counter purge failed");
        }
        if let Err(e) =
            ea_store::enrolments::purge_expired(state.store.db(), state.now() - 86_400).await
        {
            tracing::warn!(error = %e, "enrolment purge failed");
        }
        // Keep expired sessions a day for late requests to get `session_expired`, not `unknown`.
        match ea_store::sessions::purge_expired(state.store.db(), state.now() - 86_400).await {
            Ok(n) if n > 0 => tracing::info!(purged = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session purge failed"),
        }
    }
}

/// Links new audit rows into the chain every two seconds (any instance may; one at a time does).
async fn link_audit(state: AppState) {
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        if let Err(e) =
            ea_store::audit::chain_pending(&state.store, state.keys.audit_key.as_ref()).await
        {
            // Another instance linking at the same moment, or the database away: next time.
            tracing::debug!(error = %e, "audit rows not linked yet");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
