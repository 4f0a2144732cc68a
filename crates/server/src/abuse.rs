//! Limits in front of the service: who a request comes from (its client source), how many
//! requests a source may make (in memory before the database, and on a shared PostgreSQL
//! database also counted there so the budget holds across instances), how many one
//! username may see (database counters, across instances), and how many Argon2id checks run at
//! once. SECURITY.md lists the defaults and the reasoning.

use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ea_api::ErrorCode;
use ea_store::counters::{self, Window};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// `[limits]` of the server configuration: what holds per instance, whatever the tenant.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerLimits {
    /// A header set by a reverse proxy in front of the server that carries the client's address
    /// (e.g. `X-Forwarded-For`; the last address in it is used). Only set this when every
    /// request passes through that proxy: otherwise a client can claim any address.
    pub trusted_proxy_header: Option<String>,
    /// Requests to the desktop API (starts, verifying requests, actions) per client source per
    /// minute.
    pub requests_per_source_per_minute: u32,
    /// Emergency-code validations per client source per minute.
    pub validations_per_source_per_minute: u32,
    /// Requests handled at once; more wait for a free slot (until the timeout).
    pub max_concurrent_requests: usize,
    /// How long a request may take, waiting included, before it is answered `busy`.
    pub request_timeout_seconds: u64,
    /// Argon2id computations at once (answers, passwords); 0 means one per CPU.
    pub hashes_in_flight: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            trusted_proxy_header: None,
            requests_per_source_per_minute: 120,
            validations_per_source_per_minute: 60,
            max_concurrent_requests: 512,
            request_timeout_seconds: 30,
            hashes_in_flight: 0,
        }
    }
}

impl ServerLimits {
    pub fn validate(&self) -> Result<(), String> {
        if self.requests_per_source_per_minute == 0 || self.validations_per_source_per_minute == 0 {
            return Err("limits: per-source limits must be at least 1 per minute".into());
        }
        if self.max_concurrent_requests == 0 || self.request_timeout_seconds == 0 {
            return Err(
                "limits: max_concurrent_requests and request_timeout_seconds must be at least 1"
                    .into(),
            );
        }
        if let Some(h) = &self.trusted_proxy_header
            && axum::http::HeaderName::try_from(h.as_str()).is_err()
        {
            return Err(format!(
                "limits: trusted_proxy_header {h:?} is not a header name"
            ));
        }
        Ok(())
    }

    fn hash_permits(&self) -> usize {
        if self.hashes_in_flight > 0 {
            return self.hashes_in_flight;
        }
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }
}

/// Where a request comes from: the peer's address, or the trusted proxy's word for it. IPv6
/// addresses count by their /64 network, which one client usually holds whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source(IpAddr);

