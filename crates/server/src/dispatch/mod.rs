//! Delivery of queued messages. Handlers never send anything themselves: they write an outbox row
//! in the transaction that stores the code, and the [`worker`] delivers it through a [`Transport`]
//! with bounded retries and growing backoff. A crash between commit and send only delays the
//! message: the row is still pending after a restart.

pub mod dev;
pub mod email;
pub mod message;
pub mod sms;
pub mod text;

use crate::config::DispatchConfig;
use crate::state::AppState;
use ea_store::{audit, outbox, tenants};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A message ready to go out (already unsealed).
#[derive(Debug)]
pub struct Outgoing<'a> {
    /// The outbox row id: gateways get it as an idempotency key.
    pub id: i64,
    pub destination: &'a str,
    pub text: &'a str,
}

/// Why a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again later (network, 5xx, 429).
    #[error("temporary: {0}")]
    Temporary(String),
    /// Will not work by retrying (bad address, rejected credentials, no channel).
    #[error("permanent: {0}")]
    Permanent(String),
}

/// One way of delivering a message.
#[async_trait::async_trait]
pub trait Transport: Send + Sync + std::fmt::Debug {
    async fn send(&self, msg: &Outgoing<'_>) -> Result<(), DeliveryError>;

    /// Whether the other side answers now, without sending anything (`/readyz`).
    async fn probe(&self) -> bool {
        true
    }
}

/// Whether something answers TCP at `url`'s host and port within a few seconds.
pub async fn answers(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    let (Some(host), Some(port)) = (u.host_str(), u.port_or_known_default()) else {
        return false;
    };
    matches!(
        tokio::time::timeout(
            Duration::from_secs(3),
            tokio::net::TcpStream::connect((host, port))
        )
        .await,
        Ok(Ok(_))
    )
}

/// The configured transports, chosen per tenant and channel.
#[derive(Debug, Clone)]
pub struct Transports {
    sms: Option<Arc<dyn Transport>>,
    email: Option<Arc<dyn Transport>>,
    dev: Option<(Arc<dyn Transport>, Vec<String>)>,
    /// Tenants' own SMS gateways and SMTP relays, by tenant id.
    tenants: HashMap<String, OwnTransports>,
    /// The last probe and when it was made: `/readyz` asks the relays at most every 30 s (a
    /// probe logs in to an SMTP relay; nobody can make the server do that at will).
    probed: Arc<std::sync::Mutex<Option<(std::time::Instant, Probe)>>>,
}

/// Whether the SMS gateway and the SMTP relay answered (`None` where not configured).
pub type Probe = (Option<bool>, Option<bool>);

/// How long a probe's answer is reused.
const PROBE_FRESH: Duration = Duration::from_secs(30);

/// A tenant's own SMS gateway and SMTP relay, where it has them.
type OwnTransports = (Option<Arc<dyn Transport>>, Option<Arc<dyn Transport>>);

impl Transports {
    pub fn from_config(cfg: &DispatchConfig) -> anyhow::Result<Transports> {
        Ok(Transports {
            sms: cfg.sms.as_ref().map(sms::build).transpose()?,
            email: cfg.email.as_ref().map(email::build).transpose()?,
            dev: cfg.dev_sink.as_ref().map(|d| {
                (
                    Arc::new(dev::DevSink::new(d.path.clone())) as Arc<dyn Transport>,
                    d.tenants.clone(),
                )
            }),
            tenants: cfg
                .tenants
                .iter()
                .map(|(t, d)| {
                    let field = format!("dispatch.tenants.{t}.sms");
                    let sms = d
                        .sms
                        .as_ref()
                        .map(|c| sms::build_at(&field, c))
                        .transpose()?;
                    let email = d.email.as_ref().map(email::build).transpose()?;
                    Ok((t.clone(), (sms, email)))
                })
                .collect::<anyhow::Result<_>>()?,
            probed: Arc::default(),
        })
    }

    /// Transports given directly (tests).
    pub fn new(sms: Option<Arc<dyn Transport>>, email: Option<Arc<dyn Transport>>) -> Transports {
        Transports {
            sms,
            email,
            dev: None,
            tenants: HashMap::new(),
            probed: Arc::default(),
        }
    }

    /// Whether the server's SMS gateway and SMTP relay answer (`None` where not configured),
    /// asked at most every 30 s. A tenant's own transport is not asked: one tenant's relay down
    /// must not take the server out of its load balancer (its messages wait in the outbox).
    pub async fn probe(&self) -> Probe {
        if let Ok(last) = self.probed.lock()
            && let Some((at, p)) = *last
            && at.elapsed() < PROBE_FRESH
        {
            return p;
        }
        async fn ask(t: Option<&Arc<dyn Transport>>) -> Option<bool> {
            match t {
                Some(t) => Some(t.probe().await),
                None => None,
            }
        }
        let p = tokio::join!(ask(self.sms.as_ref()), ask(self.email.as_ref()));
        if let Ok(mut last) = self.probed.lock() {
            *last = Some((std::time::Instant::now(), p));
        }
        p
    }

