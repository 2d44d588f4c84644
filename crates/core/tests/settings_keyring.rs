//! The real OS keyring (Secret Service on Linux), under a service name used only by
//! these tests, so a person's own entries are never read or touched; every entry made
//! here is removed at the end, even when an assertion fails.
//!
//! Without a reachable keyring these tests print a note and pass, unless
//! `DYNASPARK_REQUIRE_KEYRING=1`, when they fail. On Linux run them with one:
//!     dbus-run-session -- sh -c 'echo -n x | gnome-keyring-daemon --unlock \
//!         --components=secrets >/dev/null; cargo test -p dynaspark-core --test settings_keyring'

// Test helpers unwrap like the tests do: a setup that fails should fail the test.
#![allow(clippy::unwrap_used)]

use dynaspark_core::{
    Keyring, PasswordChange, PasswordStorage, ProxySettings, SecretStore, Settings, SettingsStore,
    KEYRING_SERVICE, SETTINGS_FILE,
};

/// A service name of this run's own: never the app's.
fn test_service(test: &str) -> String {
    let service = format!("{KEYRING_SERVICE} tests {} {test}", std::process::id());
    assert_ne!(service, KEYRING_SERVICE);
    service
}

/// The keyring, or `None` (after saying why) when the tests should skip.
fn keyring(test: &str) -> Option<Keyring> {
    let keyring = Keyring::new(test_service(test));
    match keyring.get("proxy:probe") {
        Ok(_) => Some(keyring),
        Err(e) if std::env::var("DYNASPARK_REQUIRE_KEYRING").as_deref() == Ok("1") => {
            panic!("DYNASPARK_REQUIRE_KEYRING=1 but no keyring is reachable: {e}")
        }
        Err(e) => {
            eprintln!("note: {test} skipped: no keyring is reachable ({e}); set DYNASPARK_REQUIRE_KEYRING=1 to make this a failure");
            None
        }
    }
}

/// Removes the accounts at the end of a test, pass or fail.
struct Cleanup(Keyring, Vec<&'static str>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for account in &self.1 {
            if let Err(e) = self.0.delete(account) {
                eprintln!("could not remove test keyring entry {account}: {e}");
            }
        }
    }
}

#[test]
fn the_keyring_keeps_reads_and_forgets_a_secret() {
    let Some(keyring) = keyring("raw") else {
        return;
    };
    let account = "proxy:raw@127.0.0.1:3128";
    let _cleanup = Cleanup(keyring.clone(), vec![account]);
    assert_eq!(keyring.get(account).unwrap(), None);
    keyring.set(account, &"p+q r@s:t ü".into()).unwrap();
    assert_eq!(
        keyring.get(account).unwrap().unwrap().expose(),
        "p+q r@s:t ü"
    );
    keyring.set(account, &"second".into()).unwrap();
    assert_eq!(keyring.get(account).unwrap().unwrap().expose(), "second");
    keyring.delete(account).unwrap();
    assert_eq!(keyring.get(account).unwrap(), None);
    keyring
        .delete(account)
        .expect("deleting what is gone is fine");
}

#[test]
fn the_store_keeps_the_proxy_password_in_the_keyring_across_restarts() {
    let Some(keyring) = keyring("store") else {
        return;
    };
    let first = "proxy:bob@proxy.test:3128";
    let moved = "proxy:bob@proxy2.test:3128";
    let _cleanup = Cleanup(keyring.clone(), vec![first, moved]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    let secret = "hunter2-keyring-test";

    let (store, _) = SettingsStore::open(&path, Box::new(keyring.clone())).unwrap();
    assert!(store.check_keyring().available);
    let settings = Settings {
        proxy: ProxySettings {
            url: "http://proxy.test:3128".into(),
            username: "bob".into(),
            ..Default::default()
        },
        ..Settings::default()
    };
    store
        .save(
            settings,
            PasswordChange::Replace {
                password: secret.into(),
            },
        )
        .unwrap();
    assert_eq!(store.view(None).password_storage, PasswordStorage::Keyring);
    assert_eq!(keyring.get(first).unwrap().unwrap().expose(), secret);
    assert!(!String::from_utf8(std::fs::read(&path).unwrap())
        .unwrap()
        .contains(secret));
    drop(store);

    let (store, notices) = SettingsStore::open(&path, Box::new(keyring.clone())).unwrap();
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(store.get().proxy.password.expose(), secret);

    let mut elsewhere = store.get();
    elsewhere.proxy.url = "http://proxy2.test:3128".into();
    store.save(elsewhere, PasswordChange::Keep).unwrap();
    assert_eq!(keyring.get(first).unwrap(), None);
    assert_eq!(keyring.get(moved).unwrap().unwrap().expose(), secret);

    store.save(store.get(), PasswordChange::Remove).unwrap();
    assert_eq!(keyring.get(moved).unwrap(), None);
}

#[test]
fn an_older_files_password_is_migrated_into_the_real_keyring() {
    let Some(keyring) = keyring("migrate") else {
        return;
    };
    let account = "proxy:carol@proxy.test:8080";
    let _cleanup = Cleanup(keyring.clone(), vec![account]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    std::fs::write(
        &path,
        br#"{"proxy": {"url": "http://proxy.test:8080", "username": "carol", "password": "old-plain-text"}}"#,
    )
    .unwrap();
    let (store, notices) = SettingsStore::open(&path, Box::new(keyring.clone())).unwrap();
    assert_eq!(
        notices.iter().map(|n| n.code).collect::<Vec<_>>(),
        ["proxy_password_moved"]
    );
    assert_eq!(
        keyring.get(account).unwrap().unwrap().expose(),
        "old-plain-text"
    );
    assert_eq!(store.get().proxy.password.expose(), "old-plain-text");
    assert!(!String::from_utf8(std::fs::read(&path).unwrap())
        .unwrap()
        .contains("old-plain-text"));
}
