//! The `ea-server` command line: global options, the command tree, and what every command shares
//! (the resolved configuration, opening the store, loading the keys). Each resource has its own
//! module with its subcommands and their handling.

pub mod audit;
pub mod card;
pub mod code;
pub mod enrolment;
pub mod flow;
pub mod invite;
pub mod kek;
pub mod rp;
pub mod serve;
pub mod tenant;
pub mod user;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use ea_server::config::{LogFormat, ServerConfig};
use ea_server::keys::{self, Keys};
use ea_store::Store;
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "ea-server",
    version,
    about = "Emergency Access verification server and admin tool"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug)]
pub struct Common {
    /// Configuration file (TOML); flags override it.
    #[arg(long, global = true, env = "EA_CONFIG")]
    config: Option<PathBuf>,
    /// Directory for the default SQLite database (ea.db) and key file (kek).
    #[arg(long, global = true, env = "EA_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite:PATH or postgres://user@host/db.
    #[arg(long, global = true, env = "EA_DATABASE")]
    database: Option<String>,
    /// File holding the base64 key-encryption key (EA_KEK takes precedence).
    #[arg(long, global = true, env = "EA_KEK_FILE")]
    kek_file: Option<PathBuf>,
    /// Log format (else the configuration's `[logging] format`, else human).
    #[arg(long, global = true, value_enum, env = "EA_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP(S) server.
    Serve(serve::ServeArgs),
    /// Create or refresh the demo tenant and print how to log in as its users.
    Demo {
        /// Where the dev sink writes codes (shown in the printout).
        #[arg(long, default_value = "messages.log")]
        codes_file: String,
        /// Do not invite the demo's fresh user (dana) to enrol (no invitation is queued).
        #[arg(long)]
        no_invitation: bool,
    },
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(tenant::TenantCmd),
    /// Manage verification flows.
    #[command(subcommand)]
    Flow(flow::FlowCmd),
    /// Manage users.
    #[command(subcommand)]
    User(user::UserCmd),
    /// Read the audit log.
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Relying parties that validate emergency codes.
    #[command(subcommand)]
    Rp(rp::RpCmd),
    /// Emergency access codes.
    #[command(subcommand)]
    Code(code::CodeCmd),
    /// Smart cards and their admin keys.
    #[command(subcommand)]
    Card(card::CardCmd),
    /// The key-encryption key.
    #[command(subcommand)]
    Kek(kek::KekCmd),
    /// What users register when they enrol.
    #[command(subcommand)]
    Enrolment(enrolment::EnrolmentCmd),
    /// Invite a user to enrol their recovery factors: a single-use enrolment code by e-mail.
    Invite(invite::InviteArgs),
    /// Make a client key for desktop apps and print the hash to put in the server configuration.
    ClientKey,
    /// The server configuration file.
    #[command(subcommand)]
    Config(ConfigCmd),
}

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Check a configuration file without starting anything: every key known, every value
    /// valid, secrets only by reference and readable, files present, transports buildable.
    Check { file: PathBuf },
}

fn check_config(file: &Path) -> anyhow::Result<()> {
    let c = ServerConfig::load(file)?;
    ea_server::dispatch::Transports::from_config(&c.dispatch)
        .map_err(|e| anyhow::anyhow!("{}: dispatch: {e}", file.display()))?;
    if let Some(listen) = c.listen {
        ea_server::serve::check_listen(listen, c.tls.as_ref(), c.plain_http_behind_proxy)
            .map_err(|e| anyhow::anyhow!("{}: listen: {e}", file.display()))?;
    }
    println!("{}: ok", file.display());
    Ok(())
}

