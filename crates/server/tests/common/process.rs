//! Server processes for the fault and multi-instance tests: the built `ea-server` binary with the
//! demo tenant on a database of the store under test (a SQLite file, or a fresh PostgreSQL
//! database with `EA_TEST_STORE=postgres`), codes going to the dev sink, plain HTTP on loopback.
//! A server can be killed with SIGKILL, as a crash would end it, and started again.

use ea_api::endpoints::{self as ep, Endpoint};
use ea_core::totp::{TotpParams, code_at};
use ea_testkit::{Running, eventually};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// alice's phone in the demo tenant, as the server stores it.
pub const ALICE_PHONE: &str = "+41795550101";
/// alice's e-mail address in the demo tenant.
pub const ALICE_EMAIL: &str = "alice@demo.example";

/// The built server binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ea-server")
}

/// A deployment: a database with the demo tenant, a key file, a configuration file and the dev
/// sink, shared by every server process started on it.
#[allow(missing_debug_implementations)]
pub struct Site {
    pub dir: tempfile::TempDir,
    pub db: String,
    /// The demo users' authenticator secrets (alice's and carol's).
    pub totp_secrets: std::collections::HashMap<String, Vec<u8>>,
    /// The demo relying party's API key.
    pub rp_key: String,
}

impl Site {
    /// A site on a fresh database of the store under test, with `config` as the server's
    /// configuration file.
    pub async fn new(config: &str) -> Site {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = ea_testkit::database::fresh(dir.path(), "site").await;
        Site::on(dir, db, config)
    }

    /// A site on the database `db`.
    pub fn on(dir: tempfile::TempDir, db: String, config: &str) -> Site {
        // The HTTP clients of the tests use the server's TLS provider.
        ea_server::serve::install_crypto();
        std::fs::write(dir.path().join("server.toml"), config).expect("config");
        let mut site = Site {
            dir,
            db,
            totp_secrets: Default::default(),
            rp_key: String::new(),
        };
        let sink = site.sink_path().display().to_string();
        let out = site.ok(&["demo", "--codes-file", &sink, "--no-invitation"]);
        for uri in out.lines().filter_map(|l| l.split("otpauth://").nth(1)) {
            let user = uri
                .split("demo%3A")
                .nth(1)
                .and_then(|s| s.split('?').next())
                .expect("the account name");
            let secret = uri
                .split("secret=")
                .nth(1)
                .and_then(|s| s.split('&').next())
                .expect("secret");
            let bytes = data_encoding::BASE32_NOPAD
                .decode(secret.trim_end_matches('=').as_bytes())
                .expect("base32 secret");
            site.totp_secrets.insert(user.to_owned(), bytes);
        }
        assert!(site.totp_secrets.contains_key("alice"), "{out}");
        site.rp_key = out
            .split_whitespace()
            .find(|w| w.starts_with("ea_rp_"))
            .expect("relying party key")
            .to_owned();
        site
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn sink_path(&self) -> PathBuf {
        self.path("messages.log")
    }

    /// The `ea-server` command on this site's database, key and configuration.
    pub fn command(&self) -> Command {
        let mut c = Command::new(bin());
        c.args(["--database", &self.db, "--kek-file"])
            .arg(self.path("kek"))
            .arg("--config")
            .arg(self.path("server.toml"));
        c
    }

    /// Runs an admin command; its output.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run ea-server")
    }

