//! Persistence for the verification server: sea-orm entities, the migrations that define the
//! schema, and small repositories the server composes into transactions.
//!
//! SQLite (WAL) is the default and PostgreSQL is used for a `postgres://` URL. Everything that
//! must hold across server instances — sessions, failure counters, TOTP replay guards, the outbox —
//! is updated with compare-and-swap on a `version` column or a conditional update, so two
//! instances racing on one row cannot both win. The store never sees a secret in clear: answer
//! hashes, keyed code hashes and AEAD-sealed seeds and messages come in already protected.

pub mod audit;
pub mod cards;
pub mod counters;
pub mod emergency;
pub mod entities;
pub mod familiar;
pub mod guards;
pub mod migration;
pub mod outbox;
pub mod sessions;
pub mod tenants;
pub mod users;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

pub use sea_orm::{ConnectionTrait as Connection, DbBackend};

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// Another request changed the row first; the caller reloads and retries.
    #[error("the record was changed concurrently")]
    Conflict,
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("unsupported database URL (use sqlite:PATH or postgres://...)")]
    UnsupportedUrl,
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A connection pool with the schema migrated to the newest version.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Opens (creating if needed) the database at `url` and applies pending migrations.
    ///
    /// `sqlite:PATH` (or a bare path) opens a SQLite file in WAL mode; `postgres://…` PostgreSQL.
    pub async fn connect(url: &str) -> Result<Store> {
        let url = if url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://")
        {
            url.to_owned()
        } else if url.contains("://") {
            return Err(StoreError::UnsupportedUrl);
        } else {
            format!("sqlite:{url}")
        };
        let mut opts = ConnectOptions::new(url.clone());
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10));
        if url.starts_with("sqlite:") {
            opts.map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
            opts.max_connections(8);
        }
        let db = Database::connect(opts).await?;
        migration::Migrator::up(&db, None).await?;
        Ok(Store { db })
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Starts a transaction; repositories take it as their connection.
    pub async fn begin(&self) -> Result<DatabaseTransaction> {
        Ok(self.db.begin().await?)
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await?;
        Ok(())
    }

    pub async fn close(self) -> Result<()> {
        self.db.close().await?;
        Ok(())
    }
}

/// A compare-and-swap update succeeded only if it changed exactly one row.
pub(crate) fn swapped(res: sea_orm::UpdateResult) -> Result<()> {
    if res.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

/// Maps a unique-constraint violation to [`StoreError::Duplicate`], by the database's error code
/// (SQLite 1555/2067, PostgreSQL 23505) as sea-orm reads it, not by the message text.
pub(crate) fn duplicate_or(e: DbErr, what: impl Into<String>) -> StoreError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => StoreError::Duplicate(what.into()),
        _ => StoreError::Db(e),
    }
}

/// Keeps `ConnectionTrait` in use for repositories generic over a connection or transaction.
pub trait Conn: ConnectionTrait + Sync {}
impl<T: ConnectionTrait + Sync> Conn for T {}
