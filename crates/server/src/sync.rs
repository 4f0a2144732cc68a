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
    /// Usernames that now belong to another directory entry: the former owner's questions and
    /// authenticator secret were removed.
    pub replaced: Vec<String>,
    pub disabled: Vec<String>,
    pub unchanged: usize,
    /// Entries left out, and why (no or several usernames, no identifier, a name that is not
    /// a username, one name for two entries).
    pub refused: Vec<String>,
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
            "replaced {}{}",
            self.replaced.len(),
            list(&self.replaced)
        )?;
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
        for why in &self.refused {
            writeln!(f, "left out an entry: {why}")?;
        }
        Ok(())
    }
}

/// Shown in reports: printable characters only, at most 80.
fn shown(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(80).collect()
}

/// The directory's view of one account, contacts normalised for the tenant; `None` (reported)
/// for an entry that cannot be a user.
fn directory_user(tenant: &Tenant, a: &Account, report: &mut SyncReport) -> Option<DirectoryUser> {
    let username = users::normalize_username(&a.username);
    if username.is_empty()
        || username.chars().count() > ea_api::limits::USERNAME
        || username.chars().any(char::is_control)
    {
        report.refused.push(format!(
            "{}: no single username of 1 to 256 printable characters",
            shown(&a.dn)
        ));
        return None;
    }
    if a.id.is_empty() {
        report.refused.push(format!(
            "{}: no entryUUID or objectGUID (may the service account read it?)",
            shown(&a.dn)
        ));
        return None;
    }
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
    Some(DirectoryUser {
        directory_id: a.id.clone(),
        display_name: a.display_name.clone().unwrap_or_else(|| username.clone()),
        username,
        phones,
        emails,
        disabled: a.disabled,
    })
}

/// Above this many (and a fifth of the enabled users), a sync that would disable users stops
/// and asks for `--force`: an answer that lacks most accounts is more likely a wrong filter or
/// a changed permission than people leaving.
const DISABLE_WITHOUT_FORCE: usize = 5;

/// Reads the tenant's users from `directory` into the store, in one transaction; safe to run
/// again (a second run changes nothing). Audited per change. Refuses, changing nothing, when the
/// directory gives no accounts while the tenant has enabled users, or when it would disable more
/// than a few and a fifth of them, unless `force`.
pub async fn sync_tenant(
    store: &Store,
    tenant: &Tenant,
    directory: &LdapDirectory,
    now: i64,
    force: bool,
) -> anyhow::Result<SyncReport> {
    let accounts = directory.accounts().await?;
    let mut report = SyncReport::default();
    let mut wanted: Vec<DirectoryUser> = accounts
        .iter()
        .filter_map(|a| directory_user(tenant, a, &mut report))
        .collect();
    // One name for two entries: neither is taken, as neither can be told from the other.
    let mut seen = HashMap::<String, usize>::new();
    for u in &wanted {
        *seen.entry(u.username.clone()).or_default() += 1;
    }
    wanted.retain(|u| {
        let twice = seen[&u.username] > 1;
        if twice {
            report.refused.push(format!(
                "{}: the username of more than one entry",
                shown(&u.username)
            ));
        }
        !twice
    });
    // Every name the directory gave counts as present, taken or not: an entry left out is
    // reported, never a reason to disable the user it may be.
    let names: HashSet<String> = accounts
        .iter()
        .flat_map(|a| a.usernames.iter().map(|n| users::normalize_username(n)))
        .collect();
    let current = users::list(store.db(), tenant.id).await?;
    let enabled = current.iter().filter(|(_, _, off)| !off).count();
    let leaving: Vec<&(i64, String, bool)> = current
        .iter()
        .filter(|(_, name, off)| !off && !names.contains(name))
        .collect();
    if !force {
        if accounts.is_empty() && enabled > 0 {
            anyhow::bail!(
                "the directory gave no accounts for {} (check sync_filter and what the service \
                 account may read); nothing was changed",
                tenant.slug
            );
        }
        if leaving.len() > DISABLE_WITHOUT_FORCE.max(enabled / 5) {
            anyhow::bail!(
                "the sync would disable {} of {enabled} users of {}; nothing was changed. If that \
                 is right, run `ea-server user sync --tenant {} --force`",
                leaving.len(),
                tenant.slug,
                tenant.slug
            );
        }
    }
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
            Synced::Replaced => {
                report.replaced.push(u.username.clone());
                "user_synced_replaced"
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
    for (id, username, _) in leaving {
        users::set_directory_disabled(&txn, *id).await?;
        let revoked = emergency::revoke_for_user(&txn, tenant.id, *id, now).await?;
        let detail = serde_json::json!({ "emergency_codes_revoked": revoked });
        let ev = event_for(tenant, "user_synced_disabled", username, detail);
        audit::record(&txn, ev, now).await?;
        report.disabled.push(username.clone());
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
        match sync_tenant(&state.store, &tenant, &directory, state.now(), false).await {
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
