//! Enrolment: users register their own recovery factors.
//!
//! An administrator invites a user (`ea-server invite`): a single-use enrolment code goes to the
//! user's address through the outbox, counted against the tenant's send limits like every code.
//! The user types username and code in the app, then a one-time code sent to that address; from
//! then on the enrolment is open. A user who already completed one of the tenant's recovery flows
//! opens one from that verification instead. Each factor is saved with its proof, in the
//! transaction that records the enrolment's state, the audit event and the notice to every
//! address the user had before the change.

use crate::abuse::{self, Source};
use crate::actions::Notice;
use crate::dispatch::message;
use crate::dispatch::text::{Lang, Wording};
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use crate::subject::totp_aad;
use crate::token::SessionToken;
use crate::{input, verification};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ea_api::*;
use ea_core::contact::{self, ContactKind};
use ea_core::enrolment::{Enrolled, EnrolmentProfile, check_answers, check_removal};
use ea_core::enrolment_session::{CodeToSend, EnrolmentSession};
use ea_core::totp::{TotpCheck, TotpCounters, TotpParams};
use ea_core::{FlowDefinition, otp};
use ea_store::audit::AuditEvent;
use ea_store::tenants::Tenant;
use ea_store::users::UserRecord;
use ea_store::{StoreError, audit, enrolments, outbox, tenants, users};
use rand::RngCore;
use serde_json::json;
use zeroize::Zeroizing;

/// Wrong codes an invitation takes before it ends.
pub const INVITATION_ATTEMPTS: i32 = 5;
/// How long an invitation is valid unless the administrator says otherwise.
pub const INVITATION_DAYS: i64 = 7;
/// Enrolment codes are written with these letters and digits (no 0/O, 1/I): 5 bits each.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Characters of an enrolment code (60 bits).
const CODE_CHARS: usize = 12;
/// Authenticator secrets: 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
/// Codes of the new authenticator accepted this many steps either side.
const TOTP_WINDOW: u32 = 1;

/// A fresh enrolment code, `XXXX-XXXX-XXXX`.
pub fn new_code(rng: &mut dyn RngCore) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(CODE_CHARS + 2));
    for i in 0..CODE_CHARS {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        // 256 is a multiple of 32: every letter equally likely.
        let b = (rng.next_u32() & 0xff) as usize;
        out.push(char::from(CODE_ALPHABET[b % CODE_ALPHABET.len()]));
    }
    out
}

/// A typed enrolment code as it was made: upper case, without spaces and dashes.
fn canonical(typed: &str) -> Zeroizing<String> {
    Zeroizing::new(
        typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_uppercase)
            .collect(),
    )
}

fn invitation_binding(user_id: i64) -> String {
    format!("invite:{user_id}")
}

