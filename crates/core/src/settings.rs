//! Settings: defaults in one place, validation with messages per field, loading that
//! repairs instead of panicking, and atomic saving. The file is a flat JSON object; it
//! never holds the proxy password (that lives in the keyring, see `store`).

use std::collections::BTreeMap;
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

/// A problem with one field, for the settings form: `{ field, code, params, message }`.
/// The UI shows `fieldErrors.<code>` filled with `params` in a language other than
/// English, and `message` (also what the log says) otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    pub field: &'static str,
    /// Stable and snake_case, one per kind of problem (see [`FieldError::CODES`]).
    pub code: &'static str,
    /// What the sentence names: `min` and `max` of a range (in the unit the sentence
    /// gives), the `value` refused, a `scheme`, an `example`. The UI's plural forms
    /// follow `max`, the number the unit comes after.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<&'static str, serde_json::Value>,
    /// The sentence in English.
    pub message: String,
}

impl FieldError {
    /// Every code validation can give, for the UI's string tables and their checks.
    pub const CODES: &'static [&'static str] = &Code::CODES;

    fn new(field: &'static str, code: Code, message: String) -> Self {
        Self {
            field,
            code: code.as_str(),
            params: BTreeMap::new(),
            message,
        }
    }

    fn with(mut self, name: &'static str, value: impl Into<serde_json::Value>) -> Self {
        self.params.insert(name, value.into());
        self
    }

    fn range(self, min: impl Into<serde_json::Value>, max: impl Into<serde_json::Value>) -> Self {
        self.with("min", min).with("max", max)
    }
}

/// Declares the validation codes once: the enum, its strings and the list of them all,
/// so no code can exist without being in [`FieldError::CODES`].
macro_rules! codes {
    ($($kind:ident = $code:literal,)+) => {
        /// Why validation refused a field, one variant per kind of problem.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Code {
            $($kind,)+
        }

        impl Code {
            const CODES: [&'static str; [$($code),+].len()] = [$($code),+];

            const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$kind => $code,)+
                }
            }
        }
    };
}

codes! {
    EndpointEmpty = "endpoint_empty",
    EndpointNotUrl = "endpoint_not_url",
    EndpointWrongScheme = "endpoint_wrong_scheme",
    EndpointNoHost = "endpoint_no_host",
    EndpointHasCredentials = "endpoint_has_credentials",
    EndpointInvalid = "endpoint_invalid",
    ModelMissing = "model_missing",
    ModelInvalid = "model_invalid",
    ModelsEmpty = "models_empty",
    ProxyNotUrl = "proxy_not_url",
    ProxyWrongScheme = "proxy_wrong_scheme",
    ProxyNoHost = "proxy_no_host",
    ProxyNoPort = "proxy_no_port",
    ProxyPasswordWithoutUser = "proxy_password_without_user",
    ProxyInvalid = "proxy_invalid",
    ProxyCredentialsWithoutUrl = "proxy_credentials_without_url",
    ConnectTimeoutRange = "connect_timeout_range",
    RequestTimeoutRange = "request_timeout_range",
    RequestShorterThanConnect = "request_shorter_than_connect",
    PromptLimitRange = "prompt_limit_range",
    AttemptsRange = "attempts_range",
    RetryWaitRange = "retry_wait_range",
    ImageSideRange = "image_side_range",
    ImageBytesRange = "image_bytes_range",
    LanguageUnknown = "language_unknown",
}

/// The field error for an endpoint the client refused, by what is wrong with it.
fn endpoint_error(error: &dynaspark::Error) -> FieldError {
    use dynaspark::AddressProblem as P;
    let code = match error.address_problem() {
        Some(P::Empty) => Code::EndpointEmpty,
        Some(P::NotAUrl) => Code::EndpointNotUrl,
        Some(P::UnsupportedScheme { .. }) => Code::EndpointWrongScheme,
        Some(P::NoHost) => Code::EndpointNoHost,
        Some(P::HasCredentials) => Code::EndpointHasCredentials,
        Some(P::NoPort | P::PasswordWithoutUser | P::Unusable) | None => Code::EndpointInvalid,
    };
    let e = FieldError::new("endpoint", code, error.to_string());
    if code == Code::EndpointNotUrl {
        e.with("example", DEFAULT_ENDPOINT)
    } else {
        e
    }
}

