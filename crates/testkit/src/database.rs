//! Databases for tests. `EA_TEST_STORE` picks the store the server tests run on (`sqlite`, the
//! default, or `postgres`); `EA_TEST_POSTGRES_URL` names the PostgreSQL server (the README test
//! command starts one), and `EA_POSTGRES_REQUIRED=1` makes a missing one a failure instead of a
//! skip.

use sea_orm::ConnectionTrait;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The test PostgreSQL server's URL, if there is one. Panics when there is none although
/// `EA_POSTGRES_REQUIRED` asks for it.
#[allow(clippy::panic)]
pub fn postgres_url() -> Option<String> {
    let url = std::env::var("EA_TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty());
    if url.is_none() && std::env::var("EA_POSTGRES_REQUIRED").is_ok_and(|v| v == "1") {
        panic!(
            "PostgreSQL is required (EA_POSTGRES_REQUIRED=1) but EA_TEST_POSTGRES_URL is not set"
        );
    }
    url
}

/// Whether the server tests run on PostgreSQL (`EA_TEST_STORE=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("EA_TEST_STORE").is_ok_and(|v| v == "postgres")
}

/// The store's name for messages: `sqlite` or `postgres`.
pub fn store_name() -> &'static str {
    if on_postgres() { "postgres" } else { "sqlite" }
}

/// A fresh, empty database for one test on the store `EA_TEST_STORE` picks: a SQLite file in
/// `dir`, or a new database on the test PostgreSQL server.
#[allow(clippy::expect_used)]
pub async fn fresh(dir: &Path, name: &str) -> String {
    if on_postgres() {
        let base = postgres_url().expect("EA_TEST_STORE=postgres needs EA_TEST_POSTGRES_URL");
        fresh_postgres(&base, name).await
    } else {
        format!("sqlite:{}", dir.join(format!("{name}.db")).display())
    }
}

/// Creates a new database on the PostgreSQL server at `base` and returns its URL.
#[allow(clippy::expect_used)]
pub async fn fresh_postgres(base: &str, name: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(30)
        .collect::<String>()
        .to_ascii_lowercase();
    let db = format!(
        "ea_{clean}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let admin = sea_orm::Database::connect(base)
        .await
        .expect("the test PostgreSQL server answers");
    let _ = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {db}"))
        .await;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {db}"))
        .await
        .expect("create a test database");
    let _ = admin.close().await;
    let (prefix, _) = base.rsplit_once('/').expect("the URL names a database");
    format!("{prefix}/{db}")
}

/// One of PostgreSQL's programs: the newest version's under `/usr/lib/postgresql` (where Debian
/// keeps the server's), else on `PATH`. Panics, naming it, when there is none.
#[allow(clippy::expect_used)]
pub fn postgres_tool(name: &str) -> std::path::PathBuf {
    std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.is_file())
        .max()
        .or_else(|| crate::which(name))
        .unwrap_or_else(|| {
            panic!("PostgreSQL's {name} is not installed (the README test command installs it)")
        })
}

/// A PostgreSQL server of a test's own, which the test may stop and start (a throw-away cluster
/// in a temporary directory, on a free loopback port). As root, it runs as the `postgres` user.
#[derive(Debug)]
pub struct Cluster {
    dir: std::path::PathBuf,
    bin: std::path::PathBuf,
    port: u16,
    durable: bool,
}

#[allow(clippy::expect_used, clippy::panic)]
impl Cluster {
    /// Creates and starts the cluster; panics (naming what is missing) when PostgreSQL is not
    /// installed.
    pub fn start() -> Cluster {
        Cluster::start_as(false)
    }

    /// [`Cluster::start`] with every commit flushed to disk (`fsync` on), as in production: for
    /// benchmarks, where the tests' shortcut would flatter the figures.
    pub fn start_durable() -> Cluster {
        Cluster::start_as(true)
    }

    fn start_as(durable: bool) -> Cluster {
        let bin = postgres_tool("initdb")
            .parent()
            .expect("a directory")
            .to_path_buf();
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ea-cluster-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("cluster directory");
        let c = Cluster {
            dir,
            bin,
            port: crate::free_port(),
            durable,
        };
        if Cluster::as_root() {
            c.run(
                std::process::Command::new("chown")
                    .arg("postgres")
                    .arg(&c.dir),
            );
        }
        c.pg("initdb", &["-D", "data", "-A", "trust", "-U", "postgres"]);
        c.start_again();
        c
    }

    fn as_root() -> bool {
        std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
    }

    fn run(&self, cmd: &mut std::process::Command) {
        let out = cmd.output().expect("run a PostgreSQL tool");
        assert!(
            out.status.success(),
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// One of PostgreSQL's programs in the cluster's directory, as `postgres` under root.
    fn command(&self, program: &str) -> std::process::Command {
        let path = self.bin.join(program);
        let mut cmd = if Cluster::as_root() {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            std::process::Command::new(path)
        };
        cmd.current_dir(&self.dir);
        cmd
    }

    /// Runs one of PostgreSQL's programs, which must succeed.
    fn pg(&self, program: &str, args: &[&str]) {
        self.run(self.command(program).args(args));
    }

    /// (Re)starts the server and waits until it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync={} -c max_connections=200",
            self.port,
            self.dir.display(),
            if self.durable { "on" } else { "off" }
        );
        self.pg(
            "pg_ctl",
            &["-D", "data", "-l", "log", "-w", "-o", &options, "start"],
        );
    }

    /// Stops the server (`fast`: open connections are ended), as an outage would.
    pub fn stop(&self) {
        self.pg("pg_ctl", &["-D", "data", "-m", "fast", "-w", "stop"]);
    }

    /// The server's process (the postmaster; the connections' processes are its children).
    pub fn server_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("data/postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// The URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", "data", "-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
