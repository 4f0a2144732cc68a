//! `ea-server card …`: smart cards and their admin keys.

use super::{Ctx, TenantArg, read};
use clap::Subcommand;
use ea_server::admin_actions;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum CardCmd {
    /// Import cards from JSON (serial, username, profile, algorithm, optional key); all or nothing.
    Import {
        file: PathBuf,
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// List the tenant's cards.
    List {
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// Set the master key (hex in FILE) from which card keys without an imported key are diversified.
    MasterKey {
        file: PathBuf,
        #[command(flatten)]
        tenant: TenantArg,
    },
}

impl CardCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        match self {
            CardCmd::Import { file, tenant } => {
                let (store, t) = ctx.tenant(&tenant.slug).await?;
                let keys = ctx.keys(&store, false).await?;
                let text = read(&file)?;
                let name = file.display().to_string();
                let n = admin_actions::import_cards(&store, &t, &keys, &name, &text).await?;
                println!("{n} card(s) imported into {}", t.slug);
            }
            CardCmd::List { tenant } => {
                let (store, t) = ctx.tenant(&tenant.slug).await?;
                for line in admin_actions::list_cards(&store, &t).await? {
                    println!("{line}");
                }
            }
            CardCmd::MasterKey { file, tenant } => {
                let (store, t) = ctx.tenant(&tenant.slug).await?;
                let keys = ctx.keys(&store, false).await?;
                let text = zeroize::Zeroizing::new(read(&file)?);
                admin_actions::set_card_master_key(&store, &t, &keys, &text).await?;
                println!("card master key of {} set", t.slug);
            }
        }
        Ok(())
    }
}
