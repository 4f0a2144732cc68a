//! The desktop's commands are named in four places: the permissions `build.rs` generates, the
//! handlers `lib.rs` registers, the capability the main window gets, and the UI's Tauri host.
//! They must agree, or a command is either unreachable or reachable without a permission.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;

fn read(path: &str) -> String {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The quoted words between `start` and the first `end` after it.
fn quoted_between(text: &str, start: &str, end: &str) -> BTreeSet<String> {
    let from = text.find(start).map(|i| i + start.len()).unwrap_or(0);
    let body = &text[from..];
    let body = &body[..body.find(end).unwrap_or(body.len())];
    body.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn build_rs() -> BTreeSet<String> {
    quoted_between(&read("src-tauri/build.rs"), "let commands = &[", "];")
}

fn handlers() -> BTreeSet<String> {
    let lib = read("src-tauri/lib.rs");
    let from =
        lib.find("generate_handler![").expect("generate_handler!") + "generate_handler![".len();
    let body = &lib[from..];
    body[..body.find(']').expect("end of the handler list")]
        .split(',')
        .filter_map(|p| p.trim().rsplit("::").next().map(str::to_owned))
        .filter(|n| !n.is_empty())
        .collect()
}

fn capability() -> BTreeSet<String> {
    let caps: serde_json::Value =
        serde_json::from_str(&read("capabilities/default.json")).expect("capability JSON");
    caps["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter_map(|p| p.as_str())
        .filter_map(|p| p.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect()
}

fn ui_host() -> BTreeSet<String> {
    read("ui/src/platform/tauri.ts")
        .split("invoke('")
        .skip(1)
        .filter_map(|rest| rest.split('\'').next().map(str::to_owned))
        .collect()
}

#[test]
fn the_four_command_lists_agree() {
    let declared = build_rs();
    assert!(declared.len() > 30, "{declared:?}");
    assert!(declared.contains("scan_start") && declared.contains("card_qr_cryptogram"));
    assert_eq!(
        handlers(),
        declared,
        "src-tauri/lib.rs registers other commands than build.rs declares"
    );
    assert_eq!(
        capability(),
        declared,
        "capabilities/default.json allows other commands than build.rs declares"
    );
    assert_eq!(
        ui_host(),
        declared,
        "ui/src/platform/tauri.ts invokes other commands than build.rs declares"
    );
}
