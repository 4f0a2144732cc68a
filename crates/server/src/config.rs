//! Server configuration: a TOML file, with command-line flags and environment variables on top.

use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A secret the configuration points to, never holds: `{ file = "/run/secrets/smtp" }` (the
/// file's first line) or `{ env = "EA_SMTP_PASSWORD" }`. A plain string is read as written only
/// where that is allowed ([`Secret::inline_refused`] says where not); `Debug` never shows it.
#[derive(Clone)]
pub enum Secret {
    Inline(SecretString),
    File(PathBuf),
    Env(String),
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Inline(_) => f.write_str("Secret(inline, redacted)"),
            Secret::File(p) => write!(f, "Secret(file {})", p.display()),
            Secret::Env(v) => write!(f, "Secret(env {v})"),
        }
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Ref {
            file: Option<PathBuf>,
            env: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Ref(Ref),
        }
        match Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "expected a reference to a secret: { file = \"PATH\" } or { env = \"VARIABLE\" }",
            )
        })? {
            Raw::Text(t) => Ok(Secret::Inline(SecretString::from(t))),
            Raw::Ref(Ref {
                file: Some(f),
                env: None,
            }) => Ok(Secret::File(f)),
            Raw::Ref(Ref {
                file: None,
                env: Some(v),
            }) => Ok(Secret::Env(v)),
            Raw::Ref(_) => Err(serde::de::Error::custom(
                "a secret comes from exactly one of file or env",
            )),
        }
    }
}

impl Secret {
    /// The secret's value, read now; errors name `field`.
    pub fn expose(&self, field: &str) -> anyhow::Result<SecretString> {
        match self {
            Secret::Inline(s) => Ok(s.clone()),
            Secret::File(p) => std::fs::read_to_string(p)
                .map(|t| SecretString::from(t.lines().next().unwrap_or_default().to_owned()))
                .map_err(|e| anyhow::anyhow!("{field}: cannot read {}: {e}", p.display())),
            Secret::Env(v) => std::env::var(v)
                .map(SecretString::from)
                .map_err(|_| anyhow::anyhow!("{field}: the environment has no {v}")),
        }
    }

    /// Refuses a secret written in the file itself.
    fn inline_refused(&self, field: &str) -> Result<(), String> {
        match self {
            Secret::Inline(_) => Err(format!(
                "{field}: secrets are not written in the configuration; point to them: \
                 {field} = {{ file = \"PATH\" }} or {{ env = \"VARIABLE\" }}"
            )),
            _ => Ok(()),
        }
    }

    /// Checks that the secret can be read (the file exists, the variable is set).
    fn readable(&self, field: &str) -> Result<(), String> {
        self.expose(field).map(|_| ()).map_err(|e| e.to_string())
    }
}

/// Everything `ea-server serve` needs.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on; plain HTTP is only allowed on loopback.
    pub listen: Option<SocketAddr>,
    /// `sqlite:PATH` or `postgres://…`; a URL with a password only by reference
    /// (`database = { env = "EA_DB_URL" }`).
    pub database: Option<Secret>,
    /// File holding the base64 key-encryption key (or set `EA_KEK`).
    pub kek_file: Option<PathBuf>,
    /// Or the OS keyring's entry of this service (user `kek`), put there with
    /// `ea-server kek store-in-keyring`.
    pub kek_keyring: Option<String>,
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
    /// Plain HTTP beyond loopback, where a TLS proxy is the only way in (a container network);
    /// needs `limits.trusted_proxy_header`.
    #[serde(default)]
    pub plain_http_behind_proxy: bool,
    #[serde(default)]
    pub logging: LoggingConfig,
}

/// What the server logs and how (`RUST_LOG` and `--log-format` win).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingConfig {
    /// A filter such as `info` or `info,ea_server::dispatch=debug`.
    pub level: Option<String>,
    pub format: Option<LogFormat>,
}

/// Lines for people, or one JSON object per line for a log collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Human,
    Json,
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
    /// A tenant's own SMS gateway or SMTP relay (`[dispatch.tenants.acme.email]`), used for its
    /// messages instead of the ones above.
    #[serde(default)]
    pub tenants: std::collections::BTreeMap<String, TenantDispatch>,
}

/// A tenant's own transports.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantDispatch {
    pub sms: Option<SmsConfig>,
    pub email: Option<EmailConfig>,
}

