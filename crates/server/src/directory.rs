//! The directory where accounts live. Actions change passwords and lockouts through this trait so
//! that other directories (LDAP, Active Directory) can be added beside the built-in one.

use crate::abuse::Hashing;
use ea_core::answers::HashCost;
use ea_store::tenants::Tenant;
use ea_store::users::UserRecord;
use ea_store::{Store, users};

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("the directory is unavailable: {0}")]
    Unavailable(String),
    #[error("the account is not in the directory")]
    NoAccount,
    /// The directory refused the new password, for these reasons (its own policy).
    #[error("the directory refused the password: {0:?}")]
    Refused(Vec<ea_api::PasswordViolation>),
    /// The account is disabled in the directory.
    #[error("the account is disabled in the directory")]
    Disabled,
}

#[async_trait::async_trait]
pub trait Directory: Send + Sync + std::fmt::Debug {
    /// Sets a new password (already checked against the tenant's policy).
    async fn set_password(
        &self,
        tenant: &Tenant,
        user: &UserRecord,
        password: &str,
    ) -> Result<(), DirectoryError>;
    /// Clears the account's lockout and failure counters.
    async fn unblock(&self, tenant: &Tenant, user: &UserRecord) -> Result<(), DirectoryError>;
}

/// Each tenant's directory: its LDAP directory where the configuration names one, else the
/// built-in one.
#[derive(Debug, Clone)]
pub struct Directories {
    builtin: BuiltinDirectory,
    ldap: std::collections::HashMap<String, std::sync::Arc<crate::ldap::LdapDirectory>>,
}

impl Directories {
    pub fn new(
        builtin: BuiltinDirectory,
        ldap: std::collections::HashMap<String, std::sync::Arc<crate::ldap::LdapDirectory>>,
    ) -> Directories {
        Directories { builtin, ldap }
    }

    fn pick(&self, tenant: &Tenant) -> &dyn Directory {
        match self.ldap.get(&tenant.slug) {
            Some(l) => l.as_ref(),
            None => &self.builtin,
        }
    }
}

#[async_trait::async_trait]
impl Directory for Directories {
    async fn set_password(
        &self,
        tenant: &Tenant,
        user: &UserRecord,
        password: &str,
    ) -> Result<(), DirectoryError> {
        self.pick(tenant).set_password(tenant, user, password).await
    }

    async fn unblock(&self, tenant: &Tenant, user: &UserRecord) -> Result<(), DirectoryError> {
        self.pick(tenant).unblock(tenant, user).await
    }
}

/// Accounts kept in this server's own database, passwords as Argon2id.
#[derive(Debug, Clone)]
pub struct BuiltinDirectory {
    store: Store,
    cost: HashCost,
    hashing: Hashing,
}

impl BuiltinDirectory {
    pub fn new(store: Store, cost: HashCost, hashing: Hashing) -> BuiltinDirectory {
        BuiltinDirectory {
            store,
            cost,
            hashing,
        }
    }
}

fn store_err(e: ea_store::StoreError) -> DirectoryError {
    match e {
        ea_store::StoreError::NotFound(_) => DirectoryError::NoAccount,
        other => DirectoryError::Unavailable(other.to_string()),
    }
}

#[async_trait::async_trait]
impl Directory for BuiltinDirectory {
    async fn set_password(
        &self,
        _tenant: &Tenant,
        user: &UserRecord,
        password: &str,
    ) -> Result<(), DirectoryError> {
        let pw = zeroize::Zeroizing::new(password.to_owned());
        let cost = self.cost;
        let phc = self
            .hashing
            .run(move || ea_core::password::hash(&pw, cost, &mut rand::rng()))
            .await
            .map_err(DirectoryError::Unavailable)?
            .ok_or_else(|| DirectoryError::Unavailable("password hashing failed".into()))?;
        users::set_password(self.store.db(), user.id, &phc, crate::admin::now())
            .await
            .map_err(store_err)
    }

    async fn unblock(&self, _tenant: &Tenant, user: &UserRecord) -> Result<(), DirectoryError> {
        users::set_blocked(self.store.db(), user.id, false)
            .await
            .map_err(store_err)
    }
}