/// What an invitation sent.
pub struct Invited {
    /// The code (for an administrator who hands it over in person; the message carries it too).
    pub code: Zeroizing<String>,
    /// The address it went to, masked.
    pub to: String,
    pub expires_at: i64,
    /// Whether the user was created for it.
    pub created: bool,
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Invites `username` (created without factors when the tenant has no directory, `has_directory`,
/// and no such user) to enrol: a new code replaces any earlier invitation's, and goes to `email`
/// or the user's first address.
pub async fn invite(
    state: &AppState,
    tenant: &Tenant,
    has_directory: bool,
    username: &str,
    email: Option<&str>,
    language: Option<&str>,
    valid_days: i64,
) -> anyhow::Result<Invited> {
    if tenant.enrolment.is_none() {
        anyhow::bail!(
            "tenant {} has no enrolment profile: set one first with `ea-server enrolment profile {} FILE`",
            tenant.slug,
            tenant.slug
        );
    }
    if !(1..=90).contains(&valid_days) {
        anyhow::bail!("--valid-days: from 1 to 90");
    }
    let username = users::normalize_username(username);
    input::text("username", &username, limits::USERNAME).map_err(describe)?;
    let db = state.store.db();
    let now = state.now();
    let mut user = users::find(db, tenant.id, &username).await?;
    let mut created = false;
    if user.is_none() {
        if has_directory {
            anyhow::bail!(
                "no user {username:?} in tenant {}: its users come from the directory (run `ea-server user sync --tenant {}`)",
                tenant.slug,
                tenant.slug
            );
        }
        let new = users::NewUser {
            username: username.clone(),
            display_name: username.clone(),
            phones: vec![],
            emails: vec![],
            questions: vec![],
            totp: None,
        };
        users::put(db, tenant.id, new, now).await?;
        user = users::find(db, tenant.id, &username).await?;
        created = true;
    }
    let user = user.ok_or_else(|| anyhow::anyhow!("user {username:?} was not stored"))?;
    if user.disabled {
        anyhow::bail!("user {username:?} is disabled: enable the account first");
    }
    let address = match email {
        Some(e) => contact::normalize_email(e)
            .map_err(|_| anyhow::anyhow!("--email: {e:?} is not an e-mail address"))?,
        None => user.emails.first().cloned().ok_or_else(|| {
            anyhow::anyhow!("user {username:?} has no e-mail address: give one with --email")
        })?,
    };
    let code = new_code(&mut rand::rng());
    let expires_at = now + valid_days * 86_400;
    let txn = state.store.begin().await?;
    verification::send_lock(state, &txn, tenant)
        .await
        .map_err(describe)?;
    let mine: Vec<String> = user.phones.iter().chain(&user.emails).cloned().collect();
    verification::check_code_limits(&txn, tenant, &address, &mine, now)
        .await
        .map_err(describe)?;
    let inv = enrolments::NewInvitation {
        tenant_id: tenant.id,
        user_id: user.id,
        code_hash: otp::hash(
            state.keys.code_key.as_ref(),
            &invitation_binding(user.id),
            &canonical(&code),
        ),
        address: address.clone(),
        expires_at,
    };
    let id = enrolments::invite(&txn, inv, now).await?;
    let link = format!(
        "emergency-access://enrol?tenant={}&username={}",
        tenant.slug,
        url_escape(&username)
    );
    let text =
        Wording::for_tenant(tenant, language).invitation(&username, &code, &link, valid_days);
    message::enqueue(
        &txn,
        &state.keys.kek,
        message::To {
            tenant_id: tenant.id,
            kind: ContactKind::Email,
            destination: &address,
            purpose: outbox::Purpose::Code,
        },
        &text,
        now,
    )
    .await?;
    let to = contact::mask(ContactKind::Email, &address);
    let ev = AuditEvent {
        tenant_id: Some(tenant.id),
        event: "invitation_sent".into(),
        username: Some(username.clone()),
        session_ref: None,
        detail: json!({ "invitation": id, "to": to, "expires_at": expires_at, "created": created }),
    };
    audit::record(&txn, ev, now).await?;
    txn.commit().await?;
    state.outbox_ready.notify_one();
    Ok(Invited {
        code,
        to,
        expires_at,
        created,
    })
}

impl std::fmt::Debug for Invited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invited")
            .field("to", &self.to)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A service refusal in words, for the command line.
fn describe(e: ServiceError) -> anyhow::Error {
    match e.code() {
        ErrorCode::SendLimitReached { retry_after } => anyhow::anyhow!(
            "the tenant's send limit is reached for this address, user or tenant: try again in {retry_after} s"
        ),
        ErrorCode::InvalidField { field, reason, .. } => {
            anyhow::anyhow!("{field}: {}", reason.as_str().replace('_', " "))
        }
        _ => anyhow::anyhow!("{e}"),
    }
}

/// An enrolment with everything around it.
#[derive(Debug)]
struct Loaded {
    session: EnrolmentSession,
    version: i64,
    tenant: Tenant,
    profile: EnrolmentProfile,
    flows: Vec<FlowDefinition>,
    user: UserRecord,
    /// The server's clock when the request loaded it.
    now: i64,
}

fn profile_of(t: &Tenant) -> ServiceResult<EnrolmentProfile> {
    t.enrolment
        .clone()
        .ok_or_else(|| ErrorCode::EnrolmentUnavailable {}.into())
}

fn enrolled(u: &UserRecord) -> Enrolled {
    Enrolled {
        phones: u.phones.len(),
        emails: u.emails.len(),
        authenticator: u.totp.is_some(),
        questions: u.questions.len(),
    }
}

fn new_token() -> (String, SessionToken) {
    let mut raw = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(raw.as_mut());
    let token = URL_SAFE_NO_PAD.encode(raw.as_ref());
    let st = SessionToken {
        hash: SessionToken::hash_of(&token),
    };
    (token, st)
}

fn event(
    l_tenant: i64,
    user: &str,
    token: &SessionToken,
    name: &str,
    d: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        tenant_id: Some(l_tenant),
        event: name.to_owned(),
        username: Some(user.to_owned()),
        session_ref: Some(token.reference()),
        detail: d,
    }
}

/// Queues a code in `txn` under the tenant's send limits.
async fn queue_code(
    state: &AppState,
    txn: &ea_store::DatabaseTransaction,
    tenant: &Tenant,
    user: &UserRecord,
    out: &CodeToSend,
    language: Option<&str>,
    now: i64,
) -> ServiceResult<i64> {
    if !state.can_deliver(&tenant.slug, out.kind) {
        return Err(ErrorCode::DeliveryUnavailable { channel: out.kind }.into());
    }
    verification::send_lock(state, txn, tenant).await?;
    let mine: Vec<String> = user.phones.iter().chain(&user.emails).cloned().collect();
    verification::check_code_limits(txn, tenant, &out.destination, &mine, now).await?;
    // Codes to numbers and addresses never confirmed are not the user's contacts, so the
    // per-user limit above does not see them: enrolment codes are also counted by user, in
    // this transaction (a refused code takes its count back with it).
    let key = format!("{}:enrol", abuse::user_key(tenant.id, &user.username));
    let sent = ea_store::counters::hit(txn, abuse::ENROL_SENDS, &key, now).await?;
    if sent.count > u64::from(tenant.limits.send.per_user_per_hour) {
        return Err(ErrorCode::SendLimitReached {
            retry_after: sent.retry_after(now),
        }
        .into());
    }
    let text =
        Wording::for_tenant(tenant, language).code(out.kind, &out.code, out.expires_at - now);
    Ok(message::enqueue(
        txn,
        &state.keys.kek,
        message::To {
            tenant_id: tenant.id,
            kind: out.kind,
            destination: &out.destination,
            purpose: outbox::Purpose::Code,
        },
        &text,
        now,
    )
    .await?)
}

/// `POST /v1/enrolments`: the invitation's code opens an enrolment, and a code goes to the
/// invited address. A wrong code, an unknown user and a used or expired invitation are refused
/// alike.
pub async fn start(
    state: &AppState,
    r: &StartEnrolmentRequest,
    source: Source,
) -> ServiceResult<EnrolmentStarted> {
    input::text("tenant", &r.tenant, limits::TENANT)?;
    input::text("username", &r.username, limits::USERNAME)?;
    input::text("code", &r.code, limits::CODE)?;
    let db = state.store.db();
    let tenant = tenants::by_slug(db, r.tenant.trim())
        .await?
        .ok_or(ErrorCode::TenantUnknown {})?;
    let profile = profile_of(&tenant)?;
    let username = users::normalize_username(&r.username);
    let familiar = crate::lockout::is_familiar(state, tenant.id, &username, source).await?;
    let limit = tenant.limits.requests.starts_per_user_per_hour;
    abuse::charge_user(
        state,
        abuse::STARTS,
        tenant.id,
        &format!("enrol:{username}"),
        familiar,
        limit,
    )
    .await?;
    let now = state.now();
    let user = users::find(db, tenant.id, &username).await?;
    // The same queries for a name that does not exist (on an id no row has), so the time taken
    // does not tell the two apart.
    let invitation =
        enrolments::open_invitation(db, user.as_ref().map_or(-1, |u| u.id), now).await?;
    let typed = canonical(&r.code);
    let key = state.keys.code_key.as_ref();
    let (user, invitation) = match (user, invitation) {
        (Some(u), Some(inv))
            if otp::matches(key, &invitation_binding(u.id), &typed, &inv.code_hash) =>
        {
            (u, inv)
        }
        (u, inv) => {
            // The same work for every refusal: one keyed hash compared.
            let _ = otp::matches(key, "invite:-", &typed, &"0".repeat(64));
            let txn = state.store.begin().await?;
            let id = inv.as_ref().map_or(-1, |i| i.id);
            enrolments::invitation_failed(&txn, id, INVITATION_ATTEMPTS, now).await?;
            let detail =
                json!({ "known_user": u.is_some(), "invitation": inv.as_ref().map(|i| i.id) });
            let ev = AuditEvent {
                tenant_id: Some(tenant.id),
                event: "enrolment_code_refused".into(),
                username: Some(username.clone()),
                session_ref: None,
                detail,
            };
            audit::record(&txn, ev, now).await?;
            txn.commit().await.map_err(StoreError::from)?;
            return Err(ErrorCode::EnrolmentCodeInvalid {}.into());
        }
    };
    if user.disabled {
        return Err(ErrorCode::AccountDisabled {}.into());
    }
    let (token, st) = new_token();
    let mut session = EnrolmentSession::new("invitation", Some(invitation.address.clone()), now);
    session.language = Lang::stored(r.language.as_deref());
    let language = session.language.clone();
    let out = session.resend(key, &st.reference(), now, &mut rand::rng())?;
    let txn = state.store.begin().await?;
    // The sending lock first, as `invite` takes it before the invitation rows.
    verification::send_lock(state, &txn, &tenant).await?;
    // Used once: of two requests with the same code, one gets here.
    enrolments::end_invitation(&txn, invitation.id, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => ErrorCode::EnrolmentCodeInvalid {}.into(),
            e => ServiceError::from(e),
        })?;
    let outbox_id = queue_code(state, &txn, &tenant, &user, &out, language.as_deref(), now).await?;
    enrolments::insert(&txn, &st.hash, tenant.id, user.id, &session).await?;
    let detail =
        json!({ "entry": "invitation", "invitation": invitation.id, "outbox_id": outbox_id });
    audit::record(
        &txn,
        event(tenant.id, &user.username, &st, "enrolment_started", detail),
        now,
    )
    .await?;
    txn.commit().await.map_err(StoreError::from)?;
    state.outbox_ready.notify_one();
    let flows = tenants::flows(db, tenant.id).await?;
    let l = Loaded {
        session,
        version: 0,
        tenant,
        profile,
        flows,
        user,
        now,
    };
    Ok(EnrolmentStarted {
        token,
        enrolment: view(&l),
    })
}

