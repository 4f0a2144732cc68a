//! The audit log: who did what, when, with which outcome. Never a secret.

use crate::entities::audit;
use crate::{Conn, Result};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// An event to record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub tenant_id: Option<i64>,
    pub event: String,
    pub username: Option<String>,
    pub session_ref: Option<String>,
    pub detail: serde_json::Value,
}

pub async fn record(conn: &impl Conn, e: AuditEvent, now: i64) -> Result<()> {
    audit::ActiveModel {
        at: Set(now),
        tenant_id: Set(e.tenant_id),
        event: Set(e.event),
        username: Set(e.username),
        session_ref: Set(e.session_ref),
        detail: Set(e.detail.to_string()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Events, oldest first, optionally for one tenant and from a time on.
pub async fn export(
    conn: &impl Conn,
    tenant_id: Option<i64>,
    since: Option<i64>,
) -> Result<Vec<audit::Model>> {
    let mut q = audit::Entity::find().order_by_asc(audit::Column::Id);
    if let Some(t) = tenant_id {
        q = q.filter(audit::Column::TenantId.eq(t));
    }
    if let Some(s) = since {
        q = q.filter(audit::Column::At.gte(s));
    }
    Ok(q.all(conn).await?)
}
