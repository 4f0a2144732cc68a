//! The desktop app and the empty reference window, started cold in a display (Xvfb under the
//! benchmark command): time to the first interactive screen, and memory once idle.

use crate::procfs;
use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How a program says its first screen is interactive.
#[derive(Debug, Clone, Copy)]
pub enum Signal {
    /// A line in its log file, somewhere under its home directory.
    LogFile(&'static str),
    /// A line on its standard output.
    Stdout,
}

#[derive(Debug, Clone)]
pub struct Program {
    pub name: &'static str,
    pub bin: PathBuf,
    pub signal: Signal,
    pub env: Vec<(String, String)>,
}

/// A started program with a home of its own (a cold start: no cache, no settings but the ones
/// given in its environment).
#[derive(Debug)]
pub struct Started {
    child: Child,
    home: tempfile::TempDir,
}

const LINE: &str = "first screen interactive";

impl Started {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Ends the program and everything it started (WebKit's processes).
    pub fn stop(mut self) {
        let pids: Vec<String> = procfs::tree(self.child.id())
            .into_iter()
            .map(|p| p.to_string())
            .collect();
        let _ = Command::new("kill").arg("-KILL").args(&pids).status();
        let _ = self.child.wait();
        // Children reparented before the kill reached them are in the same process group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        drop(self.home);
    }
}

fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.is_dir() {
            if let Some(f) = find_file(&p, name) {
                return Some(f);
            }
        } else if e.file_name() == name {
            return Some(p);
        }
    }
    None
}

/// Starts `program` cold and waits for its first interactive screen; the time from spawn.
pub fn start(program: &Program) -> anyhow::Result<(Started, Duration)> {
    let home = tempfile::tempdir()?;
    let mut cmd = Command::new(&program.bin);
    cmd.env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("EA_NO_UPDATE_CHECK", "1")
        .envs(program.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let begin = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("start {}", program.bin.display()))?;
    let limit = Duration::from_secs(30);
    let took = match program.signal {
        Signal::Stdout => {
            let out = child.stdout.take().context("stdout")?;
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut r = BufReader::new(out);
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                    if line.contains(LINE) {
                        let _ = tx.send(Instant::now());
                    }
                    line.clear();
                }
            });
            rx.recv_timeout(limit).ok().map(|at| at - begin)
        }
        Signal::LogFile(name) => {
            let mut found = None;
            let mut log = None;
            while begin.elapsed() < limit {
                if log.is_none() {
                    log = find_file(home.path(), name);
                }
                if let Some(l) = &log
                    && std::fs::read_to_string(l).is_ok_and(|t| t.contains(LINE))
                {
                    found = Some(begin.elapsed());
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            found
        }
    };
    let started = Started { child, home };
    match took {
        Some(t) => Ok((started, t)),
        None => {
            started.stop();
            bail!("{}: no first interactive screen within 30 s", program.name)
        }
    }
}

/// Cold starts, one after the other; seconds each.
pub fn cold_starts(program: &Program, runs: usize) -> anyhow::Result<Vec<f64>> {
    let mut v = Vec::with_capacity(runs);
    for i in 0..runs {
        let (s, took) = start(program)?;
        s.stop();
        v.push(took.as_secs_f64());
        eprint!(
            "\r    {}: cold start {}/{runs}: {:.3} s   ",
            program.name,
            i + 1,
            took.as_secs_f64()
        );
        // Let the previous instance's sockets and files go before the next one starts.
        std::thread::sleep(Duration::from_millis(300));
    }
    eprintln!();
    Ok(v)
}

/// Proportional set size of the program's processes after `idle` on its first screen, in MiB.
pub fn idle_pss(program: &Program, idle: Duration) -> anyhow::Result<f64> {
    let (s, _) = start(program)?;
    let step = Duration::from_secs(1);
    let mut waited = Duration::ZERO;
    while waited < idle {
        std::thread::sleep(step);
        waited += step;
        eprint!(
            "\r    {}: idle {}/{} s   ",
            program.name,
            waited.as_secs(),
            idle.as_secs()
        );
    }
    eprintln!();
    let kib = procfs::pss_tree_kib(s.pid());
    s.stop();
    Ok(kib as f64 / 1024.0)
}
