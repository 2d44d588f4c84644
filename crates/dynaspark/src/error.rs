//! Everything that can go wrong talking to Dynaspark, worded for the person using the app.
//! Each variant has a stable code the UI switches on and keeps the raw evidence for a details view.

use std::time::Duration;

use crate::attachment::SUPPORTED_FORMATS;

/// Longest server text quoted in a one-line message.
const MESSAGE_QUOTE_CHARS: usize = 300;
/// Longest raw body kept for the details view.
const DETAILS_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `problem` says what is wrong for a form to point at; `reason` says it in words.
    #[error("The endpoint address is not valid: {reason}")]
    InvalidEndpoint {
        problem: AddressProblem,
        reason: String,
    },

    #[error("The proxy setting is not valid: {reason}")]
    InvalidProxy {
        problem: AddressProblem,
        reason: String,
    },

    #[error("{name} is not a supported image. Dynaspark accepts {SUPPORTED_FORMATS}.")]
    NotAnImage { name: String },

    #[error("Dynaspark is rate limiting requests. {}", wait_advice(*retry_after))]
    RateLimited {
        status: u16,
        retry_after: Option<Duration>,
        body: String,
    },

    /// 502, 503 or 504; `retry_after` when the server sent one (Render does on 503).
    #[error("Dynaspark is down or waking up (HTTP {status}). Free servers can take about a minute to start; try again shortly.")]
    ServerUnavailable {
        status: u16,
        retry_after: Option<Duration>,
        body: String,
    },

    #[error("The request was blocked by Cloudflare (HTTP {status}). Try again later or through another network.")]
    Cloudflare { status: u16, body: String },

    #[error("The server sent a web page instead of an answer (HTTP {status}). The endpoint may be wrong or the service may have changed.")]
    HtmlPage { status: u16, body: String },

    #[error("Dynaspark answered something unexpected (HTTP {status}): {reason}.")]
    UnexpectedResponse {
        status: u16,
        reason: &'static str,
        body: String,
    },

    #[error("Response {status}: {message}")]
    Status {
        status: u16,
        message: String,
        body: String,
    },

    #[error("The answer was larger than {limit_mib} MiB and was not read.")]
    ResponseTooLarge { limit_mib: u64 },

    #[error("Could not connect to {host} within {secs} s.", secs = timeout.as_secs())]
    ConnectTimeout { host: String, timeout: Duration },

    #[error("No answer within {secs} s. The server may be waking up; try again, or raise the timeout in Settings.", secs = timeout.as_secs())]
    Timeout { timeout: Duration },

    /// No connection to the service itself (no proxy involved). `detail` is the
    /// library's error chain, for [`Error::details`] only.
    #[error("{}", connect_message(host, *fault))]
    Connect {
        host: String,
        fault: ConnectionFault,
        detail: String,
    },

    /// The proxy could not be reached, or could not reach the service.
    #[error("{}", proxy_message(proxy, *fault))]
    Proxy {
        /// The proxy address without credentials.
        proxy: String,
        fault: ConnectionFault,
        detail: String,
    },

    /// The proxy answered 407 (or refused SOCKS credentials).
    #[error("{}", if *credentials_sent { PROXY_REFUSED } else { PROXY_WANTS_CREDENTIALS })]
    ProxyAuth {
        proxy: String,
        credentials_sent: bool,
        detail: String,
    },

    /// The connection was made, then broke.
    #[error("{}", network_message(host, *fault))]
    Network {
        host: String,
        fault: ConnectionFault,
        detail: String,
    },

    #[error("Cancelled.")]
    Cancelled,
}

/// What is wrong with an endpoint or proxy address as typed, for the settings form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressProblem {
    /// Nothing was typed.
    Empty,
    /// Not an absolute URL at all (the URL parser's words are in the reason).
    NotAUrl,
    /// A scheme this address cannot have (`ftp://`, `socks4://`).
    UnsupportedScheme {
        scheme: String,
    },
    NoHost,
    NoPort,
    /// A user name or password where none may be.
    HasCredentials,
    /// A proxy password without a user name.
    PasswordWithoutUser,
    /// Well formed, but the HTTP library would not take it (its words are in the reason).
    Unusable,
}

