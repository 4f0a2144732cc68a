//! The desktop's HTTPS client for the verification server. The session token stays here, in
//! Rust: the web view never sees it.

use crate::error::ErrorCode;
use crate::settings::{Settings, check_url};
use ea_api::*;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use tokio::sync::Mutex;
use zeroize::Zeroizing;

/// Header carrying the desktop's client key, when one is configured.
pub const CLIENT_KEY_HEADER: &str = "x-ea-client-key";

#[derive(Debug)]
pub struct ServerClient {
    http: reqwest::Client,
    base: url::Url,
    tenant: String,
    client_key: Option<Zeroizing<String>>,
    token: Mutex<Option<Zeroizing<String>>>,
}

/// Installs rustls' ring provider once per process.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl ServerClient {
    /// `extra_ca` is a PEM file trusted in addition to the system roots (`EA_SERVER_CA`).
    pub fn new(
        settings: &Settings,
        client_key: Option<Zeroizing<String>>,
        extra_ca: Option<&[u8]>,
    ) -> Result<ServerClient, ErrorCode> {
        install_crypto();
        let base = check_url(&settings.server_url)?;
        let mut b = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(5));
        if let Some(pem) = extra_ca {
            let cert =
                reqwest::Certificate::from_pem(pem).map_err(|_| ErrorCode::SettingsInvalid {
                    field: "server_ca".into(),
                })?;
            b = b.add_root_certificate(cert);
        }
        let http = b.build().map_err(|_| ErrorCode::Internal {})?;
        Ok(ServerClient {
            http,
            base,
            tenant: settings.tenant.clone(),
            client_key,
            token: Mutex::new(None),
        })
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + Sync)>,
        session: bool,
    ) -> Result<T, ErrorCode> {
        let url = self.base.join(path).map_err(|_| ErrorCode::Internal {})?;
        let mut req = self.http.request(method, url);
        if let Some(k) = &self.client_key {
            req = req.header(CLIENT_KEY_HEADER, k.as_str());
        }
        if session {
            let token = self.token.lock().await;
            let t = token.as_ref().ok_or(ErrorCode::SessionUnknown {})?;
            req = req.bearer_auth(t.as_str());
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.map_err(|e| {
            tracing::warn!(
                path,
                timeout = e.is_timeout(),
                connect = e.is_connect(),
                "server unreachable"
            );
            ErrorCode::ServerUnreachable {}
        })?;
        let status = res.status();
        let bytes = res
            .bytes()
            .await
            .map_err(|_| ErrorCode::ServerUnreachable {})?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|_| ErrorCode::ServerError {
                status: status.as_u16(),
            });
        }
        match serde_json::from_slice::<ErrorCode>(&bytes) {
            Ok(body) => {
                tracing::info!(
                    path,
                    status = status.as_u16(),
                    error_code = body.as_str(),
                    "server refused"
                );
                Err(body)
            }
            Err(_) => Err(ErrorCode::ServerError {
                status: status.as_u16(),
            }),
        }
    }

    pub async fn start_session(&self, username: &str) -> Result<SessionView, ErrorCode> {
        let req = StartSessionRequest {
            tenant: self.tenant.clone(),
            username: username.to_owned(),
        };
        let started: SessionStarted = self
            .send(Method::POST, "v1/sessions", Some(&req), false)
            .await?;
        *self.token.lock().await = Some(Zeroizing::new(started.token));
        Ok(started.session)
    }

    pub async fn end_session(&self) {
        *self.token.lock().await = None;
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ErrorCode> {
        self.send(Method::GET, path, None::<&()>, true).await
    }

    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &(impl Serialize + Sync),
    ) -> Result<T, ErrorCode> {
        self.send(Method::POST, path, Some(body), true).await
    }

    pub async fn post_empty<T: DeserializeOwned>(&self, path: &str) -> Result<T, ErrorCode> {
        self.send(Method::POST, path, None::<&()>, true).await
    }
}
