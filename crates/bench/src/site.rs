//! A deployment to load: a database (a SQLite file on disk, or a database on a PostgreSQL server
//! of the benchmark's own) with a `bench` tenant, its flows and a population of users, set up
//! through the release `ea-server`'s own admin commands, and server processes on it.

use anyhow::{Context, bail};
use ea_core::totp::{TotpParams, code_at};
use ea_testkit::Running;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Where the users of a site live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

impl Db {
    pub fn name(self) -> &'static str {
        match self {
            Db::Sqlite => "SQLite",
            Db::Postgres => "PostgreSQL",
        }
    }
}

/// The answer every bench user gave to each of their questions.
pub const ANSWER: &str = "correct horse battery";

/// An authenticator code, then questions: after the code (not measured), the answer check
/// (Argon2id) alone. Questions may not be a flow's only factor.
const QUESTIONS_FLOW: &str = r#"
id = "totp-questions"
actions = ["unblock_user"]
[name]
en = "Authenticator and security questions"
de = "Authenticator und Sicherheitsfragen"
fr = "Authentificateur et questions de sécurité"
it = "Autenticatore e domande di sicurezza"
[[steps]]
method = "totp"
window = 1
[[steps]]
method = "questions"
count = 2
max_failures = 3
"#;

const ENROLMENT_PROFILE: &str =
    "[phones]\nrequired = 1\nmax = 2\n[authenticator]\nrequired = true\n";

/// The user `n` of the population.
pub fn username(n: usize) -> String {
    format!("user{n:06}")
}

/// The phone of user `n`, unique in the population.
pub fn phone(n: usize) -> String {
    format!("+4179{n:07}")
}

/// The authenticator secret of user `n`.
pub fn secret(n: usize) -> Vec<u8> {
    let mut s = b"bench-totp-secret-00".to_vec();
    let tail = format!("{n:08}");
    s[12..20].copy_from_slice(tail.as_bytes());
    s
}

/// User `n`'s authenticator code `offset` steps from now.
pub fn totp(n: usize, offset: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    code_at(
        &secret(n),
        TotpParams::default(),
        (now / 30 + offset) as u64,
    )
}

#[allow(missing_debug_implementations)]
pub struct Site {
    pub dir: tempfile::TempDir,
    pub db: String,
    pub kind: Db,
    /// The database server's process, where it has one of its own (PostgreSQL).
    pub db_pid: Option<u32>,
    bin: PathBuf,
}

