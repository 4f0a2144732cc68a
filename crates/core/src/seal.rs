//! Secrets at rest: authenticated encryption under the key-encryption key (KEK).
//!
//! TOTP seeds, card admin keys and queued messages are stored as XChaCha20-Poly1305 ciphertexts.
//! The associated data binds a ciphertext to its row (e.g. `totp:demo:alice`), so a value copied
//! to another row does not decrypt. The KEK itself never enters the database.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::RngCore;
use zeroize::{Zeroize, Zeroizing};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

/// A 256-bit key-encryption key.
#[derive(Clone)]
pub struct Kek(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(..)")
    }
}

/// Why a value could not be unsealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the key-encryption key must be 32 bytes")]
    BadKeyLength,
    #[error("the sealed value is damaged or was sealed under another key or for another row")]
    Unseal,
}

impl Kek {
    pub fn from_bytes(bytes: &[u8]) -> Result<Kek, SealError> {
        let mut k = Zeroizing::new([0u8; 32]);
        if bytes.len() != 32 {
            return Err(SealError::BadKeyLength);
        }
        k.copy_from_slice(bytes);
        Ok(Kek(k))
    }

    pub fn generate(rng: &mut dyn RngCore) -> Kek {
        let mut k = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(k.as_mut());
        Kek(k)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A sub-key for one purpose (code hashing, decoys), so the KEK itself is used only for AEAD.
    pub fn derive(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(crate::contact::keyed_digest(
            self.0.as_ref(),
            &["ea-subkey", purpose],
        ))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_ref().into())
    }

    /// Encrypts `plaintext` bound to `aad`: `version ‖ nonce ‖ ciphertext+tag`.
    pub fn seal(&self, aad: &str, plaintext: &[u8], rng: &mut dyn RngCore) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let ct = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            // XChaCha20-Poly1305 encryption only fails for messages over 256 GiB.
            .unwrap_or_else(|_| unreachable!());
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts a value made by [`Kek::seal`] with the same `aad`.
    pub fn open(&self, aad: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != VERSION {
            return Err(SealError::Unseal);
        }
        let (nonce, ct) = sealed[1..].split_at(NONCE_LEN);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SealError::Unseal)
    }
}

impl Drop for Kek {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn round_trip_and_binding() {
        let mut rng = StdRng::seed_from_u64(9);
        let k = Kek::generate(&mut rng);
        let s = k.seal("totp:demo:alice", b"seed bytes", &mut rng);
        assert!(!s.windows(4).any(|w| w == b"seed"));
        assert_eq!(
            k.open("totp:demo:alice", &s).expect("opens").as_slice(),
            b"seed bytes"
        );
        assert_eq!(k.open("totp:demo:bob", &s), Err(SealError::Unseal));
        let other = Kek::generate(&mut rng);
        assert_eq!(other.open("totp:demo:alice", &s), Err(SealError::Unseal));
        let mut damaged = s.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert_eq!(k.open("totp:demo:alice", &damaged), Err(SealError::Unseal));
        assert_eq!(k.open("x", &[1, 2]), Err(SealError::Unseal));
        assert_eq!(
            Kek::from_bytes(&[0; 31]).map(|_| ()),
            Err(SealError::BadKeyLength)
        );
        assert_ne!(k.derive("a").as_ref(), k.derive("b").as_ref());
    }
}