/// How a connection failed, in terms a person can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionFault {
    /// Nothing accepted the connection at that address.
    Refused,
    /// The host name does not resolve.
    HostNotFound,
    /// The TLS handshake failed (certificate or protocol).
    Tls,
    /// The proxy hung up or answered nonsense while the connection through it was
    /// being set up: a wrong proxy type, or credentials it rejects without saying so.
    Handshake,
    /// Reset or closed after the request was (partly) sent, before any answer.
    CutBeforeAnswer,
    /// Reset or closed while the answer was arriving.
    CutMidAnswer,
    /// Anything else at the network level.
    Other,
}

const PROXY_REFUSED: &str =
    "The proxy refused the credentials. Check the proxy user name and password in Settings.";
const PROXY_WANTS_CREDENTIALS: &str =
    "The proxy asks for a user name and password. Enter them in the proxy settings.";

fn connect_message(host: &str, fault: ConnectionFault) -> String {
    match fault {
        ConnectionFault::Refused => format!(
            "Could not reach {host}: nothing accepted the connection. The address may be wrong or the server down."
        ),
        ConnectionFault::HostNotFound => format!(
            "Could not find {host}: the name does not resolve. Check the address and your internet connection."
        ),
        ConnectionFault::Tls => format!(
            "Could not make a secure connection to {host}. A firewall or proxy may be interfering."
        ),
        _ => format!("Could not connect to {host}. Check your internet connection."),
    }
}

fn proxy_message(proxy: &str, fault: ConnectionFault) -> String {
    match fault {
        ConnectionFault::Refused => format!(
            "Could not reach the proxy {proxy}. Check the proxy address in Settings, and that the proxy is running."
        ),
        ConnectionFault::HostNotFound => format!(
            "Could not find the proxy {proxy}: the name does not resolve. Check the proxy address in Settings."
        ),
        ConnectionFault::Handshake => format!(
            "The proxy {proxy} hung up while the connection was being set up. Check the proxy type (HTTP or SOCKS5) and its user name and password in Settings."
        ),
        _ => format!(
            "Could not get through the proxy {proxy}. Check the proxy setting, or use Test connection in Settings."
        ),
    }
}

fn network_message(host: &str, fault: ConnectionFault) -> String {
    match fault {
        ConnectionFault::CutMidAnswer => format!(
            "The connection to {host} was cut off before the whole answer arrived. Try again."
        ),
        ConnectionFault::CutBeforeAnswer => {
            format!("The connection to {host} was cut off before the answer arrived. Try again.")
        }
        _ => format!(
            "The connection to {host} failed. Check your internet connection and try again."
        ),
    }
}

