//! Smart cards bound to users, with how to obtain each card's admin key.

use crate::entities::{card, user};
use crate::{Conn, Result};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// A card to bind (replaces the tenant's card with the same serial).
#[derive(Debug, Clone)]
pub struct NewCard {
    pub tenant_id: i64,
    pub user_id: i64,
    pub serial: String,
    pub profile: String,
    pub algorithm: String,
    pub key_source: String,
    pub sealed_key: Option<Vec<u8>>,
}

pub async fn put(conn: &impl Conn, c: NewCard, now: i64) -> Result<i64> {
    card::Entity::delete_many()
        .filter(card::Column::TenantId.eq(c.tenant_id))
        .filter(card::Column::Serial.eq(&c.serial))
        .exec(conn)
        .await?;
    let row = card::ActiveModel {
        tenant_id: Set(c.tenant_id),
        user_id: Set(c.user_id),
        serial: Set(c.serial),
        profile: Set(c.profile),
        algorithm: Set(c.algorithm),
        key_source: Set(c.key_source),
        sealed_key: Set(c.sealed_key),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

pub async fn find(conn: &impl Conn, tenant_id: i64, serial: &str) -> Result<Option<card::Model>> {
    Ok(card::Entity::find()
        .filter(card::Column::TenantId.eq(tenant_id))
        .filter(card::Column::Serial.eq(serial))
        .one(conn)
        .await?)
}

/// The tenant's cards with their owners' usernames.
pub async fn list(conn: &impl Conn, tenant_id: i64) -> Result<Vec<(card::Model, String)>> {
    let cards = card::Entity::find()
        .filter(card::Column::TenantId.eq(tenant_id))
        .order_by_asc(card::Column::Serial)
        .all(conn)
        .await?;
    let mut out = Vec::with_capacity(cards.len());
    for c in cards {
        let name = user::Entity::find_by_id(c.user_id)
            .one(conn)
            .await?
            .map(|u| u.username)
            .unwrap_or_default();
        out.push((c, name));
    }
    Ok(out)
}