impl DispatchConfig {
    /// Every SMS gateway configured, with its field's name (`dispatch.sms`,
    /// `dispatch.tenants.acme.sms`).
    pub fn all_sms(&self) -> Vec<(String, &SmsConfig)> {
        let tenants = self.tenants.iter().filter_map(|(t, d)| {
            d.sms
                .as_ref()
                .map(|c| (format!("dispatch.tenants.{t}.sms"), c))
        });
        self.sms
            .iter()
            .map(|c| ("dispatch.sms".to_owned(), c))
            .chain(tenants)
            .collect()
    }

    /// Every SMTP relay configured, with its field's name.
    pub fn all_email(&self) -> Vec<(String, &EmailConfig)> {
        let tenants = self.tenants.iter().filter_map(|(t, d)| {
            d.email
                .as_ref()
                .map(|c| (format!("dispatch.tenants.{t}.email"), c))
        });
        self.email
            .iter()
            .map(|c| ("dispatch.email".to_owned(), c))
            .chain(tenants)
            .collect()
    }
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
            (!self.all_sms().is_empty()).then_some(crate::dispatch::sms::TIMEOUT),
            (!self.all_email().is_empty()).then_some(crate::dispatch::email::TIMEOUT),
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
            tenants: Default::default(),
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
        /// Written inline only without a credential (no password, no query string); a URL
        /// that carries a token is given by reference like any secret.
        url: Secret,
        /// The `Authorization` header's value, by reference.
        authorization: Option<Secret>,
        /// Extra trusted root certificate (PEM), e.g. for a private gateway.
        ca_cert: Option<PathBuf>,
    },
    /// The Twilio Messages API (form-encoded, basic auth).
    Twilio {
        account_sid: String,
        /// By reference.
        auth_token: Secret,
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
    /// By reference.
    pub password: Option<Secret>,
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

/// Whether a query parameter's name says it carries a password (`password=`, `passfile=`,
/// `sslpassword=`).
fn secret_param(name: &str) -> bool {
    name.to_ascii_lowercase().contains("pass")
}

/// Checks a URL written inline in the configuration: it must parse, and carry no credential:
/// no password; for a gateway (`gateway`) no user name either (it would go as basic
/// authentication) and no query string (where gateways put their tokens); for a database no
/// password among its query parameters. Such a URL is given by reference, like any secret.
fn inline_url(field: &str, text: &str, gateway: bool) -> Result<(), String> {
    let Ok(url) = url::Url::parse(text) else {
        return Err(format!(
            "{field}: not a URL (a URL written here is checked for credentials; one that \
             holds any is given by reference: {{ env = \"VARIABLE\" }} or {{ file = \"PATH\" }})"
        ));
    };
    let what = if url.password().is_some() {
        "a password"
    } else if gateway && !url.username().is_empty() {
        "a user name, sent as basic authentication"
    } else if gateway && url.query().is_some() {
        "a query string"
    } else if !gateway && url.query_pairs().any(|(k, _)| secret_param(&k)) {
        "a password among its parameters"
    } else {
        return Ok(());
    };
    Err(format!(
        "{field}: the URL holds {what}, a credential; point to it instead: \
         {{ env = \"VARIABLE\" }} or {{ file = \"PATH\" }}"
    ))
}

/// The URL with its password, and the values of query parameters that carry one, replaced by
/// `***`, for errors and logs.
pub fn redacted_url(text: &str) -> String {
    let Ok(mut url) = url::Url::parse(text) else {
        return "(a URL that does not parse)".to_owned();
    };
    if url.password().is_some() {
        // Only URLs that can hold a password get here, so setting one cannot fail.
        let _ = url.set_password(Some("***"));
    }
    if url.query_pairs().any(|(k, _)| secret_param(&k)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if secret_param(&k) {
                    "***".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

/// Where the parser stopped in `text`, as "line L, column C".
fn position(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}")
}

impl ServerConfig {
    pub fn load(path: &Path) -> anyhow::Result<ServerConfig> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read config {}: {e}", path.display()))?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!(" at {}", position(&text, s.start)));
            anyhow::anyhow!(
                "{}{}: {}",
                path.display(),
                at.unwrap_or_default(),
                e.message()
            )
        })?;
        Self::from_table(table, &path.display().to_string(), std::env::vars())
    }

    /// The configuration of the environment alone (`EA__…` variables), without a file.
    pub fn from_environment() -> anyhow::Result<ServerConfig> {
        Self::from_table(toml::Table::new(), "the environment", std::env::vars())
    }

    /// `table` with every `EA__SECTION__KEY=value` of `vars` over it (the path in lower case,
    /// its parts joined by `__`; the value read as TOML where it parses, else as text), then
    /// checked. A secret stays a reference: `EA__DISPATCH__EMAIL__PASSWORD__ENV=VARIABLE`.
    pub fn from_table(
        mut table: toml::Table,
        source: &str,
        vars: impl Iterator<Item = (String, String)>,
    ) -> anyhow::Result<ServerConfig> {
        let mut overridden = Vec::new();
        for (name, value) in vars {
            let Some(path) = name.strip_prefix("EA__") else {
                continue;
            };
            let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
            if keys.iter().any(String::is_empty) {
                anyhow::bail!("{name}: an empty part in the setting's path");
            }
            let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or_else(|| toml::Value::String(value.clone()));
            let mut at = &mut table;
            for k in &keys[..keys.len() - 1] {
                let entry = at
                    .entry(k.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                at = entry.as_table_mut().ok_or_else(|| {
                    anyhow::anyhow!("{name}: {k} is a value in {source}, not a table")
                })?;
            }
            at.insert(keys[keys.len() - 1].clone(), parsed);
            overridden.push(name);
        }
        let from = if overridden.is_empty() {
            source.to_owned()
        } else {
            format!("{source} with {}", overridden.join(", "))
        };
        let c: ServerConfig =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                let field = e.path().to_string();
                let reason = e.into_inner();
                if field == "." {
                    anyhow::anyhow!("{from}: {}", reason.message())
                } else {
                    anyhow::anyhow!("{from}: {field}: {}", reason.message())
                }
            })?;
        c.validate().map_err(|e| anyhow::anyhow!("{from}: {e}"))?;
        Ok(c)
    }

    /// Every check that needs no network: limits, leases, secrets only by reference and
    /// readable, files that must exist. The first fault, as `field: reason`.
    pub fn validate(&self) -> Result<(), String> {
        self.limits.validate()?;
        self.dispatch.validate()?;
        if let Some(level) = &self.logging.level
            && tracing_subscriber::EnvFilter::try_new(level).is_err()
        {
            return Err(format!(
                "logging.level: {level:?} is not a filter such as \"info\" or \"info,ea_server=debug\""
            ));
        }
        if self.plain_http_behind_proxy && self.limits.trusted_proxy_header.is_none() {
            return Err(
                "plain_http_behind_proxy: needs limits.trusted_proxy_header, the header \
                        the proxy puts the client's address in"
                    .into(),
            );
        }
        if let Some(db) = &self.database {
            if let Secret::Inline(url) = db {
                inline_url("database", secrecy::ExposeSecret::expose_secret(url), false)?;
            }
            db.readable("database")?;
        }
        for (field, sms) in self.dispatch.all_sms() {
            if let SmsConfig::Webhook { url, .. } = sms {
                let name = format!("{field}.url");
                match url {
                    Secret::Inline(text) => {
                        inline_url(&name, secrecy::ExposeSecret::expose_secret(text), true)?
                    }
                    other => other.readable(&name)?,
                }
            }
            let (name, secret) = match sms {
                SmsConfig::Webhook {
                    authorization: Some(a),
                    ..
                } => ("authorization", a),
                SmsConfig::Twilio { auth_token, .. } => ("auth_token", auth_token),
                SmsConfig::Webhook { .. } => continue,
            };
            let field = format!("{field}.{name}");
            secret.inline_refused(&field)?;
            secret.readable(&field)?;
        }
        for (field, email) in self.dispatch.all_email() {
            if let Some(p) = &email.password {
                let field = format!("{field}.password");
                p.inline_refused(&field)?;
                p.readable(&field)?;
            }
        }
        let exists = |field: &str, p: &Path| {
            if p.is_file() {
                Ok(())
            } else {
                Err(format!("{field}: {} is not a readable file", p.display()))
            }
        };
        if let Some(t) = &self.tls {
            exists("tls.cert", &t.cert)?;
            exists("tls.key", &t.key)?;
        }
        if let Some(k) = &self.kek_file {
            exists("kek_file", k)?;
        }
        if self.kek_file.is_some() && self.kek_keyring.is_some() {
            return Err("kek_keyring: the key comes from kek_file or kek_keyring, not both".into());
        }
        if self.kek_keyring.is_some() {
            crate::keys::keyring_usable()?;
        }
        for (slug, d) in &self.directories {
            if let Some(ca) = &d.ca_file {
                exists(&format!("directories.{slug}.ca_file"), ca)?;
            }
        }
        Ok(())
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
            "url-secret",
            "db-secret",
        ] {
            assert!(!shown.contains(secret), "{secret} shown: {shown}");
        }
        // What is not secret still helps whoever reads it.
        assert!(
            shown.contains("AC0123") && shown.contains("smtp.example"),
            "{shown}"
        );
    }

    /// Each fault of a configuration file is named by its field, with the reason.
    #[test]
    fn configuration_faults_are_named_field_by_field() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = dir.path().join("smtp-password");
        std::fs::write(&secret, "hunter2\n").expect("secret");
        let secret = secret.display().to_string();
        let missing = dir.path().join("missing").display().to_string();
        let check = |text: &str| -> Result<(), String> {
            let path = dir.path().join("server.toml");
            std::fs::write(&path, text).expect("config");
            ServerConfig::load(&path)
                .map(|_| ())
                .map_err(|e| e.to_string().replace(&format!("{}: ", path.display()), ""))
        };
        let email = "[dispatch.email]\nhost = \"smtp.example\"\nfrom = \"it@example.org\"\nusername = \"relay\"\n";
        let cases: Vec<(String, &str)> = vec![
            ("listen = \"127.0.0.1:8080\"\n".into(), ""),
            ("lisen = \"127.0.0.1:8080\"\n".into(), "unknown field `lisen`"),
            ("listen = \"localhost\"\n".into(), "invalid socket address"),
            (format!("{email}password = \"hunter2\"\n"), "dispatch.email.password: secrets are not written in the configuration"),
            (format!("{email}password = {{ file = \"{secret}\" }}\n"), ""),
            (format!("{email}password = {{ file = \"{missing}\" }}\n"), "dispatch.email.password: cannot read"),
            (format!("{email}password = {{ env = \"EA_TEST_NO_SUCH_VARIABLE\" }}\n"), "dispatch.email.password: the environment has no EA_TEST_NO_SUCH_VARIABLE"),
            (format!("{email}password = {{ file = \"{secret}\", env = \"X\" }}\n"), "exactly one of file or env"),
            ("database = \"postgres://ea:pw@db/ea\"\n".into(), "database: the URL holds a password"),
            ("database = \"postgres://ea@db/ea\"\n".into(), ""),
            ("[dispatch.sms]\nkind = \"twilio\"\naccount_sid = \"AC1\"\nauth_token = \"t\"\nfrom = \"+1555\"\n".into(), "dispatch.sms.auth_token: secrets are not written"),
            (format!("[tls]\ncert = \"{missing}\"\nkey = \"{secret}\"\n"), "tls.cert:"),
            (format!("kek_file = \"{missing}\"\n"), "kek_file:"),
            ("[limits]\nmax_concurrent_requests = 0\n".into(), "max_concurrent_requests"),
            ("[metrics]\nlisten = \"127.0.0.1:9464\"\n".into(), ""),
            ("plain_http_behind_proxy = true\n".into(), "plain_http_behind_proxy: needs limits.trusted_proxy_header"),
            ("[logging]\nlevel = \"info,ea_server=debug\"\nformat = \"json\"\n".into(), ""),
            ("[logging]\nlevel = \"info,=[\"\n".into(), "logging.level:"),
            ("[logging]\nformat = \"xml\"\n".into(), "unknown variant `xml`"),
            (format!("[dispatch.tenants.acme.email]\nhost = \"smtp.acme.example\"\nfrom = \"it@acme.example\"\nusername = \"u\"\npassword = {{ file = \"{secret}\" }}\n"), ""),
            ("[dispatch.tenants.acme.email]\nhost = \"smtp.acme.example\"\nfrom = \"it@acme.example\"\nusername = \"u\"\npassword = \"pw\"\n".into(), "dispatch.tenants.acme.email.password: secrets are not written"),
            ("plain_http_behind_proxy = true\n[limits]\ntrusted_proxy_header = \"X-Forwarded-For\"\n".into(), ""),
            // Where a fault is, by its table path or its place in the text.
            ("[dispatch.email]\nhost = \"smtp.example\"\nfrom = \"it@example.org\"\nport = \"25\"\n".into(), "dispatch.email.port: invalid type"),
            ("[limits]\nmax_concurent_requests = 5\n".into(), "limits.max_concurent_requests: unknown field"),
            ("[dispatch.tenants.acme.sms]\nkind = \"pigeon\"\n".into(), "dispatch.tenants.acme.sms.kind: unknown variant `pigeon`"),
            ("listen = \"127.0.0.1:8080\"\n[limits\n".into(), "at line 2, column"),
            ("listen = \"127.0.0.1:8080\"\nlisten = \"127.0.0.1:8081\"\n".into(), "at line 2, column 1"),
            // A gateway URL holding a token is a secret like any other.
            ("[dispatch.sms]\nkind = \"webhook\"\nurl = \"https://gw.example/sms?token=abc\"\n".into(), "dispatch.sms.url: the URL holds a query string"),
            ("[dispatch.sms]\nkind = \"webhook\"\nurl = \"https://u:p@gw.example/sms\"\n".into(), "dispatch.sms.url: the URL holds a password"),
            ("[dispatch.sms]\nkind = \"webhook\"\nurl = \"https://T0KEN@gw.example/sms\"\n".into(), "dispatch.sms.url: the URL holds a user name"),
            ("[dispatch.sms]\nkind = \"webhook\"\nurl = \"https://gw.example/sms\"\n".into(), ""),
            ("database = \"postgres://ea@db/ea?password=s3cret\"\n".into(), "database: the URL holds a password among its parameters"),
            ("database = \"postgres://ea:pa#ss@db/ea\"\n".into(), "database: not a URL"),
            ("database = \"postgres://ea@db/ea?sslmode=require\"\n".into(), ""),
            ("database = \"sqlite:/var/lib/ea/ea.db?mode=rwc\"\n".into(), ""),
            ("[dispatch.sms]\nkind = \"webhook\"\nurl = { env = \"EA_TEST_NO_SUCH_VARIABLE\" }\n".into(), "dispatch.sms.url: the environment has no EA_TEST_NO_SUCH_VARIABLE"),
            (format!("[dispatch.sms]\nkind = \"webhook\"\nurl = {{ file = \"{secret}\" }}\n"), ""),
        ];
        for (text, want) in cases {
            match check(&text) {
                Ok(()) => assert!(want.is_empty(), "accepted:\n{text}"),
                Err(e) => assert!(!want.is_empty() && e.contains(want), "{text}\n=> {e}"),
            }
        }
    }

    /// Every setting can come from the environment: `EA__SECTION__KEY`, over the file.
    #[test]
    fn the_environment_sets_any_key() {
        let vars = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect::<Vec<_>>()
                .into_iter()
        };
        let file: toml::Table =
            toml::from_str("listen = \"127.0.0.1:8080\"\n[limits]\nmax_concurrent_requests = 10\n")
                .unwrap();
        let c = ServerConfig::from_table(
            file.clone(),
            "server.toml",
            vars(&[
                ("EA__LIMITS__MAX_CONCURRENT_REQUESTS", "99"),
                ("EA__METRICS__LISTEN", "127.0.0.1:9464"),
                ("EA__PLAIN_HTTP_BEHIND_PROXY", "false"),
                ("EA__LOGGING__LEVEL", "debug"),
                ("EA_KEK", "not a setting: ignored here"),
            ]),
        )
        .expect("config");
        assert_eq!(c.limits.max_concurrent_requests, 99);
        assert_eq!(c.metrics.map(|m| m.listen.port()), Some(9464));
        assert_eq!(c.logging.level.as_deref(), Some("debug"));
        assert_eq!(
            c.listen.map(|l| l.port()),
            Some(8080),
            "the file's, where not overridden"
        );
        let err = |v: &[(&str, &str)]| {
            ServerConfig::from_table(file.clone(), "server.toml", vars(v))
                .expect_err("refused")
                .to_string()
        };
        let e = err(&[("EA__LIMITS__MAX_CONCURRENT_REQUESTS", "lots")]);
        assert!(
            e.starts_with("server.toml with EA__LIMITS__MAX_CONCURRENT_REQUESTS: "),
            "{e}"
        );
        let e = err(&[("EA__LIMTS__X", "1")]);
        assert!(e.contains("unknown field `limts`"), "{e}");
        let e = err(&[("EA__LISTEN__PORT", "1")]);
        assert!(
            e.contains("listen is a value in server.toml, not a table"),
            "{e}"
        );
        // A secret through the environment is still a reference.
        let e = err(&[
            ("EA__DISPATCH__EMAIL__HOST", "smtp.example"),
            ("EA__DISPATCH__EMAIL__FROM", "it@example.org"),
            ("EA__DISPATCH__EMAIL__PASSWORD", "hunter2"),
        ]);
        assert!(
            e.contains("dispatch.email.password: secrets are not written"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
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