impl Site {
    /// A database of `kind` (for PostgreSQL, a new database on the server at `pg`) with the
    /// bench tenant and `users` users: a phone and an authenticator each, and the first
    /// `with_questions` also two answered questions (hashed at import, which takes a while).
    pub async fn new(
        bin: &Path,
        kind: Db,
        pg: Option<&str>,
        users: usize,
        with_questions: usize,
    ) -> anyhow::Result<Site> {
        let dir = tempfile::tempdir()?;
        let db = match (kind, pg) {
            (Db::Sqlite, _) => format!("sqlite:{}", dir.path().join("ea.db").display()),
            (Db::Postgres, Some(base)) => ea_testkit::database::fresh_postgres(base, "bench").await,
            (Db::Postgres, None) => bail!("no PostgreSQL server to put the site on"),
        };
        use base64::Engine;
        let kek: [u8; 32] = rand::random();
        std::fs::write(
            dir.path().join("kek"),
            base64::engine::general_purpose::STANDARD.encode(kek),
        )?;
        let site = Site {
            dir,
            db,
            kind,
            db_pid: None,
            bin: bin.to_owned(),
        };
        site.ok(&[
            "tenant",
            "add",
            "bench",
            "--name",
            "Bench",
            "--country",
            "41",
        ])?;
        let flows = site.dir.path().join("flows");
        std::fs::create_dir_all(&flows)?;
        std::fs::write(flows.join("totp-questions.toml"), QUESTIONS_FLOW)?;
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for f in [
            repo.join("flows/totp-only.toml"),
            repo.join("flows/sms-totp.toml"),
            flows.join("totp-questions.toml"),
        ] {
            let f = f.display().to_string();
            site.ok(&["flow", "import", "--tenant", "bench", &f])?;
        }
        // What users enrol (an invitation needs it): as the demo tenant's.
        std::fs::write(flows.join("enrolment.toml"), ENROLMENT_PROFILE)?;
        let profile = flows.join("enrolment.toml").display().to_string();
        site.ok(&["enrolment", "profile", "bench", &profile])?;
        // Imported in batches, each all or nothing, so that progress shows.
        let batch = 10_000;
        let mut n = 0;
        while n < users {
            let end = (n + batch).min(users);
            let list: Vec<_> = (n..end)
                .map(|i| {
                    let questions: Vec<_> = if i < with_questions {
                        [
                            "What was the name of your first pet?",
                            "In which city were you born?",
                        ]
                        .iter()
                        .map(|q| serde_json::json!({"question": q, "answer": ANSWER}))
                        .collect()
                    } else {
                        Vec::new()
                    };
                    serde_json::json!({
                        "username": username(i),
                        "phones": [phone(i)],
                        "emails": [],
                        "questions": questions,
                        "totp": {"secret": data_encoding::BASE32_NOPAD.encode(&secret(i))},
                    })
                })
                .collect();
            let file = site.dir.path().join("users.json");
            std::fs::write(&file, serde_json::json!({ "users": list }).to_string())?;
            site.ok(&[
                "user",
                "import",
                "--tenant",
                "bench",
                &file.display().to_string(),
            ])?;
            n = end;
            eprint!("\r    {}: {n}/{users} users", kind.name());
        }
        eprintln!();
        Ok(site)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn sink(&self) -> PathBuf {
        self.path("messages.log")
    }

    /// The `ea-server` command on this site.
    pub fn command(&self) -> Command {
        let mut c = Command::new(self.bin.join("ea-server"));
        c.args(["--database", &self.db, "--kek-file"])
            .arg(self.path("kek"))
            .arg("--config")
            .arg(self.path("server.toml"));
        c
    }

    /// Runs an admin command that must succeed; its output.
    pub fn ok(&self, args: &[&str]) -> anyhow::Result<String> {
        if !self.path("server.toml").exists() {
            self.write_config()?;
        }
        let out = self
            .command()
            .args(args)
            .output()
            .with_context(|| format!("run ea-server {}", args.join(" ")))?;
        if !out.status.success() {
            bail!(
                "ea-server {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The server's configuration: loopback, codes to the dev sink, and limits per source
    /// raised (every request of the load comes from one address); the tenant's limits per user
    /// stay as shipped.
    fn write_config(&self) -> anyhow::Result<()> {
        let text = format!(
            "[dispatch.dev_sink]\npath = \"{}\"\ntenants = [\"bench\"]\n\n\
             [limits]\nrequests_per_source_per_minute = 10000000\n\
             validations_per_source_per_minute = 10000000\n\n\
             [logging]\nlevel = \"warn\"\n",
            self.sink().display()
        );
        let mut f = std::fs::File::create(self.path("server.toml"))?;
        f.write_all(text.as_bytes())?;
        Ok(())
    }

    /// Starts a server process with `env` added; returns once it listens.
    pub fn serve_with(&self, env: &[(String, String)]) -> anyhow::Result<Server> {
        let log = self.path("server.log");
        let mut cmd = self.command();
        // The configuration's `[logging] level = "warn"` decides, whatever the caller's RUST_LOG.
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .env_remove("RUST_LOG")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log)?);
        let mut child = Running::spawn(&mut cmd).context("start ea-server")?;
        let mut line = String::new();
        let stdout = child.0.stdout.take().context("stdout")?;
        let mut reader = BufReader::new(stdout);
        reader.read_line(&mut line)?;
        let Some(base) = line.trim().strip_prefix("listening on ") else {
            bail!(
                "the server did not start: {line:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        // Keep reading its output so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        });
        Ok(Server {
            db_pid: self.db_pid,
            pid: child.0.id(),
            base: base.to_owned(),
            child,
        })
    }
}

#[allow(missing_debug_implementations)]
pub struct Server {
    pub child: Running,
    pub pid: u32,
    /// The database server's process, if it has one.
    pub db_pid: Option<u32>,
    pub base: String,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Ends the process as a crash would (SIGKILL).
    pub fn kill(mut self) {
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
    }
}

/// Waits until `url` answers 200, polling every 5 ms; how long it took.
pub async fn until_ok(client: &reqwest::Client, url: &str, limit: Duration) -> Option<Duration> {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if let Ok(r) = client.get(url).send().await
            && r.status() == 200
        {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}
