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
    /// Put the key of FILE into the OS keyring, for `kek_keyring = "SERVICE"` in the
    /// configuration (then remove the file).
    StoreInKeyring {
        /// File with the key (base64 of 32 bytes).
        #[arg(long = "from", value_name = "FILE")]
        from: PathBuf,
        /// The keyring entry's service name.
        #[arg(long, default_value = "emergency-access")]
        service: String,
    },
}

impl KekCmd {
    /// `kek store-in-keyring`: needs neither a database nor a configuration.
    pub fn store_in_keyring(&self) -> anyhow::Result<()> {
        if let KekCmd::StoreInKeyring { from, service } = self {
            ea_server::keys::store_kek_keyring(service, from)?;
            println!(
                "the key of {} is in the keyring (service {service:?}, user \"{}\"); set \
                 kek_keyring = {service:?} in the configuration and remove the file",
                from.display(),
                ea_server::keys::KEYRING_USER
            );
        }
        Ok(())
    }

    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        let (to, create) = match self {
            KekCmd::Rotate { to, create } => (to, create),
            KekCmd::StoreInKeyring { .. } => return self.store_in_keyring(),
        };
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
