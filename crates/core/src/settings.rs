//! Settings: defaults in one place, validation with messages per field, loading that
//! repairs instead of panicking, and atomic saving. The file is a flat JSON object; it
//! never holds the proxy password (that lives in the keyring, see `store`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use dynaspark::{
    ClientConfig, ProxyConfig, RetryPolicy, Timeouts, DEFAULT_ENDPOINT, DEFAULT_MODELS,
};
use serde::{Deserialize, Serialize};

use crate::files::{move_aside, write_atomic};
use crate::images::{ImageOptions, MAX_IMAGE_BYTES};
use crate::secrets::Password;
use crate::{Error, Result};

pub(crate) mod store;

pub const SETTINGS_FILE: &str = "settings.json";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProxySettings {
    /// Empty for a direct connection. Never holds credentials once normalized.
    pub url: String,
    pub username: String,
    /// In memory only: never serialized (not to the file, not to the UI) and never read
    /// from either; it comes from the keyring or the "Replace" field.
    #[serde(skip)]
    pub password: Password,
}

impl std::fmt::Debug for ProxySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxySettings")
            .field("url", &mask_url_password(&self.url))
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

impl ProxySettings {
    /// Moves credentials typed into the URL (`http://u:p%2Bq@host:3128`) to their own
    /// fields, percent-decoded exactly (`+` stays `+`). A user name in its own field
    /// wins over one in the URL; the password in the URL replaces the one held.
    fn take_url_credentials(&mut self) {
        let Some(parts) = Userinfo::find(&self.url) else {
            return;
        };
        let (user, password) = parts.credentials(&self.url);
        if self.username.trim().is_empty() {
            self.username = user;
        }
        if let Some(p) = password.filter(|p| !p.is_empty()) {
            self.password = Password::from(p);
        }
        self.url = parts.without(&self.url, None);
    }
}

/// Where the `user[:password]@` part of a URL is, by byte offsets. Found by hand rather
/// than with `url::Url`, which would rewrite the rest of what the person typed.
struct Userinfo {
    /// The first byte after `://`.
    start: usize,
    /// The `@`.
    at: usize,
    /// The `:` between user and password, if any.
    colon: Option<usize>,
}

impl Userinfo {
    fn find(url: &str) -> Option<Self> {
        // Without a scheme (a typo the validation reports) the credentials still count.
        let start = url.find("://").map_or(0, |i| i + 3);
        let authority_end = url[start..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |i| start + i);
        let at = start + url[start..authority_end].rfind('@')?;
        let colon = url[start..at].find(':').map(|i| start + i);
        Some(Self { start, at, colon })
    }

    /// User name and password, percent-decoded exactly.
    fn credentials(&self, url: &str) -> (String, Option<String>) {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        match self.colon {
            Some(c) => (
                decode(&url[self.start..c]),
                Some(decode(&url[c + 1..self.at])),
            ),
            None => (decode(&url[self.start..self.at]), None),
        }
    }

    /// The URL without its userinfo, or with `replacement` in its place.
    fn without(&self, url: &str, replacement: Option<&str>) -> String {
        let mut out = url[..self.start].to_owned();
        if let Some(r) = replacement {
            out.push_str(r);
            out.push('@');
        }
        out.push_str(&url[self.at + 1..]);
        out
    }
}

/// The URL with any password in it shown as `***` (for Debug output and logs).
pub(crate) fn mask_url_password(url: &str) -> String {
    match Userinfo::find(url) {
        Some(parts @ Userinfo { colon: Some(c), .. }) => {
            let masked = format!("{}:***", &url[parts.start..c]);
            parts.without(url, Some(&masked))
        }
        _ => url.to_owned(),
    }
}

