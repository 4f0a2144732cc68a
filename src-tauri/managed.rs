//! Settings an administrator fixes for every user of a machine: the server, the organisation,
//! the client key and the language. Linux reads `/etc/emergency-access/config.toml`, macOS the
//! managed preferences of the app's identifier (`/Library/Managed Preferences/
//! org.emergency-access.desktop.plist`, as an MDM profile installs them), Windows the policy key
//! `HKLM\Software\Policies\EmergencyAccess`. In debug builds `EA_POLICY_FILE` names a TOML file
//! to read instead (tests); a release build reads only the machine's policy, so a user cannot
//! set it aside. What is set there is shown locked in the app.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// What a policy sets; each field left out stays the user's to choose.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Managed {
    pub server_url: Option<String>,
    pub tenant: Option<String>,
    /// Sent as `X-EA-Client-Key`; used instead of one stored in the keyring.
    pub client_key: Option<String>,
    /// `en`, `de`, `fr` or `it`.
    pub language: Option<String>,
    /// `false`: the app does not look for updates (an administrator deploys versions).
    pub check_updates: Option<bool>,
}

/// The same keys as a macOS managed-preferences plist writes them.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Plist {
    server_url: Option<String>,
    tenant: Option<String>,
    client_key: Option<String>,
    language: Option<String>,
    check_updates: Option<bool>,
}

const LINUX_FILE: &str = "/etc/emergency-access/config.toml";
const MAC_FILE: &str = "/Library/Managed Preferences/org.emergency-access.desktop.plist";

/// The policy of this machine (`Ok(None)` where there is none), checked; an error names where
/// it came from, the field and what is wrong.
pub fn load() -> Result<Option<Managed>, String> {
    if let Some(p) = test_file() {
        return read_toml(&p);
    }
    if cfg!(target_os = "macos") {
        return read_plist(Path::new(MAC_FILE));
    }
    #[cfg(windows)]
    {
        return read_registry();
    }
    #[cfg(not(windows))]
    read_toml(Path::new(LINUX_FILE))
}

fn read_toml(path: &Path) -> Result<Option<Managed>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let m: Managed =
        toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))?;
    checked(path, m).map(Some)
}

/// A managed-preferences plist (XML or binary).
pub fn read_plist(path: &Path) -> Result<Option<Managed>, String> {
    if !path.exists() {
        return Ok(None);
    }
    let p: Plist = plist::from_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let m = Managed {
        server_url: p.server_url,
        tenant: p.tenant,
        client_key: p.client_key,
        language: p.language,
        check_updates: p.check_updates,
    };
    checked(path, m).map(Some)
}

#[cfg(windows)]
fn read_registry() -> Result<Option<Managed>, String> {
    use winreg::RegKey;
    use winreg::enums::HKEY_LOCAL_MACHINE;
    let Ok(key) =
        RegKey::predef(HKEY_LOCAL_MACHINE).open_subkey(r"Software\Policies\EmergencyAccess")
    else {
        return Ok(None);
    };
    let get = |name: &str| key.get_value::<String, _>(name).ok();
    let m = Managed {
        server_url: get("ServerUrl"),
        tenant: get("Tenant"),
        client_key: get("ClientKey"),
        language: get("Language"),
        check_updates: key.get_value::<u32, _>("CheckUpdates").ok().map(|v| v != 0),
    };
    checked(Path::new(r"HKLM\Software\Policies\EmergencyAccess"), m).map(Some)
}

/// Refuses values the app would refuse from a person, naming the field.
fn checked(from: &Path, m: Managed) -> Result<Managed, String> {
    let fail = |field: &str, why: &str| format!("{}: {field}: {why}", from.display());
    if let Some(u) = &m.server_url {
        crate::settings::check_url(u).map_err(|_| {
            fail(
                "server_url",
                "must be an https:// address (http only to this machine)",
            )
        })?;
    }
    if let Some(t) = &m.tenant {
        crate::settings::check_tenant(t).map_err(|_| {
            fail(
                "tenant",
                "lower-case letters, digits and dashes, 64 at most",
            )
        })?;
    }
    if let Some(k) = &m.client_key
        && (k.trim().is_empty() || k.len() > 200)
    {
        return Err(fail(
            "client_key",
            "must not be empty or longer than 200 characters",
        ));
    }
    if let Some(l) = &m.language
        && !["en", "de", "fr", "it"].contains(&l.as_str())
    {
        return Err(fail("language", "must be one of en, de, fr, it"));
    }
    Ok(m)
}

/// `EA_POLICY_FILE`, honoured in debug builds only.
fn test_file() -> Option<PathBuf> {
    if cfg!(debug_assertions) {
        std::env::var_os("EA_POLICY_FILE").map(PathBuf::from)
    } else {
        None
    }
}

/// Where this platform's policy is read from, for the documentation and messages.
pub fn source() -> PathBuf {
    if let Some(p) = test_file() {
        return p;
    }
    if cfg!(target_os = "macos") {
        PathBuf::from(MAC_FILE)
    } else if cfg!(windows) {
        PathBuf::from(r"HKLM\Software\Policies\EmergencyAccess")
    } else {
        PathBuf::from(LINUX_FILE)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_policy_file_is_read_and_checked_field_by_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let read = |text: &str| {
            std::fs::write(&path, text).unwrap();
            read_toml(&path).map_err(|e| e.replace(&format!("{}: ", path.display()), ""))
        };
        assert_eq!(read_toml(&dir.path().join("none.toml")), Ok(None));
        assert_eq!(
            read("server_url = \"https://ea.example.org\"\ntenant = \"acme\"\nlanguage = \"de\"\n"),
            Ok(Some(Managed {
                server_url: Some("https://ea.example.org".into()),
                tenant: Some("acme".into()),
                client_key: None,
                language: Some("de".into()),
                check_updates: None,
            }))
        );
        for (text, want) in [
            (
                "server_url = \"http://ea.example.org\"\n",
                "server_url: must be an https:// address",
            ),
            ("tenant = \"Acme Corp\"\n", "tenant: lower-case letters"),
            (
                "language = \"es\"\n",
                "language: must be one of en, de, fr, it",
            ),
            ("client_key = \"\"\n", "client_key: must not be empty"),
            ("server = \"https://x\"\n", "unknown field `server`"),
        ] {
            let e = read(text).expect_err(text);
            assert!(e.starts_with(want) || e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn macos_managed_preferences_are_read_from_their_plist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("org.emergency-access.desktop.plist");
        std::fs::write(
            &path,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>ServerUrl</key><string>https://ea.example.org</string>
  <key>Tenant</key><string>acme</string>
  <key>ClientKey</key><string>ea_ck_managed</string>
  <key>CheckUpdates</key><false/>
</dict></plist>"#,
        )
        .unwrap();
        let m = read_plist(&path).unwrap().unwrap();
        assert_eq!(m.tenant.as_deref(), Some("acme"));
        assert_eq!(m.client_key.as_deref(), Some("ea_ck_managed"));
        assert_eq!(m.check_updates, Some(false));
        assert_eq!(read_plist(&dir.path().join("none.plist")), Ok(None));
    }
}
