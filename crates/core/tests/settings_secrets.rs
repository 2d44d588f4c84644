//! The proxy password: kept in the keyring (here a stand-in; `settings_keyring.rs` uses
//! the real one), never written to settings.json, never in `get_settings`' JSON, never in
//! Debug output; moved out of an older file; kept for the session only, and said so,
//! where the keyring fails.

// Test helpers unwrap like the tests do: a setup that fails should fail the test.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dynaspark_core::{
    KeyringError, KeyringResult, Password, PasswordChange, PasswordStorage, ProxySettings,
    SecretStore, Settings, SettingsStore, SETTINGS_FILE,
};

const SECRET: &str = "hunter2+x@y:z";

/// An in-memory keyring that counts its calls; `broken` makes every call fail, as on a
/// machine without one.
#[derive(Clone, Default)]
struct FakeKeyring {
    entries: Arc<Mutex<HashMap<String, String>>>,
    calls: Arc<Mutex<usize>>,
    broken: bool,
}

impl FakeKeyring {
    fn broken() -> Self {
        Self {
            broken: true,
            ..Self::default()
        }
    }
    fn entries(&self) -> HashMap<String, String> {
        self.entries.lock().unwrap().clone()
    }
    fn calls(&self) -> usize {
        *self.calls.lock().unwrap()
    }
    fn check(&self) -> KeyringResult<()> {
        *self.calls.lock().unwrap() += 1;
        if self.broken {
            Err(KeyringError::new("no Secret Service on the session bus"))
        } else {
            Ok(())
        }
    }
}

impl SecretStore for FakeKeyring {
    fn get(&self, account: &str) -> KeyringResult<Option<Password>> {
        self.check()?;
        Ok(self
            .entries
            .lock()
            .unwrap()
            .get(account)
            .cloned()
            .map(Password::from))
    }
    fn set(&self, account: &str, secret: &Password) -> KeyringResult<()> {
        self.check()?;
        self.entries
            .lock()
            .unwrap()
            .insert(account.to_owned(), secret.expose().to_owned());
        Ok(())
    }
    fn delete(&self, account: &str) -> KeyringResult<()> {
        self.check()?;
        self.entries.lock().unwrap().remove(account);
        Ok(())
    }
}

fn with_proxy(url: &str, username: &str) -> Settings {
    Settings {
        proxy: ProxySettings {
            url: url.into(),
            username: username.into(),
            ..Default::default()
        },
        ..Settings::default()
    }
}

fn replace(password: &str) -> PasswordChange {
    PasswordChange::Replace {
        password: password.into(),
    }
}

/// Every place the password must never be: the file, the UI's JSON, Debug output.
fn assert_nowhere(dir: &std::path::Path, store: &SettingsStore, secret: &str) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "{} holds the password",
            path.display()
        );
    }
    let view = serde_json::to_string(&store.view(None)).unwrap();
    assert!(!view.contains(secret), "get_settings JSON: {view}");
    assert!(!view.contains("\"password\""), "get_settings JSON: {view}");
    let settings = serde_json::to_string(&store.get()).unwrap();
    assert!(!settings.contains(secret), "save_settings JSON: {settings}");
    for dbg in [
        format!("{:?}", store.get()),
        format!("{:#?}", store.get()),
        format!("{:?}", store.view(None)),
        format!("{store:?}"),
        format!("{:?}", replace(secret)),
    ] {
        assert!(!dbg.contains(secret), "Debug output: {dbg}");
    }
}

#[test]
fn a_new_password_goes_to_the_keyring_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    let keyring = FakeKeyring::default();
    let (store, _) = SettingsStore::open(&path, Box::new(keyring.clone())).unwrap();
    store
        .save(with_proxy("http://proxy.corp:3128", "bob"), replace(SECRET))
        .unwrap();
    assert_eq!(
        keyring.entries(),
        HashMap::from([("proxy:bob@proxy.corp:3128".to_owned(), SECRET.to_owned())])
    );
    let view = store.view(None);
    assert!(view.password_saved);
    assert_eq!(view.password_storage, PasswordStorage::Keyring);
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["passwordSaved"], true);
    assert_eq!(json["passwordStorage"], "keyring");
    assert_eq!(
        json["settings"]["proxy"],
        serde_json::json!({"url": "http://proxy.corp:3128", "username": "bob"})
    );
    // The client gets it.
    let proxy = store.get().client_config(None).unwrap().proxy.unwrap();
    assert_eq!(proxy.password(), Some(SECRET));
    assert_nowhere(dir.path(), &store, SECRET);

    // A restart reads it back from the keyring.
    drop(store);
    let (store, notices) = SettingsStore::open(&path, Box::new(keyring.clone())).unwrap();
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(store.get().proxy.password.expose(), SECRET);
    assert_eq!(store.view(None).password_storage, PasswordStorage::Keyring);
}

