//! The admin side of enrolment through the `ea-server` binary: a tenant's enrolment profile set
//! from a file (bad files refused with file, field and reason), and `user status` telling what a
//! user has enrolled against it, never the values.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::process::Site;

const PROFILE: &str = r#"
[phones]
required = 1
[emails]
required = 1
[authenticator]
required = true
[questions]
required = 3
catalogue = [
  "What was the name of your first pet?",
  "In which city were you born?",
  "What was the name of your first school?",
]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_is_set_and_user_status_tells_what_each_user_lacks() {
    let site = Site::new("").await;
    std::fs::write(site.path("bad.toml"), "[phones]\nrequired = 4\nmax = 3\n").unwrap();
    let bad = site.path("bad.toml").display().to_string();
    let out = site.cli(&["enrolment", "profile", "demo", &bad]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{bad}: phones.required: more than phones.max (3)")),
        "{err}"
    );

    // Without a profile, status says so.
    site.ok(&["tenant", "add", "other"]);
    let out = site.cli(&["user", "status", "alice", "--tenant", "other"]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("no user \"alice\""), "{said}");

    std::fs::write(site.path("profile.toml"), PROFILE).unwrap();
    let file = site.path("profile.toml").display().to_string();
    let out = site.ok(&["enrolment", "profile", "demo", &file]);
    assert!(
        out.contains("1 phone(s), 1 address(es), authenticator required, 3 answer(s)"),
        "{out}"
    );

    let alice = site.ok(&["user", "status", "alice", "--tenant", "demo"]);
    assert!(alice.contains("phones:               1"), "{alice}");
    assert!(alice.contains("questions answered:   3"), "{alice}");
    assert!(alice.contains("enrolment profile:    complete"), "{alice}");
    let bob = site.ok(&["user", "status", "bob", "--tenant", "demo"]);
    assert!(bob.contains("missing 1 phone, the authenticator"), "{bob}");
    // Counts only: no number, address or answer of theirs.
    for value in ["+41", "555", "@demo.example", "Rex", "Hillside", "otpauth"] {
        assert!(
            !alice.contains(value) && !bob.contains(value),
            "{value} shown"
        );
    }
    let out = site.cli(&["user", "status", "nobody", "--tenant", "demo"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user \"nobody\""));

    let audit = site.ok(&["audit", "export", "--tenant", "demo"]);
    assert!(
        audit.contains("enrolment_profile_set"),
        "the change is audited"
    );
}