impl Source {
    pub fn new(ip: IpAddr) -> Source {
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Source(IpAddr::V4(v4)),
                None => {
                    let s = v6.segments();
                    Source(IpAddr::V6(std::net::Ipv6Addr::new(
                        s[0], s[1], s[2], s[3], 0, 0, 0, 0,
                    )))
                }
            },
            v4 => Source(v4),
        }
    }

    /// For requests that reach the router without a peer address (in-process tests).
    pub fn unknown() -> Source {
        Source(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    /// A keyed hash of the source, as stored: addresses are personal data and not needed in clear.
    pub fn key(&self, state: &AppState) -> String {
        keyed(state, "source", &self.0.to_string())
    }
}

/// The source of `req`: with a trusted proxy, the last entry of its header (the one the proxy
/// added), when that entry is an address; otherwise the peer's. Entries before it are the
/// client's word and never used.
fn source_of(limits: &ServerLimits, req: &Request) -> Source {
    if let Some(name) = &limits.trusted_proxy_header
        && let Some(last) = req
            .headers()
            .get_all(name.as_str())
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
        && let Ok(ip) = last.trim().parse::<IpAddr>()
    {
        return Source::new(ip);
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(Source::unknown, |c| Source::new(c.0.ip()))
}

/// The per-instance limiters, keyed by source.
#[derive(Debug)]
pub struct Limiters {
    desktop: DefaultKeyedRateLimiter<Source>,
    validation: DefaultKeyedRateLimiter<Source>,
    pub hashing: Hashing,
    /// Slots for requests handled at once.
    requests: Arc<Semaphore>,
    pub config: ServerLimits,
}

/// A bounded number of Argon2id computations at once, on the blocking pool.
#[derive(Debug, Clone)]
pub struct Hashing {
    slots: Arc<Semaphore>,
    size: usize,
    /// Computations waiting for a slot now.
    waiting: Arc<std::sync::atomic::AtomicUsize>,
}

impl Hashing {
    pub fn new(permits: usize) -> Hashing {
        let size = permits.max(1);
        Hashing {
            slots: Arc::new(Semaphore::new(size)),
            size,
            waiting: Arc::default(),
        }
    }

    /// Runs `f` on the blocking pool once a slot is free; the others wait their turn.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        let permit = {
            // Counted while waiting, also when the request gives up and drops this future.
            let _waiting = Waiting::enter(&self.waiting);
            self.slots.clone().acquire_owned().await
        }
        .map_err(|e| e.to_string())?;
        // The slot is held by the computation itself: a request that times out and drops this
        // future cannot free it while the hash still runs.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await
        .map_err(|e| format!("hashing task failed: {e}"))
    }

    /// Free slots now.
    pub fn available(&self) -> usize {
        self.slots.available_permits()
    }

    /// Computations running now.
    pub fn busy(&self) -> usize {
        self.size.saturating_sub(self.available())
    }

    /// Computations waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// One computation counted as waiting, until dropped.
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(n: &'a std::sync::atomic::AtomicUsize) -> Waiting<'a> {
        n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Waiting(n)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl Limiters {
    pub fn new(config: ServerLimits) -> Limiters {
        Limiters {
            desktop: RateLimiter::keyed(per_minute(config.requests_per_source_per_minute)),
            validation: RateLimiter::keyed(per_minute(config.validations_per_source_per_minute)),
            hashing: Hashing::new(config.hash_permits()),
            requests: Arc::new(Semaphore::new(config.max_concurrent_requests.max(1))),
            config,
        }
    }

    /// Forgets sources whose budget is full again (bounds memory under address churn).
    pub fn shrink(&self) {
        self.desktop.retain_recent();
        self.validation.retain_recent();
    }
}

/// Which per-source budget a group of routes draws on.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    Desktop,
    Validation,
}

fn rate_limited(wait: Duration) -> ServiceError {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ErrorCode::RateLimited {
        retry_after: secs.max(1) as i64,
    }
    .into()
}

/// Middleware: finds the request's source, charges its budget, hands it on as an extension, and
/// waits for a slot among `max_concurrent_requests`.
pub async fn per_source(
    State((state, budget)): State<(AppState, Budget)>,
    mut req: Request,
    next: Next,
) -> Response {
    let source = source_of(&state.limiters.config, &req);
    let limiter = match budget {
        Budget::Desktop => &state.limiters.desktop,
        Budget::Validation => &state.limiters.validation,
    };
    if let Err(not_until) = limiter.check_key(&source) {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        return rate_limited(wait).into_response();
    }
    // A slot among `max_concurrent_requests` only for requests within their source's budget.
    let _slot = state.limiters.requests.clone().acquire_owned().await;
    req.extensions_mut().insert(source);
    next.run(req).await
}

/// Middleware, after [`per_source`] and the client key: on a database several instances share,
/// the source's budget is also counted there, so that it holds across them. The in-memory check
/// before keeps a flood from one source from reaching the database, and requests without the
/// client key (where one is required) never do.
pub async fn shared_budget(
    State((state, budget)): State<(AppState, Budget)>,
    req: Request,
    next: Next,
) -> Response {
    let source = req.extensions().get::<Source>().cloned();
    if let (true, Some(source)) = (state.store.shared(), source) {
        let (window, limit) = match budget {
            Budget::Desktop => (
                SOURCE_DESKTOP,
                state.limiters.config.requests_per_source_per_minute,
            ),
            Budget::Validation => (
                SOURCE_VALIDATION,
                state.limiters.config.validations_per_source_per_minute,
            ),
        };
        let budgets = [(source.key(&state), u64::from(limit))];
        match reserve(&state, window, &budgets, state.now()).await {
            Ok(None) => {}
            Ok(Some(wait)) => {
                return rate_limited(Duration::from_secs(wait.max(1) as u64)).into_response();
            }
            Err(e) => return e.into_response(),
        }
    }
    next.run(req).await
}

/// Middleware: every request is answered within the timeout, its wait for a slot (taken in
/// [`per_source`], at most `max_concurrent_requests` at once) and its body included, or gets
/// `busy`.
pub async fn deadline(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = Duration::from_secs(state.limiters.config.request_timeout_seconds);
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(seconds = limit.as_secs(), "request timed out");
            // Answered out here, past the metrics' own layer: counted here.
            state
                .metrics
                .refusals
                .get_or_create(&crate::metrics::CodeLabels { code: "busy" })
                .inc();
            let mut res = ServiceError::from(ErrorCode::Busy {}).into_response();
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
            res
        }
    }
}

