//! Emergency access codes and the relying parties that validate them.

use crate::entities::{emergency_code, relying_party};
use crate::{Conn, Result, duplicate_or};
use ea_core::emergency::CodeLimits;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// A code to store (hashed).
#[derive(Debug, Clone)]
pub struct NewCode {
    pub tenant_id: i64,
    pub user_id: i64,
    pub code_hash: String,
    pub limits: CodeLimits,
}

pub async fn insert(conn: &impl Conn, c: NewCode, now: i64) -> Result<i64> {
    let uses = c.limits.max_uses.map(|u| u as i32);
    let row = emergency_code::ActiveModel {
        tenant_id: Set(c.tenant_id),
        user_id: Set(c.user_id),
        code_hash: Set(c.code_hash),
        max_uses: Set(uses),
        uses_left: Set(uses),
        uses: Set(0),
        valid_from: Set(c.limits.valid_from),
        valid_to: Set(c.limits.valid_to),
        created_at: Set(now),
        revoked_at: Set(None),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(|e| duplicate_or(e, "emergency code"))?;
    Ok(row.id)
}

pub async fn find_by_hash(
    conn: &impl Conn,
    tenant_id: i64,
    code_hash: &str,
) -> Result<Option<emergency_code::Model>> {
    Ok(emergency_code::Entity::find()
        .filter(emergency_code::Column::TenantId.eq(tenant_id))
        .filter(emergency_code::Column::CodeHash.eq(code_hash))
        .one(conn)
        .await?)
}

/// Counts one use if the code is usable at `now`, in a single conditional update: of N
/// concurrent calls on a code with K uses left, exactly min(N, K) return `true`.
pub async fn consume(conn: &impl Conn, id: i64, now: i64) -> Result<bool> {
    let usable = Condition::all()
        .add(emergency_code::Column::Id.eq(id))
        .add(emergency_code::Column::RevokedAt.is_null())
        .add(emergency_code::Column::ValidFrom.lte(now))
        .add(
            Condition::any()
                .add(emergency_code::Column::ValidTo.is_null())
                .add(emergency_code::Column::ValidTo.gt(now)),
        );
    let counted = emergency_code::Entity::update_many()
        .col_expr(
            emergency_code::Column::UsesLeft,
            Expr::col(emergency_code::Column::UsesLeft).sub(1),
        )
        .col_expr(
            emergency_code::Column::Uses,
            Expr::col(emergency_code::Column::Uses).add(1),
        )
        .col_expr(emergency_code::Column::LastUsedAt, Some(now).into())
        .filter(usable.clone().add(emergency_code::Column::UsesLeft.gt(0)))
        .exec(conn)
        .await?;
    if counted.rows_affected == 1 {
        return Ok(true);
    }
    // Codes limited only by dates have no use counter.
    let unlimited = emergency_code::Entity::update_many()
        .col_expr(
            emergency_code::Column::Uses,
            Expr::col(emergency_code::Column::Uses).add(1),
        )
        .col_expr(emergency_code::Column::LastUsedAt, Some(now).into())
        .filter(usable.add(emergency_code::Column::UsesLeft.is_null()))
        .exec(conn)
        .await?;
    Ok(unlimited.rows_affected == 1)
}

pub async fn get(conn: &impl Conn, id: i64) -> Result<Option<emergency_code::Model>> {
    Ok(emergency_code::Entity::find_by_id(id).one(conn).await?)
}

pub async fn list(
    conn: &impl Conn,
    tenant_id: i64,
    user_id: Option<i64>,
) -> Result<Vec<emergency_code::Model>> {
    let mut q =
        emergency_code::Entity::find().filter(emergency_code::Column::TenantId.eq(tenant_id));
    if let Some(u) = user_id {
        q = q.filter(emergency_code::Column::UserId.eq(u));
    }
    Ok(q.order_by_asc(emergency_code::Column::Id).all(conn).await?)
}

/// Revokes a code of the tenant; `false` if there is no such code or it was already revoked.
pub async fn revoke(conn: &impl Conn, tenant_id: i64, id: i64, now: i64) -> Result<bool> {
    let res = emergency_code::Entity::update_many()
        .col_expr(emergency_code::Column::RevokedAt, Some(now).into())
        .filter(emergency_code::Column::Id.eq(id))
        .filter(emergency_code::Column::TenantId.eq(tenant_id))
        .filter(emergency_code::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Revokes every active code of a user; how many were revoked.
pub async fn revoke_for_user(
    conn: &impl Conn,
    tenant_id: i64,
    user_id: i64,
    now: i64,
) -> Result<u64> {
    let res = emergency_code::Entity::update_many()
        .col_expr(emergency_code::Column::RevokedAt, Some(now).into())
        .filter(emergency_code::Column::TenantId.eq(tenant_id))
        .filter(emergency_code::Column::UserId.eq(user_id))
        .filter(emergency_code::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// Revokes a relying party's key; `false` if there is no such party or it was already revoked.
pub async fn revoke_relying_party(
    conn: &impl Conn,
    tenant_id: i64,
    id: i64,
    now: i64,
) -> Result<bool> {
    let res = relying_party::Entity::update_many()
        .col_expr(relying_party::Column::RevokedAt, Some(now).into())
        .filter(relying_party::Column::Id.eq(id))
        .filter(relying_party::Column::TenantId.eq(tenant_id))
        .filter(relying_party::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn add_relying_party(
    conn: &impl Conn,
    tenant_id: i64,
    name: &str,
    key_hash: &str,
    now: i64,
) -> Result<i64> {
    let row = relying_party::ActiveModel {
        tenant_id: Set(tenant_id),
        name: Set(name.to_owned()),
        key_hash: Set(key_hash.to_owned()),
        created_at: Set(now),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(|e| duplicate_or(e, "relying party key"))?;
    Ok(row.id)
}

/// The active relying party holding the key with this hash.
pub async fn relying_party_by_key(
    conn: &impl Conn,
    key_hash: &str,
) -> Result<Option<relying_party::Model>> {
    Ok(relying_party::Entity::find()
        .filter(relying_party::Column::KeyHash.eq(key_hash))
        .filter(relying_party::Column::RevokedAt.is_null())
        .one(conn)
        .await?)
}

pub async fn relying_parties(
    conn: &impl Conn,
    tenant_id: i64,
) -> Result<Vec<relying_party::Model>> {
    Ok(relying_party::Entity::find()
        .filter(relying_party::Column::TenantId.eq(tenant_id))
        .order_by_asc(relying_party::Column::Id)
        .all(conn)
        .await?)
}