/// Stable identifiers for [`Error`] variants; the UI and tests switch on these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidEndpoint,
    InvalidProxy,
    NotAnImage,
    RateLimited,
    ServerUnavailable,
    Cloudflare,
    HtmlPage,
    UnexpectedResponse,
    Status,
    ResponseTooLarge,
    ConnectTimeout,
    Timeout,
    Connect,
    Proxy,
    ProxyAuth,
    Network,
    Cancelled,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidEndpoint => "invalid_endpoint",
            ErrorCode::InvalidProxy => "invalid_proxy",
            ErrorCode::NotAnImage => "not_an_image",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::ServerUnavailable => "server_unavailable",
            ErrorCode::Cloudflare => "cloudflare",
            ErrorCode::HtmlPage => "html_page",
            ErrorCode::UnexpectedResponse => "unexpected_response",
            ErrorCode::Status => "http_status",
            ErrorCode::ResponseTooLarge => "response_too_large",
            ErrorCode::ConnectTimeout => "connect_timeout",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Connect => "connect",
            ErrorCode::Proxy => "proxy",
            ErrorCode::ProxyAuth => "proxy_auth",
            ErrorCode::Network => "network",
            ErrorCode::Cancelled => "cancelled",
        }
    }
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidEndpoint { .. } => ErrorCode::InvalidEndpoint,
            Error::InvalidProxy { .. } => ErrorCode::InvalidProxy,
            Error::NotAnImage { .. } => ErrorCode::NotAnImage,
            Error::RateLimited { .. } => ErrorCode::RateLimited,
            Error::ServerUnavailable { .. } => ErrorCode::ServerUnavailable,
            Error::Cloudflare { .. } => ErrorCode::Cloudflare,
            Error::HtmlPage { .. } => ErrorCode::HtmlPage,
            Error::UnexpectedResponse { .. } => ErrorCode::UnexpectedResponse,
            Error::Status { .. } => ErrorCode::Status,
            Error::ResponseTooLarge { .. } => ErrorCode::ResponseTooLarge,
            Error::ConnectTimeout { .. } => ErrorCode::ConnectTimeout,
            Error::Timeout { .. } => ErrorCode::Timeout,
            Error::Connect { .. } => ErrorCode::Connect,
            Error::Proxy { .. } => ErrorCode::Proxy,
            Error::ProxyAuth { .. } => ErrorCode::ProxyAuth,
            Error::Network { .. } => ErrorCode::Network,
            Error::Cancelled => ErrorCode::Cancelled,
        }
    }

    /// The raw evidence behind the error, for a details view: status and body as the
    /// server sent them, or the network library's error chain (never a proxy password).
    /// Shown as text, never as markup.
    pub fn details(&self) -> Option<String> {
        match self {
            Error::RateLimited { status, body, .. }
            | Error::ServerUnavailable { status, body, .. }
            | Error::Cloudflare { status, body }
            | Error::HtmlPage { status, body }
            | Error::UnexpectedResponse { status, body, .. }
            | Error::Status { status, body, .. } => Some(format!("HTTP {status}\n\n{body}")),
            Error::Connect { detail, .. }
            | Error::Proxy { detail, .. }
            | Error::ProxyAuth { detail, .. }
            | Error::Network { detail, .. } => (!detail.is_empty()).then(|| detail.clone()),
            _ => None,
        }
    }

    /// What is wrong with the endpoint or proxy address, when that is the error.
    pub fn address_problem(&self) -> Option<&AddressProblem> {
        match self {
            Error::InvalidEndpoint { problem, .. } | Error::InvalidProxy { problem, .. } => {
                Some(problem)
            }
            _ => None,
        }
    }

    /// Whether the person pressing Retry may succeed (automatic retries are narrower,
    /// see [`crate::RetryPolicy`]).
    pub fn is_retryable(&self) -> bool {
        !matches!(
            self,
            Error::InvalidEndpoint { .. }
                | Error::InvalidProxy { .. }
                | Error::NotAnImage { .. }
                | Error::ProxyAuth { .. }
        )
    }

    /// The network library's error chain (redacted), for logs.
    pub(crate) fn transport_details(&self) -> Option<&str> {
        match self {
            Error::Connect { detail, .. }
            | Error::Proxy { detail, .. }
            | Error::ProxyAuth { detail, .. }
            | Error::Network { detail, .. } => Some(detail),
            _ => None,
        }
    }

    /// How long the server asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. }
            | Error::ServerUnavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

fn wait_advice(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!("Wait {} s, then try again.", d.as_secs().max(1)),
        None => "Wait a little, then try again.".to_owned(),
    }
}

/// Maps a finished HTTP exchange to the answer text or an [`Error`], following
/// the protocol page's error table.
pub(crate) fn map_response(
    status: u16,
    content_type: Option<&str>,
    retry_after: Option<&str>,
    body: &[u8],
) -> Result<String, Error> {
    let text = String::from_utf8_lossy(body);
    let kept = keep_for_details(&text);
    let html = looks_like_html(content_type, &text);

    match status {
        429 | 402 => {
            return Err(Error::RateLimited {
                status,
                retry_after: retry_after.and_then(parse_retry_after),
                body: kept,
            })
        }
        502..=504 => {
            return Err(Error::ServerUnavailable {
                status,
                retry_after: retry_after.and_then(parse_retry_after),
                body: kept,
            })
        }
        403 if is_cloudflare(&text) => return Err(Error::Cloudflare { status, body: kept }),
        _ => {}
    }

    if (200..300).contains(&status) {
        return match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(json) => match json.get("response") {
                Some(serde_json::Value::String(answer)) => Ok(answer.clone()),
                _ => Err(Error::UnexpectedResponse {
                    status,
                    reason: "the reply has no \"response\" text",
                    body: kept,
                }),
            },
            Err(_) if html => Err(Error::HtmlPage { status, body: kept }),
            Err(_) => Err(Error::UnexpectedResponse {
                status,
                reason: "the reply is not JSON",
                body: kept,
            }),
        };
    }

    if html {
        return Err(Error::HtmlPage { status, body: kept });
    }
    let message = json_error_message(body)
        .unwrap_or_else(|| quote(text.trim()))
        .trim()
        .to_owned();
    let message = if message.is_empty() {
        "no details given".to_owned()
    } else {
        message
    };
    Err(Error::Status {
        status,
        message,
        body: kept,
    })
}

fn json_error_message(body: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = json.get("error")?;
    let message = match error {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(o) => o.get("message")?.as_str()?.to_owned(),
        _ => return None,
    };
    Some(quote(&message))
}