#[test]
fn a_password_typed_into_the_url_is_taken_out_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    let keyring = FakeKeyring::default();
    let (store, _) = SettingsStore::open(&path, Box::new(keyring.clone())).unwrap();
    // `+` and percent-escapes decode exactly: the password is "p+q r".
    let saved = store
        .save(
            with_proxy("http://bob:p+q%20r@proxy.corp:3128", ""),
            PasswordChange::Keep,
        )
        .unwrap();
    assert_eq!(saved.proxy.url, "http://proxy.corp:3128");
    assert_eq!(saved.proxy.username, "bob");
    assert_eq!(keyring.entries()["proxy:bob@proxy.corp:3128"], "p+q r");
    assert_nowhere(dir.path(), &store, "p+q");
    assert_nowhere(dir.path(), &store, "p+q%20r");
}

#[test]
fn keep_replace_remove() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    let keyring = FakeKeyring::default();
    let (store, _) = SettingsStore::open(&path, Box::new(keyring.clone())).unwrap();
    store
        .save(
            with_proxy("socks5://127.0.0.1:1080", "alice"),
            replace("first"),
        )
        .unwrap();

    // Picking a model keeps the password and costs no keyring call.
    let calls = keyring.calls();
    let picked = Settings {
        model: "gemini-2.0-flash".into(),
        ..store.get()
    };
    store.save(picked, PasswordChange::Keep).unwrap();
    // What the page sends back has no password at all: still kept.
    let from_page: Settings =
        serde_json::from_value(serde_json::to_value(store.get()).unwrap()).unwrap();
    store.save(from_page, PasswordChange::Keep).unwrap();
    assert_eq!(keyring.calls(), calls);
    assert_eq!(store.get().proxy.password.expose(), "first");

    store.save(store.get(), replace("second")).unwrap();
    assert_eq!(keyring.entries()["proxy:alice@127.0.0.1:1080"], "second");
    // An empty replacement keeps what is there.
    store.save(store.get(), replace("")).unwrap();
    assert_eq!(store.get().proxy.password.expose(), "second");

    // A new address: the password follows it, and the old entry goes.
    store
        .save(
            with_proxy("socks5://10.0.0.2:1080", "alice"),
            PasswordChange::Keep,
        )
        .unwrap();
    assert_eq!(
        keyring.entries(),
        HashMap::from([("proxy:alice@10.0.0.2:1080".to_owned(), "second".to_owned())])
    );

    store.save(store.get(), PasswordChange::Remove).unwrap();
    assert!(keyring.entries().is_empty());
    let view = store.view(None);
    assert!(!view.password_saved);
    assert_eq!(view.password_storage, PasswordStorage::None);
    assert_eq!(
        store
            .get()
            .client_config(None)
            .unwrap()
            .proxy
            .unwrap()
            .password(),
        None
    );

    // A direct connection forgets it.
    store
        .save(
            with_proxy("socks5://10.0.0.2:1080", "alice"),
            replace("third"),
        )
        .unwrap();
    store
        .save(Settings::default(), PasswordChange::Keep)
        .unwrap();
    assert!(keyring.entries().is_empty());
    assert!(!store.view(None).password_saved);
}

#[test]
fn a_password_without_a_user_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    let keyring = FakeKeyring::default();
    let (store, _) = SettingsStore::open(&path, Box::new(keyring.clone())).unwrap();
    let err = store
        .save(with_proxy("http://h:3128", ""), replace(SECRET))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_settings");
    assert!(!err.to_string().contains(SECRET));
    assert!(keyring.entries().is_empty());
    assert!(!path.exists());
}

