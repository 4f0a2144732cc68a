//! Answers to verification questions: normalisation and Argon2id hashing.
//!
//! Answers are compared after trimming, collapsing inner white space, Unicode NFKC and case
//! folding, so "  Zürich " and "ZÜRICH" are the same answer. Only the Argon2id hash is stored.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

/// The working memory of finished Argon2 computations, kept for the next ones. Freed instead,
/// the allocator would keep each block (19 MiB at the shipped cost) in the arena of the thread
/// that used it, for a later allocation there: a server hashing on many threads, only a few at
/// a time, would hold one for every thread. Kept here, the memory held is one block per
/// computation that ran at the same time as others, whichever thread runs the next.
static SPARE_MEMORY: std::sync::Mutex<Vec<Vec<Block>>> = std::sync::Mutex::new(Vec::new());
/// Working memories kept at most; more computations at once allocate and free their own.
const SPARE_MAX: usize = 64;
/// The largest working memory kept, in blocks of 1 KiB (64 MiB): a stored hash of a higher
/// cost is computed, but its memory is not held afterwards.
const SPARE_BLOCKS_MAX: usize = 64 * 1024;

/// Runs `f` with `count` blocks of working memory: kept ones where there are. The memory is
/// cleared before it is kept (it is derived from the secret).
fn with_memory<T>(count: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    let kept = (count <= SPARE_BLOCKS_MAX)
        .then(|| SPARE_MEMORY.lock().ok().and_then(|mut spare| spare.pop()))
        .flatten();
    let mut blocks = kept.unwrap_or_default();
    blocks.resize(count, Block::default());
    let out = f(&mut blocks);
    if count <= SPARE_BLOCKS_MAX {
        blocks.fill(Block::default());
        if let Ok(mut spare) = SPARE_MEMORY.lock()
            && spare.len() < SPARE_MAX
        {
            spare.push(blocks);
        }
    }
    out
}

/// Argon2's output for `secret` and the raw `salt`, of `len` bytes, in kept memory.
fn argon2_output(argon: &Argon2<'_>, secret: &[u8], salt: &[u8], len: usize) -> Option<Output> {
    with_memory(argon.params().block_count(), |blocks| {
        Output::init_with(len, |out| {
            argon
                .hash_password_into_with_memory(secret, salt, out, &mut *blocks)
                .map_err(Into::into)
        })
    })
    .ok()
}

/// Argon2id PHC string of `secret` with a fresh salt from `rng`.
pub(crate) fn argon2_phc(secret: &[u8], cost: HashCost, rng: &mut dyn RngCore) -> Option<String> {
    let mut salt = [0u8; 16];
    rng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).ok()?;
    let argon = cost.argon2();
    let len = argon
        .params()
        .output_len()
        .unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let mut raw = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut raw).ok()?;
    let output = argon2_output(&argon, secret, salt_bytes, len)?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).ok()?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Some(hash.to_string())
}

/// Checks `secret` against a PHC string; the algorithm and cost are read from the hash itself.
pub(crate) fn verify_phc(secret: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let argon = Argon2::new(algorithm, version, params);
    let mut raw = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut raw) else {
        return false;
    };
    // `Output`'s comparison takes the same time wherever the outputs differ.
    argon2_output(&argon, secret, salt_bytes, expected.len()).is_some_and(|o| o == expected)
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

    /// Hashes made in kept memory are the library's own: each verifies the other's, at the
    /// shipped cost and with another version and cost read from the hash.
    #[test]
    fn kept_memory_hashes_are_the_librarys_hashes() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let mut rng = StdRng::seed_from_u64(5);
        let ours = hash("Hillside", HashCost::RECOMMENDED, &mut rng).expect("hash");
        let parsed = PasswordHash::new(&ours).expect("PHC");
        assert!(
            Argon2::default()
                .verify_password(b"hillside", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"hillsid", &parsed)
                .is_err()
        );

        let salt = SaltString::encode_b64(b"sixteen byte salt").expect("salt");
        for (version, cost) in [
            (Version::V0x13, HashCost::RECOMMENDED),
            (
                Version::V0x10,
                HashCost {
                    memory_kib: 4096,
                    iterations: 3,
                    parallelism: 2,
                },
            ),
        ] {
            let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
                .expect("params");
            let theirs = Argon2::new(Algorithm::Argon2id, version, params)
                .hash_password(b"zurich", &salt)
                .expect("hash")
                .to_string();
            assert!(
                verify("Zürich".replace('ü', "u").as_str(), &theirs),
                "{theirs}"
            );
            assert!(!verify("Zürichx", &theirs));
        }
        // Argon2i and Argon2d hashes are read as such, not as Argon2id.
        let params = Params::new(1024, 1, 1, None).expect("params");
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, params)
            .hash_password(b"rex", &salt)
            .expect("hash")
            .to_string();
        assert!(verify("Rex", &argon2i));
    }

    #[test]
    fn dummy_hash_is_valid_and_matches_nothing_typed() {
        let d = dummy_hash(HashCost::TEST);
        assert!(PasswordHash::new(&d).is_ok());
        assert!(!verify("anything", &d));
    }
}
