//! The types the desktop shell's commands take and return (`ui/src/api/shell.ts`) are generated
//! from the shell and committed, like the wire types; this test fails when they drift.
//! Regenerate with `UPDATE_API_TYPES=1 cargo test --test typescript`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ea_scan::url::{CardRequest, ChallengeAlgorithm, EnrolLink};
use emergency_access::card::{
    CardReadersView, CardStatusView, CardUnblocked, PinRulesView, PinState, ReaderView,
    ShownCryptogram,
};
use emergency_access::enrol::AuthenticatorQr;
use emergency_access::scan::{CameraView, CamerasView, ScanEvent};
use emergency_access::settings::Settings;
use emergency_access::update::UpdateView;

fn render() -> String {
    ea_testkit::typescript!(
        "// Generated from src-tauri by `UPDATE_API_TYPES=1 cargo test --test typescript`. Do not edit.\n\n\
         import type { CardAlgorithm, ErrorCode } from './types';\n\n";
        Settings, CardReadersView, ReaderView, PinRulesView, PinState, CardStatusView,
        CardUnblocked, ShownCryptogram, CameraView, CamerasView, ScanEvent, CardRequest,
        ChallengeAlgorithm, AuthenticatorQr, EnrolLink, UpdateView,
    )
}

#[test]
fn committed_typescript_matches_the_shell_types() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/api/shell.ts");
    ea_testkit::check_generated(
        path,
        &render(),
        "UPDATE_API_TYPES",
        "cargo test --test typescript",
    );
}
