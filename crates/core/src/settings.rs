//! Settings: defaults in one place, validation with messages per field, loading that
//! repairs instead of panicking, and atomic saving. The file is a flat JSON object.

use std::path::{Path, PathBuf};
use std::time::Duration;

use dynaspark::{ClientConfig, ProxyConfig, Timeouts, DEFAULT_ENDPOINT, DEFAULT_MODELS};
use serde::{Deserialize, Serialize};

use crate::files::{move_aside, write_atomic};
use crate::{Error, Result};

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
    /// Empty for a direct connection.
    pub url: String,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for ProxySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxySettings")
            .field("url", &self.url)
            .field("username", &self.username)
            .field(
                "password",
                &if self.password.is_empty() { "" } else { "***" },
            )
            .finish()
    }
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
    pub theme: Theme,
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
            theme: Theme::System,
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
    pub settings: Settings,
    /// Fields reset to their defaults, with why.
    pub repairs: Vec<String>,
    /// Where an unreadable settings file was moved.
    pub moved_aside: Option<PathBuf>,
}

const CONNECT_RANGE: (u64, u64) = (1, 300);
const REQUEST_RANGE: (u64, u64) = (10, 1800);
const PROMPT_RANGE: (usize, usize) = (200, 2_000_000);

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
        errors
    }

    /// Tidies what people type (spaces, duplicate models, the chosen model in the list).
    pub fn normalized(mut self) -> Self {
        self.endpoint = self.endpoint.trim().to_owned();
        self.model = self.model.trim().to_owned();
        self.proxy.url = self.proxy.url.trim().to_owned();
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
            opt(&p.password).as_deref(),
        )
        .map(Some)
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
        Ok(config)
    }

    /// Reads the settings file. Missing: defaults. Unreadable: moved aside, defaults.
    /// Fields of the wrong type or out of range: reset to their defaults, one by one.
    pub fn load(path: &Path) -> Result<Loaded> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Loaded {
                    settings: Settings::default(),
                    repairs: vec![],
                    moved_aside: None,
                })
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
            Ok(entries) => {
                let (settings, repairs) = Settings::from_entries(&entries);
                Ok(Loaded {
                    settings,
                    repairs,
                    moved_aside: None,
                })
            }
            Err(e) => {
                tracing::error!(error = %e, "settings file unreadable");
                let moved = move_aside(path)?;
                Ok(Loaded {
                    settings: Settings::default(),
                    repairs: vec![],
                    moved_aside: Some(moved),
                })
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

    /// Validates, then writes the file atomically.
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
            _ => {}
        }
        *self = std::mem::take(self).normalized();
    }
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
                "maxPromptChars"
            ]
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
