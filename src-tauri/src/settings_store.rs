//! Settings held in a tauri-plugin-store `Store` (the plugin's key/value map, one key per
//! field). The plugin truncates its file in place and ignores a corrupt one, so loading
//! goes through `Settings::load` (backs the bad file up) and saving writes atomically.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use dynaspark_core::{Settings, SETTINGS_FILE};
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::{Store, StoreExt as _};

pub struct SettingsStore<R: Runtime> {
    store: Arc<Store<R>>,
    path: PathBuf,
    current: RwLock<Settings>,
}

/// What loading found, for a notice in the UI.
pub struct LoadReport {
    pub repairs: Vec<String>,
    pub moved_aside: Option<PathBuf>,
}

impl<R: Runtime> SettingsStore<R> {
    pub fn open(
        app: &AppHandle<R>,
        data_dir: &std::path::Path,
    ) -> Result<(Self, LoadReport), Box<dyn std::error::Error>> {
        let path = data_dir.join(SETTINGS_FILE);
        let loaded = Settings::load(&path)?;
        let store = app.store_builder(&path).disable_auto_save().build()?;
        store.clear();
        for (key, value) in loaded.settings.to_entries() {
            store.set(key, value);
        }
        let report = LoadReport {
            repairs: loaded.repairs,
            moved_aside: loaded.moved_aside,
        };
        for r in &report.repairs {
            tracing::warn!(repair = %r, "settings repaired");
        }
        Ok((
            Self {
                store,
                path,
                current: RwLock::new(loaded.settings),
            },
            report,
        ))
    }

    pub fn get(&self) -> Settings {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Validates, writes the file atomically, then updates the store and the live copy.
    pub fn save(&self, settings: Settings) -> dynaspark_core::Result<Settings> {
        let settings = settings.normalized();
        settings.save(&self.path)?;
        for (key, value) in settings.to_entries() {
            self.store.set(key, value);
        }
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = settings.clone();
        tracing::info!(settings = ?settings, "settings saved");
        Ok(settings)
    }
}