/// Logging as `RUST_LOG` and `--log-format` say, else as the configuration's `[logging]`, else
/// `info` for people. A configuration that cannot be read is reported by the command itself.
pub fn init_logging(c: &Common) {
    let logging = c
        .config
        .as_deref()
        .and_then(|p| ServerConfig::load(p).ok())
        .map(|c| c.logging)
        .unwrap_or_default();
    let default = logging
        .level
        .unwrap_or_else(|| "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn".into());
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&default))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match c.log_format.or(logging.format).unwrap_or(LogFormat::Human) {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The tenant a command works on.
#[derive(Args, Debug)]
pub struct TenantArg {
    /// The tenant's id, e.g. "acme".
    #[arg(long = "tenant", value_name = "TENANT")]
    pub slug: String,
}

/// The configuration file and the flags, resolved once for the command.
pub struct Ctx {
    pub config: ServerConfig,
    database: String,
    kek_file: Option<PathBuf>,
}

impl Ctx {
    pub fn resolve(c: &Common) -> anyhow::Result<Ctx> {
        let config = match &c.config {
            Some(p) => ServerConfig::load(p)?,
            None => ServerConfig::from_environment()?,
        };
        if let Some(d) = &c.data_dir {
            std::fs::create_dir_all(d)
                .with_context(|| format!("cannot create data directory {}", d.display()))?;
        }
        let database = c
            .database
            .clone()
            .map(Ok)
            .or_else(|| {
                config.database.as_ref().map(|d| {
                    d.expose("database")
                        .map(|s| secrecy::ExposeSecret::expose_secret(&s).to_owned())
                })
            })
            .transpose()?
            .or_else(|| {
                c.data_dir
                    .as_ref()
                    .map(|d| format!("sqlite:{}", d.join("ea.db").display()))
            })
            .context("no database: pass --database URL or --data-dir DIR")?;
        let kek_file = c
            .kek_file
            .clone()
            .or_else(|| config.kek_file.clone())
            .or_else(|| {
                // The data directory's key file, unless the key is in the keyring.
                config
                    .kek_keyring
                    .is_none()
                    .then(|| c.data_dir.as_ref().map(|d| d.join("kek")))
                    .flatten()
            });
        Ok(Ctx {
            config,
            database,
            kek_file,
        })
    }

    pub async fn open(&self) -> anyhow::Result<Store> {
        Store::connect(&self.database).await.with_context(|| {
            format!(
                "cannot open database {}",
                ea_server::config::redacted_url(&self.database)
            )
        })
    }

    /// The key-encryption key; `create` makes the key file when there is none (the demo only).
    pub fn kek(&self, create: bool) -> anyhow::Result<ea_core::seal::Kek> {
        if let (Some(service), None, true) = (
            &self.config.kek_keyring,
            &self.kek_file,
            std::env::var_os("EA_KEK").is_none(),
        ) {
            return keys::load_kek_keyring(service);
        }
        match (&self.kek_file, create) {
            (Some(f), true) if std::env::var_os("EA_KEK").is_none() => keys::load_or_create_kek(f),
            (f, _) => keys::load_kek(f.as_deref()),
        }
    }

    /// The keys: the key-encryption key and the purpose keys `store` keeps sealed under it.
    pub async fn keys(&self, store: &Store, create: bool) -> anyhow::Result<Keys> {
        Keys::load(store, self.kek(create)?).await
    }

    /// The store and the tenant named `slug` in it.
    pub async fn tenant(&self, slug: &str) -> anyhow::Result<(Store, ea_store::tenants::Tenant)> {
        let store = self.open().await?;
        let t = ea_server::admin::tenant_by_slug(&store, slug).await?;
        Ok((store, t))
    }
}

/// A file's text, or an error naming the file.
pub fn read(file: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

/// Makes a client key for desktop apps; only its hash goes into the server configuration.
fn print_client_key() -> anyhow::Result<()> {
    use base64::Engine;
    use rand::RngCore;
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let key = format!(
        "ea_ck_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    );
    let hash = ea_server::token::SessionToken::hash_of(&key);
    println!("client key (enter it in the desktop app's settings; shown only now):\n{key}\n");
    println!("add its hash to the server configuration:\nclient_key_hashes = [\"{hash}\"]");
    Ok(())
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    ea_server::serve::install_crypto();
    match &cli.command {
        // Need neither a database nor a key.
        Command::ClientKey => return print_client_key(),
        Command::Config(ConfigCmd::Check { file }) => return check_config(file),
        Command::Kek(k @ kek::KekCmd::StoreInKeyring { .. }) => return k.store_in_keyring(),
        _ => {}
    }
    let ctx = Ctx::resolve(&cli.common)?;
    match cli.command {
        Command::Serve(a) => a.run(&ctx).await,
        Command::Demo {
            codes_file,
            no_invitation,
        } => serve::demo(&ctx, &codes_file, !no_invitation).await,
        Command::Tenant(c) => c.run(&ctx).await,
        Command::Flow(c) => c.run(&ctx).await,
        Command::User(c) => c.run(&ctx).await,
        Command::Audit(c) => c.run(&ctx).await,
        Command::Rp(c) => c.run(&ctx).await,
        Command::Code(c) => c.run(&ctx).await,
        Command::Card(c) => c.run(&ctx).await,
        Command::Kek(c) => c.run(&ctx).await,
        Command::Enrolment(c) => c.run(&ctx).await,
        Command::Invite(c) => c.run(&ctx).await,
        Command::ClientKey => print_client_key(),
        Command::Config(ConfigCmd::Check { file }) => check_config(&file),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_passwords_are_hidden() {
        assert_eq!(
            ea_server::config::redacted_url("postgres://ea:secret@db/ea"),
            "postgres://ea:***@db/ea"
        );
        assert_eq!(
            ea_server::config::redacted_url("postgres://ea@db/ea"),
            "postgres://ea@db/ea"
        );
        assert_eq!(
            ea_server::config::redacted_url("sqlite:/x/ea.db"),
            "sqlite:/x/ea.db"
        );
        let shown = ea_server::config::redacted_url(
            "postgres://ea@db/ea?sslmode=require&password=s3cret&sslpassword=k3y",
        );
        assert!(
            !shown.contains("s3cret") && !shown.contains("k3y"),
            "{shown}"
        );
        assert!(shown.contains("sslmode=require"), "{shown}");
        assert_eq!(
            ea_server::config::redacted_url("postgres://ea:pa#ss@db/ea"),
            "(a URL that does not parse)"
        );
    }
}
