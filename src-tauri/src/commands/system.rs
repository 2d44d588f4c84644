//! About the app itself, opening links in the system browser, and the logs folder in the
//! file manager.

use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
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
        log_dir: state.log_dir().display().to_string(),
        endpoint_override: state.endpoint_override.clone(),
        notices: state.notices.clone(),
        platform: std::env::consts::OS,
    }
}

/// Opens a link from an answer; only http, https and mailto reach the system opener.
#[tauri::command]
pub fn open_url<R: Runtime>(app: AppHandle<R>, url: String) -> IpcResult<()> {
    let parsed = openable_link(&url)?;
    tracing::info!(
        scheme = parsed.scheme(),
        host = parsed.host_str().unwrap_or(""),
        "opening link"
    );
    app.opener()
        .open_url(parsed.as_str(), None::<&str>)
        .map_err(|e| IpcError::new("open_failed", format!("Could not open the link: {e}")))
}

/// Shows the logs folder in the file manager. The path is the app's own, never one from
/// the page.
#[tauri::command]
pub fn open_logs_folder<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> IpcResult<()> {
    let dir = state.log_dir();
    std::fs::create_dir_all(&dir).map_err(|e| {
        IpcError::new(
            "open_failed",
            format!("The logs folder {} could not be made: {e}", dir.display()),
        )
    })?;
    tracing::info!(dir = %dir.display(), "opening the logs folder");
    app.opener()
        .open_path(dir.display().to_string(), None::<&str>)
        .map_err(|e| {
            IpcError::new(
                "open_failed",
                format!("The logs folder {} could not be opened: {e}", dir.display()),
            )
        })
}

/// The links the system opener may receive: http, https and mailto only.
fn openable_link(url: &str) -> IpcResult<url::Url> {
    let parsed = url::Url::parse(url)
        .map_err(|_| IpcError::new("invalid_url", "That link is not a valid address."))?;
    if !matches!(parsed.scheme(), "http" | "https" | "mailto") {
        return Err(IpcError::new(
            "blocked_url",
            format!("Links of type \"{}:\" are not opened.", parsed.scheme()),
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_links_are_opened() {
        for ok in [
            "https://example.com/a?b=c",
            "http://localhost:8080/",
            "mailto:someone@example.com",
        ] {
            assert!(openable_link(ok).is_ok(), "{ok}");
        }
        for (bad, code) in [
            ("file:///etc/passwd", "blocked_url"),
            ("javascript:alert(1)", "blocked_url"),
            ("smb://server/share", "blocked_url"),
            ("tauri://localhost/index.html", "blocked_url"),
            ("not a url", "invalid_url"),
            ("/relative/path", "invalid_url"),
        ] {
            assert_eq!(openable_link(bad).unwrap_err().code, code, "{bad}");
        }
    }
}
