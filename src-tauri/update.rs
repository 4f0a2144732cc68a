//! Signed updates: the app asks the release endpoint (`plugins.updater` in `tauri.conf.json`)
//! whether a newer version exists, and installs it when the person says so; the package's
//! minisign signature must match the public key there, or nothing is installed. A machine's
//! policy (`check_updates = false`) or `EA_NO_UPDATE_CHECK` turns the check off.

use crate::error::ErrorCode;
use crate::managed::Managed;
use crate::state::Desktop;
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_updater::UpdaterExt;
use ts_rs::TS;

type Result<T> = std::result::Result<T, ErrorCode>;

/// A newer version that can be installed.
#[derive(Debug, Serialize, TS)]
pub struct UpdateView {
    pub version: String,
    /// The release notes, as published.
    pub notes: Option<String>,
}

/// Whether this machine may look for updates: not when its policy says `check_updates = false`
/// (an administrator who deploys versions), nor with `EA_NO_UPDATE_CHECK` set. A policy that
/// cannot be read does not stop the check.
pub fn allowed(policy: &std::result::Result<Option<Managed>, String>, env_off: bool) -> bool {
    let managed_off = matches!(
        policy,
        Ok(Some(Managed {
            check_updates: Some(false),
            ..
        }))
    );
    !(managed_off || env_off)
}

fn allowed_here() -> bool {
    allowed(
        &crate::managed::load(),
        std::env::var_os("EA_NO_UPDATE_CHECK").is_some(),
    )
}

/// A newer version, if there is one and looking is allowed; an endpoint that cannot be reached
/// is no update (logged).
#[tauri::command]
pub async fn update_check(app: AppHandle) -> Result<Option<UpdateView>> {
    if !allowed_here() {
        return Ok(None);
    }
    let found = match app.updater() {
        Ok(u) => u.check().await,
        Err(e) => Err(e),
    };
    match found {
        Ok(Some(u)) => Ok(Some(UpdateView {
            version: u.version.clone(),
            notes: u.body.clone(),
        })),
        Ok(None) => Ok(None),
        Err(e) => {
            tracing::info!(error = %e, "no update information");
            Ok(None)
        }
    }
}

/// Downloads the newer version, checks its signature, installs it and restarts the app; never
/// while a verification or an enrolment is going on (the restart would end it).
#[tauri::command]
pub async fn update_install(app: AppHandle, d: State<'_, Desktop>) -> Result<()> {
    if !allowed_here() || d.in_recovery().await {
        return Err(ErrorCode::Internal {});
    }
    let update = app
        .updater()
        .map_err(|_| ErrorCode::Internal {})?
        .check()
        .await
        .map_err(|_| ErrorCode::ServerUnreachable {})?
        .ok_or(ErrorCode::Internal {})?;
    update
        .download_and_install(|_, _| {}, || {})
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "the update was not installed");
            ErrorCode::Internal {}
        })?;
    tracing::info!(version = %update.version, "update installed; restarting");
    app.restart()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_or_the_environment_turns_the_check_off() {
        let with = |check_updates| {
            Ok(Some(Managed {
                check_updates,
                ..Managed::default()
            }))
        };
        assert!(allowed(&Ok(None), false));
        assert!(allowed(&with(None), false));
        assert!(allowed(&with(Some(true)), false));
        assert!(!allowed(&with(Some(false)), false));
        assert!(!allowed(&Ok(None), true));
        assert!(allowed(&Err("unreadable".into()), false));
    }
}
