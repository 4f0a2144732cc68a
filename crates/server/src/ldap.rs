//! A tenant's accounts in an LDAP directory: OpenLDAP (and other RFC servers) or Active
//! Directory, through `ldap3` over TLS (LDAPS, or StartTLS; plain LDAP only on loopback).
//!
//! The service account binds once per connection; the connection is kept and opened again when
//! it fails. Every operation has the directory's timeout. A directory that does not answer is
//! [`DirectoryError::Unavailable`], and the action that asked is released, not spent. Usernames
//! reach filters only escaped (RFC 4515, `ldap3::ldap_escape`).

use crate::config::{DirectoryKind, LdapConfig};
use crate::directory::{Directory, DirectoryError};
use ea_api::PasswordViolation;
use ea_store::tenants::Tenant;
use ea_store::users::UserRecord;
use ldap3::controls::RawControl;
use ldap3::exop::PasswordModify;
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Mod, Scope, SearchEntry};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// The password policy control (draft-behera-ldap-password-policy), asked for with every
/// password change so that an OpenLDAP `ppolicy` refusal says why.
pub const PPOLICY_OID: &str = "1.3.6.1.4.1.42.2.27.8.5.1";

/// LDAP result codes this module tells apart.
mod rc {
    pub const NO_SUCH_ATTRIBUTE: u32 = 16;
    pub const CONSTRAINT_VIOLATION: u32 = 19;
    pub const UNWILLING_TO_PERFORM: u32 = 53;
}

/// An account as the directory holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub dn: String,
    /// The entry's own identifier (OpenLDAP's entryUUID, Active Directory's objectGUID in hex):
    /// empty when the directory did not give one.
    pub id: String,
    /// Every value of the username attribute.
    pub usernames: Vec<String>,
    pub username: String,
    pub display_name: Option<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    /// Disabled in the directory (Active Directory's `userAccountControl`, or an OpenLDAP
    /// account locked for good by an administrator): such an account cannot recover.
    pub disabled: bool,
}

/// One tenant's LDAP directory.
pub struct LdapDirectory {
    slug: String,
    cfg: LdapConfig,
    password: SecretString,
    settings: LdapConnSettings,
    conn: Mutex<Option<Ldap>>,
}

impl std::fmt::Debug for LdapDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapDirectory")
            .field("tenant", &self.slug)
            .field("kind", &self.cfg.kind)
            .field("url", &self.cfg.url)
            .finish_non_exhaustive()
    }
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> DirectoryError {
    DirectoryError::Unavailable(format!("{what}: {e}"))
}

