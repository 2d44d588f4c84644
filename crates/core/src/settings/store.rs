//! The settings of a running app: one live copy, saved to `settings.json` one save at a
//! time and atomically; the proxy password in the OS keyring, or in memory for the
//! session where there is no keyring. Never writes the password to a file or the UI.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{mask_url_password, ProxySettings, Settings};
use crate::files::{remove_stale_temps, write_atomic};
use crate::secrets::{Password, SecretStore};
use crate::Result;

/// A temp file of a settings write older than this was left by a killed process.
const STALE_TEMP_AGE: Duration = Duration::from_secs(5 * 60);

/// Where the proxy password is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PasswordStorage {
    /// There is no password.
    None,
    /// In the OS keyring (and in memory).
    Keyring,
    /// In memory only, until the app closes: the keyring could not be used.
    Session,
}

/// What a save does to the saved proxy password. The UI never sees the password, so it
/// says what to do with it: `{"action":"keep"}` (also when absent),
/// `{"action":"replace","password":"…"}` or `{"action":"remove"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum PasswordChange {
    #[default]
    Keep,
    Replace {
        password: Password,
    },
    Remove,
}

/// The settings a save of `settings` with `change` would keep: normalized, with the
/// proxy password decided by the one rule `SettingsStore::save` and "Test connection"
/// share. `settings.proxy.password` is ignored; the password is, in order:
/// 1. the replacement in `change`, when it is not empty;
/// 2. else one typed into the proxy URL (`http://user:password@host:port`);
/// 3. else none, when `change` removes it;
/// 4. else `saved` (the password kept now), while there is a usable proxy address and a
///    user to send it for;
/// 5. else none.
pub fn settings_to_keep(settings: Settings, change: PasswordChange, saved: &Password) -> Settings {
    let mut settings = settings;
    // Only `change` or the URL give a password; one in the struct is ignored.
    settings.proxy.password = Password::default();
    let mut settings = settings.normalized();
    let typed_in_url = std::mem::take(&mut settings.proxy.password);
    let has_proxy_and_user =
        proxy_account(&settings.proxy).is_some() && !settings.proxy.username.is_empty();
    settings.proxy.password = match change {
        PasswordChange::Replace { password } if !password.is_empty() => password,
        _ if !typed_in_url.is_empty() => typed_in_url,
        PasswordChange::Remove => Password::default(),
        _ if has_proxy_and_user => saved.clone(),
        _ => Password::default(),
    };
    settings
}

/// Something the person should know about from loading the settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Stable, for the UI and tests.
    pub code: &'static str,
    pub message: String,
}

/// What `get_settings` returns: the settings without the password, and where the
/// password is, if there is one.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub settings: Settings,
    pub defaults: Settings,
    /// Set when `DYNASPARK_ENDPOINT` replaces the endpoint setting.
    pub endpoint_override: Option<String>,
    pub password_saved: bool,
    pub password_storage: PasswordStorage,
    /// Why the keyring could not be used the last time it was tried, in words.
    pub keyring_problem: Option<String>,
}

/// Whether the keyring answers, for the settings dialog before a password is typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyringStatus {
    pub available: bool,
    pub problem: Option<String>,
}

/// The live settings; cheap to clone (one shared copy), so a save can run on a
/// blocking thread.
#[derive(Clone)]
pub struct SettingsStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    secrets: Box<dyn SecretStore>,
    /// Held for a whole save (file and keyring), so saves happen one after another and
    /// the file, the keyring and the live copy agree.
    saving: Mutex<()>,
    /// Held only to read or replace the copy, never across a write or a keyring call.
    live: RwLock<Live>,
}

#[derive(Clone)]
struct Live {
    /// With the password in `proxy.password`.
    settings: Settings,
    storage: PasswordStorage,
    keyring_problem: Option<String>,
}

