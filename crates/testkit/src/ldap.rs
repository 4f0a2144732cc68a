//! A throw-away OpenLDAP server for the directory tests (the server's and the desktop's):
//! `slapd` with the `ppolicy` overlay, TLS from a CA made for the test (LDAPS, and StartTLS on
//! the plain port), the entries
//! `dc=example,dc=org`, a service account allowed to set passwords and clear lockouts (with
//! `write`, not `manage`, so the password policy applies to it as to a user), and a default
//! password policy. `EA_LDAP_REQUIRED=1` (the README test command sets it) makes a missing `slapd`
//! a failure instead of a skip.

// Test support: a failure to set the server up fails the test that asked, with what failed.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::{Running, free_port};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Mod};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

pub const SUFFIX: &str = "dc=example,dc=org";
pub const PEOPLE: &str = "ou=people,dc=example,dc=org";
pub const ROOT_DN: &str = "cn=admin,dc=example,dc=org";
pub const ROOT_PW: &str = "root-secret-for-tests";
pub const SERVICE_DN: &str = "cn=ea-service,dc=example,dc=org";
pub const SERVICE_PW: &str = "service-secret-for-tests";

/// The slapd binary, or `None` (with the reason printed) when it is not installed and not
/// required.
pub fn slapd() -> Option<PathBuf> {
    let bin = PathBuf::from("/usr/sbin/slapd");
    if bin.is_file() {
        return Some(bin);
    }
    let required = std::env::var("EA_LDAP_REQUIRED").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "slapd is required (EA_LDAP_REQUIRED=1) but /usr/sbin/slapd is missing: the README test \
         command installs the slapd package"
    );
    eprintln!("skipped: slapd is not installed (the README test command installs it)");
    None
}

#[allow(missing_debug_implementations)]
pub struct Slapd {
    pub dir: tempfile::TempDir,
    pub ldap_port: u16,
    pub ldaps_port: u16,
    child: Option<Running>,
    bin: PathBuf,
}

