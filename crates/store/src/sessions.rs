//! Verification sessions, keyed by the hash of their bearer token.

use crate::entities::session;
use crate::{Conn, Result, StoreError};
use ea_core::VerificationSession;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

fn encode(s: &VerificationSession) -> Result<String> {
    serde_json::to_string(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub async fn insert(
    conn: &impl Conn,
    token_hash: &str,
    tenant_id: i64,
    s: &VerificationSession,
) -> Result<()> {
    session::ActiveModel {
        token_hash: Set(token_hash.to_owned()),
        tenant_id: Set(tenant_id),
        username: Set(s.username.clone()),
        state: Set(encode(s)?),
        version: Set(0),
        created_at: Set(s.created_at),
        expires_at: Set(s.expires_at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The session and the version to pass back to [`save`].
pub async fn load(
    conn: &impl Conn,
    token_hash: &str,
) -> Result<Option<(VerificationSession, i64, i64)>> {
    match session::Entity::find_by_id(token_hash.to_owned())
        .one(conn)
        .await?
    {
        Some(m) => {
            let s = serde_json::from_str(&m.state)
                .map_err(|e| StoreError::Corrupt(format!("session: {e}")))?;
            Ok(Some((s, m.version, m.tenant_id)))
        }
        None => Ok(None),
    }
}

/// Saves the session if it is still at `version`; otherwise [`StoreError::Conflict`].
pub async fn save(
    conn: &impl Conn,
    token_hash: &str,
    s: &VerificationSession,
    version: i64,
) -> Result<()> {
    let res = session::Entity::update_many()
        .col_expr(session::Column::State, encode(s)?.into())
        .col_expr(session::Column::Version, (version + 1).into())
        .filter(session::Column::TokenHash.eq(token_hash))
        .filter(session::Column::Version.eq(version))
        .exec(conn)
        .await?;
    crate::swapped(res)
}

/// Deletes sessions that expired before `now`.
pub async fn purge_expired(conn: &impl Conn, now: i64) -> Result<u64> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lt(now))
        .exec(conn)
        .await?
        .rows_affected)
}
