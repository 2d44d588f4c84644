//! "Test connection" for the proxy setting: is the proxy reachable, does it ask for
//! credentials and take ours, does Dynaspark answer through it. Never sends a question.

use serde::Serialize;

use crate::client::http_client;
use crate::network::{transport_error, Phase};
use crate::{Client, ClientConfig, Error};

/// What [`Client::test_proxy`] found, in fields for the UI and in words for people.
///
/// JSON: `{"proxy":"http://127.0.0.1:3128/","reached":true,"askedForCredentials":true,
/// "credentialsRefused":true,"serviceAnswered":false,"status":null,"message":"…","details":"…"}`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyReport {
    /// The proxy tested, without credentials; `None` when no proxy is set (the
    /// service was then tried directly).
    pub proxy: Option<String>,
    /// A TCP connection to the proxy succeeded.
    pub reached: bool,
    /// The proxy wants a user name and password (HTTP 407, or SOCKS5 user/password).
    pub asked_for_credentials: bool,
    /// Credentials were sent and the proxy refused them.
    pub credentials_refused: bool,
    /// Dynaspark (or whatever is at the endpoint's address) gave an HTTP answer,
    /// any status, through the proxy.
    pub service_answered: bool,
    /// That answer's HTTP status.
    pub status: Option<u16>,
    /// One sentence per finding, in order.
    pub message: String,
    /// The network library's account of what failed (never the password).
    pub details: Option<String>,
}

impl Client {
    /// Tests the configured proxy with a `GET` of the endpoint's origin (no question
    /// is sent): first without credentials, to learn whether the proxy asks for them,
    /// then as questions will go. Takes up to the connect and total timeouts.
    pub async fn test_proxy(&self) -> ProxyReport {
        let config = self.config();
        let mut found = Findings::default();
        let Some(proxy) = &config.proxy else {
            found.say("No proxy is set; Dynaspark was tried directly.".into());
            let outcome = probe(self.http(), config).await;
            found.service(outcome, "");
            return found.report(None);
        };
        let display = proxy.display_url();

        let (host, port) = proxy.address();
        let reach = tokio::time::timeout(
            config.timeouts.connect,
            tokio::net::TcpStream::connect((host.as_str(), port)),
        )
        .await;
        match reach {
            Ok(Ok(_)) => {
                found.reached = true;
                found.say(format!("The proxy {display} was reached."));
            }
            Ok(Err(e)) => {
                found.say(format!(
                    "Could not reach the proxy {display}: {}.",
                    unreachable_reason(&e)
                ));
                found.detail(e.to_string());
                return found.report(Some(display));
            }
            Err(_) => {
                found.say(format!(
                    "Could not reach the proxy {display}: it did not accept a connection within {} s.",
                    config.timeouts.connect.as_secs()
                ));
                return found.report(Some(display));
            }
        }

        let with_credentials = proxy.has_credentials();
        let outcome = if with_credentials {
            let anonymous = match http_client(config, Some(&proxy.without_credentials())) {
                Ok(http) => probe(&http, config).await,
                Err(e) => Err(e),
            };
            found.asked = is_auth(&anonymous);
            probe(self.http(), config).await
        } else {
            probe(self.http(), config).await
        };
        let refused = is_auth(&outcome);
        found.asked |= refused;
        found.refused = refused && with_credentials;

        found.say(
            match (found.asked, with_credentials, refused) {
                (true, false, _) => "It asks for a user name and password, and none are set.",
                (true, true, true) => {
                    "It asks for a user name and password: the proxy refused the credentials."
                }
                (true, true, false) => "It asks for a user name and password, and accepted them.",
                (false, true, _) => {
                    "It does not ask for a user name and password (the ones set are sent anyway)."
                }
                (false, false, _) => "It does not ask for a user name and password.",
            }
            .into(),
        );
        if refused {
            found.detail_of(&outcome);
            found.say("Dynaspark was not tried.".into());
        } else {
            found.service(outcome, " through it");
        }
        found.report(Some(display))
    }
}

#[derive(Default)]
struct Findings {
    reached: bool,
    asked: bool,
    refused: bool,
    status: Option<u16>,
    lines: Vec<String>,
    details: Vec<String>,
}

impl Findings {
    fn say(&mut self, line: String) {
        self.lines.push(line);
    }

    fn detail(&mut self, detail: String) {
        self.details.push(detail);
    }

    fn detail_of(&mut self, outcome: &Result<u16, Error>) {
        if let Err(e) = outcome {
            if let Some(d) = e.details() {
                self.detail(d);
            }
        }
    }

    fn service(&mut self, outcome: Result<u16, Error>, via: &str) {
        match outcome {
            Ok(status) => {
                self.status = Some(status);
                self.say(format!("Dynaspark answered{via} (HTTP {status})."));
            }
            Err(e) => {
                self.say(format!("Dynaspark did not answer{via}: {e}"));
                if let Some(d) = e.details() {
                    self.detail(d);
                }
            }
        }
    }

    fn report(self, proxy: Option<String>) -> ProxyReport {
        ProxyReport {
            proxy,
            reached: self.reached,
            asked_for_credentials: self.asked,
            credentials_refused: self.refused,
            service_answered: self.status.is_some(),
            status: self.status,
            message: self.lines.join(" "),
            details: (!self.details.is_empty()).then(|| self.details.join("\n")),
        }
    }
}

/// `GET {origin}/`: any HTTP status means the service answered; 407 is the proxy's.
async fn probe(http: &reqwest::Client, config: &ClientConfig) -> Result<u16, Error> {
    let url = format!("{}/", config.origin());
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| transport_error(config, &e, Phase::Sending))?;
    let status = response.status().as_u16();
    match &config.proxy {
        Some(proxy) if status == 407 => Err(Error::ProxyAuth {
            proxy: proxy.display_url(),
            credentials_sent: proxy.has_credentials(),
            detail: "HTTP 407 from the proxy".into(),
        }),
        _ => Ok(status),
    }
}

fn is_auth(outcome: &Result<u16, Error>) -> bool {
    matches!(outcome, Err(Error::ProxyAuth { .. }))
}

fn unreachable_reason(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionRefused => "nothing accepted the connection",
        ErrorKind::TimedOut => "it did not answer in time",
        _ if e.to_string().contains("lookup") || e.to_string().contains("resolve") => {
            "its name does not resolve"
        }
        _ => "the network refused the connection",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_serializes_in_camel_case() {
        let report = ProxyReport {
            proxy: Some("http://p:1/".into()),
            reached: true,
            asked_for_credentials: true,
            credentials_refused: true,
            message: "m".into(),
            ..ProxyReport::default()
        };
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            r#"{"proxy":"http://p:1/","reached":true,"askedForCredentials":true,"credentialsRefused":true,"serviceAnswered":false,"status":null,"message":"m","details":null}"#
        );
    }
}
