//! Bearer credentials as the service sees them: hashed at the door, so no handler or service
//! function ever holds a session token or a relying party's key.

use sha2::{Digest, Sha256};

/// Prefix of relying-party API keys, so a leaked key is recognisable.
pub const RELYING_PARTY_KEY_PREFIX: &str = "ea_rp_";

/// The session's bearer token, already hashed.
#[derive(Debug, Clone)]
pub struct SessionToken {
    pub hash: String,
}

impl SessionToken {
    pub fn hash_of(token: &str) -> String {
        hex::encode(Sha256::digest(token.as_bytes()))
    }

    /// Tokens are 43 base64url characters; anything else cannot be one of ours.
    pub fn parse(token: &str) -> Option<SessionToken> {
        let well_formed = token.len() == 43
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| SessionToken {
            hash: Self::hash_of(token),
        })
    }

    /// A short reference for logs and the audit log.
    pub fn reference(&self) -> String {
        self.hash[..12].to_owned()
    }
}

/// An enrolment's bearer token, already hashed (the same form as a session's, another table).
#[derive(Debug, Clone)]
pub struct EnrolmentToken(pub SessionToken);

/// The calling relying party, identified by the hash of its API key.
#[derive(Debug, Clone)]
pub struct RelyingPartyKey {
    pub hash: String,
}

impl RelyingPartyKey {
    pub fn parse(key: &str) -> Option<RelyingPartyKey> {
        (key.starts_with(RELYING_PARTY_KEY_PREFIX) && key.len() <= 128).then(|| RelyingPartyKey {
            hash: SessionToken::hash_of(key),
        })
    }
}
