//! The virtual card of this crate behind a real pcscd.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use ea_card::testkit::{Running, insert_virtual_card};
use std::path::{Path, PathBuf};

pub fn virtual_card_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ea-virtual-card"))
}

pub fn insert_card(port: u16, state: &Path, extra: &[&str]) -> (Running, String) {
    insert_virtual_card(&virtual_card_binary(), port, state, extra).expect("virtual card")
}

pub fn card_state(path: &Path) -> ea_card::virtual_card::VirtualCardConfig {
    serde_json::from_str(&std::fs::read_to_string(path).expect("state file")).expect("state json")
}
