//! What the client needs to know to reach Dynaspark: endpoint, proxy, timeouts, retries.
//! Validation of these values lives here so every caller gets the same messages.

use std::time::Duration;

use url::Url;

use crate::{AddressProblem, Error, ProxyConfig, RetryPolicy};

/// The vision endpoint of the public deployment.
pub const DEFAULT_ENDPOINT: &str = "https://dynaspark.onrender.com/generate_response";

/// The reference model list; the first is the default.
pub const DEFAULT_MODELS: [&str; 4] = [
    "gemini-1.5-flash",
    "gemini-1.5-flash-8b",
    "gemini-2.0-flash",
    "gemini-2.0-flash-lite",
];

/// A current desktop browser, as the service filters bots.
pub const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP/TLS (and proxy) connection.
    pub connect: Duration,
    /// The whole exchange, upload to last byte of the answer. A cold start of the
    /// free deployment takes about a minute, so this must be well above that.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(20),
            total: Duration::from_secs(150),
        }
    }
}

/// Equal configs make equal clients: a caller may keep one client while they match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub endpoint: Url,
    pub proxy: Option<ProxyConfig>,
    /// Per attempt.
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
}

impl ClientConfig {
    /// Builds a config after checking the endpoint is an absolute http(s) URL.
    pub fn new(endpoint: &str) -> Result<Self, Error> {
        Ok(Self {
            endpoint: parse_endpoint(endpoint)?,
            proxy: None,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
        })
    }

    /// `origin` header value: scheme, host and (non-default) port of the endpoint.
    pub fn origin(&self) -> String {
        self.endpoint.origin().ascii_serialization()
    }
}

/// Checks an endpoint URL the way people type them, with messages they can act on.
pub fn parse_endpoint(raw: &str) -> Result<Url, Error> {
    let raw = raw.trim();
    let bad = |problem, reason: &str| Error::InvalidEndpoint {
        problem,
        reason: reason.to_owned(),
    };
    if raw.is_empty() {
        return Err(bad(AddressProblem::Empty, "it is empty"));
    }
    let url = Url::parse(raw).map_err(|e| {
        bad(
            AddressProblem::NotAUrl,
            &format!("{e} (expected e.g. {DEFAULT_ENDPOINT})"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(
            AddressProblem::UnsupportedScheme {
                scheme: url.scheme().to_owned(),
            },
            "it must start with http:// or https://",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad(AddressProblem::NoHost, "it has no host"));
    }
    if url.username() != "" || url.password().is_some() {
        return Err(bad(
            AddressProblem::HasCredentials,
            "it must not contain a user name or password",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_endpoint_is_valid_and_origin_follows_it() {
        let c = ClientConfig::new(DEFAULT_ENDPOINT).unwrap();
        assert_eq!(c.origin(), "https://dynaspark.onrender.com");
        let c = ClientConfig::new("http://127.0.0.1:8765/generate_response").unwrap();
        assert_eq!(c.origin(), "http://127.0.0.1:8765");
    }

    #[test]
    fn bad_endpoints_are_refused_with_a_reason() {
        let ftp = AddressProblem::UnsupportedScheme {
            scheme: "ftp".into(),
        };
        for (raw, needle, problem) in [
            ("", "empty", AddressProblem::Empty),
            (
                "dynaspark.onrender.com/generate_response",
                "expected e.g.",
                AddressProblem::NotAUrl,
            ),
            ("ftp://host/x", "http://", ftp),
            (
                "https://user:pw@host/x",
                "user name",
                AddressProblem::HasCredentials,
            ),
        ] {
            let err = parse_endpoint(raw).unwrap_err();
            assert!(err.to_string().contains(needle), "{raw}: {err}");
            assert!(!err.to_string().contains("pw@"), "{err}");
            assert_eq!(err.address_problem(), Some(&problem), "{raw}");
        }
    }

    #[test]
    fn cold_start_fits_in_the_default_timeout() {
        assert!(Timeouts::default().total >= Duration::from_secs(90));
    }
}
