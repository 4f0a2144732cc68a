//! Fixed-window counters for limits that must hold across server instances (requests per
//! username, emergency-code validations per user and per relying party). One atomic upsert per
//! hit, so two instances counting the same key at once both see the sum. Keys come hashed: they
//! stand for usernames and client addresses.

use crate::entities::rate_counter;
use crate::{Conn, Result};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Statement};

/// What a counter counts, and in which window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The counter's family, e.g. `starts_user`.
    pub scope: &'static str,
    pub seconds: i64,
}

/// A counter's value after a hit, and when its window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub count: u64,
    pub window_end: i64,
}

impl Count {
    /// Seconds from `now` until the window ends (at least 1).
    pub fn retry_after(&self, now: i64) -> i64 {
        (self.window_end - now).max(1)
    }
}

fn window_start(w: Window, now: i64) -> i64 {
    now - now.rem_euclid(w.seconds.max(1))
}

/// Counts one hit on `key` in the window holding `now` and returns the new count.
pub async fn hit(conn: &impl Conn, w: Window, key: &str, now: i64) -> Result<Count> {
    let start = window_start(w, now);
    let end = start + w.seconds.max(1);
    let backend = conn.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "INSERT INTO rate_counters (scope, key, window_start, count, expires_at) \
             VALUES ($1, $2, $3, 1, $4) \
             ON CONFLICT (scope, key, window_start) DO UPDATE SET count = rate_counters.count + 1 \
             RETURNING count"
        }
        _ => {
            "INSERT INTO rate_counters (scope, key, window_start, count, expires_at) \
             VALUES (?, ?, ?, 1, ?) \
             ON CONFLICT (scope, key, window_start) DO UPDATE SET count = rate_counters.count + 1 \
             RETURNING count"
        }
    };
    let stmt = Statement::from_sql_and_values(
        backend,
        sql,
        [w.scope.into(), key.into(), start.into(), end.into()],
    );
    let row = conn
        .query_one_raw(stmt)
        .await?
        .ok_or_else(|| crate::StoreError::Corrupt("counter upsert returned no row".into()))?;
    let count: i64 = row.try_get("", "count")?;
    Ok(Count {
        count: count.max(0) as u64,
        window_end: end,
    })
}

/// Takes back one hit on `key` in the window holding `now` (a reservation that was not used).
pub async fn unhit(conn: &impl Conn, w: Window, key: &str, now: i64) -> Result<()> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    rate_counter::Entity::update_many()
        .col_expr(
            rate_counter::Column::Count,
            Expr::col(rate_counter::Column::Count).sub(1),
        )
        .filter(rate_counter::Column::Scope.eq(w.scope))
        .filter(rate_counter::Column::Key.eq(key))
        .filter(rate_counter::Column::WindowStart.eq(window_start(w, now)))
        .filter(rate_counter::Column::Count.gt(0))
        .exec(conn)
        .await?;
    Ok(())
}

/// The count on `key` in the window holding `now`, without counting.
pub async fn get(conn: &impl Conn, w: Window, key: &str, now: i64) -> Result<Count> {
    let start = window_start(w, now);
    let row = rate_counter::Entity::find()
        .filter(rate_counter::Column::Scope.eq(w.scope))
        .filter(rate_counter::Column::Key.eq(key))
        .filter(rate_counter::Column::WindowStart.eq(start))
        .one(conn)
        .await?;
    Ok(Count {
        count: row.map_or(0, |r| r.count.max(0) as u64),
        window_end: start + w.seconds.max(1),
    })
}

/// Removes counters whose window ended before `now`.
pub async fn purge_expired(conn: &impl Conn, now: i64) -> Result<u64> {
    Ok(rate_counter::Entity::delete_many()
        .filter(rate_counter::Column::ExpiresAt.lt(now))
        .exec(conn)
        .await?
        .rows_affected)
}