    fn pick(&self, tenant: &str, channel: &str) -> Option<&Arc<dyn Transport>> {
        if let Some((dev, tenants)) = &self.dev
            && tenants.iter().any(|t| t == tenant)
        {
            return Some(dev);
        }
        let own = self.tenants.get(tenant);
        match channel {
            "sms" => own.and_then(|t| t.0.as_ref()).or(self.sms.as_ref()),
            "email" => own.and_then(|t| t.1.as_ref()).or(self.email.as_ref()),
            _ => None,
        }
    }
}

/// Seconds to wait before attempt `n + 1` (2, 4, 8 … at most 5 minutes).
pub fn backoff(attempts: u32) -> i64 {
    (1i64 << attempts.clamp(1, 8)).min(300)
}

/// Delivers due messages once; returns how many were handled.
pub async fn deliver_due(
    state: &AppState,
    transports: &Transports,
    max_attempts: u32,
    slugs: &mut HashMap<i64, String>,
) -> anyhow::Result<usize> {
    let now = state.now();
    let lease = state.dispatch.lease_seconds.max(1);
    let rows = outbox::claim_due(state.store.db(), now, lease, 20).await?;
    let n = rows.len();
    for row in rows {
        if let std::collections::hash_map::Entry::Vacant(e) = slugs.entry(row.tenant_id) {
            let slug = tenants::by_id(state.store.db(), row.tenant_id)
                .await?
                .map(|t| t.slug)
                .unwrap_or_default();
            e.insert(slug);
        }
        let tenant = slugs
            .get(&row.tenant_id)
            .map(String::as_str)
            .unwrap_or_default();
        let attempts = row.attempts + 1;
        let result = match state
            .keys
            .kek
            .open(&message::aad(&row.destination), &row.sealed_body)
        {
            Err(_) => Err(DeliveryError::Permanent(
                "message cannot be unsealed with the current key".into(),
            )),
            Ok(plain) => match (
                std::str::from_utf8(&plain),
                transports.pick(tenant, &row.channel),
            ) {
                (Err(_), _) => Err(DeliveryError::Permanent("message is not text".into())),
                (_, None) => Err(DeliveryError::Permanent(format!(
                    "no {} channel configured for tenant {tenant}",
                    row.channel
                ))),
                (Ok(text), Some(t)) => {
                    crate::faults::point("before_send").await;
                    let sent = t
                        .send(&Outgoing {
                            id: row.id,
                            destination: &row.destination,
                            text,
                        })
                        .await;
                    crate::faults::point("after_send").await;
                    sent
                }
            },
        };
        let now = state.now();
        match result {
            Ok(()) => {
                outbox::mark_delivered(state.store.db(), row.id, attempts, now).await?;
                tracing::info!(outbox_id = row.id, channel = %row.channel, attempts, "message delivered");
                state.metrics.send(&row.channel, "delivered");
            }
            Err(e) => {
                let give_up =
                    matches!(e, DeliveryError::Permanent(_)) || attempts as u32 >= max_attempts;
                let retry_at = (!give_up).then(|| now + backoff(attempts as u32));
                outbox::mark_attempt_failed(
                    state.store.db(),
                    row.id,
                    attempts,
                    retry_at,
                    &e.to_string(),
                )
                .await?;
                tracing::warn!(outbox_id = row.id, channel = %row.channel, attempts, give_up, error = %e, "delivery failed");
                state
                    .metrics
                    .send(&row.channel, if give_up { "failed" } else { "retrying" });
                if give_up {
                    let ev = audit::AuditEvent {
                        tenant_id: Some(row.tenant_id),
                        event: "delivery_failed".into(),
                        username: None,
                        session_ref: None,
                        detail: serde_json::json!({ "outbox_id": row.id, "channel": row.channel, "attempts": attempts }),
                    };
                    audit::record(state.store.db(), ev, now).await?;
                }
            }
        }
    }
    Ok(n)
}

/// Runs forever: delivers when woken by a commit, and polls for retries and leftovers.
pub async fn worker(
    state: AppState,
    transports: Transports,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let max_attempts = state.dispatch.max_attempts.max(1);
    let mut slugs = HashMap::new();
    // Stops between batches when told to (shutdown): a message being sent is finished first.
    while !*stop.borrow() {
        match deliver_due(&state, &transports, max_attempts, &mut slugs).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "outbox worker"),
        }
        tokio::select! {
            _ = tokio::time::timeout(Duration::from_secs(1), state.outbox_ready.notified()) => {}
            changed = stop.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// A tenant's own gateway carries its messages; the others use the server's.
    #[test]
    fn a_tenants_own_transport_carries_its_messages() {
        crate::serve::install_crypto();
        let cfg: crate::config::ServerConfig = toml::from_str(
            "[dispatch.sms]\nkind = \"webhook\"\nurl = \"https://gw.example.org/send\"\n\
             [dispatch.tenants.acme.sms]\nkind = \"webhook\"\nurl = \"https://sms.acme.example/send\"\n",
        )
        .expect("config");
        let t = super::Transports::from_config(&cfg.dispatch).expect("transports");
        let host = |tenant: &str, channel: &str| format!("{:?}", t.pick(tenant, channel));
        assert!(
            host("acme", "sms").contains("sms.acme.example"),
            "{}",
            host("acme", "sms")
        );
        assert!(
            host("other", "sms").contains("gw.example.org"),
            "{}",
            host("other", "sms")
        );
        assert_eq!(host("acme", "email"), "None", "no relay for anyone");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let waits: Vec<i64> = (1..=10).map(super::backoff).collect();
        assert_eq!(
            waits,
            vec![2, 4, 8, 16, 32, 64, 128, 256, 256, 256]
                .into_iter()
                .map(|w: i64| w.min(300))
                .collect::<Vec<_>>()
        );
    }
}
