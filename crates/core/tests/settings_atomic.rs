//! Saving settings is atomic: many saves at once, from several threads of one process
//! (the model picker and the settings dialog), each succeed, never share a temp file,
//! and a reader looking at any moment always finds a whole, valid file.

// Test helpers unwrap like the tests do: a setup that fails should fail the test.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};

use dynaspark_core::{PasswordChange, Settings, SettingsStore, SETTINGS_FILE};

const THREADS: usize = 6;
const SAVES: usize = 40;

mod support;
use support::NoSecrets;

fn model(thread: usize, n: usize) -> String {
    format!("model-{thread}-{n}")
}

/// Watches the folder until `done`: every read of the settings file must parse, and the
/// temp files seen are collected.
fn watch(dir: &std::path::Path, done: &AtomicBool, temps: &Mutex<HashSet<String>>) -> usize {
    let path = dir.join(SETTINGS_FILE);
    let mut reads = 0;
    while !done.load(Ordering::Relaxed) {
        if let Ok(bytes) = std::fs::read(&path) {
            let parsed: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "a reader saw a damaged settings file ({e}): {:?}",
                    String::from_utf8_lossy(&bytes)
                )
            });
            assert!(parsed.is_object());
            reads += 1;
        }
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let name = entry.file_name().into_string().unwrap();
            if name.ends_with(".tmp") {
                temps.lock().unwrap().insert(name);
            }
        }
    }
    reads
}

#[test]
fn concurrent_saves_through_the_store_all_succeed_and_the_file_is_always_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    let (store, _) = SettingsStore::open(&path, Box::new(NoSecrets)).unwrap();
    store
        .save(Settings::default(), PasswordChange::Keep)
        .unwrap();
    let done = AtomicBool::new(false);
    let temps = Mutex::new(HashSet::new());
    let start = Barrier::new(THREADS);
    let reads = std::thread::scope(|s| {
        let watcher = s.spawn(|| watch(dir.path(), &done, &temps));
        let savers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (store, start) = (store.clone(), &start);
                s.spawn(move || {
                    start.wait();
                    for n in 0..SAVES {
                        let settings = Settings {
                            model: model(t, n),
                            ..store.get()
                        };
                        store
                            .save(settings, PasswordChange::Keep)
                            .unwrap_or_else(|e| panic!("save {t}/{n} failed: {e}"));
                    }
                })
            })
            .collect();
        for saver in savers {
            saver.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        watcher.join().unwrap()
    });
    let last = Settings::load(&path).unwrap();
    assert!(last.moved_aside.is_none() && last.repairs.is_empty());
    assert_eq!(
        last.settings,
        store.get(),
        "the file and the live copy agree"
    );
    assert!(reads > 0, "the reader read the file");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, [SETTINGS_FILE], "no temp file is left behind");
    for name in temps.into_inner().unwrap() {
        assert!(
            name.starts_with(".settings.json.")
                && name != format!(".settings.json.{}.tmp", std::process::id()),
            "temp files have random names beside the file: {name}"
        );
    }
}

/// Below the store's own lock: `Settings::save` from many threads at once. With a temp
/// name shared by the whole process, one thread's rename took the other's file away.
#[test]
fn concurrent_raw_saves_never_share_a_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    let done = AtomicBool::new(false);
    let temps = Mutex::new(HashSet::new());
    let start = Barrier::new(THREADS);
    std::thread::scope(|s| {
        let watcher = s.spawn(|| watch(dir.path(), &done, &temps));
        let savers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (path, start) = (&path, &start);
                s.spawn(move || {
                    start.wait();
                    for n in 0..SAVES {
                        let settings = Settings {
                            model: model(t, n),
                            models: (0..50).map(|i| format!("m{t}-{i}")).collect(),
                            ..Settings::default()
                        };
                        settings
                            .save(path)
                            .unwrap_or_else(|e| panic!("save {t}/{n} failed: {e}"));
                    }
                })
            })
            .collect();
        for saver in savers {
            saver.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        watcher.join().unwrap();
    });
    let last = Settings::load(&path).unwrap().settings;
    assert!(
        (0..THREADS).any(|t| last.model == model(t, SAVES - 1)),
        "the last save of some thread won whole: {}",
        last.model
    );
    let t: usize = last.model[6..7].parse().unwrap();
    assert!(last
        .models
        .iter()
        .all(|m| m.starts_with(&format!("m{t}-")) || *m == last.model));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_save_that_fails_validation_leaves_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    let (store, _) = SettingsStore::open(&path, Box::new(NoSecrets)).unwrap();
    store
        .save(Settings::default(), PasswordChange::Keep)
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = store
        .save(
            Settings {
                endpoint: "ftp://nope".into(),
                ..Settings::default()
            },
            PasswordChange::Keep,
        )
        .unwrap_err();
    assert_eq!(err.code(), "invalid_settings");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(store.get(), Settings::default());
}