/// Tries with one's directory password per user and hour (each also counts in the directory's
/// own lockout policy).
pub const PASSWORD_TRIES_PER_HOUR: u32 = 10;

/// `POST /v1/enrolments/directory`: where the tenant's accounts live in an LDAP directory, the
/// user's directory password (checked with a bind as the account) opens an enrolment.
pub async fn start_with_password(
    state: &AppState,
    tenant: &str,
    username: &str,
    password: &str,
    language: Option<&str>,
    source: Source,
) -> ServiceResult<EnrolmentStarted> {
    input::text("tenant", tenant, limits::TENANT)?;
    input::text("username", username, limits::USERNAME)?;
    if password.chars().count() > limits::PASSWORD {
        return Err(ErrorCode::invalid_field(
            "password",
            FieldProblem::TooLong,
            Some(limits::PASSWORD),
        )
        .into());
    }
    if password.is_empty() {
        return Err(ErrorCode::invalid_field("password", FieldProblem::Empty, None).into());
    }
    let db = state.store.db();
    let tenant = tenants::by_slug(db, tenant.trim())
        .await?
        .ok_or(ErrorCode::TenantUnknown {})?;
    let profile = profile_of(&tenant)?;
    let directory = state
        .ldap(&tenant.slug)
        .cloned()
        .ok_or(ErrorCode::EnrolmentUnavailable {})?;
    let username = users::normalize_username(username);
    let familiar = crate::lockout::is_familiar(state, tenant.id, &username, source).await?;
    let key = format!("enrol-password:{username}");
    abuse::charge_user(
        state,
        abuse::STARTS,
        tenant.id,
        &key,
        familiar,
        PASSWORD_TRIES_PER_HOUR,
    )
    .await?;
    let user = users::find(db, tenant.id, &username).await?;
    let now = state.now();
    let account = directory
        .check_password(&username, password)
        .await
        .map_err(|e| {
            tracing::warn!(tenant = %tenant.slug, error = %e, "directory password not checked");
            ErrorCode::DirectoryUnavailable {}
        })?;
    // The account that answered must be the one this user was read from.
    let user = match (user, account) {
        (Some(u), Some(a)) if u.directory_id.as_ref().is_none_or(|id| *id == a.id) => u,
        (u, _) => {
            let ev = AuditEvent {
                tenant_id: Some(tenant.id),
                event: "enrolment_password_refused".into(),
                username: Some(username.clone()),
                session_ref: None,
                detail: json!({ "known_user": u.is_some() }),
            };
            audit::record(db, ev, now).await?;
            return Err(ErrorCode::DirectoryPasswordWrong {}.into());
        }
    };
    if user.disabled {
        return Err(ErrorCode::AccountDisabled {}.into());
    }
    let (token, st) = new_token();
    let mut session = EnrolmentSession::new("directory", None, now);
    session.language = Lang::stored(language);
    let txn = state.store.begin().await?;
    enrolments::insert(&txn, &st.hash, tenant.id, user.id, &session).await?;
    let detail = json!({ "entry": "directory" });
    audit::record(
        &txn,
        event(tenant.id, &user.username, &st, "enrolment_started", detail),
        now,
    )
    .await?;
    txn.commit().await.map_err(StoreError::from)?;
    let flows = tenants::flows(db, tenant.id).await?;
    let l = Loaded {
        session,
        version: 0,
        tenant,
        profile,
        flows,
        user,
        now,
    };
    Ok(EnrolmentStarted {
        token,
        enrolment: view(&l),
    })
}

