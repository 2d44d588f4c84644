//! Where the shell keeps settings. `settings.json` is written only by dynaspark-core's
//! `SettingsStore` (atomically); the proxy password lives in the OS keyring.

use std::path::Path;

use dynaspark_core::{Keyring, Notice, SettingsStore, KEYRING_SERVICE, SETTINGS_FILE};
/// Opens the settings, with the proxy password from the keyring.
pub fn open(data_dir: &Path) -> Result<(SettingsStore, Vec<Notice>), Box<dyn std::error::Error>> {
    let keyring = Keyring::new(keyring_service(data_dir));
    let (settings, notices) = SettingsStore::open(data_dir.join(SETTINGS_FILE), Box::new(keyring))?;
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

    /// The app as `run` assembles it, on the mock runtime: its plugins registered,
    /// settings opened, one window. Destroying the window is a normal quit: the run loop
    /// ends with `RunEvent::Exit`, where plugins save what they keep.
    fn run_and_quit(data_dir: &Path) {
        let app = crate::build_app(tauri::test::mock_builder())
            .build(tauri::generate_context!())
            .unwrap();
        let (settings, _) = open(data_dir).unwrap();
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
    }

    #[test]
    fn a_quit_without_a_settings_file_does_not_create_one() {
        let dir = tempfile::tempdir().unwrap();
        run_and_quit(dir.path());
        assert!(!dir.path().join(SETTINGS_FILE).exists());
    }
}