fn quote(s: &str) -> String {
    if s.chars().count() <= MESSAGE_QUOTE_CHARS {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(MESSAGE_QUOTE_CHARS).collect();
        format!("{cut}…")
    }
}

fn keep_for_details(text: &str) -> String {
    if text.len() <= DETAILS_BYTES {
        return text.to_owned();
    }
    let mut end = DETAILS_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n… ({} bytes in all)", &text[..end], text.len())
}

fn looks_like_html(content_type: Option<&str>, text: &str) -> bool {
    let ct_html = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("text/html"));
    let start = text
        .trim_start()
        .get(..15)
        .unwrap_or(text.trim_start())
        .to_ascii_lowercase();
    ct_html || start.starts_with("<!doctype") || start.starts_with("<html")
}

fn is_cloudflare(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    [
        "cloudflare",
        "cf-ray",
        "cf-error",
        "just a moment",
        "attention required",
    ]
    .iter()
    .any(|m| lower.contains(m))
}

/// `Retry-After` as delta-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(status: u16, ct: Option<&str>, body: &str) -> Result<String, Error> {
        map_response(status, ct, None, body.as_bytes())
    }

    #[test]
    fn success_returns_the_response_string_whole() {
        let body = r##"{"response": "# Title\n\nA **red** square."}"##;
        assert_eq!(
            map(200, Some("application/json"), body).unwrap(),
            "# Title\n\nA **red** square."
        );
    }

    #[test]
    fn success_without_response_is_unexpected_and_keeps_body() {
        let err = map(200, Some("application/json"), r#"{"answer": "x"}"#).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnexpectedResponse);
        assert!(err.details().unwrap().contains(r#"{"answer": "x"}"#));
        let err = map(200, None, r#"{"response": 42}"#).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnexpectedResponse);
    }

    #[test]
    fn success_with_invalid_json_is_unexpected() {
        let err = map(200, Some("application/json"), "{not json").unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnexpectedResponse);
        assert!(err.to_string().contains("not JSON"));
    }

    #[test]
    fn rate_limit_statuses_carry_retry_after() {
        for status in [429, 402] {
            let err = map_response(status, None, Some("7"), b"slow down").unwrap_err();
            assert_eq!(err.code(), ErrorCode::RateLimited);
            assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
            assert!(err.to_string().contains("Wait 7 s"));
        }
        let err = map_response(429, None, None, b"").unwrap_err();
        assert_eq!(err.retry_after(), None);
    }

    #[test]
    fn retry_after_accepts_an_http_date() {
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        let header = httpdate::fmt_http_date(later);
        let d = parse_retry_after(&header).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn gateway_errors_mean_the_server_is_asleep_even_with_html() {
        for status in [502, 503, 504] {
            let err = map(
                status,
                Some("text/html"),
                "<!DOCTYPE html><html>waking</html>",
            )
            .unwrap_err();
            assert_eq!(err.code(), ErrorCode::ServerUnavailable);
            assert!(!err.to_string().contains('<'));
        }
    }

    #[test]
    fn cloudflare_403_is_recognised() {
        let page = "<!DOCTYPE html><title>Attention Required! | Cloudflare</title>";
        let err = map(403, Some("text/html"), page).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Cloudflare);
        // A plain 403 is just a status error.
        let err = map(403, Some("application/json"), r#"{"error": "forbidden"}"#).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Status);
        assert_eq!(err.to_string(), "Response 403: forbidden");
    }

    #[test]
    fn html_bodies_are_never_shown_raw() {
        for (status, ct, body) in [
            (
                404,
                Some("text/html; charset=utf-8"),
                "<html><body><h1>Not Found</h1></body></html>",
            ),
            (500, None, "  <!DOCTYPE html><p>oops</p>"),
            (200, Some("text/html"), "<html>login page</html>"),
        ] {
            let err = map(status, ct, body).unwrap_err();
            assert_eq!(err.code(), ErrorCode::HtmlPage, "{status}");
            assert!(!err.to_string().contains('<'), "{err}");
            assert!(err.details().unwrap().contains(body.trim()));
        }
    }

    #[test]
    fn other_statuses_quote_the_json_error() {
        let err = map(400, Some("application/json"), r#"{"error": "bad model"}"#).unwrap_err();
        assert_eq!(err.to_string(), "Response 400: bad model");
        let err = map(
            500,
            None,
            r#"{"error": {"message": "internal", "code": 1}}"#,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "Response 500: internal");
        assert_eq!(err.code().as_str(), "http_status");
    }

    #[test]
    fn other_statuses_quote_trimmed_text() {
        let err = map(418, Some("text/plain"), "\n  I'm a teapot \n").unwrap_err();
        assert_eq!(err.to_string(), "Response 418: I'm a teapot");
        let err = map(500, None, "").unwrap_err();
        assert_eq!(err.to_string(), "Response 500: no details given");
        let long = "e".repeat(1000);
        let err = map(500, None, &long).unwrap_err();
        assert!(err.to_string().chars().count() < 330);
        assert_eq!(err.details().unwrap().len(), "HTTP 500\n\n".len() + 1000);
    }

    #[test]
    fn codes_are_distinct() {
        let codes = [
            ErrorCode::InvalidEndpoint,
            ErrorCode::InvalidProxy,
            ErrorCode::NotAnImage,
            ErrorCode::RateLimited,
            ErrorCode::ServerUnavailable,
            ErrorCode::Cloudflare,
            ErrorCode::HtmlPage,
            ErrorCode::UnexpectedResponse,
            ErrorCode::Status,
            ErrorCode::ResponseTooLarge,
            ErrorCode::ConnectTimeout,
            ErrorCode::Timeout,
            ErrorCode::Connect,
            ErrorCode::Proxy,
            ErrorCode::ProxyAuth,
            ErrorCode::Network,
            ErrorCode::Cancelled,
        ];
        let set: std::collections::HashSet<_> = codes.iter().map(|c| c.as_str()).collect();
        assert_eq!(set.len(), codes.len());
    }

    #[test]
    fn service_unavailable_keeps_its_retry_after() {
        let err = map_response(503, Some("text/plain"), Some("30"), b"asleep").unwrap_err();
        assert_eq!(err.code(), ErrorCode::ServerUnavailable);
        assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
        let err = map_response(502, None, None, b"").unwrap_err();
        assert_eq!(err.retry_after(), None);
    }

    #[test]
    fn connection_failures_are_plain_words_and_the_chain_is_only_in_details() {
        let chain = "error sending request for url (http://h/): client error (Connect): tcp connect error: Connection refused (os error 111)";
        let cases = [
            (
                Error::Connect {
                    host: "h".into(),
                    fault: ConnectionFault::Refused,
                    detail: chain.into(),
                },
                "Could not reach h: nothing accepted the connection.",
            ),
            (
                Error::Connect {
                    host: "h".into(),
                    fault: ConnectionFault::HostNotFound,
                    detail: chain.into(),
                },
                "Could not find h: the name does not resolve.",
            ),
            (
                Error::Connect {
                    host: "h".into(),
                    fault: ConnectionFault::Tls,
                    detail: chain.into(),
                },
                "Could not make a secure connection to h.",
            ),
            (
                Error::Network {
                    host: "h".into(),
                    fault: ConnectionFault::CutBeforeAnswer,
                    detail: chain.into(),
                },
                "The connection to h was cut off before the answer arrived.",
            ),
            (
                Error::Network {
                    host: "h".into(),
                    fault: ConnectionFault::CutMidAnswer,
                    detail: chain.into(),
                },
                "The connection to h was cut off before the whole answer arrived.",
            ),
            (
                Error::Proxy {
                    proxy: "socks5://p:1".into(),
                    fault: ConnectionFault::Handshake,
                    detail: chain.into(),
                },
                "The proxy socks5://p:1 hung up while the connection was being set up.",
            ),
            (
                Error::ProxyAuth {
                    proxy: "http://p:1/".into(),
                    credentials_sent: true,
                    detail: chain.into(),
                },
                "The proxy refused the credentials.",
            ),
            (
                Error::ProxyAuth {
                    proxy: "http://p:1/".into(),
                    credentials_sent: false,
                    detail: chain.into(),
                },
                "The proxy asks for a user name and password.",
            ),
        ];
        for (err, words) in cases {
            let shown = err.to_string();
            assert!(shown.starts_with(words), "{shown}");
            assert!(!shown.contains("os error") && !shown.contains("client error"));
            assert_eq!(err.details().as_deref(), Some(chain));
        }
    }

    #[test]
    fn not_an_image_names_accepted_formats() {
        let err = Error::NotAnImage {
            name: "scan.heic".into(),
        };
        assert_eq!(
            err.to_string(),
            "scan.heic is not a supported image. Dynaspark accepts JPEG, PNG, GIF or WebP."
        );
        assert!(!err.is_retryable());
    }
}