/// `POST /v1/session/enrolment`: a completed verification whose flow permits `manage_recovery`
/// opens one enrolment for its user (the action is spent), ending when the verification does.
pub async fn after_verification(
    state: &AppState,
    token: &SessionToken,
) -> ServiceResult<EnrolmentStarted> {
    use crate::actions::{Outcome, claim, finish, precheck, verified};
    let action = ea_core::Action::ManageRecovery;
    let (l, user) = verified(state, token).await?;
    precheck(state, &l, action, state.now())?;
    let profile = profile_of(&l.tenant)?;
    let (l, user) = claim(state, token, (l, user), action, None).await?;
    let now = state.now();
    let (new, st) = new_token();
    let mut session = EnrolmentSession::new("verification", None, now);
    session.language = l.session.language.clone();
    session.expires_at = session.expires_at.min(l.session.expires_at);
    let txn = state.store.begin().await?;
    enrolments::insert(&txn, &st.hash, l.tenant.id, user.id, &session).await?;
    let flow = l.session.flow.as_ref().map(|f| f.id.clone());
    let detail =
        json!({ "entry": "verification", "verification": token.reference(), "flow": flow });
    audit::record(
        &txn,
        event(
            l.tenant.id,
            &user.username,
            &st,
            "enrolment_started",
            detail,
        ),
        now,
    )
    .await?;
    txn.commit().await.map_err(StoreError::from)?;
    let outcome = Outcome {
        succeeded: true,
        notice: None,
        detail: json!({ "enrolment": st.reference() }),
    };
    let (tenant, flows) = (l.tenant.clone(), l.flows.clone());
    finish(state, token, (l, &user), action, outcome).await?;
    let e = Loaded {
        session,
        version: 0,
        tenant,
        profile,
        flows,
        user,
        now,
    };
    Ok(EnrolmentStarted {
        token: new,
        enrolment: view(&e),
    })
}

async fn load(
    state: &AppState,
    conn: &impl ea_store::Conn,
    token: &SessionToken,
) -> ServiceResult<Loaded> {
    let found = enrolments::load(conn, &token.hash)
        .await?
        .ok_or(ErrorCode::SessionUnknown {})?;
    let now = state.now();
    if now >= found.session.expires_at {
        return Err(ErrorCode::SessionExpired {}.into());
    }
    let tenant = tenants::by_id(conn, found.tenant_id)
        .await?
        .ok_or(ErrorCode::SessionUnknown {})?;
    let profile = profile_of(&tenant)?;
    let user = users::by_id(conn, found.user_id)
        .await?
        .ok_or(ErrorCode::SessionUnknown {})?;
    if user.disabled {
        return Err(ErrorCode::AccountDisabled {}.into());
    }
    let flows = tenants::flows(conn, tenant.id).await?;
    Ok(Loaded {
        session: found.session,
        version: found.version,
        tenant,
        profile,
        flows,
        user,
        now,
    })
}

fn masked(kind: ContactKind, values: &[String]) -> Vec<MaskedContact> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| MaskedContact {
            id: i as u32,
            masked: contact::mask(kind, v),
        })
        .collect()
}

fn view(l: &Loaded) -> EnrolmentView {
    let p = &l.profile;
    let s = &l.session;
    EnrolmentView {
        stage: s.stage,
        username: l.user.username.clone(),
        address: s
            .address
            .as_ref()
            .map(|a| contact::mask(ContactKind::Email, a)),
        pending: s
            .pending
            .as_ref()
            .filter(|_| s.stage == EnrolmentStage::Open)
            .map(|c| PendingContactView {
                kind: c.kind,
                masked: contact::mask(c.kind, &c.value),
                code_length: ea_core::enrolment_session::code_length(c.kind),
                code_expires_at: c.expires_at,
                attempts_left: c.attempts_left,
                resend_available_at: c.sent_at
                    + ea_core::enrolment_session::RESEND_COOLDOWN_SECONDS,
            }),
        phones: masked(ContactKind::Phone, &l.user.phones),
        emails: masked(ContactKind::Email, &l.user.emails),
        authenticator: l.user.totp.is_some(),
        questions: l.user.questions.iter().map(|q| q.text.clone()).collect(),
        profile: EnrolmentProfileView {
            phones: ContactRule {
                required: p.phones.required,
                max: p.phones.max,
            },
            emails: ContactRule {
                required: p.emails.required,
                max: p.emails.max,
            },
            authenticator_required: p.authenticator.required,
            questions_required: p.questions.required,
            catalogue: p.questions.catalogue.clone(),
            own_questions: p.questions.own_questions,
            min_answer_length: p.questions.min_answer_length,
        },
        missing: p.missing(&enrolled(&l.user)),
        expires_at: s.expires_at,
        server_time: l.now,
    }
}

