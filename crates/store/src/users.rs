//! Users with their contacts, questions and authenticator seed.

use crate::entities::{contact, question, totp_seed, user};
use crate::{Conn, Result, StoreError};
use ea_core::session::SubjectQuestion;
use ea_core::totp::{TotpAlgorithm, TotpCounters, TotpParams};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// A user to create or replace. Answers arrive hashed and the seed sealed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    /// `(question text, Argon2id hash of the answer)`.
    pub questions: Vec<(String, String)>,
    pub totp: Option<(Vec<u8>, TotpParams)>,
}

/// A user as stored.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// Disabled by an administrator or by the directory (or gone from it).
    pub disabled: bool,
    /// The directory entry the user was read from, once synced.
    pub directory_id: Option<String>,
    /// Built-in directory state.
    pub password_hash: Option<String>,
    pub login_failures: i32,
    pub blocked: bool,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub questions: Vec<SubjectQuestion>,
    pub totp: Option<StoredTotp>,
}

/// The sealed seed with its counters and row version.
#[derive(Debug, Clone)]
pub struct StoredTotp {
    pub sealed_secret: Vec<u8>,
    pub params: TotpParams,
    pub counters: TotpCounters,
    pub version: i64,
}

/// Where a contact came from: an administrator's import, the directory (replaced by each sync),
/// or the user's own enrolment (kept by syncs).
pub const SOURCE_ADMIN: &str = "admin";
pub const SOURCE_DIRECTORY: &str = "directory";
pub const SOURCE_ENROLMENT: &str = "enrolment";

/// Usernames are compared trimmed and lower-cased.
pub fn normalize_username(name: &str) -> String {
    name.trim().to_lowercase()
}

fn alg_str(a: TotpAlgorithm) -> &'static str {
    match a {
        TotpAlgorithm::Sha1 => "SHA1",
        TotpAlgorithm::Sha256 => "SHA256",
        TotpAlgorithm::Sha512 => "SHA512",
    }
}

fn alg_parse(s: &str) -> Result<TotpAlgorithm> {
    match s {
        "SHA1" => Ok(TotpAlgorithm::Sha1),
        "SHA256" => Ok(TotpAlgorithm::Sha256),
        "SHA512" => Ok(TotpAlgorithm::Sha512),
        other => Err(StoreError::Corrupt(format!("TOTP algorithm {other:?}"))),
    }
}