impl SettingsStore {
    /// Loads `path` (see `Settings::load`), reads the proxy password from `secrets`, and
    /// moves a plain-text password still in the file into `secrets`, then out of the
    /// file. Fails only when the file exists and cannot be read.
    pub fn open(
        path: impl Into<PathBuf>,
        secrets: Box<dyn SecretStore>,
    ) -> Result<(Self, Vec<Notice>)> {
        let path = path.into();
        remove_stale_temps(&path, STALE_TEMP_AGE);
        let loaded = Settings::load(&path)?;
        let mut notices = Vec::new();
        if let Some(moved) = &loaded.moved_aside {
            let why = loaded.damage.map(|d| format!(" ({d})")).unwrap_or_default();
            notices.push(Notice {
                code: "settings_moved_aside",
                message: format!(
                    "The settings file could not be read{why}; defaults are in use. The old file was kept as {}.",
                    moved.display()
                ),
            });
        }
        for r in &loaded.repairs {
            tracing::warn!(repair = %r, "settings repaired");
        }
        if !loaded.repairs.is_empty() {
            notices.push(Notice {
                code: "settings_repaired",
                message: format!(
                    "Some settings were invalid and were reset: {}",
                    loaded.repairs.join("; ")
                ),
            });
        }
        let mut live = Live {
            settings: loaded.settings,
            storage: PasswordStorage::None,
            keyring_problem: None,
        };
        let account = proxy_account(&live.settings.proxy);
        if let Some(scrubbed) = loaded.scrubbed {
            migrate_password(&mut live, account.as_deref(), &*secrets, &mut notices);
            if let Err(e) = write_atomic(&path, &scrubbed) {
                tracing::error!(error = %e, "could not remove the proxy password from the settings file");
                notices.push(Notice {
                    code: "settings_password_not_removed",
                    message: format!("The proxy password could not be removed from {}: {e} Save the settings once the folder can be written to.", path.display()),
                });
            }
        } else if let Some(account) = account.filter(|_| !live.settings.proxy.username.is_empty()) {
            match secrets.get(&account) {
                Ok(Some(p)) => {
                    live.settings.proxy.password = p;
                    live.storage = PasswordStorage::Keyring;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the proxy password from the keyring");
                    notices.push(Notice {
                        code: "keyring_unavailable",
                        message: format!("The system keyring could not be read ({e}), so a saved proxy password is not available. Enter it in Settings: it will be kept only until the app closes."),
                    });
                    live.keyring_problem = Some(e.to_string());
                }
            }
        }
        tracing::info!(settings = ?live.settings, storage = ?live.storage, "settings loaded");
        let store = Self {
            inner: Arc::new(Inner {
                path,
                secrets,
                saving: Mutex::new(()),
                live: RwLock::new(live),
            }),
        };
        Ok((store, notices))
    }

    /// The live settings, with the proxy password (for the client; never for the UI).
    pub fn get(&self) -> Settings {
        self.live().settings.clone()
    }

    /// What the settings dialog shows: no password, only whether one is saved and where.
    pub fn view(&self, endpoint_override: Option<String>) -> SettingsView {
        let live = self.live().clone();
        SettingsView {
            password_saved: !live.settings.proxy.password.is_empty(),
            password_storage: live.storage,
            keyring_problem: live.keyring_problem,
            settings: live.settings,
            defaults: Settings::default(),
            endpoint_override,
        }
    }

    /// Normalizes and validates `settings` (the password comes from `change` or the proxy
    /// URL; `settings.proxy.password` is ignored), writes the file atomically, then
    /// stores the password. A keyring that fails does not fail the save: the password is
    /// then kept for this session only and `view` says so. Returns what was saved.
    pub fn save(&self, settings: Settings, change: PasswordChange) -> Result<Settings> {
        let _one_at_a_time = self
            .inner
            .saving
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let before = self.live().clone();
        let settings = settings_to_keep(settings, change, &before.settings.proxy.password);
        let account = proxy_account(&settings.proxy);
        settings.save(&self.inner.path)?;
        let (storage, keyring_problem) =
            self.store_password(&before, account.as_deref(), &settings.proxy.password);
        tracing::info!(settings = ?settings, storage = ?storage, "settings saved");
        *self
            .inner
            .live
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Live {
            settings: settings.clone(),
            storage,
            keyring_problem,
        };
        Ok(settings)
    }

