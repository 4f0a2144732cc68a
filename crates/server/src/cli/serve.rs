//! `ea-server serve` and `ea-server demo`.

use super::Ctx;
use clap::Args;
use ea_core::answers::HashCost;
use ea_server::config::{DevSinkConfig, TlsConfig};
use ea_server::dispatch::Transports;
use ea_server::{demo as demo_data, serve, state::AppState};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (plain HTTP only on loopback).
    #[arg(long, env = "EA_LISTEN")]
    listen: Option<SocketAddr>,
    /// TLS certificate chain (PEM).
    #[arg(long, requires = "tls_key", env = "EA_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert", env = "EA_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Append SMS and email messages of the listed tenants to this file instead of sending them.
    #[arg(long)]
    dev_sink: Option<PathBuf>,
    /// Tenants whose messages go to the dev sink.
    #[arg(long, value_delimiter = ',', default_value = "demo")]
    dev_sink_tenants: Vec<String>,
    /// Address of the Prometheus metrics (`/metrics`), apart from the API.
    #[arg(long, env = "EA_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
}

impl ServeArgs {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        let store = ctx.open().await?;
        let keys = ctx.keys(&store, false).await?;
        let mut dispatch = ctx.config.dispatch.clone();
        if let Some(path) = self.dev_sink {
            dispatch.dev_sink = Some(DevSinkConfig {
                path,
                tenants: self.dev_sink_tenants,
            });
        }
        let tls = match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsConfig { cert, key }),
            _ => ctx.config.tls.clone(),
        };
        let listen = self
            .listen
            .or(ctx.config.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let behind_proxy = ctx.config.plain_http_behind_proxy;
        serve::check_listen(listen, tls.as_ref(), behind_proxy)?;
        let transports = Transports::from_config(&dispatch)?;
        let ldap = ea_server::sync::directories(&store, &ctx.config.directories).await?;
        let state = AppState::production(store, keys, dispatch)
            .with_transports(transports.clone())
            .with_client_keys(ctx.config.client_key_hashes.clone())
            .with_limits(ctx.config.limits.clone())
            .with_ldap(ldap);
        for (slug, cfg) in &ctx.config.directories {
            if let Some(seconds) = cfg.sync_interval_seconds {
                tokio::spawn(ea_server::sync::every_interval(
                    state.clone(),
                    slug.clone(),
                    seconds,
                ));
            }
        }
        let metrics = self
            .metrics_listen
            .or(ctx.config.metrics.as_ref().map(|m| m.listen));
        let at = serve::Listening {
            api: listen,
            tls,
            metrics,
            behind_proxy,
        };
        serve::run(state, transports, at).await
    }
}

/// Creates or refreshes the demo tenant and prints how to log in as its users.
pub async fn demo(ctx: &Ctx, codes_file: &str, invite: bool) -> anyhow::Result<()> {
    let store = ctx.open().await?;
    let keys = ctx.keys(&store, true).await?;
    let text = demo_data::setup(&store, &keys, HashCost::RECOMMENDED, codes_file, invite).await?;
    print!("{text}");
    Ok(())
}