/// Creates the user or replaces everything about an existing one (run inside a transaction).
pub async fn put(conn: &impl Conn, tenant_id: i64, u: NewUser, now: i64) -> Result<i64> {
    let username = normalize_username(&u.username);
    let existing = user::Entity::find()
        .filter(user::Column::TenantId.eq(tenant_id))
        .filter(user::Column::Username.eq(&username))
        .one(conn)
        .await?;
    let user_id = match existing {
        Some(m) => {
            let id = m.id;
            let mut a: user::ActiveModel = m.into();
            a.display_name = Set(u.display_name);
            a.update(conn).await?;
            delete_contacts(conn, id, false).await?;
            delete_factors(conn, id).await?;
            id
        }
        None => {
            user::ActiveModel {
                tenant_id: Set(tenant_id),
                username: Set(username),
                display_name: Set(u.display_name),
                disabled: Set(false),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(conn)
            .await?
            .id
        }
    };
    insert_contacts(
        conn,
        user_id,
        contact_rows(&u.phones, &u.emails),
        SOURCE_ADMIN,
    )
    .await?;
    insert_questions(conn, user_id, u.questions).await?;
    if let Some((sealed, params)) = u.totp {
        insert_totp(conn, user_id, sealed, params, None, 0).await?;
    }
    Ok(user_id)
}

/// Loads a user by (normalised) username.
pub async fn find(conn: &impl Conn, tenant_id: i64, username: &str) -> Result<Option<UserRecord>> {
    let found = user::Entity::find()
        .filter(user::Column::TenantId.eq(tenant_id))
        .filter(user::Column::Username.eq(normalize_username(username)))
        .one(conn)
        .await?;
    // The same queries run for a name that does not exist (on an id no row has), so the time
    // taken does not tell the two apart.
    let id = found.as_ref().map_or(-1, |u| u.id);
    let contacts = contact::Entity::find()
        .filter(contact::Column::UserId.eq(id))
        .order_by_asc(contact::Column::Position)
        .all(conn)
        .await?;
    let questions = question::Entity::find()
        .filter(question::Column::UserId.eq(id))
        .order_by_asc(question::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|q| SubjectQuestion {
            id: q.id,
            text: q.text,
            answer_hash: q.answer_hash,
        })
        .collect();
    let seed = totp_seed::Entity::find_by_id(id).one(conn).await?;
    let Some(u) = found else {
        return Ok(None);
    };
    let totp = match seed {
        Some(t) => Some(StoredTotp {
            params: TotpParams {
                algorithm: alg_parse(&t.algorithm)?,
                digits: u32::try_from(t.digits)
                    .map_err(|_| StoreError::Corrupt("TOTP digits".into()))?,
                period: u64::try_from(t.period)
                    .map_err(|_| StoreError::Corrupt("TOTP period".into()))?,
            },
            counters: TotpCounters {
                last_step: t.last_step.map(|s| s as u64),
                drift: t.drift,
            },
            sealed_secret: t.sealed_secret,
            version: t.version,
        }),
        None => None,
    };
    let pick = |kind: &str| {
        contacts
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| c.value.clone())
            .collect()
    };
    Ok(Some(UserRecord {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        disabled: u.disabled || u.directory_disabled,
        directory_id: u.directory_id,
        password_hash: u.password_hash,
        login_failures: u.login_failures,
        blocked: u.blocked,
        phones: pick("phone"),
        emails: pick("email"),
        questions,
        totp,
    }))
}

/// Saves new TOTP counters if nobody else did since `version` was read.
pub async fn save_totp_counters(
    conn: &impl Conn,
    user_id: i64,
    counters: TotpCounters,
    version: i64,
) -> Result<()> {
    let res = totp_seed::Entity::update_many()
        .col_expr(
            totp_seed::Column::LastStep,
            counters.last_step.map(|s| s as i64).into(),
        )
        .col_expr(totp_seed::Column::Drift, counters.drift.into())
        .col_expr(totp_seed::Column::Version, (version + 1).into())
        .filter(totp_seed::Column::UserId.eq(user_id))
        .filter(totp_seed::Column::Version.eq(version))
        .exec(conn)
        .await?;
    crate::swapped(res)
}

/// Sets or clears the disabled flag.
pub async fn set_disabled(
    conn: &impl Conn,
    tenant_id: i64,
    username: &str,
    disabled: bool,
) -> Result<()> {
    let res = user::Entity::update_many()
        .col_expr(user::Column::Disabled, disabled.into())
        .filter(user::Column::TenantId.eq(tenant_id))
        .filter(user::Column::Username.eq(normalize_username(username)))
        .exec(conn)
        .await?;
    if res.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!("user {username:?}")))
    }
}

/// What decoys are made from, read from a sample of the tenant's users for every session
/// (known names too, so both do the same work).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecoyMaterial {
    /// Question texts that at least [`SHARED_BY`] users have: never one user's own text.
    pub questions: Vec<String>,
    /// The tenant's e-mail domains, most used first (at most 5).
    pub email_domains: Vec<String>,
    /// The median number of phones and of addresses among users that have any.
    pub typical_phones: usize,
    pub typical_emails: usize,
}

/// A question text is shown in decoys only when this many users have it.
pub const SHARED_BY: usize = 3;

fn median(mut v: Vec<usize>) -> usize {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(1).max(1)
}

