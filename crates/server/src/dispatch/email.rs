//! Email over SMTP with STARTTLS (lettre). Plain-text SMTP is not offered.

use super::{DeliveryError, Outgoing, Transport, message};
use crate::config::EmailConfig;
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

/// How long one SMTP exchange may take.
pub const TIMEOUT: Duration = Duration::from_secs(20);

pub fn build(cfg: &EmailConfig) -> anyhow::Result<Arc<dyn Transport>> {
    let mut tls = TlsParameters::builder(cfg.host.clone());
    if let Some(path) = &cfg.ca_cert {
        let pem = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read CA certificate {}: {e}", path.display()))?;
        tls = tls.add_root_certificate(
            Certificate::from_pem(&pem)
                .map_err(|e| anyhow::anyhow!("CA certificate {}: {e}", path.display()))?,
        );
    }
    let tls = tls
        .build_rustls()
        .map_err(|e| anyhow::anyhow!("SMTP TLS settings: {e}"))?;
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host)
        .port(cfg.port)
        .tls(Tls::Required(tls))
        .timeout(Some(TIMEOUT));
    if let (Some(u), Some(p)) = (&cfg.username, &cfg.password) {
        let p = p.expose("dispatch.email.password")?;
        b = b.credentials(Credentials::new(
            u.clone(),
            secrecy::ExposeSecret::expose_secret(&p).to_owned(),
        ));
    }
    let from: Mailbox = cfg
        .from
        .parse()
        .map_err(|e| anyhow::anyhow!("email.from {:?}: {e}", cfg.from))?;
    Ok(Arc::new(Smtp {
        transport: b.build(),
        from,
    }))
}

struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Transport for Smtp {
    async fn probe(&self) -> bool {
        // Connects, greets and says NOOP: nothing is sent.
        self.transport.test_connection().await.unwrap_or(false)
    }

    async fn send(&self, msg: &Outgoing<'_>) -> Result<(), DeliveryError> {
        let to: Mailbox = msg.destination.parse().map_err(|_| {
            DeliveryError::Permanent("the destination is not a valid address".into())
        })?;
        let (subject, body) = message::split_email(msg.text);
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<ea-outbox-{}@emergency-access>", msg.id)))
            // A MIME message (`MIME-Version`, `Content-Type: text/plain; charset=utf-8`, a
            // transfer encoding lettre picks for the text), so umlauts and accents arrive intact.
            .singlepart(SinglePart::plain(body.to_owned()))
            .map_err(|e| DeliveryError::Permanent(format!("cannot build the message: {e}")))?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(DeliveryError::Permanent(format!(
                "SMTP server refused: {e}"
            ))),
            Err(e) => Err(DeliveryError::Temporary(format!("SMTP: {e}"))),
        }
    }
}
