//! Admin commands for what the actions use: tenant policies, relying parties, emergency codes,
//! cards and the card master key, and account flags.

use crate::admin::now;
use crate::card_keys::{self, DIVERSIFIED, IMPORTED};
use crate::keys::Keys;
use crate::token::RELYING_PARTY_KEY_PREFIX as KEY_PREFIX;
use crate::token::SessionToken;
use anyhow::{Context, bail};
use base64::Engine;
use ea_core::cryptogram::{self, CardAlgorithm};
use ea_core::emergency::EmergencyCodePolicy;
use ea_core::password::PasswordPolicy;
use ea_store::tenants::Tenant;
use ea_store::{Store, audit, cards, emergency, tenants, users};
use rand::RngCore;
use serde::Deserialize;
use zeroize::Zeroizing;

async fn record(
    store: &Store,
    tenant: &Tenant,
    event: &str,
    username: Option<&str>,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    let e = audit::AuditEvent {
        tenant_id: Some(tenant.id),
        event: event.into(),
        username: username.map(str::to_owned),
        session_ref: None,
        detail,
    };
    audit::record(store.db(), e, now()).await?;
    Ok(())
}

/// The tenant policy file: `[password]`, `[emergency_code]`, `[send_limits]`, `[requests]`,
/// `[validation]`, `[flows]`, `[help]` and `[messages]`, each optional.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    #[serde(default)]
    pub password: PasswordPolicy,
    #[serde(default)]
    pub emergency_code: EmergencyCodePolicy,
    #[serde(default)]
    pub send_limits: ea_core::limits::SendLimits,
    #[serde(default)]
    pub requests: ea_core::limits::RequestLimits,
    #[serde(default)]
    pub validation: ea_core::limits::ValidationLimits,
    #[serde(default)]
    pub flows: FlowRules,
    /// Whom to contact when no way offered fits, per language (`en = "…"`, `de = "…"`, …).
    #[serde(default)]
    pub help: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub messages: MessageRules,
}

/// `[messages]` of the policy file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageRules {
    /// The language of codes and notices when the person's is not known: en, de, fr or it.
    pub language: Option<String>,
    /// The tenant's own wording, per language and message (`[messages.templates.de]`).
    #[serde(default)]
    pub templates: ea_store::tenants::Templates,
}

/// `[flows]` of the policy file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowRules {
    /// Let flows of SMS codes only, or e-mail codes only, permit a password reset or an
    /// emergency code.
    #[serde(default)]
    pub allow_weak: bool,
}

pub async fn set_policies(
    store: &Store,
    tenant: &Tenant,
    name: &str,
    text: &str,
) -> anyhow::Result<()> {
    let p: PolicyFile =
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{name}: {}", e.message()))?;
    p.password
        .validate()
        .map_err(|e| anyhow::anyhow!("{name}: password: {e}"))?;
    p.emergency_code
        .validate()
        .map_err(|e| anyhow::anyhow!("{name}: emergency_code: {e}"))?;
    p.send_limits
        .validate()
        .map_err(|e| anyhow::anyhow!("{name}: send_limits: {e}"))?;
    p.requests
        .validate()
        .map_err(|e| anyhow::anyhow!("{name}: requests: {e}"))?;
    p.validation
        .validate()
        .map_err(|e| anyhow::anyhow!("{name}: validation: {e}"))?;
    let help = ea_core::flow::check_texts(p.help, "help", 300)
        .map_err(|(field, reason)| anyhow::anyhow!("{name}: {field}: {reason}"))?;
    let language = match p.messages.language.as_deref() {
        None => None,
        Some(l) => match crate::dispatch::text::Lang::parse(l) {
            Some(lang) if lang.as_str() == l => Some(l),
            _ => anyhow::bail!("{name}: messages.language: {l:?} is not one of en, de, fr, it"),
        },
    };
    crate::dispatch::text::check_templates(&p.messages.templates, &tenant.name)
        .map_err(|(field, reason)| anyhow::anyhow!("{name}: messages.{field}: {reason}"))?;
    let limits = ea_core::limits::TenantLimits {
        send: p.send_limits,
        requests: p.requests,
        validation: p.validation,
        allow_weak_flows: p.flows.allow_weak,
    };
    tenants::set_policies(
        store.db(),
        tenant.id,
        &p.password,
        &p.emergency_code,
        &limits,
        tenants::TenantTexts {
            help: &help,
            language,
            templates: &p.messages.templates,
        },
    )
    .await?;
    record(store, tenant, "policies_set", None, serde_json::json!({})).await
}

