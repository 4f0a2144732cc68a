//! Failure counters and lockouts, one row per (tenant, username, scope) — also for usernames that
//! do not exist, so they behave the same. The scope says whose failures a row counts: the
//! account's ([`ACCOUNT`]), one client source's, or all strangers' together.

use crate::entities::account_guard;
use crate::{Conn, Result, StoreError, duplicate_or};
use ea_core::AccountGuard;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

/// The scope of the account-wide row.
pub const ACCOUNT: &str = "";

/// The guard and its row version (`None` when no row exists yet).
pub async fn load(
    conn: &impl Conn,
    tenant_id: i64,
    username: &str,
    scope: &str,
) -> Result<(AccountGuard, Option<i64>)> {
    let row = account_guard::Entity::find()
        .filter(account_guard::Column::TenantId.eq(tenant_id))
        .filter(account_guard::Column::Username.eq(username))
        .filter(account_guard::Column::Scope.eq(scope))
        .one(conn)
        .await?;
    Ok(match row {
        Some(m) => (
            AccountGuard {
                failures: m.failures.max(0) as u32,
                lockouts: m.lockouts.max(0) as u32,
                locked_until: m.locked_until,
            },
            Some(m.version),
        ),
        None => (AccountGuard::default(), None),
    })
}

/// Saves the guard if unchanged since it was loaded at `version`.
pub async fn save(
    conn: &impl Conn,
    tenant_id: i64,
    username: &str,
    scope: &str,
    g: &AccountGuard,
    version: Option<i64>,
) -> Result<()> {
    match version {
        None => {
            account_guard::ActiveModel {
                tenant_id: Set(tenant_id),
                username: Set(username.to_owned()),
                scope: Set(scope.to_owned()),
                failures: Set(g.failures as i32),
                lockouts: Set(g.lockouts as i32),
                locked_until: Set(g.locked_until),
                version: Set(0),
                ..Default::default()
            }
            .insert(conn)
            .await
            .map_err(|e| match duplicate_or(e, "guard") {
                StoreError::Duplicate(_) => StoreError::Conflict,
                other => other,
            })?;
            Ok(())
        }
        Some(v) => {
            let res = account_guard::Entity::update_many()
                .col_expr(account_guard::Column::Failures, (g.failures as i32).into())
                .col_expr(account_guard::Column::Lockouts, (g.lockouts as i32).into())
                .col_expr(account_guard::Column::LockedUntil, g.locked_until.into())
                .col_expr(account_guard::Column::Version, (v + 1).into())
                .filter(account_guard::Column::TenantId.eq(tenant_id))
                .filter(account_guard::Column::Username.eq(username))
                .filter(account_guard::Column::Scope.eq(scope))
                .filter(account_guard::Column::Version.eq(v))
                .exec(conn)
                .await?;
            crate::swapped(res)
        }
    }
}
