//! Server configuration: a TOML file, with command-line flags and environment variables on top.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything `ea-server serve` needs.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on; plain HTTP is only allowed on loopback.
    pub listen: Option<SocketAddr>,
    /// `sqlite:PATH` or `postgres://…`.
    pub database: Option<String>,
    /// File holding the base64 key-encryption key (or set `EA_KEK`).
    pub kek_file: Option<PathBuf>,
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    #[serde(default)]
    pub dispatch: DispatchConfig,
    /// SHA-256 (hex) of the client keys desktop apps must send in `X-EA-Client-Key`; when empty,
    /// no client key is required. Make one with `ea-server client-key`.
    #[serde(default)]
    pub client_key_hashes: Vec<String>,
    /// Per-instance limits: requests per client source, concurrency, timeouts, Argon2id in
    /// flight, and the trusted-proxy header.
    #[serde(default)]
    pub limits: crate::abuse::ServerLimits,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Where codes go.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DispatchConfig {
    pub sms: Option<SmsConfig>,
    pub email: Option<EmailConfig>,
    pub dev_sink: Option<DevSinkConfig>,
    /// Delivery attempts per message before giving up.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
}

fn default_max_attempts() -> u32 {
    6
}

/// An SMS gateway reached over HTTPS.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SmsConfig {
    /// `POST url` with JSON `{"to", "text", "id"}`; `authorization` is sent as the header value.
    Webhook {
        url: String,
        authorization: Option<String>,
        /// Extra trusted root certificate (PEM), e.g. for a private gateway.
        ca_cert: Option<PathBuf>,
    },
    /// The Twilio Messages API (form-encoded, basic auth).
    Twilio {
        account_sid: String,
        auth_token: String,
        from: String,
        /// Defaults to Twilio's API host; settable for compatible gateways.
        base_url: Option<String>,
        ca_cert: Option<PathBuf>,
    },
}

/// An SMTP relay, always with STARTTLS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    pub from: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub ca_cert: Option<PathBuf>,
}

fn default_smtp_port() -> u16 {
    587
}

/// Appends every message to a file and logs it: for demos and development only, and only for the
/// tenants listed (by default just `demo`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevSinkConfig {
    pub path: PathBuf,
    #[serde(default = "default_dev_tenants")]
    pub tenants: Vec<String>,
}

fn default_dev_tenants() -> Vec<String> {
    vec!["demo".to_owned()]
}

impl ServerConfig {
    pub fn load(path: &Path) -> anyhow::Result<ServerConfig> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read config {}: {e}", path.display()))?;
        let c: ServerConfig = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?;
        c.limits
            .validate()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(c)
    }
}
