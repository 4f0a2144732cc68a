//! The types the desktop shell's commands take and return (`ui/src/api/shell.ts`) are generated
//! from the shell and committed, like the wire types; this test fails when they drift.
//! Regenerate with `UPDATE_API_TYPES=1 cargo test --test typescript`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ea_scan::url::{CardRequest, ChallengeAlgorithm};
use emergency_access::card::{
    CardStatusView, CardSupport, CardUnblocked, PinRulesView, PinState, ReaderView, ShownCryptogram,
};
use emergency_access::scan::{CameraView, CamerasView, ScanEvent};
use emergency_access::settings::Settings;
use ts_rs::{Config, TS};

fn render() -> String {
    let cfg = Config::new().with_large_int("number");
    let decls = [
        Settings::decl(&cfg),
        CardSupport::decl(&cfg),
        ReaderView::decl(&cfg),
        PinRulesView::decl(&cfg),
        PinState::decl(&cfg),
        CardStatusView::decl(&cfg),
        CardUnblocked::decl(&cfg),
        ShownCryptogram::decl(&cfg),
        CameraView::decl(&cfg),
        CamerasView::decl(&cfg),
        ScanEvent::decl(&cfg),
        CardRequest::decl(&cfg),
        ChallengeAlgorithm::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from src-tauri by `UPDATE_API_TYPES=1 cargo test --test typescript`. Do not edit.\n\n\
         import type { CardAlgorithm, ErrorCode } from './types';\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[test]
fn committed_typescript_matches_the_shell_types() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/api/shell.ts");
    let want = render();
    if std::env::var_os("UPDATE_API_TYPES").is_some() {
        std::fs::write(path, &want).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "{path} is out of date: run `UPDATE_API_TYPES=1 cargo test --test typescript`"
    );
}
