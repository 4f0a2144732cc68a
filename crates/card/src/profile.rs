//! Card profiles are data: which application to select, which key and PIN references, how long
//! challenges are, and the PIN rules. Shipped profiles live in `crates/card/profiles/*.toml`.

use serde::Deserialize;

/// A card profile.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    /// Application identifier, hex.
    pub aid: String,
    pub admin_key_ref: u8,
    pub pin_ref: u8,
    pub challenge_len: u8,
    pub legacy: bool,
    pub pin: PinRules,
}

/// What a PIN of this profile may look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinRules {
    pub min_length: u8,
    pub max_length: u8,
    pub digits_only: bool,
    /// PINs are padded with 0xFF to this length.
    pub block_len: u8,
}

const SHIPPED: [(&str, &str); 2] = [
    ("iso7816", include_str!("../profiles/iso7816.toml")),
    (
        "iso7816-legacy",
        include_str!("../profiles/iso7816-legacy.toml"),
    ),
];

/// Why a profile file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct ProfileError {
    pub file: String,
    pub reason: String,
}

impl Profile {
    /// Parses and checks a profile.
    pub fn from_toml(file: &str, text: &str) -> Result<Profile, ProfileError> {
        let err = |reason: String| ProfileError {
            file: file.to_owned(),
            reason,
        };
        let p: Profile = toml::from_str(text).map_err(|e| err(e.message().to_owned()))?;
        let aid = hex::decode(&p.aid).map_err(|_| err("aid: not hex".into()))?;
        if !(5..=16).contains(&aid.len()) {
            return Err(err("aid: must be 5 to 16 bytes".into()));
        }
        if ![8, 16].contains(&p.challenge_len) {
            return Err(err("challenge_len: must be 8 (3DES) or 16 (AES)".into()));
        }
        if p.challenge_len == 8 && !p.legacy {
            return Err(err(
                "challenge_len: 8-byte (3DES) challenges need legacy = true".into(),
            ));
        }
        let r = p.pin;
        if r.min_length == 0
            || r.min_length > r.max_length
            || r.max_length > r.block_len
            || r.block_len > 16
        {
            return Err(err(
                "pin: need 1 <= min_length <= max_length <= block_len <= 16".into(),
            ));
        }
        Ok(p)
    }

    /// A shipped profile by name.
    pub fn named(name: &str) -> Option<Profile> {
        SHIPPED
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(n, text)| Profile::from_toml(n, text).ok())
    }

    /// The default profile, `iso7816`.
    pub fn iso7816() -> Profile {
        // The shipped file is checked by the tests below; parsing it cannot fail at run time.
        Profile::named("iso7816")
            .unwrap_or_else(|| unreachable!("shipped profile iso7816 is valid"))
    }

    pub fn aid_bytes(&self) -> Vec<u8> {
        hex::decode(&self.aid).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_profiles_are_valid() {
        for (name, text) in SHIPPED {
            let p = Profile::from_toml(name, text).expect("valid");
            assert_eq!(p.name, name);
        }
        assert_eq!(Profile::iso7816().challenge_len, 16);
        assert!(Profile::named("iso7816-legacy").is_some_and(|p| p.legacy && p.challenge_len == 8));
        assert!(Profile::named("nope").is_none());
    }

    #[test]
    fn bad_profiles_are_refused_with_a_reason() {
        let good = SHIPPED[0].1;
        let cases = [
            (
                good.replace("challenge_len = 16", "challenge_len = 8"),
                "legacy",
            ),
            (
                good.replace("challenge_len = 16", "challenge_len = 12"),
                "challenge_len",
            ),
            (good.replace("F04541000001", "F0Z5"), "aid"),
            (good.replace("max_length = 8", "max_length = 4"), "pin"),
            (
                good.replace("legacy = false", "legacy = false\ncolour = 1"),
                "unknown field",
            ),
        ];
        for (text, needle) in cases {
            let e = Profile::from_toml("p.toml", &text).expect_err(needle);
            assert!(e.to_string().contains(needle), "{e}");
        }
    }
}
