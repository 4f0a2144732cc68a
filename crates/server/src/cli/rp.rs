//! `ea-server rp …`: relying parties that validate emergency codes.

use super::{Ctx, TenantArg};
use clap::Subcommand;
use ea_server::admin_actions;

#[derive(Subcommand, Debug)]
pub enum RpCmd {
    /// Add a relying party and print its API key (shown once).
    Add {
        name: String,
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// Revoke a relying party's API key by id (see `list`).
    Revoke {
        id: i64,
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// List relying parties.
    List {
        #[command(flatten)]
        tenant: TenantArg,
    },
}

impl RpCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        match self {
            RpCmd::Add { name, tenant } => {
                let (store, t) = ctx.tenant(&tenant.slug).await?;
                let key = admin_actions::add_relying_party(&store, &t, &name, None).await?;
                println!(
                    "relying party {name} added to {}; its API key (shown only now):\n{key}",
                    t.slug
                );
            }
            RpCmd::Revoke { id, tenant } => {
                let (store, t) = ctx.tenant(&tenant.slug).await?;
                admin_actions::revoke_relying_party(&store, &t, id).await?;
                println!("relying party {id} revoked");
            }
            RpCmd::List { tenant } => {
                let (store, t) = ctx.tenant(&tenant.slug).await?;
                for p in ea_store::emergency::relying_parties(store.db(), t.id).await? {
                    let state = if p.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    };
                    println!("{}\t{}\t{state}", p.id, p.name);
                }
            }
        }
        Ok(())
    }
}
