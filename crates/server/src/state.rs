//! Shared server state handed to every request.

use crate::abuse::{Limiters, ServerLimits};
use crate::clock::Clock;
use crate::config::DispatchConfig;
use crate::directory::{BuiltinDirectory, Directories, Directory};
use crate::error::ServiceResult;
use crate::keys::Keys;
use crate::ldap::LdapDirectory;
use ea_core::answers::HashCost;
use ea_core::contact::ContactKind;
use ea_store::Store;
use ea_store::users::DecoyMaterial;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub store: Store,
    pub keys: Keys,
    pub clock: Arc<dyn Clock>,
    pub dispatch: DispatchConfig,
    /// Woken after a commit that queued a message, so delivery does not wait for the next poll.
    pub outbox_ready: Notify,
    /// Argon2id cost for answers hashed by this server.
    pub hash_cost: HashCost,
    /// Verified against for unknown users so that timing matches known ones.
    pub dummy_hash: String,
    /// Where accounts live: each tenant's LDAP directory, or the built-in one.
    pub directory: Arc<dyn Directory>,
    /// The tenants' LDAP directories, by tenant id.
    pub ldap: HashMap<String, Arc<LdapDirectory>>,
    /// SHA-256 (hex, lower case) of accepted client keys; empty means none is required.
    pub client_key_hashes: Vec<String>,
    /// Per-instance limits: requests per client source, Argon2id in flight, timeouts.
    pub limiters: Limiters,
    /// Requests for one account take turns on this instance.
    pub turns: crate::turns::Turns,
    /// What `/metrics` on the metrics address reports.
    pub metrics: crate::metrics::Metrics,
    /// The transports `/readyz` probes (none in tests that build the state alone).
    pub transports: Option<crate::dispatch::Transports>,
    /// Each tenant's decoy material as last read, and when (read again after a few minutes).
    decoys: std::sync::Mutex<std::collections::HashMap<i64, (i64, Arc<DecoyMaterial>)>>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// The state of a running server: the system clock and answer hashing at full cost.
    pub fn production(store: Store, keys: Keys, dispatch: DispatchConfig) -> AppState {
        AppState::new(
            store,
            keys,
            Arc::new(crate::clock::SystemClock),
            dispatch,
            HashCost::RECOMMENDED,
        )
    }

    pub fn new(
        store: Store,
        keys: Keys,
        clock: Arc<dyn Clock>,
        dispatch: DispatchConfig,
        hash_cost: HashCost,
    ) -> AppState {
        let dummy_hash = ea_core::answers::dummy_hash(hash_cost);
        let limiters = Limiters::new(ServerLimits::default());
        let directory = Arc::new(Directories::new(
            BuiltinDirectory::new(store.clone(), hash_cost, limiters.hashing.clone()),
            HashMap::new(),
        ));
        AppState(Arc::new(Inner {
            store,
            keys,
            clock,
            dispatch,
            outbox_ready: Notify::new(),
            hash_cost,
            dummy_hash,
            directory,
            client_key_hashes: Vec::new(),
            limiters,
            turns: Default::default(),
            metrics: Default::default(),
            transports: None,
            decoys: Default::default(),
            ldap: HashMap::new(),
        }))
    }

    /// The tenant's decoy material, read from the database at most every few minutes. Every
    /// session asks for it, known names and unknown alike.
    pub async fn decoy_material(&self, tenant_id: i64) -> ServiceResult<Arc<DecoyMaterial>> {
        const FRESH_SECONDS: i64 = 300;
        let now = self.now();
        if let Ok(cache) = self.decoys.lock()
            && let Some((at, m)) = cache.get(&tenant_id)
            && now - at < FRESH_SECONDS
        {
            return Ok(m.clone());
        }
        let m = Arc::new(ea_store::users::decoy_material(self.store.db(), tenant_id).await?);
        if let Ok(mut cache) = self.decoys.lock() {
            cache.insert(tenant_id, (now, m.clone()));
        }
        Ok(m)
    }

    /// Applies the server's `[limits]`. Call before the state is shared.
    /// The transports `/readyz` probes.
    pub fn with_transports(mut self, transports: crate::dispatch::Transports) -> AppState {
        if let Some(inner) = Arc::get_mut(&mut self.0) {
            inner.transports = Some(transports);
        }
        self
    }

    pub fn with_limits(mut self, config: ServerLimits) -> AppState {
        if let Some(inner) = Arc::get_mut(&mut self.0) {
            inner.limiters = Limiters::new(config);
            inner.directory = directories(inner);
        }
        self
    }

    /// The tenants whose accounts live in LDAP directories. Call before the state is shared
    /// (and after [`AppState::with_limits`], which keeps them).
    pub fn with_ldap(mut self, ldap: HashMap<String, Arc<LdapDirectory>>) -> AppState {
        if let Some(inner) = Arc::get_mut(&mut self.0) {
            inner.ldap = ldap;
            inner.directory = directories(inner);
        }
        self
    }

    /// The LDAP directory of the tenant `slug`, if it has one.
    pub fn ldap(&self, slug: &str) -> Option<&Arc<LdapDirectory>> {
        self.ldap.get(slug)
    }

    /// Requires one of these client keys (by SHA-256 hex) on the verification API. Call before
    /// the state is shared.
    pub fn with_client_keys(mut self, hashes: Vec<String>) -> AppState {
        if let Some(inner) = Arc::get_mut(&mut self.0) {
            inner.client_key_hashes = hashes
                .into_iter()
                .map(|h| h.trim().to_lowercase())
                .collect();
        }
        self
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Whether a code for `tenant` can be delivered over `kind` with the configured channels.
    pub fn can_deliver(&self, tenant: &str, kind: ContactKind) -> bool {
        if self
            .dispatch
            .dev_sink
            .as_ref()
            .is_some_and(|d| d.tenants.iter().any(|t| t == tenant))
        {
            return true;
        }
        let own = self.dispatch.tenants.get(tenant);
        match kind {
            ContactKind::Phone => {
                self.dispatch.sms.is_some() || own.is_some_and(|t| t.sms.is_some())
            }
            ContactKind::Email => {
                self.dispatch.email.is_some() || own.is_some_and(|t| t.email.is_some())
            }
        }
    }
}

/// Each tenant's directory: its LDAP directory, else the built-in one (with the state's hashing
/// limit and cost).
fn directories(inner: &Inner) -> Arc<dyn Directory> {
    Arc::new(Directories::new(
        BuiltinDirectory::new(
            inner.store.clone(),
            inner.hash_cost,
            inner.limiters.hashing.clone(),
        ),
        inner.ldap.clone(),
    ))
}
