//! What the process-level tests of every crate share: a child process that is stopped when its
//! guard is dropped (so a failing test leaves nothing running), a free loopback port, finding a
//! program on `PATH`, waiting for a condition with a deadline that names what was awaited, and
//! committed generated files (TypeScript types, the OpenAPI document) checked for drift.

#[cfg(feature = "database")]
pub mod database;
#[cfg(feature = "ldap")]
pub mod ldap;
#[cfg(feature = "ldap")]
pub mod samba;

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A child process, stopped when dropped: asked to end (SIGTERM, so it can stop its own
/// children), then killed if it has not ended within five seconds.
#[derive(Debug)]
pub struct Running(pub Child);

impl Running {
    /// Starts `cmd` and guards the child.
    pub fn spawn(cmd: &mut Command) -> std::io::Result<Running> {
        cmd.spawn().map(Running)
    }

    /// Whether the process has ended (and how).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.0.try_wait().ok().flatten()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if cfg!(unix) {
            let _ = Command::new("kill")
                .arg(self.0.id().to_string())
                .stderr(std::process::Stdio::null())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.0.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `cmd`, which must succeed (else the test fails with the command and what it printed);
/// its standard output.
#[allow(clippy::panic)]
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A loopback TCP port nobody listens on right now.
#[allow(clippy::expect_used)]
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// The program `cmd` on `PATH`, if there is one.
pub fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(cmd))
            .find(|f| f.is_file())
    })
}

/// How often a condition is looked at.
const POLL: Duration = Duration::from_millis(50);

/// Looks at `f` until it gives a value or `timeout` has passed (blocking).
pub fn poll_until<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() >= timeout {
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// Awaits `f` until it gives a value; fails the test, naming `what`, after `timeout`.
pub async fn eventually<T>(
    what: &str,
    timeout: Duration,
    mut f: impl AsyncFnMut() -> Option<T>,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(POLL * 2).await;
    }
}

/// A generated file that is committed: with `var` set in the environment it is written anew,
/// otherwise the test fails when the committed copy differs, saying how to regenerate it.
pub fn check_generated(path: &str, want: &str, var: &str, how: &str) {
    if std::env::var_os(var).is_some() {
        std::fs::write(path, want).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(have == want, "{path} is out of date: run `{var}=1 {how}`");
}

/// A TypeScript module exporting the ts-rs declarations of `$ty…` (numbers for 64-bit integers),
/// after `$header`: `typescript!("// header\n\n"; Settings, CardSupport)`.
#[macro_export]
macro_rules! typescript {
    ($header:expr; $($ty:ty),+ $(,)?) => {{
        let cfg = ::ts_rs::Config::new().with_large_int("number");
        $crate::typescript_module($header, &[$(<$ty as ::ts_rs::TS>::decl(&cfg)),+])
    }};
}

/// A TypeScript module of ts-rs declarations (`decl()` of each type), exported, after `header`.
pub fn typescript_module(header: &str, decls: &[String]) -> String {
    let mut out = String::from(header);
    for d in decls {
        out.push_str("export ");
        out.push_str(d);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_gives_the_value_or_gives_up() {
        let mut n = 0;
        assert_eq!(
            poll_until(Duration::from_secs(5), || {
                n += 1;
                (n == 3).then_some(n)
            }),
            Some(3)
        );
        let start = Instant::now();
        assert_eq!(poll_until(Duration::from_millis(120), || None::<()>), None);
        assert!(start.elapsed() >= Duration::from_millis(120));
    }

    #[test]
    fn a_dropped_guard_stops_its_process() {
        let mut child = Running::spawn(Command::new("sleep").arg("30")).expect("sleep");
        assert!(child.exited().is_none());
        let pid = child.0.id();
        drop(child);
        // The process is gone: signalling it fails.
        let alive = Command::new("kill")
            .args(["-0", &pid.to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(!alive, "process {pid} still runs");
    }

    #[test]
    fn free_ports_can_be_bound() {
        let p = free_port();
        assert!(std::net::TcpListener::bind(("127.0.0.1", p)).is_ok());
        assert!(which("sh").is_some());
        assert!(which("no-such-program-here").is_none());
    }

    #[tokio::test]
    async fn eventually_awaits_the_condition() {
        let mut n = 0;
        let v = eventually("n to reach 2", Duration::from_secs(5), async || {
            n += 1;
            (n >= 2).then_some(n)
        })
        .await;
        assert_eq!(v, 2);
    }
}