/// Counts one request for `username` on a cross-instance counter and refuses it when the count
/// is over `limit` in the window. Unknown names are counted the same way. Requests from addresses
/// familiar to the user have a counter of their own, so strangers using up a name's budget do
/// not keep the user out at their own machine.
pub async fn charge_user(
    state: &AppState,
    window: Window,
    tenant_id: i64,
    username: &str,
    familiar: bool,
    limit: u32,
) -> ServiceResult<()> {
    let mut key = user_key(tenant_id, username);
    if familiar {
        key.push_str(":familiar");
    }
    let budget = [(key, u64::from(limit))];
    match reserve(state, window, &budget, state.now()).await? {
        Some(retry_after) => Err(ErrorCode::RateLimited { retry_after }.into()),
        None => Ok(()),
    }
}

/// Counts one hit on each `(key, limit)` budget in the window, narrowest first; `Some(seconds)`
/// when one is over its limit. The hits of a refused request are taken back (so waiting is
/// enough), and a budget over its limit stops the count there, so a locked-out client's requests
/// do not weigh on the wider budgets after it.
pub async fn reserve(
    state: &AppState,
    w: Window,
    budgets: &[(String, u64)],
    now: i64,
) -> ServiceResult<Option<i64>> {
    let db = state.store.db();
    for (i, (key, limit)) in budgets.iter().enumerate() {
        let c = counters::hit(db, w, key, now).await?;
        if c.count > *limit {
            release(state, w, &budgets[..=i], now).await?;
            return Ok(Some(c.retry_after(now)));
        }
    }
    Ok(None)
}

/// Takes back one hit on each budget (a reservation that was not used).
pub async fn release(
    state: &AppState,
    w: Window,
    budgets: &[(String, u64)],
    now: i64,
) -> ServiceResult<()> {
    for (key, _) in budgets {
        counters::unhit(state.store.db(), w, key, now).await?;
    }
    Ok(())
}

/// A keyed hash of a value a counter is keyed by (a client identifier), under `purpose`.
pub fn keyed(state: &AppState, purpose: &str, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(state.keys.code_key.as_ref());
    h.update(purpose.as_bytes());
    h.update(b"\0");
    h.update(value.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// The counter key for a user.
pub fn user_key(tenant_id: i64, username: &str) -> String {
    let mut h = Sha256::new();
    h.update(tenant_id.to_be_bytes());
    h.update(username.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// Desktop-API requests per client source (counted in the database only when it is shared).
pub const SOURCE_DESKTOP: Window = Window {
    scope: "desktop_source",
    seconds: 60,
};
/// Emergency-code validations per client source (likewise).
pub const SOURCE_VALIDATION: Window = Window {
    scope: "validations_source",
    seconds: 60,
};
/// Sessions started per username.
pub const STARTS: Window = Window {
    scope: "starts_user",
    seconds: 3600,
};
/// Codes sent during enrolments per user, to any destination (also to contacts never confirmed).
pub const ENROL_SENDS: Window = Window {
    scope: "enrol_sends_user",
    seconds: 3600,
};
/// Verifying requests per username.
pub const VERIFYING: Window = Window {
    scope: "verifying_user",
    seconds: 3600,
};
/// Emergency-code validations per username.
pub const VALIDATIONS_USER: Window = Window {
    scope: "validations_user",
    seconds: 3600,
};
/// Emergency-code validations per relying party.
pub const VALIDATIONS_PARTY: Window = Window {
    scope: "validations_rp",
    seconds: 60,
};
