//! Tenants and their flows.

use crate::entities::{flow, tenant};
use crate::{Conn, Result, StoreError, duplicate_or};
use ea_core::emergency::EmergencyCodePolicy;
use ea_core::limits::TenantLimits;
use ea_core::password::PasswordPolicy;
use ea_core::{FlowDefinition, LockoutPolicy};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::BTreeMap;

/// A tenant with its settings decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub default_country: Option<String>,
    pub lockout: LockoutPolicy,
    pub session_lifetime_seconds: i64,
    pub password_policy: PasswordPolicy,
    pub emergency_policy: EmergencyCodePolicy,
    /// Sends, requests and validations per hour, and whether single-channel flows may permit
    /// strong actions.
    pub limits: TenantLimits,
    /// Sealed master key for diversified card keys.
    pub card_master_key: Option<Vec<u8>>,
    /// What users register when they enrol, once the tenant has set it.
    pub enrolment: Option<ea_core::enrolment::EnrolmentProfile>,
    /// Whom a user for whom no flow fits should contact, per language.
    pub help: std::collections::BTreeMap<String, String>,
    /// The language of messages when the person's is not known (`en`, `de`, `fr`, `it`).
    pub language: Option<String>,
    /// Listed to the desktop app's organisation picker (`GET /v1/tenants`).
    pub listed: bool,
    /// The tenant's own wording of its messages: language → message → template.
    pub templates: Templates,
}

/// Message templates: language → message name → text.
pub type Templates = BTreeMap<String, BTreeMap<String, String>>;

/// What a tenant says to its users: whom to contact when no flow fits (per language), the
/// language of its messages when the person's is not known, its own wording of them.
#[derive(Debug, Clone, Copy)]
pub struct TenantTexts<'a> {
    pub help: &'a BTreeMap<String, String>,
    pub language: Option<&'a str>,
    pub templates: &'a Templates,
}

fn decode(m: tenant::Model) -> Result<Tenant> {
    let corrupt = |what: &str, e: serde_json::Error| {
        StoreError::Corrupt(format!("tenant {} {what}: {e}", m.slug))
    };
    let lockout = serde_json::from_str(&m.lockout).map_err(|e| corrupt("lockout", e))?;
    let password_policy =
        serde_json::from_str(&m.password_policy).map_err(|e| corrupt("password policy", e))?;
    let limits: TenantLimits = serde_json::from_str(&m.limits).map_err(|e| corrupt("limits", e))?;
    let emergency_policy = serde_json::from_str(&m.emergency_policy)
        .map_err(|e| corrupt("emergency code policy", e))?;
    let enrolment = m
        .enrolment_profile
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| corrupt("enrolment profile", e))?;
    let help = m
        .help
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| corrupt("help", e))?
        .unwrap_or_default();
    let templates = m
        .templates
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| corrupt("templates", e))?
        .unwrap_or_default();
    Ok(Tenant {
        id: m.id,
        slug: m.slug,
        name: m.name,
        default_country: m.default_country,
        lockout,
        session_lifetime_seconds: m.session_lifetime_seconds,
        password_policy,
        emergency_policy,
        limits,
        card_master_key: m.card_master_key,
        enrolment,
        help,
        language: m.language,
        listed: m.listed,
        templates,
    })
}

/// Settings for a new tenant.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub default_country: Option<String>,
    pub lockout: LockoutPolicy,
    pub session_lifetime_seconds: i64,
}