async fn user_id(store: &Store, tenant: &Tenant, username: &str) -> anyhow::Result<i64> {
    Ok(users::find(store.db(), tenant.id, username)
        .await?
        .with_context(|| format!("no user {username:?} in tenant {}", tenant.slug))?
        .id)
}

/// `disabled`: the account may not use actions; `blocked`: the directory's lockout.
pub async fn set_user_flag(
    store: &Store,
    tenant: &Tenant,
    username: &str,
    flag: &str,
    on: bool,
) -> anyhow::Result<()> {
    let mut detail = serde_json::json!({});
    match flag {
        "disabled" => {
            users::set_disabled(store.db(), tenant.id, username, on).await?;
            // A disabled account's emergency codes stop working for good.
            if on {
                let uid = user_id(store, tenant, username).await?;
                let n = emergency::revoke_for_user(store.db(), tenant.id, uid, now()).await?;
                detail = serde_json::json!({ "emergency_codes_revoked": n });
            }
        }
        "blocked" => {
            users::set_blocked(store.db(), user_id(store, tenant, username).await?, on).await?
        }
        other => bail!("unknown flag {other}"),
    }
    record(
        store,
        tenant,
        &format!(
            "user_{}",
            if on {
                flag.to_owned()
            } else {
                format!("not_{flag}")
            }
        ),
        Some(&users::normalize_username(username)),
        detail,
    )
    .await
}

/// Revokes a relying party's API key: its validations are refused from now on.
pub async fn revoke_relying_party(store: &Store, tenant: &Tenant, id: i64) -> anyhow::Result<()> {
    if !emergency::revoke_relying_party(store.db(), tenant.id, id, now()).await? {
        bail!("no active relying party {id} in tenant {}", tenant.slug);
    }
    record(
        store,
        tenant,
        "relying_party_revoked",
        None,
        serde_json::json!({ "relying_party": id }),
    )
    .await
}

/// Adds a relying party and returns its API key (shown once; only its hash is stored).
pub async fn add_relying_party(
    store: &Store,
    tenant: &Tenant,
    name: &str,
    key: Option<String>,
) -> anyhow::Result<String> {
    if name.trim().is_empty() || name.len() > 128 {
        bail!("the relying party name must be 1 to 128 characters");
    }
    let key = key.unwrap_or_else(|| {
        let mut raw = [0u8; 32];
        rand::rng().fill_bytes(&mut raw);
        format!(
            "{KEY_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        )
    });
    emergency::add_relying_party(
        store.db(),
        tenant.id,
        name.trim(),
        &SessionToken::hash_of(&key),
        now(),
    )
    .await?;
    record(
        store,
        tenant,
        "relying_party_added",
        None,
        serde_json::json!({ "name": name.trim() }),
    )
    .await?;
    Ok(key)
}

/// Lines describing the tenant's emergency codes (never the codes themselves).
pub async fn list_codes(
    store: &Store,
    tenant: &Tenant,
    username: Option<&str>,
) -> anyhow::Result<Vec<String>> {
    let uid = match username {
        Some(u) => Some(user_id(store, tenant, u).await?),
        None => None,
    };
    let n = now();
    let mut out = Vec::new();
    for c in emergency::list(store.db(), tenant.id, uid).await? {
        let limits = ea_core::emergency::CodeLimits {
            max_uses: c.max_uses.map(|u| u as u32),
            valid_from: c.valid_from,
            valid_to: c.valid_to,
        };
        let state = ea_core::emergency::state(
            &limits,
            c.uses_left.map(|u| u.max(0) as u32),
            c.revoked_at.is_some(),
            n,
        );
        let owner = users::find_by_id(store.db(), c.user_id)
            .await?
            .map(|u| u.username)
            .unwrap_or_default();
        out.push(format!(
            "{}\t{owner}\t{}\tuses {}/{}\tfrom {}\tto {}",
            c.id,
            state.as_str(),
            c.uses,
            c.max_uses.map_or("-".into(), |u| u.to_string()),
            crate::clock::utc(c.valid_from),
            c.valid_to.map_or("-".into(), crate::clock::utc),
        ));
    }
    Ok(out)
}

pub async fn revoke_code(store: &Store, tenant: &Tenant, id: i64) -> anyhow::Result<()> {
    if !emergency::revoke(store.db(), tenant.id, id, now()).await? {
        bail!("no active emergency code {id} in tenant {}", tenant.slug);
    }
    record(
        store,
        tenant,
        "emergency_code_revoked",
        None,
        serde_json::json!({ "code_id": id }),
    )
    .await
}

/// The card import file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardFile {
    pub cards: Vec<CardEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardEntry {
    pub serial: String,
    pub username: String,
    #[serde(default = "default_profile")]
    pub profile: String,
    pub algorithm: String,
    /// The card's admin key, hex. Without it the key is diversified from the tenant master key.
    pub key: Option<Zeroizing<String>>,
}

fn default_profile() -> String {
    "iso7816".into()
}

/// Normalises a card serial: hex, upper case, 1 to 32 bytes.
pub fn normalize_serial(s: &str) -> Option<String> {
    let clean: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':' && *c != '-')
        .collect();
    let bytes = hex::decode(&clean).ok()?;
    (!bytes.is_empty() && bytes.len() <= 32).then(|| hex::encode_upper(bytes))
}