impl LdapDirectory {
    /// Checks the configuration of tenant `slug` (TLS, the password's source, the CA file) and
    /// makes the directory; nothing is connected yet.
    pub fn new(slug: &str, cfg: LdapConfig) -> anyhow::Result<LdapDirectory> {
        let field = |f: &str| format!("directories.{slug}.{f}");
        let url = url::Url::parse(&cfg.url)
            .map_err(|e| anyhow::anyhow!("{}: not a URL: {e}", field("url")))?;
        // ldap:// is not a special scheme to the URL parser: its host comes back as text.
        let host = url.host_str().unwrap_or_default();
        let loopback = host == "localhost"
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|a| a.is_loopback());
        let starttls = match (url.scheme(), cfg.starttls) {
            ("ldaps", _) => false,
            ("ldap", true) => true,
            ("ldap", false) if loopback => false,
            ("ldap", false) => anyhow::bail!(
                "{}: plain LDAP is only allowed on loopback; use ldaps:// or StartTLS",
                field("starttls")
            ),
            (other, _) => anyhow::bail!("{}: ldaps:// or ldap://, not {other}://", field("url")),
        };
        if !cfg.user_filter.contains("{username}") {
            anyhow::bail!(
                "{}: must contain {{username}}, where the username goes",
                field("user_filter")
            );
        }
        for (name, filter) in [
            ("user_filter", &cfg.user_filter),
            ("sync_filter", &cfg.sync_filter),
        ] {
            let probe = filter.replace("{username}", "probe");
            ldap3::parse_filter(&probe)
                .map_err(|_| anyhow::anyhow!("{}: not an LDAP filter: {filter}", field(name)))?;
        }
        let password = match (&cfg.bind_password_file, &cfg.bind_password_env) {
            (Some(file), None) => std::fs::read_to_string(file)
                .map(|p| SecretString::from(p.lines().next().unwrap_or_default().to_owned()))
                .map_err(|e| {
                    anyhow::anyhow!(
                        "{}: cannot read {}: {e}",
                        field("bind_password_file"),
                        file.display()
                    )
                })?,
            (None, Some(var)) => std::env::var(var).map(SecretString::from).map_err(|_| {
                anyhow::anyhow!(
                    "{}: the environment has no {var}",
                    field("bind_password_env")
                )
            })?,
            _ => anyhow::bail!(
                "{}: the service account's password comes from bind_password_file or \
                 bind_password_env (exactly one)",
                field("bind_password_file")
            ),
        };
        let mut roots = rustls::RootCertStore::empty();
        if let Some(path) = &cfg.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                anyhow::anyhow!("{}: cannot read {}: {e}", field("ca_file"), path.display())
            })?;
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                let cert = cert.map_err(|e| anyhow::anyhow!("{}: {e}", field("ca_file")))?;
                roots
                    .add(cert)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", field("ca_file")))?;
            }
            if roots.is_empty() {
                anyhow::bail!("{}: no certificate in {}", field("ca_file"), path.display());
            }
        } else {
            // The system's trusted roots, as for any public server.
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| anyhow::anyhow!("TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let settings = LdapConnSettings::new()
            .set_config(Arc::new(tls))
            .set_starttls(starttls)
            .set_conn_timeout(Duration::from_secs(cfg.timeout_seconds));
        Ok(LdapDirectory {
            slug: slug.to_owned(),
            password,
            settings,
            cfg,
            conn: Mutex::new(None),
        })
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.cfg.timeout_seconds)
    }

    /// The kept connection, bound as the service account; a new one when there is none.
    async fn connection(&self) -> Result<Ldap, DirectoryError> {
        let mut kept = self.conn.lock().await;
        if let Some(l) = kept.as_mut()
            && !l.is_closed()
        {
            return Ok(l.clone());
        }
        let (conn, mut ldap) = LdapConnAsync::with_settings(self.settings.clone(), &self.cfg.url)
            .await
            .map_err(|e| unavailable("cannot connect", e))?;
        ldap3::drive!(conn);
        ldap.with_timeout(self.timeout())
            .simple_bind(&self.cfg.bind_dn, self.password.expose_secret())
            .await
            .and_then(|r| r.success())
            .map_err(|e| unavailable("the service account cannot bind", e))?;
        *kept = Some(ldap.clone());
        Ok(ldap)
    }

    /// Forgets the kept connection after a failure, so that the next operation connects anew.
    async fn forget(&self) {
        *self.conn.lock().await = None;
    }

    /// Runs `op` on the connection; a transport failure drops the connection.
    async fn run<T>(
        &self,
        what: &str,
        op: impl AsyncFnOnce(&mut Ldap) -> Result<T, ldap3::LdapError>,
    ) -> Result<T, DirectoryError> {
        let mut ldap = self.connection().await?;
        match op(&mut ldap).await {
            Ok(v) => Ok(v),
            Err(e) => {
                self.forget().await;
                Err(unavailable(what, e))
            }
        }
    }

    /// The filter that finds `username` (escaped) among the accounts the sync reads.
    fn user_filter(&self, username: &str) -> String {
        let user = self
            .cfg
            .user_filter
            .replace("{username}", &ldap3::ldap_escape(username));
        format!("(&{user}{})", self.cfg.sync_filter)
    }

    fn attributes(&self) -> Vec<String> {
        let a = &self.cfg.attributes;
        let mut v = vec![a.username.clone(), a.display_name.clone()];
        v.extend(a.phones.iter().cloned());
        v.extend(a.emails.iter().cloned());
        v.extend(
            [
                "userAccountControl",
                "pwdAccountLockedTime",
                "entryUUID",
                "objectGUID",
            ]
            .map(str::to_owned),
        );
        v
    }

    fn account(&self, e: SearchEntry) -> Account {
        let a = &self.cfg.attributes;
        let all = |names: &[String]| -> Vec<String> {
            names
                .iter()
                .flat_map(|n| e.attrs.get(n).cloned().unwrap_or_default())
                .collect()
        };
        let first = |n: &str| e.attrs.get(n).and_then(|v| v.first()).cloned();
        let id = first("entryUUID")
            .or_else(|| {
                e.bin_attrs
                    .get("objectGUID")
                    .and_then(|v| v.first())
                    .map(hex::encode)
            })
            .or_else(|| first("objectGUID"))
            .unwrap_or_default();
        let disabled = match self.cfg.kind {
            // Unreadable counts as disabled (fails closed): the service account must read it.
            DirectoryKind::ActiveDirectory => first("userAccountControl")
                .and_then(|v| v.parse::<u32>().ok())
                .is_none_or(|uac| uac & UAC_ACCOUNTDISABLE != 0),
            // ppolicy's "locked by an administrator until unlocked".
            DirectoryKind::Openldap => {
                first("pwdAccountLockedTime").is_some_and(|t| t == "000001010000Z")
            }
        };
        // One value only: an entry with several usernames is not one account.
        let username = match e.attrs.get(&a.username).map(Vec::as_slice) {
            Some([one]) => one.clone(),
            _ => String::new(),
        };
        Account {
            id,
            username,
            usernames: e.attrs.get(&a.username).cloned().unwrap_or_default(),
            display_name: first(&a.display_name),
            phones: all(&a.phones),
            emails: all(&a.emails),
            disabled,
            dn: e.dn,
        }
    }

    /// The account named `username`, if the directory has exactly one.
    pub async fn find(&self, username: &str) -> Result<Option<Account>, DirectoryError> {
        let filter = self.user_filter(username);
        let attrs = self.attributes();
        let base = self.cfg.base_dn.clone();
        let timeout = self.timeout();
        let (entries, _) = self
            .run("cannot search for the account", async |l| {
                l.with_timeout(timeout)
                    .search(&base, Scope::Subtree, &filter, attrs)
                    .await?
                    .success()
            })
            .await?;
        let mut found: Vec<Account> = entries
            .into_iter()
            .map(|e| self.account(SearchEntry::construct(e)))
            .collect();
        Ok(match found.len() {
            1 => found.pop(),
            _ => None,
        })
    }

    /// Whether `password` is `username`'s: a simple bind as the account, on a connection of its
    /// own (never the service account's). A name the directory lacks is bound too, under a
    /// made-up DN, so both take about as long; an empty password is never sent (a bind without
    /// one is anonymous and "succeeds"). `Some(account)` when the bind succeeded.
    pub async fn check_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Account>, DirectoryError> {
        if password.is_empty() {
            return Ok(None);
        }
        let found = self.find(username).await?;
        let dn = match &found {
            Some(a) => a.dn.clone(),
            None => format!(
                "cn=no-such-entry-{:016x},{}",
                rand::random::<u64>(),
                self.cfg.base_dn
            ),
        };
        let (conn, mut ldap) = LdapConnAsync::with_settings(self.settings.clone(), &self.cfg.url)
            .await
            .map_err(|e| unavailable("cannot connect", e))?;
        ldap3::drive!(conn);
        let result = ldap
            .with_timeout(self.timeout())
            .simple_bind(&dn, password)
            .await
            .map_err(|e| unavailable("cannot bind as the user", e))?;
        let _ = ldap.unbind().await;
        match result.rc {
            0 => Ok(found),
            // invalidCredentials: a wrong password, a name the directory lacks, or (Active
            // Directory) a disabled or locked account.
            49 => Ok(None),
            rc => Err(DirectoryError::Unavailable(format!(
                "the user's bind answered result code {rc}"
            ))),
        }
    }

    /// Every account the sync filter finds, read page by page (directories cap a plain search's
    /// answer, e.g. at 500 or 1,000 entries). Entries without exactly one username come back with
    /// an empty one, for the caller to report.
    pub async fn accounts(&self) -> Result<Vec<Account>, DirectoryError> {
        let filter = self.cfg.sync_filter.clone();
        let attrs = self.attributes();
        let base = self.cfg.base_dn.clone();
        let timeout = self.timeout();
        let entries = self
            .run("cannot list the accounts", async |l| {
                let adapters: Vec<Box<dyn ldap3::adapters::Adapter<_, _>>> = vec![
                    Box::new(ldap3::adapters::EntriesOnly::new()),
                    Box::new(ldap3::adapters::PagedResults::new(200)),
                ];
                let mut stream = l
                    .with_timeout(timeout)
                    .streaming_search_with(adapters, &base, Scope::Subtree, &filter, attrs)
                    .await?;
                let mut out = Vec::new();
                while let Some(e) = stream.next().await? {
                    out.push(e);
                }
                stream.finish().await.success()?;
                Ok(out)
            })
            .await?;
        Ok(entries
            .into_iter()
            .map(|e| self.account(SearchEntry::construct(e)))
            .collect())
    }

    /// The user's entry: the one the username finds, and (once synced) the very entry the user
    /// was read from, not another one given the name since.
    async fn dn_of(&self, user: &UserRecord) -> Result<Account, DirectoryError> {
        match self.find(&user.username).await? {
            Some(a) if user.directory_id.as_ref().is_some_and(|id| *id != a.id) => {
                Err(DirectoryError::NoAccount)
            }
            Some(a) if a.disabled => Err(DirectoryError::Disabled),
            Some(a) => Ok(a),
            None => Err(DirectoryError::NoAccount),
        }
    }
}

