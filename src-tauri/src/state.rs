//! What the app holds while it runs: the history, the image library, settings, and the
//! questions in flight (so they can be cancelled).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use dynaspark::{Client, ClientConfig};
use dynaspark_core::{History, ImageLibrary, SettingsStore, UiState, UI_STATE_FILE};
use serde::Serialize;

use crate::in_flight::InFlight;

/// The history database's file name in the data folder.
pub const HISTORY_FILE: &str = "history.sqlite3";

/// Something the person should know about from start-up (a file moved aside, a repair).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub code: &'static str,
    pub message: String,
}

/// One Dynaspark client, kept while the settings it was made from stay the same, with
/// its pool of open connections: making one costs milliseconds (root certificates,
/// proxy set-up), and a fresh connection to the service a TLS handshake per question.
#[derive(Default)]
pub struct ClientSlot {
    kept: Mutex<Option<Client>>,
    #[cfg(test)]
    made: std::sync::atomic::AtomicUsize,
}

impl ClientSlot {
    /// The kept client when it was made from `config`, else a new one, kept instead.
    pub fn get(&self, config: ClientConfig) -> Result<Client, dynaspark::Error> {
        let mut kept = crate::sync::lock(&self.kept);
        if let Some(client) = kept.as_ref().filter(|c| c.config() == &config) {
            return Ok(client.clone());
        }
        let client = Client::new(config)?;
        #[cfg(test)]
        self.made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *kept = Some(client.clone());
        Ok(client)
    }
}

pub struct AppState {
    pub data_dir: PathBuf,
    pub history: Arc<Mutex<History>>,
    pub images: ImageLibrary,
    pub settings: SettingsStore,
    pub ui_state: UiState,
    pub endpoint_override: Option<String>,
    pub questions: InFlight,
    pub notices: Vec<Notice>,
    clients: ClientSlot,
}

impl AppState {
    /// Opens the history, the settings and the UI state in `data_dir` (which must
    /// exist). `endpoint_override` replaces the endpoint setting (`DYNASPARK_ENDPOINT`).
    pub fn open(
        data_dir: PathBuf,
        endpoint_override: Option<String>,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let mut notices = Vec::new();
        let images = ImageLibrary::new(data_dir.join("images"));
        let history = open_history(&data_dir, &images, &mut notices)?;
        let (settings, settings_notices) = crate::settings_store::open(&data_dir)?;
        notices.extend(settings_notices.into_iter().map(|n| Notice {
            code: n.code,
            message: n.message,
        }));
        Ok(Self {
            images,
            history: Arc::new(Mutex::new(history)),
            settings,
            ui_state: UiState::open(data_dir.join(UI_STATE_FILE)),
            endpoint_override,
            questions: InFlight::default(),
            notices,
            clients: ClientSlot::default(),
            data_dir,
        })
    }

    /// The Dynaspark client for the current settings (see [`ClientSlot`]).
    pub fn client(&self, config: ClientConfig) -> Result<Client, dynaspark::Error> {
        self.clients.get(config)
    }

    /// Where the log files are (see `logging`).
    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join(crate::logging::LOG_DIR)
    }

    /// Runs `f` with the history on a blocking thread, never on the UI thread.
    pub async fn with_history<T, F>(&self, f: F) -> crate::error::IpcResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut History) -> dynaspark_core::Result<T> + Send + 'static,
    {
        self.spawn_history(f).await
    }

    /// `with_history` started at once: `f` runs while the caller goes on, and the
    /// future returned gives its result.
    pub fn spawn_history<T, F>(
        &self,
        f: F,
    ) -> impl std::future::Future<Output = crate::error::IpcResult<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut History) -> dynaspark_core::Result<T> + Send + 'static,
    {
        let history = self.history.clone();
        let task = tauri::async_runtime::spawn_blocking(move || {
            let mut h = crate::sync::lock(&history);
            f(&mut h)
        });
        async move { Ok(task.await??) }
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_client_is_kept_until_the_settings_change() {
        let slot = ClientSlot::default();
        let config = ClientConfig::new("http://127.0.0.1:9/generate_response").unwrap();
        let made = || slot.made.load(Ordering::Relaxed);

        let first = slot.get(config.clone()).unwrap();
        slot.get(config.clone()).unwrap();
        assert_eq!(made(), 1, "the same settings reuse the client");
        assert_eq!(first.config(), &config);

        let mut slower = config.clone();
        slower.timeouts.connect = Duration::from_secs(3);
        assert_eq!(slot.get(slower.clone()).unwrap().config(), &slower);
        assert_eq!(made(), 2, "a changed timeout makes a new client");

        let mut proxied = slower.clone();
        proxied.proxy = Some(
            dynaspark::ProxyConfig::new("http://127.0.0.1:8080", Some("u"), Some("p")).unwrap(),
        );
        slot.get(proxied.clone()).unwrap();
        let mut other_password = proxied.clone();
        other_password.proxy = Some(
            dynaspark::ProxyConfig::new("http://127.0.0.1:8080", Some("u"), Some("q")).unwrap(),
        );
        slot.get(other_password).unwrap();
        assert_eq!(made(), 4, "a new proxy password makes a new client");
        slot.get(proxied).unwrap();
        assert_eq!(made(), 5, "only the latest client is kept");
    }
}
