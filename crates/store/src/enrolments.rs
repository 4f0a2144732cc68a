//! Invitations to enrol (the code only as a keyed hash) and enrolments in progress (keyed by the
//! hash of their bearer token, saved with compare-and-swap like verification sessions).

use crate::entities::{enrolment, invitation};
use crate::{Conn, Result, StoreError};
use ea_core::enrolment_session::EnrolmentSession;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// An invitation to create.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub tenant_id: i64,
    pub user_id: i64,
    pub code_hash: String,
    pub address: String,
    pub expires_at: i64,
}

/// Ends the user's open invitations and adds `inv`: only the newest invitation works.
pub async fn invite(conn: &impl Conn, inv: NewInvitation, now: i64) -> Result<i64> {
    invitation::Entity::update_many()
        .col_expr(invitation::Column::EndedAt, now.into())
        .filter(invitation::Column::UserId.eq(inv.user_id))
        .filter(invitation::Column::EndedAt.is_null())
        .exec(conn)
        .await?;
    let row = invitation::ActiveModel {
        tenant_id: Set(inv.tenant_id),
        user_id: Set(inv.user_id),
        code_hash: Set(inv.code_hash),
        address: Set(inv.address),
        failures: Set(0),
        created_at: Set(now),
        expires_at: Set(inv.expires_at),
        ended_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

/// The user's open invitation, if one has not ended or expired.
pub async fn open_invitation(
    conn: &impl Conn,
    user_id: i64,
    now: i64,
) -> Result<Option<invitation::Model>> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::UserId.eq(user_id))
        .filter(invitation::Column::EndedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .order_by_desc(invitation::Column::Id)
        .one(conn)
        .await?)
}

/// Ends an invitation (used), if nobody ended it first; `Conflict` otherwise.
pub async fn end_invitation(conn: &impl Conn, id: i64, now: i64) -> Result<()> {
    let res = invitation::Entity::update_many()
        .col_expr(invitation::Column::EndedAt, now.into())
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::EndedAt.is_null())
        .exec(conn)
        .await?;
    crate::swapped(res)
}

/// Counts a wrong code against an open invitation (one atomic increment, so concurrent wrong
/// codes are all counted), ending it at `max` wrong codes.
pub async fn invitation_failed(conn: &impl Conn, id: i64, max: i32, now: i64) -> Result<()> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    invitation::Entity::update_many()
        .col_expr(
            invitation::Column::Failures,
            Expr::col(invitation::Column::Failures).add(1),
        )
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::EndedAt.is_null())
        .exec(conn)
        .await?;
    invitation::Entity::update_many()
        .col_expr(invitation::Column::EndedAt, now.into())
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::EndedAt.is_null())
        .filter(invitation::Column::Failures.gte(max))
        .exec(conn)
        .await?;
    Ok(())
}

/// Ends the user's invitations and removes their enrolments in progress (the directory gave the
/// name to another person, or the account is gone).
pub async fn end_all_for_user(conn: &impl Conn, user_id: i64, now: i64) -> Result<()> {
    invitation::Entity::update_many()
        .col_expr(invitation::Column::EndedAt, now.into())
        .filter(invitation::Column::UserId.eq(user_id))
        .filter(invitation::Column::EndedAt.is_null())
        .exec(conn)
        .await?;
    enrolment::Entity::delete_many()
        .filter(enrolment::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

fn encode(s: &EnrolmentSession) -> Result<String> {
    serde_json::to_string(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub async fn insert(
    conn: &impl Conn,
    token_hash: &str,
    tenant_id: i64,
    user_id: i64,
    s: &EnrolmentSession,
) -> Result<()> {
    enrolment::ActiveModel {
        token_hash: Set(token_hash.to_owned()),
        tenant_id: Set(tenant_id),
        user_id: Set(user_id),
        state: Set(encode(s)?),
        version: Set(0),
        created_at: Set(s.created_at),
        expires_at: Set(s.expires_at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// An enrolment as stored.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub session: EnrolmentSession,
    pub version: i64,
    pub tenant_id: i64,
    pub user_id: i64,
}

pub async fn load(conn: &impl Conn, token_hash: &str) -> Result<Option<Loaded>> {
    match enrolment::Entity::find_by_id(token_hash.to_owned())
        .one(conn)
        .await?
    {
        Some(m) => Ok(Some(Loaded {
            session: serde_json::from_str(&m.state)
                .map_err(|e| StoreError::Corrupt(format!("enrolment: {e}")))?,
            version: m.version,
            tenant_id: m.tenant_id,
            user_id: m.user_id,
        })),
        None => Ok(None),
    }
}

/// Saves the enrolment if it is still at `version`; otherwise [`StoreError::Conflict`].
pub async fn save(
    conn: &impl Conn,
    token_hash: &str,
    s: &EnrolmentSession,
    version: i64,
) -> Result<()> {
    let res = enrolment::Entity::update_many()
        .col_expr(enrolment::Column::State, encode(s)?.into())
        .col_expr(enrolment::Column::Version, (version + 1).into())
        .filter(enrolment::Column::TokenHash.eq(token_hash))
        .filter(enrolment::Column::Version.eq(version))
        .exec(conn)
        .await?;
    crate::swapped(res)
}

/// Deletes enrolments that ended before `now`.
pub async fn purge_expired(conn: &impl Conn, now: i64) -> Result<u64> {
    Ok(enrolment::Entity::delete_many()
        .filter(enrolment::Column::ExpiresAt.lt(now))
        .exec(conn)
        .await?
        .rows_affected)
}
