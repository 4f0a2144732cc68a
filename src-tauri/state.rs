//! The app's state: settings, the keyring, and the server client built from them.

use crate::client::ServerClient;
use crate::commands::{SettingsInput, validate};
use crate::error::ErrorCode;
use crate::secrets::SecretStore;
use crate::settings::{self, Settings};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::RwLock;
use zeroize::Zeroizing;

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

    /// The settings, without asking the keyring: whether a client key is stored is kept in the
    /// settings file when it changes. The first screen never waits for the keyring, a D-Bus
    /// call that may have to start the keyring's daemon first (a second on a cold start).
    pub async fn settings(&self) -> Settings {
        let mut s = settings::load(&self.config_dir);
        s.has_client_key = s.has_client_key || s.locked.iter().any(|f| f == "client_key");
        s
    }

    /// Records in the settings file whether the keyring holds a client key, when the file says
    /// otherwise (a file from before the flag was kept, or a key removed from the keyring).
    fn note_client_key(&self, stored: bool) {
        let mut s = settings::load(&self.config_dir);
        if s.has_client_key != stored
            && s.is_complete()
            && !s.from_environment
            && s.locked.is_empty()
        {
            s.has_client_key = stored;
            if let Err(e) = settings::save(&self.config_dir, &s) {
                tracing::warn!(error = ?e, "the settings file could not be updated");
            }
        }
    }

    /// Whether a verification or an enrolment is going on with the current client.
    pub async fn in_recovery(&self) -> bool {
        match self.client.read().await.as_ref() {
            Some(c) => c.in_recovery().await,
            None => false,
        }
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
        let c = Arc::new(self.build(&s, true).await?);
        *self.client.write().await = Some(c.clone());
        Ok(c)
    }

    /// A client for a server not saved yet (the settings screen asks it for its organisations),
    /// with the extra CA. A client key typed beside the address is meant for it and goes along
    /// (a server that requires one lists nothing without it). The stored client key goes along
    /// only to the saved server's origin: an address typed in, perhaps a look-alike, never
    /// receives it.
    pub async fn client_for(
        &self,
        server_url: &str,
        typed_key: Option<Zeroizing<String>>,
    ) -> Result<ServerClient, ErrorCode> {
        let s = Settings {
            server_url: server_url.trim().to_owned(),
            ..Settings::default()
        };
        let typed = crate::settings::check_url(&s.server_url)?;
        if let Some(key) = typed_key.filter(|k| !k.trim().is_empty()) {
            return Self::client_with(&s, Some(Zeroizing::new(key.trim().to_owned())));
        }
        let saved = crate::settings::check_url(&self.settings().await.server_url).ok();
        let same_origin = saved.is_some_and(|u| u.origin() == typed.origin());
        self.build(&s, same_origin).await
    }

    async fn build(&self, s: &Settings, with_key: bool) -> Result<ServerClient, ErrorCode> {
        // The client key is optional: the machine's policy may set it; else the keyring's, and
        // without a keyring the app still works, without it.
        let managed = crate::managed::load()
            .ok()
            .flatten()
            .and_then(|m| m.client_key);
        let key = match managed {
            Some(k) if with_key => Some(zeroize::Zeroizing::new(k)),
            Some(_) => None,
            None => match self.secret(|st| st.get(CLIENT_KEY)).await {
                Ok(k) if with_key => {
                    self.note_client_key(k.is_some());
                    k
                }
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "keyring unavailable; continuing without a client key");
                    None
                }
            },
        };
        Self::client_with(s, key)
    }

    /// A client for `s` with `key`, trusting the extra CA named by `EA_SERVER_CA` too.
    fn client_with(
        s: &Settings,
        key: Option<Zeroizing<String>>,
    ) -> Result<ServerClient, ErrorCode> {
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
        // A client key the policy sets is not the user's to change.
        let current = self.settings().await;
        let locked = current.locked.clone();
        let client_key = if locked.iter().any(|f| f == "client_key") {
            None
        } else {
            input.client_key.as_deref().map(str::trim)
        };
        let has_client_key = match client_key {
            Some("") => {
                self.secret(|st| st.delete(CLIENT_KEY))
                    .await
                    .map_err(keyring)?;
                false
            }
            Some(k) => {
                let k = zeroize::Zeroizing::new(k.to_owned());
                self.secret(move |st| st.set(CLIENT_KEY, &k))
                    .await
                    .map_err(keyring)?;
                true
            }
            None => {
                // A key belongs to the server it was given for: saved for another origin, it is
                // removed, never sent on to the new server.
                let before = settings::load(&self.config_dir);
                let origin = |u: &str| settings::check_url(u).ok().map(|u| u.origin());
                let moved = !before.server_url.is_empty()
                    && origin(&before.server_url) != origin(input.server_url.trim());
                if !moved {
                    before.has_client_key
                } else {
                    if let Err(e) = self.secret(|st| st.delete(CLIENT_KEY)).await
                        && matches!(self.secret(|st| st.get(CLIENT_KEY)).await, Ok(Some(_)))
                    {
                        return Err(keyring(e));
                    }
                    false
                }
            }
        };
        let s = Settings {
            server_url: input.server_url.trim().to_owned(),
            tenant: input.tenant.trim().to_owned(),
            has_client_key,
            ..Settings::default()
        };
        settings::save(&self.config_dir, &s)?;
        // The client holds the session: it is replaced only when what it speaks to or with
        // changed (saving the same settings again keeps a verification in progress).
        if client_key.is_some() || s.server_url != current.server_url || s.tenant != current.tenant
        {
            *self.client.write().await = None;
        }
        Ok(self.settings().await)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::secrets::MemoryStore;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Accepts one HTTP request, answers it with an empty list of organisations, and returns
    /// its head in lower case.
    async fn serve_once(listener: tokio::net::TcpListener) -> String {
        let (mut s, _) = listener.accept().await.expect("accept");
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).await.expect("read");
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        let body = r#"{"tenants":[]}"#;
        let res = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(res.as_bytes()).await.expect("write");
        String::from_utf8_lossy(&head).to_lowercase()
    }

    /// A desktop over a fresh config directory and `secrets`; none where the environment sets
    /// the server (the settings then come from it, not the file these tests write).
    fn desktop(secrets: Arc<dyn SecretStore>) -> Option<(tempfile::TempDir, Desktop)> {
        if std::env::var_os("EA_SERVER_URL").is_some() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = Desktop::new(dir.path().to_path_buf(), secrets);
        Some((dir, d))
    }

    /// What the settings screen saves: `url` for the organisation acme, with `key` if typed.
    fn input(url: &str, key: Option<&str>) -> SettingsInput {
        SettingsInput {
            server_url: url.into(),
            tenant: "acme".into(),
            client_key: key.map(str::to_owned),
        }
    }

    async fn ask(d: &Desktop) -> String {
        ask_with(d, None).await
    }

    async fn ask_with(d: &Desktop, typed_key: Option<&str>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let seen = tokio::spawn(serve_once(listener));
        let saved = settings::load(&d.config_dir);
        if saved.server_url == "https://replace.me" {
            let s = Settings {
                server_url: url.clone(),
                ..saved
            };
            settings::save(&d.config_dir, &s).unwrap();
        }
        d.client_for(&url, typed_key.map(|k| Zeroizing::new(k.to_owned())))
            .await
            .unwrap()
            .fetch::<ea_api::endpoints::ListTenants>()
            .await
            .unwrap();
        seen.await.unwrap()
    }

    /// The settings screen asks a typed address for its organisations without the stored client
    /// key; only the saved server's origin receives it.
    #[tokio::test]
    async fn the_client_key_goes_only_to_the_saved_server() {
        let secrets = Arc::new(MemoryStore::default());
        secrets
            .set(CLIENT_KEY, "ea_ck_kept_in_the_keyring")
            .unwrap();
        let Some((dir, d)) = desktop(secrets) else {
            return;
        };
        let saved = |url: &str| Settings {
            server_url: url.into(),
            tenant: "acme".into(),
            ..Settings::default()
        };
        settings::save(dir.path(), &saved("https://ea.example.org")).unwrap();
        let head = ask(&d).await;
        assert!(head.starts_with("get /v1/tenants"), "{head}");
        assert!(
            !head.contains("x-ea-client-key"),
            "a typed address gets no key: {head}"
        );
        // A key typed beside the address is sent to it, and only that key.
        let head = ask_with(&d, Some("ea_ck_typed_for_this_server")).await;
        assert!(
            head.contains("x-ea-client-key: ea_ck_typed_for_this_server"),
            "{head}"
        );
        assert!(!head.contains("kept_in_the_keyring"), "{head}");
        // The saved server (here, the same address saved first) gets it.
        settings::save(dir.path(), &saved("https://replace.me")).unwrap();
        let head = ask(&d).await;
        assert!(
            head.contains("x-ea-client-key: ea_ck_kept_in_the_keyring"),
            "{head}"
        );
    }

    /// The client holds the session's token: saving the same settings again keeps it (the
    /// verification in progress goes on); another server or a new key replaces it.
    #[tokio::test]
    async fn saving_the_same_settings_keeps_the_session() {
        let Some((_dir, d)) = desktop(Arc::new(MemoryStore::default())) else {
            return;
        };
        d.save_settings(input("https://ea.example.org", None))
            .await
            .unwrap();
        let first = d.client().await.unwrap();
        d.save_settings(input("https://ea.example.org", None))
            .await
            .unwrap();
        assert!(
            Arc::ptr_eq(&first, &d.client().await.unwrap()),
            "the same settings keep the client and its session"
        );
        d.save_settings(input("https://ea.example.org", Some("ea_ck_new")))
            .await
            .unwrap();
        let keyed = d.client().await.unwrap();
        assert!(!Arc::ptr_eq(&first, &keyed), "a new key, a new client");
        d.save_settings(input("https://other.example.org", None))
            .await
            .unwrap();
        assert!(
            !Arc::ptr_eq(&keyed, &d.client().await.unwrap()),
            "another server, a new client"
        );
    }

    /// A keyring that counts its reads.
    #[derive(Debug, Default)]
    struct Counted(MemoryStore, std::sync::atomic::AtomicUsize);

    impl SecretStore for Counted {
        fn get(&self, name: &str) -> Result<Option<zeroize::Zeroizing<String>>, String> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.0.get(name)
        }
        fn set(&self, name: &str, value: &str) -> Result<(), String> {
            self.0.set(name, value)
        }
        fn delete(&self, name: &str) -> Result<(), String> {
            self.0.delete(name)
        }
    }

    /// The settings (the first screen's) are read without the keyring; whether a key is stored
    /// is kept in the file as it changes, and a file that says otherwise is put right when the
    /// keyring is read for a request.
    #[tokio::test]
    async fn the_settings_never_wait_for_the_keyring() {
        let keyring = Arc::new(Counted::default());
        let Some((dir, d)) = desktop(keyring.clone()) else {
            return;
        };
        let reads = || keyring.1.load(std::sync::atomic::Ordering::SeqCst);
        assert!(!d.settings().await.has_client_key);
        let input = |key: Option<&str>| input("https://ea.example.org", key);
        assert!(
            d.save_settings(input(Some("ea_ck_one")))
                .await
                .unwrap()
                .has_client_key
        );
        assert!(
            d.save_settings(input(None)).await.unwrap().has_client_key,
            "kept"
        );
        let again = Desktop::new(dir.path().to_path_buf(), keyring.clone());
        assert!(again.settings().await.has_client_key);
        assert_eq!(reads(), 0, "the keyring was read for the settings");
        assert!(
            !d.save_settings(input(Some("")))
                .await
                .unwrap()
                .has_client_key
        );

        // A key kept while the server changes origin is removed, not sent to the new one.
        assert!(
            d.save_settings(input(Some("ea_ck_one")))
                .await
                .unwrap()
                .has_client_key
        );
        let elsewhere = self::input("https://other.example.org", None);
        assert!(!d.save_settings(elsewhere).await.unwrap().has_client_key);
        assert_eq!(keyring.0.get(CLIENT_KEY).unwrap(), None);
        d.save_settings(input(None)).await.unwrap();

        // A file from before the flag was kept, with a key in the keyring: put right once the
        // keyring is read for the server.
        keyring.0.set(CLIENT_KEY, "ea_ck_two").unwrap();
        assert!(!d.settings().await.has_client_key);
        d.client().await.unwrap();
        assert!(reads() > 0);
        assert!(d.settings().await.has_client_key);
    }
}
