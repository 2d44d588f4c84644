//! Secrets (the proxy password): the `Password` type that never shows itself, and the
//! OS keyring that keeps it (Secret Service, macOS Keychain, Windows Credential Manager).
//! Nothing here writes a secret to a file, a log or an error message.

/// The keyring could not be used (none on this machine, locked, refused). It never
/// reaches the UI as a failure: the password is then kept for the session only, and the
/// person is told why in these words. Not a variant of `crate::Error` because no
/// operation fails with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct KeyringError {
    reason: String,
}

impl KeyringError {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

pub type KeyringResult<T> = std::result::Result<T, KeyringError>;

use std::time::Duration;

/// The keyring's service name for the real app; tests use names of their own.
pub const KEYRING_SERVICE: &str = "Dynaspark Desktop";

/// How long one keyring call may take, a person typing the keyring's unlock password
/// included. Past it the keyring counts as unusable (a prompt nobody can see, on a
/// headless session, would otherwise hang the save for good).
const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// A secret held in memory. `Debug` shows `***`; it cannot be serialized, only read
/// from the UI (a new password) and handed to the proxy through `expose`.
#[derive(Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

/// Where secrets are kept between runs. `Keyring` is the real one; tests bring their own
/// (an in-memory map, or one that always fails, as a machine without a keyring does).
pub trait SecretStore: Send + Sync {
    /// `None` when there is no entry for `account`.
    fn get(&self, account: &str) -> KeyringResult<Option<Password>>;
    fn set(&self, account: &str, secret: &Password) -> KeyringResult<()>;
    /// Deleting an entry that is not there is not an error.
    fn delete(&self, account: &str) -> KeyringResult<()>;
}

/// The OS keyring, under one service name.
#[derive(Debug, Clone)]
pub struct Keyring {
    service: String,
}

impl Keyring {
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    /// Runs `op` on the entry for `account` on a thread of its own, waiting at most
    /// `CALL_TIMEOUT`; a call still waiting then is left to finish on its own.
    fn call<T: Send + 'static>(
        &self,
        account: &str,
        op: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> KeyringResult<T> {
        session_bus()?;
        let entry = keyring::Entry::new(&self.service, account).map_err(keyring_error)?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("keyring".into())
            .spawn(move || {
                let _ = tx.send(op(&entry));
            })
            .map_err(|e| KeyringError::new(format!("could not start a keyring call: {e}")))?;
        match rx.recv_timeout(CALL_TIMEOUT) {
            Ok(result) => result.map_err(keyring_error),
            Err(_) => Err(KeyringError::new(format!(
                "the system keyring did not answer within {} seconds (is it locked, waiting for its password?)",
                CALL_TIMEOUT.as_secs()
            ))),
        }
    }
}

impl SecretStore for Keyring {
    fn get(&self, account: &str) -> KeyringResult<Option<Password>> {
        self.call(account, |entry| match entry.get_password() {
            Ok(p) => Ok(Some(Password(p))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
    }

    fn set(&self, account: &str, secret: &Password) -> KeyringResult<()> {
        let secret = secret.clone();
        self.call(account, move |entry| entry.set_password(secret.expose()))
    }

    fn delete(&self, account: &str) -> KeyringResult<()> {
        self.call(account, |entry| match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e),
        })
    }
}

/// The Secret Service lives on the D-Bus session bus. Without one, libdbus would
/// "autolaunch" a bus of its own (where an X display exists), whose freshly started
/// keyring then waits on a prompt to create a collection: say at once that there is none.
#[cfg(target_os = "linux")]
fn session_bus() -> KeyringResult<()> {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let user_bus =
        set("XDG_RUNTIME_DIR").is_some_and(|dir| std::path::Path::new(&dir).join("bus").exists());
    if set("DBUS_SESSION_BUS_ADDRESS").is_some() || user_bus {
        Ok(())
    } else {
        Err(KeyringError::new(
            "there is no D-Bus session bus, so no Secret Service (such as GNOME Keyring or KWallet) to keep it",
        ))
    }
}

#[cfg(not(target_os = "linux"))]
fn session_bus() -> KeyringResult<()> {
    Ok(())
}

/// The keyring's words, without what could hold a secret (the bytes of a value that is
/// not text, the credentials that matched twice).
fn keyring_error(e: keyring::Error) -> KeyringError {
    let reason = match e {
        keyring::Error::BadEncoding(_) => "the stored value is not text".to_owned(),
        keyring::Error::Ambiguous(items) => {
            format!(
                "{} keyring entries match where one was expected",
                items.len()
            )
        }
        other => other.to_string(),
    };
    KeyringError::new(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_shows_in_debug() {
        let p = Password::from("hunter2");
        assert_eq!(format!("{p:?}"), "***");
        assert_eq!(format!("{:?}", Password::default()), "\"\"");
        assert_eq!(p.expose(), "hunter2");
    }

    #[test]
    fn keyring_errors_keep_no_secret_bytes() {
        let e = keyring_error(keyring::Error::BadEncoding(b"hunter2\xff".to_vec()));
        assert!(!format!("{e} {e:?}").contains("hunter2"));
    }
}
