//! SMS over HTTPS: a generic JSON webhook, or the Twilio Messages API.

use super::{DeliveryError, Outgoing, Transport};
use crate::config::SmsConfig;
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const TWILIO_API: &str = "https://api.twilio.com";

/// How long one request to the gateway may take.
pub const TIMEOUT: Duration = Duration::from_secs(15);

pub fn build(cfg: &SmsConfig) -> anyhow::Result<Arc<dyn Transport>> {
    build_at("dispatch.sms", cfg)
}

/// [`build`] for the gateway configured at `field` (`dispatch.tenants.acme.sms`), which its
/// errors name.
pub fn build_at(field: &str, cfg: &SmsConfig) -> anyhow::Result<Arc<dyn Transport>> {
    Ok(match cfg {
        SmsConfig::Webhook {
            url,
            authorization,
            ca_cert,
        } => Arc::new(Webhook {
            client: client(ca_cert.as_ref())?,
            url: https_url(field, url.expose(&format!("{field}.url"))?.expose_secret())?,
            authorization: authorization
                .as_ref()
                .map(|a| a.expose(&format!("{field}.authorization")))
                .transpose()?,
        }),
        SmsConfig::Twilio {
            account_sid,
            auth_token,
            from,
            base_url,
            ca_cert,
        } => {
            let base = https_url(field, base_url.as_deref().unwrap_or(TWILIO_API))?;
            Arc::new(Twilio {
                client: client(ca_cert.as_ref())?,
                url: format!(
                    "{}/2010-04-01/Accounts/{account_sid}/Messages.json",
                    base.trim_end_matches('/')
                ),
                account_sid: account_sid.clone(),
                auth_token: auth_token.expose(&format!("{field}.auth_token"))?,
                from: from.clone(),
            })
        }
    })
}

/// The gateway's URL, which must use HTTPS. Not repeated in the error: a webhook URL may carry
/// a credential.
fn https_url(field: &str, url: &str) -> anyhow::Result<String> {
    if !url.starts_with("https://") {
        anyhow::bail!("{field}: the SMS gateway URL must start with https://");
    }
    Ok(url.to_owned())
}

/// An HTTPS client; `ca_cert` adds a trusted root for private gateways.
pub fn client(ca_cert: Option<&PathBuf>) -> anyhow::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .https_only(true);
    if let Some(path) = ca_cert {
        let pem = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read CA certificate {}: {e}", path.display()))?;
        let cert = reqwest::Certificate::from_pem(&pem)
            .map_err(|e| anyhow::anyhow!("CA certificate {}: {e}", path.display()))?;
        b = b.add_root_certificate(cert);
    }
    Ok(b.build()?)
}

/// Classifies an HTTP outcome: 2xx ok, 429/5xx/network temporary, other 4xx permanent.
async fn outcome(res: Result<reqwest::Response, reqwest::Error>) -> Result<(), DeliveryError> {
    match res {
        Err(e) => Err(DeliveryError::Temporary(format!(
            "gateway unreachable: {}",
            without_url(&e)
        ))),
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => {
            let status = r.status();
            if status.as_u16() == 429 || status.is_server_error() {
                Err(DeliveryError::Temporary(format!(
                    "gateway answered {status}"
                )))
            } else {
                Err(DeliveryError::Permanent(format!(
                    "gateway refused the message: {status}"
                )))
            }
        }
    }
}

fn without_url(e: &reqwest::Error) -> String {
    // Gateway URLs may carry credentials in their query; keep them out of logs.
    let mut e = e.to_string();
    if let Some(i) = e.find(" for url") {
        e.truncate(i);
    }
    e
}

/// A webhook; its URL may carry a credential, so `Debug` shows only its host.
struct Webhook {
    client: reqwest::Client,
    url: String,
    authorization: Option<SecretString>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = reqwest::Url::parse(&self.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        f.debug_struct("Webhook")
            .field("host", &host)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Transport for Webhook {
    async fn probe(&self) -> bool {
        super::answers(&self.url).await
    }

    async fn send(&self, msg: &Outgoing<'_>) -> Result<(), DeliveryError> {
        let mut req = self
            .client
            .post(&self.url)
            .header("Idempotency-Key", format!("ea-outbox-{}", msg.id))
            .json(&serde_json::json!({ "to": msg.destination, "text": msg.text, "id": msg.id }));
        if let Some(a) = &self.authorization {
            let mut value =
                reqwest::header::HeaderValue::from_str(a.expose_secret()).map_err(|_| {
                    DeliveryError::Permanent(
                        "the gateway authorization is not a valid header value".into(),
                    )
                })?;
            value.set_sensitive(true);
            req = req.header(reqwest::header::AUTHORIZATION, value);
        }
        outcome(req.send().await).await
    }
}

struct Twilio {
    client: reqwest::Client,
    url: String,
    account_sid: String,
    auth_token: SecretString,
    from: String,
}

impl std::fmt::Debug for Twilio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Twilio")
            .field("account_sid", &self.account_sid)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Transport for Twilio {
    async fn probe(&self) -> bool {
        super::answers(&self.url).await
    }

    async fn send(&self, msg: &Outgoing<'_>) -> Result<(), DeliveryError> {
        let req = self
            .client
            .post(&self.url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .header(
                "I-Twilio-Idempotency-Token",
                format!("ea-outbox-{}", msg.id),
            )
            .form(&[
                ("To", msg.destination),
                ("From", self.from.as_str()),
                ("Body", msg.text),
            ]);
        outcome(req.send().await).await
    }
}
