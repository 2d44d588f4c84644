//! The app as `build_app` assembles it, on Tauri's mock runtime, for command tests: the
//! real capability (so a command missing from it fails here too), a data folder of its
//! own, an in-memory keyring, and one "main" webview to invoke commands from.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dynaspark_core::{KeyringResult, Password, SecretStore, SettingsStore, SETTINGS_FILE};
use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager as _, WebviewWindow, WebviewWindowBuilder};

use crate::AppState;

pub struct MockApp {
    pub app: App<MockRuntime>,
    pub webview: WebviewWindow<MockRuntime>,
    pub dir: tempfile::TempDir,
}

impl MockApp {
    /// `endpoint`: where questions go (a fake server), instead of the settings' endpoint.
    pub fn new(endpoint: Option<String>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let app = crate::build_app(tauri::test::mock_builder())
            .build(tauri::generate_context!())
            .expect("the app builds on the mock runtime");
        let mut state =
            AppState::open(dir.path().to_owned(), endpoint).expect("state opens in a new folder");
        // Never the OS keyring: a test must not leave passwords in the person's keyring.
        state.settings = SettingsStore::open(
            dir.path().join(SETTINGS_FILE),
            Box::new(MemorySecrets::default()),
        )
        .expect("settings open")
        .0;
        app.manage(state);
        let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("the main webview");
        Self { app, webview, dir }
    }

    pub fn state(&self) -> tauri::State<'_, AppState> {
        self.app.state::<AppState>()
    }

    /// Invokes `cmd` with `args` as the page would; `Err` holds the rejected value.
    pub fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke(&self.webview, cmd, args)
    }
}

/// Usable from another thread (the webview handle is `Send`).
pub fn invoke(
    webview: &WebviewWindow<MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("url"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(webview, request)
        .map(|body| body.deserialize::<Value>().expect("a JSON response"))
}

#[derive(Default, Clone)]
pub struct MemorySecrets(Arc<Mutex<HashMap<String, String>>>);

impl SecretStore for MemorySecrets {
    fn get(&self, account: &str) -> KeyringResult<Option<Password>> {
        Ok(self
            .0
            .lock()
            .expect("secrets")
            .get(account)
            .map(|p| Password::from(p.as_str())))
    }

    fn set(&self, account: &str, secret: &Password) -> KeyringResult<()> {
        self.0
            .lock()
            .expect("secrets")
            .insert(account.into(), secret.expose().into());
        Ok(())
    }

    fn delete(&self, account: &str) -> KeyringResult<()> {
        self.0.lock().expect("secrets").remove(account);
        Ok(())
    }
}
