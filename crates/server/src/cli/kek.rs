//! `ea-server kek …`: the key-encryption key.

use super::Ctx;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum KekCmd {
    /// Seal every sealed value (authenticator secrets, card keys, queued messages, the server's
    /// own keys) under a new key-encryption key, in one transaction. Stop the servers first, then
    /// start them with the new key; the old key opens nothing afterwards.
    Rotate {
        /// File with the new key (base64 of 32 bytes).
        #[arg(long = "to", value_name = "FILE")]
        to: PathBuf,
        /// Make a new random key in FILE (mode 0600) when it does not exist.
        #[arg(long)]
        create: bool,
    },
}

impl KekCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        let KekCmd::Rotate { to, create } = self;
        let store = ctx.open().await?;
        // The current key must open the database's keys (and stores them where they are missing).
        let keys = ctx.keys(&store, false).await?;
        let new = if create {
            ea_server::keys::load_or_create_kek(&to)?
        } else {
            ea_server::keys::load_kek_file(&to)?
        };
        let done = ea_server::rotate::rotate(&store, &keys.kek, &new).await?;
        println!("{}", ea_server::rotate::describe(&done));
        println!(
            "start every server with the new key ({}); the old key opens nothing any more",
            to.display()
        );
        Ok(())
    }
}
