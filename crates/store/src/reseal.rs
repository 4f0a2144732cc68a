//! Sealing every sealed value anew (when the key-encryption key changes), in one transaction:
//! the store hands each value with what it belongs to, the caller opens it with the old key and
//! seals it under the new one. One refusal leaves everything as it was.

use crate::entities::{card, outbox, server_key, tenant, totp_seed, user};
use crate::{Result, Store, StoreError};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// A sealed value and the row it belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Sealed<'a> {
    ServerKey { name: &'a str },
    TotpSeed { tenant: &'a str, username: &'a str },
    CardKey { tenant: &'a str, serial: &'a str },
    CardMasterKey { tenant: &'a str },
    Message { id: i64, destination: &'a str },
}

/// How many values of each kind were sealed anew, and message bodies erased.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub server_keys: u64,
    pub totp_seeds: u64,
    pub card_keys: u64,
    pub card_master_keys: u64,
    pub queued_messages: u64,
    /// Bodies of messages already delivered or given up, erased instead.
    pub erased_messages: u64,
}

/// What the caller's function gives back for a value it cannot open.
pub type Refusal = String;

/// Replaces every sealed value with `reseal(what, value)`, in one transaction; the first refusal
/// is returned as [`StoreError::Corrupt`] and nothing changes.
pub async fn reseal_all(
    store: &Store,
    reseal: impl Fn(Sealed<'_>, &[u8]) -> std::result::Result<Vec<u8>, Refusal>,
) -> Result<Counts> {
    let fail = StoreError::Corrupt;
    let mut n = Counts::default();
    let txn = store.begin().await?;
    let tenants = tenant::Entity::find().all(&txn).await?;
    let slugs: HashMap<i64, &str> = tenants.iter().map(|t| (t.id, t.slug.as_str())).collect();
    let slug = |id: i64| slugs.get(&id).copied().unwrap_or_default();

    for k in server_key::Entity::find().all(&txn).await? {
        let sealed = reseal(Sealed::ServerKey { name: &k.name }, &k.sealed).map_err(fail)?;
        crate::server_keys::reseal(&txn, &k.name, sealed).await?;
        n.server_keys += 1;
    }

    let users: HashMap<i64, (i64, String)> = user::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|u| (u.id, (u.tenant_id, u.username)))
        .collect();
    for s in totp_seed::Entity::find().all(&txn).await? {
        let Some((tenant_id, username)) = users.get(&s.user_id) else {
            continue;
        };
        let what = Sealed::TotpSeed {
            tenant: slug(*tenant_id),
            username,
        };
        let sealed = reseal(what, &s.sealed_secret).map_err(fail)?;
        totp_seed::Entity::update_many()
            .col_expr(totp_seed::Column::SealedSecret, sealed.into())
            .filter(totp_seed::Column::UserId.eq(s.user_id))
            .exec(&txn)
            .await?;
        n.totp_seeds += 1;
    }

    for c in card::Entity::find().all(&txn).await? {
        let Some(key) = &c.sealed_key else { continue };
        let what = Sealed::CardKey {
            tenant: slug(c.tenant_id),
            serial: &c.serial,
        };
        let sealed = reseal(what, key).map_err(fail)?;
        card::Entity::update_many()
            .col_expr(card::Column::SealedKey, Some(sealed).into())
            .filter(card::Column::Id.eq(c.id))
            .exec(&txn)
            .await?;
        n.card_keys += 1;
    }

    for t in &tenants {
        let Some(key) = &t.card_master_key else {
            continue;
        };
        let sealed = reseal(Sealed::CardMasterKey { tenant: &t.slug }, key).map_err(fail)?;
        tenant::Entity::update_many()
            .col_expr(tenant::Column::CardMasterKey, Some(sealed).into())
            .filter(tenant::Column::Id.eq(t.id))
            .exec(&txn)
            .await?;
        n.card_master_keys += 1;
    }

    let messages = outbox::Entity::find()
        .filter(outbox::Column::SealedBody.ne(Vec::<u8>::new()))
        .all(&txn)
        .await?;
    for m in messages {
        let body = if m.status == crate::outbox::PENDING {
            n.queued_messages += 1;
            let what = Sealed::Message {
                id: m.id,
                destination: &m.destination,
            };
            reseal(what, &m.sealed_body).map_err(fail)?
        } else {
            n.erased_messages += 1;
            Vec::new()
        };
        outbox::Entity::update_many()
            .col_expr(outbox::Column::SealedBody, body.into())
            .filter(outbox::Column::Id.eq(m.id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(n)
}
