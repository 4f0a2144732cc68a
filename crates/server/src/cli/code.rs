//! `ea-server code …`: emergency access codes (never their values).

use super::{Ctx, TenantArg};
use clap::Subcommand;
use ea_server::admin_actions;

#[derive(Subcommand, Debug)]
pub enum CodeCmd {
    /// List emergency codes (id, user, state, uses, validity); never the codes themselves.
    List {
        #[command(flatten)]
        tenant: TenantArg,
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke an emergency code by id.
    Revoke {
        id: i64,
        #[command(flatten)]
        tenant: TenantArg,
    },
}

impl CodeCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        match self {
            CodeCmd::List { tenant, user } => {
                let (store, t) = ctx.tenant(&tenant.slug).await?;
                for line in admin_actions::list_codes(&store, &t, user.as_deref()).await? {
                    println!("{line}");
                }
            }
            CodeCmd::Revoke { id, tenant } => {
                let (store, t) = ctx.tenant(&tenant.slug).await?;
                admin_actions::revoke_code(&store, &t, id).await?;
                println!("emergency code {id} revoked");
            }
        }
        Ok(())
    }
}