pub async fn decoy_material(conn: &impl Conn, tenant_id: i64) -> Result<DecoyMaterial> {
    use std::collections::{BTreeMap, BTreeSet};
    let users: Vec<i64> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::TenantId.eq(tenant_id))
        .limit(200)
        .into_tuple()
        .all(conn)
        .await?;
    let texts: Vec<(i64, String)> = question::Entity::find()
        .select_only()
        .column(question::Column::UserId)
        .column(question::Column::Text)
        .filter(question::Column::UserId.is_in(users.clone()))
        .limit(2000)
        .into_tuple()
        .all(conn)
        .await?;
    let mut holders: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for (u, t) in texts {
        holders.entry(t).or_default().insert(u);
    }
    let questions = holders
        .into_iter()
        .filter(|(_, us)| us.len() >= SHARED_BY)
        .map(|(t, _)| t)
        .collect();
    let contacts: Vec<(i64, String, String)> = contact::Entity::find()
        .select_only()
        .column(contact::Column::UserId)
        .column(contact::Column::Kind)
        .column(contact::Column::Value)
        .filter(contact::Column::UserId.is_in(users))
        .limit(2000)
        .into_tuple()
        .all(conn)
        .await?;
    let mut phones: BTreeMap<i64, usize> = BTreeMap::new();
    let mut emails: BTreeMap<i64, usize> = BTreeMap::new();
    let mut domains: BTreeMap<String, usize> = BTreeMap::new();
    for (u, kind, value) in contacts {
        if kind == "phone" {
            *phones.entry(u).or_default() += 1;
        } else {
            *emails.entry(u).or_default() += 1;
            if let Some((_, d)) = value.rsplit_once('@') {
                *domains.entry(d.to_owned()).or_default() += 1;
            }
        }
    }
    let mut by_use: Vec<(String, usize)> = domains.into_iter().collect();
    by_use.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(DecoyMaterial {
        questions,
        email_domains: by_use.into_iter().take(5).map(|(d, _)| d).collect(),
        typical_phones: median(phones.into_values().collect()),
        typical_emails: median(emails.into_values().collect()),
    })
}

/// Number of users in the tenant.
pub async fn count(conn: &impl Conn, tenant_id: i64) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(user::Entity::find()
        .filter(user::Column::TenantId.eq(tenant_id))
        .count(conn)
        .await?)
}

/// Built-in directory: stores a new password hash.
pub async fn set_password(conn: &impl Conn, user_id: i64, phc: &str, now: i64) -> Result<()> {
    let res = user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Some(phc.to_owned()).into())
        .col_expr(user::Column::PasswordChangedAt, Some(now).into())
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    if res.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!("user {user_id}")))
    }
}

/// Built-in directory: blocks or unblocks the account; unblocking clears the failure counter.
pub async fn set_blocked(conn: &impl Conn, user_id: i64, blocked: bool) -> Result<()> {
    let mut q = user::Entity::update_many().col_expr(user::Column::Blocked, blocked.into());
    if !blocked {
        q = q.col_expr(user::Column::LoginFailures, 0.into());
    }
    let res = q.filter(user::Column::Id.eq(user_id)).exec(conn).await?;
    if res.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!("user {user_id}")))
    }
}

/// A user row by id.
pub async fn find_by_id(conn: &impl Conn, id: i64) -> Result<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(conn).await?)
}

/// A user as a directory holds them: what `ea-server user sync` keeps in step. Questions and
/// authenticator secrets are ours and are left as they are, as long as the directory entry is
/// the same one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    /// The entry's own identifier (entryUUID, objectGUID): a username given to someone else
    /// later is another entry.
    pub directory_id: String,
    pub username: String,
    pub display_name: String,
    /// Normalised (E.164, lower-cased addresses), in the directory's order.
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub disabled: bool,
}

/// What a sync did to one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synced {
    Added,
    Changed,
    /// The username now belongs to another directory entry (another person): the old one's
    /// questions and authenticator secret were removed, their emergency codes revoked.
    Replaced,
    Unchanged,
}

