//! Reading and saving settings; saving validates and applies them without a restart.
//! The proxy password only ever comes in (`proxyPassword`), never goes out.

use dynaspark_core::{settings_to_keep, KeyringStatus, PasswordChange, Settings, SettingsView};
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

/// "Test connection": tries the proxy of the settings being edited (not saved), with the
/// password as a save would resolve it (`proxy_password` as in `save_settings`: absent
/// keeps the saved one). Never sends a question. Invalid settings fail as a save would.
#[tauri::command]
pub async fn test_proxy(
    state: State<'_, AppState>,
    settings: Settings,
    proxy_password: Option<PasswordChange>,
) -> IpcResult<dynaspark::ProxyReport> {
    let saved = state.settings.get().proxy.password;
    // The same rule a save follows, so the test tries the password a save would keep.
    let settings = settings_to_keep(settings, proxy_password.unwrap_or_default(), &saved);
    let errors = settings.validate();
    if !errors.is_empty() {
        return Err(dynaspark_core::Error::InvalidSettings(errors).into());
    }
    let config = settings.client_config(state.endpoint_override.as_deref())?;
    let client = dynaspark::Client::new(config)?;
    let report = client.test_proxy().await;
    tracing::info!(
        proxy = ?report.proxy,
        reached = report.reached,
        asked_for_credentials = report.asked_for_credentials,
        credentials_refused = report.credentials_refused,
        status = ?report.status,
        "proxy tested"
    );
    Ok(report)
}
