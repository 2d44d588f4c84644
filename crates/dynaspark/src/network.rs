//! Turns reqwest's failures into plain words: refused, not found, cut off, timed out,
//! refused by the proxy. The library's error chain is kept, redacted, for details only.

use std::io::ErrorKind;

use crate::{ClientConfig, ConnectionFault, Error};

/// Where in the exchange a failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Connecting, or sending the request; no answer yet.
    Sending,
    /// Reading the answer's body.
    Reading,
}

/// Maps a reqwest failure to an [`Error`] a person can act on.
pub(crate) fn transport_error(config: &ClientConfig, e: &reqwest::Error, phase: Phase) -> Error {
    let host = config.endpoint.host_str().unwrap_or_default().to_owned();
    let detail = redact(config, &error_chain(e));
    let lower = detail.to_ascii_lowercase();

    if e.is_timeout() {
        // reqwest reports a connect timeout as a connect error that is also a timeout.
        if e.is_connect() {
            // Through a proxy, the connection that timed out is the one to the proxy.
            let host = config.proxy.as_ref().map_or(host, |p| p.display_url());
            return Error::ConnectTimeout {
                host,
                timeout: config.timeouts.connect,
            };
        }
        return Error::Timeout {
            timeout: config.timeouts.total,
        };
    }

    if let Some(proxy) = &config.proxy {
        if is_proxy_auth_failure(&lower) {
            return Error::ProxyAuth {
                proxy: proxy.display_url(),
                credentials_sent: proxy.has_credentials(),
                detail,
            };
        }
    }

    if e.is_connect() {
        let fault = connect_fault(e, &lower, config.proxy.is_some());
        return match &config.proxy {
            Some(proxy) => Error::Proxy {
                proxy: proxy.display_url(),
                fault,
                detail,
            },
            None => Error::Connect {
                host,
                fault,
                detail,
            },
        };
    }

    let fault = match phase {
        Phase::Sending => ConnectionFault::CutBeforeAnswer,
        Phase::Reading => ConnectionFault::CutMidAnswer,
    };
    Error::Network {
        host,
        fault,
        detail,
    }
}

/// 407 on a CONNECT tunnel, or a SOCKS5 server refusing (or demanding) credentials.
///
/// Not a SOCKS5 server that hangs up on wrong credentials instead of answering with the
/// RFC 1929 failure status (pproxy does): reqwest (hyper-util's SOCKS connector) reports
/// that as `error connecting to socks proxy: SOCKS error: io error during SOCKS
/// handshake`, the same words, and the same hidden `UnexpectedEof`, as a hang-up right
/// after the greeting, which is what a server that is not SOCKS5 does. The chain does
/// not say at which step, so that stays [`ConnectionFault::Handshake`], whose words name
/// the user name and password too; "Test connection" tells the two apart with a
/// handshake of its own.
fn is_proxy_auth_failure(lower_chain: &str) -> bool {
    [
        "proxy authorization required",
        "proxy authentication required",
        "credentials not accepted",
        "does not support user/pass authentication",
    ]
    .iter()
    .any(|needle| lower_chain.contains(needle))
}

fn connect_fault(e: &reqwest::Error, lower_chain: &str, via_proxy: bool) -> ConnectionFault {
    let has = |needles: &[&str]| needles.iter().any(|n| lower_chain.contains(n));
    match io_error_kind(e) {
        Some(ErrorKind::ConnectionRefused) => return ConnectionFault::Refused,
        Some(ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) if !via_proxy => {
            return ConnectionFault::CutBeforeAnswer
        }
        _ => {}
    }
    if has(&[
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "nodename nor servname",
        "no such host",
        "name resolution",
    ]) {
        return ConnectionFault::HostNotFound;
    }
    if has(&[
        "certificate",
        "tls handshake",
        "invalid peer",
        "received fatal alert",
    ]) {
        return ConnectionFault::Tls;
    }
    if !via_proxy {
        return if has(&["connection refused"]) {
            ConnectionFault::Refused
        } else {
            ConnectionFault::Other
        };
    }
    // Through a proxy, words like "connection refused" may be the proxy reporting on
    // Dynaspark (a SOCKS5 reply), so only the proxy connector's own wording counts.
    if has(&["failed to create underlying connection"]) {
        ConnectionFault::Refused
    } else if has(&[
        "io error during socks handshake",
        "failed parsing server response",
        "server implements authentication incorrectly",
        "tunnel error: unexpected end of file",
    ]) {
        ConnectionFault::Handshake
    } else {
        ConnectionFault::Other
    }
}

/// The first `std::io::Error` in the chain, if any.
fn io_error_kind(e: &(dyn std::error::Error + 'static)) -> Option<ErrorKind> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = s.source();
    }
    None
}

pub(crate) fn redact(config: &ClientConfig, text: &str) -> String {
    match &config.proxy {
        Some(p) => p.redact(text),
        None => text.to_owned(),
    }
}

/// reqwest's top-level message is generic ("error sending request"); the causes say why.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_auth_failures_are_recognised_in_any_library_wording() {
        for chain in [
            "error sending request: client error (Connect): tunnel error: proxy authorization required",
            "error connecting to socks proxy: credentials not accepted",
            "error connecting to socks proxy: server does not support user/pass authentication",
        ] {
            assert!(is_proxy_auth_failure(&chain.to_ascii_lowercase()), "{chain}");
        }
        assert!(!is_proxy_auth_failure(
            "tcp connect error: connection refused"
        ));
    }

    #[test]
    fn a_socks_hang_up_is_not_taken_for_refused_credentials() {
        // What reqwest says when pproxy hangs up on a wrong SOCKS5 password, and also when
        // a server hangs up right after the greeting: the chain cannot tell them apart.
        let chain = "error sending request for url (http://127.0.0.1:9/): client error (Connect): \
                     error connecting to socks proxy: SOCKS error: io error during SOCKS handshake";
        assert!(!is_proxy_auth_failure(&chain.to_ascii_lowercase()));
    }

    #[test]
    fn io_kinds_are_found_through_the_chain() {
        #[derive(Debug)]
        struct Wrapper(std::io::Error);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("wrapper")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Wrapper(std::io::Error::new(
            ErrorKind::ConnectionReset,
            "reset by peer",
        ));
        assert_eq!(io_error_kind(&e), Some(ErrorKind::ConnectionReset));
        assert_eq!(error_chain(&e), "wrapper: reset by peer");
    }
}