/// Brings one user in line with the directory (inside a transaction): created when new; display
/// name, the directory's disabled flag and contacts replaced when they differ. An
/// administrator's own `disabled` is left alone.
pub async fn sync_from_directory(
    conn: &impl Conn,
    tenant_id: i64,
    d: &DirectoryUser,
    now: i64,
) -> Result<Synced> {
    let username = normalize_username(&d.username);
    let existing = user::Entity::find()
        .filter(user::Column::TenantId.eq(tenant_id))
        .filter(user::Column::Username.eq(&username))
        .one(conn)
        .await?;
    let want = contact_rows(&d.phones, &d.emails);
    let (user_id, outcome) = match existing {
        None => {
            let id = user::ActiveModel {
                tenant_id: Set(tenant_id),
                username: Set(username),
                display_name: Set(d.display_name.clone()),
                disabled: Set(false),
                created_at: Set(now),
                directory_id: Set(Some(d.directory_id.clone())),
                directory_disabled: Set(d.disabled),
                ..Default::default()
            }
            .insert(conn)
            .await?
            .id;
            (id, Synced::Added)
        }
        Some(m) => {
            let replaced = m
                .directory_id
                .as_ref()
                .is_some_and(|id| *id != d.directory_id);
            // The directory's (and an earlier import's) contacts; those the user enrolled are
            // theirs to keep.
            let contacts: Vec<(String, String)> = contact::Entity::find()
                .filter(contact::Column::UserId.eq(m.id))
                .filter(contact::Column::Source.ne(SOURCE_ENROLMENT))
                .order_by_asc(contact::Column::Position)
                .all(conn)
                .await?
                .into_iter()
                .map(|c| (c.kind, c.value))
                .collect();
            if !replaced
                && contacts == want
                && m.display_name == d.display_name
                && m.directory_disabled == d.disabled
                && m.directory_id.as_deref() == Some(d.directory_id.as_str())
            {
                return Ok(Synced::Unchanged);
            }
            let id = m.id;
            let mut a: user::ActiveModel = m.into();
            a.display_name = Set(d.display_name.clone());
            a.directory_disabled = Set(d.disabled);
            a.directory_id = Set(Some(d.directory_id.clone()));
            a.update(conn).await?;
            if replaced {
                // Another person now holds the name: nothing of the former holder stays.
                delete_contacts(conn, id, false).await?;
                delete_factors(conn, id).await?;
                crate::enrolments::end_all_for_user(conn, id, now).await?;
                crate::emergency::revoke_for_user(conn, tenant_id, id, now).await?;
                (id, Synced::Replaced)
            } else {
                delete_contacts(conn, id, true).await?;
                (id, Synced::Changed)
            }
        }
    };
    insert_contacts(conn, user_id, want, SOURCE_DIRECTORY).await?;
    Ok(outcome)
}

/// Removes the user's contacts (but those the user enrolled, with `keep_enrolled`).
async fn delete_contacts(conn: &impl Conn, user_id: i64, keep_enrolled: bool) -> Result<()> {
    let mut q = contact::Entity::delete_many().filter(contact::Column::UserId.eq(user_id));
    if keep_enrolled {
        q = q.filter(contact::Column::Source.ne(SOURCE_ENROLMENT));
    }
    q.exec(conn).await?;
    Ok(())
}

