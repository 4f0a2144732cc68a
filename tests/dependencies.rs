//! What the desktop app ships: its normal (non-dev) dependency graph, with features, must not
//! contain the virtual card or the test kit; only the tests get them (as dev-dependencies).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::Command;

fn tree(package: &str, edges: &str) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "--locked",
            "--offline",
            "--prefix",
            "none",
            "-p",
            package,
        ])
        .args(["-e", edges, "--target", "all"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_app_ships_no_virtual_card_and_no_test_kit() {
    let shipped = tree("emergency-access", "normal,features");
    assert!(
        shipped.contains("ea-card"),
        "the app uses the card crate:\n{shipped}"
    );
    for needle in ["ea-card feature \"testkit\"", "ea-testkit"] {
        assert!(!shipped.contains(needle), "the app would ship {needle}");
    }
    // The tests do get them, so the check above looks at the right thing.
    let with_tests = tree("emergency-access", "normal,dev,features");
    assert!(
        with_tests.contains("ea-card feature \"testkit\""),
        "{with_tests}"
    );
}