/// The field error for a proxy address the client refused, by what is wrong with it.
fn proxy_error(error: &dynaspark::Error) -> FieldError {
    use dynaspark::AddressProblem as P;
    let new = |code| FieldError::new("proxy", code, error.to_string());
    match error.address_problem() {
        Some(P::Empty | P::NotAUrl) => new(Code::ProxyNotUrl),
        Some(P::UnsupportedScheme { scheme }) => {
            new(Code::ProxyWrongScheme).with("scheme", scheme.as_str())
        }
        Some(P::NoHost) => new(Code::ProxyNoHost),
        Some(P::NoPort) => new(Code::ProxyNoPort),
        Some(P::PasswordWithoutUser) => new(Code::ProxyPasswordWithoutUser),
        Some(P::HasCredentials | P::Unusable) | None => new(Code::ProxyInvalid),
    }
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
        let mut fail = |e: FieldError| errors.push(e);
        if let Err(e) = ClientConfig::new(&self.endpoint) {
            fail(endpoint_error(&e));
        }
        if let Some(e) = model_problem("model", &self.model) {
            fail(e);
        }
        if self.models.is_empty() {
            fail(FieldError::new(
                "models",
                Code::ModelsEmpty,
                "Keep at least one model in the list.".into(),
            ));
        }
        for m in &self.models {
            if let Some(e) = model_problem("models", m) {
                fail(e);
            }
        }
        if !self.proxy.url.trim().is_empty() {
            if let Err(e) = self.proxy_config() {
                fail(proxy_error(&e));
            }
        } else if !self.proxy.username.is_empty() || !self.proxy.password.is_empty() {
            fail(FieldError::new(
                "proxy",
                Code::ProxyCredentialsWithoutUrl,
                "A proxy user name or password was given without a proxy address.".into(),
            ));
        }
        if !(CONNECT_RANGE.0..=CONNECT_RANGE.1).contains(&self.connect_timeout_secs) {
            fail(
                FieldError::new(
                    "connectTimeoutSecs",
                    Code::ConnectTimeoutRange,
                    format!(
                        "The connect timeout must be {} to {} seconds.",
                        CONNECT_RANGE.0, CONNECT_RANGE.1
                    ),
                )
                .range(CONNECT_RANGE.0, CONNECT_RANGE.1),
            );
        }
        if !(REQUEST_RANGE.0..=REQUEST_RANGE.1).contains(&self.request_timeout_secs) {
            fail(
                FieldError::new(
                    "requestTimeoutSecs",
                    Code::RequestTimeoutRange,
                    format!(
                        "The answer timeout must be {} to {} seconds (the free server can take a minute to wake).",
                        REQUEST_RANGE.0, REQUEST_RANGE.1
                    ),
                )
                .range(REQUEST_RANGE.0, REQUEST_RANGE.1),
            );
        } else if self.request_timeout_secs < self.connect_timeout_secs {
            fail(FieldError::new(
                "requestTimeoutSecs",
                Code::RequestShorterThanConnect,
                "The answer timeout must not be shorter than the connect timeout.".into(),
            ));
        }
        if !(PROMPT_RANGE.0..=PROMPT_RANGE.1).contains(&self.max_prompt_chars) {
            fail(
                FieldError::new(
                    "maxPromptChars",
                    Code::PromptLimitRange,
                    format!(
                        "The prompt limit must be {} to {} characters.",
                        PROMPT_RANGE.0, PROMPT_RANGE.1
                    ),
                )
                .range(PROMPT_RANGE.0, PROMPT_RANGE.1),
            );
        }
        if !(ATTEMPTS_RANGE.0..=ATTEMPTS_RANGE.1).contains(&self.retry_attempts) {
            fail(
                FieldError::new(
                    "retryAttempts",
                    Code::AttemptsRange,
                    format!(
                        "Attempts per question must be {} to {} (1 never retries).",
                        ATTEMPTS_RANGE.0, ATTEMPTS_RANGE.1
                    ),
                )
                .range(ATTEMPTS_RANGE.0, ATTEMPTS_RANGE.1),
            );
        }
        if !(RETRY_WAIT_RANGE.0..=RETRY_WAIT_RANGE.1).contains(&self.retry_max_wait_secs) {
            fail(
                FieldError::new(
                    "retryMaxWaitSecs",
                    Code::RetryWaitRange,
                    format!(
                        "The longest wait must be {} to {} seconds.",
                        RETRY_WAIT_RANGE.0, RETRY_WAIT_RANGE.1
                    ),
                )
                .range(RETRY_WAIT_RANGE.0, RETRY_WAIT_RANGE.1),
            );
        }
        if !(IMAGE_SIDE_RANGE.0..=IMAGE_SIDE_RANGE.1).contains(&self.image_max_side) {
            fail(
                FieldError::new(
                    "imageMaxSide",
                    Code::ImageSideRange,
                    format!(
                        "The longest side of images must be {} to {} pixels.",
                        IMAGE_SIDE_RANGE.0, IMAGE_SIDE_RANGE.1
                    ),
                )
                .range(IMAGE_SIDE_RANGE.0, IMAGE_SIDE_RANGE.1),
            );
        }
        if !(IMAGE_BYTES_RANGE.0..=IMAGE_BYTES_RANGE.1).contains(&self.image_max_bytes) {
            let (min_kb, max_mb) = (
                IMAGE_BYTES_RANGE.0 / 1024,
                IMAGE_BYTES_RANGE.1 / (1024 * 1024),
            );
            fail(
                FieldError::new(
                    "imageMaxBytes",
                    Code::ImageBytesRange,
                    format!("The size limit of images must be {min_kb} KB to {max_mb} MB."),
                )
                .range(min_kb, max_mb),
            );
        }
        if !LANGUAGES.contains(&self.language.as_str()) {
            fail(
                FieldError::new(
                    "language",
                    Code::LanguageUnknown,
                    format!(
                        "\"{}\" is not a language of the app (system, en or ru).",
                        self.language
                    ),
                )
                .with("value", self.language.as_str()),
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

/// Longest model id accepted.
const MODEL_MAX_CHARS: usize = 100;

fn model_problem(field: &'static str, model: &str) -> Option<FieldError> {
    if model.trim().is_empty() {
        Some(FieldError::new(
            field,
            Code::ModelMissing,
            "Choose a model.".into(),
        ))
    } else if model.len() > MODEL_MAX_CHARS || model.chars().any(char::is_whitespace) {
        Some(
            FieldError::new(
                field,
                Code::ModelInvalid,
                format!(
                    "\"{model}\" is not a model id (no spaces, at most {MODEL_MAX_CHARS} characters)."
                ),
            )
            .with("value", model)
            .with("max", MODEL_MAX_CHARS),
        )
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

    /// One failure of each kind, with the field and code it must give. Three cannot come
    /// from `validate` as the client checks addresses today; they come from the mapping.
    fn one_failure_of_each_kind() -> Vec<(FieldError, &'static str, &'static str)> {
        let bad = |s: Settings| {
            let errors = s.validate();
            assert_eq!(errors.len(), 1, "{errors:?}");
            errors.into_iter().next().expect("one error")
        };
        let endpoint = |url: &str| {
            bad(Settings {
                endpoint: url.into(),
                ..Settings::default()
            })
        };
        let proxy = |url: &str, username: &str, password: &str| {
            bad(Settings {
                proxy: ProxySettings {
                    url: url.into(),
                    username: username.into(),
                    password: password.into(),
                },
                ..Settings::default()
            })
        };
        let d = Settings::default;
        vec![
            (endpoint(""), "endpoint", "endpoint_empty"),
            (
                endpoint("dynaspark.onrender.com/x"),
                "endpoint",
                "endpoint_not_url",
            ),
            (endpoint("ftp://h/x"), "endpoint", "endpoint_wrong_scheme"),
            (
                endpoint("https://u:p@h/x"),
                "endpoint",
                "endpoint_has_credentials",
            ),
            (
                endpoint_error(&dynaspark::Error::InvalidEndpoint {
                    problem: dynaspark::AddressProblem::NoHost,
                    reason: "it has no host".into(),
                }),
                "endpoint",
                "endpoint_no_host",
            ),
            (
                endpoint_error(&dynaspark::Error::InvalidEndpoint {
                    problem: dynaspark::AddressProblem::Unusable,
                    reason: "invalid header value".into(),
                }),
                "endpoint",
                "endpoint_invalid",
            ),
            (
                bad(Settings {
                    model: "".into(),
                    ..d()
                }),
                "model",
                "model_missing",
            ),
            (
                bad(Settings {
                    model: "a b".into(),
                    ..d()
                }),
                "model",
                "model_invalid",
            ),
            (
                bad(Settings {
                    models: vec![],
                    ..d()
                }),
                "models",
                "models_empty",
            ),
            (proxy("nonsense", "", ""), "proxy", "proxy_not_url"),
            (proxy("socks4://h:1", "", ""), "proxy", "proxy_wrong_scheme"),
            (proxy("socks5:/h", "", ""), "proxy", "proxy_no_host"),
            (proxy("socks5://h", "", ""), "proxy", "proxy_no_port"),
            (
                proxy("http://h:1", "", "pw"),
                "proxy",
                "proxy_password_without_user",
            ),
            (
                proxy_error(&dynaspark::Error::InvalidProxy {
                    problem: dynaspark::AddressProblem::Unusable,
                    reason: "builder error".into(),
                }),
                "proxy",
                "proxy_invalid",
            ),
            (proxy("", "u", ""), "proxy", "proxy_credentials_without_url"),
            (
                bad(Settings {
                    connect_timeout_secs: 0,
                    ..d()
                }),
                "connectTimeoutSecs",
                "connect_timeout_range",
            ),
            (
                bad(Settings {
                    request_timeout_secs: 5,
                    ..d()
                }),
                "requestTimeoutSecs",
                "request_timeout_range",
            ),
            (
                bad(Settings {
                    connect_timeout_secs: 30,
                    request_timeout_secs: 20,
                    ..d()
                }),
                "requestTimeoutSecs",
                "request_shorter_than_connect",
            ),
            (
                bad(Settings {
                    max_prompt_chars: 10,
                    ..d()
                }),
                "maxPromptChars",
                "prompt_limit_range",
            ),
            (
                bad(Settings {
                    retry_attempts: 0,
                    ..d()
                }),
                "retryAttempts",
                "attempts_range",
            ),
            (
                bad(Settings {
                    retry_max_wait_secs: 601,
                    ..d()
                }),
                "retryMaxWaitSecs",
                "retry_wait_range",
            ),
            (
                bad(Settings {
                    image_max_side: 100,
                    ..d()
                }),
                "imageMaxSide",
                "image_side_range",
            ),
            (
                bad(Settings {
                    image_max_bytes: 30 << 20,
                    ..d()
                }),
                "imageMaxBytes",
                "image_bytes_range",
            ),
            (
                bad(Settings {
                    language: "fr".into(),
                    ..d()
                }),
                "language",
                "language_unknown",
            ),
        ]
    }

    #[test]
    fn every_failure_has_a_code_of_its_own_kind() {
        let mut seen = std::collections::BTreeSet::new();
        for (e, field, code) in one_failure_of_each_kind() {
            assert!(!e.code.is_empty(), "{e:?}");
            assert_eq!((e.field, e.code), (field, code), "{e:?}");
            assert!(!e.message.is_empty(), "{e:?}");
            assert!(seen.insert(e.code), "two kinds share the code {}", e.code);
        }
        // Each code is a kind of its own: none is left without a failure that gives it.
        let all: std::collections::BTreeSet<_> = FieldError::CODES.iter().copied().collect();
        assert_eq!(all.len(), FieldError::CODES.len(), "a code is listed twice");
        assert_eq!(seen, all);
        for code in FieldError::CODES {
            assert!(
                code.split('_')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "{code} is not snake_case"
            );
        }
    }

    #[test]
    fn field_errors_reach_the_ui_with_their_code_and_params() {
        let e = Settings {
            connect_timeout_secs: 0,
            ..Settings::default()
        }
        .validate()
        .remove(0);
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({
                "field": "connectTimeoutSecs",
                "code": "connect_timeout_range",
                "params": { "min": 1, "max": 300 },
                "message": "The connect timeout must be 1 to 300 seconds."
            })
        );
        let e = Settings {
            models: vec![],
            ..Settings::default()
        }
        .validate()
        .remove(0);
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({
                "field": "models",
                "code": "models_empty",
                "message": "Keep at least one model in the list."
            })
        );
    }

    /// The UI's strings (`fieldErrors.<code>` in ui/i18n), as `t()` would fill them: a
    /// plural entry's form is chosen by `n`, which the settings form sets to `max`.
    fn ui_strings(lang: &str) -> serde_json::Map<String, serde_json::Value> {
        let path = format!("{}/../../ui/i18n/{lang}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn fill(template: &serde_json::Value, params: &BTreeMap<&str, serde_json::Value>) -> String {
        let n = params.get("max").and_then(serde_json::Value::as_u64);
        let text = match template {
            serde_json::Value::Object(forms) => {
                let form = if n == Some(1) { "one" } else { "other" };
                forms[form].as_str().expect("a plural form is a string")
            }
            other => other.as_str().expect("a string"),
        };
        let mut out = text.to_owned();
        let n = n.map(serde_json::Value::from);
        for (name, value) in params
            .iter()
            .map(|(k, v)| (*k, v))
            .chain(n.iter().map(|v| ("n", v)))
        {
            let shown = match value {
                serde_json::Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            out = out.replace(&format!("{{{name}}}"), &shown);
        }
        out
    }

    #[test]
    fn every_code_has_its_sentence_in_both_languages() {
        let (en, ru) = (ui_strings("en"), ui_strings("ru"));
        for code in FieldError::CODES {
            let key = format!("fieldErrors.{code}");
            assert!(en.contains_key(&key), "ui/i18n/en.json has no {key:?}");
            assert!(ru.contains_key(&key), "ui/i18n/ru.json has no {key:?}");
        }
        // The English string is the Rust sentence, so the two cannot drift apart; except
        // where the sentence quotes the URL parser or the HTTP library, which the UI's
        // strings leave out.
        let quotes_a_library = [
            "endpoint_not_url",
            "endpoint_invalid",
            "proxy_not_url",
            "proxy_invalid",
        ];
        for (e, _, _) in one_failure_of_each_kind() {
            let key = format!("fieldErrors.{}", e.code);
            for (lang, table) in [("en", &en), ("ru", &ru)] {
                let filled = fill(&table[&key], &e.params);
                assert!(
                    !filled.contains('{'),
                    "{lang} {key}: a placeholder has no value: {filled}"
                );
            }
            if !quotes_a_library.contains(&e.code) {
                assert_eq!(fill(&en[&key], &e.params), e.message, "{key}");
            }
        }
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
