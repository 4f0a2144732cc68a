//! Builds the engine's view of a user from the store, or a decoy for names that do not exist
//! (or are disabled), so both paths do the same work and give the same shape of answer.

use crate::error::ServiceError;
use crate::state::AppState;
use ea_core::Method;
use ea_core::contact::{self, ContactKind, DecoyStyle};
use ea_core::session::{Subject, SubjectQuestion, TotpEnrolment};
use ea_core::totp::TotpParams;
use ea_store::tenants::Tenant;
use ea_store::users::{DecoyMaterial, UserRecord};
use zeroize::Zeroizing;

/// Questions shown in decoys when the tenant's users share too few of their own (a flow asks
/// for at most ten).
const FALLBACK_QUESTIONS: [&str; 10] = [
    "What was the name of your first pet?",
    "In which city were you born?",
    "What was the name of your first school?",
    "What is your favourite book?",
    "What was the make of your first car?",
    "What is your mother's maiden name?",
    "In which street did you grow up?",
    "What was your childhood nickname?",
    "What was the name of your first employer?",
    "Which was your first concert?",
];

/// The engine's subject for `username`: the user's own material where they have it, decoys for
/// the rest (and for unknown or disabled names). The decoy material is read for every name, known
/// or not, so both do the same work.
pub async fn load(
    state: &AppState,
    tenant: &Tenant,
    username: &str,
    user: Option<&UserRecord>,
    flows: &[ea_core::FlowDefinition],
) -> Result<Subject, ServiceError> {
    let material = state.decoy_material(tenant.id).await?;
    build(
        state,
        tenant,
        username,
        user,
        &material,
        questions_needed(flows),
    )
}

/// The most questions any of `flows` asks at once (at least one).
fn questions_needed(flows: &[ea_core::FlowDefinition]) -> usize {
    flows
        .iter()
        .flat_map(|f| &f.steps)
        .filter_map(|s| match s {
            ea_core::Step::Questions(q) => Some(q.count as usize),
            _ => None,
        })
        .max()
        .unwrap_or(1)
}

/// Whether this is the first time (in this process) that user `id`'s damaged secret is seen.
fn warned_once(id: i64) -> bool {
    static SEEN: std::sync::Mutex<Option<std::collections::HashSet<i64>>> =
        std::sync::Mutex::new(None);
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    seen.get_or_insert_with(Default::default).insert(id)
}

/// The associated data that binds a sealed TOTP seed to its owner.
pub fn totp_aad(tenant: &str, username: &str) -> String {
    format!("totp:{tenant}:{username}")
}

fn build(
    state: &AppState,
    tenant: &Tenant,
    username: &str,
    user: Option<&UserRecord>,
    material: &DecoyMaterial,
    questions_needed: usize,
) -> Result<Subject, ServiceError> {
    let mut decoy = decoy(state, tenant, username, material);
    let Some(u) = user.filter(|u| !u.disabled) else {
        return Ok(decoy);
    };
    // A seed that does not open (damaged, or sealed under another key) fails closed: the
    // authenticator is treated as not enrolled (a decoy that never succeeds), so no code is ever
    // accepted for it, while the user's other factors still work. Operators see it in the log.
    let totp = u.totp.as_ref().and_then(|t| {
        match state
            .keys
            .kek
            .open(&totp_aad(&tenant.slug, &u.username), &t.sealed_secret)
        {
            Ok(secret) => Some(TotpEnrolment {
                secret,
                params: t.params,
                counters: t.counters,
            }),
            Err(e) => {
                // Once per user and process: anyone can start sessions for the name.
                if warned_once(u.id) {
                    tracing::error!(tenant = %tenant.slug, user_id = u.id, error = %e, "an authenticator secret cannot be unsealed; the authenticator is refused");
                }
                None
            }
        }
    });
    // What the user is not enrolled for is the decoy's: the same choices and shapes as anyone's.
    let mut missing = Vec::new();
    let phones = if u.phones.is_empty() {
        missing.push(Method::SmsOtp);
        std::mem::take(&mut decoy.phones)
    } else {
        u.phones.clone()
    };
    let emails = if u.emails.is_empty() {
        missing.push(Method::EmailOtp);
        std::mem::take(&mut decoy.emails)
    } else {
        u.emails.clone()
    };
    // Fewer questions than some flow asks for: the decoy's (never mixed), as an unknown name
    // would have, so that no flow tells who lacks them.
    let questions = if u.questions.len() < questions_needed {
        missing.push(Method::Questions);
        std::mem::take(&mut decoy.questions)
    } else {
        u.questions.clone()
    };
    let totp = match totp {
        Some(t) => Some(t),
        None => {
            missing.push(Method::Totp);
            decoy.totp.take()
        }
    };
    Ok(Subject {
        known: true,
        decoy: missing,
        phones,
        emails,
        questions,
        totp,
        default_country: tenant.default_country.clone(),
    })
}

fn decoy(state: &AppState, tenant: &Tenant, username: &str, m: &DecoyMaterial) -> Subject {
    let key = state.keys.decoy_key.as_ref();
    // Only texts several users share, so a decoy never shows one person's own question; topped
    // up from the fallback texts to the ten a flow may ask for.
    let mut texts: Vec<&str> = m.questions.iter().map(String::as_str).collect();
    for f in FALLBACK_QUESTIONS {
        if texts.len() >= FALLBACK_QUESTIONS.len() {
            break;
        }
        if !texts.contains(&f) {
            texts.push(f);
        }
    }
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
    let style = DecoyStyle {
        phones: m.typical_phones,
        emails: m.typical_emails,
        country: tenant.default_country.as_deref(),
        domains: &m.email_domains,
    };
    Subject {
        known: false,
        decoy: vec![
            Method::SmsOtp,
            Method::EmailOtp,
            Method::Questions,
            Method::Totp,
        ],
        phones: contact::decoys(key, &tenant.slug, username, ContactKind::Phone, &style),
        emails: contact::decoys(key, &tenant.slug, username, ContactKind::Email, &style),
        questions,
        totp: Some(TotpEnrolment {
            secret: Zeroizing::new(seed[..20].to_vec()),
            params: TotpParams::default(),
            counters: Default::default(),
        }),
        default_country: tenant.default_country.clone(),
    }
}
