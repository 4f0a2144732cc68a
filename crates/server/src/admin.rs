//! Admin commands: tenants, flow and user import, the demo tenant, audit export.
//!
//! Every import is validated completely before anything is written, and written in one
//! transaction, so a bad file changes nothing and says which entry and field is wrong.

use crate::keys::Keys;
use crate::subject::totp_aad;
use anyhow::{Context, bail};
use ea_core::answers::{self, HashCost};
use ea_core::contact;
use ea_core::totp::{TotpAlgorithm, TotpParams};
use ea_core::{FlowDefinition, LockoutPolicy};
use ea_store::tenants::{NewTenant, Tenant};
use ea_store::users::NewUser;
use ea_store::{Store, audit, tenants, users};
use serde::Deserialize;
use std::path::Path;
use zeroize::Zeroizing;

pub fn now() -> i64 {
    crate::clock::Clock::now(&crate::clock::SystemClock)
}

pub async fn tenant_by_slug(store: &Store, slug: &str) -> anyhow::Result<Tenant> {
    tenants::by_slug(store.db(), slug).await?.with_context(|| {
        format!("no tenant {slug:?}; create it with `ea-server tenant add {slug}`")
    })
}

fn check_slug(slug: &str) -> anyhow::Result<()> {
    if slug.is_empty()
        || slug.len() > 64
        || !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        bail!("tenant id {slug:?} must be 1 to 64 characters of a-z, 0-9 and '-'");
    }
    Ok(())
}

pub async fn add_tenant(
    store: &Store,
    slug: &str,
    name: &str,
    country: Option<&str>,
    session_minutes: i64,
) -> anyhow::Result<Tenant> {
    check_slug(slug)?;
    // The name goes into subject lines and text messages: one line, and short.
    if name.trim().is_empty() || name.trim() != name {
        bail!("--name {name:?} must not be empty or start or end with spaces");
    }
    if name.chars().count() > 60 {
        bail!("--name is longer than 60 characters");
    }
    if name.chars().any(char::is_control) {
        bail!("--name {name:?} contains a line break or another control character");
    }
    if let Some(c) = country
        && (c.is_empty()
            || c.len() > 3
            || !c.chars().all(|d| d.is_ascii_digit())
            || c.starts_with('0'))
    {
        bail!("--country {c:?} must be a country calling code such as 41 or 1");
    }
    if !(1..=120).contains(&session_minutes) {
        bail!("--session-minutes must be between 1 and 120");
    }
    let t = NewTenant {
        slug: slug.to_owned(),
        name: name.to_owned(),
        default_country: country.map(str::to_owned),
        lockout: LockoutPolicy::default(),
        session_lifetime_seconds: session_minutes * 60,
    };
    let tenant = tenants::add(store.db(), t, now()).await?;
    record(
        store,
        Some(tenant.id),
        "tenant_added",
        serde_json::json!({ "slug": slug }),
    )
    .await?;
    Ok(tenant)
}

async fn record(
    store: &Store,
    tenant_id: Option<i64>,
    event: &str,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    let e = audit::AuditEvent {
        tenant_id,
        event: event.into(),
        username: None,
        session_ref: None,
        detail,
    };
    audit::record(store.db(), e, now()).await?;
    Ok(())
}

/// Validates and stores a flow file; returns the flow.
pub async fn import_flow(
    store: &Store,
    tenant: &Tenant,
    file: &Path,
) -> anyhow::Result<FlowDefinition> {
    let text = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let text = String::from_utf8(text)
        .map_err(|_| anyhow::anyhow!("{}: the file is not UTF-8 text", file.display()))?;
    import_flow_text(store, tenant, &file.display().to_string(), &text).await
}