impl Slapd {
    /// Starts a fresh server, or `None` when slapd is not installed (and not required).
    pub async fn start() -> Option<Slapd> {
        let bin = slapd()?;
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::create_dir(d.join("db")).expect("db dir");
        // A CA of the test's own, and the server's certificate for 127.0.0.1 and localhost.
        write_ca_and_server_cert(d);
        let conf = format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             modulepath /usr/lib/ldap\n\
             moduleload back_mdb\n\
             moduleload ppolicy\n\
             pidfile {d}/slapd.pid\n\
             TLSCACertificateFile {d}/ca.pem\n\
             TLSCertificateFile {d}/server.pem\n\
             TLSCertificateKeyFile {d}/server.key\n\
             database mdb\n\
             maxsize 104857600\n\
             suffix \"{SUFFIX}\"\n\
             rootdn \"{ROOT_DN}\"\n\
             rootpw {ROOT_PW}\n\
             directory {d}/db\n\
             overlay ppolicy\n\
             ppolicy_default \"cn=default,ou=policies,{SUFFIX}\"\n\
             ppolicy_use_lockout on\n\
             ppolicy_hash_cleartext on\n\
             access to attrs=userPassword by dn.exact=\"{SERVICE_DN}\" write by self write by anonymous auth by * none\n\
             access to attrs=pwdAccountLockedTime by dn.exact=\"{SERVICE_DN}\" write by * read\n\
             access to * by dn.exact=\"{SERVICE_DN}\" read by users read by * none\n",
            d = d.display()
        );
        std::fs::write(d.join("slapd.conf"), conf).expect("write");
        let base = format!(
            "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
             dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n\
             dn: ou=policies,{SUFFIX}\nobjectClass: organizationalUnit\nou: policies\n\n\
             dn: cn=default,ou=policies,{SUFFIX}\nobjectClass: organizationalRole\nobjectClass: pwdPolicy\n\
             cn: default\npwdAttribute: userPassword\npwdMinLength: 16\npwdCheckQuality: 1\n\
             pwdInHistory: 5\npwdLockout: TRUE\npwdMaxFailure: 3\npwdAllowUserChange: TRUE\n\n\
             dn: cn=young,ou=policies,{SUFFIX}\nobjectClass: organizationalRole\nobjectClass: pwdPolicy\n\
             cn: young\npwdAttribute: userPassword\npwdMinAge: 3600\npwdAllowUserChange: TRUE\n\n\
             dn: {SERVICE_DN}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\n\
             cn: ea-service\nuserPassword: {SERVICE_PW}\n"
        );
        std::fs::write(d.join("base.ldif"), base).expect("write");
        crate::run_ok(
            Command::new(bin.with_file_name("slapadd"))
                .args(["-f", &d.join("slapd.conf").display().to_string()])
                .args(["-l", &d.join("base.ldif").display().to_string()]),
        );
        let mut s = Slapd {
            dir,
            ldap_port: free_port(),
            ldaps_port: free_port(),
            child: None,
            bin,
        };
        s.start_again().await;
        Some(s)
    }

    /// (Re)starts the server on its ports and waits until it answers.
    pub async fn start_again(&mut self) {
        let d = self.dir.path();
        let urls = format!(
            "ldap://127.0.0.1:{}/ ldaps://127.0.0.1:{}/",
            self.ldap_port, self.ldaps_port
        );
        let child = Running::spawn(
            Command::new(&self.bin)
                .args([
                    "-h",
                    &urls,
                    "-f",
                    &d.join("slapd.conf").display().to_string(),
                ])
                .args(["-d", "0"])
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(d.join("slapd.log")).expect("log")),
        )
        .expect("start slapd");
        self.child = Some(child);
        for _ in 0..100 {
            if self.admin().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "slapd did not come up: {}",
            std::fs::read_to_string(d.join("slapd.log")).unwrap_or_default()
        );
    }

    /// Stops the server at once (SIGKILL), as an outage would.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.0.kill();
            let _ = c.0.wait();
        }
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.ldaps_port)
    }

    pub fn ldap_url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.ldap_port)
    }

    /// A connection bound as the root DN.
    pub async fn admin(&self) -> Result<Ldap, ldap3::LdapError> {
        let mut ldap = self.connect().await?;
        ldap.simple_bind(ROOT_DN, ROOT_PW).await?.success()?;
        Ok(ldap)
    }

    /// A connection over StartTLS with the test CA, not bound.
    async fn connect(&self) -> Result<Ldap, ldap3::LdapError> {
        connect(&self.ldap_url(), &self.ca_file()).await
    }

    /// Adds a person under `ou=people` (online, so the password policy records the password's
    /// age); `policy` names a policy under `ou=policies` other than the default.
    pub async fn add_person(
        &self,
        uid: &str,
        password: &str,
        mobile: Option<&str>,
        mail: Option<&str>,
        policy: Option<&str>,
    ) {
        let mut ldap = self.admin().await.expect("admin");
        let dn = format!("uid={uid},{PEOPLE}");
        let mut attrs: Vec<(&str, HashSet<String>)> = vec![
            ("objectClass", HashSet::from(["inetOrgPerson".to_owned()])),
            ("uid", HashSet::from([uid.to_owned()])),
            ("cn", HashSet::from([format!("{uid} Example")])),
            ("sn", HashSet::from(["Example".to_owned()])),
            ("userPassword", HashSet::from([password.to_owned()])),
        ];
        if let Some(m) = mobile {
            attrs.push(("mobile", HashSet::from([m.to_owned()])));
        }
        if let Some(m) = mail {
            attrs.push(("mail", HashSet::from([m.to_owned()])));
        }
        if let Some(p) = policy {
            attrs.push((
                "pwdPolicySubentry",
                HashSet::from([format!("cn={p},ou=policies,{SUFFIX}")]),
            ));
        }
        let attrs: Vec<(String, HashSet<String>)> =
            attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        ldap.add(&dn, attrs)
            .await
            .expect("add")
            .success()
            .expect("added");
    }

    /// Changes one attribute of `uid` to `values` (none: removed).
    pub async fn set(&self, uid: &str, attr: &str, values: &[&str]) {
        let mut ldap = self.admin().await.expect("admin");
        let dn = format!("uid={uid},{PEOPLE}");
        let set: HashSet<String> = values.iter().map(|v| (*v).to_owned()).collect();
        ldap.modify(&dn, vec![Mod::Replace(attr.to_owned(), set)])
            .await
            .expect("modify")
            .success()
            .expect("modified");
    }

    /// Removes `uid`.
    pub async fn remove(&self, uid: &str) {
        let mut ldap = self.admin().await.expect("admin");
        ldap.delete(&format!("uid={uid},{PEOPLE}"))
            .await
            .expect("delete")
            .success()
            .expect("deleted");
    }

    /// The server's configuration (TOML) of a tenant's directory on this server: the service
    /// account's password in a file beside it.
    pub fn config_toml(&self, timeout_seconds: u64) -> String {
        let pw = self.dir.path().join("service-password");
        std::fs::write(&pw, format!("{SERVICE_PW}\n")).expect("write");
        format!(
            "kind = \"openldap\"\nurl = \"{}\"\nca_file = \"{}\"\nbind_dn = \"{SERVICE_DN}\"\n\
             bind_password_file = \"{}\"\nbase_dn = \"{PEOPLE}\"\n\
             user_filter = \"(&(objectClass=inetOrgPerson)(uid={{username}}))\"\n\
             sync_filter = \"(objectClass=inetOrgPerson)\"\ntimeout_seconds = {timeout_seconds}\n",
            self.ldaps_url(),
            self.ca_file().display(),
            pw.display()
        )
    }

    /// Whether `password` opens the account `dn` (a simple bind over StartTLS).
    pub async fn can_bind(&self, dn: &str, password: &str) -> bool {
        can_bind(&self.ldap_url(), &self.ca_file(), dn, password).await
    }
}

