//! The desktop's HTTPS client for the verification server. The session token stays here, in
//! Rust: the web view never sees it.

use crate::error::ErrorCode;
use crate::settings::{Settings, check_url};
use ea_api::endpoints::{self, Auth, Endpoint, HttpMethod};
use ea_api::*;
use reqwest::Method;
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
    /// The enrolment's bearer token, while one is open.
    enrolment: Mutex<Option<Zeroizing<String>>>,
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
        // No redirects: the client key and the bearer token go to the configured server only.
        let mut b = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none());
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
            enrolment: Mutex::new(None),
        })
    }

    /// Calls endpoint `E` as `ea_api::endpoints` declares it; `body` is sent only for endpoints
    /// that take one.
    async fn send<E: Endpoint>(&self, body: Option<&E::Request>) -> Result<E::Response, ErrorCode>
    where
        E::Request: Sync,
    {
        let info = E::INFO;
        let method = match info.method {
            HttpMethod::Get => Method::GET,
            HttpMethod::Post => Method::POST,
        };
        let holder = match info.auth {
            Auth::Session => Some(&self.token),
            Auth::Enrolment => Some(&self.enrolment),
            _ => None,
        };
        // Relative to the configured URL, so a server behind a path prefix works.
        let path = info.path.trim_start_matches('/');
        let url = self.base.join(path).map_err(|_| ErrorCode::Internal {})?;
        let mut req = self.http.request(method, url);
        if let Some(k) = &self.client_key {
            req = req.header(CLIENT_KEY_HEADER, k.as_str());
        }
        if let Some(holder) = holder {
            let token = holder.lock().await;
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

    /// Starts a verification; `for_action` offers only the flows that permit it; its messages
    /// are written in `language`.
    pub async fn start_session(
        &self,
        username: &str,
        for_action: Option<Action>,
        language: Option<String>,
    ) -> Result<SessionView, ErrorCode> {
        let req = StartSessionRequest {
            tenant: self.tenant.clone(),
            username: username.to_owned(),
            for_action,
            language,
        };
        let started = self.send::<endpoints::StartSession>(Some(&req)).await?;
        *self.token.lock().await = Some(Zeroizing::new(started.token));
        Ok(started.session)
    }

    /// Starts an enrolment (with an invitation's code, or after a completed verification) and
    /// keeps its token here.
    pub async fn start_enrolment<E: Endpoint<Response = EnrolmentStarted>>(
        &self,
        body: Option<&E::Request>,
    ) -> Result<EnrolmentView, ErrorCode>
    where
        E::Request: Sync,
    {
        let started = self.send::<E>(body).await?;
        *self.enrolment.lock().await = Some(Zeroizing::new(started.token));
        Ok(started.enrolment)
    }

    pub async fn end_enrolment(&self) {
        *self.enrolment.lock().await = None;
    }

    /// Whether a verification or an enrolment is going on (an update must not cut it short).
    pub async fn in_recovery(&self) -> bool {
        self.token.lock().await.is_some() || self.enrolment.lock().await.is_some()
    }

    pub async fn end_session(&self) {
        *self.token.lock().await = None;
    }

    /// Calls a session endpoint with its request.
    pub async fn call<E: Endpoint>(&self, body: &E::Request) -> Result<E::Response, ErrorCode>
    where
        E::Request: Sync,
    {
        self.send::<E>(Some(body)).await
    }

    /// Calls a session endpoint that takes no body.
    pub async fn fetch<E: Endpoint<Request = endpoints::NoBody>>(
        &self,
    ) -> Result<E::Response, ErrorCode> {
        self.send::<E>(None).await
    }
}
