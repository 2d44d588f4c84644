//! About the app itself, and opening links in the system browser.

use serde::Serialize;
use tauri::State;
use tauri_plugin_opener::OpenerExt as _;

use crate::error::{IpcError, IpcResult};
use crate::state::Notice;
use crate::AppState;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    version: &'static str,
    data_dir: String,
    log_dir: String,
    endpoint_override: Option<String>,
    notices: Vec<Notice>,
    platform: &'static str,
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        data_dir: state.data_dir.display().to_string(),
        log_dir: state.data_dir.join("logs").display().to_string(),
        endpoint_override: state.endpoint_override.clone(),
        notices: state.notices.clone(),
        platform: std::env::consts::OS,
    }
}

/// Opens a link from an answer; only http, https and mailto reach the system opener.
#[tauri::command]
pub fn open_url(app: tauri::AppHandle, url: String) -> IpcResult<()> {
    let parsed = url::Url::parse(&url)
        .map_err(|_| IpcError::new("invalid_url", "That link is not a valid address."))?;
    if !matches!(parsed.scheme(), "http" | "https" | "mailto") {
        return Err(IpcError::new(
            "blocked_url",
            format!("Links of type \"{}:\" are not opened.", parsed.scheme()),
        ));
    }
    tracing::info!(
        scheme = parsed.scheme(),
        host = parsed.host_str().unwrap_or(""),
        "opening link"
    );
    app.opener()
        .open_url(parsed.as_str(), None::<&str>)
        .map_err(|e| IpcError::new("open_failed", format!("Could not open the link: {e}")))
}
