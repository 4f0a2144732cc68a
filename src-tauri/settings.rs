//! Where the server is: a settings file in the app's config directory, overridden by the
//! environment (`EA_SERVER_URL`, `EA_TENANT`), and written by the first-run settings screen.

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
    s.from_environment = false;
    if let (Ok(url), Ok(tenant)) = (std::env::var("EA_SERVER_URL"), std::env::var("EA_TENANT")) {
        s.server_url = url;
        s.tenant = tenant;
        s.from_environment = true;
    }
    s
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
            has_client_key: false,
            from_environment: false,
        };
        save(dir.path(), &s).expect("save");
        if std::env::var("EA_SERVER_URL").is_err() {
            assert_eq!(load(dir.path()), s);
        }
        let bad = Settings {
            tenant: "Bad Tenant".into(),
            ..s
        };
        assert!(save(dir.path(), &bad).is_err());
    }
}
