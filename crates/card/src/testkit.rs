//! Helpers for tests and benchmarks that go through a real pcscd: start pcscd when none answers,
//! and insert a virtual card (`ea-virtual-card`) into one of vpcd's two slots.

use crate::CardError;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process stopped when dropped.
#[derive(Debug)]
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Makes sure pcscd answers; starts one (returned, stopped on drop) if none runs.
/// `Err(reason)` where pcscd cannot run on this machine.
pub fn ensure_pcscd() -> Result<Option<Running>, String> {
    match crate::pcsc::readers() {
        Ok(_) => return Ok(None),
        Err(CardError::NoService) => {}
        Err(e) => return Err(format!("PC/SC error: {e}")),
    }
    let child = Command::new("pcscd")
        .args(["-f", "-a"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Running)
        .map_err(|e| format!("pcscd cannot be started: {e}"))?;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if crate::pcsc::readers().is_ok() {
            return Ok(Some(child));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("pcscd started but does not answer".into())
}

/// The reader name suffix of vpcd's slot for `port` (35963 → "00 00", 35964 → "00 01").
pub fn slot(port: u16) -> &'static str {
    if port == 35963 { "00 00" } else { "00 01" }
}

/// Starts `binary` (an `ea-virtual-card`) on vpcd `port` with its state in `state`, and waits
/// until pcscd reports the card present. Returns the process and the reader's name.
pub fn insert_virtual_card(
    binary: &Path,
    port: u16,
    state: &Path,
    extra: &[&str],
) -> Result<(Running, String), String> {
    let child = Command::new(binary)
        .args([
            "--vpcd",
            &format!("127.0.0.1:{port}"),
            "--state",
            &state.display().to_string(),
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Running)
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(readers) = crate::pcsc::readers()
            && let Some(r) = readers
                .iter()
                .find(|r| r.name.ends_with(slot(port)) && r.card_present)
        {
            return Ok((child, r.name.clone()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!(
        "the virtual card did not appear in slot {}",
        slot(port)
    ))
}
