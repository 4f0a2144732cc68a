//! The schema, as migrations. This is the only place tables are defined; tests run on it too.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// All migrations, oldest first.
#[derive(Debug)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Initial),
            Box::new(Actions),
            Box::new(Limits),
            Box::new(Abuse),
            Box::new(Integrity),
            Box::new(DirectoryUsers),
            Box::new(Enrolment),
            Box::new(Invitations),
            Box::new(Help),
            Box::new(PublicTenants),
            Box::new(MessageTemplates),
        ]
    }
}

#[derive(Debug)]
struct Initial;

impl MigrationName for Initial {
    fn name(&self) -> &str {
        "m20261128_000001_initial"
    }
}

fn id() -> ColumnDef {
    big_pk_auto("id")
}

fn index(name: &str, table: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table("tenants")
                .col(id())
                .col(string_len_uniq("slug", 64))
                .col(string("name"))
                .col(string_null("default_country"))
                .col(text("lockout"))
                .col(big_integer("session_lifetime_seconds"))
                .col(big_integer("created_at"))
                .to_owned(),
            Table::create()
                .table("flows")
                .col(id())
                .col(big_integer("tenant_id"))
                .col(string_len("flow_id", 64))
                .col(text("definition"))
                .col(text("source"))
                .col(big_integer("imported_at"))
                .foreign_key(&mut fk("flows", "tenant_id", "tenants"))
                .to_owned(),
            Table::create()
                .table("users")
                .col(id())
                .col(big_integer("tenant_id"))
                .col(string_len("username", 256))
                .col(string("display_name"))
                .col(boolean("disabled"))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk("users", "tenant_id", "tenants"))
                .to_owned(),
            Table::create()
                .table("contacts")
                .col(id())
                .col(big_integer("user_id"))
                .col(string_len("kind", 16))
                .col(string_len("value", 254))
                .col(integer("position"))
                .foreign_key(&mut fk_cascade("contacts", "user_id", "users"))
                .to_owned(),
            Table::create()
                .table("questions")
                .col(id())
                .col(big_integer("user_id"))
                .col(text("text"))
                .col(text("answer_hash"))
                .foreign_key(&mut fk_cascade("questions", "user_id", "users"))
                .to_owned(),
            Table::create()
                .table("totp_seeds")
                .col(big_integer("user_id").primary_key())
                .col(blob("sealed_secret"))
                .col(string_len("algorithm", 16))
                .col(integer("digits"))
                .col(big_integer("period"))
                .col(big_integer_null("last_step"))
                .col(big_integer("drift"))
                .col(big_integer("version"))
                .foreign_key(&mut fk_cascade("totp_seeds", "user_id", "users"))
                .to_owned(),
            Table::create()
                .table("sessions")
                .col(string_len("token_hash", 64).primary_key())
                .col(big_integer("tenant_id"))
                .col(string_len("username", 256))
                .col(text("state"))
                .col(big_integer("version"))
                .col(big_integer("created_at"))
                .col(big_integer("expires_at"))
                .foreign_key(&mut fk("sessions", "tenant_id", "tenants"))
                .to_owned(),
            Table::create()
                .table("account_guards")
                .col(id())
                .col(big_integer("tenant_id"))
                .col(string_len("username", 256))
                .col(integer("failures"))
                .col(integer("lockouts"))
                .col(big_integer_null("locked_until"))
                .col(big_integer("version"))
                .foreign_key(&mut fk("account_guards", "tenant_id", "tenants"))
                .to_owned(),
            Table::create()
                .table("outbox")
                .col(id())
                .col(big_integer("tenant_id"))
                .col(string_len("channel", 16))
                .col(string_len("destination", 254))
                .col(blob("sealed_body"))
                .col(string_len("status", 16))
                .col(integer("attempts"))
                .col(big_integer("next_attempt_at"))
                .col(big_integer_null("claimed_until"))
                .col(big_integer("created_at"))
                .col(big_integer_null("delivered_at"))
                .col(text_null("last_error"))
                .foreign_key(&mut fk("outbox", "tenant_id", "tenants"))
                .to_owned(),
            Table::create()
                .table("audit_log")
                .col(id())
                .col(big_integer("at"))
                .col(big_integer_null("tenant_id"))
                .col(string_len("event", 64))
                .col(string_len_null("username", 256))
                .col(string_len_null("session_ref", 16))
                .col(text("detail"))
                .to_owned(),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        let indexes = [
            index(
                "ux_flows_tenant_flow",
                "flows",
                &["tenant_id", "flow_id"],
                true,
            ),
            index(
                "ux_users_tenant_username",
                "users",
                &["tenant_id", "username"],
                true,
            ),
            index("ix_contacts_user", "contacts", &["user_id"], false),
            index("ix_questions_user", "questions", &["user_id"], false),
            index("ix_sessions_expires", "sessions", &["expires_at"], false),
            index(
                "ux_guards_tenant_username",
                "account_guards",
                &["tenant_id", "username"],
                true,
            ),
            index(
                "ix_outbox_due",
                "outbox",
                &["status", "next_attempt_at"],
                false,
            ),
            index(
                "ix_audit_tenant_at",
                "audit_log",
                &["tenant_id", "at"],
                false,
            ),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "audit_log",
            "outbox",
            "account_guards",
            "sessions",
            "totp_seeds",
            "questions",
            "contacts",
            "users",
            "flows",
            "tenants",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn fk(from: &str, col: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from}_{col}"))
        .from(Alias::new(from), Alias::new(col))
        .to(Alias::new(to), Alias::new("id"))
        .to_owned()
}

