//! What the app holds while it runs: the history, the image library, settings, and the
//! questions in flight (so they can be cancelled).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use dynaspark_core::{History, ImageLibrary, SettingsStore};
use serde::Serialize;
use tauri::AppHandle;
use tokio_util::sync::CancellationToken;
use tracing_appender::non_blocking::WorkerGuard;

/// The history database's file name in the data folder.
pub const HISTORY_FILE: &str = "history.sqlite3";

/// Something the person should know about from start-up (a file moved aside, a repair).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub code: &'static str,
    pub message: String,
}

pub struct AppState {
    pub data_dir: PathBuf,
    pub history: Arc<Mutex<History>>,
    pub images: ImageLibrary,
    pub settings: SettingsStore,
    pub endpoint_override: Option<String>,
    in_flight: Mutex<HashMap<i64, CancellationToken>>,
    pub notices: Vec<Notice>,
    _log_guard: Option<WorkerGuard>,
}

impl AppState {
    pub fn open(
        app: &AppHandle,
        data_dir: PathBuf,
        log_guard: Option<WorkerGuard>,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let mut notices = Vec::new();
        let images = ImageLibrary::new(data_dir.join("images"));
        let history = open_history(&data_dir, &images, &mut notices)?;
        let (settings, settings_notices) = crate::settings_store::open(app, &data_dir)?;
        notices.extend(settings_notices.into_iter().map(|n| Notice {
            code: n.code,
            message: n.message,
        }));
        let endpoint_override = std::env::var(crate::ENV_ENDPOINT)
            .ok()
            .filter(|v| !v.trim().is_empty());
        if let Some(e) = &endpoint_override {
            tracing::info!(endpoint = %e, "endpoint overridden by {}", crate::ENV_ENDPOINT);
        }
        Ok(Self {
            images,
            history: Arc::new(Mutex::new(history)),
            settings,
            endpoint_override,
            in_flight: Mutex::new(HashMap::new()),
            notices,
            data_dir,
            _log_guard: log_guard,
        })
    }

    /// Stops the question in flight in a conversation, if any. `true` when there was one.
    pub fn cancel_in_flight(&self, conversation_id: i64) -> bool {
        let in_flight = self.in_flight();
        match in_flight.get(&conversation_id) {
            Some(token) => {
                tracing::info!(conversation_id, "cancelling the question in flight");
                token.cancel();
                true
            }
            None => false,
        }
    }

    pub fn cancel_all_in_flight(&self) {
        for token in self.in_flight().values() {
            token.cancel();
        }
    }

    pub fn in_flight(&self) -> std::sync::MutexGuard<'_, HashMap<i64, CancellationToken>> {
        self.in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` with the history on a blocking thread, never on the UI thread.
    pub async fn with_history<T, F>(&self, f: F) -> crate::error::IpcResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut History) -> dynaspark_core::Result<T> + Send + 'static,
    {
        let history = self.history.clone();
        let result = tauri::async_runtime::spawn_blocking(move || {
            let mut h = history
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut h)
        })
        .await?;
        Ok(result?)
    }
}

/// Opens the history. One this version cannot use (written by a newer version, or an
/// upgrade that failed and was undone) is left untouched: the app runs on an empty
/// in-memory history and says why, instead of refusing to start.
fn open_history(
    data_dir: &std::path::Path,
    images: &ImageLibrary,
    notices: &mut Vec<Notice>,
) -> Result<History, Box<dyn std::error::Error>> {
    use dynaspark_core::Error;
    match History::open(&data_dir.join(HISTORY_FILE)) {
        Ok(opened) => {
            if let Some(moved) = &opened.moved_aside {
                notices.push(Notice {
                    code: "history_moved_aside",
                    message: format!(
                        "The conversation history could not be read, so a new one was started. The old file was kept as {}.",
                        moved.display()
                    ),
                });
            }
            images.remove_unreferenced(&opened.orphaned_images);
            Ok(opened.history)
        }
        Err(e @ (Error::NewerSchema { .. } | Error::MigrationFailed { .. })) => {
            tracing::error!(error = %e, "history unusable; running without saving");
            notices.push(Notice {
                code: e.code(),
                message: format!(
                    "{e} Conversations from this session will not be saved until then."
                ),
            });
            Ok(History::open_in_memory()?)
        }
        Err(e) => Err(e.into()),
    }
}
