//! Helpers for tests and benchmarks that go through a real pcscd: start pcscd when none answers,
//! and insert a virtual card (`ea-virtual-card`) into one of vpcd's two slots. Processes are
//! guarded by [`ea_testkit::Running`], so a failing test leaves none behind.

use crate::CardError;
pub use ea_testkit::Running;
use ea_testkit::poll_until;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Makes sure pcscd answers; starts one (returned, stopped on drop) if none runs.
/// `Err(reason)` where pcscd cannot run on this machine.
pub fn ensure_pcscd() -> Result<Option<Running>, String> {
    match crate::pcsc::readers() {
        Ok(_) => return Ok(None),
        Err(CardError::NoService) => {}
        Err(e) => return Err(format!("PC/SC error: {e}")),
    }
    let child = Running::spawn(
        Command::new("pcscd")
            .args(["-f", "-a"])
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .map_err(|e| format!("pcscd cannot be started: {e}"))?;
    poll_until(Duration::from_secs(5), || crate::pcsc::readers().ok())
        .map(|_| Some(child))
        .ok_or_else(|| "pcscd started but does not answer".into())
}

/// For a test through pcscd: [`ensure_pcscd`], or `None` (the test skips, the reason printed)
/// where pcscd cannot run. Where `EA_CARD_E2E` is set, pcscd is required: the test fails instead.
#[allow(clippy::panic)]
pub fn pcscd_or_skip() -> Option<Option<Running>> {
    match ensure_pcscd() {
        Ok(p) => Some(p),
        Err(reason) => {
            if std::env::var_os("EA_CARD_E2E").is_some() {
                panic!("card tests required but {reason}");
            }
            eprintln!("skipping the PC/SC tests: {reason}");
            None
        }
    }
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
    let child = Running::spawn(
        Command::new(binary)
            .args([
                "--vpcd",
                &format!("127.0.0.1:{port}"),
                "--state",
                &state.display().to_string(),
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .map_err(|e| format!("{}: {e}", binary.display()))?;
    let reader = poll_until(Duration::from_secs(10), || {
        crate::pcsc::readers().ok().and_then(|readers| {
            readers
                .into_iter()
                .find(|r| r.name.ends_with(slot(port)) && r.card_present)
                .map(|r| r.name)
        })
    });
    match reader {
        Some(name) => Ok((child, name)),
        None => Err(format!(
            "the virtual card did not appear in slot {}",
            slot(port)
        )),
    }
}
