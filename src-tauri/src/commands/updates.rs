//! Updates, through tauri-plugin-updater: at start the UI asks `check_for_update`
//! (unless the setting is off), which fetches the release manifest (`latest.json`) and
//! keeps what it found here; `install_update` downloads that artifact, refuses it unless
//! its signature verifies with the app's public key, installs it and restarts. Only these
//! commands reach the plugin: the page has no updater permission of its own.
//!
//! Where the manifest comes from and which key signs it are fixed in tauri.conf.json
//! (`plugins.updater`). A debug build checks nothing unless `DYNASPARK_UPDATE_ENDPOINT`
//! points it somewhere (tests start their own server), so `make run` and the tests never
//! ask GitHub; release builds ignore both variables.

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_updater::{Error as UpdaterError, Update, UpdaterExt as _};
use url::Url;

use crate::error::{IpcError, IpcResult};
use crate::sync::lock;
use crate::AppState;

/// Debug builds only: the manifest's URL (e.g. `http://127.0.0.1:8000/latest.json`).
pub const ENV_UPDATE_ENDPOINT: &str = "DYNASPARK_UPDATE_ENDPOINT";
/// Debug builds only: the public key (as `tauri signer generate` prints it) that
/// replaces the configured one.
pub const ENV_UPDATE_PUBKEY: &str = "DYNASPARK_UPDATE_PUBKEY";

/// A check that has not answered by then has failed (a hung network must not leave a
/// request open for the life of the app).
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// What the person reads when an artifact's signature does not verify.
pub const SIGNATURE_MESSAGE: &str =
    "The update's signature does not match the app's key: it was not installed.";

/// Whether and where to check, from the build, the setting and the environment.
#[derive(Debug, PartialEq, Eq)]
pub enum Plan {
    /// No check, and why (for the log).
    Skip(&'static str),
    /// The endpoint and public key of tauri.conf.json.
    Configured,
    /// A debug build pointed at another server; `pubkey` replaces the configured key.
    Override {
        endpoint: Url,
        pubkey: Option<String>,
    },
}

/// Decides the start-up check. `debug_build` is `cfg!(debug_assertions)`; `endpoint` and
/// `pubkey` are `DYNASPARK_UPDATE_ENDPOINT` and `DYNASPARK_UPDATE_PUBKEY`, which a
/// release build never reads: they cannot change where a shipped app looks for updates
/// nor which key it trusts.
pub fn plan(
    debug_build: bool,
    enabled: bool,
    endpoint: Option<String>,
    pubkey: Option<String>,
) -> Plan {
    if !enabled {
        return Plan::Skip("turned off in the settings");
    }
    if !debug_build {
        return Plan::Configured;
    }
    let set = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    match set(endpoint).map(|e| Url::parse(&e)) {
        None => Plan::Skip("a debug build checks only when DYNASPARK_UPDATE_ENDPOINT is set"),
        Some(Err(_)) => Plan::Skip("DYNASPARK_UPDATE_ENDPOINT is not a URL"),
        Some(Ok(endpoint)) => Plan::Override {
            endpoint,
            pubkey: set(pubkey),
        },
    }
}

/// The update found by the last check, waiting for the person's consent.
#[derive(Default)]
pub struct UpdateState {
    found: Mutex<Option<Update>>,
    installing: Mutex<bool>,
}

impl UpdateState {
    fn found(&self) -> Option<Update> {
        lock(&self.found).clone()
    }

    fn keep(&self, update: Option<Update>) {
        *lock(&self.found) = update;
    }

    /// Marks an install as running until the guard drops; `None` when one already is.
    fn begin_install(&self) -> Option<Installing<'_>> {
        let mut installing = lock(&self.installing);
        if *installing {
            return None;
        }
        *installing = true;
        Some(Installing(&self.installing))
    }
}

struct Installing<'a>(&'a Mutex<bool>);

impl Drop for Installing<'_> {
    fn drop(&mut self) {
        *lock(self.0) = false;
    }
}

