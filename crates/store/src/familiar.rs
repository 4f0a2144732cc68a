//! Client sources (hashed addresses) that completed a verification for a user. Failures from a
//! familiar source count against the account; failures from any other source count against that
//! source first (see SECURITY.md, "Lockout").

use crate::entities::familiar_source;
use crate::{Conn, Result};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

/// Whether `source` completed a verification for the user since `since`.
pub async fn is_familiar(
    conn: &impl Conn,
    tenant_id: i64,
    username: &str,
    source: &str,
    since: i64,
) -> Result<bool> {
    Ok(familiar_source::Entity::find()
        .filter(familiar_source::Column::TenantId.eq(tenant_id))
        .filter(familiar_source::Column::Username.eq(username))
        .filter(familiar_source::Column::Source.eq(source))
        .filter(familiar_source::Column::LastSeen.gte(since))
        .one(conn)
        .await?
        .is_some())
}

/// Records that `source` completed a verification for the user at `now`.
pub async fn remember(
    conn: &impl Conn,
    tenant_id: i64,
    username: &str,
    source: &str,
    now: i64,
) -> Result<()> {
    let row = familiar_source::ActiveModel {
        tenant_id: Set(tenant_id),
        username: Set(username.to_owned()),
        source: Set(source.to_owned()),
        last_seen: Set(now),
        ..Default::default()
    };
    familiar_source::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                familiar_source::Column::TenantId,
                familiar_source::Column::Username,
                familiar_source::Column::Source,
            ])
            .update_column(familiar_source::Column::LastSeen)
            .to_owned(),
        )
        .exec(conn)
        .await?;
    Ok(())
}
