//! `ea-server`: the verification server and its admin commands.

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use ea_core::answers::HashCost;
use ea_server::clock::SystemClock;
use ea_server::config::{DevSinkConfig, ServerConfig, TlsConfig};
use ea_server::dispatch::Transports;
use ea_server::keys::{self, Keys};
use ea_server::{admin, admin_actions, demo, serve, state::AppState};
use ea_store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "ea-server",
    version,
    about = "Emergency Access verification server and admin tool"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct Common {
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
    #[arg(long, global = true)]
    kek_file: Option<PathBuf>,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human, env = "EA_LOG_FORMAT")]
    log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Human,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the HTTP(S) server.
    Serve(ServeArgs),
    /// Create or refresh the demo tenant and print how to log in as its users.
    Demo {
        /// Where the dev sink writes codes (shown in the printout).
        #[arg(long, default_value = "messages.log")]
        codes_file: String,
    },
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// Manage verification flows.
    #[command(subcommand)]
    Flow(FlowCmd),
    /// Manage users.
    #[command(subcommand)]
    User(UserCmd),
    /// Read the audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Relying parties that validate emergency codes.
    #[command(subcommand)]
    Rp(RpCmd),
    /// Emergency access codes.
    #[command(subcommand)]
    Code(CodeCmd),
    /// Smart cards and their admin keys.
    #[command(subcommand)]
    Card(CardCmd),
    /// Make a client key for desktop apps and print the hash to put in the server configuration.
    ClientKey,
}

#[derive(Subcommand, Debug)]
enum RpCmd {
    /// Add a relying party and print its API key (shown once).
    Add {
        name: String,
        #[arg(long)]
        tenant: String,
    },
    /// List relying parties.
    List {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand, Debug)]