/// What a check found. Only `available` is shown; the others leave the page as it was.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(
    tag = "status",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum CheckOutcome {
    /// Not checked (the setting, or a debug build without an update server).
    Skipped,
    UpToDate,
    /// No answer, or not a usable one (no network, no server, 404, bad JSON): logged only.
    Failed,
    Available {
        version: String,
        current_version: String,
        /// Plain text, as the release has it (shown as text, never as markup).
        notes: String,
        /// As the manifest has it (RFC 3339), when it has one.
        date: Option<String>,
    },
}

/// Progress of `install_update`, over a Channel.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum UpdateEvent {
    /// Bytes received so far, of `total` when the server said.
    Progress { downloaded: u64, total: Option<u64> },
    /// Downloaded and its signature verified; installing.
    Installing,
    /// Installed: the app restarts now.
    Restarting,
}

/// The start-up check. Never fails: what went wrong is logged and the page shows nothing.
#[tauri::command]
pub async fn check_for_update<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    updates: State<'_, UpdateState>,
) -> IpcResult<CheckOutcome> {
    let env = |name| std::env::var(name).ok();
    if !cfg!(debug_assertions) && env(ENV_UPDATE_ENDPOINT).is_some() {
        tracing::warn!("{ENV_UPDATE_ENDPOINT} is ignored by release builds");
    }
    let plan = plan(
        cfg!(debug_assertions),
        state.settings.get().check_for_updates,
        env(ENV_UPDATE_ENDPOINT),
        env(ENV_UPDATE_PUBKEY),
    );
    Ok(check(&app, plan, &updates).await)
}

/// Runs the check `plan` asks for and keeps an update it finds in `updates`.
pub async fn check<R: Runtime>(
    app: &AppHandle<R>,
    plan: Plan,
    updates: &UpdateState,
) -> CheckOutcome {
    let mut builder = app.updater_builder().timeout(CHECK_TIMEOUT);
    match plan {
        Plan::Skip(why) => {
            tracing::info!("not checking for updates: {why}");
            return CheckOutcome::Skipped;
        }
        Plan::Configured => {}
        Plan::Override { endpoint, pubkey } => {
            tracing::info!(%endpoint, own_key = pubkey.is_some(), "update endpoint overridden by {ENV_UPDATE_ENDPOINT}");
            builder = match builder.endpoints(vec![endpoint]) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "update check not started");
                    return CheckOutcome::Failed;
                }
            };
            if let Some(key) = pubkey {
                builder = builder.pubkey(key);
            }
        }
    }
    let found = match builder.build() {
        Ok(updater) => updater.check().await,
        Err(e) => Err(e),
    };
    match found {
        Ok(Some(update)) => {
            tracing::info!(version = %update.version, current = %update.current_version, "an update is available");
            let outcome = CheckOutcome::Available {
                version: update.version.clone(),
                current_version: update.current_version.clone(),
                notes: update.body.clone().unwrap_or_default(),
                date: update.raw_json["pub_date"].as_str().map(str::to_owned),
            };
            updates.keep(Some(update));
            outcome
        }
        Ok(None) => {
            tracing::info!("no update: this is the newest version");
            updates.keep(None);
            CheckOutcome::UpToDate
        }
        Err(e) => {
            // Offline, no server, a 404, a manifest that does not parse: nothing to show.
            tracing::warn!(error = %e, "update check failed");
            CheckOutcome::Failed
        }
    }
}

