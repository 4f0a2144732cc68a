//! Rotating the key-encryption key: every sealed row opened with the old key and sealed again
//! under the new one, in one transaction (`ea_store::reseal`), so that a value that does not open
//! stops the rotation with nothing changed. The purpose keys are among the sealed rows, so
//! codes, emergency codes and audit links made before stay valid.

use crate::card_keys::{card_aad, master_aad};
use crate::dispatch::message;
use crate::keys::server_key_aad;
use crate::subject::totp_aad;
use ea_core::seal::Kek;
use ea_store::Store;
use ea_store::reseal::{Counts, Sealed};

/// The associated data a sealed value is bound to, and how to name it in a refusal.
fn binding(what: Sealed<'_>) -> (String, String) {
    match what {
        Sealed::ServerKey { name } => (server_key_aad(name), format!("server key {name}")),
        Sealed::TotpSeed { tenant, username } => (
            totp_aad(tenant, username),
            format!("the authenticator secret of {username} in {tenant}"),
        ),
        Sealed::CardKey { tenant, serial } => (
            card_aad(tenant, serial),
            format!("the key of card {serial} in {tenant}"),
        ),
        Sealed::CardMasterKey { tenant } => (
            master_aad(tenant),
            format!("the card master key of {tenant}"),
        ),
        Sealed::Message { id, destination } => {
            (message::aad(destination), format!("queued message {id}"))
        }
    }
}

/// Seals every sealed row of `store` under `new` instead of `old`.
pub async fn rotate(store: &Store, old: &Kek, new: &Kek) -> anyhow::Result<Counts> {
    if old.as_bytes() == new.as_bytes() {
        anyhow::bail!("the new key-encryption key is the current one");
    }
    let n = ea_store::reseal::reseal_all(store, |what, sealed| {
        let (aad, name) = binding(what);
        let plain = old.open(&aad, sealed).map_err(|_| {
            format!("{name} does not open with the current key-encryption key; nothing was changed")
        })?;
        Ok(new.seal(&aad, &plain, &mut rand::rng()))
    })
    .await?;
    Ok(n)
}

/// What a rotation did, in words.
pub fn describe(n: &Counts) -> String {
    format!(
        "sealed anew: {} server keys, {} authenticator secrets, {} card keys, {} card master keys, \
         {} queued messages; {} bodies of sent messages erased",
        n.server_keys,
        n.totp_seeds,
        n.card_keys,
        n.card_master_keys,
        n.queued_messages,
        n.erased_messages
    )
}
