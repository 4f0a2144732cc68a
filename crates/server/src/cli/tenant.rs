//! `ea-server tenant …`: organisations, and their password and emergency-code policies.

use super::{Ctx, read};
use clap::Subcommand;
use ea_server::{admin, admin_actions};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum TenantCmd {
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
    /// Set the tenant's policies from a TOML file: [password], [emergency_code], [send_limits], [requests], [validation], [flows], [help], [messages].
    Policy { slug: String, file: PathBuf },
    /// List the tenant in the desktop app's organisation picker (GET /v1/tenants), or with --off
    /// no longer.
    ListPublicly {
        slug: String,
        #[arg(long)]
        off: bool,
    },
}

impl TenantCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        match self {
            TenantCmd::Add {
                slug,
                name,
                country,
                session_minutes,
            } => {
                let store = ctx.open().await?;
                let name = name.unwrap_or_else(|| slug.clone());
                let t =
                    admin::add_tenant(&store, &slug, &name, country.as_deref(), session_minutes)
                        .await?;
                println!("tenant {} added", t.slug);
            }
            TenantCmd::List => {
                let store = ctx.open().await?;
                for t in ea_store::tenants::list(store.db()).await? {
                    let flows = ea_store::tenants::flows(store.db(), t.id).await?;
                    let users = ea_store::users::count(store.db(), t.id).await?;
                    let ids: Vec<&str> = flows.iter().map(|f| f.id.as_str()).collect();
                    println!(
                        "{}\t{}\tflows: {}\tusers: {users}",
                        t.slug,
                        t.name,
                        ids.join(",")
                    );
                }
            }
            TenantCmd::ListPublicly { slug, off } => {
                let (store, t) = ctx.tenant(&slug).await?;
                ea_store::tenants::set_listed(store.db(), t.id, !off).await?;
                if off {
                    println!(
                        "{} is no longer listed to the app's organisation picker",
                        t.slug
                    );
                } else {
                    println!("{} is listed to the app's organisation picker", t.slug);
                }
            }
            TenantCmd::Policy { slug, file } => {
                let (store, t) = ctx.tenant(&slug).await?;
                let text = read(&file)?;
                admin_actions::set_policies(&store, &t, &file.display().to_string(), &text).await?;
                println!("policies of {} updated", t.slug);
            }
        }
        Ok(())
    }
}