/// Downloads the update the last check found, verifies its signature, installs it and
/// restarts the app. Progress arrives on `on_event`; a refusal is the error, in words.
#[tauri::command]
pub async fn install_update<R: Runtime>(
    app: AppHandle<R>,
    updates: State<'_, UpdateState>,
    on_event: Channel<UpdateEvent>,
) -> IpcResult<()> {
    let send = |event: UpdateEvent| {
        if let Err(e) = on_event.send(event) {
            tracing::warn!(error = %e, "UI channel closed");
        }
    };
    let update = updates.found().ok_or_else(|| {
        IpcError::new(
            "no_update",
            "There is no update to install. It may have been withdrawn.",
        )
    })?;
    let _installing = updates
        .begin_install()
        .ok_or_else(|| IpcError::new("busy", "The update is already being installed."))?;
    tracing::info!(version = %update.version, url = %update.download_url, "downloading the update");
    let mut downloaded = 0u64;
    let mut shown = None;
    let bytes = update
        .download(
            |chunk, total| {
                downloaded += chunk as u64;
                // One event per percent (per 256 KiB when the size is unknown).
                let step = match total {
                    Some(t) if t > 0 => downloaded * 100 / t,
                    _ => downloaded >> 18,
                };
                if shown != Some(step) {
                    shown = Some(step);
                    send(UpdateEvent::Progress { downloaded, total });
                }
            },
            || {},
        )
        .await
        .map_err(refusal)?;
    tracing::info!(
        bytes = bytes.len(),
        "update downloaded; its signature verifies"
    );
    if !installable() {
        let error = IpcError::new(
            "update_not_installable",
            "This copy of Dynaspark Desktop was not installed from a package, so it cannot replace itself. Download the new version from the releases page.",
        );
        tracing::warn!(code = error.code, "update not installed");
        return Err(error);
    }
    send(UpdateEvent::Installing);
    // Installing a package can wait on a password prompt: off the async threads.
    tauri::async_runtime::spawn_blocking(move || update.install(bytes))
        .await?
        .map_err(refusal)?;
    tracing::info!("update installed; restarting");
    send(UpdateEvent::Restarting);
    app.request_restart();
    Ok(())
}

/// Only a bundle (AppImage, .deb, .rpm, .msi, NSIS setup, macOS .app) is replaced: a
/// binary built from source (`cargo run`, the tests) is left alone.
fn installable() -> bool {
    tauri::utils::platform::bundle_type().is_some()
}

