//! Reading and saving settings; saving validates and applies them without a restart.

use dynaspark_core::Settings;
use serde::Serialize;
use tauri::State;

use crate::error::IpcResult;
use crate::AppState;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    settings: Settings,
    defaults: Settings,
    /// Set when `DYNASPARK_ENDPOINT` replaces the endpoint setting.
    endpoint_override: Option<String>,
}

#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> SettingsView {
    SettingsView {
        settings: state.settings.get(),
        defaults: Settings::default(),
        endpoint_override: state.endpoint_override.clone(),
    }
}

/// Async so the atomic write (with fsync) runs off the main thread.
#[tauri::command]
pub async fn save_settings(state: State<'_, AppState>, settings: Settings) -> IpcResult<Settings> {
    Ok(state.settings.save(settings)?)
}
