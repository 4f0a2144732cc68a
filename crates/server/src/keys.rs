//! The key-encryption key and the server's purpose keys.
//!
//! The KEK comes from `EA_KEK` (base64) or a file, never from the database. The purpose keys hash
//! one-time codes and emergency codes, make decoys and link the audit log; they are kept in the
//! database sealed under the KEK (`server_keys`), so that one secret protects everything at rest
//! and the KEK can be rotated without changing them. A database that has none yet gets the keys
//! derived from the KEK, as every version before kept them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ea_core::seal::Kek;
use std::path::Path;
use zeroize::Zeroizing;

/// Keys the server works with.
#[derive(Debug, Clone)]
pub struct Keys {
    pub kek: Kek,
    pub code_key: Zeroizing<[u8; 32]>,
    pub decoy_key: Zeroizing<[u8; 32]>,
    pub audit_key: Zeroizing<[u8; 32]>,
}

/// The purpose keys, by the name they are stored under.
const PURPOSES: [&str; 3] = ["otp-hash", "decoy", "audit-chain"];

/// The associated data that binds a sealed purpose key to its name.
pub fn server_key_aad(name: &str) -> String {
    format!("server-key:{name}")
}

impl Keys {
    /// The keys derived from `kek` (tests, and a database's first start).
    pub fn new(kek: Kek) -> Keys {
        Keys {
            code_key: kek.derive("otp-hash"),
            decoy_key: kek.derive("decoy"),
            audit_key: kek.derive("audit-chain"),
            kek,
        }
    }

    /// The keys as `store` keeps them, sealed under `kek`; those it lacks are derived from `kek`
    /// and stored. Fails when `kek` does not open them (another key, or damaged rows), naming
    /// the key, rather than working with keys that would match nothing.
    pub async fn load(store: &ea_store::Store, kek: Kek) -> anyhow::Result<Keys> {
        let mut keys = Keys::new(kek);
        for name in PURPOSES {
            let key = loop {
                if let Some(sealed) = ea_store::server_keys::get(store.db(), name).await? {
                    break open_key(&keys.kek, name, &sealed)?;
                }
                let key = keys.kek.derive(name);
                let sealed = keys
                    .kek
                    .seal(&server_key_aad(name), key.as_ref(), &mut rand::rng());
                let now = crate::clock::Clock::now(&crate::clock::SystemClock);
                match ea_store::server_keys::insert(store.db(), name, sealed, now).await {
                    Ok(()) => break key,
                    // Another instance stored it first: use that one.
                    Err(ea_store::StoreError::Duplicate(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            };
            match name {
                "otp-hash" => keys.code_key = key,
                "decoy" => keys.decoy_key = key,
                _ => keys.audit_key = key,
            }
        }
        Ok(keys)
    }
}

/// Opens the sealed purpose key `name` with `kek`.
pub fn open_key(kek: &Kek, name: &str, sealed: &[u8]) -> anyhow::Result<Zeroizing<[u8; 32]>> {
    let plain = kek.open(&server_key_aad(name), sealed).map_err(|_| {
        anyhow::anyhow!(
            "the key-encryption key does not open the database's {name} key: this database's keys \
             were sealed under another key-encryption key (or its row is damaged)"
        )
    })?;
    let bytes: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| anyhow::anyhow!("the database's {name} key is not 32 bytes"))?;
    Ok(Zeroizing::new(bytes))
}

/// Reads a base64 KEK.
pub fn parse_kek(text: &str) -> anyhow::Result<Kek> {
    let bytes = Zeroizing::new(
        STANDARD
            .decode(text.trim())
            .map_err(|_| anyhow::anyhow!("the key-encryption key is not valid base64"))?,
    );
    Kek::from_bytes(&bytes)
        .map_err(|_| anyhow::anyhow!("the key-encryption key must decode to 32 bytes"))
}

/// The keyring entry's user name under the service `kek_keyring` names.
pub const KEYRING_USER: &str = "kek";

/// Why the keyring is not offered on this system, where it is not.
#[cfg(not(any(target_os = "macos", windows)))]
const NO_KEYRING: &str = "on Linux a service's key store is systemd's credentials: encrypt the \
    key with `systemd-creds encrypt`, hand it over with LoadCredentialEncrypted=kek:FILE in the \
    unit and set kek_file = \"/run/credentials/ea-server.service/kek\"";

/// Loads the KEK from the OS keyring (Keychain, Credential Manager), service `service`.
pub fn load_kek_keyring(service: &str) -> anyhow::Result<Kek> {
    #[cfg(any(target_os = "macos", windows))]
    {
        let entry = keyring::Entry::new(service, KEYRING_USER)
            .map_err(|e| anyhow::anyhow!("kek_keyring {service:?}: {e}"))?;
        let text = Zeroizing::new(
            entry
                .get_password()
                .map_err(|e| anyhow::anyhow!("kek_keyring {service:?}: {e}"))?,
        );
        parse_kek(&text)
    }
    #[cfg(not(any(target_os = "macos", windows)))]
    anyhow::bail!("kek_keyring {service:?}: {NO_KEYRING}")
}

/// Puts the KEK of `file` into the OS keyring under `service`.
pub fn store_kek_keyring(service: &str, file: &Path) -> anyhow::Result<()> {
    let kek = load_kek_file(file)?;
    #[cfg(any(target_os = "macos", windows))]
    {
        let text = Zeroizing::new(STANDARD.encode(kek.as_bytes()));
        keyring::Entry::new(service, KEYRING_USER)
            .and_then(|e| e.set_password(&text))
            .map_err(|e| anyhow::anyhow!("kek_keyring {service:?}: {e}"))
    }
    #[cfg(not(any(target_os = "macos", windows)))]
    {
        drop(kek);
        anyhow::bail!("kek_keyring {service:?}: {NO_KEYRING}")
    }
}

/// Checks, before anything starts, that `kek_keyring` can be used on this system.
pub fn keyring_usable() -> Result<(), String> {
    #[cfg(not(any(target_os = "macos", windows)))]
    return Err(format!("kek_keyring: {NO_KEYRING}"));
    #[cfg(any(target_os = "macos", windows))]
    Ok(())
}

/// Loads the KEK from `EA_KEK`, else from `file`.
pub fn load_kek(file: Option<&Path>) -> anyhow::Result<Kek> {
    if let Ok(v) = std::env::var("EA_KEK") {
        return parse_kek(&v);
    }
    let Some(file) = file else {
        anyhow::bail!("no key-encryption key: set EA_KEK or pass --kek-file");
    };
    load_kek_file(file)
}

/// Loads a KEK from `file` (whatever `EA_KEK` says).
pub fn load_kek_file(file: &Path) -> anyhow::Result<Kek> {
    let text = Zeroizing::new(
        std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("cannot read key file {}: {e}", file.display()))?,
    );
    parse_kek(&text)
}

/// Creates a KEK file (mode 0600) if none exists, and loads it.
pub fn load_or_create_kek(file: &Path) -> anyhow::Result<Kek> {
    if !file.exists() {
        let kek = Kek::generate(&mut rand::rng());
        let text = Zeroizing::new(STANDARD.encode(kek.as_bytes()));
        write_private(file, text.as_bytes())?;
    }
    load_kek_file(file)
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create key file {}: {e}", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}
