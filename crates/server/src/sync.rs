//! Tenants' LDAP directories: made from the configuration, and their users and contacts read
//! into our store (`ea-server user sync`, and every `sync_interval_seconds` while serving).
//! Contacts are normalised as imports are; users the directory no longer has are disabled and
//! their emergency codes revoked. Questions and authenticator secrets stay ours.

use crate::config::LdapConfig;
use crate::ldap::{Account, LdapDirectory};
use ea_core::contact::{normalize_email, normalize_phone};
use ea_store::tenants::Tenant;
use ea_store::users::{DirectoryUser, Synced};
use ea_store::{Store, audit, emergency, users};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// The LDAP directory of each tenant the configuration names; a tenant that does not exist, or a
/// directory configured wrongly, is an error naming it.
pub async fn directories(
    store: &Store,
    configs: &BTreeMap<String, LdapConfig>,
) -> anyhow::Result<HashMap<String, Arc<LdapDirectory>>> {
    let mut out = HashMap::new();
    for (slug, cfg) in configs {
        if ea_store::tenants::by_slug(store.db(), slug)
            .await?
            .is_none()
        {
            anyhow::bail!("directories.{slug}: there is no tenant {slug:?}");
        }
        out.insert(
            slug.clone(),
            Arc::new(LdapDirectory::new(slug, cfg.clone())?),
        );
    }
    Ok(out)
}

/// What a sync changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub disabled: Vec<String>,
    pub unchanged: usize,
    /// Contact values that are not a phone number or an address: `(username, value's attribute
    /// kind, why)`, left out.
    pub skipped: Vec<(String, &'static str, String)>,
}

impl std::fmt::Display for SyncReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |v: &[String]| {
            if v.is_empty() {
                String::new()
            } else {
                format!(": {}", v.join(", "))
            }
        };
        writeln!(f, "added {}{}", self.added.len(), list(&self.added))?;
        writeln!(f, "changed {}{}", self.changed.len(), list(&self.changed))?;
        writeln!(
            f,
            "disabled {}{}",
            self.disabled.len(),
            list(&self.disabled)
        )?;
        writeln!(f, "unchanged {}", self.unchanged)?;
        for (user, kind, why) in &self.skipped {
            writeln!(f, "skipped a {kind} of {user}: {why}")?;
        }
        Ok(())
    }
}

/// The directory's view of one account, contacts normalised for the tenant.
fn directory_user(tenant: &Tenant, a: &Account, report: &mut SyncReport) -> DirectoryUser {
    let username = users::normalize_username(&a.username);
    let country = tenant.default_country.as_deref();
    let mut phones = Vec::new();
    for p in &a.phones {
        match normalize_phone(p, country) {
            Ok(n) if !phones.contains(&n) => phones.push(n),
            Ok(_) => {}
            Err(e) => report
                .skipped
                .push((username.clone(), "phone", e.to_string())),
        }
    }
    let mut emails = Vec::new();
    for e in &a.emails {
        match normalize_email(e) {
            Ok(n) if !emails.contains(&n) => emails.push(n),
            Ok(_) => {}
            Err(e) => report
                .skipped
                .push((username.clone(), "e-mail", e.to_string())),
        }
    }
    DirectoryUser {
        display_name: a.display_name.clone().unwrap_or_else(|| username.clone()),
        username,
        phones,
        emails,
        disabled: a.disabled,
    }
}

/// Reads the tenant's users from `directory` into the store, in one transaction; safe to run
/// again (a second run changes nothing). Audited per change.
pub async fn sync_tenant(
    store: &Store,
    tenant: &Tenant,
    directory: &LdapDirectory,
    now: i64,
) -> anyhow::Result<SyncReport> {
    let accounts = directory.accounts().await?;
    let mut report = SyncReport::default();
    let wanted: Vec<DirectoryUser> = accounts
        .iter()
        .map(|a| directory_user(tenant, a, &mut report))
        .collect();
    let names: HashSet<&str> = wanted.iter().map(|u| u.username.as_str()).collect();
    let txn = store.begin().await?;
    for u in &wanted {
        let what = users::sync_from_directory(&txn, tenant.id, u, now).await?;
        let event = match what {
            Synced::Added => {
                report.added.push(u.username.clone());
                "user_synced_added"
            }
            Synced::Changed => {
                report.changed.push(u.username.clone());
                "user_synced_changed"
            }
            Synced::Unchanged => {
                report.unchanged += 1;
                continue;
            }
        };
        let detail = serde_json::json!({
            "phones": u.phones.len(), "emails": u.emails.len(), "disabled": u.disabled
        });
        audit::record(&txn, event_for(tenant, event, &u.username, detail), now).await?;
    }
    for (username, disabled) in users::list(&txn, tenant.id).await? {
        if disabled || names.contains(username.as_str()) {
            continue;
        }
        users::set_disabled(&txn, tenant.id, &username, true).await?;
        let revoked = match users::find(&txn, tenant.id, &username).await? {
            Some(u) => emergency::revoke_for_user(&txn, tenant.id, u.id, now).await?,
            None => 0,
        };
        let detail = serde_json::json!({ "emergency_codes_revoked": revoked });
        let ev = event_for(tenant, "user_synced_disabled", &username, detail);
        audit::record(&txn, ev, now).await?;
        report.disabled.push(username);
    }
    txn.commit().await?;
    Ok(report)
}

fn event_for(
    tenant: &Tenant,
    event: &str,
    username: &str,
    detail: serde_json::Value,
) -> audit::AuditEvent {
    audit::AuditEvent {
        tenant_id: Some(tenant.id),
        event: event.to_owned(),
        username: Some(username.to_owned()),
        session_ref: None,
        detail,
    }
}

/// Syncs each tenant that asks for it, every `sync_interval_seconds`, while the server runs.
pub async fn every_interval(state: crate::state::AppState, slug: String, seconds: u64) {
    let Some(directory) = state.ldap(&slug).cloned() else {
        return;
    };
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(seconds.max(60))).await;
        let tenant = match ea_store::tenants::by_slug(state.store.db(), &slug).await {
            Ok(Some(t)) => t,
            _ => continue,
        };
        match sync_tenant(&state.store, &tenant, &directory, state.now()).await {
            Ok(r) => tracing::info!(
                tenant = %slug,
                added = r.added.len(),
                changed = r.changed.len(),
                disabled = r.disabled.len(),
                skipped = r.skipped.len(),
                "users synced from the directory"
            ),
            Err(e) => tracing::warn!(tenant = %slug, error = %e, "user sync failed"),
        }
    }
}
