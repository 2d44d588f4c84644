//! The error that crosses the IPC boundary:
//! `{ code, message, details?, fields?, retryAfterSecs?, requestId?, retryable }`.
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
    /// Seconds; u32 keeps the error small (a wait that long is never asked for).
    pub retry_after_secs: Option<u32>,
    /// The question's request id, also in its log lines (see `in_flight`). Boxed, to
    /// keep the error small enough to return by value everywhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<Box<str>>,
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
            request_id: None,
            retryable: false,
        }
    }

    /// Marks the error as the outcome of one question: the id also heads `details`, which
    /// the UI shows, so a person can find the question's lines in the log.
    pub fn for_request(mut self, request_id: &str) -> Self {
        let head = format!("Request id: {request_id}");
        self.details = Some(match self.details.take() {
            Some(d) => format!("{head}\n{d}"),
            None => head,
        });
        self.request_id = Some(request_id.into());
        self
    }
}

impl From<dynaspark::Error> for IpcError {
    fn from(e: dynaspark::Error) -> Self {
        Self {
            code: e.code().as_str(),
            message: e.to_string(),
            details: e.details(),
            fields: vec![],
            retry_after_secs: e
                .retry_after()
                .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX)),
            request_id: None,
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
            // The person's file was refused (its type, its size, its pixels): an answer to
            // give, not a failure of the app. Each has its own code for the UI.
            e @ (dynaspark_core::Error::ImageTooLarge { .. }
            | dynaspark_core::Error::ImageRefused(_)) => {
                tracing::info!(code = e.code(), error = %e, "image refused");
                Self::new(e.code(), e.to_string())
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use dynaspark_core::ImageRefusal;
    use serde_json::json;

    #[test]
    fn a_plain_error_is_code_message_and_retryable() {
        assert_eq!(
            serde_json::to_value(IpcError::new("busy", "Wait.")).unwrap(),
            json!({"code": "busy", "message": "Wait.", "retryable": false})
        );
    }

    #[test]
    fn a_failed_question_carries_every_field() {
        let error = IpcError {
            details: Some("HTTP 429".into()),
            fields: vec![dynaspark_core::FieldError {
                field: "proxy",
                code: "proxy_no_port",
                params: Default::default(),
                message: "Bad.".into(),
            }],
            retry_after_secs: Some(14),
            retryable: true,
            ..IpcError::new("rate_limited", "Too many questions.")
        }
        .for_request("0badc0de");
        assert_eq!(
            serde_json::to_value(error).unwrap(),
            json!({
                "code": "rate_limited",
                "message": "Too many questions.",
                "details": "Request id: 0badc0de\nHTTP 429",
                "fields": [{"field": "proxy", "code": "proxy_no_port", "message": "Bad."}],
                "retryAfterSecs": 14,
                "requestId": "0badc0de",
                "retryable": true
            })
        );
    }

    #[test]
    fn the_request_id_alone_makes_the_details() {
        let error = IpcError::new("unexpected_response", "Odd.").for_request("12345678");
        assert_eq!(error.details.as_deref(), Some("Request id: 12345678"));
    }

    #[test]
    fn client_errors_keep_their_code_and_words() {
        assert_eq!(
            serde_json::to_value(IpcError::from(dynaspark::Error::Cancelled)).unwrap(),
            json!({"code": "cancelled", "message": "Cancelled.", "retryable": true})
        );
    }

    #[test]
    fn refused_images_keep_their_own_code_and_words() {
        let e = dynaspark_core::Error::ImageRefused(ImageRefusal::Unsupported {
            name: "IMG_4242.HEIC".into(),
            what: "a HEIC image".into(),
        });
        assert_eq!(
            serde_json::to_value(IpcError::from(e)).unwrap(),
            json!({
                "code": "image_unsupported",
                "message": "IMG_4242.HEIC, a HEIC image, is not a supported image. Dynaspark accepts JPEG, PNG, GIF or WebP.",
                "retryable": false
            })
        );
        let why = || "a reason".to_owned();
        let name = || "cat.png".to_owned();
        for (e, code) in [
            (
                dynaspark_core::Error::ImageRefused(ImageRefusal::Damaged {
                    name: name(),
                    why: why(),
                }),
                "image_damaged",
            ),
            (
                dynaspark_core::Error::ImageRefused(ImageRefusal::TooBigToOpen {
                    name: name(),
                    why: why(),
                }),
                "image_too_big_to_open",
            ),
            (
                dynaspark_core::Error::ImageRefused(ImageRefusal::CannotShrink {
                    name: name(),
                    why: why(),
                }),
                "image_cannot_shrink",
            ),
        ] {
            let error = IpcError::from(e);
            assert_eq!(
                (error.code, error.message.as_str(), error.retryable),
                (
                    code,
                    "cat.png, a reason, is not a supported image. Dynaspark accepts JPEG, PNG, GIF or WebP.",
                    false
                )
            );
        }
    }

    #[test]
    fn invalid_settings_list_their_fields() {
        let invalid = dynaspark_core::Settings {
            endpoint: "ftp://h/x".into(),
            image_max_side: 1,
            ..Default::default()
        }
        .validate();
        let e = dynaspark_core::Error::InvalidSettings(invalid);
        assert_eq!(
            serde_json::to_value(IpcError::from(e)).unwrap(),
            json!({
                "code": "invalid_settings",
                "message": "Some settings need fixing before they can be saved.",
                "fields": [
                    {
                        "field": "endpoint",
                        "code": "endpoint_wrong_scheme",
                        "message": "The endpoint address is not valid: it must start with http:// or https://"
                    },
                    {
                        "field": "imageMaxSide",
                        "code": "image_side_range",
                        "params": { "min": 256, "max": 8192 },
                        "message": "The longest side of images must be 256 to 8192 pixels."
                    }
                ],
                "retryable": false
            })
        );
    }
}