/// Writes `ca.pem` (a CA made for the test) and `server.pem`, `server.key` (a certificate it
/// signed for 127.0.0.1 and localhost) into `dir`.
pub fn write_ca_and_server_cert(dir: &Path) {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Emergency Access test CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA");
    let key = rcgen::KeyPair::generate().expect("key");
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("params");
    let cert = params.signed_by(&key, &ca, &ca_key).expect("certificate");
    std::fs::write(dir.join("ca.pem"), ca.pem()).expect("write");
    std::fs::write(dir.join("server.pem"), cert.pem()).expect("write");
    std::fs::write(dir.join("server.key"), key.serialize_pem()).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(
            dir.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        );
    }
}

/// A connection to `url` trusting the CA in `ca_file` (StartTLS on an `ldap://` URL), not bound.
pub async fn connect(url: &str, ca_file: &Path) -> Result<Ldap, ldap3::LdapError> {
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(ca_file).expect("CA");
    for c in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(c.expect("cert")).expect("root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("tls")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let settings = LdapConnSettings::new()
        .set_config(Arc::new(tls))
        .set_starttls(url.starts_with("ldap://"))
        .set_conn_timeout(Duration::from_secs(2));
    let (conn, ldap) = LdapConnAsync::with_settings(settings, url).await?;
    ldap3::drive!(conn);
    Ok(ldap)
}

/// Whether `password` opens the account `who` on the server at `url`.
pub async fn can_bind(url: &str, ca_file: &Path, who: &str, password: &str) -> bool {
    let mut ldap = connect(url, ca_file).await.expect("connect");
    let res = ldap.simple_bind(who, password).await.expect("bind");
    let _ = ldap.unbind().await;
    match res.rc {
        0 => true,
        49 => false,
        rc => panic!("bind as {who}: result {rc}: {}", res.text),
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}
