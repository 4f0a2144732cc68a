//! sea-orm entities, one module per table. The schema itself comes only from [`crate::migration`];
//! these structs mirror it for queries.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod tenant {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenants")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub slug: String,
        pub name: String,
        pub default_country: Option<String>,
        /// JSON of [`ea_core::LockoutPolicy`].
        pub lockout: String,
        pub session_lifetime_seconds: i64,
        pub created_at: i64,
        /// JSON of [`ea_core::password::PasswordPolicy`].
        pub password_policy: String,
        /// JSON of [`ea_core::emergency::EmergencyCodePolicy`].
        pub emergency_policy: String,
        /// Master key for diversified card keys, sealed under the KEK (`card-master:<tenant>`).
        pub card_master_key: Option<Vec<u8>>,
        /// JSON of [`ea_core::limits::SendLimits`].
        pub limits: String,
        /// JSON of [`ea_core::enrolment::EnrolmentProfile`], once set.
        pub enrolment_profile: Option<String>,
        /// JSON of the help text per language, once set.
        pub help: Option<String>,
        /// The language of messages when the person's is not known.
        pub language: Option<String>,
        /// Listed to the desktop app's organisation picker.
        pub listed: bool,
        /// JSON of the tenant's own message templates (language → message → text), once set.
        pub templates: Option<String>,
    }
    no_relations!();
}

pub mod flow {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "flows")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub tenant_id: i64,
        pub flow_id: String,
        /// JSON of the validated [`ea_core::FlowDefinition`].
        pub definition: String,
        /// The TOML as imported, for export and audit.
        pub source: String,
        pub imported_at: i64,
    }
    no_relations!();
}

pub mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub tenant_id: i64,
        /// Lower-cased, trimmed.
        pub username: String,
        pub display_name: String,
        pub disabled: bool,
        pub created_at: i64,
        /// Built-in directory: Argon2id of the password.
        pub password_hash: Option<String>,
        pub password_changed_at: Option<i64>,
        /// Built-in directory: failed logins and the blocked flag that `unblock_user` clears.
        pub login_failures: i32,
        pub blocked: bool,
        /// The directory entry this user was read from (entryUUID or objectGUID), once synced.
        pub directory_id: Option<String>,
        /// Disabled in the directory, or gone from it (an administrator's own is `disabled`).
        pub directory_disabled: bool,
    }
    no_relations!();
}

pub mod contact {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "contacts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: i64,
        /// `phone` or `email`.
        pub kind: String,
        /// Normalised: E.164 or lower-cased address.
        pub value: String,
        pub position: i32,
        /// `admin`, `directory` or `enrolment` ([`crate::users::SOURCE_ADMIN`] …).
        pub source: String,
    }
    no_relations!();
}

pub mod question {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "questions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: i64,
        pub text: String,
        /// Argon2id PHC string of the normalised answer.
        pub answer_hash: String,
    }
    no_relations!();
}

pub mod totp_seed {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "totp_seeds")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        /// XChaCha20-Poly1305 under the KEK, bound to `totp:<tenant>:<username>`.
        pub sealed_secret: Vec<u8>,
        pub algorithm: String,
        pub digits: i32,
        pub period: i64,
        pub last_step: Option<i64>,
        pub drift: i64,
        pub version: i64,
    }
    no_relations!();
}

pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        /// SHA-256 of the bearer token, hex; the token itself is never stored.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub tenant_id: i64,
        pub username: String,
        /// JSON of [`ea_core::VerificationSession`] (codes only as keyed hashes).
        pub state: String,
        pub version: i64,
        pub created_at: i64,
        pub expires_at: i64,
    }
    no_relations!();
}

pub mod account_guard {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "account_guards")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub tenant_id: i64,
        pub username: String,
        /// `""` for the account, `source:<hash>` for one client source, `strangers` for all
        /// sources that never completed a verification for this user.
        pub scope: String,
        pub failures: i32,
        pub lockouts: i32,
        pub locked_until: Option<i64>,
        pub version: i64,
    }
    no_relations!();
}

