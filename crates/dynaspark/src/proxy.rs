//! Proxy settings: which schemes are allowed, how credentials reach reqwest.
//! The password never leaves this type in Debug output or error text.

use url::Url;

use crate::{AddressProblem, Error};

/// A proxy for every request: `http://`, `https://`, `socks5://` or `socks5h://`,
/// with optional credentials kept apart from the URL.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    url: Url,
    username: Option<String>,
    password: Option<String>,
}

const SCHEMES: [&str; 4] = ["http", "https", "socks5", "socks5h"];

impl ProxyConfig {
    /// Parses `raw` (credentials may come inline or separately; separate ones win).
    pub fn new(raw: &str, username: Option<&str>, password: Option<&str>) -> Result<Self, Error> {
        let bad = |problem, reason: String| Error::InvalidProxy { problem, reason };
        let raw = raw.trim();
        let mut url = Url::parse(raw).map_err(|e| {
            bad(
                AddressProblem::NotAUrl,
                format!("{e}; expected e.g. http://proxy.example:3128 or socks5://127.0.0.1:1080"),
            )
        })?;
        if !SCHEMES.contains(&url.scheme()) {
            return Err(bad(
                AddressProblem::UnsupportedScheme {
                    scheme: url.scheme().to_owned(),
                },
                format!(
                    "\"{}\" proxies are not supported; use http, https, socks5 or socks5h",
                    url.scheme()
                ),
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad(AddressProblem::NoHost, "it has no host".into()));
        }
        if url.port_or_known_default().is_none() {
            return Err(bad(
                AddressProblem::NoPort,
                "it needs a port, e.g. socks5://127.0.0.1:1080".into(),
            ));
        }
        let inline_user = (!url.username().is_empty()).then(|| decode(url.username()));
        let inline_pass = url.password().map(decode);
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let nonempty = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
        let username = nonempty(username).or(inline_user);
        let password = nonempty(password).or(inline_pass);
        if password.is_some() && username.is_none() {
            return Err(bad(
                AddressProblem::PasswordWithoutUser,
                "a password was given without a user name".into(),
            ));
        }
        Ok(Self {
            url,
            username,
            password,
        })
    }

    /// The proxy address without credentials, safe to show and log.
    pub fn display_url(&self) -> String {
        self.url.to_string()
    }

    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    pub(crate) fn has_credentials(&self) -> bool {
        self.username.is_some()
    }

    /// A SOCKS5 proxy (`socks5://` or `socks5h://`), not an HTTP one.
    pub(crate) fn is_socks(&self) -> bool {
        self.url.scheme().starts_with("socks")
    }

    /// User name and password to send (an empty password when only a user is set).
    /// For the SOCKS5 check only; never log them.
    pub(crate) fn credentials(&self) -> Option<(&str, &str)> {
        let user = self.username.as_deref()?;
        Some((user, self.password.as_deref().unwrap_or_default()))
    }

    /// The same proxy with no credentials, to learn whether it asks for them.
    pub(crate) fn without_credentials(&self) -> Self {
        Self {
            url: self.url.clone(),
            username: None,
            password: None,
        }
    }

    /// Host and port to open a TCP connection to.
    pub(crate) fn address(&self) -> (String, u16) {
        let host = self.url.host_str().unwrap_or_default();
        // `[::1]` in a URL; a socket address wants the bare IPv6 address.
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        (host, self.url.port_or_known_default().unwrap_or(80))
    }

    pub(crate) fn to_reqwest(&self) -> Result<reqwest::Proxy, Error> {
        let mut url = self.url.clone();
        if let Some(user) = &self.username {
            // reqwest takes SOCKS credentials from the URL; for HTTP proxies the same
            // userinfo becomes a Proxy-Authorization: Basic header.
            let _ = url.set_username(&encode(user));
            let _ = url.set_password(self.password.as_deref().map(encode).as_deref());
        }
        reqwest::Proxy::all(url.as_str()).map_err(|e| Error::InvalidProxy {
            problem: AddressProblem::Unusable,
            reason: self.redact(&e.to_string()),
        })
    }

    /// Removes the password (raw and percent-encoded) from any text.
    pub fn redact(&self, text: &str) -> String {
        match self.password.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => text.replace(&encode(p), "***").replace(p, "***"),
            None => text.to_owned(),
        }
    }
}