    /// Asks the keyring whether it answers (reading an entry that need not exist).
    pub fn check_keyring(&self) -> KeyringStatus {
        let account = proxy_account(&self.get().proxy).unwrap_or_else(|| "proxy:probe".into());
        let problem = self
            .inner
            .secrets
            .get(&account)
            .err()
            .map(|e| e.to_string());
        if let Some(p) = &problem {
            tracing::warn!(problem = %p, "the keyring does not answer");
        }
        KeyringStatus {
            available: problem.is_none(),
            problem,
        }
    }

    /// Brings the keyring in line with the saved password. Touches it only when the
    /// password or the proxy it is for changed, so picking a model costs no keyring call.
    fn store_password(
        &self,
        before: &Live,
        account: Option<&str>,
        password: &Password,
    ) -> (PasswordStorage, Option<String>) {
        let secrets = &*self.inner.secrets;
        let old_account = proxy_account(&before.settings.proxy);
        let old_in_keyring = before.storage == PasswordStorage::Keyring;
        let forget_old = |problem: &mut Option<String>| {
            if let Some(old) = old_account.as_deref().filter(|_| old_in_keyring) {
                if let Err(e) = secrets.delete(old) {
                    tracing::warn!(error = %e, "could not remove the old proxy password from the keyring");
                    *problem = Some(format!(
                        "The old proxy password could not be removed from the system keyring: {e}"
                    ));
                }
            }
        };
        let mut problem = None;
        let Some(account) = account.filter(|_| !password.is_empty()) else {
            forget_old(&mut problem);
            return (PasswordStorage::None, problem);
        };
        let unchanged =
            old_account.as_deref() == Some(account) && before.settings.proxy.password == *password;
        if unchanged && before.storage != PasswordStorage::None {
            return (before.storage, before.keyring_problem.clone());
        }
        match secrets.set(account, password) {
            Ok(()) => {
                if old_account.as_deref() != Some(account) {
                    forget_old(&mut problem);
                }
                (PasswordStorage::Keyring, problem)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the keyring refused the proxy password; keeping it for this session only");
                if old_account.as_deref() != Some(account) {
                    forget_old(&mut problem);
                }
                (PasswordStorage::Session, Some(e.to_string()))
            }
        }
    }

    fn live(&self) -> std::sync::RwLockReadGuard<'_, Live> {
        self.inner
            .live
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for SettingsStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let live = self.live();
        f.debug_struct("SettingsStore")
            .field("path", &self.inner.path)
            .field("settings", &live.settings)
            .field("storage", &live.storage)
            .finish_non_exhaustive()
    }
}

/// Moves a password found in the file into the keyring (or, failing that, keeps it for
/// the session); the caller then rewrites the file without it.
fn migrate_password(
    live: &mut Live,
    account: Option<&str>,
    secrets: &dyn SecretStore,
    notices: &mut Vec<Notice>,
) {
    let Some(account) = account.filter(|_| !live.settings.proxy.username.is_empty()) else {
        // No usable proxy to send it to: nothing to keep it for.
        tracing::info!(proxy = %mask_url_password(&live.settings.proxy.url), "dropped a proxy password that had no proxy and user to go with");
        live.settings.proxy.password = Password::default();
        return;
    };
    match secrets.set(account, &live.settings.proxy.password) {
        Ok(()) => {
            tracing::info!("proxy password moved from the settings file to the keyring");
            live.storage = PasswordStorage::Keyring;
            notices.push(Notice {
                code: "proxy_password_moved",
                message:
                    "The proxy password was moved out of settings.json into the system keyring."
                        .into(),
            });
        }
        Err(e) => {
            tracing::warn!(error = %e, "the keyring refused the proxy password found in the settings file");
            live.storage = PasswordStorage::Session;
            live.keyring_problem = Some(e.to_string());
            notices.push(Notice {
                code: "proxy_password_session_only",
                message: format!("The proxy password could not be stored in the system keyring ({e}), so it will be kept only until the app closes. It was removed from settings.json all the same: it is never kept on disk in plain text. Enter it again in Settings after a restart."),
            });
        }
    }
}