/// Imports cards: all entries are checked before any is stored.
pub async fn import_cards(
    store: &Store,
    tenant: &Tenant,
    keys: &Keys,
    name: &str,
    text: &str,
) -> anyhow::Result<usize> {
    let file: CardFile = serde_json::from_str(text)
        .map_err(|e| anyhow::anyhow!("{name}: line {} column {}: {e}", e.line(), e.column()))?;
    let mut prepared = Vec::new();
    for (i, c) in file.cards.iter().enumerate() {
        let at = format!("{name}: cards[{i}]");
        let serial = normalize_serial(&c.serial)
            .with_context(|| format!("{at}.serial: must be 1 to 32 bytes of hex"))?;
        if prepared.iter().any(|p: &cards::NewCard| p.serial == serial) {
            bail!("{at}.serial: {serial} appears twice");
        }
        let alg = CardAlgorithm::parse(&c.algorithm).with_context(|| {
            format!(
                "{at}.algorithm: {:?} is not one of 3des, aes128, aes192, aes256",
                c.algorithm
            )
        })?;
        cryptogram::check_profile(&c.profile, alg)
            .map_err(|e| anyhow::anyhow!("{at}.profile: {e}"))?;
        let uid = users::find(store.db(), tenant.id, &c.username)
            .await?
            .with_context(|| format!("{at}.username: no user {:?}", c.username))?
            .id;
        let (source, sealed) = match &c.key {
            Some(k) => {
                let key = Zeroizing::new(
                    hex::decode(k.trim()).map_err(|_| anyhow::anyhow!("{at}.key: not hex"))?,
                );
                if key.len() != alg.key_len() {
                    bail!(
                        "{at}.key: {} needs {} bytes, got {}",
                        alg.as_str(),
                        alg.key_len(),
                        key.len()
                    );
                }
                (
                    IMPORTED,
                    Some(keys.kek.seal(
                        &card_keys::card_aad(&tenant.slug, &serial),
                        &key,
                        &mut rand::rng(),
                    )),
                )
            }
            None => {
                if tenant.card_master_key.is_none() {
                    bail!(
                        "{at}.key: missing, and tenant {} has no card master key (`ea-server card master-key`)",
                        tenant.slug
                    );
                }
                (DIVERSIFIED, None)
            }
        };
        prepared.push(cards::NewCard {
            tenant_id: tenant.id,
            user_id: uid,
            serial,
            profile: c.profile.clone(),
            algorithm: alg.as_str().into(),
            key_source: source.into(),
            sealed_key: sealed,
        });
    }
    let n = prepared.len();
    let txn = store.begin().await?;
    for c in prepared {
        let serial = c.serial.clone();
        cards::put(&txn, c, now()).await?;
        let e = audit::AuditEvent {
            tenant_id: Some(tenant.id),
            event: "card_imported".into(),
            username: None,
            session_ref: None,
            detail: serde_json::json!({ "serial": serial }),
        };
        audit::record(&txn, e, now()).await?;
    }
    txn.commit().await?;
    Ok(n)
}

