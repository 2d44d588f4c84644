//! What the app holds while it runs: the history, the image library, settings, and the
//! questions in flight (so they can be cancelled).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use dynaspark_core::{History, ImageLibrary};
use serde::Serialize;
use tauri::{AppHandle, Wry};
use tokio_util::sync::CancellationToken;
use tracing_appender::non_blocking::WorkerGuard;

use crate::settings_store::SettingsStore;

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
    pub settings: SettingsStore<Wry>,
    pub endpoint_override: Option<String>,
    pub in_flight: Mutex<HashMap<i64, CancellationToken>>,
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
        let opened = History::open(&data_dir.join("history.sqlite3"))?;
        if let Some(moved) = &opened.moved_aside {
            notices.push(Notice {
                code: "history_moved_aside",
                message: format!(
                    "The conversation history could not be read, so a new one was started. The old file was kept as {}.",
                    moved.display()
                ),
            });
        }
        let (settings, report) = SettingsStore::open(app, &data_dir)?;
        if let Some(moved) = report.moved_aside {
            notices.push(Notice {
                code: "settings_moved_aside",
                message: format!("The settings file could not be read; defaults are in use. The old file was kept as {}.", moved.display()),
            });
        }
        if !report.repairs.is_empty() {
            notices.push(Notice {
                code: "settings_repaired",
                message: format!(
                    "Some settings were invalid and were reset: {}",
                    report.repairs.join("; ")
                ),
            });
        }
        let endpoint_override = std::env::var(crate::ENV_ENDPOINT)
            .ok()
            .filter(|v| !v.trim().is_empty());
        if let Some(e) = &endpoint_override {
            tracing::info!(endpoint = %e, "endpoint overridden by {}", crate::ENV_ENDPOINT);
        }
        Ok(Self {
            images: ImageLibrary::new(data_dir.join("images")),
            history: Arc::new(Mutex::new(opened.history)),
            settings,
            endpoint_override,
            in_flight: Mutex::new(HashMap::new()),
            notices,
            data_dir,
            _log_guard: log_guard,
        })
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
