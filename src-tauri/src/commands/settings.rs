//! Reading and saving settings; saving validates and applies them without a restart.
//! The proxy password only ever comes in (`proxyPassword`), never goes out.

use dynaspark_core::{KeyringStatus, PasswordChange, Settings, SettingsView};
use tauri::State;

use crate::error::IpcResult;
use crate::AppState;

/// The settings without the password: `passwordSaved` and `passwordStorage` say whether
/// one is kept, and where.
#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> SettingsView {
    state.settings.view(state.endpoint_override.clone())
}

/// `proxy_password` absent keeps the saved one. The file write (with fsync) and the
/// keyring call run on a blocking thread, never on the main thread.
#[tauri::command]
pub async fn save_settings(
    state: State<'_, AppState>,
    settings: Settings,
    proxy_password: Option<PasswordChange>,
) -> IpcResult<Settings> {
    let store = state.settings.clone();
    let change = proxy_password.unwrap_or_default();
    Ok(tauri::async_runtime::spawn_blocking(move || store.save(settings, change)).await??)
}

/// Whether the OS keyring answers, asked when a password is about to be typed, so the
/// dialog can say beforehand that it would be kept for this session only.
#[tauri::command]
pub async fn check_keyring(state: State<'_, AppState>) -> IpcResult<KeyringStatus> {
    let store = state.settings.clone();
    Ok(tauri::async_runtime::spawn_blocking(move || store.check_keyring()).await?)
}