/// Removes the password from a proxy URL as stored, keeping everything else as typed.
fn strip_url_password(url: &str) -> Option<(String, String)> {
    let parts = Userinfo::find(url)?;
    let (_, password) = parts.credentials(url);
    let password = password.filter(|p| !p.is_empty())?;
    let user = &url[parts.start..parts.colon.unwrap_or(parts.at)];
    let kept = if user.is_empty() { None } else { Some(user) };
    Some((parts.without(url, kept), password))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// The full vision endpoint URL (the path changed once; people can follow it).
    pub endpoint: String,
    pub model: String,
    /// Models offered in the picker; people add the service's new ones.
    pub models: Vec<String>,
    pub proxy: ProxySettings,
    pub connect_timeout_secs: u64,
    pub request_timeout_secs: u64,
    /// Longest flattened prompt sent; longer histories are trimmed.
    pub max_prompt_chars: usize,
    /// Attempts per question, the first included (1: never retry). Retried: a server
    /// that is waking or overloaded (502/503/504/429), a connection that failed.
    pub retry_attempts: u32,
    /// The longest wait a rate-limited server may ask for (`Retry-After`) that is
    /// waited out; a longer one is shown to the person instead.
    pub retry_max_wait_secs: u64,
    /// Images larger than this many pixels on their long side are scaled down to it.
    pub image_max_side: u32,
    /// Images heavier than this many bytes are re-encoded, then scaled down until they fit.
    pub image_max_bytes: u64,
    /// Keep EXIF, XMP and other metadata (place, camera, date) in what is sent.
    pub image_keep_metadata: bool,
    /// A follow-up question without a picture of its own sends the conversation's latest
    /// picture again (the service remembers nothing between questions).
    pub resend_image: bool,
    /// Ask the update server at start whether a newer version exists (nothing is
    /// downloaded or installed without the person's consent).
    pub check_for_updates: bool,
    pub theme: Theme,
    /// The interface language: "system" (the system locale's, English when it is
    /// neither), "en" or "ru".
    pub language: String,
}

impl Default for Settings {
    fn default() -> Self {
        let timeouts = Timeouts::default();
        Self {
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            model: DEFAULT_MODELS[0].to_owned(),
            models: DEFAULT_MODELS.iter().map(|m| (*m).to_owned()).collect(),
            proxy: ProxySettings::default(),
            connect_timeout_secs: timeouts.connect.as_secs(),
            request_timeout_secs: timeouts.total.as_secs(),
            max_prompt_chars: 20_000,
            retry_attempts: RetryPolicy::default().max_attempts,
            retry_max_wait_secs: RetryPolicy::default().max_retry_after.as_secs(),
            image_max_side: ImageOptions::DEFAULT_MAX_SIDE,
            image_max_bytes: ImageOptions::DEFAULT_MAX_BYTES,
            image_keep_metadata: false,
            resend_image: true,
            check_for_updates: true,
            theme: Theme::System,
            language: "system".to_owned(),
        }
    }
}

/// A problem with one field, for the settings form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Settings read from disk, with what had to be repaired on the way.
#[derive(Debug)]
pub struct Loaded {
    /// With `proxy.password` set when the file still held one in plain text (written
    /// by an older version, or typed into the proxy URL).
    pub settings: Settings,
    /// Fields reset to their defaults, with why.
    pub repairs: Vec<String>,
    /// Where an unreadable settings file was moved.
    pub moved_aside: Option<PathBuf>,
    /// What was wrong with that file.
    pub damage: Option<Damage>,
    /// The file's content without the plain-text password, to be written over it once
    /// the password is safe elsewhere. `None` when the file held no password.
    pub(crate) scrubbed: Option<Vec<u8>>,
}

impl Loaded {
    fn defaults(moved_aside: Option<PathBuf>, damage: Option<Damage>) -> Self {
        Self {
            settings: Settings::default(),
            repairs: vec![],
            moved_aside,
            damage,
            scrubbed: None,
        }
    }

    /// The file held the proxy password in plain text.
    pub fn password_in_file(&self) -> bool {
        self.scrubbed.is_some()
    }
}

/// Why a settings file could not be read at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// No bytes at all.
    Empty,
    /// Only zero bytes: the size was written but the content never was (a crash or a
    /// power cut during a write).
    ZeroFilled,
    /// JSON that stops part way.
    Truncated,
    /// Not JSON.
    NotJson,
    /// JSON, but not an object of settings.
    NotAnObject,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Damage::Empty => "it was empty",
            Damage::ZeroFilled => "it held only zero bytes, as after a write cut short",
            Damage::Truncated => "it was cut off part way",
            Damage::NotJson => "it is not JSON",
            Damage::NotAnObject => "it is JSON but not a set of settings",
        })
    }
}