impl std::fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("url", &self.url.as_str())
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Userinfo in a URL is percent-encoded, not form-encoded: `+` is a plus sign.
fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_four_schemes() {
        for raw in [
            "http://p:3128",
            "https://p:443",
            "socks5://127.0.0.1:1080",
            "socks5h://h:9050",
        ] {
            let p = ProxyConfig::new(raw, None, None).unwrap();
            assert!(p.to_reqwest().is_ok(), "{raw}");
        }
    }

    #[test]
    fn refuses_other_schemes_and_missing_parts() {
        let scheme = |s: &str| AddressProblem::UnsupportedScheme { scheme: s.into() };
        for (raw, needle, problem) in [
            ("socks4://h:1080", "not supported", scheme("socks4")),
            ("ftp://h:21", "not supported", scheme("ftp")),
            ("proxy.local:3128", "not supported", scheme("proxy.local")),
            ("nonsense", "expected e.g.", AddressProblem::NotAUrl),
            ("socks5://h", "needs a port", AddressProblem::NoPort),
            ("socks5:/h", "no host", AddressProblem::NoHost),
        ] {
            let err = ProxyConfig::new(raw, None, None).unwrap_err();
            assert!(err.to_string().contains(needle), "{raw}: {err}");
            assert_eq!(err.code().as_str(), "invalid_proxy");
            assert_eq!(err.address_problem(), Some(&problem), "{raw}");
        }
        let err = ProxyConfig::new("http://h:1", None, Some("pw")).unwrap_err();
        assert!(err.to_string().contains("without a user name"));
        assert_eq!(
            err.address_problem(),
            Some(&AddressProblem::PasswordWithoutUser)
        );
    }

    #[test]
    fn credentials_never_show() {
        let p = ProxyConfig::new("http://h:3128", Some("bob"), Some("s3cr:et@!")).unwrap();
        assert_eq!(p.display_url(), "http://h:3128/");
        let dbg = format!("{p:?}");
        assert!(!dbg.contains("s3cr"), "{dbg}");
        assert_eq!(
            p.redact("failed http://bob:s3cr%3Aet%40%21@h:3128 s3cr:et@!"),
            "failed http://bob:***@h:3128 ***"
        );
    }

    #[test]
    fn inline_credentials_decode_percent_escapes_exactly() {
        let p = ProxyConfig::new("http://bob:a+b%2Bc%40d%25e%20f@h:3128", None, None).unwrap();
        assert_eq!(p.password(), Some("a+b+c@d%e f"));
        assert_eq!(p.username.as_deref(), Some("bob"));
        let p = ProxyConfig::new("http://b%2Bo+b:x@h:3128", None, None).unwrap();
        assert_eq!(p.username.as_deref(), Some("b+o+b"));
        // What reaches reqwest decodes back to the same characters.
        let p = ProxyConfig::new("http://h:3128", Some("u+1"), Some("p+%@: w")).unwrap();
        let url = Url::parse(&{
            let mut u = p.url.clone();
            let _ = u.set_username(&encode("u+1"));
            let _ = u.set_password(Some(&encode("p+%@: w")));
            u.to_string()
        })
        .unwrap();
        assert_eq!(decode(url.username()), "u+1");
        assert_eq!(decode(url.password().unwrap()), "p+%@: w");
    }

    #[test]
    fn redact_hides_every_form_of_the_password() {
        let p = ProxyConfig::new("http://bob:a+b%2Bc@h:3128", None, None).unwrap();
        assert_eq!(p.password(), Some("a+b+c"));
        let text = format!("x {} y {} z", "a+b+c", encode("a+b+c"));
        let red = p.redact(&text);
        assert!(!red.contains("a+b+c") && !red.contains("a%2Bb"), "{red}");
        let dbg = format!("{p:?}");
        assert!(!dbg.contains("a+b"), "{dbg}");
        // No password, nothing to hide.
        let p = ProxyConfig::new("http://h:3128", None, None).unwrap();
        assert_eq!(p.redact("same text"), "same text");
    }

    #[test]
    fn socks_proxies_and_their_credentials_are_told_apart() {
        let p = ProxyConfig::new("socks5h://h:1080", Some("bob"), None).unwrap();
        assert!(p.is_socks());
        assert_eq!(p.credentials(), Some(("bob", "")));
        let p = ProxyConfig::new("socks5://bob:pw@h:1080", None, None).unwrap();
        assert!(p.is_socks());
        assert_eq!(p.credentials(), Some(("bob", "pw")));
        assert_eq!(p.without_credentials().credentials(), None);
        for raw in ["http://h:3128", "https://h:443"] {
            assert!(
                !ProxyConfig::new(raw, None, None).unwrap().is_socks(),
                "{raw}"
            );
        }
    }

    #[test]
    fn inline_credentials_are_moved_out_of_the_url() {
        let p = ProxyConfig::new("socks5://al%20ice:p%40ss@h:1080", None, None).unwrap();
        assert_eq!(p.display_url(), "socks5://h:1080");
        assert_eq!(p.password(), Some("p@ss"));
        assert_eq!(p.username.as_deref(), Some("al ice"));
    }
}