/// Why an update was not installed, in words; the technical reason goes to the log.
fn refusal(e: UpdaterError) -> IpcError {
    let error = match &e {
        UpdaterError::Minisign(_)
        | UpdaterError::Base64(_)
        | UpdaterError::SignatureUtf8(_)
        | UpdaterError::SignedVersionMismatch { .. }
        | UpdaterError::MissingSignedVersion => {
            IpcError::new("update_signature_invalid", SIGNATURE_MESSAGE)
        }
        UpdaterError::Reqwest(_) | UpdaterError::Network(_) => IpcError {
            retryable: true,
            ..IpcError::new(
                "update_download_failed",
                "The update could not be downloaded. Check the connection and try again.",
            )
        },
        UpdaterError::AuthenticationFailed => IpcError::new(
            "update_not_authorized",
            "Installing the update needs an administrator's permission, which was not given.",
        ),
        _ => IpcError::new(
            "update_install_failed",
            format!("The update could not be installed: {e}."),
        ),
    };
    tracing::warn!(code = error.code, error = %e, "update not installed");
    IpcError {
        details: Some(e.to_string()),
        ..error
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::net::TcpListener;
    use std::sync::Arc;

    use serde_json::json;
    use tauri::Manager as _;

    use super::*;
    use crate::mock_app::MockApp;

    const URL: &str = "http://127.0.0.1:9/latest.json";

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn a_debug_build_checks_only_the_server_it_is_pointed_at() {
        assert!(matches!(plan(true, true, None, None), Plan::Skip(_)));
        assert!(matches!(
            plan(true, true, some("  "), some("key")),
            Plan::Skip(_)
        ));
        assert!(matches!(
            plan(true, true, some("not a url"), None),
            Plan::Skip(_)
        ));
        assert_eq!(
            plan(true, true, some(URL), some(" key ")),
            Plan::Override {
                endpoint: Url::parse(URL).unwrap(),
                pubkey: some("key")
            }
        );
        assert_eq!(
            plan(true, true, some(URL), some("")),
            Plan::Override {
                endpoint: Url::parse(URL).unwrap(),
                pubkey: None
            }
        );
    }

    #[test]
    fn a_release_build_ignores_the_environment() {
        assert_eq!(plan(false, true, None, None), Plan::Configured);
        assert_eq!(
            plan(false, true, some(URL), some("attacker's key")),
            Plan::Configured
        );
    }

    #[test]
    fn the_setting_off_means_no_check_at_all() {
        for debug in [true, false] {
            assert!(matches!(plan(debug, false, some(URL), None), Plan::Skip(_)));
        }
    }

    #[test]
    fn the_configuration_names_the_release_manifest_and_a_minisign_key() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        let updater = &conf["plugins"]["updater"];
        assert_eq!(
            updater["endpoints"],
            json!(["https://github.com/dynaspark-desktop/dynaspark-desktop/releases/latest/download/latest.json"])
        );
        // The plugin reads it (it refuses endpoints that are not https in release builds).
        let config: tauri_plugin_updater::Config = serde_json::from_value(updater.clone()).unwrap();
        assert!(config.require_signed_version);
        let key = base64_decode(&config.pubkey);
        let key = String::from_utf8(key).unwrap();
        let mut lines = key.lines();
        assert!(lines
            .next()
            .unwrap()
            .starts_with("untrusted comment: minisign public key"));
        // "Ed", an 8-byte key id, a 32-byte Ed25519 key.
        let raw = base64_decode(lines.next().unwrap());
        assert_eq!((raw.len(), &raw[..2]), (42, &b"Ed"[..]));
    }

    fn base64_decode(s: &str) -> Vec<u8> {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        let mut acc = 0u32;
        let mut bits = 0;
        for c in s.trim().bytes().filter(|c| *c != b'=') {
            let v = ALPHABET.iter().position(|a| *a == c).expect("base64") as u32;
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        out
    }

    /// Answers every request with `status` and `body`, and records request lines.
    struct Server {
        url: String,
        requests: Arc<Mutex<Vec<String>>>,
    }

    impl Server {
        fn start(status: &'static str, body: String) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let url = format!("http://{}/latest.json", listener.local_addr().unwrap());
            let requests = Arc::new(Mutex::new(Vec::new()));
            let seen = requests.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(mut stream) = stream else { return };
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    seen.lock().unwrap().push(line.trim().to_owned());
                    // The rest of the head.
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap() <= 2 {
                            break;
                        }
                    }
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                }
            });
            Self { url, requests }
        }

        fn plan(&self) -> Plan {
            plan(
                true,
                true,
                Some(self.url.clone()),
                some("unused by a check"),
            )
        }

        fn requests(&self) -> Vec<String> {
            self.requests.lock().unwrap().clone()
        }
    }

    fn manifest(version: &str) -> String {
        json!({
            "version": version,
            "notes": "Faster answers.\n<b>Not markup.</b>",
            "pub_date": "2026-11-20T10:00:00Z",
            "platforms": {
                "linux-x86_64": {"signature": "c2ln", "url": "http://127.0.0.1:9/app.AppImage"},
                "linux-aarch64": {"signature": "c2ln", "url": "http://127.0.0.1:9/app.AppImage"},
                "darwin-x86_64": {"signature": "c2ln", "url": "http://127.0.0.1:9/app.tar.gz"},
                "darwin-aarch64": {"signature": "c2ln", "url": "http://127.0.0.1:9/app.tar.gz"},
                "windows-x86_64": {"signature": "c2ln", "url": "http://127.0.0.1:9/app.exe"}
            }
        })
        .to_string()
    }

    fn run(app: &MockApp, plan: Plan) -> CheckOutcome {
        let handle = app.app.handle().clone();
        let updates = app.app.state::<UpdateState>();
        tauri::async_runtime::block_on(check(&handle, plan, &updates))
    }

    #[test]
    fn a_newer_version_is_kept_for_the_install_command() {
        let server = Server::start("200 OK", manifest("9.9.9"));
        let app = MockApp::new(None);
        assert_eq!(
            run(&app, server.plan()),
            CheckOutcome::Available {
                version: "9.9.9".into(),
                current_version: env!("CARGO_PKG_VERSION").into(),
                notes: "Faster answers.\n<b>Not markup.</b>".into(),
                date: some("2026-11-20T10:00:00Z"),
            }
        );
        assert_eq!(server.requests(), ["GET /latest.json HTTP/1.1"]);
        let kept = app.app.state::<UpdateState>().found().unwrap();
        assert_eq!(kept.version, "9.9.9");
        // What the page receives.
        assert_eq!(
            serde_json::to_value(run(&app, server.plan())).unwrap()["status"],
            json!("available")
        );
    }

    #[test]
    fn the_same_or_an_older_version_is_no_update() {
        let server = Server::start("200 OK", manifest(env!("CARGO_PKG_VERSION")));
        let app = MockApp::new(None);
        assert_eq!(run(&app, server.plan()), CheckOutcome::UpToDate);
        assert!(app.app.state::<UpdateState>().found().is_none());
    }

    #[test]
    fn no_server_a_404_or_a_bad_manifest_fail_quietly() {
        let app = MockApp::new(None);
        let refused = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}/latest.json", l.local_addr().unwrap())
        };
        assert_eq!(
            run(&app, plan(true, true, Some(refused), None)),
            CheckOutcome::Failed
        );
        for (status, body) in [
            ("404 Not Found", "Not Found".to_owned()),
            ("200 OK", "{\"version\": ".to_owned()),
            ("200 OK", json!({"version": "9.9.9"}).to_string()),
            (
                "200 OK",
                json!({"version": "nine", "platforms": {}}).to_string(),
            ),
        ] {
            let server = Server::start(status, body.clone());
            assert_eq!(
                run(&app, server.plan()),
                CheckOutcome::Failed,
                "{status} {body}"
            );
            assert_eq!(server.requests().len(), 1);
        }
        assert!(app.app.state::<UpdateState>().found().is_none());
    }

    #[test]
    fn a_skipped_check_sends_nothing() {
        let server = Server::start("200 OK", manifest("9.9.9"));
        let app = MockApp::new(None);
        let off = plan(true, false, Some(server.url.clone()), None);
        assert_eq!(run(&app, off), CheckOutcome::Skipped);
        std::thread::sleep(Duration::from_millis(100));
        assert!(server.requests().is_empty());
    }

    #[test]
    fn the_page_reaches_the_updater_only_through_these_commands() {
        let app = MockApp::new(None);
        if std::env::var_os(ENV_UPDATE_ENDPOINT).is_none() {
            assert_eq!(
                app.invoke("check_for_update", json!({})),
                Ok(json!({"status": "skipped"}))
            );
        }
        let refused = app.invoke("install_update", json!({"onEvent": "__CHANNEL__:1"}));
        assert_eq!(refused.unwrap_err()["code"], json!("no_update"));
        // The plugin's own commands are not in the capability.
        for cmd in [
            "plugin:updater|check",
            "plugin:updater|download_and_install",
        ] {
            let refused = app.invoke(cmd, json!({})).unwrap_err();
            assert!(
                refused.to_string().contains("not allowed"),
                "{cmd}: {refused}"
            );
        }
    }

    #[test]
    fn refusals_say_what_happened() {
        let signature = refusal(UpdaterError::SignatureUtf8("c2ln".into()));
        assert_eq!(
            (signature.code, signature.message.as_str()),
            ("update_signature_invalid", SIGNATURE_MESSAGE)
        );
        assert_eq!(
            refusal(UpdaterError::MissingSignedVersion).code,
            "update_signature_invalid"
        );
        let mismatch = refusal(UpdaterError::SignedVersionMismatch {
            signed: "0.1.0".into(),
            announced: "9.9.9".into(),
        });
        assert_eq!(mismatch.code, "update_signature_invalid");
        let network = refusal(UpdaterError::Network("HTTP 404".into()));
        assert_eq!(
            (network.code, network.retryable),
            ("update_download_failed", true)
        );
        assert_eq!(
            refusal(UpdaterError::InvalidUpdaterFormat).code,
            "update_install_failed"
        );
    }
}
