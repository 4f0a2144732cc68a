//! One-time codes sent by SMS or email: generation, keyed hashing and constant-time checking.
//!
//! Only a keyed hash of a code is ever stored; the key (a server secret derived from the
//! key-encryption key) makes the small code space useless to someone holding the database.

use crate::contact::keyed_digest;
use rand_core::RngCore;
use zeroize::Zeroizing;

/// A fresh numeric code of `length` digits, uniformly distributed.
pub fn generate(rng: &mut dyn RngCore, length: u8) -> Zeroizing<String> {
    let mut code = Zeroizing::new(String::with_capacity(usize::from(length)));
    while code.len() < usize::from(length) {
        // Rejection sampling keeps every digit equally likely (250 = 25 * 10).
        let b = (rng.next_u32() & 0xff) as u8;
        if b < 250 {
            code.push(char::from(b'0' + b % 10));
        }
    }
    code
}

/// The stored form of a code: HMAC-SHA-256 bound to the session and step, hex-encoded.
pub fn hash(key: &[u8], binding: &str, code: &str) -> String {
    let d = keyed_digest(key, &["otp", binding, code.trim()]);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a typed code against its stored hash in constant time.
pub fn matches(key: &[u8], binding: &str, typed: &str, stored_hash: &str) -> bool {
    let h = hash(key, binding, &without_separators(typed));
    crate::ct::equal_str(&h, stored_hash)
}

/// A code as typed or pasted, without the spaces, dashes and dots people group digits with
/// (`123 456`, `123-456`): every kind of one-time code is compared in this form.
pub fn without_separators(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn codes_have_the_length_and_are_digits() {
        let mut rng = StdRng::seed_from_u64(7);
        for len in 4..=10 {
            let c = generate(&mut rng, len);
            assert_eq!(c.len(), usize::from(len));
            assert!(c.chars().all(|c| c.is_ascii_digit()));
        }
    }

    #[test]
    fn digits_are_roughly_uniform() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut counts = [0u32; 10];
        for _ in 0..2000 {
            for c in generate(&mut rng, 10).chars() {
                counts[usize::from(c as u8 - b'0')] += 1;
            }
        }
        for c in counts {
            assert!((1800..2200).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn hash_binds_key_session_and_code() {
        let h = hash(b"k", "s1:0", "123456");
        assert!(matches(b"k", "s1:0", "123 456", &h));
        assert!(matches(b"k", "s1:0", "123-456", &h));
        assert!(!matches(b"k", "s1:0", "123457", &h));
        assert!(!matches(b"k", "s2:0", "123456", &h));
        assert!(!matches(b"j", "s1:0", "123456", &h));
        assert!(!h.contains("123456"));
    }
}