/// `GET /v1/enrolment`
pub async fn get(state: &AppState, token: &SessionToken) -> ServiceResult<EnrolmentView> {
    Ok(view(&load(state, state.store.db(), token).await?))
}

/// What one request changes besides the enrolment's own state.
#[derive(Debug, Default)]
struct Effects {
    /// A code to send (to the invited address or a new contact).
    code: Option<CodeToSend>,
    /// The audit event's name and detail.
    audit: Option<(&'static str, serde_json::Value)>,
    /// What changed, for the notice to the addresses the user had before.
    notice: Option<Notice>,
}

/// One change of an enrolment.
enum Op {
    ConfirmAddress(Zeroizing<String>),
    Resend,
    AddContact(AddContactRequest),
    ConfirmContact(Zeroizing<String>),
    RemoveContact(RemoveContactRequest),
    BeginAuthenticator(Vec<u8>),
    ConfirmAuthenticator(Zeroizing<String>),
    RemoveAuthenticator,
    /// The answers as sent (checked again), and `(question, hash)` to store.
    SetAnswers(SetAnswersRequest, Vec<(String, String)>),
}

impl std::fmt::Debug for Op {
    /// The change's name only: codes and answers are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Op::ConfirmAddress(_) => "ConfirmAddress",
            Op::Resend => "Resend",
            Op::AddContact(_) => "AddContact",
            Op::ConfirmContact(_) => "ConfirmContact",
            Op::RemoveContact(_) => "RemoveContact",
            Op::BeginAuthenticator(_) => "BeginAuthenticator",
            Op::ConfirmAuthenticator(_) => "ConfirmAuthenticator",
            Op::RemoveAuthenticator => "RemoveAuthenticator",
            Op::SetAnswers(..) => "SetAnswers",
        })
    }
}

/// Applies `op` to the enrolment and user loaded as `l`, in `txn`.
async fn apply(
    s: &AppState,
    txn: &ea_store::DatabaseTransaction,
    l: &mut Loaded,
    t: &SessionToken,
    op: Op,
) -> ServiceResult<Effects> {
    match op {
        Op::ConfirmAddress(code) => op_confirm_address(s, txn, l, t, &code).await,
        Op::Resend => {
            let key = s.keys.code_key.as_ref();
            let out = l
                .session
                .resend(key, &t.reference(), s.now(), &mut rand::rng())?;
            Ok(Effects {
                code: Some(out),
                ..Effects::default()
            })
        }
        Op::AddContact(r) => op_add_contact(s, l, t, r),
        Op::ConfirmContact(code) => op_confirm_contact(s, txn, l, t, &code).await,
        Op::RemoveContact(r) => op_remove_contact(txn, l, r).await,
        Op::BeginAuthenticator(sealed) => {
            l.session.require_open()?;
            l.session.pending_totp = Some(sealed);
            l.session.totp_failures = 0;
            Ok(Effects::default())
        }
        Op::ConfirmAuthenticator(code) => op_confirm_authenticator(s, txn, l, t, &code).await,
        Op::RemoveAuthenticator => op_remove_authenticator(txn, l).await,
        Op::SetAnswers(r, hashed) => op_set_answers(txn, l, r, hashed).await,
    }
}

/// Runs one change of an enrolment: in one transaction, with the user's enrolment lock held,
/// the enrolment and the user are read, `f` applies the change, and the enrolment's state, the
/// code to send, the audit event and the notice are written. A refusal `f` returns after
/// counting something (a wrong code) is committed too, then returned.
async fn change(state: &AppState, token: &SessionToken, op: Op) -> ServiceResult<EnrolmentView> {
    let now = state.now();
    let txn = state.store.begin().await?;
    let first = enrolments::load(&txn, &token.hash)
        .await?
        .ok_or(ErrorCode::SessionUnknown {})?;
    let wait = std::time::Duration::from_secs(state.limiters.config.request_timeout_seconds);
    ea_store::lock_in(&txn, &format!("enrol-user:{}", first.user_id), wait).await?;
    let mut l = load(state, &txn, token).await?;
    let before_user = l.user.clone();
    let before_session = l.session.clone();
    let result = apply(state, &txn, &mut l, token, op).await;
    let effects = match result {
        Ok(e) => e,
        Err(ServiceError::Refused(code)) if l.session != before_session => {
            // Counted (a wrong code, a spent one): kept, then refused.
            enrolments::save(&txn, &token.hash, &l.session, l.version).await?;
            txn.commit().await.map_err(StoreError::from)?;
            return Err(code.into());
        }
        Err(e) => return Err(e),
    };
    if effects.notice.is_some() {
        // Each change tells every address the user has: one enrolment makes only so many.
        if l.session.changes >= ea_core::enrolment_session::MAX_CHANGES {
            return Err(ErrorCode::RateLimited {
                retry_after: (l.session.expires_at - now).max(1),
            }
            .into());
        }
        l.session.changes += 1;
    }
    let mut queued = false;
    if let Some(out) = &effects.code {
        let language = l.session.language.as_deref();
        let id = queue_code(state, &txn, &l.tenant, &l.user, out, language, now).await?;
        let detail = json!({ "outbox_id": id, "to": contact::mask(out.kind, &out.destination) });
        audit::record(
            &txn,
            event(
                l.tenant.id,
                &l.user.username,
                token,
                "enrolment_code_sent",
                detail,
            ),
            now,
        )
        .await?;
        queued = true;
    }
    if l.session != before_session {
        enrolments::save(&txn, &token.hash, &l.session, l.version).await?;
    }
    if let Some((name, detail)) = effects.audit {
        audit::record(
            &txn,
            event(l.tenant.id, &l.user.username, token, name, detail),
            now,
        )
        .await?;
    }
    if let Some(notice) = &effects.notice {
        let language = l.session.language.as_deref();
        queued |=
            crate::actions::notify(state, &txn, &l.tenant, &before_user, notice, language, now)
                .await?;
    }
    txn.commit().await.map_err(StoreError::from)?;
    if queued {
        state.outbox_ready.notify_one();
    }
    // The user as now stored.
    l.user = users::by_id(state.store.db(), l.user.id)
        .await?
        .ok_or(ErrorCode::SessionUnknown {})?;
    Ok(view(&l))
}

