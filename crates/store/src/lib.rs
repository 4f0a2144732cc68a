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
pub mod enrolments;
pub mod entities;
pub mod familiar;
pub mod guards;
pub mod migration;
pub mod outbox;
pub mod reseal;
pub mod server_keys;
pub mod sessions;
pub mod tenants;
pub mod users;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

pub use sea_orm::{ConnectionTrait as Connection, DatabaseTransaction, DbBackend};

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

impl StoreError {
    /// Whether the database could not be reached (down, restarting, refusing connections, out
    /// of connections), as opposed to a query that failed: the request can be sent again later.
    pub fn is_unavailable(&self) -> bool {
        use sea_orm::sqlx::Error as E;
        let StoreError::Db(e) = self else {
            return false;
        };
        let runtime = match e {
            DbErr::ConnectionAcquire(_) => return true,
            DbErr::Conn(r) | DbErr::Exec(r) | DbErr::Query(r) => r,
            _ => return false,
        };
        let sea_orm::RuntimeErr::SqlxError(e) = runtime else {
            return matches!(e, DbErr::Conn(_));
        };
        match e.as_ref() {
            E::Io(_) | E::Tls(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed => true,
            // PostgreSQL's classes 08 (connection exception), 53 (insufficient resources) and
            // 57 (operator intervention: shutting down, cannot connect now).
            E::Database(d) => d
                .try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()
                .is_some_and(|pg| {
                    let c = pg.code();
                    c.starts_with("08") || c.starts_with("53") || c.starts_with("57")
                }),
            _ => false,
        }
    }
}

/// A connection pool with the schema migrated to the newest version.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

/// Connections to PostgreSQL per server instance.
const PG_CONNECTIONS: u32 = 16;

/// How long a request waits for a database connection (connecting included) before it is
/// refused as unavailable: well within a request's own timeout, so that a database that is down
/// is reported as such.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

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
        opts.sqlx_logging(false).connect_timeout(ACQUIRE_TIMEOUT);
        if url.starts_with("sqlite:") {
            opts.map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
            opts.max_connections(8);
        } else {
            opts.max_connections(PG_CONNECTIONS);
        }
        let db = Database::connect(opts).await?;
        migration::Migrator::up(&db, None).await?;
        Ok(Store { db })
    }

    /// Whether several server instances may share this database (PostgreSQL).
    pub fn shared(&self) -> bool {
        self.db.get_database_backend() == DbBackend::Postgres
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Starts a transaction; repositories take it as their connection.
    pub async fn begin(&self) -> Result<DatabaseTransaction> {
        // SQLite: every transaction here writes, and many read first (a count, a version); one
        // that started as a reader could not become a writer once another wrote in between
        // (SQLITE_BUSY_SNAPSHOT). IMMEDIATE takes the write lock at BEGIN, waiting for it.
        let options = sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(self.db.begin_with_options(options).await?)
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

/// Takes the lock on `name` for the rest of the transaction `txn`, across every server instance
/// on the database, waiting at most `wait` (then [`StoreError::Db`] with PostgreSQL's
/// `lock_not_available`). On PostgreSQL a transaction-scoped advisory lock, released when the
/// transaction commits or rolls back, on the connection that does the work; on SQLite, where one
/// server owns the file and writes are serialised, nothing.
pub async fn lock_in(txn: &DatabaseTransaction, name: &str, wait: Duration) -> Result<()> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let ms = wait.as_millis().clamp(1, 3_600_000);
    txn.execute_unprepared(&format!("SET LOCAL lock_timeout = {ms}"))
        .await?;
    let stmt = sea_orm::Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [lock_key(name).into()],
    );
    txn.execute_raw(stmt).await?;
    Ok(())
}

/// The advisory-lock number for a name: the first 8 bytes of its SHA-256, the same in every
/// instance and every build (a collision only makes two names wait for each other).
pub(crate) fn lock_key(name: &str) -> i64 {
    use sha2::Digest;
    let d = sha2::Sha256::digest(name.as_bytes());
    i64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
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
