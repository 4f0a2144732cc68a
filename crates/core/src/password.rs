//! The tenant's password policy and password hashing for the built-in directory.
//!
//! Passwords are compared and hashed after Unicode NFKC, never truncated, and every rule that a
//! candidate breaks is reported at once so the user can fix them together.

use crate::answers::{HashCost, argon2_phc};
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

/// Lowest maximum length a tenant may set: long passphrases must always fit.
pub const MIN_MAX_LENGTH: u32 = 64;

pub use ea_api::CharClass;

/// A tenant's password rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    /// In characters, after NFKC.
    pub min_length: u32,
    pub max_length: u32,
    pub required_classes: Vec<CharClass>,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 12,
            max_length: 128,
            required_classes: Vec::new(),
        }
    }
}

/// One broken rule.
pub use ea_api::PasswordViolation as Violation;

impl PasswordPolicy {
    /// Checks that the policy itself is sound (an administrator's settings).
    pub fn validate(&self) -> Result<(), String> {
        if self.min_length < 8 {
            return Err("min_length must be at least 8".into());
        }
        if self.max_length < MIN_MAX_LENGTH {
            return Err(format!("max_length must be at least {MIN_MAX_LENGTH}"));
        }
        if self.max_length < self.min_length || self.max_length > 1024 {
            return Err("max_length must be between min_length and 1024".into());
        }
        Ok(())
    }

    /// Every rule `password` breaks, in a stable order; empty when it is acceptable.
    pub fn check(&self, password: &str, username: &str, tenant_names: &[&str]) -> Vec<Violation> {
        let pw: Zeroizing<String> = Zeroizing::new(password.nfkc().collect());
        let lower: Zeroizing<String> = Zeroizing::new(pw.to_lowercase());
        let mut v = Vec::new();
        let len = pw.chars().count() as u32;
        if len < self.min_length {
            v.push(Violation::TooShort);
        }
        if len > self.max_length {
            v.push(Violation::TooLong);
        }
        if pw.chars().any(char::is_control) {
            v.push(Violation::ControlCharacters);
        }
        let contains = |needle: &str| {
            let n = needle.trim().to_lowercase();
            n.chars().count() >= 3 && lower.contains(&n)
        };
        if contains(username)
            || username
                .split(['.', '_', '-', '@', ' '])
                .any(|part| part.chars().count() >= 4 && contains(part))
        {
            v.push(Violation::ContainsUsername);
        }
        if tenant_names.iter().any(|t| contains(t)) {
            v.push(Violation::ContainsTenantName);
        }
        // A password too short is told so; its guessability is judged once the length fits.
        if is_common(&lower) || (len >= self.min_length && guessable(&pw, username, tenant_names)) {
            v.push(Violation::Common);
        }
        for class in &self.required_classes {
            let has = match class {
                CharClass::Lowercase => pw.chars().any(char::is_lowercase),
                CharClass::Uppercase => pw.chars().any(char::is_uppercase),
                CharClass::Digit => pw.chars().any(|c| c.is_ascii_digit()),
                CharClass::Symbol => pw
                    .chars()
                    .any(|c| !c.is_alphanumeric() && !c.is_whitespace()),
            };
            if !has {
                v.push(match class {
                    CharClass::Lowercase => Violation::MissingLowercase,
                    CharClass::Uppercase => Violation::MissingUppercase,
                    CharClass::Digit => Violation::MissingDigit,
                    CharClass::Symbol => Violation::MissingSymbol,
                });
            }
        }
        v
    }
}

fn blocklist() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// zxcvbn's estimate (dictionaries of passwords, words and names, keyboard walks, dates,
/// repeats, sequences, substitutions, and the user's own name and organisation) puts it below
/// 10^8 guesses: an attacker with the hash, or a patient one online, finds it. Only the first
/// 100 characters are judged (zxcvbn's cost grows with length, and more characters only add
/// strength).
fn guessable(pw: &str, username: &str, tenant_names: &[&str]) -> bool {
    let head: Zeroizing<String> = Zeroizing::new(pw.chars().take(100).collect());
    let mut inputs: Vec<&str> = vec![username];
    inputs.extend(username.split(['.', '_', '-', '@', ' ']));
    inputs.extend_from_slice(tenant_names);
    zxcvbn::zxcvbn(&head, &inputs).score() < zxcvbn::Score::Three
}

/// Undoes the usual letter substitutions (`p@ssw0rd`).
fn deleet(c: char) -> char {
    match c {
        '0' => 'o',
        '1' | '!' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        _ => c,
    }
}

/// Listed as is, listed once substitutions are undone and digits/symbols trimmed from both ends,
/// a doubled listed word, or a run of one character or of consecutive digits.
fn is_common(lower: &str) -> bool {
    let list = blocklist();
    if list.contains(lower) {
        return true;
    }
    let stem_of = |s: &str| {
        s.trim_matches(|c: char| !c.is_alphabetic())
            .replace(char::is_whitespace, "")
    };
    let plain = stem_of(lower);
    // Trim first (so trailing "2024!" stays digits), then undo substitutions inside the word.
    let inner = lower.trim_matches(|c: char| !c.is_alphabetic());
    let leet = stem_of(&inner.chars().map(deleet).collect::<String>());
    for stem in [&plain, &leet] {
        if list.contains(stem.as_str()) {
            return true;
        }
        let half = stem.len() / 2;
        if stem.len() >= 8
            && stem.is_char_boundary(half)
            && stem[..half] == stem[half..]
            && list.contains(&stem[..half])
        {
            return true;
        }
    }
    let chars: Vec<char> = lower.chars().collect();
    let one_char = chars.windows(2).all(|w| w[0] == w[1]);
    let digits: Vec<u32> = chars.iter().filter_map(|c| c.to_digit(10)).collect();
    let sequence = digits.len() == chars.len()
        && (digits.windows(2).all(|w| (w[0] + 1) % 10 == w[1])
            || digits.windows(2).all(|w| (w[1] + 1) % 10 == w[0]));
    one_char || sequence
}

