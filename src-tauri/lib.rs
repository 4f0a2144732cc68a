//! The desktop shell: wires typed commands, state and logging. Business rules live on the
//! server and in `crates/*`; this crate only forwards and maps errors.

pub mod card;
pub mod client;
pub mod commands;
pub mod error;
pub mod secrets;
pub mod settings;
pub mod state;

use std::sync::Mutex;
use tauri::Manager;

/// Logs go to `emergency-access.log` in the app's log directory; never a secret.
fn init_logging(dir: &std::path::Path) {
    let _ = std::fs::create_dir_all(dir);
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("emergency-access.log"))
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
}

/// Builds and runs the app.
pub fn run() {
    let result = tauri::Builder::default()
        .setup(|app| {
            if let Ok(dir) = app.path().app_log_dir() {
                init_logging(&dir);
            }
            let config_dir = match std::env::var_os("EA_CONFIG_DIR") {
                Some(d) => d.into(),
                None => app.path().app_config_dir()?,
            };
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "starting");
            app.manage(state::Desktop::new(
                config_dir,
                std::sync::Arc::new(secrets::KeyringStore),
            ));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::get_settings,
            commands::save_settings,
            commands::start_session,
            commands::get_session,
            commands::end_session,
            commands::choose_flow,
            commands::confirm_contact,
            commands::resend_code,
            commands::verify_code,
            commands::answer_questions,
            commands::verify_totp,
            commands::resync_totp,
            commands::get_password_policy,
            commands::reset_password,
            commands::unblock_user,
            commands::get_emergency_code_limits,
            commands::issue_emergency_code,
            card::card_support,
            card::card_readers,
            card::card_status,
            card::card_unblock,
            card::card_change_pin,
            card::card_helpdesk_cryptogram,
            card::card_report,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("error: the app could not start: {e}");
        std::process::exit(1);
    }
}
