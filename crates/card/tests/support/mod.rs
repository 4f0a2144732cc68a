//! Starting pcscd (when it is not running yet) and virtual cards behind it.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use ea_card::CardError;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Proc(pub Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Makes sure a pcscd answers; `Err(reason)` where pcscd cannot run here.
pub fn pcscd() -> Result<Option<Proc>, String> {
    match ea_card::pcsc::readers() {
        Ok(_) => return Ok(None),
        Err(CardError::NoService) => {}
        Err(e) => return Err(format!("PC/SC error: {e}")),
    }
    let child = Command::new("pcscd")
        .args(["-f", "-a"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("pcscd cannot be started: {e}"))?;
    let p = Proc(child);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if ea_card::pcsc::readers().is_ok() {
            return Ok(Some(p));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("pcscd started but does not answer".into())
}

pub fn virtual_card_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ea-virtual-card"))
}

/// Starts a virtual card in the vpcd slot at `port` (35963 is reader "… 00 00", 35964 "… 00 01")
/// and waits until pcscd sees it.
pub fn insert_card(port: u16, state: &Path, extra: &[&str]) -> (Proc, String) {
    let child = Command::new(virtual_card_binary())
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
        .map(Proc)
        .expect("virtual card");
    let slot = if port == 35963 { "00 00" } else { "00 01" };
    let start = Instant::now();
    loop {
        if let Ok(readers) = ea_card::pcsc::readers()
            && let Some(r) = readers
                .iter()
                .find(|r| r.name.ends_with(slot) && r.card_present)
        {
            return (child, r.name.clone());
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the virtual card did not appear in slot {slot}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn card_state(path: &Path) -> ea_card::virtual_card::VirtualCardConfig {
    serde_json::from_str(&std::fs::read_to_string(path).expect("state file")).expect("state json")
}