#[test]
fn without_a_keyring_the_password_is_kept_for_the_session_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    let (store, _) = SettingsStore::open(&path, Box::new(FakeKeyring::broken())).unwrap();
    let status = store.check_keyring();
    assert!(!status.available);
    assert!(status.problem.unwrap().contains("no Secret Service"));
    store
        .save(with_proxy("http://proxy.corp:3128", "bob"), replace(SECRET))
        .unwrap();
    let view = store.view(None);
    assert!(view.password_saved);
    assert_eq!(view.password_storage, PasswordStorage::Session);
    assert!(view.keyring_problem.unwrap().contains("no Secret Service"));
    assert_eq!(
        serde_json::to_value(store.view(None)).unwrap()["passwordStorage"],
        "session"
    );
    assert_eq!(
        store.get().proxy.password.expose(),
        SECRET,
        "usable this session"
    );
    assert_nowhere(dir.path(), &store, SECRET);

    // The next start has no password, and says why if a proxy user is set.
    drop(store);
    let (store, notices) = SettingsStore::open(&path, Box::new(FakeKeyring::broken())).unwrap();
    assert!(store.get().proxy.password.is_empty());
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].code, "keyring_unavailable");
    assert!(notices[0].message.contains("only until the app closes"));
}

fn old_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join(SETTINGS_FILE);
    let old = serde_json::json!({
        "endpoint": "https://dynaspark.onrender.com/generate_response",
        "model": "gemini-2.0-flash",
        "models": ["gemini-1.5-flash", "gemini-2.0-flash"],
        "proxy": { "url": "http://proxy.corp:3128", "username": "bob", "password": SECRET },
        "connectTimeoutSecs": 15,
        "requestTimeoutSecs": 120,
        "maxPromptChars": 20000,
        "theme": "dark"
    });
    std::fs::write(&path, serde_json::to_vec_pretty(&old).unwrap()).unwrap();
    path
}

#[test]
#[cfg(unix)]
fn a_password_in_an_older_file_moves_to_the_keyring_and_out_of_the_file() {
    use std::os::unix::fs::MetadataExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = old_file(dir.path());
    let inode = std::fs::metadata(&path).unwrap().ino();
    let keyring = FakeKeyring::default();
    let (store, notices) = SettingsStore::open(&path, Box::new(keyring.clone())).unwrap();
    let codes: Vec<_> = notices.iter().map(|n| n.code).collect();
    assert_eq!(codes, ["proxy_password_moved"]);
    assert_eq!(keyring.entries()["proxy:bob@proxy.corp:3128"], SECRET);
    assert_eq!(store.get().proxy.password.expose(), SECRET);
    assert_eq!(store.get().model, "gemini-2.0-flash");
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        file["proxy"],
        serde_json::json!({"url": "http://proxy.corp:3128", "username": "bob"})
    );
    assert_eq!(file["theme"], "dark", "nothing else changed");
    assert_ne!(
        std::fs::metadata(&path).unwrap().ino(),
        inode,
        "rewritten by rename, not in place"
    );
    assert_nowhere(dir.path(), &store, SECRET);

    // Done once: the next start finds it in the keyring and says nothing.
    drop(store);
    let (store, notices) = SettingsStore::open(&path, Box::new(keyring.clone())).unwrap();
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(store.get().proxy.password.expose(), SECRET);
}

#[test]
fn without_a_keyring_an_older_files_password_still_leaves_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = old_file(dir.path());
    let (store, notices) = SettingsStore::open(&path, Box::new(FakeKeyring::broken())).unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].code, "proxy_password_session_only");
    let message = &notices[0].message;
    assert!(
        message.contains("could not be stored in the system keyring"),
        "{message}"
    );
    assert!(message.contains("only until the app closes"), "{message}");
    assert!(!message.contains(SECRET));
    assert_eq!(
        store.get().proxy.password.expose(),
        SECRET,
        "usable this session"
    );
    assert_eq!(store.view(None).password_storage, PasswordStorage::Session);
    assert_nowhere(dir.path(), &store, SECRET);
}

#[test]
fn a_password_inside_a_stored_proxy_url_is_migrated_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE);
    std::fs::write(
        &path,
        br#"{"proxy": {"url": "socks5://carol:s3cr%2Bt@127.0.0.1:1080"}}"#,
    )
    .unwrap();
    let keyring = FakeKeyring::default();
    let (store, _) = SettingsStore::open(&path, Box::new(keyring.clone())).unwrap();
    assert_eq!(keyring.entries()["proxy:carol@127.0.0.1:1080"], "s3cr+t");
    assert_eq!(store.get().proxy.url, "socks5://127.0.0.1:1080");
    assert_eq!(store.get().proxy.username, "carol");
    assert_nowhere(dir.path(), &store, "s3cr");
}