pub mod outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub tenant_id: i64,
        /// `sms` or `email`.
        pub channel: String,
        pub destination: String,
        /// The message, sealed under the KEK bound to `outbox:<destination>`.
        pub sealed_body: Vec<u8>,
        /// `pending`, `delivered` or `failed`.
        pub status: String,
        pub attempts: i32,
        pub next_attempt_at: i64,
        pub claimed_until: Option<i64>,
        pub created_at: i64,
        pub delivered_at: Option<i64>,
        pub last_error: Option<String>,
        /// `code` (counted against the send limits) or `notice`.
        pub purpose: String,
    }
    no_relations!();
}

pub mod audit {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: i64,
        pub tenant_id: Option<i64>,
        pub event: String,
        pub username: Option<String>,
        /// A short, non-secret reference to the session (a prefix of the token hash).
        pub session_ref: Option<String>,
        /// JSON object of non-secret details.
        pub detail: String,
        /// The row's place in the chain, once linked (see `crate::audit::chain_pending`).
        pub chain_seq: Option<i64>,
        /// Keyed hash over the previous link and this row, hex.
        pub chain_link: Option<String>,
    }
    no_relations!();
}

pub mod server_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "server_keys")]
    pub struct Model {
        /// The key's purpose, e.g. `otp-hash`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        /// The key sealed under the KEK, bound to `server-key:<name>`.
        pub sealed: Vec<u8>,
        pub created_at: i64,
    }
    no_relations!();
}

pub mod emergency_code {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "emergency_codes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub tenant_id: i64,
        pub user_id: i64,
        /// Keyed hash bound to tenant and user; the code is shown once and never stored.
        pub code_hash: String,
        pub max_uses: Option<i32>,
        /// Decremented by a conditional update, so concurrent uses never overshoot.
        pub uses_left: Option<i32>,
        pub uses: i32,
        pub valid_from: i64,
        pub valid_to: Option<i64>,
        pub created_at: i64,
        pub revoked_at: Option<i64>,
        pub last_used_at: Option<i64>,
    }
    no_relations!();
}

pub mod relying_party {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "relying_parties")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub tenant_id: i64,
        pub name: String,
        /// SHA-256 of the API key, hex.
        pub key_hash: String,
        pub created_at: i64,
        pub revoked_at: Option<i64>,
    }
    no_relations!();
}

pub mod card {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "cards")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub tenant_id: i64,
        pub user_id: i64,
        /// Upper-case hex.
        pub serial: String,
        pub profile: String,
        pub algorithm: String,
        /// `imported` (sealed per-card key) or `diversified` (from the tenant master key).
        pub key_source: String,
        /// The admin key sealed under the KEK, bound to `card:<tenant>:<serial>`.
        pub sealed_key: Option<Vec<u8>>,
        pub created_at: i64,
    }
    no_relations!();
}

pub mod rate_counter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "rate_counters")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub scope: String,
        pub key: String,
        pub window_start: i64,
        pub count: i64,
        pub expires_at: i64,
    }
    no_relations!();
}

pub mod familiar_source {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "familiar_sources")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub tenant_id: i64,
        pub username: String,
        pub source: String,
        pub last_seen: i64,
    }
    no_relations!();
}

pub mod invitation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "invitations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub tenant_id: i64,
        pub user_id: i64,
        /// Keyed hash of the enrolment code; the code itself is never stored.
        pub code_hash: String,
        /// Where the invitation (and the first enrolment code) goes.
        pub address: String,
        pub failures: i32,
        pub created_at: i64,
        pub expires_at: i64,
        /// Used, replaced by a newer invitation, or spent by wrong codes.
        pub ended_at: Option<i64>,
    }
    no_relations!();
}

pub mod enrolment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "enrolments")]
    pub struct Model {
        /// SHA-256 of the bearer token, hex; the token itself is never stored.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub tenant_id: i64,
        pub user_id: i64,
        /// JSON of [`ea_core::enrolment_session::EnrolmentSession`] (codes as keyed hashes, a
        /// new authenticator secret sealed).
        pub state: String,
        pub version: i64,
        pub created_at: i64,
        pub expires_at: i64,
    }
    no_relations!();
}
