//! The error that crosses the IPC boundary: `{ code, message, details?, fields?, retryAfterSecs? }`.
//! `code` is stable and the UI switches on it; `message` is written for people.

use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IpcError {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<dynaspark_core::FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    pub retryable: bool,
}

pub type IpcResult<T> = Result<T, IpcError>;

impl IpcError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
            fields: vec![],
            retry_after_secs: None,
            retryable: false,
        }
    }
}

impl From<dynaspark::Error> for IpcError {
    fn from(e: dynaspark::Error) -> Self {
        Self {
            code: e.code().as_str(),
            message: e.to_string(),
            details: e.details(),
            fields: vec![],
            retry_after_secs: e.retry_after().map(|d| d.as_secs()),
            retryable: e.is_retryable(),
        }
    }
}

impl From<dynaspark_core::Error> for IpcError {
    fn from(e: dynaspark_core::Error) -> Self {
        match e {
            dynaspark_core::Error::Image(inner) => inner.into(),
            dynaspark_core::Error::InvalidSettings(fields) => Self {
                fields,
                ..Self::new(
                    "invalid_settings",
                    "Some settings need fixing before they can be saved.",
                )
            },
            other => {
                tracing::error!(error = %other, "command failed");
                Self::new(other.code(), other.to_string())
            }
        }
    }
}

impl From<tauri::Error> for IpcError {
    fn from(e: tauri::Error) -> Self {
        tracing::error!(error = %e, "tauri error");
        Self::new("internal", e.to_string())
    }
}