/// `POST /v1/enrolment/address`: the code sent to the invited address. The address becomes one
/// of the user's if the profile has room for it.
pub async fn confirm_address(
    state: &AppState,
    token: &SessionToken,
    code: Zeroizing<String>,
) -> ServiceResult<EnrolmentView> {
    input::text("code", &code, limits::CODE)?;
    change(state, token, Op::ConfirmAddress(code)).await
}

async fn op_confirm_address(
    s: &AppState,
    txn: &ea_store::DatabaseTransaction,
    l: &mut Loaded,
    t: &SessionToken,
    code: &str,
) -> ServiceResult<Effects> {
    let key = s.keys.code_key.as_ref();
    let address = l
        .session
        .confirm_address(code, key, &t.reference(), s.now())?;
    let known = l
        .user
        .emails
        .iter()
        .any(|e| contact::same_contact(e, &address));
    let room = (l.user.emails.len() as u32) < l.profile.emails.max;
    let kept = !known && room;
    if kept {
        users::add_contact(txn, l.user.id, "email", &address).await?;
    }
    let masked = contact::mask(ContactKind::Email, &address);
    Ok(Effects {
        audit: Some((
            "enrolment_address_confirmed",
            json!({ "kept_as_contact": kept }),
        )),
        notice: kept.then(|| Notice::ContactAdded {
            kind: ContactKind::Email,
            masked: masked.clone(),
        }),
        ..Effects::default()
    })
}

/// `POST /v1/enrolment/resend`
pub async fn resend(state: &AppState, token: &SessionToken) -> ServiceResult<EnrolmentView> {
    change(state, token, Op::Resend).await
}

fn contacts_of(u: &UserRecord, kind: ContactKind) -> &[String] {
    match kind {
        ContactKind::Phone => &u.phones,
        ContactKind::Email => &u.emails,
    }
}

fn max_of(p: &EnrolmentProfile, kind: ContactKind) -> u32 {
    match kind {
        ContactKind::Phone => p.phones.max,
        ContactKind::Email => p.emails.max,
    }
}

/// Refuses a contact the user has already, or one more than the profile allows.
fn check_room(l: &Loaded, kind: ContactKind, value: &str) -> ServiceResult<()> {
    let have = contacts_of(&l.user, kind);
    if have.iter().any(|c| contact::same_contact(c, value)) {
        return Err(ErrorCode::ContactAlreadyEnrolled {}.into());
    }
    let max = max_of(&l.profile, kind);
    if have.len() as u32 >= max {
        return Err(ErrorCode::ContactLimitReached { kind, max }.into());
    }
    Ok(())
}

/// `POST /v1/enrolment/contacts`: a code goes to the new phone number or address.
pub async fn add_contact(
    state: &AppState,
    token: &SessionToken,
    r: AddContactRequest,
) -> ServiceResult<EnrolmentView> {
    input::text("value", &r.value, limits::CONTACT)?;
    change(state, token, Op::AddContact(r)).await
}

fn op_add_contact(
    s: &AppState,
    l: &mut Loaded,
    t: &SessionToken,
    r: AddContactRequest,
) -> ServiceResult<Effects> {
    l.session.require_open()?;
    let value = contact::normalize(r.kind, &r.value, l.tenant.default_country.as_deref())
        .map_err(|_| ErrorCode::ContactMalformed {})?;
    check_room(l, r.kind, &value)?;
    let key = s.keys.code_key.as_ref();
    let out = l.session.send_code(
        r.kind,
        value,
        key,
        &t.reference(),
        s.now(),
        &mut rand::rng(),
    )?;
    Ok(Effects {
        code: Some(out),
        ..Effects::default()
    })
}

fn kind_word(kind: ContactKind) -> &'static str {
    match kind {
        ContactKind::Phone => "phone",
        ContactKind::Email => "email",
    }
}

/// `POST /v1/enrolment/contacts/confirm`: the new contact's code; the contact is kept.
pub async fn confirm_contact(
    state: &AppState,
    token: &SessionToken,
    code: Zeroizing<String>,
) -> ServiceResult<EnrolmentView> {
    input::text("code", &code, limits::CODE)?;
    change(state, token, Op::ConfirmContact(code)).await
}

