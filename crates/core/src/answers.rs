//! Answers to verification questions: normalisation and Argon2id hashing.
//!
//! Answers are compared after trimming, collapsing inner white space, Unicode NFKC and case
//! folding, so "  Zürich " and "ZÜRICH" are the same answer. Only the Argon2id hash is stored.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand_core::RngCore;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

/// Argon2id cost settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashCost {
    /// OWASP's recommended Argon2id setting (19 MiB, 2 passes, 1 lane).
    pub const RECOMMENDED: HashCost = HashCost {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
    /// Cheap setting for tests only.
    pub const TEST: HashCost = HashCost {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    };

    fn argon2(self) -> Argon2<'static> {
        // The constants above are within Argon2's bounds; a bad custom cost falls back to defaults.
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .unwrap_or_default();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

/// Why a hash could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer is empty")]
    Empty,
    #[error("the stored answer hash is malformed")]
    BadHash,
}

/// The comparison form of an answer.
pub fn normalize(answer: &str) -> Zeroizing<String> {
    let nfkc: Zeroizing<String> = Zeroizing::new(answer.nfkc().collect());
    // Lower-casing can leave a string that is no longer in NFKC; normalise once more.
    let folded: Zeroizing<String> = Zeroizing::new(nfkc.to_lowercase().nfkc().collect());
    Zeroizing::new(folded.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Hashes an answer (after normalisation) as an Argon2id PHC string.
pub fn hash(answer: &str, cost: HashCost, rng: &mut dyn RngCore) -> Result<String, AnswerError> {
    let norm = normalize(answer);
    if norm.is_empty() {
        return Err(AnswerError::Empty);
    }
    argon2_phc(norm.as_bytes(), cost, rng).ok_or(AnswerError::BadHash)
}

/// Argon2id PHC string of `secret` with a fresh salt from `rng`.
pub(crate) fn argon2_phc(secret: &[u8], cost: HashCost, rng: &mut dyn RngCore) -> Option<String> {
    let mut salt = [0u8; 16];
    rng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).ok()?;
    cost.argon2()
        .hash_password(secret, &salt)
        .map(|h| h.to_string())
        .ok()
}

/// Checks `secret` against a PHC string; the cost is read from the hash itself.
pub(crate) fn verify_phc(secret: &[u8], phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(secret, &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Checks an answer against a stored PHC string.
pub fn verify(answer: &str, phc: &str) -> bool {
    verify_phc(normalize(answer).as_bytes(), phc)
}

/// A fixed, valid hash to verify against when the user does not exist, so that the time taken
/// does not reveal it. Made once per process with the given cost.
pub fn dummy_hash(cost: HashCost) -> String {
    struct Zero;
    impl RngCore for Zero {
        fn next_u32(&mut self) -> u32 {
            0
        }
        fn next_u64(&mut self) -> u64 {
            0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            dest.fill(0x5a);
        }
    }
    hash("decoy answer", cost, &mut Zero).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn normalisation_table() {
        let cases = [
            ("  Zürich ", "zürich"),
            ("ZÜRICH", "zürich"),
            ("Zu\u{308}rich", "zürich"),
            ("ｆｏｏ　ｂａｒ", "foo bar"),
            ("New   York\t City", "new york city"),
            ("Ǆ", "dž"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input).as_str(), want, "{input:?}");
        }
    }

    #[test]
    fn hashes_are_argon2id_and_verify_normalised() {
        let mut rng = StdRng::seed_from_u64(3);
        let h = hash("Rex the Dog", HashCost::TEST, &mut rng).expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.to_lowercase().contains("rex"));
        assert!(verify("  rex THE   dog ", &h));
        assert!(!verify("rex the cat", &h));
        assert!(!verify("rex the dog", "not a hash"));
        assert_eq!(
            hash("   ", HashCost::TEST, &mut rng),
            Err(AnswerError::Empty)
        );
    }

    #[test]
    fn dummy_hash_is_valid_and_matches_nothing_typed() {
        let d = dummy_hash(HashCost::TEST);
        assert!(PasswordHash::new(&d).is_ok());
        assert!(!verify("anything", &d));
    }
}