/// Removes the user's verification answers and authenticator secret.
async fn delete_factors(conn: &impl Conn, user_id: i64) -> Result<()> {
    question::Entity::delete_many()
        .filter(question::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    totp_seed::Entity::delete_many()
        .filter(totp_seed::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Contacts as rows: `(kind, value)`, phones first, in the order given.
fn contact_rows(phones: &[String], emails: &[String]) -> Vec<(String, String)> {
    phones
        .iter()
        .map(|p| ("phone".to_owned(), p.clone()))
        .chain(emails.iter().map(|e| ("email".to_owned(), e.clone())))
        .collect()
}

async fn insert_contacts(
    conn: &impl Conn,
    user_id: i64,
    rows: Vec<(String, String)>,
    source: &str,
) -> Result<()> {
    for (position, (kind, value)) in rows.into_iter().enumerate() {
        contact::ActiveModel {
            user_id: Set(user_id),
            kind: Set(kind),
            value: Set(value),
            position: Set(position as i32),
            source: Set(source.to_owned()),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// Marks a user as gone from the directory (disabled until it has them again).
pub async fn set_directory_disabled(conn: &impl Conn, user_id: i64) -> Result<()> {
    user::Entity::update_many()
        .col_expr(user::Column::DirectoryDisabled, true.into())
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Every user of the tenant: id, username, and whether the directory has disabled them.
pub async fn list(conn: &impl Conn, tenant_id: i64) -> Result<Vec<(i64, String, bool)>> {
    Ok(user::Entity::find()
        .filter(user::Column::TenantId.eq(tenant_id))
        .order_by_asc(user::Column::Username)
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username, u.directory_disabled))
        .collect())
}

/// Adds a phone number or address after the user's others of any kind.
pub async fn add_contact(conn: &impl Conn, user_id: i64, kind: &str, value: &str) -> Result<()> {
    let last = contact::Entity::find()
        .filter(contact::Column::UserId.eq(user_id))
        .order_by_desc(contact::Column::Position)
        .one(conn)
        .await?
        .map_or(-1, |c| c.position);
    contact::ActiveModel {
        user_id: Set(user_id),
        kind: Set(kind.to_owned()),
        value: Set(value.to_owned()),
        position: Set(last + 1),
        source: Set(SOURCE_ENROLMENT.to_owned()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Removes one phone number or address; `NotFound` when the user has no such contact.
pub async fn remove_contact(conn: &impl Conn, user_id: i64, kind: &str, value: &str) -> Result<()> {
    let res = contact::Entity::delete_many()
        .filter(contact::Column::UserId.eq(user_id))
        .filter(contact::Column::Kind.eq(kind))
        .filter(contact::Column::Value.eq(value))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(StoreError::NotFound("contact".into()));
    }
    Ok(())
}

/// Sets (or replaces) the user's authenticator secret, sealed, with fresh counters.
pub async fn set_totp(
    conn: &impl Conn,
    user_id: i64,
    sealed: Vec<u8>,
    params: TotpParams,
    accepted_step: Option<u64>,
) -> Result<()> {
    // The version moves on, so a verification that read the old secret's counters cannot save
    // them over the new one's.
    let version = totp_seed::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .map_or(0, |t| t.version + 1);
    remove_totp(conn, user_id).await?;
    // The code that confirmed it is not accepted again.
    insert_totp(conn, user_id, sealed, params, accepted_step, version).await
}

/// Stores a sealed authenticator secret with fresh counters (`last_step`: the step last used).
async fn insert_totp(
    conn: &impl Conn,
    user_id: i64,
    sealed: Vec<u8>,
    params: TotpParams,
    last_step: Option<u64>,
    version: i64,
) -> Result<()> {
    totp_seed::ActiveModel {
        user_id: Set(user_id),
        sealed_secret: Set(sealed),
        algorithm: Set(alg_str(params.algorithm).to_owned()),
        digits: Set(params.digits as i32),
        period: Set(params.period as i64),
        last_step: Set(last_step.map(|s| s as i64)),
        drift: Set(0),
        version: Set(version),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Removes the user's authenticator secret.
pub async fn remove_totp(conn: &impl Conn, user_id: i64) -> Result<()> {
    totp_seed::Entity::delete_many()
        .filter(totp_seed::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Replaces the user's verification answers: `(question text, Argon2id hash of the answer)`.
pub async fn set_questions(
    conn: &impl Conn,
    user_id: i64,
    questions: Vec<(String, String)>,
) -> Result<()> {
    question::Entity::delete_many()
        .filter(question::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    insert_questions(conn, user_id, questions).await
}

/// Adds `(question text, Argon2id hash of the answer)` rows for the user.
async fn insert_questions(
    conn: &impl Conn,
    user_id: i64,
    questions: Vec<(String, String)>,
) -> Result<()> {
    for (text, answer_hash) in questions {
        question::ActiveModel {
            user_id: Set(user_id),
            text: Set(text),
            answer_hash: Set(answer_hash),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// Loads a user by id.
pub async fn by_id(conn: &impl Conn, user_id: i64) -> Result<Option<UserRecord>> {
    let Some(u) = user::Entity::find_by_id(user_id).one(conn).await? else {
        return Ok(None);
    };
    find(conn, u.tenant_id, &u.username).await
}