/// Hashes a password (after NFKC) as an Argon2id PHC string.
pub fn hash(password: &str, cost: HashCost, rng: &mut dyn RngCore) -> Option<String> {
    let pw: Zeroizing<String> = Zeroizing::new(password.nfkc().collect());
    argon2_phc(pw.as_bytes(), cost, rng)
}

/// Checks a password against a stored hash.
pub fn verify(password: &str, phc: &str) -> bool {
    let pw: Zeroizing<String> = Zeroizing::new(password.nfkc().collect());
    crate::answers::verify_phc(pw.as_bytes(), phc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    fn codes(p: &PasswordPolicy, pw: &str) -> Vec<&'static str> {
        p.check(pw, "alice.smith", &["acme", "Acme Corporation"])
            .iter()
            .map(|v| v.as_str())
            .collect()
    }

    #[test]
    fn every_violation_is_reported_at_once() {
        let p = PasswordPolicy {
            required_classes: vec![CharClass::Uppercase, CharClass::Digit, CharClass::Symbol],
            ..Default::default()
        };
        assert_eq!(
            codes(&p, "alice"),
            vec![
                "too_short",
                "contains_username",
                "missing_uppercase",
                "missing_digit",
                "missing_symbol"
            ]
        );
        assert_eq!(codes(&p, "Purple-Horse-Battery-7"), Vec::<&str>::new());
        assert_eq!(
            codes(&PasswordPolicy::default(), "tall purple horses graze"),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn table_of_rules() {
        let p = PasswordPolicy::default();
        let cases: &[(&str, &[&str])] = &[
            ("short", &["too_short"]),
            ("Password1234!", &["common"]),
            ("P@ssw0rd2024!!", &["common"]),
            ("qwertyuiop12", &["common"]),
            ("123456789012", &["common"]),
            ("999999999999", &["common"]),
            ("monkeymonkey", &["common"]),
            ("smith-is-my-name!", &["contains_username"]),
            ("i work at ACME inc", &["contains_tenant_name"]),
            ("line\nbreak password", &["control_characters"]),
            ("correct horse monkey staple", &[]),
        ];
        for (pw, want) in cases {
            assert_eq!(codes(&p, pw), want.to_vec(), "{pw:?}");
        }
        let long = "x".repeat(129);
        assert!(codes(&p, &long).contains(&"too_long"));
        let fits = "correct horse ".repeat(9);
        assert!(
            !codes(&p, &fits).contains(&"too_long"),
            "up to 128 characters, no truncation"
        );
    }

    /// Twelve characters or more, beyond the shipped list, and still found quickly by anyone who
    /// tries: keyboard walks, repeats, dates and phrases.
    const GUESSABLE: [&str; 12] = [
        "1qaz2wsx3edc",
        "zaq12wsxcde3",
        "mnbvcxzlkjhg",
        "poiuytrewq12",
        "1q2w3e4r5t6y",
        "qweasdzxc123",
        "0okm9ijn8uhb",
        "asdf1234asdf",
        "trustno1trustno1",
        "aaaabbbbcccc",
        "19901990abab",
        "ilovejesus77",
    ];

    #[test]
    fn guessable_passwords_the_list_misses_are_refused() {
        let p = PasswordPolicy::default();
        let missed_by_list = GUESSABLE
            .iter()
            .filter(|pw| !is_common(&pw.to_lowercase()))
            .count();
        assert_eq!(
            missed_by_list,
            GUESSABLE.len(),
            "all are beyond the shipped list"
        );
        for pw in GUESSABLE {
            assert_eq!(codes(&p, pw), vec!["common"], "{pw:?}");
        }
        // Random words and long passphrases stay accepted.
        for pw in [
            "violet staple orbit canyon",
            "Purple-Horse-Battery-7",
            "another good passphrase",
            "correct horse monkey staple",
            "gravel quantum tulip 48",
        ] {
            assert_eq!(codes(&p, pw), Vec::<&str>::new(), "{pw:?}");
        }
    }

    #[test]
    fn length_counts_characters_after_nfkc() {
        let p = PasswordPolicy {
            min_length: 12,
            ..Default::default()
        };
        // Twelve full-width letters are twelve characters (36 bytes).
        assert!(!codes(&p, "ｂｌｕｅｔｒａｉｎｓｏｎｇ").contains(&"too_short"));
    }

    #[test]
    fn policy_validation() {
        assert!(PasswordPolicy::default().validate().is_ok());
        assert!(
            PasswordPolicy {
                max_length: 32,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            PasswordPolicy {
                min_length: 6,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn hashes_are_argon2id_after_nfkc_without_truncation() {
        let mut rng = StdRng::seed_from_u64(5);
        let h = hash("ｐａｓｓ phrase long enough", HashCost::TEST, &mut rng).expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("pass phrase long enough", &h));
        let long = "a".repeat(200);
        let h = hash(&long, HashCost::TEST, &mut rng).expect("hash");
        assert!(!verify(&"a".repeat(199), &h), "every character counts");
    }
}
