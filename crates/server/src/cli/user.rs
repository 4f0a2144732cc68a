//! `ea-server user …`: importing users and setting their account flags.

use super::{Ctx, TenantArg};
use clap::Subcommand;
use ea_core::answers::HashCost;
use ea_server::{admin, admin_actions};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Import users from JSON (answers are hashed, TOTP secrets sealed); all or nothing.
    Import {
        file: PathBuf,
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// Disable an account: its verifications may no longer perform actions.
    Disable {
        username: String,
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// Enable a disabled account.
    Enable {
        username: String,
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// Mark an account as blocked in the built-in directory (what `unblock_user` clears).
    Block {
        username: String,
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// What a user has enrolled (how many phones, addresses, answers; whether an authenticator),
    /// never the values, and what the tenant's enrolment profile still asks of them.
    Status {
        username: String,
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// Read the tenant's users, their phones and addresses and the disabled flag from its LDAP
    /// directory (`[directories.SLUG]` in the configuration): adds, changes, and disables users
    /// the directory no longer has (revoking their emergency codes). Safe to run again.
    Sync {
        #[command(flatten)]
        tenant: TenantArg,
        /// Disable every user the directory lacks, however many (a sync that would disable more
        /// than a few and a fifth of the users, or finds no accounts at all, stops otherwise).
        #[arg(long)]
        force: bool,
    },
}

impl UserCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        let (username, tenant, flag, on) = match self {
            UserCmd::Import { file, tenant } => {
                let (store, t) = ctx.tenant(&tenant.slug).await?;
                let keys = ctx.keys(&store, false).await?;
                let n =
                    admin::import_users(&store, &t, &keys, HashCost::RECOMMENDED, &file).await?;
                println!("{n} user(s) imported into {}", t.slug);
                return Ok(());
            }
            UserCmd::Status { username, tenant } => {
                let (store, t) = ctx.tenant(&tenant.slug).await?;
                print!(
                    "{}",
                    admin_actions::user_status(&store, &t, &username).await?
                );
                return Ok(());
            }
            UserCmd::Sync { tenant, force } => {
                let (store, t) = ctx.tenant(&tenant.slug).await?;
                let Some(cfg) = ctx.config.directories.get(&t.slug) else {
                    anyhow::bail!(
                        "tenant {} has no directory: add [directories.{}] to the configuration",
                        t.slug,
                        t.slug
                    );
                };
                let directory = ea_server::ldap::LdapDirectory::new(&t.slug, cfg.clone())?;
                let now = ea_server::admin::now();
                let report =
                    ea_server::sync::sync_tenant(&store, &t, &directory, now, force).await?;
                print!("{report}");
                return Ok(());
            }
            UserCmd::Disable { username, tenant } => (username, tenant, "disabled", true),
            UserCmd::Enable { username, tenant } => (username, tenant, "disabled", false),
            UserCmd::Block { username, tenant } => (username, tenant, "blocked", true),
        };
        let (store, t) = ctx.tenant(&tenant.slug).await?;
        admin_actions::set_user_flag(&store, &t, &username, flag, on).await?;
        println!("{username}: {}{flag}", if on { "" } else { "not " });
        Ok(())
    }
}
