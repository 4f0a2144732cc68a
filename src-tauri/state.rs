//! The app's state: settings, the keyring, and the server client built from them.

use crate::client::ServerClient;
use crate::commands::{SettingsInput, validate};
use crate::error::ErrorCode;
use crate::secrets::SecretStore;
use crate::settings::{self, Settings};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::RwLock;

const CLIENT_KEY: &str = "client-key";

#[derive(Debug)]
pub struct Desktop {
    config_dir: PathBuf,
    secrets: Arc<dyn SecretStore>,
    client: RwLock<Option<Arc<ServerClient>>>,
}

impl Desktop {
    pub fn new(config_dir: PathBuf, secrets: Arc<dyn SecretStore>) -> Desktop {
        Desktop {
            config_dir,
            secrets,
            client: RwLock::new(None),
        }
    }

    /// Keyring back ends may block (D-Bus), so they run off the async threads.
    async fn secret<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretStore) -> Result<T, String> + Send + 'static,
    ) -> Result<T, String> {
        let store = self.secrets.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| e.to_string())?
    }

    pub async fn settings(&self) -> Settings {
        let mut s = settings::load(&self.config_dir);
        s.has_client_key = matches!(self.secret(|st| st.get(CLIENT_KEY)).await, Ok(Some(_)));
        s
    }

    /// The client for the current settings, built on first use.
    pub async fn client(&self) -> Result<Arc<ServerClient>, ErrorCode> {
        if let Some(c) = self.client.read().await.as_ref() {
            return Ok(c.clone());
        }
        let s = self.settings().await;
        if !s.is_complete() {
            return Err(ErrorCode::NotConfigured {});
        }
        let c = Arc::new(self.build(&s).await?);
        *self.client.write().await = Some(c.clone());
        Ok(c)
    }

    /// A client for a server not saved yet (the settings screen asks it for its organisations),
    /// with the stored client key and the extra CA.
    pub async fn client_for(&self, server_url: &str) -> Result<ServerClient, ErrorCode> {
        let s = Settings {
            server_url: server_url.trim().to_owned(),
            tenant: String::new(),
            has_client_key: false,
            from_environment: false,
        };
        self.build(&s).await
    }

    async fn build(&self, s: &Settings) -> Result<ServerClient, ErrorCode> {
        // The client key is optional: without a keyring the app still works, without it.
        let key = match self.secret(|st| st.get(CLIENT_KEY)).await {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(error = %e, "keyring unavailable; continuing without a client key");
                None
            }
        };
        let ca = match std::env::var_os("EA_SERVER_CA") {
            Some(p) => Some(std::fs::read(&p).map_err(|_| ErrorCode::SettingsInvalid {
                field: "server_ca".into(),
            })?),
            None => None,
        };
        ServerClient::new(s, key, ca.as_deref())
    }

    pub async fn save_settings(&self, input: SettingsInput) -> Result<Settings, ErrorCode> {
        validate(&input)?;
        let keyring = |e: String| {
            tracing::warn!(error = %e, "keyring unavailable");
            ErrorCode::KeyringUnavailable {}
        };
        match input.client_key.as_deref().map(str::trim) {
            Some("") => self
                .secret(|st| st.delete(CLIENT_KEY))
                .await
                .map_err(keyring)?,
            Some(k) => {
                let k = zeroize::Zeroizing::new(k.to_owned());
                self.secret(move |st| st.set(CLIENT_KEY, &k))
                    .await
                    .map_err(keyring)?;
            }
            None => {}
        }
        let s = Settings {
            server_url: input.server_url.trim().to_owned(),
            tenant: input.tenant.trim().to_owned(),
            has_client_key: false,
            from_environment: false,
        };
        settings::save(&self.config_dir, &s)?;
        *self.client.write().await = None;
        Ok(self.settings().await)
    }
}