impl Damage {
    fn of(bytes: &[u8], error: &serde_json::Error) -> Self {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            Damage::Empty
        } else if bytes.iter().all(|b| *b == 0) {
            Damage::ZeroFilled
        } else if error.is_eof() {
            Damage::Truncated
        } else if error.is_data() {
            Damage::NotAnObject
        } else {
            Damage::NotJson
        }
    }
}

const CONNECT_RANGE: (u64, u64) = (1, 300);
const REQUEST_RANGE: (u64, u64) = (10, 1800);
const PROMPT_RANGE: (usize, usize) = (200, 2_000_000);
const ATTEMPTS_RANGE: (u32, u32) = (1, 10);
const RETRY_WAIT_RANGE: (u64, u64) = (0, 600);
const IMAGE_SIDE_RANGE: (u32, u32) = (256, 8192);
const IMAGE_BYTES_RANGE: (u64, u64) = (256 * 1024, MAX_IMAGE_BYTES);
/// The interface languages: the system's, or one chosen.
pub const LANGUAGES: [&str; 3] = ["system", "en", "ru"];

impl Settings {
    /// Checks every field; an empty list means the settings can be saved.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut fail = |field, message: String| errors.push(FieldError { field, message });
        if let Err(e) = ClientConfig::new(&self.endpoint) {
            fail("endpoint", e.to_string());
        }
        if let Some(msg) = model_problem(&self.model) {
            fail("model", msg);
        }
        if self.models.is_empty() {
            fail("models", "Keep at least one model in the list.".into());
        }
        for m in &self.models {
            if let Some(msg) = model_problem(m) {
                fail("models", msg);
            }
        }
        if !self.proxy.url.trim().is_empty() {
            if let Err(e) = self.proxy_config() {
                fail("proxy", e.to_string());
            }
        } else if !self.proxy.username.is_empty() || !self.proxy.password.is_empty() {
            fail(
                "proxy",
                "A proxy user name or password was given without a proxy address.".into(),
            );
        }
        if !(CONNECT_RANGE.0..=CONNECT_RANGE.1).contains(&self.connect_timeout_secs) {
            fail(
                "connectTimeoutSecs",
                format!(
                    "The connect timeout must be {} to {} seconds.",
                    CONNECT_RANGE.0, CONNECT_RANGE.1
                ),
            );
        }
        if !(REQUEST_RANGE.0..=REQUEST_RANGE.1).contains(&self.request_timeout_secs) {
            fail("requestTimeoutSecs", format!("The answer timeout must be {} to {} seconds (the free server can take a minute to wake).", REQUEST_RANGE.0, REQUEST_RANGE.1));
        } else if self.request_timeout_secs < self.connect_timeout_secs {
            fail(
                "requestTimeoutSecs",
                "The answer timeout must not be shorter than the connect timeout.".into(),
            );
        }
        if !(PROMPT_RANGE.0..=PROMPT_RANGE.1).contains(&self.max_prompt_chars) {
            fail(
                "maxPromptChars",
                format!(
                    "The prompt limit must be {} to {} characters.",
                    PROMPT_RANGE.0, PROMPT_RANGE.1
                ),
            );
        }
        if !(ATTEMPTS_RANGE.0..=ATTEMPTS_RANGE.1).contains(&self.retry_attempts) {
            fail(
                "retryAttempts",
                format!(
                    "Attempts per question must be {} to {} (1 never retries).",
                    ATTEMPTS_RANGE.0, ATTEMPTS_RANGE.1
                ),
            );
        }
        if !(RETRY_WAIT_RANGE.0..=RETRY_WAIT_RANGE.1).contains(&self.retry_max_wait_secs) {
            fail(
                "retryMaxWaitSecs",
                format!(
                    "The longest wait must be {} to {} seconds.",
                    RETRY_WAIT_RANGE.0, RETRY_WAIT_RANGE.1
                ),
            );
        }
        if !(IMAGE_SIDE_RANGE.0..=IMAGE_SIDE_RANGE.1).contains(&self.image_max_side) {
            fail(
                "imageMaxSide",
                format!(
                    "The longest side of images must be {} to {} pixels.",
                    IMAGE_SIDE_RANGE.0, IMAGE_SIDE_RANGE.1
                ),
            );
        }
        if !(IMAGE_BYTES_RANGE.0..=IMAGE_BYTES_RANGE.1).contains(&self.image_max_bytes) {
            fail(
                "imageMaxBytes",
                format!(
                    "The size limit of images must be {} KB to {} MB.",
                    IMAGE_BYTES_RANGE.0 / 1024,
                    IMAGE_BYTES_RANGE.1 / (1024 * 1024)
                ),
            );
        }
        if !LANGUAGES.contains(&self.language.as_str()) {
            fail(
                "language",
                format!(
                    "\"{}\" is not a language of the app (system, en or ru).",
                    self.language
                ),
            );
        }
        errors
    }

    /// Tidies what people type (spaces, duplicate models, the chosen model in the list,
    /// credentials typed into the proxy URL moved to their own fields).
    pub fn normalized(mut self) -> Self {
        self.endpoint = self.endpoint.trim().to_owned();
        self.model = self.model.trim().to_owned();
        self.proxy.url = self.proxy.url.trim().to_owned();
        self.proxy.take_url_credentials();
        self.proxy.username = self.proxy.username.trim().to_owned();
        let mut models: Vec<String> = Vec::new();
        for m in self
            .models
            .iter()
            .map(|m| m.trim())
            .filter(|m| !m.is_empty())
        {
            if !models.iter().any(|k| k == m) {
                models.push(m.to_owned());
            }
        }
        if !self.model.is_empty() && !models.contains(&self.model) {
            models.push(self.model.clone());
        }
        self.models = models;
        self
    }

    pub fn proxy_config(&self) -> Result<Option<ProxyConfig>, dynaspark::Error> {
        let p = &self.proxy;
        if p.url.trim().is_empty() {
            return Ok(None);
        }
        let opt = |s: &str| (!s.is_empty()).then_some(s.to_owned());
        ProxyConfig::new(
            &p.url,
            opt(&p.username).as_deref(),
            opt(p.password.expose()).as_deref(),
        )
        .map(Some)
    }

    /// How attached images are prepared (see [`ImageOptions`]).
    pub fn image_options(&self) -> ImageOptions {
        ImageOptions {
            max_bytes: self.image_max_bytes,
            max_side: self.image_max_side,
            keep_metadata: self.image_keep_metadata,
        }
    }

    /// The client configuration; `endpoint_override` (from `DYNASPARK_ENDPOINT`) wins.
    pub fn client_config(
        &self,
        endpoint_override: Option<&str>,
    ) -> Result<ClientConfig, dynaspark::Error> {
        let mut config = ClientConfig::new(endpoint_override.unwrap_or(&self.endpoint))?;
        config.proxy = self.proxy_config()?;
        config.timeouts = Timeouts {
            connect: Duration::from_secs(self.connect_timeout_secs),
            total: Duration::from_secs(self.request_timeout_secs),
        };
        config.retry = RetryPolicy {
            max_attempts: self.retry_attempts,
            max_retry_after: Duration::from_secs(self.retry_max_wait_secs),
            ..RetryPolicy::default()
        };
        Ok(config)
    }

    /// Reads the settings file. Missing: defaults. Unreadable (empty, zero-filled, cut
    /// off, not JSON): moved aside, never deleted, and defaults used. Fields of the wrong
    /// type or out of range: reset to their defaults, one by one. A proxy password found
    /// in the file is returned in `settings` and flagged for removal from the file.
    pub fn load(path: &Path) -> Result<Loaded> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Loaded::defaults(None, None))
            }
            Err(e) => {
                return Err(Error::Io {
                    action: "read",
                    path: path.to_owned(),
                    source: e,
                })
            }
        };
        match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes) {
            Ok(mut entries) => {
                let password = take_plaintext_password(&mut entries);
                let (mut settings, repairs) = Settings::from_entries(&entries);
                let scrubbed = password.map(|p| {
                    // Unless the proxy was unusable and reset: then it has no use.
                    if !settings.proxy.url.is_empty() {
                        settings.proxy.password = p;
                    }
                    serde_json::to_vec_pretty(&entries).unwrap_or_default()
                });
                Ok(Loaded {
                    settings,
                    repairs,
                    moved_aside: None,
                    damage: None,
                    scrubbed,
                })
            }
            Err(e) => {
                let damage = Damage::of(&bytes, &e);
                tracing::error!(error = %e, %damage, "settings file unreadable");
                let moved = move_aside(path)?;
                Ok(Loaded::defaults(Some(moved), Some(damage)))
            }
        }
    }

    /// Builds settings from stored key/value entries, repairing field by field.
    pub fn from_entries(
        entries: &serde_json::Map<String, serde_json::Value>,
    ) -> (Settings, Vec<String>) {
        let defaults = serde_json::to_value(Settings::default()).unwrap_or_default();
        let mut merged = defaults.as_object().cloned().unwrap_or_default();
        let mut repairs = Vec::new();
        for (key, default) in merged.iter_mut() {
            let Some(stored) = entries.get(key) else {
                continue;
            };
            let mut candidate = defaults.clone();
            candidate[key.as_str()] = stored.clone();
            if serde_json::from_value::<Settings>(candidate).is_ok() {
                *default = stored.clone();
            } else {
                repairs.push(format!("{key} had an unreadable value and was reset"));
            }
        }
        let mut settings: Settings =
            serde_json::from_value(serde_json::Value::Object(merged)).unwrap_or_default();
        settings = settings.normalized();
        for e in settings.validate() {
            settings.reset_field(e.field);
            repairs.push(format!(
                "{}: {} It was reset to its default.",
                e.field, e.message
            ));
        }
        (settings, repairs)
    }

    /// The settings as flat key/value entries (the file format).
    pub fn to_entries(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        }
    }

    /// Validates, then writes the file atomically (never the password).
    pub fn save(&self, path: &Path) -> Result<()> {
        let errors = self.validate();
        if !errors.is_empty() {
            return Err(Error::InvalidSettings(errors));
        }
        let json = serde_json::to_vec_pretty(&self.to_entries()).unwrap_or_default();
        write_atomic(path, &json)
    }

    fn reset_field(&mut self, field: &str) {
        let d = Settings::default();
        match field {
            "endpoint" => self.endpoint = d.endpoint,
            "model" => self.model = d.model,
            "models" => self.models = d.models,
            "proxy" => self.proxy = d.proxy,
            "connectTimeoutSecs" => self.connect_timeout_secs = d.connect_timeout_secs,
            "requestTimeoutSecs" => self.request_timeout_secs = d.request_timeout_secs,
            "maxPromptChars" => self.max_prompt_chars = d.max_prompt_chars,
            "retryAttempts" => self.retry_attempts = d.retry_attempts,
            "retryMaxWaitSecs" => self.retry_max_wait_secs = d.retry_max_wait_secs,
            "imageMaxSide" => self.image_max_side = d.image_max_side,
            "imageMaxBytes" => self.image_max_bytes = d.image_max_bytes,
            "language" => self.language = d.language,
            _ => {}
        }
        *self = std::mem::take(self).normalized();
    }
}

