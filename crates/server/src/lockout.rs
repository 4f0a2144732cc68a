//! Whose failures lock whom. A source (client address) that completed a verification for a user
//! is familiar: its failures count on the account's guard, as before. Any other source is a
//! stranger: its failures count on its own guard for that user first, so one stranger locks out
//! only itself, and on a guard shared by all strangers, which locks after
//! [`STRANGERS_FACTOR`] times as many failures. While that shared guard is locked, strangers may
//! no longer answer verification questions (the factor one can guess) unless their session has
//! passed an authenticator code; codes sent to the user and authenticator codes stay open to
//! them, each source within its own budget. See SECURITY.md, "Lockout".

use crate::abuse::Source;
use crate::error::ServiceResult;
use crate::state::AppState;
use ea_core::{AccountGuard, LockoutPolicy, Step, VerificationSession};
use ea_store::{Conn, familiar, guards};

/// How long a source stays familiar after its last completed verification.
pub const FAMILIAR_SECONDS: i64 = 90 * 86_400;

/// The strangers' shared guard locks after this many times the account's failures.
pub const STRANGERS_FACTOR: u32 = 3;

/// The scope of all strangers' shared guard.
const STRANGERS: &str = "strangers";

#[derive(Debug, Clone)]
struct Row {
    scope: String,
    guard: AccountGuard,
    version: Option<i64>,
}

/// The guards that apply to one request, as loaded.
#[derive(Debug, Clone)]
pub struct Guards {
    source: String,
    familiar: bool,
    own: Row,
    loaded_own: AccountGuard,
    strangers: Option<Row>,
    loaded_strangers: Option<AccountGuard>,
}

async fn row(
    conn: &impl Conn,
    tenant_id: i64,
    username: &str,
    scope: String,
) -> ServiceResult<Row> {
    let (guard, version) = guards::load(conn, tenant_id, username, &scope).await?;
    Ok(Row {
        scope,
        guard,
        version,
    })
}

/// Whether the session has passed an authenticator step.
fn proved_totp(s: &VerificationSession) -> bool {
    s.flow.as_ref().is_some_and(|f| {
        f.steps
            .iter()
            .take(s.step_index)
            .any(|step| matches!(step, Step::Totp(_)))
    })
}

fn strangers_policy(p: &LockoutPolicy) -> LockoutPolicy {
    LockoutPolicy {
        max_failures: p.max_failures.max(1).saturating_mul(STRANGERS_FACTOR),
        ..*p
    }
}

/// Whether `source` completed a verification for the user in the last [`FAMILIAR_SECONDS`].
pub async fn is_familiar(
    state: &AppState,
    tenant_id: i64,
    username: &str,
    source: Source,
) -> ServiceResult<bool> {
    let since = state.now() - FAMILIAR_SECONDS;
    let key = source.key(state);
    Ok(familiar::is_familiar(state.store.db(), tenant_id, username, &key, since).await?)
}

impl Guards {
    pub async fn load(
        state: &AppState,
        tenant_id: i64,
        username: &str,
        source: Source,
    ) -> ServiceResult<Guards> {
        let db = state.store.db();
        let key = source.key(state);
        let familiar = is_familiar(state, tenant_id, username, source).await?;
        let (own, strangers) = if familiar {
            (
                row(db, tenant_id, username, guards::ACCOUNT.into()).await?,
                None,
            )
        } else {
            let own = row(db, tenant_id, username, format!("source:{key}")).await?;
            let all = row(db, tenant_id, username, STRANGERS.into()).await?;
            (own, Some(all))
        };
        Ok(Guards {
            source: key,
            familiar,
            loaded_own: own.guard,
            loaded_strangers: strangers.as_ref().map(|r| r.guard),
            own,
            strangers,
        })
    }

    /// The guard the verification engine counts on: this source's own (or the account's).
    pub fn engine(&mut self) -> &mut AccountGuard {
        &mut self.own.guard
    }

    /// `Some(seconds)` when the strangers' guard keeps this request out: it is locked, the
    /// request answers verification questions, and the session has not passed an
    /// authenticator code.
    pub fn shut_out(&self, session: &VerificationSession, answers: bool, now: i64) -> Option<i64> {
        let all = self.strangers.as_ref()?;
        if !answers || proved_totp(session) {
            return None;
        }
        all.guard.locked_for(now)
    }

    /// After the engine ran: a stranger's failure also counts on the strangers' guard, and a
    /// completed verification clears it. Returns whether the strangers' guard locked now.
    pub fn settle(&mut self, policy: &LockoutPolicy, completed: bool, now: i64) -> bool {
        let before = self.loaded_own;
        let after = self.own.guard;
        let Some(all) = self.strangers.as_mut() else {
            return false;
        };
        if completed {
            all.guard.record_success();
            return false;
        }
        let failed = after.lockouts > before.lockouts || after.failures > before.failures;
        failed
            && all
                .guard
                .record_failure(&strangers_policy(policy), now)
                .is_some()
    }

    /// When the guard the engine counted on became locked by this request.
    pub fn newly_locked(&self) -> Option<i64> {
        let g = &self.own.guard;
        (g.locked_until != self.loaded_own.locked_until)
            .then_some(g.locked_until)
            .flatten()
    }

    /// Saves what changed (each write conditional on the version read) and, when the
    /// verification completed, remembers the source as familiar for the user.
    pub async fn save(
        &self,
        conn: &impl Conn,
        tenant_id: i64,
        username: &str,
        completed_known: bool,
        now: i64,
    ) -> ServiceResult<()> {
        if self.own.guard != self.loaded_own {
            let r = &self.own;
            guards::save(conn, tenant_id, username, &r.scope, &r.guard, r.version).await?;
        }
        if let (Some(r), Some(loaded)) = (&self.strangers, self.loaded_strangers)
            && r.guard != loaded
        {
            guards::save(conn, tenant_id, username, &r.scope, &r.guard, r.version).await?;
        }
        if completed_known {
            familiar::remember(conn, tenant_id, username, &self.source, now).await?;
        }
        Ok(())
    }

    /// Whether the source is familiar (for the per-username counters and the audit log).
    pub fn familiar(&self) -> bool {
        self.familiar
    }
}
