//! A settings file that cannot be read at start (empty, zero-filled after a cut-short
//! write, truncated, not JSON) is moved aside byte for byte, never silently replaced;
//! the app starts on defaults and says what happened and where the old file is.

// Test helpers unwrap like the tests do: a setup that fails should fail the test.
#![allow(clippy::unwrap_used)]

use dynaspark_core::{PasswordChange, Settings, SettingsStore, SETTINGS_FILE};

mod support;
use support::NoSecrets;

fn open_with(
    bytes: &[u8],
) -> (
    tempfile::TempDir,
    SettingsStore,
    Vec<dynaspark_core::Notice>,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    std::fs::write(&path, bytes).unwrap();
    let (store, notices) = SettingsStore::open(&path, Box::new(NoSecrets)).unwrap();
    (dir, store, notices)
}

fn assert_backed_up(bytes: &[u8], reason: &str) {
    let (dir, store, notices) = open_with(bytes);
    assert_eq!(
        store.get(),
        Settings::default(),
        "{reason}: defaults in use"
    );
    assert_eq!(notices.len(), 1, "{reason}: {notices:?}");
    let notice = &notices[0];
    assert_eq!(notice.code, "settings_moved_aside");
    assert!(
        notice.message.contains("settings file could not be read"),
        "{}",
        notice.message
    );
    assert!(
        notice.message.contains(reason),
        "{reason}: {}",
        notice.message
    );
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("settings.json.corrupt-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "{reason}: backed up once");
    assert!(
        notice.message.contains(&kept[0].display().to_string()),
        "the notice names the backup: {}",
        notice.message
    );
    assert_eq!(
        std::fs::read(&kept[0]).unwrap(),
        bytes,
        "{reason}: kept byte for byte"
    );
    assert!(
        !dir.path().join(SETTINGS_FILE).exists(),
        "{reason}: not replaced"
    );
    // The next save writes a fresh file; the backup stays.
    store
        .save(Settings::default(), PasswordChange::Keep)
        .unwrap();
    assert!(kept[0].exists());
    assert_eq!(
        Settings::load(&dir.path().join(SETTINGS_FILE))
            .unwrap()
            .settings,
        Settings::default()
    );
}

#[test]
fn an_empty_file_is_backed_up() {
    assert_backed_up(b"", "it was empty");
}

#[test]
fn a_zero_filled_file_is_backed_up() {
    // What a crash leaves when the size reached the disk and the data did not.
    assert_backed_up(&[0u8; 412], "only zero bytes");
}

#[test]
fn a_truncated_file_is_backed_up() {
    let whole = serde_json::to_vec_pretty(&Settings::default()).unwrap();
    assert_backed_up(&whole[..whole.len() / 2], "cut off part way");
}

#[test]
fn a_file_that_is_not_json_is_backed_up() {
    assert_backed_up(
        b"endpoint = \"https://dynaspark.onrender.com\"\n",
        "not JSON",
    );
    assert_backed_up(b"\xff\xfe{\x00}", "not JSON");
}

#[test]
fn json_that_is_not_settings_is_backed_up() {
    assert_backed_up(b"[\"gemini-1.5-flash\"]", "not a set of settings");
}

#[test]
fn a_missing_file_gives_defaults_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    let (store, notices) = SettingsStore::open(&path, Box::new(NoSecrets)).unwrap();
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(store.get(), Settings::default());
    assert!(!path.exists(), "opening writes nothing");
}

#[test]
fn bad_fields_are_repaired_in_memory_and_the_file_is_left_alone() {
    let bytes = br#"{"model": 42, "connectTimeoutSecs": 0, "theme": "dark"}"#;
    let (dir, store, notices) = open_with(bytes);
    let codes: Vec<_> = notices.iter().map(|n| n.code).collect();
    assert_eq!(codes, ["settings_repaired"]);
    assert_eq!(store.get().theme, dynaspark_core::Theme::Dark);
    assert_eq!(store.get().model, Settings::default().model);
    assert_eq!(
        std::fs::read(dir.path().join(SETTINGS_FILE)).unwrap(),
        bytes
    );
}

#[test]
fn temp_files_left_by_a_killed_save_are_cleared_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    Settings::default().save(&path).unwrap();
    let stale = dir.path().join(".settings.json.Xy12Ab.tmp");
    let f = std::fs::File::create(&stale).unwrap();
    f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
        .unwrap();
    let (_store, notices) = SettingsStore::open(&path, Box::new(NoSecrets)).unwrap();
    assert!(notices.is_empty());
    assert!(!stale.exists());
    assert!(path.exists());
}