/// Stores the tenant's card master key (hex, 16 to 64 bytes), sealed.
pub async fn set_card_master_key(
    store: &Store,
    tenant: &Tenant,
    keys: &Keys,
    hex_text: &str,
) -> anyhow::Result<()> {
    let key = Zeroizing::new(
        hex::decode(hex_text.trim())
            .map_err(|_| anyhow::anyhow!("the master key file must hold hex"))?,
    );
    if !(16..=64).contains(&key.len()) {
        bail!("the master key must be 16 to 64 bytes");
    }
    let sealed = keys
        .kek
        .seal(&card_keys::master_aad(&tenant.slug), &key, &mut rand::rng());
    tenants::set_card_master_key(store.db(), tenant.id, sealed).await?;
    record(
        store,
        tenant,
        "card_master_key_set",
        None,
        serde_json::json!({}),
    )
    .await
}

pub async fn list_cards(store: &Store, tenant: &Tenant) -> anyhow::Result<Vec<String>> {
    Ok(cards::list(store.db(), tenant.id)
        .await?
        .into_iter()
        .map(|(c, owner)| {
            format!(
                "{}\t{owner}\t{}\t{}\t{}",
                c.serial, c.profile, c.algorithm, c.key_source
            )
        })
        .collect())
}

/// Validates an enrolment profile (TOML; errors name the file, field and reason) and makes it the
/// tenant's. Audited.
pub async fn set_enrolment_profile(
    store: &Store,
    tenant: &Tenant,
    name: &str,
    text: &str,
) -> anyhow::Result<ea_core::enrolment::EnrolmentProfile> {
    let p = ea_core::enrolment::EnrolmentProfile::from_toml(name, text)?;
    tenants::set_enrolment_profile(store.db(), tenant.id, &p).await?;
    let detail = serde_json::json!({
        "phones": p.phones.required,
        "emails": p.emails.required,
        "authenticator": p.authenticator.required,
        "questions": p.questions.required,
        "catalogue": p.questions.catalogue.len(),
    });
    record(store, tenant, "enrolment_profile_set", None, detail).await?;
    Ok(p)
}

/// What a user has enrolled (counts, never the values), and what they lack against the tenant's
/// enrolment profile (`None` when it has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserStatus {
    pub username: String,
    pub display_name: String,
    pub enrolled: ea_core::enrolment::Enrolled,
    pub disabled: bool,
    pub blocked: bool,
    pub from_directory: bool,
    pub missing: Option<Vec<ea_core::enrolment::Missing>>,
}

impl std::fmt::Display for UserStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use ea_core::enrolment::Missing;
        let yes = |b: bool| if b { "yes" } else { "no" };
        let e = &self.enrolled;
        writeln!(f, "{} ({})", self.username, self.display_name)?;
        writeln!(f, "  phones:               {}", e.phones)?;
        writeln!(f, "  e-mail addresses:     {}", e.emails)?;
        writeln!(f, "  authenticator:        {}", yes(e.authenticator))?;
        writeln!(f, "  questions answered:   {}", e.questions)?;
        writeln!(f, "  disabled:             {}", yes(self.disabled))?;
        writeln!(f, "  blocked:              {}", yes(self.blocked))?;
        writeln!(f, "  from the directory:   {}", yes(self.from_directory))?;
        let plural =
            |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let against = match &self.missing {
            None => "the tenant has no enrolment profile".to_owned(),
            Some(m) if m.is_empty() => "complete".to_owned(),
            Some(m) => {
                let parts: Vec<String> = m
                    .iter()
                    .map(|x| match *x {
                        Missing::Phones { needed } => plural(needed, "phone", "phones"),
                        Missing::Emails { needed } => {
                            plural(needed, "e-mail address", "e-mail addresses")
                        }
                        Missing::Authenticator => "the authenticator".to_owned(),
                        Missing::Questions { needed } => plural(needed, "answer", "answers"),
                    })
                    .collect();
                format!("missing {}", parts.join(", "))
            }
        };
        writeln!(f, "  enrolment profile:    {against}")
    }
}

/// The enrolment status of `username` in `tenant`.
pub async fn user_status(
    store: &Store,
    tenant: &Tenant,
    username: &str,
) -> anyhow::Result<UserStatus> {
    let u = users::find(store.db(), tenant.id, username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user {username:?} in tenant {}", tenant.slug))?;
    let enrolled = ea_core::enrolment::Enrolled {
        phones: u.phones.len(),
        emails: u.emails.len(),
        authenticator: u.totp.is_some(),
        questions: u.questions.len(),
    };
    Ok(UserStatus {
        missing: tenant.enrolment.as_ref().map(|p| p.missing(&enrolled)),
        username: u.username,
        display_name: u.display_name,
        enrolled,
        disabled: u.disabled,
        blocked: u.blocked,
        from_directory: u.directory_id.is_some(),
    })
}
