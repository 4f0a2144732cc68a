//! Server configuration: a TOML file, with command-line flags and environment variables on top.

use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything `ea-server serve` needs.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on; plain HTTP is only allowed on loopback.
    pub listen: Option<SocketAddr>,
    /// `sqlite:PATH` or `postgres://…` (may hold a password: redacted in `Debug`).
    pub database: Option<SecretString>,
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
    /// Tenants whose accounts live in an LDAP directory, by tenant id (`[directories.acme]`);
    /// the others use the built-in directory.
    #[serde(default)]
    pub directories: std::collections::BTreeMap<String, LdapConfig>,
    /// Prometheus metrics on an address of their own (`[metrics] listen = "127.0.0.1:9464"`).
    pub metrics: Option<MetricsConfig>,
}

/// Where `/metrics` is served: apart from the API, so it can stay on an internal network.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    pub listen: SocketAddr,
}

/// The dialect of an LDAP directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryKind {
    /// OpenLDAP and other RFC servers: Password Modify (RFC 3062), the ppolicy overlay.
    Openldap,
    /// Active Directory (and Samba AD): `unicodePwd` over TLS, `lockoutTime`,
    /// `userAccountControl`.
    ActiveDirectory,
}

/// A tenant's LDAP directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapConfig {
    pub kind: DirectoryKind,
    /// `ldaps://host[:port]`, or `ldap://host[:port]` with StartTLS.
    pub url: String,
    /// StartTLS on an `ldap://` URL; turning it off is allowed on loopback only.
    #[serde(default = "yes")]
    pub starttls: bool,
    /// The CA that signed the directory's certificate (PEM); the system's roots without it.
    pub ca_file: Option<PathBuf>,
    /// The service account the server binds as.
    pub bind_dn: String,
    /// Where its password is: a file (the first line) or an environment variable, never here.
    pub bind_password_file: Option<PathBuf>,
    pub bind_password_env: Option<String>,
    /// Where accounts are searched.
    pub base_dn: String,
    /// Finds one account; `{username}` is replaced by the username, escaped (RFC 4515).
    pub user_filter: String,
    /// Finds every account to sync (`ea-server user sync`).
    pub sync_filter: String,
    #[serde(default)]
    pub attributes: LdapAttributes,
    /// Per operation, connecting included.
    #[serde(default = "default_ldap_timeout")]
    pub timeout_seconds: u64,
    /// Run `user sync` every this many seconds while serving (off when unset).
    pub sync_interval_seconds: Option<u64>,
}

fn yes() -> bool {
    true
}

fn default_ldap_timeout() -> u64 {
    10
}

/// Which attributes hold what.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LdapAttributes {
    pub username: String,
    pub display_name: String,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
}