/// Takes a plain-text proxy password out of stored entries: the `proxy.password` field
/// older versions wrote, or one inside the proxy URL. The entries are left without it.
fn take_plaintext_password(
    entries: &mut serde_json::Map<String, serde_json::Value>,
) -> Option<Password> {
    let proxy = entries.get_mut("proxy")?.as_object_mut()?;
    let field = match proxy.remove("password") {
        Some(serde_json::Value::String(p)) if !p.is_empty() => Some(p),
        _ => None,
    };
    let inline = match proxy.get("url") {
        Some(serde_json::Value::String(url)) => strip_url_password(url),
        _ => None,
    };
    let inline = inline.map(|(url, password)| {
        proxy.insert("url".into(), serde_json::Value::String(url));
        password
    });
    // A password in its own field wins, as it does for the proxy itself.
    field.or(inline).map(Password::from)
}

fn model_problem(model: &str) -> Option<String> {
    if model.trim().is_empty() {
        Some("Choose a model.".into())
    } else if model.len() > 100 || model.chars().any(char::is_whitespace) {
        Some(format!(
            "\"{model}\" is not a model id (no spaces, at most 100 characters)."
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_valid_and_point_at_the_real_service() {
        let d = Settings::default();
        assert!(d.validate().is_empty(), "{:?}", d.validate());
        assert_eq!(
            d.endpoint,
            "https://dynaspark.onrender.com/generate_response"
        );
        assert_eq!(d.model, "gemini-1.5-flash");
        assert_eq!(d.models.len(), 4);
        assert!(d.request_timeout_secs >= 90);
    }

    #[test]
    fn each_bad_field_gets_its_own_message() {
        let s = Settings {
            endpoint: "ftp://x".into(),
            model: "gemini flash".into(),
            proxy: ProxySettings {
                url: "socks4://h:1".into(),
                ..Default::default()
            },
            connect_timeout_secs: 0,
            request_timeout_secs: 5,
            max_prompt_chars: 10,
            image_max_side: 100,
            image_max_bytes: 30 * 1024 * 1024,
            ..Settings::default()
        };
        let fields: Vec<&str> = s.validate().iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "endpoint",
                "model",
                "proxy",
                "connectTimeoutSecs",
                "requestTimeoutSecs",
                "maxPromptChars",
                "imageMaxSide",
                "imageMaxBytes"
            ]
        );
    }

    #[test]
    fn image_settings_become_the_preparation_options() {
        let defaults = Settings::default();
        assert_eq!(defaults.image_options(), ImageOptions::default());
        let s = Settings {
            image_max_side: 1024,
            image_max_bytes: 1024 * 1024,
            image_keep_metadata: true,
            ..Settings::default()
        };
        assert_eq!(
            s.image_options(),
            ImageOptions {
                max_side: 1024,
                max_bytes: 1024 * 1024,
                keep_metadata: true
            }
        );
        // A file from before these settings existed gets the defaults, silently.
        let (old, repairs) =
            Settings::from_entries(json!({ "theme": "dark" }).as_object().unwrap());
        assert_eq!(old.image_options(), ImageOptions::default());
        assert!(repairs.is_empty(), "{repairs:?}");
    }

    #[test]
    fn updates_are_checked_unless_turned_off() {
        assert!(Settings::default().check_for_updates);
        // A file from before this setting existed checks, silently.
        let (old, repairs) =
            Settings::from_entries(json!({ "theme": "dark" }).as_object().unwrap());
        assert!(old.check_for_updates);
        assert!(repairs.is_empty(), "{repairs:?}");
        let (off, repairs) =
            Settings::from_entries(json!({ "checkForUpdates": false }).as_object().unwrap());
        assert!(!off.check_for_updates);
        assert!(repairs.is_empty(), "{repairs:?}");
        assert_eq!(off.to_entries()["checkForUpdates"], json!(false));
        // Not a boolean: back to the default, and said so.
        let (bad, repairs) =
            Settings::from_entries(json!({ "checkForUpdates": "no" }).as_object().unwrap());
        assert!(bad.check_for_updates);
        assert_eq!(repairs.len(), 1, "{repairs:?}");
    }

    #[test]
    fn the_language_follows_the_system_unless_chosen() {
        assert_eq!(Settings::default().language, "system");
        // A file from before this setting existed follows the system, silently.
        let (old, repairs) =
            Settings::from_entries(json!({ "theme": "dark" }).as_object().unwrap());
        assert_eq!(old.language, "system");
        assert!(repairs.is_empty(), "{repairs:?}");
        for lang in ["en", "ru", "system"] {
            let (s, repairs) =
                Settings::from_entries(json!({ "language": lang }).as_object().unwrap());
            assert_eq!(s.language, lang);
            assert!(repairs.is_empty(), "{repairs:?}");
            assert_eq!(s.to_entries()["language"], json!(lang));
        }
        // Unknown or not a string: back to the default, and said so.
        for bad in [json!("de"), json!(""), json!(7)] {
            let (s, repairs) =
                Settings::from_entries(json!({ "language": bad }).as_object().unwrap());
            assert_eq!(s.language, "system", "{bad}");
            assert_eq!(repairs.len(), 1, "{repairs:?}");
        }
        let s = Settings {
            language: "fr".into(),
            ..Settings::default()
        };
        let errors = s.validate();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field, "language");
        assert!(
            errors[0].message.contains("\"fr\""),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn proxy_credentials_without_address_are_refused() {
        let s = Settings {
            proxy: ProxySettings {
                username: "u".into(),
                ..Default::default()
            },
            ..Settings::default()
        };
        assert_eq!(s.validate()[0].field, "proxy");
    }

    #[test]
    fn normalizing_keeps_the_chosen_model_in_the_list() {
        let s = Settings {
            model: " my-model ".into(),
            models: vec!["a".into(), " a ".into(), "".into()],
            ..Settings::default()
        }
        .normalized();
        assert_eq!(s.model, "my-model");
        assert_eq!(s.models, ["a", "my-model"]);
    }

    #[test]
    fn client_config_uses_override_proxy_and_timeouts() {
        let s = Settings {
            proxy: ProxySettings {
                url: "socks5://127.0.0.1:1080".into(),
                username: "u".into(),
                password: "secret".into(),
            },
            connect_timeout_secs: 7,
            ..Settings::default()
        };
        let c = s
            .client_config(Some("http://127.0.0.1:9/generate_response"))
            .unwrap();
        assert_eq!(c.endpoint.as_str(), "http://127.0.0.1:9/generate_response");
        assert_eq!(c.timeouts.connect, Duration::from_secs(7));
        assert_eq!(c.proxy.unwrap().password(), Some("secret"));
        assert!(!format!("{s:?}").contains("secret"));
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        let s = Settings {
            model: "gemini-2.0-flash".into(),
            theme: Theme::Dark,
            ..Settings::default()
        };
        s.save(&path).unwrap();
        let loaded = Settings::load(&path).unwrap();
        assert_eq!(loaded.settings, s);
        assert!(loaded.repairs.is_empty() && loaded.moved_aside.is_none());
    }

    #[test]
    fn invalid_settings_are_not_saved() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        let err = Settings {
            endpoint: "nope".into(),
            ..Settings::default()
        }
        .save(&path)
        .unwrap_err();
        assert_eq!(err.code(), "invalid_settings");
        assert!(!path.exists());
    }

    #[test]
    fn missing_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = Settings::load(&dir.path().join("none.json")).unwrap();
        assert_eq!(loaded.settings, Settings::default());
    }

    #[test]
    fn corrupt_file_is_backed_up_and_defaults_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        std::fs::write(&path, b"{\"endpoint\": \"https://x/generate_resp").unwrap();
        let loaded = Settings::load(&path).unwrap();
        assert_eq!(loaded.settings, Settings::default());
        let moved = loaded.moved_aside.unwrap();
        assert_eq!(
            std::fs::read(&moved).unwrap(),
            b"{\"endpoint\": \"https://x/generate_resp"
        );
        assert!(!path.exists());
    }

    #[test]
    fn credentials_typed_into_the_proxy_url_move_to_their_fields() {
        let s = Settings {
            proxy: ProxySettings {
                url: " http://bob:p%2Bq+r%40s:t@proxy.corp:3128/ ".into(),
                ..Default::default()
            },
            ..Settings::default()
        }
        .normalized();
        assert_eq!(s.proxy.url, "http://proxy.corp:3128/");
        assert_eq!(s.proxy.username, "bob");
        // Percent-escapes decoded exactly: `+` is a plus, not a space.
        assert_eq!(s.proxy.password.expose(), "p+q+r@s:t");
        assert_eq!(
            s.proxy_config().unwrap().unwrap().password(),
            Some("p+q+r@s:t")
        );
    }

    #[test]
    fn a_user_name_in_its_own_field_wins_over_the_url() {
        let s = Settings {
            proxy: ProxySettings {
                url: "socks5://url-user@h:1080".into(),
                username: "field-user".into(),
                ..Default::default()
            },
            ..Settings::default()
        }
        .normalized();
        assert_eq!(s.proxy.url, "socks5://h:1080");
        assert_eq!(s.proxy.username, "field-user");
        assert!(s.proxy.password.is_empty());
    }

    #[test]
    fn debug_output_never_shows_a_password_even_inside_the_url() {
        for url in [
            "http://u:secret@host:3128",
            "http://u:secret@host:3128/path?q=1",
            "u:secret@host:3128",
            "socks5h://u:se%40cret@[::1]:1080",
        ] {
            let s = Settings {
                proxy: ProxySettings {
                    url: url.into(),
                    username: "u".into(),
                    password: "hunter2".into(),
                },
                ..Settings::default()
            };
            let dbg = format!("{s:?} {s:#?}");
            assert!(!dbg.contains("secret"), "{dbg}");
            assert!(!dbg.contains("se%40cret"), "{dbg}");
            assert!(!dbg.contains("hunter2"), "{dbg}");
            assert!(dbg.contains("u:***@"), "{dbg}");
        }
        assert_eq!(mask_url_password("http://h:1"), "http://h:1");
        assert_eq!(
            mask_url_password("http://only-user@h:1"),
            "http://only-user@h:1"
        );
    }

    #[test]
    fn the_password_is_never_serialized_nor_read_from_json() {
        let s = Settings {
            proxy: ProxySettings {
                url: "http://h:3128".into(),
                username: "u".into(),
                password: "hunter2".into(),
            },
            ..Settings::default()
        };
        let json = serde_json::to_string(&s).unwrap();
        assert!(
            !json.contains("hunter2") && !json.contains("password"),
            "{json}"
        );
        let back: Settings = serde_json::from_value(json!({
            "endpoint": s.endpoint, "model": s.model, "models": s.models,
            "proxy": { "url": "http://h:3128", "username": "u", "password": "from-the-page" },
            "connectTimeoutSecs": 10, "requestTimeoutSecs": 100, "maxPromptChars": 1000,
            "retryAttempts": 3, "retryMaxWaitSecs": 60, "imageMaxSide": 2048,
            "imageMaxBytes": 4194304, "imageKeepMetadata": false, "resendImage": true,
            "checkForUpdates": true,
            "theme": "dark", "language": "ru"
        }))
        .unwrap();
        assert!(back.proxy.password.is_empty());
    }

    #[test]
    fn a_password_in_an_old_file_is_returned_and_scrubbed_from_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        let old = json!({
            "model": "gemini-2.0-flash",
            "proxy": { "url": "http://bob:inline@h:3128", "username": "bob", "password": "hunter2" },
            "futureKey": [1, 2]
        });
        std::fs::write(&path, old.to_string()).unwrap();
        let loaded = Settings::load(&path).unwrap();
        assert!(loaded.password_in_file());
        assert_eq!(loaded.settings.proxy.password.expose(), "hunter2");
        assert_eq!(loaded.settings.proxy.url, "http://h:3128");
        let scrubbed: serde_json::Value =
            serde_json::from_slice(loaded.scrubbed.as_deref().unwrap()).unwrap();
        // Only the password is gone; everything else is as it was.
        assert_eq!(
            scrubbed,
            json!({
                "model": "gemini-2.0-flash",
                "proxy": { "url": "http://bob@h:3128", "username": "bob" },
                "futureKey": [1, 2]
            })
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            old.to_string().as_bytes(),
            "load never writes"
        );
    }

    #[test]
    fn unreadable_files_say_what_was_wrong() {
        for (bytes, damage) in [
            (&b""[..], Damage::Empty),
            (b"  \n", Damage::Empty),
            (&[0u8; 300][..], Damage::ZeroFilled),
            (b"{\"endpoint\": \"https://x", Damage::Truncated),
            (b"endpoint = x", Damage::NotJson),
            (b"[1, 2]", Damage::NotAnObject),
            (b"null", Damage::NotAnObject),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(SETTINGS_FILE);
            std::fs::write(&path, bytes).unwrap();
            let loaded = Settings::load(&path).unwrap();
            assert_eq!(loaded.damage, Some(damage), "{bytes:?}");
            assert_eq!(loaded.settings, Settings::default());
            assert_eq!(std::fs::read(loaded.moved_aside.unwrap()).unwrap(), bytes);
        }
    }

    #[test]
    fn bad_fields_are_repaired_one_by_one() {
        let entries = json!({
            "endpoint": "http://127.0.0.1:8765/generate_response",
            "model": 42,
            "connectTimeoutSecs": 0,
            "theme": "dark",
            "unknownKey": true
        });
        let (s, repairs) = Settings::from_entries(entries.as_object().unwrap());
        assert_eq!(s.endpoint, "http://127.0.0.1:8765/generate_response");
        assert_eq!(s.model, "gemini-1.5-flash");
        assert_eq!(
            s.connect_timeout_secs,
            Settings::default().connect_timeout_secs
        );
        assert_eq!(s.theme, Theme::Dark);
        assert_eq!(repairs.len(), 2, "{repairs:?}");
    }
}
