//! The card PIN-unblock cryptogram: the card's admin key encrypts the card's challenge.
//!
//! Response = E_K(challenge) in ECB over one block: 3DES-EDE (24-byte key) for an 8-byte
//! challenge, AES-128/192/256 for a 16-byte challenge. 3DES is accepted only for card profiles
//! marked legacy.
//!
//! Keys come either imported per card, or diversified from a tenant master key with this KDF:
//!
//! ```text
//! K_card = HKDF-SHA-256(IKM = master key, salt = "emergency-access/card-key/v1",
//!                       info = card serial bytes ‖ algorithm name, L = key length)
//! ```
//!
//! and, for 3DES, each byte's lowest bit set to odd parity.

use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use zeroize::Zeroizing;

pub use ea_api::CardAlgorithm;

/// Card profiles the server knows: their name and whether 3DES is acceptable.
pub fn profile_is_legacy(profile: &str) -> Option<bool> {
    match profile {
        "iso7816" => Some(false),
        "iso7816-legacy" => Some(true),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptogramError {
    #[error("the challenge must be {expected} bytes for this card")]
    ChallengeLength { expected: usize },
    #[error("the admin key has the wrong length for the card's algorithm")]
    KeyLength,
    #[error("3DES is only allowed for card profiles marked legacy")]
    LegacyOnly,
    #[error("unknown card profile")]
    UnknownProfile,
}

/// Checks that a card's profile and algorithm may be used together.
pub fn check_profile(profile: &str, alg: CardAlgorithm) -> Result<(), CryptogramError> {
    let legacy = profile_is_legacy(profile).ok_or(CryptogramError::UnknownProfile)?;
    if alg == CardAlgorithm::TripleDes && !legacy {
        return Err(CryptogramError::LegacyOnly);
    }
    Ok(())
}

/// E_K(challenge).
pub fn compute(
    alg: CardAlgorithm,
    key: &[u8],
    challenge: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptogramError> {
    if challenge.len() != alg.challenge_len() {
        return Err(CryptogramError::ChallengeLength {
            expected: alg.challenge_len(),
        });
    }
    if key.len() != alg.key_len() {
        return Err(CryptogramError::KeyLength);
    }
    let mut block = Zeroizing::new(challenge.to_vec());
    let block_ref = block.as_mut_slice();
    fn run<C: KeyInit + BlockEncrypt>(key: &[u8], block: &mut [u8]) -> Result<(), CryptogramError> {
        let cipher = C::new_from_slice(key).map_err(|_| CryptogramError::KeyLength)?;
        cipher.encrypt_block(GenericArray::from_mut_slice(block));
        Ok(())
    }
    match alg {
        CardAlgorithm::TripleDes => run::<des::TdesEde3>(key, block_ref)?,
        CardAlgorithm::Aes128 => run::<aes::Aes128>(key, block_ref)?,
        CardAlgorithm::Aes192 => run::<aes::Aes192>(key, block_ref)?,
        CardAlgorithm::Aes256 => run::<aes::Aes256>(key, block_ref)?,
    }
    Ok(block)
}

/// The card key diversified from a master key and the card serial (see the module docs).
pub fn diversify(master: &[u8], serial: &[u8], alg: CardAlgorithm) -> Zeroizing<Vec<u8>> {
    let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(b"emergency-access/card-key/v1"), master);
    let mut info = serial.to_vec();
    info.extend_from_slice(alg.as_str().as_bytes());
    let mut key = Zeroizing::new(vec![0u8; alg.key_len()]);
    // Key lengths are at most 32 bytes, far below HKDF-SHA-256's limit of 8160.
    hk.expand(&info, &mut key)
        .unwrap_or_else(|_| unreachable!());
    if alg == CardAlgorithm::TripleDes {
        for b in key.iter_mut() {
            *b = (*b & 0xfe) | u8::from((*b >> 1).count_ones() % 2 == 0);
        }
    }
    key
}

/// A short checksum for reading a value out loud: the first two bytes of SHA-256, hex.
pub fn checksum(bytes: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    format!("{:02X}{:02X}", d[0], d[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_round_trip_and_match_the_wire() {
        for (a, name) in [
            (CardAlgorithm::TripleDes, "3des"),
            (CardAlgorithm::Aes128, "aes128"),
            (CardAlgorithm::Aes192, "aes192"),
            (CardAlgorithm::Aes256, "aes256"),
        ] {
            assert_eq!(a.as_str(), name);
            assert_eq!(CardAlgorithm::parse(name), Some(a));
            assert_eq!(serde_json::to_value(a).ok(), Some(serde_json::json!(name)));
        }
        assert_eq!(CardAlgorithm::parse("aes"), None);
        assert_eq!(CardAlgorithm::parse("AES128"), None);
    }

    fn h(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn known_answers() {
        // NIST SP 800-67 Rev. 1 TDEA example ("The qufc"); FIPS-197 Appendix C.1-C.3.
        let table = [
            (
                CardAlgorithm::TripleDes,
                "0123456789abcdef23456789abcdef01456789abcdef0123",
                "5468652071756663",
                "a826fd8ce53b855f",
            ),
            (
                CardAlgorithm::Aes128,
                "000102030405060708090a0b0c0d0e0f",
                "00112233445566778899aabbccddeeff",
                "69c4e0d86a7b0430d8cdb78070b4c55a",
            ),
            (
                CardAlgorithm::Aes192,
                "000102030405060708090a0b0c0d0e0f1011121314151617",
                "00112233445566778899aabbccddeeff",
                "dda97ca4864cdfe06eaf70a0ec0d7191",
            ),
            (
                CardAlgorithm::Aes256,
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "00112233445566778899aabbccddeeff",
                "8ea2b7ca516745bfeafc49904b496089",
            ),
        ];
        for (alg, key, challenge, want) in table {
            assert_eq!(
                hex(&compute(alg, &h(key), &h(challenge)).expect("computes")),
                want,
                "{alg:?}"
            );
        }
    }

    #[test]
    fn lengths_and_profiles_are_checked() {
        let k16 = [0u8; 16];
        assert_eq!(
            compute(CardAlgorithm::Aes128, &k16, &[0; 8]).err(),
            Some(CryptogramError::ChallengeLength { expected: 16 })
        );
        assert_eq!(
            compute(CardAlgorithm::TripleDes, &[0; 24], &[0; 16]).err(),
            Some(CryptogramError::ChallengeLength { expected: 8 })
        );
        assert_eq!(
            compute(CardAlgorithm::Aes256, &k16, &[0; 16]).err(),
            Some(CryptogramError::KeyLength)
        );
        assert_eq!(
            check_profile("iso7816", CardAlgorithm::TripleDes),
            Err(CryptogramError::LegacyOnly)
        );
        assert_eq!(
            check_profile("iso7816-legacy", CardAlgorithm::TripleDes),
            Ok(())
        );
        assert_eq!(check_profile("iso7816", CardAlgorithm::Aes128), Ok(()));
        assert_eq!(
            check_profile("vendor-x", CardAlgorithm::Aes128),
            Err(CryptogramError::UnknownProfile)
        );
    }

    #[test]
    fn diversification_is_per_card_and_per_algorithm() {
        let m = [7u8; 32];
        let a = diversify(&m, &h("0102030405060708"), CardAlgorithm::Aes128);
        assert_eq!(a.len(), 16);
        assert_eq!(
            a,
            diversify(&m, &h("0102030405060708"), CardAlgorithm::Aes128)
        );
        assert_ne!(
            a,
            diversify(&m, &h("0102030405060709"), CardAlgorithm::Aes128)
        );
        assert_ne!(
            a[..],
            diversify(&m, &h("0102030405060708"), CardAlgorithm::Aes256)[..16]
        );
        let d = diversify(&m, &h("01"), CardAlgorithm::TripleDes);
        assert!(d.iter().all(|b| b.count_ones() % 2 == 1), "odd parity");
        assert_eq!(checksum(b"abc"), "BA78");
    }
}
