//! Where the server is: a settings file in the app's config directory, written by the first-run
//! settings screen; overridden by the environment (`EA_SERVER_URL`, `EA_TENANT`), and above all
//! by the machine's policy ([`crate::managed`]), whose fields are shown locked.

use crate::error::ErrorCode;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Settings {
    pub server_url: String,
    pub tenant: String,
    /// Whether a client key is stored in the keyring (the key itself never leaves Rust).
    #[serde(default)]
    pub has_client_key: bool,
    /// Set when the values come from the environment and cannot be edited in the app (never
    /// taken from the file: `load` decides it).
    #[serde(default)]
    pub from_environment: bool,
    /// The fields the machine's policy sets (`server_url`, `tenant`, `client_key`, `language`):
    /// shown, not editable. Never taken from the file.
    #[serde(default)]
    pub locked: Vec<String>,
    /// The language the policy sets for the app, if any.
    #[serde(default)]
    pub language: Option<String>,
    /// Why the policy could not be used (its source, the field, the reason); it is then ignored.
    #[serde(default)]
    pub policy_error: Option<String>,
}

impl Settings {
    pub fn is_complete(&self) -> bool {
        !self.server_url.is_empty() && !self.tenant.is_empty()
    }
}

/// Checks a server URL: https, or http only to this machine.
pub fn check_url(url: &str) -> Result<url::Url, ErrorCode> {
    let parsed = url::Url::parse(url.trim()).map_err(|_| ErrorCode::SettingsInvalid {
        field: "server_url".into(),
    })?;
    let loopback = matches!(
        parsed.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
    );
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        _ => Err(ErrorCode::SettingsInsecureUrl {
            field: "server_url".into(),
        }),
    }
}

pub fn check_tenant(tenant: &str) -> Result<(), ErrorCode> {
    let t = tenant.trim();
    if t.is_empty()
        || t.len() > 64
        || !t
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(ErrorCode::SettingsInvalid {
            field: "tenant".into(),
        });
    }
    Ok(())
}

pub fn file(config_dir: &Path) -> PathBuf {
    config_dir.join("settings.json")
}

/// Reads the file (if any) and applies environment overrides.
pub fn load(config_dir: &Path) -> Settings {
    let mut s: Settings = std::fs::read(file(config_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    // Decided here, never taken from the file.
    s.from_environment = false;
    s.locked.clear();
    s.language = None;
    s.policy_error = None;
    if let (Ok(url), Ok(tenant)) = (std::env::var("EA_SERVER_URL"), std::env::var("EA_TENANT")) {
        s.server_url = url;
        s.tenant = tenant;
        s.from_environment = true;
    }
    apply_policy(&mut s, crate::managed::load());
    s
}

/// Puts what the machine's policy sets over the rest, and marks it locked.
pub fn apply_policy(s: &mut Settings, policy: Result<Option<crate::managed::Managed>, String>) {
    let m = match policy {
        Ok(Some(m)) => m,
        Ok(None) => return,
        Err(e) => {
            // Fail closed: a policy that is there but cannot be read locks what it could have
            // set, so an error of the administrator's never hands the server's address over.
            tracing::warn!(error = %e, "the managed settings cannot be used");
            s.policy_error = Some(e);
            s.locked = vec!["server_url".into(), "tenant".into(), "client_key".into()];
            return;
        }
    };
    if let Some(u) = m.server_url {
        s.server_url = u;
        s.locked.push("server_url".into());
    }
    if let Some(t) = m.tenant {
        s.tenant = t;
        s.locked.push("tenant".into());
    }
    if m.client_key.is_some() {
        s.locked.push("client_key".into());
    }
    if let Some(l) = m.language {
        s.language = Some(l);
        s.locked.push("language".into());
    }
}

/// Validates and writes the settings file atomically.
pub fn save(config_dir: &Path, s: &Settings) -> Result<(), ErrorCode> {
    check_url(&s.server_url)?;
    check_tenant(&s.tenant)?;
    let io = |e: std::io::Error| ErrorCode::SettingsNotSaved {
        reason: Some(e.kind().to_string()),
    };
    std::fs::create_dir_all(config_dir).map_err(io)?;
    let tmp = config_dir.join("settings.json.tmp");
    let body =
        serde_json::to_vec_pretty(s).map_err(|_| ErrorCode::SettingsNotSaved { reason: None })?;
    std::fs::write(&tmp, body).map_err(io)?;
    std::fs::rename(&tmp, file(config_dir)).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_except_loopback() {
        assert!(check_url("https://ea.example.org").is_ok());
        assert!(check_url("http://127.0.0.1:8080").is_ok());
        assert!(check_url("http://localhost:8080").is_ok());
        assert_eq!(
            check_url("http://ea.example.org")
                .map(|_| ())
                .map_err(|e| e.as_str()),
            Err("settings_insecure_url")
        );
        assert_eq!(
            check_url("not a url").map(|_| ()).map_err(|e| e.as_str()),
            Err("settings_invalid")
        );
        assert!(check_tenant("acme-1").is_ok());
        assert!(check_tenant("Acme").is_err());
        assert!(check_tenant("").is_err());
    }

    #[test]
    fn save_then_load() {
        let dir = tempfile::tempdir().expect("tmp");
        let s = Settings {
            server_url: "https://ea.example.org".into(),
            tenant: "acme".into(),
            ..Settings::default()
        };
        save(dir.path(), &s).expect("save");
        if std::env::var("EA_SERVER_URL").is_err() && std::env::var("EA_POLICY_FILE").is_err() {
            assert_eq!(load(dir.path()), s);
        }
        let bad = Settings {
            tenant: "Bad Tenant".into(),
            ..s
        };
        assert!(save(dir.path(), &bad).is_err());
    }

    #[test]
    fn the_policy_wins_and_is_shown_locked() {
        let mut s = Settings {
            server_url: "https://mine.example.org".into(),
            tenant: "mine".into(),
            ..Settings::default()
        };
        let m = crate::managed::Managed {
            server_url: Some("https://ea.example.org".into()),
            tenant: None,
            client_key: Some("ea_ck_x".into()),
            language: Some("fr".into()),
            check_updates: None,
        };
        apply_policy(&mut s, Ok(Some(m)));
        assert_eq!(s.server_url, "https://ea.example.org");
        assert_eq!(
            s.tenant, "mine",
            "what the policy leaves out stays the user's"
        );
        assert_eq!(s.locked, ["server_url", "client_key", "language"]);
        assert_eq!(s.language.as_deref(), Some("fr"));
        let mut broken = Settings::default();
        apply_policy(&mut broken, Err("/etc/x: tenant: bad".into()));
        assert_eq!(broken.policy_error.as_deref(), Some("/etc/x: tenant: bad"));
        assert_eq!(
            broken.locked,
            ["server_url", "tenant", "client_key"],
            "fails closed"
        );
    }
}