impl Default for LdapAttributes {
    fn default() -> LdapAttributes {
        LdapAttributes {
            username: "uid".into(),
            display_name: "cn".into(),
            phones: vec!["mobile".into()],
            emails: vec!["mail".into()],
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Where codes go.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchConfig {
    pub sms: Option<SmsConfig>,
    pub email: Option<EmailConfig>,
    pub dev_sink: Option<DevSinkConfig>,
    /// Delivery attempts per message before giving up.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// How long a worker holds a message it is delivering; a worker that dies mid-send leaves the
    /// message to another worker (or itself after a restart) once this has passed.
    #[serde(default = "default_lease_seconds")]
    pub lease_seconds: i64,
}

fn default_lease_seconds() -> i64 {
    60
}

impl DispatchConfig {
    /// A worker's lease must outlast a delivery attempt, or a second worker sends the message
    /// again while the first is still sending it.
    pub fn validate(&self) -> Result<(), String> {
        // The longest a delivery attempt may take, over the transports configured.
        let attempt = [
            self.sms.as_ref().map(|_| crate::dispatch::sms::TIMEOUT),
            self.email.as_ref().map(|_| crate::dispatch::email::TIMEOUT),
        ]
        .into_iter()
        .flatten()
        .max()
        .map_or(0, |d| d.as_secs() as i64);
        if self.lease_seconds < 1 || self.lease_seconds <= attempt {
            return Err(format!(
                "dispatch.lease_seconds: must be longer than a delivery attempt may take \
                 ({attempt} s with the transports configured), and at least 1"
            ));
        }
        Ok(())
    }
}

impl Default for DispatchConfig {
    fn default() -> DispatchConfig {
        DispatchConfig {
            sms: None,
            email: None,
            dev_sink: None,
            max_attempts: default_max_attempts(),
            lease_seconds: default_lease_seconds(),
        }
    }
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
        /// May carry a credential (a token in the path or query): redacted in `Debug`.
        url: SecretString,
        authorization: Option<SecretString>,
        /// Extra trusted root certificate (PEM), e.g. for a private gateway.
        ca_cert: Option<PathBuf>,
    },
    /// The Twilio Messages API (form-encoded, basic auth).
    Twilio {
        account_sid: String,
        auth_token: SecretString,
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
    pub password: Option<SecretString>,
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
        c.dispatch
            .validate()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gateway and SMTP credentials never show in `Debug` (logs, panics), whether in the
    /// configuration or in the transports built from it.
    #[test]
    fn credentials_are_redacted_in_debug() {
        let text = r#"
            [dispatch.sms]
            kind = "twilio"
            account_sid = "AC0123"
            auth_token = "twilio-secret-token"
            from = "+15550100"
            [dispatch.email]
            host = "smtp.example"
            from = "it@example.org"
            username = "relay"
            password = "smtp-secret-password"
        "#;
        let c: ServerConfig = toml::from_str(text).expect("config");
        let webhook: ServerConfig = toml::from_str(
            "database = \"postgres://ea:db-secret@db/ea\"\n[dispatch.sms]\nkind = \"webhook\"\nurl = \"https://gw.example/sms?token=url-secret\"\nauthorization = \"Bearer webhook-secret\"\n",
        )
        .expect("config");
        crate::serve::install_crypto();
        let transports = crate::dispatch::Transports::from_config(&c.dispatch).expect("build");
        let hook = crate::dispatch::Transports::from_config(&webhook.dispatch).expect("build");
        let shown = format!("{c:?} {webhook:?} {transports:?} {hook:?}");
        for secret in [
            "twilio-secret-token",
            "smtp-secret-password",
            "webhook-secret",
        ] {
            assert!(!shown.contains(secret), "{secret} shown: {shown}");
        }
        // What is not secret still helps whoever reads it.
        assert!(
            shown.contains("AC0123") && shown.contains("smtp.example"),
            "{shown}"
        );
    }

    /// A worker's lease must outlast the longest delivery attempt of the transports configured.
    #[test]
    fn the_lease_outlasts_a_delivery_attempt() {
        let parse = |t: &str| toml::from_str::<ServerConfig>(t).expect("config").dispatch;
        let sms = "[dispatch]\nlease_seconds = 15\n[dispatch.sms]\nkind = \"webhook\"\nurl = \"https://gw.example/sms\"\n";
        let err = parse(sms)
            .validate()
            .expect_err("15 s is the gateway's own timeout");
        assert!(err.contains("15 s"), "{err}");
        assert!(parse(&sms.replace("15", "16")).validate().is_ok());
        let smtp = "[dispatch]\nlease_seconds = 16\n[dispatch.email]\nhost = \"smtp.example\"\nfrom = \"it@example.org\"\n";
        assert!(
            parse(smtp)
                .validate()
                .expect_err("SMTP may take 20 s")
                .contains("20 s")
        );
        // The dev sink alone writes a file: any lease of a second or more.
        assert!(parse("[dispatch]\nlease_seconds = 2\n").validate().is_ok());
        assert!(parse("[dispatch]\nlease_seconds = 0\n").validate().is_err());
    }
}
