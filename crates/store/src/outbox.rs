//! The transactional outbox: a message row is written in the same transaction as the code it
//! carries, and a worker delivers it later. Claims are leases taken with a conditional update, so
//! two workers (or two server instances) never hold the same row at once, and a worker that dies
//! mid-send leaves a row that is picked up again when its lease runs out.

use crate::entities::outbox;
use crate::{Conn, Result};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// What a message carries: a verification code counts against the send limits, a notice does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Code,
    Notice,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Code => "code",
            Purpose::Notice => "notice",
        }
    }
}

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub tenant_id: i64,
    pub channel: String,
    pub destination: String,
    pub sealed_body: Vec<u8>,
    pub purpose: Purpose,
}

/// Codes queued for the tenant since `since`, to any of `destinations` (all of the tenant's when
/// `None`): how many, and when the oldest was.
pub async fn codes_since(
    conn: &impl Conn,
    tenant_id: i64,
    destinations: Option<&[String]>,
    since: i64,
) -> Result<ea_core::limits::Sent> {
    let mut q = outbox::Entity::find()
        .filter(outbox::Column::TenantId.eq(tenant_id))
        .filter(outbox::Column::Purpose.eq(Purpose::Code.as_str()))
        .filter(outbox::Column::CreatedAt.gt(since));
    if let Some(d) = destinations {
        q = q.filter(outbox::Column::Destination.is_in(d.iter().cloned()));
    }
    let count = q.clone().count(conn).await?;
    let oldest = q
        .order_by_asc(outbox::Column::CreatedAt)
        .one(conn)
        .await?
        .map(|m| m.created_at);
    Ok(ea_core::limits::Sent { count, oldest })
}

pub async fn enqueue(conn: &impl Conn, m: NewMessage, now: i64) -> Result<i64> {
    let row = outbox::ActiveModel {
        tenant_id: Set(m.tenant_id),
        channel: Set(m.channel),
        destination: Set(m.destination),
        sealed_body: Set(m.sealed_body),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
        last_error: Set(None),
        purpose: Set(m.purpose.as_str().to_owned()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

fn claimable(now: i64) -> Condition {
    Condition::all()
        .add(outbox::Column::Status.eq(PENDING))
        .add(outbox::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(outbox::Column::ClaimedUntil.is_null())
                .add(outbox::Column::ClaimedUntil.lt(now)),
        )
}

/// Claims up to `limit` due messages for `lease` seconds. Only rows this call won are returned.
pub async fn claim_due(
    conn: &impl Conn,
    now: i64,
    lease: i64,
    limit: u64,
) -> Result<Vec<outbox::Model>> {
    let candidates = outbox::Entity::find()
        .filter(claimable(now))
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    let mut won = Vec::with_capacity(candidates.len());
    for mut row in candidates {
        let res = outbox::Entity::update_many()
            .col_expr(outbox::Column::ClaimedUntil, Some(now + lease).into())
            .filter(outbox::Column::Id.eq(row.id))
            .filter(claimable(now))
            .exec(conn)
            .await?;
        if res.rows_affected == 1 {
            row.claimed_until = Some(now + lease);
            won.push(row);
        }
    }
    Ok(won)
}

/// Marks a message delivered and erases its body: a delivered code or notice is not kept.
pub async fn mark_delivered(conn: &impl Conn, id: i64, attempts: i32, now: i64) -> Result<()> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, DELIVERED.into())
        .col_expr(outbox::Column::SealedBody, Vec::<u8>::new().into())
        .col_expr(outbox::Column::Attempts, attempts.into())
        .col_expr(outbox::Column::DeliveredAt, Some(now).into())
        .col_expr(outbox::Column::ClaimedUntil, Option::<i64>::None.into())
        .col_expr(outbox::Column::LastError, Option::<String>::None.into())
        .filter(outbox::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Records a failed attempt: retried at `retry_at`, or given up (and its body erased) when
/// `retry_at` is `None`.
pub async fn mark_attempt_failed(
    conn: &impl Conn,
    id: i64,
    attempts: i32,
    retry_at: Option<i64>,
    error: &str,
) -> Result<()> {
    let mut q = outbox::Entity::update_many()
        .col_expr(outbox::Column::Attempts, attempts.into())
        .col_expr(outbox::Column::ClaimedUntil, Option::<i64>::None.into())
        .col_expr(
            outbox::Column::LastError,
            Some(error.chars().take(500).collect::<String>()).into(),
        );
    q = match retry_at {
        Some(at) => q.col_expr(outbox::Column::NextAttemptAt, at.into()),
        None => q
            .col_expr(outbox::Column::Status, FAILED.into())
            .col_expr(outbox::Column::SealedBody, Vec::<u8>::new().into()),
    };
    q.filter(outbox::Column::Id.eq(id)).exec(conn).await?;
    Ok(())
}

pub async fn get(conn: &impl Conn, id: i64) -> Result<Option<outbox::Model>> {
    Ok(outbox::Entity::find_by_id(id).one(conn).await?)
}

/// Messages still waiting to be delivered.
pub async fn pending_count(conn: &impl Conn) -> Result<u64> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Status.eq(PENDING))
        .count(conn)
        .await?)
}

/// Messages waiting to be delivered, and the age in seconds of the oldest of them (0 when none).
pub async fn backlog(conn: &impl Conn, now: i64) -> Result<(i64, i64)> {
    let pending = || outbox::Entity::find().filter(outbox::Column::Status.eq(PENDING));
    let depth = pending().count(conn).await?;
    let oldest = pending()
        .order_by_asc(outbox::Column::CreatedAt)
        .one(conn)
        .await?
        .map_or(0, |m| (now - m.created_at).max(0));
    Ok((i64::try_from(depth).unwrap_or(i64::MAX), oldest))
}
