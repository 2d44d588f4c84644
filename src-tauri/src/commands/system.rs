//! About the app itself, opening links in the system browser, and the logs folder in the
//! file manager, through the system's opener (`open`: xdg-open and its kin on Linux,
//! `open` on macOS, ShellExecute on Windows). tauri-plugin-opener did the same and
//! brought zbus along (1.3 MB of the binary) for a feature we do not use.

use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

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
    /// The system locale from the environment ("ru_RU.UTF-8"), when it names one: the
    /// interface language follows it unless one is chosen (the page falls back to the
    /// webview's `navigator.languages`).
    locale: Option<String>,
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
        locale: env_locale(|key| std::env::var(key).ok()),
    }
}

/// The page has its first content: the main window, made hidden, shows now
/// (`window_place`).
#[tauri::command]
pub fn show_window<R: Runtime>(window: tauri::WebviewWindow<R>) {
    crate::window_place::show(&window, "the page is ready");
}

/// The locale for messages as gettext finds it: the first set of LANGUAGE (its first
/// entry), LC_ALL, LC_MESSAGES, LANG; `None` when none is, or it is C / POSIX.
fn env_locale(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    let value = ["LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .filter_map(var)
        .map(|v| v.split(':').next().unwrap_or_default().trim().to_owned())
        .find(|v| !v.is_empty())?;
    let base = value.split(['.', '@']).next().unwrap_or_default();
    (!base.is_empty() && base != "C" && base != "POSIX").then_some(value)
}

/// Opens a link from an answer; only http, https and mailto reach the system opener.
#[tauri::command]
pub fn open_url(url: String) -> IpcResult<()> {
    let parsed = openable_link(&url)?;
    tracing::info!(
        scheme = parsed.scheme(),
        host = parsed.host_str().unwrap_or(""),
        "opening link"
    );
    open::that_detached(parsed.as_str())
        .map_err(|e| IpcError::new("open_failed", format!("Could not open the link: {e}")))
}

/// Shows the logs folder in the file manager. The path is the app's own, never one from
/// the page.
#[tauri::command]
pub fn open_logs_folder(state: State<'_, AppState>) -> IpcResult<()> {
    open_folder(&state.log_dir(), "logs")
}

/// Shows the data folder (history, images, settings, logs) in the file manager.
#[tauri::command]
pub fn open_data_folder(state: State<'_, AppState>) -> IpcResult<()> {
    open_folder(&state.data_dir, "data")
}

fn open_folder(dir: &std::path::Path, which: &str) -> IpcResult<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        IpcError::new(
            "open_failed",
            format!(
                "The {which} folder {} could not be made: {e}",
                dir.display()
            ),
        )
    })?;
    tracing::info!(dir = %dir.display(), "opening the {which} folder");
    open::that_detached(dir).map_err(|e| {
        IpcError::new(
            "open_failed",
            format!(
                "The {which} folder {} could not be opened: {e}",
                dir.display()
            ),
        )
    })
}

/// Puts `text` on the system clipboard (Copy on a message: its Markdown).
#[tauri::command]
pub async fn copy_text<R: Runtime>(app: AppHandle<R>, text: String) -> IpcResult<()> {
    tauri::async_runtime::spawn_blocking(move || crate::clipboard::write_text(&app, &text)).await?
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
    fn the_locale_is_read_as_gettext_reads_it() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(
            env_locale(env(&[("LANG", "ru_RU.UTF-8")])).as_deref(),
            Some("ru_RU.UTF-8")
        );
        assert_eq!(
            env_locale(env(&[("LANG", "en_US.UTF-8"), ("LC_ALL", "ru_RU.UTF-8")])).as_deref(),
            Some("ru_RU.UTF-8")
        );
        assert_eq!(
            env_locale(env(&[("LANGUAGE", "ru:en"), ("LANG", "en_US.UTF-8")])).as_deref(),
            Some("ru")
        );
        assert_eq!(
            env_locale(env(&[("LANGUAGE", ""), ("LANG", "ru_RU.UTF-8")])).as_deref(),
            Some("ru_RU.UTF-8")
        );
        assert_eq!(env_locale(env(&[("LC_ALL", "C.UTF-8")])), None);
        assert_eq!(env_locale(env(&[("LANG", "POSIX")])), None);
        assert_eq!(env_locale(env(&[])), None);
    }

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