async fn op_confirm_contact(
    s: &AppState,
    txn: &ea_store::DatabaseTransaction,
    l: &mut Loaded,
    t: &SessionToken,
    code: &str,
) -> ServiceResult<Effects> {
    let key = s.keys.code_key.as_ref();
    let proven = l
        .session
        .confirm_contact(code, key, &t.reference(), s.now())?;
    // Checked again: another enrolment of the same user may have added one meanwhile.
    check_room(l, proven.kind, &proven.value)?;
    users::add_contact(txn, l.user.id, kind_word(proven.kind), &proven.value).await?;
    let masked = contact::mask(proven.kind, &proven.value);
    Ok(Effects {
        audit: Some((
            "contact_added",
            json!({ "kind": proven.kind, "to": masked }),
        )),
        notice: Some(Notice::ContactAdded {
            kind: proven.kind,
            masked: masked.clone(),
        }),
        ..Effects::default()
    })
}

/// Refuses taking away `factor` when a flow the user could complete, or the profile, needs it.
fn check_needed(l: &Loaded, after: &Enrolled, factor: Factor) -> ServiceResult<()> {
    check_removal(&l.profile, &l.flows, &enrolled(&l.user), after, factor)
        .map_err(|flow| ErrorCode::FactorStillNeeded { factor, flow }.into())
}

/// `POST /v1/enrolment/contacts/remove`
pub async fn remove_contact(
    state: &AppState,
    token: &SessionToken,
    r: RemoveContactRequest,
) -> ServiceResult<EnrolmentView> {
    change(state, token, Op::RemoveContact(r)).await
}

async fn op_remove_contact(
    txn: &ea_store::DatabaseTransaction,
    l: &mut Loaded,
    r: RemoveContactRequest,
) -> ServiceResult<Effects> {
    l.session.require_open()?;
    let value = contacts_of(&l.user, r.kind)
        .get(r.id as usize)
        .cloned()
        .ok_or(ErrorCode::ContactUnknown {})?;
    let mut after = enrolled(&l.user);
    let factor = match r.kind {
        ContactKind::Phone => {
            after.phones -= 1;
            Factor::Phone
        }
        ContactKind::Email => {
            after.emails -= 1;
            Factor::Email
        }
    };
    check_needed(l, &after, factor)?;
    users::remove_contact(txn, l.user.id, kind_word(r.kind), &value).await?;
    let masked = contact::mask(r.kind, &value);
    Ok(Effects {
        audit: Some(("contact_removed", json!({ "kind": r.kind, "to": masked }))),
        notice: Some(Notice::ContactRemoved {
            kind: r.kind,
            masked: masked.clone(),
        }),
        ..Effects::default()
    })
}

fn pending_totp_aad(token: &SessionToken) -> String {
    format!("enrol-totp:{}", token.hash)
}

/// `POST /v1/enrolment/authenticator`: a new secret, kept sealed in the enrolment until a code
/// from it is typed.
pub async fn begin_authenticator(
    state: &AppState,
    token: &SessionToken,
) -> ServiceResult<AuthenticatorSetup> {
    let mut secret = Zeroizing::new([0u8; SECRET_BYTES]);
    rand::rng().fill_bytes(secret.as_mut());
    let sealed = state
        .keys
        .kek
        .seal(&pending_totp_aad(token), secret.as_ref(), &mut rand::rng());
    let v = change(state, token, Op::BeginAuthenticator(sealed)).await?;
    let found = enrolments::load(state.store.db(), &token.hash)
        .await?
        .ok_or(ErrorCode::SessionUnknown {})?;
    // Authenticator apps show the account under the organisation's name.
    let issuer = tenants::by_id(state.store.db(), found.tenant_id)
        .await?
        .ok_or(ErrorCode::SessionUnknown {})?
        .name;
    let params = TotpParams::default();
    Ok(AuthenticatorSetup {
        secret: data_encoding::BASE32_NOPAD.encode(secret.as_ref()),
        uri: ea_core::totp::otpauth_uri(&issuer, &v.username, secret.as_ref(), params),
        digits: params.digits,
        period: params.period,
        algorithm: "SHA1".into(),
    })
}

/// `POST /v1/enrolment/authenticator/confirm`: a current code of the new authenticator; it
/// replaces any earlier one, and that code is not accepted again.
pub async fn confirm_authenticator(
    state: &AppState,
    token: &SessionToken,
    code: Zeroizing<String>,
) -> ServiceResult<EnrolmentView> {
    input::text("code", &code, limits::CODE)?;
    change(state, token, Op::ConfirmAuthenticator(code)).await
}

async fn op_confirm_authenticator(
    s: &AppState,
    txn: &ea_store::DatabaseTransaction,
    l: &mut Loaded,
    t: &SessionToken,
    code: &str,
) -> ServiceResult<Effects> {
    l.session.require_open()?;
    let Some(sealed) = l.session.pending_totp.clone() else {
        return Err(ErrorCode::CodeNotSent {}.into());
    };
    let Ok(secret) = s.keys.kek.open(&pending_totp_aad(t), &sealed) else {
        // Sealed under a key this server no longer has: begin again.
        l.session.pending_totp = None;
        return Err(ErrorCode::CodeExpired {}.into());
    };
    let params = TotpParams::default();
    let now = s.now();
    let found = ea_core::totp::check(
        &secret,
        params,
        TotpCounters::default(),
        TOTP_WINDOW,
        code,
        now,
    );
    let step = match found {
        TotpCheck::Accepted { step } => step,
        TotpCheck::Drifted { offset } => {
            u64::try_from(now.div_euclid(params.period as i64) + offset).unwrap_or(0)
        }
        TotpCheck::Replayed | TotpCheck::Invalid => {
            l.session.totp_failures += 1;
            if l.session.totp_failures >= ea_core::enrolment_session::CODE_ATTEMPTS {
                l.session.pending_totp = None;
            }
            return Err(ErrorCode::TotpInvalid {}.into());
        }
    };
    let stored = s.keys.kek.seal(
        &totp_aad(&l.tenant.slug, &l.user.username),
        &secret,
        &mut rand::rng(),
    );
    let replaced = l.user.totp.is_some();
    users::set_totp(txn, l.user.id, stored, params, Some(step)).await?;
    l.session.pending_totp = None;
    l.session.totp_failures = 0;
    let told = if replaced {
        Notice::AuthenticatorReplaced
    } else {
        Notice::AuthenticatorAdded
    };
    Ok(Effects {
        audit: Some(("authenticator_enrolled", json!({ "replaced": replaced }))),
        notice: Some(told),
        ..Effects::default()
    })
}

