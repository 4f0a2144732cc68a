//! Builds the engine's view of a user from the store, or a decoy for names that do not exist
//! (or are disabled), so both paths do the same work and give the same shape of answer.

use crate::error::ServiceError;
use crate::state::AppState;
use ea_core::contact::{self, ContactKind};
use ea_core::session::{Subject, SubjectQuestion, TotpEnrolment};
use ea_core::totp::TotpParams;
use ea_store::tenants::Tenant;
use ea_store::users::UserRecord;
use zeroize::Zeroizing;

/// Questions shown to unknown users when the tenant has none of its own yet.
const FALLBACK_QUESTIONS: [&str; 4] = [
    "What was the name of your first pet?",
    "In which city were you born?",
    "What was the name of your first school?",
    "What is your favourite book?",
];

/// The associated data that binds a sealed TOTP seed to its owner.
pub fn totp_aad(tenant: &str, username: &str) -> String {
    format!("totp:{tenant}:{username}")
}

pub fn build(
    state: &AppState,
    tenant: &Tenant,
    username: &str,
    user: Option<&UserRecord>,
    pool: &[String],
) -> Result<Subject, ServiceError> {
    match user {
        Some(u) if !u.disabled => {
            let totp = match &u.totp {
                Some(t) => {
                    let secret = state
                        .keys
                        .kek
                        .open(&totp_aad(&tenant.slug, &u.username), &t.sealed_secret)
                        .map_err(|e| {
                            ServiceError::Internal(format!(
                                "TOTP seed of a user cannot be unsealed: {e}"
                            ))
                        })?;
                    Some(TotpEnrolment {
                        secret,
                        params: t.params,
                        counters: t.counters,
                    })
                }
                None => None,
            };
            Ok(Subject {
                known: true,
                phones: u.phones.clone(),
                emails: u.emails.clone(),
                questions: u.questions.clone(),
                totp,
                default_country: tenant.default_country.clone(),
            })
        }
        _ => Ok(decoy(state, tenant, username, pool)),
    }
}

fn decoy(state: &AppState, tenant: &Tenant, username: &str, pool: &[String]) -> Subject {
    let key = state.keys.decoy_key.as_ref();
    let mut texts: Vec<&str> = if pool.len() >= 3 {
        pool.iter().map(String::as_str).collect()
    } else {
        FALLBACK_QUESTIONS.to_vec()
    };
    // A keyed, stable shuffle: the same decoy questions for the same name, without repeats.
    texts.sort_by_cached_key(|t| {
        contact::keyed_digest(key, &["decoy-question", &tenant.slug, username, t])
    });
    let questions = texts
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, text)| SubjectQuestion {
            id: -(i as i64) - 1,
            text: (*text).to_owned(),
            answer_hash: state.dummy_hash.clone(),
        })
        .collect();
    let seed = contact::keyed_digest(key, &["decoy-totp", &tenant.slug, username]);
    Subject {
        known: false,
        phones: contact::decoys(key, &tenant.slug, username, ContactKind::Phone),
        emails: contact::decoys(key, &tenant.slug, username, ContactKind::Email),
        questions,
        totp: Some(TotpEnrolment {
            secret: Zeroizing::new(seed[..20].to_vec()),
            params: TotpParams::default(),
            counters: Default::default(),
        }),
        default_country: tenant.default_country.clone(),
    }
}