pub async fn add(conn: &impl Conn, t: NewTenant, now: i64) -> Result<Tenant> {
    let lockout =
        serde_json::to_string(&t.lockout).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let m = tenant::ActiveModel {
        slug: Set(t.slug.clone()),
        name: Set(t.name),
        default_country: Set(t.default_country),
        lockout: Set(lockout),
        session_lifetime_seconds: Set(t.session_lifetime_seconds),
        created_at: Set(now),
        limits: Set(serde_json::to_string(&TenantLimits::default())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?),
        listed: Set(false),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(|e| duplicate_or(e, format!("tenant {:?}", t.slug)))?;
    decode(m)
}

pub async fn by_slug(conn: &impl Conn, slug: &str) -> Result<Option<Tenant>> {
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(conn)
        .await?
        .map(decode)
        .transpose()
}

pub async fn by_id(conn: &impl Conn, id: i64) -> Result<Option<Tenant>> {
    tenant::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(decode)
        .transpose()
}

pub async fn list(conn: &impl Conn) -> Result<Vec<Tenant>> {
    tenant::Entity::find()
        .order_by_asc(tenant::Column::Slug)
        .all(conn)
        .await?
        .into_iter()
        .map(decode)
        .collect()
}

/// Adds or replaces the tenant's flow with the same id.
pub async fn put_flow(
    conn: &impl Conn,
    tenant_id: i64,
    def: &FlowDefinition,
    source: &str,
    now: i64,
) -> Result<()> {
    let json = serde_json::to_string(def).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let existing = flow::Entity::find()
        .filter(flow::Column::TenantId.eq(tenant_id))
        .filter(flow::Column::FlowId.eq(&def.id))
        .one(conn)
        .await?;
    match existing {
        Some(m) => {
            let mut a: flow::ActiveModel = m.into();
            a.definition = Set(json);
            a.source = Set(source.to_owned());
            a.imported_at = Set(now);
            a.update(conn).await?;
        }
        None => {
            flow::ActiveModel {
                tenant_id: Set(tenant_id),
                flow_id: Set(def.id.clone()),
                definition: Set(json),
                source: Set(source.to_owned()),
                imported_at: Set(now),
                ..Default::default()
            }
            .insert(conn)
            .await
            .map_err(|e| duplicate_or(e, format!("flow {:?}", def.id)))?;
        }
    }
    Ok(())
}

/// The tenant's flows, ordered by id.
pub async fn flows(conn: &impl Conn, tenant_id: i64) -> Result<Vec<FlowDefinition>> {
    flow::Entity::find()
        .filter(flow::Column::TenantId.eq(tenant_id))
        .order_by_asc(flow::Column::FlowId)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| {
            serde_json::from_str(&m.definition)
                .map_err(|e| StoreError::Corrupt(format!("flow {}: {e}", m.flow_id)))
        })
        .collect()
}

/// Replaces the tenant's policies and what it says to its users.
pub async fn set_policies(
    conn: &impl Conn,
    tenant_id: i64,
    password: &PasswordPolicy,
    emergency: &EmergencyCodePolicy,
    limits: &TenantLimits,
    texts: TenantTexts<'_>,
) -> Result<()> {
    let enc = |v: serde_json::Result<String>| v.map_err(|e| StoreError::Corrupt(e.to_string()));
    let help = if texts.help.is_empty() {
        None
    } else {
        Some(enc(serde_json::to_string(texts.help))?)
    };
    let templates = if texts.templates.is_empty() {
        None
    } else {
        Some(enc(serde_json::to_string(texts.templates))?)
    };
    tenant::Entity::update_many()
        .col_expr(
            tenant::Column::PasswordPolicy,
            enc(serde_json::to_string(password))?.into(),
        )
        .col_expr(
            tenant::Column::EmergencyPolicy,
            enc(serde_json::to_string(emergency))?.into(),
        )
        .col_expr(
            tenant::Column::Limits,
            enc(serde_json::to_string(limits))?.into(),
        )
        .col_expr(tenant::Column::Help, help.into())
        .col_expr(
            tenant::Column::Language,
            texts.language.map(str::to_owned).into(),
        )
        .col_expr(tenant::Column::Templates, templates.into())
        .filter(tenant::Column::Id.eq(tenant_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Lists the tenant to the desktop app's organisation picker, or not.
pub async fn set_listed(conn: &impl Conn, tenant_id: i64, listed: bool) -> Result<()> {
    tenant::Entity::update_many()
        .col_expr(tenant::Column::Listed, listed.into())
        .filter(tenant::Column::Id.eq(tenant_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The tenants listed to the organisation picker, by name.
pub async fn listed(conn: &impl Conn) -> Result<Vec<(String, String)>> {
    Ok(tenant::Entity::find()
        .select_only()
        .column(tenant::Column::Slug)
        .column(tenant::Column::Name)
        .filter(tenant::Column::Listed.eq(true))
        .order_by_asc(tenant::Column::Name)
        .into_tuple()
        .all(conn)
        .await?)
}

/// Replaces the tenant's enrolment profile.
pub async fn set_enrolment_profile(
    conn: &impl Conn,
    tenant_id: i64,
    profile: &ea_core::enrolment::EnrolmentProfile,
) -> Result<()> {
    let json = serde_json::to_string(profile).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tenant::Entity::update_many()
        .col_expr(tenant::Column::EnrolmentProfile, Some(json).into())
        .filter(tenant::Column::Id.eq(tenant_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Stores the sealed master key for diversified card keys.
pub async fn set_card_master_key(conn: &impl Conn, tenant_id: i64, sealed: Vec<u8>) -> Result<()> {
    tenant::Entity::update_many()
        .col_expr(tenant::Column::CardMasterKey, Some(sealed).into())
        .filter(tenant::Column::Id.eq(tenant_id))
        .exec(conn)
        .await?;
    Ok(())
}
