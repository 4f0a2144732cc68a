//! The development sink: appends each message to a file and logs it. Codes appear in clear here
//! by design, so it is only used for tenants explicitly listed (the demo tenant by default).

use super::{DeliveryError, Outgoing, Transport};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug)]
pub struct DevSink {
    path: PathBuf,
}

impl DevSink {
    pub fn new(path: PathBuf) -> DevSink {
        DevSink { path }
    }
}

#[async_trait::async_trait]
impl Transport for DevSink {
    async fn send(&self, msg: &Outgoing<'_>) -> Result<(), DeliveryError> {
        let line = format!(
            "--- message {} to {}\n{}\n",
            msg.id,
            msg.destination,
            msg.text.trim_end()
        );
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            f.write_all(line.as_bytes())
        })
        .await
        .map_err(|e| DeliveryError::Temporary(e.to_string()))?
        .map_err(|e| DeliveryError::Temporary(format!("dev sink {}: {e}", self.path.display())))?;
        tracing::info!(outbox_id = msg.id, to = %msg.destination, file = %self.path.display(), "dev sink: message written");
        Ok(())
    }
}