/// The keyring account a proxy password is kept under: `proxy:<user>@<host>:<port>`,
/// so each proxy and user has its own entry. `None` without a usable proxy address.
pub(crate) fn proxy_account(proxy: &ProxySettings) -> Option<String> {
    let url = url::Url::parse(proxy.url.trim()).ok()?;
    let host = url.host_str().filter(|h| !h.is_empty())?;
    let port = url.port_or_known_default()?;
    Some(format!("proxy:{}@{host}:{port}", proxy.username))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(url: &str, username: &str, in_struct: &str) -> Settings {
        let mut s = Settings::default();
        s.proxy.url = url.into();
        s.proxy.username = username.into();
        s.proxy.password = in_struct.into();
        s
    }

    fn replace(p: &str) -> PasswordChange {
        PasswordChange::Replace { password: p.into() }
    }

    #[test]
    fn the_password_a_save_keeps_follows_one_table() {
        use PasswordChange::{Keep, Remove};
        let saved = Password::from("saved-pw");
        // (proxy URL, user, password in the struct, change, password kept)
        let table: Vec<(&str, &str, &str, PasswordChange, &str)> = vec![
            // A replacement wins over everything.
            ("http://h:3128", "bob", "", replace("new-pw"), "new-pw"),
            ("http://b:in-url@h:1", "", "", replace("new-pw"), "new-pw"),
            ("", "", "", replace("new-pw"), "new-pw"),
            // An empty replacement counts as none: then the URL, else the saved one.
            ("http://h:3128", "bob", "", replace(""), "saved-pw"),
            ("http://b:in-url@h:1", "", "", replace(""), "in-url"),
            // One typed into the URL wins over keep and remove.
            ("http://b:in-url@h:1", "", "", Keep, "in-url"),
            ("http://b:in-url@h:1", "", "", Remove, "in-url"),
            // Remove removes.
            ("http://h:3128", "bob", "", Remove, ""),
            // Keep keeps the saved one while there is a proxy and a user to send it for.
            ("http://h:3128", "bob", "", Keep, "saved-pw"),
            (" socks5h://h:1080 ", " bob ", "", Keep, "saved-pw"),
            ("http://h:3128", "", "", Keep, ""),
            ("http://h:3128", "   ", "", Keep, ""),
            ("", "bob", "", Keep, ""),
            ("not a url", "bob", "", Keep, ""),
            ("socks5://h", "bob", "", Keep, ""),
            // A password in the struct is never taken.
            ("http://h:3128", "bob", "from-the-page", Keep, "saved-pw"),
            ("http://h:3128", "bob", "from-the-page", Remove, ""),
            ("", "", "from-the-page", Keep, ""),
        ];
        for (url, user, in_struct, change, want) in table {
            let case = format!("{url:?} {user:?} {in_struct:?} {change:?}");
            let kept = settings_to_keep(form(url, user, in_struct), change, &saved);
            assert_eq!(kept.proxy.password.expose(), want, "{case}");
        }
    }

    #[test]
    fn the_kept_settings_are_normalized_with_the_url_credentials_moved_out() {
        let kept = settings_to_keep(
            form(" http://bob:in-url@h:3128 ", "", ""),
            PasswordChange::Keep,
            &Password::default(),
        );
        assert_eq!(kept.proxy.url, "http://h:3128");
        assert_eq!(kept.proxy.username, "bob");
        assert_eq!(kept.proxy.password.expose(), "in-url");
        let plain = form("", "", "");
        assert_eq!(
            settings_to_keep(plain.clone(), PasswordChange::Keep, &Password::from("x")),
            plain.normalized()
        );
    }
}
