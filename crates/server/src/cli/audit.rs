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
    /// Link the rows written since the last linking, then check every link of the chain: exits
    /// with an error naming each row that was changed and each gap where rows were removed.
    /// Prints the newest link; keep it elsewhere to find a log cut short at its end later.
    Verify,
}

impl AuditCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        match self {
            AuditCmd::Export { tenant, since } => {
                let store = ctx.open().await?;
                let mut out = std::io::stdout().lock();
                ea_server::admin::export_audit(&store, tenant.as_deref(), since, &mut out).await?;
            }
            AuditCmd::Verify => {
                let store = ctx.open().await?;
                let keys = ctx.keys(&store, false).await?;
                let key = keys.audit_key.as_ref();
                let linked = ea_store::audit::chain_pending(&store, key).await?;
                let r = ea_store::audit::verify(store.db(), key).await?;
                println!("{linked} rows linked now; {} links hold", r.linked);
                if r.unlinked > 0 {
                    println!("{} rows written meanwhile are not linked yet", r.unlinked);
                }
                println!("newest link: {} {}", r.head.0, r.head.1);
                if !r.breaks.is_empty() {
                    anyhow::bail!("the audit log was altered:\n  {}", r.breaks.join("\n  "));
                }
                println!("the audit log is intact");
            }
        }
        Ok(())
    }
}