/// `userAccountControl`'s ACCOUNTDISABLE bit.
const UAC_ACCOUNTDISABLE: u32 = 0x2;

/// Active Directory's `unicodePwd` value: the password in double quotes, UTF-16LE.
pub fn unicode_pwd(password: &str) -> zeroize::Zeroizing<Vec<u8>> {
    let quoted = zeroize::Zeroizing::new(format!("\"{password}\""));
    zeroize::Zeroizing::new(quoted.encode_utf16().flat_map(u16::to_le_bytes).collect())
}

/// The error of a ppolicy response control's value, if it carries one (`None` for a missing,
/// empty or unreadable value). The value is `SEQUENCE { warning [0] ... OPTIONAL, error [1]
/// ENUMERATED OPTIONAL }`, implicitly tagged.
pub fn ppolicy_error(value: Option<&[u8]>) -> Option<u8> {
    let v = value?;
    let (&tag, rest) = v.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (len, mut body) = ber_len(rest)?;
    body = body.get(..len)?;
    while let Some((&t, rest)) = body.split_first() {
        let (len, rest) = ber_len(rest)?;
        let content = rest.get(..len)?;
        if t == 0x81 {
            // ENUMERATED: small non-negative values only.
            return match content {
                [b] => Some(*b),
                [0, b] => Some(*b),
                _ => None,
            };
        }
        body = rest.get(len..)?;
    }
    None
}

