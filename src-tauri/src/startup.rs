//! Start-up before the window opens: where the data folder is, whether it can be written,
//! and opening what the app holds. A failure is logged and shown in a native message
//! dialog with the reason and the data folder (in place of the main window); the app then
//! exits with status 1. No panics.

use std::path::{Path, PathBuf};

use tauri::{AppHandle, Manager as _, Runtime};

use crate::state::AppState;

/// The message dialog's title (tests look for a window with this name).
pub const FAILURE_TITLE: &str = "Dynaspark Desktop could not start";

/// Why the app cannot start, and where its data folder is (when that much is known).
#[derive(Debug)]
pub struct Failure {
    pub reason: String,
    pub data_dir: Option<PathBuf>,
}

/// The data folder: `DYNASPARK_DATA_DIR` when set (tests, a second profile), else the
/// platform's app data folder.
pub fn data_dir<R: Runtime>(app: &AppHandle<R>) -> Result<PathBuf, Failure> {
    match std::env::var_os(crate::ENV_DATA_DIR).filter(|v| !v.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => app.path().app_data_dir().map_err(|e| Failure {
            reason: format!("The app could not find the folder where it keeps its data: {e}."),
            data_dir: None,
        }),
    }
}

/// Makes sure `data_dir` is a folder the app can write to, then opens the history and
/// the settings there.
pub fn open_state(
    data_dir: PathBuf,
    endpoint_override: Option<String>,
) -> Result<AppState, Failure> {
    let fail = |reason: String| Failure {
        reason,
        data_dir: Some(data_dir.clone()),
    };
    prepare_folder(&data_dir).map_err(fail)?;
    AppState::open(data_dir.clone(), endpoint_override).map_err(|e| fail(e.to_string()))
}

/// Creates the folder and writes a file in it, so an unwritable folder is named as such
/// instead of surfacing later as a database error.
fn prepare_folder(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| {
        if dir.is_file() || dir.ancestors().skip(1).any(Path::is_file) {
            format!("The data folder cannot be created: a file is in its place ({e}).")
        } else {
            format!("The data folder cannot be created: {e}.")
        }
    })?;
    let probe = dir.join(format!(".write-check-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .map_err(|e| format!("The data folder cannot be written to: {e}."))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// `DYNASPARK_ENDPOINT`, when set.
pub fn endpoint_override() -> Option<String> {
    let endpoint = std::env::var(crate::ENV_ENDPOINT)
        .ok()
        .filter(|v| !v.trim().is_empty());
    if let Some(e) = &endpoint {
        tracing::info!(endpoint = %e, "endpoint overridden by {}", crate::ENV_ENDPOINT);
    }
    endpoint
}

impl Failure {
    /// What the dialog says.
    pub fn description(&self) -> String {
        let mut text = self.reason.clone();
        match &self.data_dir {
            Some(dir) => {
                text.push_str(&format!("\n\nData folder: {}", dir.display()));
                let logs = dir.join(crate::logging::LOG_DIR);
                if logs.is_dir() {
                    text.push_str(&format!("\nLogs: {}", logs.display()));
                }
            }
            None => text.push_str("\n\nNo data folder could be chosen."),
        }
        text
    }

    /// Logs the failure, to the file when there is one, and to stderr.
    pub fn log(&self) {
        tracing::error!(
            reason = %self.reason,
            data_dir = ?self.data_dir,
            "{FAILURE_TITLE}"
        );
    }

    /// Shows the failure in a native message dialog until the person closes it. Needs
    /// the event loop running (the dialog is shown on its thread).
    pub async fn show(&self) {
        rfd::AsyncMessageDialog::new()
            .set_level(rfd::MessageLevel::Error)
            .set_title(FAILURE_TITLE)
            .set_description(self.description())
            .set_buttons(rfd::MessageButtons::Ok)
            .show()
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_in_place_of_the_data_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data");
        std::fs::write(&file, b"").unwrap();
        let failure = open_state(file.clone(), None).err().unwrap();
        assert_eq!(failure.data_dir.as_deref(), Some(file.as_path()));
        assert!(
            failure.reason.contains("a file is in its place"),
            "{}",
            failure.reason
        );
        let text = failure.description();
        assert!(
            text.contains(&format!("Data folder: {}", file.display())),
            "{text}"
        );
    }

    #[test]
    #[cfg(unix)]
    fn a_read_only_data_folder_is_named() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o500)).unwrap();
        if std::fs::write(data.join("x"), b"").is_ok() {
            return; // running as root: permissions do not stop writes
        }
        let failure = open_state(data.clone(), None).err().unwrap();
        assert!(
            failure
                .reason
                .starts_with("The data folder cannot be written to"),
            "{}",
            failure.reason
        );
    }

    #[test]
    fn an_unreadable_history_fails_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        // A folder where the database file should be: no version of the app can open it.
        std::fs::create_dir(dir.path().join(crate::state::HISTORY_FILE)).unwrap();
        let failure = open_state(dir.path().to_owned(), None).err().unwrap();
        assert!(!failure.reason.is_empty());
        assert_eq!(failure.data_dir.as_deref(), Some(dir.path()));
    }

    #[test]
    fn a_usable_folder_opens() {
        let dir = tempfile::tempdir().unwrap();
        let state = open_state(dir.path().join("new"), None).unwrap();
        assert!(state.notices.is_empty());
        assert_eq!(
            std::fs::read_dir(dir.path().join("new"))
                .unwrap()
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with(".write-check"))
                .count(),
            0,
            "the probe file is removed"
        );
    }
}
