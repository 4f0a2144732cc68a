//! The key-encryption key and the keys derived from it.
//!
//! The KEK comes from `EA_KEK` (base64) or a file, never from the database. Purpose keys derived
//! from it hash one-time codes and make decoys, so one secret protects everything at rest.

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
}

impl Keys {
    pub fn new(kek: Kek) -> Keys {
        Keys {
            code_key: kek.derive("otp-hash"),
            decoy_key: kek.derive("decoy"),
            kek,
        }
    }
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

/// Loads the KEK from `EA_KEK`, else from `file`.
pub fn load_kek(file: Option<&Path>) -> anyhow::Result<Kek> {
    if let Ok(v) = std::env::var("EA_KEK") {
        return parse_kek(&v);
    }
    let Some(file) = file else {
        anyhow::bail!("no key-encryption key: set EA_KEK or pass --kek-file");
    };
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
        let text = STANDARD.encode(kek.as_bytes());
        write_private(file, text.as_bytes())?;
    }
    load_kek(Some(file))
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