/// `POST /v1/enrolment/authenticator/remove`
pub async fn remove_authenticator(
    state: &AppState,
    token: &SessionToken,
) -> ServiceResult<EnrolmentView> {
    change(state, token, Op::RemoveAuthenticator).await
}

async fn op_remove_authenticator(
    txn: &ea_store::DatabaseTransaction,
    l: &mut Loaded,
) -> ServiceResult<Effects> {
    l.session.require_open()?;
    if l.user.totp.is_none() {
        return Ok(Effects::default());
    }
    let after = Enrolled {
        authenticator: false,
        ..enrolled(&l.user)
    };
    check_needed(l, &after, Factor::Authenticator)?;
    users::remove_totp(txn, l.user.id).await?;
    Ok(Effects {
        audit: Some(("authenticator_removed", json!({}))),
        notice: Some(Notice::AuthenticatorRemoved),
        ..Effects::default()
    })
}

/// Checks new answers against the tenant's rules: the questions (from the catalogue unless the
/// tenant allows users' own, each once), the answers (long enough, not the username, a contact
/// or another answer), and how many.
fn check_new_answers(l: &Loaded, answers: &[NewAnswer]) -> ServiceResult<()> {
    input::count("answers", answers.len(), limits::ANSWERS)?;
    for (i, a) in answers.iter().enumerate() {
        input::text(
            &format!("answers[{i}].question"),
            &a.question,
            limits::QUESTION,
        )?;
        input::text(&format!("answers[{i}].answer"), &a.answer, limits::ANSWER)?;
    }
    let rules = &l.profile.questions;
    let mut issues = Vec::new();
    let key = |q: &str| ea_core::answers::normalize(q.trim()).to_string();
    let catalogue: Vec<String> = rules.catalogue.iter().map(|q| key(q)).collect();
    for (i, a) in answers.iter().enumerate() {
        let k = key(&a.question);
        if let Some(other) = answers[..i].iter().position(|b| key(&b.question) == k) {
            issues.push(AnswerIssue {
                index: i,
                problem: AnswerProblem::SameQuestion { other },
            });
        } else if !rules.own_questions && !catalogue.contains(&k) {
            issues.push(AnswerIssue {
                index: i,
                problem: AnswerProblem::NotInCatalogue,
            });
        }
    }
    let texts: Vec<&str> = answers.iter().map(|a| a.answer.as_str()).collect();
    let contacts: Vec<&str> = l
        .user
        .phones
        .iter()
        .chain(&l.user.emails)
        .map(String::as_str)
        .collect();
    let found = check_answers(&texts, &l.user.username, &contacts, rules.min_answer_length);
    for (index, problem) in found {
        if !issues.iter().any(|x| x.index == index) {
            issues.push(AnswerIssue { index, problem });
        }
    }
    issues.sort_by_key(|x| x.index);
    if !issues.is_empty() || (answers.len() as u32) < rules.required {
        return Err(ErrorCode::AnswersRefused {
            issues,
            required: rules.required,
        }
        .into());
    }
    Ok(())
}

/// `POST /v1/enrolment/answers`: replaces all of the user's answers (hashed with Argon2id, at
/// most `hashes_in_flight` at once across the server).
pub async fn set_answers(
    state: &AppState,
    token: &SessionToken,
    r: SetAnswersRequest,
) -> ServiceResult<EnrolmentView> {
    // Checked before the (slow) hashing, and again in the transaction that saves them.
    let l = load(state, state.store.db(), token).await?;
    l.session.require_open()?;
    check_new_answers(&l, &r.answers)?;
    let cost = state.hash_cost;
    let mut hashed = Vec::with_capacity(r.answers.len());
    for a in &r.answers {
        let answer = Zeroizing::new(a.answer.clone());
        let phc = state
            .limiters
            .hashing
            .run(move || ea_core::answers::hash(&answer, cost, &mut rand::rng()))
            .await
            .map_err(ServiceError::Internal)?
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        hashed.push((a.question.trim().to_owned(), phc));
    }
    change(state, token, Op::SetAnswers(r, hashed)).await
}

async fn op_set_answers(
    txn: &ea_store::DatabaseTransaction,
    l: &mut Loaded,
    mut r: SetAnswersRequest,
    hashed: Vec<(String, String)>,
) -> ServiceResult<Effects> {
    l.session.require_open()?;
    let checked = check_new_answers(l, &r.answers);
    for a in &mut r.answers {
        zeroize::Zeroize::zeroize(&mut a.answer);
    }
    checked?;
    let after = Enrolled {
        questions: hashed.len(),
        ..enrolled(&l.user)
    };
    check_needed(l, &after, Factor::Questions)?;
    let had = l.user.questions.len();
    let count = hashed.len();
    users::set_questions(txn, l.user.id, hashed).await?;
    let told = if had == 0 {
        Notice::AnswersRegistered
    } else {
        Notice::AnswersChanged
    };
    Ok(Effects {
        audit: Some(("answers_changed", json!({ "before": had, "after": count }))),
        notice: Some(told),
        ..Effects::default()
    })
}
