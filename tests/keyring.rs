//! The client key really goes to the OS keyring (Secret Service on Linux). Runs where a Secret
//! Service answers (`scripts/test.sh` starts gnome-keyring in a private D-Bus session and sets
//! EA_KEYRING_E2E=1); elsewhere it is skipped with the reason printed.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use emergency_access::secrets::{KeyringStore, SecretStore};

#[test]
fn client_key_round_trips_through_the_os_keyring() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        assert!(
            std::env::var_os("EA_KEYRING_E2E").is_none(),
            "keyring test required but there is no D-Bus session"
        );
        eprintln!("skipping the keyring test: no D-Bus session");
        return;
    }
    let store = KeyringStore;
    let name = format!("test-client-key-{}", std::process::id());
    store
        .set(&name, "ea_ck_secret-value")
        .expect("stored in the keyring");
    assert_eq!(
        store.get(&name).expect("read").map(|v| v.to_string()),
        Some("ea_ck_secret-value".into())
    );
    store.delete(&name).expect("deleted");
    assert!(store.get(&name).expect("read").is_none());
    store.delete(&name).expect("deleting twice is fine");
}
