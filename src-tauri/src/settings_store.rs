//! Where the shell keeps settings. `settings.json` is written only by dynaspark-core's
//! `SettingsStore` (atomically); the proxy password lives in the OS keyring. No
//! tauri-plugin-store `Store` may point at settings.json: the plugin rewrites every store
//! it knows in place at exit. It keeps only state that may be lost without harm, in
//! `ui-state.json`.

use std::path::Path;

use dynaspark_core::{Keyring, Notice, SettingsStore, KEYRING_SERVICE, SETTINGS_FILE};
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::StoreExt as _;

/// The plugin's file: state that may be lost without harm (last open conversation,
/// sidebar width, dismissed hints): today whether the sidebar is collapsed
/// (`commands::ui_state`).
pub const UI_STATE_FILE: &str = "ui-state.json";

/// Opens the settings (with the proxy password from the keyring) and the UI-state store.
pub fn open<R: Runtime>(
    app: &AppHandle<R>,
    data_dir: &Path,
) -> Result<(SettingsStore, Vec<Notice>), Box<dyn std::error::Error>> {
    let keyring = Keyring::new(keyring_service(data_dir));
    let (settings, notices) = SettingsStore::open(data_dir.join(SETTINGS_FILE), Box::new(keyring))?;
    // Losing this file costs nothing, so a bad one must not stop the app.
    if let Err(e) = app.store_builder(data_dir.join(UI_STATE_FILE)).build() {
        tracing::warn!(error = %e, "UI state unavailable");
    }
    Ok((settings, notices))
}

/// The keyring service name. A data folder chosen with `DYNASPARK_DATA_DIR` (tests, a
/// second profile) gets its own, so it never reads or replaces the real profile's
/// password.
fn keyring_service(data_dir: &Path) -> String {
    if std::env::var_os(crate::ENV_DATA_DIR).is_some_and(|v| !v.is_empty()) {
        format!("{KEYRING_SERVICE} ({})", data_dir.display())
    } else {
        KEYRING_SERVICE.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The app as `run` assembles it, on the mock runtime: the store plugin registered,
    /// settings and UI state opened, one window. Destroying the window is a normal quit:
    /// the run loop ends with `RunEvent::Exit`, where the plugin saves its stores.
    fn run_and_quit(data_dir: &Path) {
        let app = tauri::test::mock_builder()
            .plugin(tauri_plugin_store::Builder::new().build())
            .build(tauri::test::mock_context(tauri::test::noop_assets()))
            .unwrap();
        let (settings, _) = open(app.handle(), data_dir).unwrap();
        assert_eq!(
            settings.get().model,
            dynaspark_core::Settings::default().model
        );
        let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        // Destroyed once the loop runs (before, it would just vanish and the loop wait).
        app.run(move |_, event| {
            if let tauri::RunEvent::Ready = event {
                window.destroy().unwrap();
            }
        });
    }

    #[test]
    #[cfg(unix)]
    fn a_normal_quit_leaves_an_unchanged_settings_file_untouched() {
        use std::os::unix::fs::MetadataExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        dynaspark_core::Settings::default().save(&path).unwrap();
        // An hour old, so a rewrite could not keep the same mtime by chance.
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let before = std::fs::metadata(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();

        run_and_quit(dir.path());

        let after = std::fs::metadata(&path).unwrap();
        assert_eq!(after.ino(), before.ino(), "same inode");
        assert_eq!(
            (after.mtime(), after.mtime_nsec()),
            (before.mtime(), before.mtime_nsec()),
            "same mtime"
        );
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        // The plugin wrote its own file, and only that.
        assert!(dir.path().join(UI_STATE_FILE).exists());
    }

    #[test]
    fn a_quit_without_a_settings_file_does_not_create_one() {
        let dir = tempfile::tempdir().unwrap();
        run_and_quit(dir.path());
        assert!(!dir.path().join(SETTINGS_FILE).exists());
    }
}
