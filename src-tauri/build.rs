//! Generates the Tauri context and one permission per app command, so the capability file can
//! allow exactly the commands the UI uses.

fn main() {
    let commands = &[
        "get_settings",
        "save_settings",
        "list_tenants",
        "start_session",
        "get_session",
        "end_session",
        "choose_flow",
        "confirm_contact",
        "resend_code",
        "verify_code",
        "answer_questions",
        "verify_totp",
        "resync_totp",
        "get_password_policy",
        "reset_password",
        "unblock_user",
        "get_emergency_code_limits",
        "issue_emergency_code",
        "check_password",
        "check_emergency_code",
        "card_watch",
        "update_check",
        "update_install",
        "first_screen",
        "card_status",
        "card_unblock",
        "card_change_pin",
        "card_helpdesk_cryptogram",
        "card_report",
        "card_qr_cryptogram",
        "scan_cameras",
        "scan_start",
        "scan_stop",
        "scan_parse",
        "scan_image",
        "scan_watch_links",
        "scan_take_link",
        "enrol_start",
        "enrol_after_verification",
        "enrol_get",
        "enrol_confirm_address",
        "enrol_resend",
        "enrol_add_contact",
        "enrol_confirm_contact",
        "enrol_remove_contact",
        "enrol_begin_authenticator",
        "enrol_confirm_authenticator",
        "enrol_remove_authenticator",
        "enrol_set_answers",
        "enrol_end",
        "enrol_start_with_password",
        "enrol_take_link",
    ];
    let attrs = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(commands));
    if let Err(e) = tauri_build::try_build(attrs) {
        eprintln!("tauri build step failed: {e:#}");
        std::process::exit(1);
    }
}