fn fk_cascade(from: &str, col: &str, to: &str) -> ForeignKeyCreateStatement {
    fk(from, col, to)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// Tables and columns for the actions: built-in directory, emergency codes, relying parties, cards.
#[derive(Debug)]
struct Actions;

impl MigrationName for Actions {
    fn name(&self) -> &str {
        "m20261128_000002_actions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Actions {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            ("tenants", text("password_policy").default("{}").to_owned()),
            ("tenants", text("emergency_policy").default("{}").to_owned()),
            ("tenants", blob_null("card_master_key")),
            ("users", text_null("password_hash")),
            ("users", big_integer_null("password_changed_at")),
            ("users", integer("login_failures").default(0).to_owned()),
            ("users", boolean("blocked").default(false).to_owned()),
        ];
        add_columns(m, columns).await?;
        let tables = [
            Table::create()
                .table("emergency_codes")
                .col(id())
                .col(big_integer("tenant_id"))
                .col(big_integer("user_id"))
                .col(string_len_uniq("code_hash", 64))
                .col(integer_null("max_uses"))
                .col(integer_null("uses_left"))
                .col(integer("uses"))
                .col(big_integer("valid_from"))
                .col(big_integer_null("valid_to"))
                .col(big_integer("created_at"))
                .col(big_integer_null("revoked_at"))
                .col(big_integer_null("last_used_at"))
                .foreign_key(&mut fk("emergency_codes", "tenant_id", "tenants"))
                .foreign_key(&mut fk_cascade("emergency_codes", "user_id", "users"))
                .to_owned(),
            Table::create()
                .table("relying_parties")
                .col(id())
                .col(big_integer("tenant_id"))
                .col(string_len("name", 128))
                .col(string_len_uniq("key_hash", 64))
                .col(big_integer("created_at"))
                .col(big_integer_null("revoked_at"))
                .foreign_key(&mut fk("relying_parties", "tenant_id", "tenants"))
                .to_owned(),
            Table::create()
                .table("cards")
                .col(id())
                .col(big_integer("tenant_id"))
                .col(big_integer("user_id"))
                .col(string_len("serial", 64))
                .col(string_len("profile", 64))
                .col(string_len("algorithm", 16))
                .col(string_len("key_source", 16))
                .col(blob_null("sealed_key"))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk("cards", "tenant_id", "tenants"))
                .foreign_key(&mut fk_cascade("cards", "user_id", "users"))
                .to_owned(),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        m.create_index(index(
            "ix_codes_user",
            "emergency_codes",
            &["tenant_id", "user_id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ux_cards_tenant_serial",
            "cards",
            &["tenant_id", "serial"],
            true,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["cards", "relying_parties", "emergency_codes"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        drop_columns(
            m,
            &[
                ("users", "blocked"),
                ("users", "login_failures"),
                ("users", "password_changed_at"),
                ("users", "password_hash"),
                ("tenants", "card_master_key"),
                ("tenants", "emergency_policy"),
                ("tenants", "password_policy"),
            ],
        )
        .await?;
        Ok(())
    }
}

/// Per-tenant abuse limits, and what an outbox row carries (a code or a notice), so sends can be
/// counted across sessions.
#[derive(Debug)]
struct Limits;

impl MigrationName for Limits {
    fn name(&self) -> &str {
        "m20261201_000003_limits"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Limits {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ("tenants", text("limits").default("{}").to_owned()),
            (
                "outbox",
                string_len("purpose", 16).default("code").to_owned(),
            ),
        ];
        add_columns(m, columns).await?;
        m.create_index(
            Index::create()
                .name("outbox_destination_created")
                .table(Alias::new("outbox"))
                .col(Alias::new("destination"))
                .col(Alias::new("created_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("outbox_destination_created")
                .table(Alias::new("outbox"))
                .to_owned(),
        )
        .await?;
        drop_columns(m, &[("outbox", "purpose"), ("tenants", "limits")]).await?;
        Ok(())
    }
}

/// Counters for rate limits that hold across instances, the sources that completed a verification
/// for a user, and a scope for account guards (the account, one source, all strangers).
#[derive(Debug)]
struct Abuse;

impl MigrationName for Abuse {
    fn name(&self) -> &str {
        "m20261202_000004_abuse"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Abuse {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table("rate_counters")
                .col(id())
                .col(string_len("scope", 32))
                .col(string_len("key", 64))
                .col(big_integer("window_start"))
                .col(big_integer("count"))
                .col(big_integer("expires_at"))
                .to_owned(),
            Table::create()
                .table("familiar_sources")
                .col(id())
                .col(big_integer("tenant_id"))
                .col(string_len("username", 256))
                .col(string_len("source", 64))
                .col(big_integer("last_seen"))
                .to_owned(),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        add_columns(
            m,
            [(
                "account_guards",
                string_len("scope", 80).default("").to_owned(),
            )],
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ux_guards_tenant_username")
                .table(Alias::new("account_guards"))
                .to_owned(),
        )
        .await?;
        for i in [
            index(
                "ux_guards_tenant_username_scope",
                "account_guards",
                &["tenant_id", "username", "scope"],
                true,
            ),
            index(
                "ux_rate_counters",
                "rate_counters",
                &["scope", "key", "window_start"],
                true,
            ),
            index(
                "ix_rate_counters_expires",
                "rate_counters",
                &["expires_at"],
                false,
            ),
            index(
                "ux_familiar_sources",
                "familiar_sources",
                &["tenant_id", "username", "source"],
                true,
            ),
        ] {
            m.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ux_guards_tenant_username_scope")
                .table(Alias::new("account_guards"))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::delete()
                .from_table(Alias::new("account_guards"))
                .and_where(Expr::col(Alias::new("scope")).ne(""))
                .to_owned(),
        )
        .await?;
        drop_columns(m, &[("account_guards", "scope")]).await?;
        m.create_index(index(
            "ux_guards_tenant_username",
            "account_guards",
            &["tenant_id", "username"],
            true,
        ))
        .await?;
        for t in ["familiar_sources", "rate_counters"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The audit log's chain (a number and a keyed link per row) and the server's keys, sealed under
/// the key-encryption key so that the key can be rotated without changing them.
#[derive(Debug)]
struct Integrity;

impl MigrationName for Integrity {
    fn name(&self) -> &str {
        "m20261204_000005_integrity"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Integrity {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            m,
            [
                ("audit_log", big_integer_null("chain_seq")),
                ("audit_log", string_len_null("chain_link", 64)),
            ],
        )
        .await?;
        m.create_index(index(
            "ux_audit_chain_seq",
            "audit_log",
            &["chain_seq"],
            true,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("server_keys")
                .col(string_len("name", 32).primary_key())
                .col(blob("sealed"))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("server_keys")).to_owned())
            .await?;
        m.drop_index(
            Index::drop()
                .name("ux_audit_chain_seq")
                .table(Alias::new("audit_log"))
                .to_owned(),
        )
        .await?;
        drop_columns(
            m,
            &[("audit_log", "chain_link"), ("audit_log", "chain_seq")],
        )
        .await
    }
}

/// Users read from a directory: which entry they are (its entryUUID or objectGUID), and whether
/// the directory disabled them (apart from an administrator's own `disabled`).
#[derive(Debug)]
struct DirectoryUsers;

impl MigrationName for DirectoryUsers {
    fn name(&self) -> &str {
        "m20261204_000006_directory_users"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for DirectoryUsers {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            m,
            [
                ("users", string_len_null("directory_id", 128)),
                (
                    "users",
                    boolean("directory_disabled").default(false).to_owned(),
                ),
            ],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            m,
            &[("users", "directory_disabled"), ("users", "directory_id")],
        )
        .await
    }
}

/// A tenant's enrolment profile: what its users register.
#[derive(Debug)]
struct Enrolment;

impl MigrationName for Enrolment {
    fn name(&self) -> &str {
        "m20261204_000007_enrolment"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Enrolment {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_columns(m, [("tenants", text_null("enrolment_profile"))]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(m, &[("tenants", "enrolment_profile")]).await
    }
}

/// Invitations to enrol and enrolments in progress.
#[derive(Debug)]
struct Invitations;

impl MigrationName for Invitations {
    fn name(&self) -> &str {
        "m20261205_000008_invitations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Invitations {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            m,
            [(
                "contacts",
                string_len("source", 16).default("admin").to_owned(),
            )],
        )
        .await?;
        m.create_table(
            Table::create()
                .table("invitations")
                .col(id())
                .col(big_integer("tenant_id"))
                .col(big_integer("user_id"))
                .col(string_len("code_hash", 64))
                .col(string_len("address", 254))
                .col(integer("failures"))
                .col(big_integer("created_at"))
                .col(big_integer("expires_at"))
                .col(big_integer_null("ended_at"))
                .foreign_key(&mut fk("invitations", "tenant_id", "tenants"))
                .foreign_key(&mut fk_cascade("invitations", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_invitations_user",
            "invitations",
            &["user_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("enrolments")
                .col(string_len("token_hash", 64).primary_key())
                .col(big_integer("tenant_id"))
                .col(big_integer("user_id"))
                .col(text("state"))
                .col(big_integer("version"))
                .col(big_integer("created_at"))
                .col(big_integer("expires_at"))
                .foreign_key(&mut fk("enrolments", "tenant_id", "tenants"))
                .foreign_key(&mut fk_cascade("enrolments", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_enrolments_expires",
            "enrolments",
            &["expires_at"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["enrolments", "invitations"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        drop_columns(m, &[("contacts", "source")]).await
    }
}

/// Whom a tenant's users contact when no flow fits them, and the language of its messages.
#[derive(Debug)]
struct Help;

impl MigrationName for Help {
    fn name(&self) -> &str {
        "m20261205_000009_help"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Help {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            m,
            [
                ("tenants", text_null("help")),
                ("tenants", string_len_null("language", 8)),
            ],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(m, &[("tenants", "language"), ("tenants", "help")]).await
    }
}

/// Tenants listed to the desktop app's organisation picker (`GET /v1/tenants`).
#[derive(Debug)]
struct PublicTenants;

impl MigrationName for PublicTenants {
    fn name(&self) -> &str {
        "m20261205_000010_public_tenants"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for PublicTenants {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            m,
            [("tenants", boolean("listed").default(false).to_owned())],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(m, &[("tenants", "listed")]).await
    }
}

/// A tenant's own wording of its messages, per language.
#[derive(Debug)]
struct MessageTemplates;

impl MigrationName for MessageTemplates {
    fn name(&self) -> &str {
        "m20261205_000011_message_templates"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for MessageTemplates {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_columns(m, [("tenants", text_null("templates"))]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(m, &[("tenants", "templates")]).await
    }
}

/// Adds columns one ALTER TABLE at a time (SQLite adds one column per statement).
async fn add_columns<const N: usize>(
    m: &SchemaManager<'_>,
    columns: [(&str, ColumnDef); N],
) -> Result<(), DbErr> {
    for (table, mut col) in columns {
        m.alter_table(
            Table::alter()
                .table(Alias::new(table))
                .add_column(&mut col)
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

/// Drops columns one ALTER TABLE at a time, in the order given.
async fn drop_columns(m: &SchemaManager<'_>, columns: &[(&str, &str)]) -> Result<(), DbErr> {
    for (table, col) in columns {
        m.alter_table(
            Table::alter()
                .table(Alias::new(*table))
                .drop_column(Alias::new(*col))
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}
