//! `ea-server flow …`: verification flows from TOML files.

use super::{Ctx, TenantArg, read};
use clap::Subcommand;
use ea_server::admin;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum FlowCmd {
    /// Validate and import a flow file (TOML); replaces the tenant's flow with the same id.
    Import {
        file: PathBuf,
        #[command(flatten)]
        tenant: TenantArg,
    },
    /// Validate flow files without importing them.
    Check { files: Vec<PathBuf> },
}

impl FlowCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        match self {
            FlowCmd::Check { files } => {
                if files.is_empty() {
                    anyhow::bail!("name at least one flow file");
                }
                for f in files {
                    let text = read(&f)?;
                    let flow = ea_core::FlowDefinition::from_toml(&f.display().to_string(), &text)?;
                    println!("{}: ok ({})", f.display(), flow.id);
                }
            }
            FlowCmd::Import { file, tenant } => {
                let (store, t) = ctx.tenant(&tenant.slug).await?;
                let flow = admin::import_flow(&store, &t, &file).await?;
                println!("flow {} imported into {}", flow.id, t.slug);
            }
        }
        Ok(())
    }
}