enum CodeCmd {
    /// List emergency codes (id, user, state, uses, validity); never the codes themselves.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke an emergency code by id.
    Revoke {
        id: i64,
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand, Debug)]
enum CardCmd {
    /// Import cards from JSON (serial, username, profile, algorithm, optional key); all or nothing.
    Import {
        file: PathBuf,
        #[arg(long)]
        tenant: String,
    },
    /// List the tenant's cards.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Set the master key (hex in FILE) from which card keys without an imported key are diversified.
    MasterKey {
        file: PathBuf,
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on (plain HTTP only on loopback).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// TLS certificate chain (PEM).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Append SMS and email messages of the listed tenants to this file instead of sending them.
    #[arg(long)]
    dev_sink: Option<PathBuf>,
    /// Tenants whose messages go to the dev sink.
    #[arg(long, value_delimiter = ',', default_value = "demo")]
    dev_sink_tenants: Vec<String>,
}

#[derive(Subcommand, Debug)]
enum TenantCmd {
    /// Add a tenant.
    Add {
        /// Short id used by clients, e.g. "acme".
        slug: String,
        /// Display name used in messages.
        #[arg(long)]
        name: Option<String>,
        /// Country calling code for national phone numbers, e.g. 41.
        #[arg(long)]
        country: Option<String>,
        /// Lifetime of a verification session.
        #[arg(long, default_value_t = 15)]
        session_minutes: i64,
    },
    /// List tenants.
    List,
    /// Set the tenant's password and emergency-code policies from a TOML file.
    Policy { slug: String, file: PathBuf },
}

#[derive(Subcommand, Debug)]
enum FlowCmd {
    /// Validate and import a flow file (TOML); replaces the tenant's flow with the same id.
    Import {
        file: PathBuf,
        #[arg(long)]
        tenant: String,
    },
    /// Validate flow files without importing them.
    Check { files: Vec<PathBuf> },
}

#[derive(Subcommand, Debug)]
enum UserCmd {
    /// Import users from JSON (answers are hashed, TOTP secrets sealed); all or nothing.
    Import {
        file: PathBuf,
        #[arg(long)]
        tenant: String,
    },
    /// Disable an account: its verifications may no longer perform actions.
    Disable {
        username: String,
        #[arg(long)]
        tenant: String,
    },
    /// Enable a disabled account.
    Enable {
        username: String,
        #[arg(long)]
        tenant: String,
    },
    /// Mark an account as blocked in the built-in directory (what `unblock_user` clears).
    Block {
        username: String,
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCmd {
    /// Write the audit log as JSON lines to standard output.
    Export {
        #[arg(long)]
        tenant: Option<String>,
        /// Only events at or after this Unix time.
        #[arg(long)]
        since: Option<i64>,
    },
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

struct Resolved {
    config: ServerConfig,
    database: String,
    kek_file: Option<PathBuf>,
}

fn resolve(c: &Common) -> anyhow::Result<Resolved> {
    let config = match &c.config {
        Some(p) => ServerConfig::load(p)?,
        None => ServerConfig::default(),
    };
    if let Some(d) = &c.data_dir {
        std::fs::create_dir_all(d)
            .with_context(|| format!("cannot create data directory {}", d.display()))?;
    }
    let database = c
        .database
        .clone()
        .or_else(|| config.database.clone())
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
        .or_else(|| c.data_dir.as_ref().map(|d| d.join("kek")));
    Ok(Resolved {
        config,
        database,
        kek_file,
    })
}

async fn open(r: &Resolved) -> anyhow::Result<Store> {
    Store::connect(&r.database)
        .await
        .with_context(|| format!("cannot open database {}", redact(&r.database)))
}

/// Hides a password in a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn load_keys(r: &Resolved, create: bool) -> anyhow::Result<Keys> {
    let kek = match (&r.kek_file, create) {
        (Some(f), true) if std::env::var_os("EA_KEK").is_none() => keys::load_or_create_kek(f)?,
        (f, _) => keys::load_kek(f.as_deref())?,
    };
    Ok(Keys::new(kek))
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

async fn run(cli: Cli) -> anyhow::Result<()> {
    serve::install_crypto();
    if let Command::ClientKey = cli.command {
        // Needs neither a database nor a key.
        return print_client_key();
    }
    let r = resolve(&cli.common)?;
    match cli.command {
        Command::Serve(a) => {
            let store = open(&r).await?;
            let keys = load_keys(&r, false)?;
            let mut dispatch = r.config.dispatch.clone();
            if let Some(path) = a.dev_sink {
                dispatch.dev_sink = Some(DevSinkConfig {
                    path,
                    tenants: a.dev_sink_tenants,
                });
            }
            let tls = match (a.tls_cert, a.tls_key) {
                (Some(cert), Some(key)) => Some(TlsConfig { cert, key }),
                _ => r.config.tls.clone(),
            };
            let listen = a
                .listen
                .or(r.config.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
            serve::check_listen(listen, tls.as_ref())?;
            let transports = Transports::from_config(&dispatch)?;
            let state = AppState::new(
                store,
                keys,
                Arc::new(SystemClock),
                dispatch,
                HashCost::RECOMMENDED,
            )
            .with_client_keys(r.config.client_key_hashes.clone());
            serve::run(state, transports, listen, tls).await
        }
        Command::Demo { codes_file } => {
            let store = open(&r).await?;
            let keys = load_keys(&r, true)?;
            let text = demo::setup(&store, &keys, HashCost::RECOMMENDED, &codes_file).await?;
            print!("{text}");
            Ok(())
        }
        Command::Tenant(TenantCmd::Add {
            slug,
            name,
            country,
            session_minutes,
        }) => {
            let store = open(&r).await?;
            let name = name.unwrap_or_else(|| slug.clone());
            let t = admin::add_tenant(&store, &slug, &name, country.as_deref(), session_minutes)
                .await?;
            println!("tenant {} added", t.slug);
            Ok(())
        }
        Command::Tenant(TenantCmd::List) => {
            let store = open(&r).await?;
            for t in ea_store::tenants::list(store.db()).await? {
                let flows = ea_store::tenants::flows(store.db(), t.id).await?;
                let users = ea_store::users::count(store.db(), t.id).await?;
                println!(
                    "{}\t{}\tflows: {}\tusers: {users}",
                    t.slug,
                    t.name,
                    flows
                        .iter()
                        .map(|f| f.id.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                );
            }
            Ok(())
        }
        Command::Flow(FlowCmd::Check { files }) => {
            if files.is_empty() {
                anyhow::bail!("name at least one flow file");
            }
            for f in files {
                let text = std::fs::read_to_string(&f)
                    .with_context(|| format!("cannot read {}", f.display()))?;
                let flow = ea_core::FlowDefinition::from_toml(&f.display().to_string(), &text)?;
                println!("{}: ok ({})", f.display(), flow.id);
            }
            Ok(())
        }
        Command::Flow(FlowCmd::Import { file, tenant }) => {
            let store = open(&r).await?;
            let t = admin::tenant_by_slug(&store, &tenant).await?;
            let flow = admin::import_flow(&store, &t, &file).await?;
            println!("flow {} imported into {}", flow.id, t.slug);
            Ok(())
        }
        Command::User(UserCmd::Import { file, tenant }) => {
            let store = open(&r).await?;
            let keys = load_keys(&r, false)?;
            let t = admin::tenant_by_slug(&store, &tenant).await?;
            let n = admin::import_users(&store, &t, &keys, HashCost::RECOMMENDED, &file).await?;
            println!("{n} user(s) imported into {}", t.slug);
            Ok(())
        }
        Command::Tenant(TenantCmd::Policy { slug, file }) => {
            let store = open(&r).await?;
            let t = admin::tenant_by_slug(&store, &slug).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            admin_actions::set_policies(&store, &t, &file.display().to_string(), &text).await?;
            println!("policies of {} updated", t.slug);
            Ok(())
        }
        Command::User(
            cmd @ (UserCmd::Disable { .. } | UserCmd::Enable { .. } | UserCmd::Block { .. }),
        ) => {
            let (username, tenant, flag, on) = match cmd {
                UserCmd::Disable { username, tenant } => (username, tenant, "disabled", true),
                UserCmd::Enable { username, tenant } => (username, tenant, "disabled", false),
                UserCmd::Block { username, tenant } => (username, tenant, "blocked", true),
                UserCmd::Import { .. } => unreachable!("matched above"),
            };
            let store = open(&r).await?;
            let t = admin::tenant_by_slug(&store, &tenant).await?;
            admin_actions::set_user_flag(&store, &t, &username, flag, on).await?;
            println!("{username}: {}{flag}", if on { "" } else { "not " });
            Ok(())
        }
        Command::Rp(RpCmd::Add { name, tenant }) => {
            let store = open(&r).await?;
            let t = admin::tenant_by_slug(&store, &tenant).await?;
            let key = admin_actions::add_relying_party(&store, &t, &name, None).await?;
            println!(
                "relying party {name} added to {}; its API key (shown only now):\n{key}",
                t.slug
            );
            Ok(())
        }
        Command::Rp(RpCmd::List { tenant }) => {
            let store = open(&r).await?;
            let t = admin::tenant_by_slug(&store, &tenant).await?;
            for p in ea_store::emergency::relying_parties(store.db(), t.id).await? {
                println!(
                    "{}\t{}\t{}",
                    p.id,
                    p.name,
                    if p.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    }
                );
            }
            Ok(())
        }
        Command::Code(CodeCmd::List { tenant, user }) => {
            let store = open(&r).await?;
            let t = admin::tenant_by_slug(&store, &tenant).await?;
            for line in admin_actions::list_codes(&store, &t, user.as_deref()).await? {
                println!("{line}");
            }
            Ok(())
        }
        Command::Code(CodeCmd::Revoke { id, tenant }) => {
            let store = open(&r).await?;
            let t = admin::tenant_by_slug(&store, &tenant).await?;
            admin_actions::revoke_code(&store, &t, id).await?;
            println!("emergency code {id} revoked");
            Ok(())
        }
        Command::Card(CardCmd::Import { file, tenant }) => {
            let store = open(&r).await?;
            let keys = load_keys(&r, false)?;
            let t = admin::tenant_by_slug(&store, &tenant).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let n =
                admin_actions::import_cards(&store, &t, &keys, &file.display().to_string(), &text)
                    .await?;
            println!("{n} card(s) imported into {}", t.slug);
            Ok(())
        }
        Command::Card(CardCmd::List { tenant }) => {
            let store = open(&r).await?;
            let t = admin::tenant_by_slug(&store, &tenant).await?;
            for line in admin_actions::list_cards(&store, &t).await? {
                println!("{line}");
            }
            Ok(())
        }
        Command::Card(CardCmd::MasterKey { file, tenant }) => {
            let store = open(&r).await?;
            let keys = load_keys(&r, false)?;
            let t = admin::tenant_by_slug(&store, &tenant).await?;
            let text = zeroize::Zeroizing::new(
                std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?,
            );
            admin_actions::set_card_master_key(&store, &t, &keys, &text).await?;
            println!("card master key of {} set", t.slug);
            Ok(())
        }
        Command::ClientKey => print_client_key(),
        Command::Audit(AuditCmd::Export { tenant, since }) => {
            let store = open(&r).await?;
            let mut out = std::io::stdout().lock();
            admin::export_audit(&store, tenant.as_deref(), since, &mut out).await?;
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.common.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
