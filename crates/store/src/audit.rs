//! The audit log: who did what, when, with which outcome. Never a secret. Rows are linked into a
//! chain after they are written (each row's link is a keyed hash over the previous link and the
//! row), so that a row changed or removed later is found by [`verify`].

use crate::entities::audit;
use crate::{Conn, Result, Store};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

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

/// The link of one row in the audit chain: a keyed hash (HMAC-SHA-256 under a key the database
/// does not hold) over the previous link and everything the row says, so that a row changed,
/// removed or put in between breaks every link after it.
fn link(key: &[u8], prev: &str, seq: i64, r: &audit::Model) -> String {
    let row = serde_json::json!([
        seq,
        r.id,
        r.at,
        r.tenant_id,
        r.event,
        r.username,
        r.session_ref,
        r.detail
    ])
    .to_string();
    hex::encode(ea_core::contact::keyed_digest(
        key,
        &["audit-link", prev, &row],
    ))
}

/// The newest link of the chain: its number and value (`0` and an empty value before the first).
async fn head(conn: &impl Conn) -> Result<(i64, String)> {
    let last = audit::Entity::find()
        .filter(audit::Column::ChainSeq.is_not_null())
        .order_by_desc(audit::Column::ChainSeq)
        .one(conn)
        .await?;
    Ok(last.map_or((0, String::new()), |r| {
        (r.chain_seq.unwrap_or(0), r.chain_link.unwrap_or_default())
    }))
}

/// Rows chained per call of [`chain_pending`].
const CHAIN_BATCH: u64 = 500;

/// Links rows written since the last call onto the chain, in the order they are found (several
/// server instances write rows at once; the chain's order is the order they were linked in).
/// One instance links at a time: on PostgreSQL under an advisory lock, and on any database a
/// unique chain number makes a second linker's write fail rather than fork the chain. Returns
/// how many rows were linked.
pub async fn chain_pending(store: &Store, key: &[u8]) -> Result<u64> {
    let mut linked = 0;
    loop {
        let txn = store.begin().await?;
        crate::lock_in(&txn, "audit-chain", std::time::Duration::from_secs(10)).await?;
        let rows = audit::Entity::find()
            .filter(audit::Column::ChainSeq.is_null())
            .order_by_asc(audit::Column::Id)
            .limit(CHAIN_BATCH)
            .all(&txn)
            .await?;
        if rows.is_empty() {
            txn.rollback().await?;
            return Ok(linked);
        }
        let (mut seq, mut prev) = head(&txn).await?;
        for r in &rows {
            seq += 1;
            let l = link(key, &prev, seq, r);
            let res = audit::Entity::update_many()
                .col_expr(audit::Column::ChainSeq, Some(seq).into())
                .col_expr(audit::Column::ChainLink, Some(l.clone()).into())
                .filter(audit::Column::Id.eq(r.id))
                .filter(audit::Column::ChainSeq.is_null())
                .exec(&txn)
                .await?;
            crate::swapped(res)?;
            prev = l;
        }
        txn.commit().await?;
        linked += rows.len() as u64;
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainReport {
    /// Rows whose link holds.
    pub linked: u64,
    /// Rows not linked yet (written since the last linking).
    pub unlinked: u64,
    /// The newest link: its number and value, to keep elsewhere and compare later (a chain cut
    /// short at its end is found only that way).
    pub head: (i64, String),
    /// Each break: which row, and how.
    pub breaks: Vec<String>,
}

/// Walks the chain from its first link and checks every link.
pub async fn verify(conn: &impl Conn, key: &[u8]) -> Result<ChainReport> {
    let mut report = ChainReport::default();
    let (mut expected_seq, mut prev) = (1i64, String::new());
    let mut after = 0i64;
    loop {
        let rows = audit::Entity::find()
            .filter(audit::Column::ChainSeq.gt(after))
            .order_by_asc(audit::Column::ChainSeq)
            .limit(1000)
            .all(conn)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.chain_seq.unwrap_or(after);
        for r in rows {
            let seq = r.chain_seq.unwrap_or_default();
            if seq != expected_seq {
                report.breaks.push(format!(
                    "links {expected_seq} to {} are missing (rows removed before row {})",
                    seq - 1,
                    r.id
                ));
            }
            let stored = r.chain_link.clone().unwrap_or_default();
            if link(key, &prev, seq, &r) == stored {
                report.linked += 1;
            } else if seq == expected_seq {
                report
                    .breaks
                    .push(format!("row {} (link {seq}) was changed", r.id));
            }
            expected_seq = seq + 1;
            prev = stored;
            report.head = (seq, prev.clone());
        }
    }
    report.unlinked = audit::Entity::find()
        .filter(audit::Column::ChainSeq.is_null())
        .count(conn)
        .await?;
    Ok(report)
}
