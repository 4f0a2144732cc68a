//! The desktop shell: wires typed commands, state and logging. Business rules live on the
//! server and in `crates/*`; this crate only forwards and maps errors.

pub mod card;
pub mod client;
pub mod commands;
pub mod enrol;
pub mod error;
pub mod managed;
pub mod rules;
pub mod scan;
pub mod secrets;
pub mod settings;
pub mod state;
pub mod update;

use std::sync::Mutex;
use tauri::Manager;
use tauri_plugin_deep_link::DeepLinkExt;

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

/// When the app started, and whether its first screen has been reported.
#[derive(Debug)]
pub struct Started {
    pub at: std::time::Instant,
    pub reported: std::sync::atomic::AtomicBool,
}

/// Builds and runs the app.
pub fn run() {
    let started = Started {
        at: std::time::Instant::now(),
        reported: Default::default(),
    };
    let result = tauri::Builder::default()
        // First: a second launch (for example a `vsec-ea://` link opened while the app runs)
        // hands its link to this instance and exits; no second window.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.set_focus();
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(scan::ScanState::default())
        .manage(started)
        .on_window_event(|window, event| {
            // Closing the window releases the camera.
            if matches!(event, tauri::WindowEvent::Destroyed) {
                window.state::<scan::ScanState>().stop();
            }
        })
        .setup(|app| {
            if let Ok(dir) = app.path().app_log_dir() {
                init_logging(&dir);
            }
            let config_dir = match std::env::var_os("EA_CONFIG_DIR") {
                Some(d) => d.into(),
                None => app.path().app_config_dir()?,
            };
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "starting");
            // A link the app was launched with, then links opened while it runs.
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                if let Some(url) = event.urls().first() {
                    tracing::info!(scheme = url.scheme(), "link opened");
                    handle.state::<scan::ScanState>().link_arrived(url.as_str());
                }
            });
            // Installed bundles register the scheme themselves; a build run from the source tree
            // can register it for this user on request (the demo does).
            #[cfg(any(target_os = "linux", windows))]
            if std::env::var_os("EA_REGISTER_SCHEME").is_some()
                && let Err(e) = app.deep_link().register_all()
            {
                tracing::warn!(error = %e, "the link schemes could not be registered");
            }
            if let Ok(Some(urls)) = app.deep_link().get_current()
                && let Some(url) = urls.first()
            {
                tracing::info!(scheme = url.scheme(), "started with a link");
                app.state::<scan::ScanState>().link_arrived(url.as_str());
            }
            app.manage(state::Desktop::new(
                config_dir,
                std::sync::Arc::new(secrets::KeyringStore),
            ));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::get_settings,
            commands::save_settings,
            commands::list_tenants,
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
            rules::check_password,
            rules::check_emergency_code,
            card::card_watch,
            update::update_check,
            update::update_install,
            commands::first_screen,
            card::card_status,
            card::card_unblock,
            card::card_change_pin,
            card::card_helpdesk_cryptogram,
            card::card_report,
            card::card_qr_cryptogram,
            scan::scan_cameras,
            scan::scan_start,
            scan::scan_stop,
            scan::scan_parse,
            scan::scan_image,
            scan::scan_watch_links,
            scan::scan_take_link,
            enrol::enrol_start,
            enrol::enrol_after_verification,
            enrol::enrol_get,
            enrol::enrol_confirm_address,
            enrol::enrol_resend,
            enrol::enrol_add_contact,
            enrol::enrol_confirm_contact,
            enrol::enrol_remove_contact,
            enrol::enrol_begin_authenticator,
            enrol::enrol_confirm_authenticator,
            enrol::enrol_remove_authenticator,
            enrol::enrol_set_answers,
            enrol::enrol_end,
            enrol::enrol_start_with_password,
            scan::enrol_take_link,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("error: the app could not start: {e}");
        std::process::exit(1);
    }
}
