//! `ea-server code …`: emergency access codes (never their values).

use super::Ctx;
use clap::Subcommand;
use ea_server::admin_actions;

#[derive(Subcommand, Debug)]
pub enum CodeCmd {
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

impl CodeCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        match self {
            CodeCmd::List { tenant, user } => {
                let (store, t) = ctx.tenant(&tenant).await?;
                for line in admin_actions::list_codes(&store, &t, user.as_deref()).await? {
                    println!("{line}");
                }
            }
            CodeCmd::Revoke { id, tenant } => {
                let (store, t) = ctx.tenant(&tenant).await?;
                admin_actions::revoke_code(&store, &t, id).await?;
                println!("emergency code {id} revoked");
            }
        }
        Ok(())
    }
}
