//! `ea-server audit …`: the audit log.

use super::Ctx;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Write the audit log as JSON lines to standard output.
    Export {
        #[arg(long)]
        tenant: Option<String>,
        /// Only events at or after this Unix time.
        #[arg(long)]
        since: Option<i64>,
    },
}

impl AuditCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        let AuditCmd::Export { tenant, since } = self;
        let store = ctx.open().await?;
        let mut out = std::io::stdout().lock();
        ea_server::admin::export_audit(&store, tenant.as_deref(), since, &mut out).await?;
        Ok(())
    }
}