    /// Runs an admin command that must succeed; its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        ea_testkit::run_ok(self.command().args(args))
    }

    /// Starts a server process, with `env` added to its environment; returns once it listens.
    pub fn serve(&self, env: &[(&str, &str)]) -> Server {
        let n = std::fs::read_dir(self.dir.path()).map_or(0, |d| d.count());
        let log = self.path(&format!("server-{n}.log"));
        let mut cmd = self.command();
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--dev-sink"])
            .arg(self.sink_path())
            .env("RUST_LOG", "info,sqlx=warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"));
        let mut child = Running::spawn(&mut cmd).expect("start ea-server");
        let mut line = String::new();
        BufReader::new(child.0.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("listening line");
        let base = match line.trim().strip_prefix("listening on ") {
            Some(b) => b.to_owned(),
            None => panic!(
                "the server did not start: {line:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ),
        };
        Server {
            child,
            base,
            log,
            client: reqwest::Client::new(),
        }
    }

    /// Everything the dev sink received.
    pub fn sink(&self) -> String {
        std::fs::read_to_string(self.sink_path()).unwrap_or_default()
    }

    /// Waits for a message to `destination` after the first `seen` messages of the sink; its code.
    pub async fn next_code(&self, destination: &str, seen: usize) -> String {
        eventually(
            &format!("a code to {destination}"),
            Duration::from_secs(30),
            async || {
                let log = self.sink();
                let later: String = log
                    .split_inclusive('\n')
                    .scan(0usize, |n, l| {
                        *n += usize::from(l.starts_with("--- message"));
                        Some((*n, l))
                    })
                    .filter(|(n, _)| *n > seen)
                    .map(|(_, l)| l)
                    .collect();
                super::last_code(&later, destination)
            },
        )
        .await
    }

    /// alice starts an SMS and authenticator verification on `server` and has a code sent to
    /// her phone; the session token.
    pub async fn alice_code_sent(&self, server: &Server) -> String {
        let token = server.start("alice", "sms-totp").await;
        let body = serde_json::json!({"contact_id": 0, "value": ALICE_PHONE});
        let (st, v) = server
            .call::<ep::ConfirmContact>(Some(&token), Some(body))
            .await;
        assert_eq!(st, 200, "{v}");
        token
    }

    /// alice completes the SMS and authenticator verification on `server`, with the
    /// authenticator code `totp_offset` steps from now; the session token.
    pub async fn alice_verified(&self, server: &Server, totp_offset: i64) -> String {
        let seen = self.messages();
        let token = self.alice_code_sent(server).await;
        let code = self.next_code(ALICE_PHONE, seen).await;
        let (st, v) = server
            .call::<ep::VerifyCode>(Some(&token), Some(serde_json::json!({"code": code})))
            .await;
        assert_eq!(st, 200, "{v}");
        let body = serde_json::json!({"code": self.totp(totp_offset)});
        let (st, v) = server
            .call::<ep::VerifyTotp>(Some(&token), Some(body))
            .await;
        assert_eq!((st, v["status"].as_str()), (200, Some("completed")), "{v}");
        token
    }

    /// Messages in the dev sink so far.
    pub fn messages(&self) -> usize {
        self.sink().matches("--- message").count()
    }

    /// alice's current authenticator code, `offset` steps from now.
    pub fn totp(&self, offset: i64) -> String {
        self.totp_of("alice", offset)
    }

    /// `user`'s authenticator code, `offset` steps from now.
    pub fn totp_of(&self, user: &str, offset: i64) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        code_at(
            &self.totp_secrets[user],
            TotpParams::default(),
            (now / 30 + offset) as u64,
        )
    }
}

/// A running server process.
#[allow(missing_debug_implementations)]
pub struct Server {
    pub child: Running,
    pub base: String,
    pub log: PathBuf,
    client: reqwest::Client,
}

impl Server {
    /// Sends a request to endpoint `E` (path parameters are not filled in).
    pub async fn call<E: Endpoint>(
        &self,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.send(E::INFO.method.as_str(), E::INFO.path, token, body)
            .await
            .expect("the server answers")
    }

    /// Starts a session for `username` in the demo tenant; the token.
    pub async fn new_session(&self, username: &str) -> String {
        let body = serde_json::json!({"tenant": "demo", "username": username});
        let (st, v) = self.call::<ep::StartSession>(None, Some(body)).await;
        assert_eq!(st, 201, "{v}");
        v["token"].as_str().expect("token").to_owned()
    }

    /// Starts a session for `username` in the demo tenant and chooses `flow`; the token.
    pub async fn start(&self, username: &str, flow: &str) -> String {
        let token = self.new_session(username).await;
        self.choose(&token, flow).await;
        token
    }

    /// Chooses `flow` in the session `token`.
    pub async fn choose(&self, token: &str, flow: &str) {
        let body = serde_json::json!({"flow_id": flow});
        let (st, v) = self.call::<ep::ChooseFlow>(Some(token), Some(body)).await;
        assert_eq!(st, 200, "{v}");
    }

    /// Sends a request; `None` when no answer came (the server is gone).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Option<(u16, Value)> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(60));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.ok()?;
        let status = res.status().as_u16();
        let v = res.json().await.unwrap_or(Value::Null);
        Some((status, v))
    }

    /// Kills the process with SIGKILL, as a crash or power cut would end it.
    pub fn kill(&mut self) {
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
    }

    /// Waits until the server's log contains `needle`.
    pub async fn wait_for_log(&self, needle: &str) {
        let log = self.log.clone();
        eventually(
            &format!("{needle:?} in the server's log"),
            Duration::from_secs(30),
            async || {
                std::fs::read_to_string(&log)
                    .ok()
                    .filter(|t| t.contains(needle))
            },
        )
        .await;
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