pub async fn import_flow_text(
    store: &Store,
    tenant: &Tenant,
    name: &str,
    text: &str,
) -> anyhow::Result<FlowDefinition> {
    let flow = FlowDefinition::from_toml(name, text)?;
    if ea_core::limits::is_weak(&flow) && !tenant.limits.allow_weak_flows {
        bail!(
            "{name}: flow {:?} permits reset_password or emergency_code after codes of one \
             channel only (SMS or e-mail); add a second method, or allow weak flows for the \
             tenant (`[flows] allow_weak = true` in its policy file)",
            flow.id
        );
    }
    tenants::put_flow(store.db(), tenant.id, &flow, text, now()).await?;
    record(
        store,
        Some(tenant.id),
        "flow_imported",
        serde_json::json!({ "flow": flow.id }),
    )
    .await?;
    Ok(flow)
}

/// The user import file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFile {
    pub users: Vec<UserEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub questions: Vec<QuestionEntry>,
    #[serde(default)]
    pub totp: Option<TotpEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionEntry {
    pub question: String,
    pub answer: Zeroizing<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotpEntry {
    /// Base32 (RFC 4648), as in an `otpauth://` URI.
    pub secret: Zeroizing<String>,
    #[serde(default)]
    pub algorithm: TotpAlgorithm,
    #[serde(default = "six")]
    pub digits: u32,
    #[serde(default = "thirty")]
    pub period: u64,
    /// A hardware token or an old enrolment whose seed is shorter than 128 bits (at least 80):
    /// accepted only when marked so.
    #[serde(default)]
    pub legacy: bool,
}

fn six() -> u32 {
    6
}
fn thirty() -> u64 {
    30
}

/// Checks one entry and turns it into what the store keeps (answers hashed, seed sealed).
fn prepare(
    tenant: &Tenant,
    keys: &Keys,
    cost: HashCost,
    at: &str,
    u: &UserEntry,
) -> anyhow::Result<NewUser> {
    let username = users::normalize_username(&u.username);
    if username.is_empty()
        || username.chars().count() > ea_api::limits::USERNAME
        || username.chars().any(char::is_control)
    {
        bail!("{at}.username: must be 1 to 256 printable characters");
    }
    let mut phones = Vec::new();
    for (i, p) in u.phones.iter().enumerate() {
        let n = contact::normalize_phone(p, tenant.default_country.as_deref())
            .map_err(|e| anyhow::anyhow!("{at}.phones[{i}]: {e}"))?;
        if phones.contains(&n) {
            bail!("{at}.phones[{i}]: listed twice");
        }
        phones.push(n);
    }
    let mut emails = Vec::new();
    for (i, e) in u.emails.iter().enumerate() {
        let n = contact::normalize_email(e)
            .map_err(|err| anyhow::anyhow!("{at}.emails[{i}]: {err}"))?;
        if emails.contains(&n) {
            bail!("{at}.emails[{i}]: listed twice");
        }
        emails.push(n);
    }
    let mut questions = Vec::new();
    for (i, q) in u.questions.iter().enumerate() {
        let text = q.question.trim();
        if text.is_empty() || text.chars().count() > 300 {
            bail!("{at}.questions[{i}].question: must be 1 to 300 characters");
        }
        if answers::normalize(&q.answer).chars().count() > ea_api::limits::ANSWER {
            bail!(
                "{at}.questions[{i}].answer: longer than {} characters",
                ea_api::limits::ANSWER
            );
        }
        let hash = answers::hash(&q.answer, cost, &mut rand::rng())
            .map_err(|e| anyhow::anyhow!("{at}.questions[{i}].answer: {e}"))?;
        questions.push((text.to_owned(), hash));
    }
    let totp = match &u.totp {
        None => None,
        Some(t) => {
            let cleaned: Zeroizing<String> = Zeroizing::new(
                t.secret
                    .chars()
                    .filter(|c| !c.is_whitespace() && *c != '=')
                    .collect::<String>()
                    .to_uppercase(),
            );
            let secret = Zeroizing::new(
                data_encoding::BASE32_NOPAD
                    .decode(cleaned.as_bytes())
                    .map_err(|_| anyhow::anyhow!("{at}.totp.secret: not valid base32"))?,
            );
            // RFC 4226 asks for 128 bits and recommends 160; 80-bit seeds only for legacy tokens.
            if secret.len() < 10 {
                bail!("{at}.totp.secret: at least 80 bits (16 base32 characters) are needed");
            }
            if secret.len() < 16 && !t.legacy {
                bail!(
                    "{at}.totp.secret: at least 128 bits (26 base32 characters) are needed; \
                     mark a legacy token's shorter seed with \"legacy\": true"
                );
            }
            if !(6..=8).contains(&t.digits) {
                bail!("{at}.totp.digits: must be 6, 7 or 8");
            }
            if !(15..=120).contains(&t.period) {
                bail!("{at}.totp.period: must be between 15 and 120 seconds");
            }
            let sealed = keys.kek.seal(
                &totp_aad(&tenant.slug, &username),
                &secret,
                &mut rand::rng(),
            );
            Some((
                sealed,
                TotpParams {
                    algorithm: t.algorithm,
                    digits: t.digits,
                    period: t.period,
                },
            ))
        }
    };
    if phones.is_empty() && emails.is_empty() && questions.is_empty() && totp.is_none() {
        bail!("{at}: has no phone, email, question or authenticator, so could never be verified");
    }
    let display_name = u.display_name.clone().unwrap_or_else(|| username.clone());
    Ok(NewUser {
        username,
        display_name,
        phones,
        emails,
        questions,
        totp,
    })
}

/// Imports users from JSON text: all or nothing.
pub async fn import_users_text(
    store: &Store,
    tenant: &Tenant,
    keys: &Keys,
    cost: HashCost,
    name: &str,
    text: &str,
) -> anyhow::Result<usize> {
    let file: UserFile = serde_json::from_str(text)
        .map_err(|e| anyhow::anyhow!("{name}: line {} column {}: {e}", e.line(), e.column()))?;
    let mut prepared = Vec::with_capacity(file.users.len());
    for (i, u) in file.users.iter().enumerate() {
        let p = prepare(tenant, keys, cost, &format!("{name}: users[{i}]"), u)?;
        if prepared.iter().any(|q: &NewUser| q.username == p.username) {
            bail!(
                "{name}: users[{i}].username: {:?} appears twice",
                p.username
            );
        }
        prepared.push(p);
    }
    let n = prepared.len();
    let txn = store.begin().await?;
    let at = now();
    for p in prepared {
        let username = p.username.clone();
        users::put(&txn, tenant.id, p, at).await?;
        let e = audit::AuditEvent {
            tenant_id: Some(tenant.id),
            event: "user_imported".into(),
            username: Some(username),
            session_ref: None,
            detail: serde_json::json!({}),
        };
        audit::record(&txn, e, at).await?;
    }
    txn.commit().await?;
    Ok(n)
}

pub async fn import_users(
    store: &Store,
    tenant: &Tenant,
    keys: &Keys,
    cost: HashCost,
    file: &Path,
) -> anyhow::Result<usize> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{}: the file is not UTF-8 text", file.display()))?;
    import_users_text(
        store,
        tenant,
        keys,
        cost,
        &file.display().to_string(),
        &text,
    )
    .await
}

/// Writes the audit log as JSON lines.
pub async fn export_audit(
    store: &Store,
    tenant: Option<&str>,
    since: Option<i64>,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<usize> {
    let tenant_id = match tenant {
        Some(slug) => Some(tenant_by_slug(store, slug).await?.id),
        None => None,
    };
    let rows = audit::export(store.db(), tenant_id, since).await?;
    for r in &rows {
        let detail: serde_json::Value =
            serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null);
        let line = serde_json::json!({
            "id": r.id, "at": r.at, "tenant_id": r.tenant_id, "event": r.event,
            "username": r.username, "session": r.session_ref, "detail": detail,
        });
        writeln!(out, "{line}")?;
    }
    Ok(rows.len())
}
