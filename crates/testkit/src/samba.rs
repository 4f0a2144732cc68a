//! A throw-away Samba Active Directory domain controller for the directory tests: provisioned
//! into a temporary directory (`samba-tool domain provision --targetdir`), serving LDAP only, on
//! loopback, with TLS from a CA made for the test. Samba's LDAP ports are fixed (389, 636), so
//! one runs at a time. `EA_SAMBA_REQUIRED=1` (the README test command sets it) makes a missing
//! Samba a failure instead of a skip.

// Test support: a failure to set the server up fails the test that asked, with what failed.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::{Running, run_ok as run};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub const REALM: &str = "example.test";
pub const BASE: &str = "DC=example,DC=test";
pub const USERS: &str = "CN=Users,DC=example,DC=test";
/// The service account (the domain's administrator, in the test).
pub const ADMIN: &str = "Administrator@example.test";
pub const ADMIN_PW: &str = "Admin-Pass-1234!";

#[allow(missing_debug_implementations)]
pub struct SambaDc {
    pub dir: tempfile::TempDir,
    child: Option<Running>,
}

impl SambaDc {
    /// Provisions and starts a domain controller, or `None` (the reason printed) where Samba's
    /// AD DC is not installed and not required.
    pub async fn start() -> Option<SambaDc> {
        let installed =
            Path::new("/usr/sbin/samba").is_file() && Path::new("/usr/bin/samba-tool").is_file();
        if !installed {
            let required = std::env::var("EA_SAMBA_REQUIRED").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "Samba's AD DC is required (EA_SAMBA_REQUIRED=1) but samba and samba-tool are \
                 missing: the README test command installs samba and samba-ad-dc"
            );
            eprintln!("skipped: Samba's AD DC is not installed (packages samba, samba-ad-dc)");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        run(Command::new("samba-tool").args([
            "domain",
            "provision",
            &format!("--targetdir={}", d.display()),
            "--use-rfc2307",
            "--realm=EXAMPLE.TEST",
            "--domain=EXAMPLE",
            "--server-role=dc",
            "--dns-backend=NONE",
            &format!("--adminpass={ADMIN_PW}"),
            "--option=interfaces=lo",
            "--option=bind interfaces only=yes",
        ]));
        crate::ldap::write_ca_and_server_cert(d);
        let conf = d.join("etc/smb.conf");
        let text = std::fs::read_to_string(&conf).expect("smb.conf");
        let text = text
            .lines()
            .map(|l| {
                let t = l.trim_start();
                if t.starts_with("server services") {
                    format!(
                        "\tserver services = ldap\n\told password allowed period = 0\n\
                         \ttls enabled = yes\n\ttls keyfile = {d}/server.key\n\
                         \ttls certfile = {d}/server.pem\n\ttls cafile = {d}/ca.pem",
                        d = d.display()
                    )
                } else if t.starts_with("log file") {
                    format!("\tlog file = {}/log.%m", d.display())
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(&conf, text + "\n").expect("smb.conf");
        let mut dc = SambaDc { dir, child: None };
        dc.start_again().await;
        Some(dc)
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("etc/smb.conf")
    }

    /// (Re)starts the server and waits for its LDAPS port.
    pub async fn start_again(&mut self) {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", 636)).is_err(),
            "port 636 is in use by another program: Samba's LDAPS port is fixed"
        );
        let child = Running::spawn(
            Command::new("samba")
                .args(["-i", "-M", "single", "-s"])
                .arg(self.conf())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(self.dir.path().join("samba.log")).expect("log")),
        )
        .expect("start samba");
        self.child = Some(child);
        for _ in 0..150 {
            if std::net::TcpStream::connect(("127.0.0.1", 636)).is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "samba did not come up: {}",
            std::fs::read_to_string(self.dir.path().join("samba.log")).unwrap_or_default()
        );
    }

    /// Runs `samba-tool` on this domain (`-s` its configuration).
    pub fn tool(&self, args: &[&str]) -> String {
        run(Command::new("samba-tool")
            .args(args)
            .arg("-s")
            .arg(self.conf()))
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Whether `password` opens the account `who` (a user principal name, e.g. `alice@example.test`).
    pub async fn can_bind(&self, who: &str, password: &str) -> bool {
        crate::ldap::can_bind("ldaps://127.0.0.1:636", &self.ca_file(), who, password).await
    }

    /// The server's configuration (TOML) of a tenant's directory on this domain.
    pub fn config_toml(&self, timeout_seconds: u64) -> String {
        let pw = self.dir.path().join("service-password");
        std::fs::write(&pw, ADMIN_PW).expect("write");
        format!(
            "kind = \"active_directory\"\nurl = \"ldaps://127.0.0.1:636\"\nca_file = \"{}\"\n\
             bind_dn = \"{ADMIN}\"\nbind_password_file = \"{}\"\nbase_dn = \"{USERS}\"\n\
             user_filter = \"(&(objectCategory=person)(sAMAccountName={{username}}))\"\n\
             sync_filter = \"(&(objectCategory=person)(objectClass=user))\"\n\
             timeout_seconds = {timeout_seconds}\n\
             [attributes]\nusername = \"sAMAccountName\"\ndisplay_name = \"displayName\"\n\
             phones = [\"mobile\"]\nemails = [\"mail\"]\n",
            self.ca_file().display(),
            pw.display()
        )
    }
}

impl Drop for SambaDc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.0.kill();
            let _ = c.0.wait();
        }
    }
}