/// A BER length and what follows it.
fn ber_len(v: &[u8]) -> Option<(usize, &[u8])> {
    let (&first, rest) = v.split_first()?;
    if first < 0x80 {
        return Some((usize::from(first), rest));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 || rest.len() < n {
        return None;
    }
    let len = rest[..n]
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Some((len, &rest[n..]))
}

/// What a ppolicy error says of the new password.
pub fn ppolicy_violation(error: u8) -> Option<PasswordViolation> {
    match error {
        5 => Some(PasswordViolation::DirectoryQuality),
        6 => Some(PasswordViolation::DirectoryTooShort),
        7 => Some(PasswordViolation::TooYoung),
        8 => Some(PasswordViolation::InHistory),
        9 => Some(PasswordViolation::DirectoryQuality),
        _ => None,
    }
}

/// What Active Directory's (and Samba's) constraint-violation text says of the new password:
/// every reason it names.
pub fn ad_violations(text: &str) -> Vec<PasswordViolation> {
    let t = text.to_lowercase();
    let mut v = Vec::new();
    if t.contains("too short") {
        v.push(PasswordViolation::DirectoryTooShort);
    }
    if t.contains("complexity") {
        v.push(PasswordViolation::DirectoryQuality);
    }
    if t.contains("history") {
        v.push(PasswordViolation::InHistory);
    }
    if t.contains("too young") || t.contains("minimum password age") {
        v.push(PasswordViolation::TooYoung);
    }
    if v.is_empty() {
        v.push(PasswordViolation::DirectoryQuality);
    }
    v
}

#[async_trait::async_trait]
impl Directory for LdapDirectory {
    async fn set_password(
        &self,
        _tenant: &Tenant,
        user: &UserRecord,
        password: &str,
    ) -> Result<(), DirectoryError> {
        let account = self.dn_of(user).await?;
        let timeout = self.timeout();
        let dn = account.dn;
        match self.cfg.kind {
            DirectoryKind::Openldap => {
                let ldap3::result::ExopResult(_, res) = self
                    .run("cannot set the password", async |l| {
                        let control = RawControl {
                            ctype: PPOLICY_OID.to_owned(),
                            crit: false,
                            val: None,
                        };
                        l.with_controls(control)
                            .with_timeout(timeout)
                            .extended(PasswordModify {
                                user_id: Some(&dn),
                                old_pass: None,
                                new_pass: Some(password),
                            })
                            .await
                    })
                    .await?;
                if res.rc == 0 {
                    return Ok(());
                }
                let error = res
                    .ctrls
                    .iter()
                    .find(|c| c.1.ctype == PPOLICY_OID)
                    .and_then(|c| ppolicy_error(c.1.val.as_deref()));
                match (res.rc, error.and_then(ppolicy_violation)) {
                    (_, Some(v)) => Err(DirectoryError::Refused(vec![v])),
                    (rc::CONSTRAINT_VIOLATION, None) => Err(DirectoryError::Refused(vec![
                        PasswordViolation::DirectoryQuality,
                    ])),
                    (rc, None) => Err(unavailable(
                        "the directory refused the password change",
                        format!("result {rc}: {}", res.text),
                    )),
                }
            }
            DirectoryKind::ActiveDirectory => {
                let value = unicode_pwd(password);
                let res = self
                    .run("cannot set the password", async |l| {
                        let values = HashSet::from([value.to_vec()]);
                        l.with_timeout(timeout)
                            .modify(&dn, vec![Mod::Replace(b"unicodePwd".to_vec(), values)])
                            .await
                    })
                    .await?;
                match res.rc {
                    0 => Ok(()),
                    rc::CONSTRAINT_VIOLATION | rc::UNWILLING_TO_PERFORM => {
                        Err(DirectoryError::Refused(ad_violations(&res.text)))
                    }
                    rc => Err(unavailable(
                        "the directory refused the password change",
                        format!("result {rc}: {}", res.text),
                    )),
                }
            }
        }
    }

    async fn unblock(&self, _tenant: &Tenant, user: &UserRecord) -> Result<(), DirectoryError> {
        let account = self.dn_of(user).await?;
        let timeout = self.timeout();
        let dn = account.dn;
        let change = match self.cfg.kind {
            // Deleting the lock also clears the failure times (ITS#8762).
            DirectoryKind::Openldap => {
                Mod::Delete(b"pwdAccountLockedTime".to_vec(), HashSet::<Vec<u8>>::new())
            }
            DirectoryKind::ActiveDirectory => {
                Mod::Replace(b"lockoutTime".to_vec(), HashSet::from([b"0".to_vec()]))
            }
        };
        let res = self
            .run("cannot unblock the account", async |l| {
                l.with_timeout(timeout).modify(&dn, vec![change]).await
            })
            .await?;
        match res.rc {
            // Not locked: nothing to clear.
            0 | rc::NO_SUCH_ATTRIBUTE => Ok(()),
            rc => Err(unavailable(
                "the directory refused to unblock the account",
                format!("result {rc}: {}", res.text),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppolicy_values_as_openldap_encodes_them() {
        // Error only: SEQUENCE { [1] ENUMERATED }.
        assert_eq!(
            ppolicy_error(Some(&[0x30, 0x03, 0x81, 0x01, 0x06])),
            Some(6)
        );
        assert_eq!(
            ppolicy_error(Some(&[0x30, 0x03, 0x81, 0x01, 0x08])),
            Some(8)
        );
        // A warning first (timeBeforeExpiration 300), then the error.
        let v = [
            0x30, 0x09, 0xA0, 0x04, 0x80, 0x02, 0x01, 0x2C, 0x81, 0x01, 0x07,
        ];
        assert_eq!(ppolicy_error(Some(&v)), Some(7));
        // A warning alone, an empty value, none, and damaged values: no error.
        assert_eq!(
            ppolicy_error(Some(&[0x30, 0x06, 0xA0, 0x04, 0x81, 0x02, 0x00, 0x03])),
            None
        );
        assert_eq!(ppolicy_error(Some(&[0x30, 0x00])), None);
        assert_eq!(ppolicy_error(None), None);
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x05, 0x81, 0x01, 0x06],
            &[0x31, 0x03, 0x81, 0x01, 0x06],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        ] {
            assert_eq!(ppolicy_error(Some(bad)), None, "{bad:02x?}");
        }
        assert_eq!(
            ppolicy_violation(6),
            Some(PasswordViolation::DirectoryTooShort)
        );
        assert_eq!(ppolicy_violation(7), Some(PasswordViolation::TooYoung));
        assert_eq!(ppolicy_violation(8), Some(PasswordViolation::InHistory));
        assert_eq!(
            ppolicy_violation(5),
            Some(PasswordViolation::DirectoryQuality)
        );
        assert_eq!(ppolicy_violation(1), None);
    }

    #[test]
    fn active_directory_refusals_as_samba_words_them() {
        let table = [
            (
                "0000052D: Constraint violation - check_password_restrictions: the password is too short. It should be equal or longer than 7 characters!",
                vec![PasswordViolation::DirectoryTooShort],
            ),
            (
                "0000052D: Constraint violation - check_password_restrictions: the password does not meet the complexity criteria!",
                vec![PasswordViolation::DirectoryQuality],
            ),
            (
                "0000052D: Constraint violation - check_password_restrictions: the password was already used (in history)!",
                vec![PasswordViolation::InHistory],
            ),
            (
                "0000052D: Constraint violation - check_password_restrictions: password is too young to change!",
                vec![PasswordViolation::TooYoung],
            ),
            (
                "0000052D: SvcErr: DSID-031A12D2, problem 5003 (WILL_NOT_PERFORM), data 0",
                vec![PasswordViolation::DirectoryQuality],
            ),
        ];
        for (text, want) in table {
            assert_eq!(ad_violations(text), want, "{text}");
        }
    }

    #[test]
    fn unicode_pwd_is_quoted_utf16le() {
        assert_eq!(
            *unicode_pwd("Ab1"),
            vec![b'"', 0, b'A', 0, b'b', 0, b'1', 0, b'"', 0]
        );
        assert_eq!(unicode_pwd("Zürich").len(), (6 + 2) * 2);
    }
}
